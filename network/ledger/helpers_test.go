package ledger

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"strconv"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	testChannel   = "aeo"
	testChaincode = "testcc"
)

// testIdentity is an ECDSA P-256 identity with a self-signed certificate,
// signing like Fabric's BCCSP (SHA-256, DER, low-S).
type testIdentity struct {
	mspID      string
	key        *ecdsa.PrivateKey
	cert       *x509.Certificate
	serialized []byte
}

func newTestIdentity(t testing.TB, mspID, cn string) *testIdentity {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Organization: []string{mspID}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	ser, err := proto.Marshal(&mspproto.SerializedIdentity{Mspid: mspID, IdBytes: pemBytes})
	if err != nil {
		t.Fatal(err)
	}
	return &testIdentity{mspID: mspID, key: key, cert: cert, serialized: ser}
}

func (id *testIdentity) Serialize() ([]byte, error) { return id.serialized, nil }

func (id *testIdentity) Sign(msg []byte) ([]byte, error) {
	digest := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, id.key, digest[:])
	if err != nil {
		return nil, err
	}
	if half := halfOrder(id.key.Curve); s.Cmp(half) > 0 {
		s.Sub(id.key.Curve.Params().N, s)
	}
	return asn1.Marshal(ecdsaSig{R: r, S: s})
}

// testCC is a tiny chaincode exercising the stub. Functions:
//
//	put k v | get k | del k | readput k v | putc type v attrs... |
//	range start end | prefix type attrs... | page type size bookmark |
//	rangepage start end size bookmark | history k | event name payload |
//	info | panic | call method
type testCC struct{}

func (testCC) Init(stub shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (testCC) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	fn, args := stub.GetFunctionAndParameters()
	out, err := runTestFn(stub, fn, args)
	if err != nil {
		return shim.Error(err.Error())
	}
	return shim.Success(out)
}

func jsonOut(v any) ([]byte, error) { return json.Marshal(v) }

type kvOut struct {
	Key   string
	Value string
}

func drain(it shim.StateQueryIteratorInterface) ([]kvOut, error) {
	var out []kvOut
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return nil, err
		}
		out = append(out, kvOut{kv.GetKey(), string(kv.GetValue())})
	}
	return out, it.Close()
}

