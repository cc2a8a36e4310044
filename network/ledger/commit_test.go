package ledger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// order enqueues envelopes and waits for all of them.
func (h *harness) orderAll(envs ...*common.Envelope) []peer.TxValidationCode {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, env := range envs {
		if err := h.l.Order(ctx, env); err != nil {
			h.t.Fatalf("Order: %v", err)
		}
	}
	codes := make([]peer.TxValidationCode, len(envs))
	for i, env := range envs {
		tx, err := ParseEnvelope(env)
		if err != nil {
			h.t.Fatal(err)
		}
		_, code, err := h.l.WaitForTx(ctx, tx.TxID)
		if err != nil {
			h.t.Fatalf("WaitForTx: %v", err)
		}
		codes[i] = code
	}
	return codes
}

// blockCodes returns the validation flags of the block holding txID.
func (h *harness) codeInBlock(env *common.Envelope) peer.TxValidationCode {
	h.t.Helper()
	raw, err := proto.Marshal(env)
	if err != nil {
		h.t.Fatal(err)
	}
	for n := uint64(0); n < h.l.Height(); n++ {
		blk, err := h.l.Block(n)
		if err != nil {
			h.t.Fatal(err)
		}
		flags := TxValidationFlags(blk)
		for i, d := range blk.GetData().GetData() {
			if string(d) == string(raw) {
				return flags[i]
			}
		}
	}
	h.t.Fatal("envelope not found in any block")
	return 0
}

