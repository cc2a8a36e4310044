package ledger

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// rawStub opens a stub over the current committed state, for calling
// methods the test chaincode does not reach.
func (h *harness) rawStub() *stub {
	h.t.Helper()
	snap, err := h.l.db.Begin(false)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = snap.Rollback() })
	return &stub{snap: snap, in: &SimulationInput{TxID: "tx1", ChannelID: testChannel, Namespace: testChaincode}, ns: testChaincode, rw: newRWSetBuilder()}
}

func kvSet(t *testing.T, res *SimulationResult) *kvrwset.KVRWSet {
	t.Helper()
	_, sets, err := ParseRWSet(res.RWSet)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range sets {
		if s.Namespace == testChaincode {
			return s.KV
		}
	}
	return &kvrwset.KVRWSet{}
}

func TestStubReadsAndWrites(t *testing.T) {
	h := newHarness(t, nil)
	_, blk, _ := h.submit("put", "a", "1")
	_, blk2, _ := h.submit("put", "b", "2")

	tests := []struct {
		name       string
		args       []string
		wantStatus int32
		wantResp   string
		wantReads  map[string]*kvrwset.Version // key -> version (nil: absent)
		wantWrites map[string]string           // key -> value ("<del>": delete)
		wantErrIn  string
	}{
		{
			name:      "GetState of a committed key returns its value and records its version",
			args:      []string{"get", "a"},
			wantResp:  "1",
			wantReads: map[string]*kvrwset.Version{"a": {BlockNum: blk, TxNum: 0}},
		},
		{
			name:      "GetState of a missing key returns nil and records a read without version",
			args:      []string{"get", "zz"},
			wantReads: map[string]*kvrwset.Version{"zz": nil},
		},
		{
			name:       "a transaction does not see its own uncommitted write, as in Fabric",
			args:       []string{"putget", "c", "3"},
			wantResp:   "",
			wantReads:  map[string]*kvrwset.Version{"c": nil},
			wantWrites: map[string]string{"c": "3"},
		},
		{
			name:       "read then write records both",
			args:       []string{"readput", "b", "22"},
			wantReads:  map[string]*kvrwset.Version{"b": {BlockNum: blk2, TxNum: 0}},
			wantWrites: map[string]string{"b": "22"},
		},
		{
			name:       "DelState records a delete",
			args:       []string{"del", "a"},
			wantWrites: map[string]string{"a": "<del>"},
		},
		{
			name:       "PutState with an empty value is a delete, as in Fabric",
			args:       []string{"put", "a", ""},
			wantWrites: map[string]string{"a": "<del>"},
		},
		{
			name:       "PutState with an empty key fails and writes nothing",
			args:       []string{"put", "", "x"},
			wantStatus: shim.ERROR,
			wantErrIn:  `PutState: field=key value="" rule=must not be empty`,
		},
		{
			name:       "PutState with a key that is not UTF-8 fails and writes nothing",
			args:       []string{"put", "\xff\xfe", "x"},
			wantStatus: shim.ERROR,
			wantErrIn:  `PutState: field=key value="fffe" rule=must be valid UTF-8`,
		},
		{
			name:       "GetStateByRange rejects a start key in the composite key namespace",
			args:       []string{"range", "\x00x", ""},
			wantStatus: shim.ERROR,
			wantErrIn:  "GetStateByRange: field=key",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := h.simulate(tc.args...)
			want := tc.wantStatus
			if want == 0 {
				want = shim.OK
			}
			if res.Response.GetStatus() != want {
				t.Fatalf("status = %d (%s), want %d", res.Response.GetStatus(), res.Response.GetMessage(), want)
			}
			if tc.wantErrIn != "" && !strings.Contains(res.Response.GetMessage(), tc.wantErrIn) {
				t.Fatalf("message = %q, want it to contain %q", res.Response.GetMessage(), tc.wantErrIn)
			}
			if want == shim.OK && string(res.Response.GetPayload()) != tc.wantResp {
				t.Fatalf("payload = %q, want %q", res.Response.GetPayload(), tc.wantResp)
			}
			kv := kvSet(t, res)
			gotReads := map[string]*kvrwset.Version{}
			for _, r := range kv.GetReads() {
				gotReads[r.GetKey()] = r.GetVersion()
			}
			if len(gotReads) != len(tc.wantReads) {
				t.Fatalf("reads = %v, want %v", gotReads, tc.wantReads)
			}
			for k, v := range tc.wantReads {
				got, ok := gotReads[k]
				if !ok || !proto.Equal(got, v) {
					t.Fatalf("read of %q = %v, want %v", k, got, v)
				}
			}
			gotWrites := map[string]string{}
			for _, w := range kv.GetWrites() {
				v := string(w.GetValue())
				if w.GetIsDelete() {
					v = "<del>"
				}
				gotWrites[w.GetKey()] = v
			}
			if len(tc.wantWrites) == 0 && len(gotWrites) == 0 {
				return
			}
			if !reflect.DeepEqual(gotWrites, tc.wantWrites) {
				t.Fatalf("writes = %v, want %v", gotWrites, tc.wantWrites)
			}
		})
	}
}