func runTestFn(stub shim.ChaincodeStubInterface, fn string, args []string) ([]byte, error) {
	switch fn {
	case "put":
		return nil, stub.PutState(args[0], []byte(args[1]))
	case "get":
		return stub.GetState(args[0])
	case "del":
		return nil, stub.DelState(args[0])
	case "readput":
		if _, err := stub.GetState(args[0]); err != nil {
			return nil, err
		}
		return nil, stub.PutState(args[0], []byte(args[1]))
	case "putget":
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return nil, err
		}
		return stub.GetState(args[0])
	case "putc":
		key, err := stub.CreateCompositeKey(args[0], args[2:])
		if err != nil {
			return nil, err
		}
		return nil, stub.PutState(key, []byte(args[1]))
	case "range":
		it, err := stub.GetStateByRange(args[0], args[1])
		if err != nil {
			return nil, err
		}
		kvs, err := drain(it)
		if err != nil {
			return nil, err
		}
		return jsonOut(kvs)
	case "rangeput":
		it, err := stub.GetStateByRange(args[0], args[1])
		if err != nil {
			return nil, err
		}
		if _, err := drain(it); err != nil {
			return nil, err
		}
		return nil, stub.PutState(args[2], []byte(args[3]))
	case "prefix":
		it, err := stub.GetStateByPartialCompositeKey(args[0], args[1:])
		if err != nil {
			return nil, err
		}
		var parts [][]string
		for it.HasNext() {
			kv, err := it.Next()
			if err != nil {
				return nil, err
			}
			typ, attrs, err := stub.SplitCompositeKey(kv.GetKey())
			if err != nil {
				return nil, err
			}
			parts = append(parts, append([]string{typ}, attrs...))
		}
		return jsonOut(parts)
	case "page", "rangepage":
		var it shim.StateQueryIteratorInterface
		var md *peer.QueryResponseMetadata
		var err error
		if fn == "page" {
			size, _ := strconv.Atoi(args[1])
			it, md, err = stub.GetStateByPartialCompositeKeyWithPagination(args[0], nil, int32(size), args[2])
		} else {
			size, _ := strconv.Atoi(args[2])
			it, md, err = stub.GetStateByRangeWithPagination(args[0], args[1], int32(size), args[3])
		}
		if err != nil {
			return nil, err
		}
		kvs, err := drain(it)
		if err != nil {
			return nil, err
		}
		return jsonOut(map[string]any{"kvs": kvs, "count": md.GetFetchedRecordsCount(), "bookmark": md.GetBookmark()})
	case "pageput":
		if _, _, err := stub.GetStateByRangeWithPagination("", "", 10, ""); err != nil {
			return nil, err
		}
		return nil, stub.PutState(args[0], []byte(args[1]))
	case "putpage":
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return nil, err
		}
		_, _, err := stub.GetStateByRangeWithPagination("", "", 10, "")
		return nil, err
	case "rangefirst":
		// reads only the first key of the range, then writes
		it, err := stub.GetStateByRange(args[0], args[1])
		if err != nil {
			return nil, err
		}
		if _, err := it.Next(); err != nil {
			return nil, err
		}
		if err := it.Close(); err != nil {
			return nil, err
		}
		return nil, stub.PutState(args[2], []byte("seen"))
	case "multi":
		vals, err := stub.GetMultipleStates(args...)
		if err != nil {
			return nil, err
		}
		var out []string
		for _, v := range vals {
			out = append(out, string(v))
		}
		return jsonOut(out)
	case "allcomposite":
		stub.StartWriteBatch()
		if err := stub.FinishWriteBatch(); err != nil {
			return nil, err
		}
		it, md, err := stub.GetAllStatesCompositeKeyWithPagination(2, "")
		if err != nil {
			return nil, err
		}
		kvs, err := drain(it)
		if err != nil {
			return nil, err
		}
		var keys []string
		for _, kv := range kvs {
			_, attrs, err := stub.SplitCompositeKey(kv.Key)
			if err != nil {
				return nil, err
			}
			keys = append(keys, attrs...)
		}
		return jsonOut(map[string]any{"keys": keys, "bookmark": md.GetBookmark() != ""})
	case "history":
		it, err := stub.GetHistoryForKey(args[0])
		if err != nil {
			return nil, err
		}
		var out []map[string]any
		for it.HasNext() {
			m, err := it.Next()
			if err != nil {
				return nil, err
			}
			out = append(out, map[string]any{"tx": m.GetTxId(), "value": string(m.GetValue()), "del": m.GetIsDelete(), "ts": m.GetTimestamp().AsTime().UnixNano()})
		}
		return jsonOut(out)
	case "event":
		if err := stub.PutState("evkey", []byte(args[1])); err != nil {
			return nil, err
		}
		return nil, stub.SetEvent(args[0], []byte(args[1]))
	case "info":
		creator, _ := stub.GetCreator()
		transient, _ := stub.GetTransient()
		ts, err := stub.GetTxTimestamp()
		if err != nil {
			return nil, err
		}
		sp, _ := stub.GetSignedProposal()
		binding, _ := stub.GetBinding()
		slice, _ := stub.GetArgsSlice()
		return jsonOut(map[string]any{
			"tx": stub.GetTxID(), "channel": stub.GetChannelID(), "creator": creator,
			"transient": transient, "ts": ts.AsTime().UnixNano(), "hasProposal": sp != nil,
			"binding": binding, "args": stub.GetStringArgs(), "argsSlice": string(slice),
			"decorations": stub.GetDecorations(),
		})
	case "panic":
		panic("test chaincode panics")
	default:
		return nil, fmt.Errorf("unknown function %q", fn)
	}
}

// harness is an open ledger plus identities to make transactions with.
type harness struct {
	t       testing.TB
	l       *Ledger
	dir     string
	orderer *testIdentity
	client  *testIdentity
	peer    *testIdentity
	opts    Options
}

func newHarness(t testing.TB, mod func(*Options)) *harness {
	t.Helper()
	h := &harness{
		t:       t,
		dir:     t.TempDir(),
		orderer: newTestIdentity(t, "OrdererMSP", "orderer0"),
		client:  newTestIdentity(t, "ExporterMSP", "user1"),
		peer:    newTestIdentity(t, "ExporterMSP", "peer0"),
	}
	h.opts = Options{ChannelID: testChannel, Signer: h.orderer, BatchSize: 10, BatchTimeout: 5 * time.Millisecond, NoSync: true}
	if mod != nil {
		mod(&h.opts)
	}
	h.open()
	t.Cleanup(func() { _ = h.l.Close() })
	return h
}

func (h *harness) open() {
	h.t.Helper()
	l, err := Open(h.dir, h.opts)
	if err != nil {
		h.t.Fatalf("Open: %v", err)
	}
	h.l = l
}

func (h *harness) reopen() {
	h.t.Helper()
	if err := h.l.Close(); err != nil {
		h.t.Fatalf("Close: %v", err)
	}
	h.open()
}