func TestValidationCodes(t *testing.T) {
	tests := []struct {
		name string
		// run returns the envelopes to check and the codes they must get
		run       func(h *harness) ([]*common.Envelope, []peer.TxValidationCode)
		wantState map[string]string // key -> value after the block ("" = absent)
	}{
		{
			name: "the second of two transactions that read and write the same key gets MVCC_READ_CONFLICT",
			run: func(h *harness) ([]*common.Envelope, []peer.TxValidationCode) {
				h.submit("put", "k", "0")
				r1, sp1 := h.simulate("readput", "k", "first")
				r2, sp2 := h.simulate("readput", "k", "second")
				return []*common.Envelope{h.envelope(r1, sp1), h.envelope(r2, sp2)},
					[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT}
			},
			wantState: map[string]string{"k": "first"},
		},
		{
			name: "a read of a key that was absent conflicts once the key is created",
			run: func(h *harness) ([]*common.Envelope, []peer.TxValidationCode) {
				r1, sp1 := h.simulate("readput", "new", "a")
				r2, sp2 := h.simulate("readput", "new", "b")
				return []*common.Envelope{h.envelope(r1, sp1), h.envelope(r2, sp2)},
					[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_MVCC_READ_CONFLICT}
			},
			wantState: map[string]string{"new": "a"},
		},
		{
			name: "blind writes to the same key do not conflict and the last one wins",
			run: func(h *harness) ([]*common.Envelope, []peer.TxValidationCode) {
				r1, sp1 := h.simulate("put", "w", "a")
				r2, sp2 := h.simulate("put", "w", "b")
				return []*common.Envelope{h.envelope(r1, sp1), h.envelope(r2, sp2)},
					[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID}
			},
			wantState: map[string]string{"w": "b"},
		},
		{
			name: "a range read conflicts when a key is inserted into the range (PHANTOM_READ_CONFLICT)",
			run: func(h *harness) ([]*common.Envelope, []peer.TxValidationCode) {
				h.submit("put", "r1", "x")
				rr, spr := h.simulate("rangeput", "r", "s", "out", "done")
				ins, spi := h.simulate("put", "r2", "y")
				return []*common.Envelope{h.envelope(ins, spi), h.envelope(rr, spr)},
					[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_PHANTOM_READ_CONFLICT}
			},
			wantState: map[string]string{"r2": "y", "out": ""},
		},
		{
			name: "a range read conflicts when a key in the range is deleted",
			run: func(h *harness) ([]*common.Envelope, []peer.TxValidationCode) {
				h.submit("put", "r1", "x")
				h.submit("put", "r2", "x")
				rr, spr := h.simulate("rangeput", "r", "s", "out", "done")
				del, spd := h.simulate("del", "r1")
				return []*common.Envelope{h.envelope(del, spd), h.envelope(rr, spr)},
					[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_PHANTOM_READ_CONFLICT}
			},
			wantState: map[string]string{"r1": "", "out": ""},
		},
		{
			name: "a range read stays valid when writes land outside the range",
			run: func(h *harness) ([]*common.Envelope, []peer.TxValidationCode) {
				h.submit("put", "r1", "x")
				rr, spr := h.simulate("rangeput", "r", "s", "out", "done")
				other, spo := h.simulate("put", "z9", "y")
				return []*common.Envelope{h.envelope(other, spo), h.envelope(rr, spr)},
					[]peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_VALID}
			},
			wantState: map[string]string{"out": "done"},
		},
		{
			name: "the same envelope ordered twice is DUPLICATE_TXID the second time",
			run: func(h *harness) ([]*common.Envelope, []peer.TxValidationCode) {
				r, sp := h.simulate("put", "d", "1")
				env := h.envelope(r, sp)
				return []*common.Envelope{env, env}, []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_DUPLICATE_TXID}
			},
			wantState: map[string]string{"d": "1"},
		},
		{
			name: "a tx ID that is not SHA-256(nonce, creator) gets BAD_PROPOSAL_TXID",
			run: func(h *harness) ([]*common.Envelope, []peer.TxValidationCode) {
				r, sp := h.simulate("put", "forged", "1")
				env := h.envelope(r, sp)
				env = rewriteTxID(h.t, env, strings.Repeat("ab", 32))
				return []*common.Envelope{env}, []peer.TxValidationCode{peer.TxValidationCode_BAD_PROPOSAL_TXID}
			},
			wantState: map[string]string{"forged": ""},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, func(o *Options) { o.BatchTimeout = 50 * time.Millisecond })
			envs, want := tc.run(h)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			for _, env := range envs {
				if err := h.l.Order(ctx, env); err != nil {
					t.Fatal(err)
				}
			}
			last, _ := ParseEnvelope(envs[len(envs)-1])
			if _, _, err := h.l.WaitForTx(ctx, last.TxID); err != nil {
				t.Fatal(err)
			}
			waitHeightStable(h)
			for i, env := range envs {
				if i > 0 && env == envs[i-1] {
					// the duplicate: find its flag in the last block
					blk, _ := h.l.Block(h.l.Height() - 1)
					flags := TxValidationFlags(blk)
					if got := flags[len(flags)-1]; got != want[i] {
						t.Fatalf("tx %d: code %v, want %v", i, got, want[i])
					}
					continue
				}
				if got := h.codeInBlock(env); got != want[i] {
					t.Fatalf("tx %d: code %v, want %v", i, got, want[i])
				}
			}
			for k, v := range tc.wantState {
				if got := h.query("get", k); got != v {
					t.Fatalf("state %q = %q, want %q", k, got, v)
				}
			}
			if _, err := h.l.Verify(VerifyOptions{}); err != nil {
				t.Fatalf("Verify: %v", err)
			}
		})
	}
}

// waitHeightStable waits until no block is being cut (two equal heights
// BatchTimeout apart).
func waitHeightStable(h *harness) {
	for {
		a := h.l.Height()
		time.Sleep(2 * h.opts.BatchTimeout)
		if h.l.Height() == a {
			return
		}
	}
}

// rewriteTxID changes the tx ID in the channel header (not re-signed: the
// ledger does not check client signatures).
func rewriteTxID(t testing.TB, env *common.Envelope, txID string) *common.Envelope {
	t.Helper()
	p := &common.Payload{}
	if err := proto.Unmarshal(env.GetPayload(), p); err != nil {
		t.Fatal(err)
	}
	ch := &common.ChannelHeader{}
	if err := proto.Unmarshal(p.GetHeader().GetChannelHeader(), ch); err != nil {
		t.Fatal(err)
	}
	ch.TxId = txID
	p.Header.ChannelHeader = mustMarshal(t, ch)
	return &common.Envelope{Payload: mustMarshal(t, p), Signature: env.GetSignature()}
}