func TestStubTransactionContext(t *testing.T) {
	h := newHarness(t, nil)
	res, sp := h.simulate("info", "p1")
	in, err := ProposalInput(sp)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Tx          string
		Channel     string
		Creator     []byte
		Transient   map[string][]byte
		Ts          int64
		HasProposal bool
		Binding     []byte
		Args        []string
		ArgsSlice   string
		Decorations map[string][]byte
	}
	if err := json.Unmarshal(res.Response.GetPayload(), &got); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"GetTxID returns the proposal's tx ID", got.Tx, in.TxID},
		{"GetChannelID returns the proposal's channel", got.Channel, testChannel},
		{"GetCreator returns the serialized submitter", string(got.Creator), string(h.client.serialized)},
		{"GetTransient returns the transient map", string(got.Transient["secret"]), "s3"},
		{"GetTxTimestamp returns the channel header timestamp", got.Ts, in.Timestamp.AsTime().UnixNano()},
		{"GetSignedProposal returns the proposal", got.HasProposal, true},
		{"GetBinding is SHA-256(nonce, creator, epoch)", string(got.Binding), string(computeBinding(in.Nonce, h.client.serialized, 0))},
		{"GetStringArgs returns function and parameters", strings.Join(got.Args, ","), "info,p1"},
		{"GetArgsSlice concatenates the arguments", got.ArgsSlice, "infop1"},
		{"GetDecorations returns the input decorations", string(got.Decorations["deco"]), "x"},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if !reflect.DeepEqual(c.got, c.want) {
				t.Fatalf("got %v, want %v", c.got, c.want)
			}
		})
	}
}

func TestStubUnsupportedMethodsNameThemselves(t *testing.T) {
	h := newHarness(t, nil)
	s := h.rawStub()
	calls := []struct {
		method string
		call   func() error
	}{
		{"SetStateValidationParameter", func() error { return s.SetStateValidationParameter("k", nil) }},
		{"GetStateValidationParameter", func() error { _, err := s.GetStateValidationParameter("k"); return err }},
		{"GetQueryResult", func() error { _, err := s.GetQueryResult("{}"); return err }},
		{"GetQueryResultWithPagination", func() error { _, _, err := s.GetQueryResultWithPagination("{}", 1, ""); return err }},
		{"GetPrivateData", func() error { _, err := s.GetPrivateData("c", "k"); return err }},
		{"GetMultiplePrivateData", func() error { _, err := s.GetMultiplePrivateData("c", "k"); return err }},
		{"GetPrivateDataHash", func() error { _, err := s.GetPrivateDataHash("c", "k"); return err }},
		{"PutPrivateData", func() error { return s.PutPrivateData("c", "k", []byte("v")) }},
		{"DelPrivateData", func() error { return s.DelPrivateData("c", "k") }},
		{"PurgePrivateData", func() error { return s.PurgePrivateData("c", "k") }},
		{"SetPrivateDataValidationParameter", func() error { return s.SetPrivateDataValidationParameter("c", "k", nil) }},
		{"GetPrivateDataValidationParameter", func() error { _, err := s.GetPrivateDataValidationParameter("c", "k"); return err }},
		{"GetPrivateDataByRange", func() error { _, err := s.GetPrivateDataByRange("c", "a", "b"); return err }},
		{"GetPrivateDataByPartialCompositeKey", func() error { _, err := s.GetPrivateDataByPartialCompositeKey("c", "t", nil); return err }},
		{"GetPrivateDataQueryResult", func() error { _, err := s.GetPrivateDataQueryResult("c", "{}"); return err }},
		{"InvokeChaincode", func() error {
			r := s.InvokeChaincode("other", nil, "")
			if r.GetStatus() != shim.ERROR {
				return nil
			}
			return errors.New(r.GetMessage())
		}},
	}
	for _, c := range calls {
		t.Run(c.method+" returns an error naming it", func(t *testing.T) {
			err := c.call()
			if err == nil {
				t.Fatal("no error")
			}
			want := c.method + " is not supported by the aeoledger embedded peer"
			if !strings.HasPrefix(err.Error(), want) {
				t.Fatalf("error = %q, want prefix %q", err, want)
			}
			if c.method != "InvokeChaincode" && !errors.Is(err, ErrUnsupported) {
				t.Fatalf("error %v does not wrap ErrUnsupported", err)
			}
		})
	}
	if len(s.rw.ns) != 0 {
		t.Fatalf("unsupported calls recorded reads or writes: %v", s.rw.ns)
	}
}