// proposal builds a signed proposal for the test chaincode, as a Fabric
// client would.
func (h *harness) proposal(args ...string) *peer.SignedProposal {
	h.t.Helper()
	nonce := make([]byte, 24)
	_, _ = rand.Read(nonce)
	txID := ComputeTxID(nonce, h.client.serialized)
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	cis := &peer.ChaincodeInvocationSpec{ChaincodeSpec: &peer.ChaincodeSpec{
		Type:        peer.ChaincodeSpec_GOLANG,
		ChaincodeId: &peer.ChaincodeID{Name: testChaincode},
		Input:       &peer.ChaincodeInput{Args: bargs, Decorations: map[string][]byte{"deco": []byte("x")}},
	}}
	input := mustMarshal(h.t, cis)
	payload := mustMarshal(h.t, &peer.ChaincodeProposalPayload{Input: input, TransientMap: map[string][]byte{"secret": []byte("s3")}})
	chdr := mustMarshal(h.t, &common.ChannelHeader{
		Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: testChannel, TxId: txID,
		Timestamp: timestamppb.Now(), Epoch: 0,
		Extension: mustMarshal(h.t, &peer.ChaincodeHeaderExtension{ChaincodeId: &peer.ChaincodeID{Name: testChaincode}}),
	})
	shdr := mustMarshal(h.t, &common.SignatureHeader{Creator: h.client.serialized, Nonce: nonce})
	prop := mustMarshal(h.t, &peer.Proposal{Header: mustMarshal(h.t, &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}), Payload: payload})
	sig, err := h.client.Sign(prop)
	if err != nil {
		h.t.Fatal(err)
	}
	return &peer.SignedProposal{ProposalBytes: prop, Signature: sig}
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// simulate runs the test chaincode for a fresh proposal.
func (h *harness) simulate(args ...string) (*SimulationResult, *peer.SignedProposal) {
	h.t.Helper()
	sp := h.proposal(args...)
	in, err := ProposalInput(sp)
	if err != nil {
		h.t.Fatalf("ProposalInput: %v", err)
	}
	in.Chaincode = testCC{}
	res, err := h.l.Simulate(context.Background(), in)
	if err != nil {
		h.t.Fatalf("Simulate %v: %v", args, err)
	}
	return res, sp
}

// envelope turns a simulation into the transaction envelope a Fabric
// client submits: one action endorsed by the test peer, signed by the client.
func (h *harness) envelope(res *SimulationResult, sp *peer.SignedProposal) *common.Envelope {
	h.t.Helper()
	prop := &peer.Proposal{}
	if err := proto.Unmarshal(sp.GetProposalBytes(), prop); err != nil {
		h.t.Fatal(err)
	}
	hdr := &common.Header{}
	if err := proto.Unmarshal(prop.GetHeader(), hdr); err != nil {
		h.t.Fatal(err)
	}
	act, err := res.ChaincodeAction(&peer.ChaincodeID{Name: testChaincode})
	if err != nil {
		h.t.Fatal(err)
	}
	propHash := sha256.Sum256(sp.GetProposalBytes())
	prp := mustMarshal(h.t, &peer.ProposalResponsePayload{ProposalHash: propHash[:], Extension: mustMarshal(h.t, act)})
	esig, err := h.peer.Sign(append(append([]byte(nil), prp...), h.peer.serialized...))
	if err != nil {
		h.t.Fatal(err)
	}
	cap := mustMarshal(h.t, &peer.ChaincodeActionPayload{
		ChaincodeProposalPayload: prop.GetPayload(),
		Action: &peer.ChaincodeEndorsedAction{
			ProposalResponsePayload: prp,
			Endorsements:            []*peer.Endorsement{{Endorser: h.peer.serialized, Signature: esig}},
		},
	})
	txb := mustMarshal(h.t, &peer.Transaction{Actions: []*peer.TransactionAction{{Header: hdr.GetSignatureHeader(), Payload: cap}}})
	payload := mustMarshal(h.t, &common.Payload{Header: hdr, Data: txb})
	sig, err := h.client.Sign(payload)
	if err != nil {
		h.t.Fatal(err)
	}
	return &common.Envelope{Payload: payload, Signature: sig}
}

// submit simulates, orders and waits for the commit; it returns the tx ID,
// block number and validation code.
func (h *harness) submit(args ...string) (string, uint64, peer.TxValidationCode) {
	h.t.Helper()
	res, sp := h.simulate(args...)
	if res.Response.GetStatus() != shim.OK {
		h.t.Fatalf("chaincode %v: %d %s", args, res.Response.GetStatus(), res.Response.GetMessage())
	}
	env := h.envelope(res, sp)
	in, _ := ProposalInput(sp)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := h.l.Order(ctx, env); err != nil {
		h.t.Fatalf("Order: %v", err)
	}
	blk, code, err := h.l.WaitForTx(ctx, in.TxID)
	if err != nil {
		h.t.Fatalf("WaitForTx: %v", err)
	}
	return in.TxID, blk, code
}

// query simulates and returns the response payload (nothing is ordered).
func (h *harness) query(args ...string) string {
	h.t.Helper()
	res, _ := h.simulate(args...)
	if res.Response.GetStatus() != shim.OK {
		h.t.Fatalf("chaincode %v: %d %s", args, res.Response.GetStatus(), res.Response.GetMessage())
	}
	return string(res.Response.GetPayload())
}

func asn1Unmarshal(b []byte, v any) ([]byte, error) { return asn1.Unmarshal(b, v) }

func asn1Marshal(t testing.TB, v any) []byte {
	t.Helper()
	b, err := asn1.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