func TestValidateHookMarksTransactions(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	h := newHarness(t, func(o *Options) {
		o.Validate = func(tx *Tx) peer.TxValidationCode {
			mu.Lock()
			seen[tx.TxID] = true
			mu.Unlock()
			for _, ns := range tx.NsRWSets {
				for _, w := range ns.KV.GetWrites() {
					if strings.HasPrefix(w.GetKey(), "deny") {
						return peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE
					}
				}
			}
			return peer.TxValidationCode_VALID
		}
	})
	txOK, _, codeOK := h.submit("put", "allow", "1")
	txBad, _, codeBad := h.submit("put", "deny", "1")
	if codeOK != peer.TxValidationCode_VALID || codeBad != peer.TxValidationCode_ENDORSEMENT_POLICY_FAILURE {
		t.Fatalf("codes = %v, %v", codeOK, codeBad)
	}
	if got := h.query("get", "deny"); got != "" {
		t.Fatalf("writes of a refused transaction were applied: %q", got)
	}
	mu.Lock()
	defer mu.Unlock()
	if !seen[txOK] || !seen[txBad] {
		t.Fatalf("hook saw %v", seen)
	}
}

func TestOrderRefusesBadEnvelopes(t *testing.T) {
	h := newHarness(t, nil)
	good, sp := h.simulate("put", "k", "v")
	goodEnv := h.envelope(good, sp)
	payload := &common.Payload{}
	_ = proto.Unmarshal(goodEnv.GetPayload(), payload)
	chdr := &common.ChannelHeader{}
	_ = proto.Unmarshal(payload.GetHeader().GetChannelHeader(), chdr)
	withHeader := func(mod func(*common.ChannelHeader)) *common.Envelope {
		c := proto.Clone(chdr).(*common.ChannelHeader)
		mod(c)
		p := proto.Clone(payload).(*common.Payload)
		p.Header.ChannelHeader = mustMarshal(t, c)
		return &common.Envelope{Payload: mustMarshal(t, p)}
	}
	tests := []struct {
		name string
		env  *common.Envelope
		want string
	}{
		{"a nil envelope", nil, `ordering transaction: field=envelope value="<nil>" rule=must not be nil`},
		{"a payload that is not protobuf", &common.Envelope{Payload: []byte{0xff, 0xff}}, "ordering transaction: parsing envelope payload: invalid input"},
		{"a payload without header", &common.Envelope{Payload: mustMarshal(t, &common.Payload{Data: []byte("x")})}, `ordering transaction: field=payload.header value="<nil>" rule=must be present`},
		{"another channel", withHeader(func(c *common.ChannelHeader) { c.ChannelId = "other" }), `ordering transaction: field=channel_header.channel_id value="other" rule=must be aeo`},
		{"a config transaction", withHeader(func(c *common.ChannelHeader) { c.Type = int32(common.HeaderType_CONFIG) }), `ordering transaction: field=channel_header.type value="CONFIG" rule=must be ENDORSER_TRANSACTION`},
		{"an empty transaction ID", withHeader(func(c *common.ChannelHeader) { c.TxId = "" }), `ordering transaction: field=channel_header.tx_id value="" rule=must not be empty`},
		{"a message type the ledger does not know", withHeader(func(c *common.ChannelHeader) { c.Type = int32(common.HeaderType_MESSAGE) }), `ordering transaction: field=channel_header.type value="MESSAGE" rule=must be ENDORSER_TRANSACTION or CONFIG`},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused and nothing is written", func(t *testing.T) {
			err := h.l.Order(t.Context(), tc.env)
			if err == nil || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err = %v, want prefix %q", err, tc.want)
			}
			// OrderParsed refuses what parses but is not for this orderer
			// (or no transaction at all) with the same error.
			var tx *Tx
			var parseErr error
			if tc.env != nil {
				tx, parseErr = ParseEnvelope(tc.env)
			}
			if parseErr == nil {
				err := h.l.OrderParsed(t.Context(), tx)
				if err == nil || !errors.Is(err, ErrInvalid) || !strings.HasPrefix(err.Error(), tc.want) {
					t.Fatalf("OrderParsed err = %v, want prefix %q", err, tc.want)
				}
			}
			time.Sleep(3 * h.opts.BatchTimeout)
			if h.l.Height() != 1 {
				t.Fatalf("height = %d, want 1 (genesis only)", h.l.Height())
			}
		})
	}
}