func TestStubCompositeKeysAndRanges(t *testing.T) {
	h := newHarness(t, nil)
	for _, args := range [][]string{
		{"putc", "rec", "v1", "S1", "001"},
		{"putc", "rec", "v2", "S1", "002"},
		{"putc", "rec", "v3", "S2", "001"},
		{"putc", "other", "v4", "S1", "001"},
		{"put", "a", "1"},
		{"put", "b", "2"},
		{"put", "c", "3"},
	} {
		h.submit(args...)
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a partial key with one attribute finds only that shipment", []string{"prefix", "rec", "S1"}, `[["rec","S1","001"],["rec","S1","002"]]`},
		{"a partial key with the object type only finds all of its keys", []string{"prefix", "rec"}, `[["rec","S1","001"],["rec","S1","002"],["rec","S2","001"]]`},
		{"a full composite key finds itself", []string{"prefix", "rec", "S2", "001"}, `[["rec","S2","001"]]`},
		{"an unknown object type finds nothing", []string{"prefix", "nope"}, `null`},
		{"an open range returns simple keys only", []string{"range", "", ""}, `[{"Key":"a","Value":"1"},{"Key":"b","Value":"2"},{"Key":"c","Value":"3"}]`},
		{"the end key is exclusive", []string{"range", "a", "c"}, `[{"Key":"a","Value":"1"},{"Key":"b","Value":"2"}]`},
		{"an empty range returns nothing", []string{"range", "x", "z"}, `null`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.query(tc.args...); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("SplitCompositeKey refuses a simple key", func(t *testing.T) {
		_, _, err := SplitCompositeKey("plain")
		if err == nil || !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), `field=compositeKey value="plain"`) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a range query is recorded as exhausted with its reads", func(t *testing.T) {
		res, _ := h.simulate("range", "a", "c")
		kv := kvSet(t, res)
		if len(kv.GetRangeQueriesInfo()) != 1 {
			t.Fatalf("range infos = %v", kv.GetRangeQueriesInfo())
		}
		rq := kv.GetRangeQueriesInfo()[0]
		if rq.GetStartKey() != "a" || rq.GetEndKey() != "c" || !rq.GetItrExhausted() || len(rq.GetRawReads().GetKvReads()) != 2 {
			t.Fatalf("range info = %v", rq)
		}
		if len(kv.GetReads()) != 0 {
			t.Fatalf("a range query must not add point reads: %v", kv.GetReads())
		}
	})
}

type page struct {
	KVs      []kvOut
	Count    int32
	Bookmark string
}