func TestOrderParsedCommitsAParsedEnvelope(t *testing.T) {
	h := newHarness(t, nil)
	res, sp := h.simulate("put", "k", "v")
	tx, err := ParseEnvelope(h.envelope(res, sp))
	if err != nil {
		t.Fatal(err)
	}
	if err := h.l.OrderParsed(t.Context(), tx); err != nil {
		t.Fatalf("OrderParsed: %v", err)
	}
	blk, code, err := h.l.WaitForTx(t.Context(), tx.TxID)
	if err != nil || code != peer.TxValidationCode_VALID || blk != 1 {
		t.Fatalf("commit = block %d, %s, %v; want block 1, VALID", blk, code, err)
	}
	if got := h.query("get", "k"); got != "v" {
		t.Fatalf("k = %q, want v", got)
	}
}

func TestOpenRefusesBadOptions(t *testing.T) {
	signer := newTestIdentity(t, "OrdererMSP", "o")
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"an empty channel", Options{Signer: signer}, `opening ledger: field=ChannelID value="" rule=must not be empty`},
		{"a missing signer", Options{ChannelID: "aeo"}, `opening ledger: field=Signer value="<nil>" rule=must not be nil`},
		{"a negative batch size", Options{ChannelID: "aeo", Signer: signer, BatchSize: -1}, `opening ledger: field=BatchSize value="-1" rule=must not be negative`},
		{"a negative batch timeout", Options{ChannelID: "aeo", Signer: signer, BatchTimeout: -time.Second}, `opening ledger: field=BatchTimeout value="-1s" rule=must not be negative`},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused and nothing is created", func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ledger")
			_, err := Open(dir, tc.opts)
			if err == nil || err.Error() != tc.want || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("ledger directory was created: %v", err)
			}
		})
	}
	t.Run("reopening with another channel is refused", func(t *testing.T) {
		h := newHarness(t, nil)
		_ = h.l.Close()
		opts := h.opts
		opts.ChannelID = "other"
		_, err := Open(h.dir, opts)
		if err == nil || err.Error() != `opening ledger: field=ChannelID value="other" rule=must match the ledger's channel aeo` {
			t.Fatalf("err = %v", err)
		}
		h.open()
	})
}

func TestBlockCutting(t *testing.T) {
	t.Run("a full batch cuts a block without waiting for the timeout", func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.BatchSize = 4; o.BatchTimeout = time.Hour })
		var envs []*common.Envelope
		for i := 0; i < 8; i++ {
			r, sp := h.simulate("put", "k"+itoa(i), "v")
			envs = append(envs, h.envelope(r, sp))
		}
		h.orderAll(envs...)
		if h.l.Height() != 3 {
			t.Fatalf("height = %d, want 3 (genesis + 2 blocks of 4)", h.l.Height())
		}
		for n := uint64(1); n < 3; n++ {
			blk, _ := h.l.Block(n)
			if len(blk.GetData().GetData()) != 4 {
				t.Fatalf("block %d holds %d txs, want 4", n, len(blk.GetData().GetData()))
			}
		}
	})
	t.Run("the timeout cuts a block that is not full", func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.BatchSize = 1000; o.BatchTimeout = 300 * time.Millisecond })
		var envs []*common.Envelope
		for i := 0; i < 3; i++ {
			r, sp := h.simulate("put", "k"+itoa(i), "v")
			envs = append(envs, h.envelope(r, sp))
		}
		h.orderAll(envs...)
		blk, _ := h.l.Block(1)
		if h.l.Height() != 2 || len(blk.GetData().GetData()) != 3 {
			t.Fatalf("height %d, block 1 holds %d txs; want one block of 3", h.l.Height(), len(blk.GetData().GetData()))
		}
	})
	t.Run("Close commits what was accepted before it", func(t *testing.T) {
		h := newHarness(t, func(o *Options) { o.BatchSize = 1000; o.BatchTimeout = time.Hour })
		var ids []string
		for i := 0; i < 3; i++ {
			r, sp := h.simulate("put", "k"+itoa(i), "v")
			if err := h.l.Order(t.Context(), h.envelope(r, sp)); err != nil {
				t.Fatal(err)
			}
			in, _ := ProposalInput(sp)
			ids = append(ids, in.TxID)
		}
		h.reopen()
		for _, id := range ids {
			_, code, found, err := h.l.TxStatus(id)
			if err != nil || !found || code != peer.TxValidationCode_VALID {
				t.Fatalf("tx %s: found %v code %v err %v", id, found, code, err)
			}
		}
	})
}