func TestStubPagination(t *testing.T) {
	h := newHarness(t, func(o *Options) { o.BatchSize = 100 })
	// 25 composite keys rec/S1/000..024 and 25 simple keys k000..k024
	var keys []string
	for i := 0; i < 25; i++ {
		n := strings.Repeat("0", 3-len(itoa(i))) + itoa(i)
		keys = append(keys, n)
		h.submit("putc", "rec", "v"+n, "S1", n)
		h.submit("put", "k"+n, "v"+n)
	}
	t.Run("composite key pages follow bookmarks to the end", func(t *testing.T) {
		var all []string
		bookmark := ""
		var counts []int32
		for i := 0; i < 5; i++ {
			var p page
			if err := json.Unmarshal([]byte(h.query("page", "rec", "10", bookmark)), &p); err != nil {
				t.Fatal(err)
			}
			counts = append(counts, p.Count)
			for _, kv := range p.KVs {
				all = append(all, kv.Value)
			}
			bookmark = p.Bookmark
			if bookmark == "" {
				break
			}
		}
		if !reflect.DeepEqual(counts, []int32{10, 10, 5}) {
			t.Fatalf("page counts = %v, want [10 10 5]", counts)
		}
		if len(all) != 25 || all[0] != "v000" || all[24] != "v024" {
			t.Fatalf("values = %v", all)
		}
	})
	t.Run("the bookmark is the first key of the next page", func(t *testing.T) {
		var p page
		if err := json.Unmarshal([]byte(h.query("rangepage", "k", "l", "3", "")), &p); err != nil {
			t.Fatal(err)
		}
		if p.Bookmark != "k003" || len(p.KVs) != 3 || p.KVs[2].Key != "k002" {
			t.Fatalf("page = %+v", p)
		}
		if err := json.Unmarshal([]byte(h.query("rangepage", "k", "l", "3", p.Bookmark)), &p); err != nil {
			t.Fatal(err)
		}
		if p.KVs[0].Key != "k003" {
			t.Fatalf("second page starts at %q, want k003", p.KVs[0].Key)
		}
	})
	t.Run("a page that reaches the end has an empty bookmark", func(t *testing.T) {
		var p page
		if err := json.Unmarshal([]byte(h.query("rangepage", "k020", "l", "10", "")), &p); err != nil {
			t.Fatal(err)
		}
		if p.Bookmark != "" || p.Count != 5 {
			t.Fatalf("page = %+v", p)
		}
	})
	bad := []struct {
		name string
		args []string
		want string
	}{
		{"a negative page size is refused", []string{"rangepage", "", "", "-1", ""}, `field=pageSize value="-1" rule=must not be negative`},
		{"a bookmark outside the range is refused", []string{"rangepage", "k", "l", "3", "a"}, `field=bookmark value="a" rule=must lie in the queried range`},
		{"a write after a paginated query is refused, as in Fabric", []string{"pageput", "x", "1"}, "PutState: txid"},
		{"a paginated query after a write is refused, as in Fabric", []string{"putpage", "x", "1"}, "GetStateByRangeWithPagination: txid"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			res, _ := h.simulate(tc.args...)
			if res.Response.GetStatus() != shim.ERROR || !strings.Contains(res.Response.GetMessage(), tc.want) {
				t.Fatalf("response = %d %q, want error containing %q", res.Response.GetStatus(), res.Response.GetMessage(), tc.want)
			}
		})
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

func TestStubHistory(t *testing.T) {
	h := newHarness(t, nil)
	tx1, b1, _ := h.submit("put", "h", "one")
	tx2, b2, _ := h.submit("put", "h", "two")
	tx3, _, _ := h.submit("del", "h")
	h.submit("put", "h2", "other key")
	h.submit("put", "h\x00", "key sharing a prefix")

	var got []struct {
		Tx    string
		Value string
		Del   bool
		Ts    int64
	}
	if err := json.Unmarshal([]byte(h.query("history", "h")), &got); err != nil {
		t.Fatal(err)
	}
	want := []struct {
		tx, value string
		del       bool
	}{{tx3, "", true}, {tx2, "two", false}, {tx1, "one", false}}
	if len(got) != len(want) {
		t.Fatalf("history = %+v, want 3 entries newest first", got)
	}
	for i, w := range want {
		if got[i].Tx != w.tx || got[i].Value != w.value || got[i].Del != w.del || got[i].Ts == 0 {
			t.Fatalf("entry %d = %+v, want %+v", i, got[i], w)
		}
	}
	if b1 >= b2 {
		t.Fatalf("blocks %d, %d are not increasing", b1, b2)
	}
	if out := h.query("history", "never"); out != "null" {
		t.Fatalf("history of an unknown key = %s", out)
	}
	res, _ := h.simulate("history", "h")
	if kv := kvSet(t, res); len(kv.GetReads()) != 0 || len(kv.GetRangeQueriesInfo()) != 0 {
		t.Fatalf("GetHistoryForKey must not add reads: %v", kv)
	}
}

func TestSimulateEventsAndFailures(t *testing.T) {
	h := newHarness(t, nil)
	t.Run("SetEvent puts the event in the result", func(t *testing.T) {
		res, sp := h.simulate("event", "touchpoint", `{"id":"x"}`)
		in, _ := ProposalInput(sp)
		ev := res.Event
		if ev == nil || ev.GetEventName() != "touchpoint" || string(ev.GetPayload()) != `{"id":"x"}` || ev.GetTxId() != in.TxID || ev.GetChaincodeId() != testChaincode {
			t.Fatalf("event = %v", ev)
		}
	})
	t.Run("SetEvent with an empty name fails", func(t *testing.T) {
		res, _ := h.simulate("event", "", "p")
		if !strings.Contains(res.Response.GetMessage(), `SetEvent: field=name value="" rule=must not be empty`) {
			t.Fatalf("message = %q", res.Response.GetMessage())
		}
	})
	t.Run("a chaincode panic is an error, not a crash", func(t *testing.T) {
		in, err := ProposalInput(h.proposal("panic"))
		if err != nil {
			t.Fatal(err)
		}
		in.Chaincode = testCC{}
		_, err = h.l.Simulate(t.Context(), in)
		if err == nil || !strings.Contains(err.Error(), "chaincode panicked: test chaincode panics") {
			t.Fatalf("err = %v", err)
		}
	})
	bad := []struct {
		name string
		mod  func(*SimulationInput)
		want string
	}{
		{"a missing chaincode is refused", func(in *SimulationInput) { in.Chaincode = nil }, `field=Chaincode value="<nil>" rule=must not be nil`},
		{"an empty namespace is refused", func(in *SimulationInput) { in.Namespace = "" }, `field=Namespace value="" rule=must not be empty`},
		{"an empty tx ID is refused", func(in *SimulationInput) { in.TxID = "" }, `field=TxID value="" rule=must not be empty`},
		{"another channel is refused", func(in *SimulationInput) { in.ChannelID = "other" }, `field=ChannelID value="other" rule=must be aeo`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			in, err := ProposalInput(h.proposal("put", "k", "v"))
			if err != nil {
				t.Fatal(err)
			}
			in.Chaincode = testCC{}
			tc.mod(&in)
			_, err = h.l.Simulate(t.Context(), in)
			if err == nil || !errors.Is(err, ErrInvalid) || err.Error() != "simulating: "+tc.want {
				t.Fatalf("err = %v, want %q", err, "simulating: "+tc.want)
			}
		})
	}
	t.Run("ProposalInput refuses a nil proposal", func(t *testing.T) {
		_, err := ProposalInput(nil)
		if err == nil || err.Error() != `field=signed_proposal value="<nil>" rule=must not be nil` {
			t.Fatalf("err = %v", err)
		}
	})
	if h.l.Height() != 1 {
		t.Fatalf("simulations changed the height to %d", h.l.Height())
	}
}

var _ = peer.TxValidationCode_VALID

func TestStubMoreQueries(t *testing.T) {
	h := newHarness(t, nil)
	h.submit("put", "a", "1")
	h.submit("put", "b", "2")
	h.submit("putc", "rec", "x", "S1", "1")
	h.submit("putc", "rec", "y", "S1", "2")
	h.submit("putc", "rec", "z", "S1", "3")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"GetMultipleStates returns values in key order asked, nil for missing", []string{"multi", "b", "nope", "a"}, `["2","","1"]`},
		{"GetAllStatesCompositeKeyWithPagination pages over composite keys only", []string{"allcomposite"}, `{"bookmark":true,"keys":["S1","1","S1","2"]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.query(tc.args...); got != tc.want {
				t.Fatalf("got %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("an iterator closed early records the range up to the last key read", func(t *testing.T) {
		res, _ := h.simulate("rangefirst", "", "", "out")
		rq := kvSet(t, res).GetRangeQueriesInfo()
		if len(rq) != 1 || rq[0].GetItrExhausted() || rq[0].GetStartKey() != "\x01" || rq[0].GetEndKey() != "a" || len(rq[0].GetRawReads().GetKvReads()) != 1 {
			t.Fatalf("range info = %v", rq)
		}
	})
	t.Run("Block above the height is ErrNotFound", func(t *testing.T) {
		if _, err := h.l.Block(h.l.Height()); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
}