func TestReopenKeepsEverything(t *testing.T) {
	h := newHarness(t, nil)
	tx1, b1, _ := h.submit("put", "a", "1")
	h.submit("put", "a", "2")
	h.submit("putc", "rec", "r", "S1", "1")
	height, last := h.l.Height(), h.l.LastBlockHash()
	h.reopen()
	if h.l.Height() != height || string(h.l.LastBlockHash()) != string(last) {
		t.Fatalf("after reopen height %d hash %x, want %d %x", h.l.Height(), h.l.LastBlockHash(), height, last)
	}
	if got := h.query("get", "a"); got != "2" {
		t.Fatalf("a = %q", got)
	}
	if got := h.query("prefix", "rec"); got != `[["rec","S1","1"]]` {
		t.Fatalf("prefix = %s", got)
	}
	if got := h.query("history", "a"); !strings.Contains(got, tx1) {
		t.Fatalf("history lost tx %s: %s", tx1, got)
	}
	blk, code, found, err := h.l.TxStatus(tx1)
	if err != nil || !found || blk != b1 || code != peer.TxValidationCode_VALID {
		t.Fatalf("TxStatus = %d %v %v %v", blk, code, found, err)
	}
	_, nb, _ := h.submit("put", "a", "3")
	if nb != height {
		t.Fatalf("first block after reopen is %d, want %d", nb, height)
	}
	if _, err := h.l.Verify(VerifyOptions{}); err != nil {
		t.Fatalf("Verify after reopen: %v", err)
	}
}

// failingSigner signs until it is told to fail.
type failingSigner struct {
	*testIdentity
	mu   sync.Mutex
	fail bool
}

func (f *failingSigner) Sign(msg []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail {
		return nil, errors.New("hsm unplugged")
	}
	return f.testIdentity.Sign(msg)
}

func TestCommitIsAtomic(t *testing.T) {
	fs := &failingSigner{testIdentity: newTestIdentity(t, "OrdererMSP", "o")}
	h := newHarness(t, func(o *Options) { o.Signer = fs })
	h.submit("put", "a", "1")
	height := h.l.Height()

	// The signer fails after state, history and index were written inside
	// the bbolt transaction: all of it must roll back.
	fs.mu.Lock()
	fs.fail = true
	fs.mu.Unlock()
	r, sp := h.simulate("put", "a", "2")
	in, _ := ProposalInput(sp)
	if err := h.l.Order(t.Context(), h.envelope(r, sp)); err != nil {
		t.Fatal(err)
	}
	_, _, err := h.l.WaitForTx(t.Context(), in.TxID)
	if err == nil || !strings.Contains(err.Error(), "hsm unplugged") {
		t.Fatalf("WaitForTx err = %v, want the signing failure", err)
	}
	if err := h.l.Order(t.Context(), h.envelope(r, sp)); err == nil || !errors.Is(err, errBroken) {
		t.Fatalf("Order after a failed commit: err = %v, want errBroken", err)
	}
	fs.mu.Lock()
	fs.fail = false
	fs.mu.Unlock()
	h.reopen()
	if h.l.Height() != height {
		t.Fatalf("height = %d, want %d: the failed block left traces", h.l.Height(), height)
	}
	if _, _, found, _ := h.l.TxStatus(in.TxID); found {
		t.Fatal("the failed block's tx index entry survived")
	}
	if got := h.query("get", "a"); got != "1" {
		t.Fatalf("a = %q, want 1: state of the failed block survived", got)
	}
	if got := h.query("history", "a"); strings.Contains(got, in.TxID) {
		t.Fatalf("history of the failed block survived: %s", got)
	}
	if _, err := h.l.Verify(VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

func TestWaitAndSubscribe(t *testing.T) {
	h := newHarness(t, nil)
	h.submit("put", "a", "1")
	t.Run("WaitForTx of an unknown tx ends with its context", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
		defer cancel()
		if _, _, err := h.l.WaitForTx(ctx, "nope"); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v", err)
		}
		h.l.mu.Lock()
		n := len(h.l.waiters)
		h.l.mu.Unlock()
		if n != 0 {
			t.Fatalf("%d waiters left behind", n)
		}
	})
	t.Run("SubscribeBlocks replays from the start block and then follows, without gaps", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ch, err := h.l.SubscribeBlocks(ctx, 1)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for i := 0; i < 5; i++ {
				h.submit("put", "s"+itoa(i), "v")
			}
		}()
		want := uint64(1)
		for want < 7 {
			select {
			case blk := <-ch:
				if blk.GetHeader().GetNumber() != want {
					t.Fatalf("got block %d, want %d", blk.GetHeader().GetNumber(), want)
				}
				want++
			case <-time.After(10 * time.Second):
				t.Fatalf("no block %d", want)
			}
		}
	})
	t.Run("Close ends subscriptions and waits", func(t *testing.T) {
		r, sp := h.simulate("put", "late", "1")
		late := h.envelope(r, sp)
		ch, err := h.l.SubscribeBlocks(t.Context(), h.l.Height())
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, _, err := h.l.WaitForTx(context.Background(), "never"); done <- err }()
		time.Sleep(10 * time.Millisecond)
		_ = h.l.Close()
		if err := <-done; !errors.Is(err, ErrClosed) {
			t.Fatalf("WaitForTx err = %v, want ErrClosed", err)
		}
		for range ch {
		}
		if err := h.l.Order(t.Context(), late); !errors.Is(err, ErrClosed) {
			t.Fatalf("Order after Close: err = %v, want ErrClosed", err)
		}
		if _, err := h.l.SubscribeBlocks(t.Context(), 0); !errors.Is(err, ErrClosed) {
			t.Fatalf("SubscribeBlocks after Close: err = %v, want ErrClosed", err)
		}
		h.open()
	})
}

func TestPartialRangeValidation(t *testing.T) {
	tests := []struct {
		name   string
		change []string // committed between simulation and commit
		want   peer.TxValidationCode
	}{
		{"a key added after the last key read does not conflict", []string{"put", "c", "3"}, peer.TxValidationCode_VALID},
		{"the key read changing conflicts", []string{"put", "b", "22"}, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
		{"a key added before the last key read conflicts", []string{"put", "ab", "x"}, peer.TxValidationCode_PHANTOM_READ_CONFLICT},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.submit("put", "b", "2")
			h.submit("put", "d", "4")
			r, sp := h.simulate("rangefirst", "a", "z", "out")
			h.submit(tc.change...)
			if got := h.orderAll(h.envelope(r, sp)); got[0] != tc.want {
				t.Fatalf("code = %v, want %v", got[0], tc.want)
			}
		})
	}
}

func TestUnusableWriteSetsAreInvalid(t *testing.T) {
	h := newHarness(t, nil)
	env, _ := benchEnvelope(t, h.client.serialized, "", []byte("v"))
	if got := h.orderAll(env); got[0] != peer.TxValidationCode_INVALID_WRITESET {
		t.Fatalf("code = %v, want INVALID_WRITESET", got[0])
	}
	if _, err := h.l.Verify(VerifyOptions{}); err != nil {
		t.Fatal(err)
	}
}

// TestWaitForTxNeverAnswersBeforeTheBlockIsPublished polls WaitForTx with a
// context that has already ended while blocks commit: whenever it reports a
// transaction, the block holding it must already count in Height (so that
// Deliver and block subscribers can serve it to the client that was told).
func TestWaitForTxNeverAnswersBeforeTheBlockIsPublished(t *testing.T) {
	h := newHarness(t, nil)
	ended, cancel := context.WithCancel(context.Background())
	cancel()
	for i := range 40 {
		res, sp := h.simulate("put", "k"+itoa(i), "v")
		in, _ := ProposalInput(sp)
		if err := h.l.Order(t.Context(), h.envelope(res, sp)); err != nil {
			t.Fatalf("Order: %v", err)
		}
		for {
			blk, _, err := h.l.WaitForTx(ended, in.TxID)
			if err != nil {
				continue // not committed yet
			}
			if height := h.l.Height(); height <= blk {
				t.Fatalf("tx %d reported in block %d while the ledger height is %d", i, blk, height)
			}
			break
		}
	}
}
