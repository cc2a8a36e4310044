package bundle_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
	"github.com/aeoledger/aeoledger/workers/audit/internal/audittest"
)

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func build(t testing.TB, w *audittest.World, q bundle.Query) *bundle.Bundle {
	t.Helper()
	b, err := bundle.Build(ctxT(t), bundle.LedgerSource(w.Node.Ledger()), q, bundle.BuildOptions{Orgs: bundle.MSPCAs(w.MSPs)})
	require.NoError(t, err)
	return b
}

func encode(t testing.TB, b *bundle.Bundle) []byte {
	t.Helper()
	raw, err := b.Encode()
	require.NoError(t, err)
	return raw
}

func clone(t testing.TB, raw []byte) *bundle.Bundle {
	t.Helper()
	b := &bundle.Bundle{}
	require.NoError(t, json.Unmarshal(raw, b))
	return b
}

// TestBundles runs every bundle test against one real embedded peer.
func TestBundles(t *testing.T) {
	w := audittest.Start(t)
	shipment := build(t, w, bundle.Query{ShipmentID: w.ShipmentID})
	raw := encode(t, shipment)
	t.Run("a shipment bundle verifies and holds every record of the shipment", func(t *testing.T) {
		testShipmentBundle(t, w, raw)
	})
	t.Run("bundles built over Deliver and from the ledger hold the same evidence", func(t *testing.T) {
		testDeliverSource(t, w, shipment)
	})
	t.Run("declaration and container bundles hold their objects", func(t *testing.T) {
		testOtherQueries(t, w)
	})
	t.Run("bad queries are refused and write nothing", func(t *testing.T) {
		testBadQueries(t, w)
	})
	t.Run("trust anchors", func(t *testing.T) { testTrustAnchors(t, w, raw) })
	t.Run("tampering is named", func(t *testing.T) { testTampering(t, w, raw) })
	t.Run("flipping any byte fails verification", func(t *testing.T) { testByteFlips(t, raw) })
}

func testShipmentBundle(t *testing.T, w *audittest.World, raw []byte) {
	v, err := bundle.Verify(bytes.NewReader(raw), bundle.TrustAnchor{})
	require.NoError(t, err)
	require.True(t, v.OK, "failures: %v", v.Failures())
	assert.False(t, v.Anchored, "no trust anchor was given")
	var records []string
	kinds := map[string]int{}
	for _, it := range v.Items {
		kinds[it.Kind]++
		if it.Kind == bundle.KindTouchpoint {
			records = append(records, it.ID)
		}
	}
	assert.ElementsMatch(t, w.RecordIDs, records, "every touchpoint of the shipment, generated incidents included")
	assert.Equal(t, 1, kinds[bundle.KindShipment])
	assert.Equal(t, 1, kinds[bundle.KindDocument])
	assert.GreaterOrEqual(t, kinds[bundle.KindPartner], 4, "the signers' partner registrations")
	assert.Equal(t, 2, kinds[bundle.KindDeclaration], "the shipment's declaration, submitted and amended")
	assert.Equal(t, 2, kinds[bundle.KindAmendment], "its amendment, proposed and approved")

	var text bytes.Buffer
	require.NoError(t, v.WriteText(&text))
	assert.Contains(t, text.String(), "RESULT: VERIFIED (UNANCHORED)")
	js, err := v.JSON()
	require.NoError(t, err)
	var back bundle.Verdict
	require.NoError(t, json.Unmarshal(js, &back))
	assert.Equal(t, len(v.Items), len(back.Items))

	path := filepath.Join(t.TempDir(), "evidence.json")
	b := clone(t, raw)
	sum, err := b.WriteFile(path)
	require.NoError(t, err)
	onDisk, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, raw, onDisk, "the file is the canonical encoding")
	assert.Equal(t, bundle.FileHash(onDisk), sum)
}

func testDeliverSource(t *testing.T, w *audittest.World, fromLedger *bundle.Bundle) {
	c := w.Clients["ExporterMSP/user1"]
	b, err := bundle.Build(ctxT(t), bundle.SourceFunc(c.BlockRange), bundle.Query{ShipmentID: w.ShipmentID}, bundle.BuildOptions{Orgs: bundle.MSPCAs(w.MSPs)})
	require.NoError(t, err)
	assert.Equal(t, fromLedger.Items, b.Items)
	assert.Equal(t, fromLedger.Blocks, b.Blocks)
	v := bundle.VerifyBytes(encode(t, b), bundle.TrustAnchor{})
	assert.True(t, v.OK, "failures: %v", v.Failures())
}

func testOtherQueries(t *testing.T, w *audittest.World) {
	decl := build(t, w, bundle.Query{DeclarationID: w.DeclID})
	kinds := map[string]int{}
	for _, it := range decl.Items {
		kinds[it.Kind]++
	}
	assert.Equal(t, 2, kinds[bundle.KindDeclaration], "submitted, then changed by the approved amendment")
	assert.Equal(t, 2, kinds[bundle.KindAmendment], "proposed, then approved")
	assert.Equal(t, 1, kinds[bundle.KindCompliance], "the anomaly score")
	v := bundle.VerifyBytes(encode(t, decl), bundle.TrustAnchor{})
	assert.True(t, v.OK, "failures: %v", v.Failures())

	var txs []string
	for _, it := range decl.Items {
		if it.Kind == bundle.KindAmendment {
			txs = append(txs, it.TxID)
		}
	}
	byTx := build(t, w, bundle.Query{TxIDs: txs})
	kinds = map[string]int{}
	for _, it := range byTx.Items {
		kinds[it.Kind]++
	}
	assert.Equal(t, map[string]int{bundle.KindAmendment: 2, bundle.KindDeclaration: 1}, kinds,
		"the proposal and the approval, which also rewrote the declaration")
	v = bundle.VerifyBytes(encode(t, byTx), bundle.TrustAnchor{})
	assert.True(t, v.OK, "failures: %v", v.Failures())

	cont := build(t, w, bundle.Query{ContainerNumber: w.Container})
	n := 0
	for _, it := range cont.Items {
		if it.Kind == bundle.KindTouchpoint {
			n++
		}
	}
	assert.Equal(t, 5, n, "gate-in, seal affixed, loaded, arrived, seal verified")
	v = bundle.VerifyBytes(encode(t, cont), bundle.TrustAnchor{})
	assert.True(t, v.OK, "failures: %v", v.Failures())
}

func testBadQueries(t *testing.T, w *audittest.World) {
	src := bundle.LedgerSource(w.Node.Ledger())
	opts := bundle.BuildOptions{Orgs: bundle.MSPCAs(w.MSPs)}
	cases := []struct {
		name  string
		q     bundle.Query
		opts  bundle.BuildOptions
		field string
		want  string
	}{
		{"an empty query names the rule", bundle.Query{}, opts, "query", `field=query value="(empty)" rule=exactly one of shipmentId, containerNumber, declarationId, txIds must be set`},
		{"two selectors are refused", bundle.Query{ShipmentID: "S1", DeclarationID: "D1"}, opts, "query", `field=query value="shipment S1, declaration D1" rule=exactly one of shipmentId, containerNumber, declarationId, txIds must be set`},
		{"a container number with a wrong check digit is refused", bundle.Query{ContainerNumber: "MSCU1234560"}, opts, "query.containerNumber", "field=query.containerNumber"},
		{"a shipment ID with a slash is refused", bundle.Query{ShipmentID: "../x"}, opts, "query.shipmentId", "field=query.shipmentId"},
		{"missing CA resolver is refused", bundle.Query{ShipmentID: "S1"}, bundle.BuildOptions{}, "BuildOptions.Orgs", `field=BuildOptions.Orgs value="nil" rule=a CA resolver is required`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := bundle.Build(ctxT(t), src, tc.q, tc.opts)
			require.ErrorIs(t, err, schemas.ErrInvalid)
			var fe *schemas.FieldError
			require.ErrorAs(t, err, &fe)
			assert.Equal(t, tc.field, fe.Field)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
	t.Run("an unknown shipment is not found and nothing is written", func(t *testing.T) {
		dir := t.TempDir()
		b, err := bundle.Build(ctxT(t), src, bundle.Query{ShipmentID: "NO-SUCH"}, opts)
		require.ErrorIs(t, err, bundle.ErrNotFound)
		assert.Nil(t, b)
		entries, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Empty(t, entries)
	})
}

func testTrustAnchors(t *testing.T, w *audittest.World, raw []byte) {
	l := w.Node.Ledger()
	genesis, err := l.Block(0)
	require.NoError(t, err)
	b := clone(t, raw)
	cases := []struct {
		name     string
		anchor   string
		anchored bool
		ok       bool
	}{
		{"the bundle's checkpoint given as anchor anchors it", b.Checkpoint.String(), true, true},
		{"the genesis block hash anchors it", "0:" + hex.EncodeToString(ledger.BlockHeaderHash(genesis.Header)), true, true},
		{"a wrong hash for the checkpoint block fails the block link", b.Checkpoint.WithHash(strings.Repeat("ab", 32)).String(), false, false},
		{"an anchor beyond the bundle's headers fails the block link", b.Checkpoint.WithBlock(b.Checkpoint.Block + 100).String(), false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ta, err := bundle.ParseTrustAnchor(tc.anchor)
			require.NoError(t, err)
			v := bundle.VerifyBytes(raw, ta)
			assert.Equal(t, tc.anchored, v.Anchored)
			assert.Equal(t, tc.ok, v.OK, "failures: %v", v.Failures())
			if !tc.ok {
				assert.Contains(t, v.FailedCategories(), bundle.CatBlockLink)
			}
		})
	}
	t.Run("pinned CA fingerprints must cover every bundled CA", func(t *testing.T) {
		var pins []string
		for _, o := range b.Orgs {
			blk, _ := pem.Decode([]byte(o.RootCerts[0]))
			pins = append(pins, bundle.CertFingerprint(blk.Bytes))
		}
		v := bundle.VerifyBytes(raw, bundle.TrustAnchor{CAFingerprints: pins})
		assert.True(t, v.OK, "failures: %v", v.Failures())
		v = bundle.VerifyBytes(raw, bundle.TrustAnchor{CAFingerprints: pins[1:]})
		assert.False(t, v.OK)
		assert.Equal(t, []string{bundle.CatCertificate}, v.FailedCategories()[:1])
	})
	t.Run("malformed trust anchors name the field and the rule", func(t *testing.T) {
		for in, rule := range map[string]string{
			"12":                           "must be BLOCK:HEADERHASH",
			"x:" + strings.Repeat("a", 64): "block number must be a decimal integer",
			"1:abc":                        "header hash must be 64 hex digits",
		} {
			_, err := bundle.ParseTrustAnchor(in)
			require.ErrorIs(t, err, schemas.ErrInvalid, in)
			assert.Contains(t, err.Error(), "field=trust-anchor")
			assert.Contains(t, err.Error(), rule)
		}
	})
}

// tamper returns a bundle changed by f and re-encoded with a fixed digest,
// as a forger would: only the cryptographic checks can catch it.
func tamper(t *testing.T, raw []byte, f func(b *bundle.Bundle)) []byte {
	b := clone(t, raw)
	f(b)
	return encode(t, b)
}

func firstItem(b *bundle.Bundle, kind string) *bundle.Item {
	for i := range b.Items {
		if b.Items[i].Kind == kind {
			return &b.Items[i]
		}
	}
	return nil
}

func blockOf(b *bundle.Bundle, n uint64) *bundle.Block {
	for i := range b.Blocks {
		if b.Blocks[i].Number == n {
			return &b.Blocks[i]
		}
	}
	return nil
}

// editEnvelope changes the envelope of an item's transaction.
func editEnvelope(t *testing.T, b *bundle.Bundle, it *bundle.Item, f func(env *common.Envelope, tx *ledger.Tx)) {
	blk := blockOf(b, it.Block)
	env := &common.Envelope{}
	require.NoError(t, proto.Unmarshal(blk.Data[it.TxIndex], env))
	tx, err := ledger.ParseEnvelope(env)
	require.NoError(t, err)
	f(env, tx)
	out, err := proto.Marshal(env)
	require.NoError(t, err)
	blk.Data[it.TxIndex] = out
}

func otherCA(t *testing.T) string {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "ca.forger.example"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	require.NoError(t, err)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func testTampering(t *testing.T, w *audittest.World, raw []byte) {
	cases := []struct {
		name   string
		edit   func(t *testing.T, b *bundle.Bundle)
		want   string // the category that must be named
		reason string // a phrase the failure must contain
	}{
		{"a changed record field fails the record", func(t *testing.T, b *bundle.Bundle) {
			it := firstItem(b, bundle.KindTouchpoint)
			it.Value = json.RawMessage(strings.Replace(string(it.Value), `"NLRTM"`, `"NLAMS"`, 1))
		}, bundle.CatRecord, "differs from what transaction"},
		{"a record whose signature is swapped fails the partner signature", func(t *testing.T, b *bundle.Bundle) {
			var recs []*bundle.Item
			for i := range b.Items {
				if b.Items[i].Kind == bundle.KindTouchpoint {
					recs = append(recs, &b.Items[i])
				}
			}
			var a, o map[string]any
			require.NoError(t, json.Unmarshal(recs[0].Value, &a))
			require.NoError(t, json.Unmarshal(recs[1].Value, &o))
			a["record"].(map[string]any)["signature"] = o["record"].(map[string]any)["signature"]
			recs[0].Value, _ = json.Marshal(a)
		}, bundle.CatSignature, "partner signature"},
		{"a changed creator signature fails the signature and the data hash", func(t *testing.T, b *bundle.Bundle) {
			editEnvelope(t, b, firstItem(b, bundle.KindTouchpoint), func(env *common.Envelope, _ *ledger.Tx) { env.Signature[10] ^= 1 })
		}, bundle.CatSignature, "creator signature"},
		{"a changed endorsement fails the endorsement", func(t *testing.T, b *bundle.Bundle) {
			editEnvelope(t, b, firstItem(b, bundle.KindTouchpoint), func(env *common.Envelope, tx *ledger.Tx) {
				pl := &common.Payload{}
				require.NoError(t, proto.Unmarshal(env.Payload, pl))
				ptx := &peer.Transaction{}
				require.NoError(t, proto.Unmarshal(pl.Data, ptx))
				cap := &peer.ChaincodeActionPayload{}
				require.NoError(t, proto.Unmarshal(ptx.Actions[0].Payload, cap))
				cap.Action.Endorsements[0].Signature[12] ^= 1
				ptx.Actions[0].Payload, _ = proto.Marshal(cap)
				pl.Data, _ = proto.Marshal(ptx)
				env.Payload, _ = proto.Marshal(pl)
			})
		}, bundle.CatSignature, "endorsement by"},
		{"a transaction moved to another index fails the transaction", func(t *testing.T, b *bundle.Bundle) {
			it := firstItem(b, bundle.KindTouchpoint)
			it.TxIndex = len(blockOf(b, it.Block).Data)
		}, bundle.CatTransaction, "no index"},
		{"a block data entry changed after signing fails the data hash", func(t *testing.T, b *bundle.Bundle) {
			it := firstItem(b, bundle.KindTouchpoint)
			blk := blockOf(b, it.Block)
			blk.Data[it.TxIndex] = append(append([]byte{}, blk.Data[it.TxIndex]...), 0x0a, 0x00)
		}, bundle.CatTransaction, "data-hash"},
		{"a changed block signature fails the signature", func(t *testing.T, b *bundle.Bundle) {
			blk := blockOf(b, firstItem(b, bundle.KindTouchpoint).Block)
			md := &common.Metadata{}
			require.NoError(t, proto.Unmarshal(blk.Signatures, md))
			md.Signatures[0].Signature[9] ^= 1
			blk.Signatures, _ = proto.MarshalOptions{Deterministic: true}.Marshal(md)
		}, bundle.CatSignature, "block"},
		{"a transaction flagged invalid by the orderer fails the transaction", func(t *testing.T, b *bundle.Bundle) {
			it := firstItem(b, bundle.KindTouchpoint)
			blk := blockOf(b, it.Block)
			blk.Flags[it.TxIndex] = byte(peer.TxValidationCode_MVCC_READ_CONFLICT)
		}, bundle.CatTransaction, "flags"},
		{"a changed header hash breaks the block link", func(t *testing.T, b *bundle.Bundle) {
			b.Headers[len(b.Headers)/2].DataHash = strings.Repeat("00", 32)
		}, bundle.CatBlockLink, "previous hash"},
		{"a dropped header breaks the block link", func(t *testing.T, b *bundle.Bundle) {
			b.Headers = append(b.Headers[:3], b.Headers[4:]...)
		}, bundle.CatBlockLink, "follows header"},
		{"a checkpoint that is not on the chain breaks the block link", func(t *testing.T, b *bundle.Bundle) {
			b.Checkpoint.Hash = strings.Repeat("11", 32)
		}, bundle.CatBlockLink, "checkpoint"},
		{"a replaced org CA fails the certificate", func(t *testing.T, b *bundle.Bundle) {
			for i := range b.Orgs {
				if b.Orgs[i].MSPID == "CarrierMSP" {
					b.Orgs[i].RootCerts = []string{otherCA(t)}
				}
			}
		}, bundle.CatCertificate, "does not chain to the CarrierMSP CA"},
		{"a missing orderer org fails the block signer certificate", func(t *testing.T, b *bundle.Bundle) {
			var keep []bundle.Org
			for _, o := range b.Orgs {
				if !strings.Contains(o.MSPID, "Orderer") {
					keep = append(keep, o)
				}
			}
			require.Less(t, len(keep), len(b.Orgs))
			b.Orgs = keep
		}, bundle.CatCertificate, "not among the bundle's organisations"},
		{"a CA whose validity was edited fails its self-signature", func(t *testing.T, b *bundle.Bundle) {
			blk, _ := pem.Decode([]byte(b.Orgs[0].RootCerts[0]))
			der := append([]byte{}, blk.Bytes...)
			i := bytes.Index(der, []byte("Z")) // the end of the first UTCTime: NotBefore
			der[i-1] ^= 1
			b.Orgs[0].RootCerts[0] = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		}, bundle.CatCertificate, "self-signed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := bundle.VerifyBytes(tamper(t, raw, func(b *bundle.Bundle) { tc.edit(t, b) }), bundle.TrustAnchor{})
			require.False(t, v.OK)
			assert.Contains(t, v.FailedCategories(), tc.want)
			assert.Contains(t, strings.Join(v.Failures(), "\n"), tc.reason)
		})
	}
	bundleCases := []struct {
		name   string
		raw    func() []byte
		reason string
	}{
		{"a digest left stale fails the digest", func() []byte {
			return bytes.Replace(raw, []byte(`"NLRTM"`), []byte(`"NLAMS"`), 1)
		}, "digest"},
		{"an unknown field fails the format", func() []byte {
			return bytes.Replace(raw, []byte(`{"blocks"`), []byte(`{"extra":1,"blocks"`), 1)
		}, "unknown field"},
		{"whitespace fails the canonical encoding", func() []byte { return append(append([]byte{}, raw...), ' ') }, "canonical"},
		{"another format version is refused", func() []byte {
			return bytes.Replace(raw, []byte(bundle.Format), []byte("aeoledger-bundle/9"), 1)
		}, "aeoledger-bundle/9"},
	}
	for _, tc := range bundleCases {
		t.Run(tc.name, func(t *testing.T) {
			v := bundle.VerifyBytes(tc.raw(), bundle.TrustAnchor{})
			require.False(t, v.OK)
			assert.Contains(t, v.FailedCategories(), bundle.CatBundle)
			assert.Contains(t, strings.Join(v.Failures(), "\n"), tc.reason)
		})
	}
}

// testByteFlips flips one bit at evenly spread positions of the file. Each
// verification takes ~50 ms (~0.5 s under -race), so the file is sampled
// rather than swept; the canonical-encoding and digest checks make every
// position fail by construction, and the cases above show which check names
// which part.
func testByteFlips(t *testing.T, raw []byte) {
	samples := 96
	if testing.Short() || raceEnabled {
		samples = 24
	}
	step := len(raw) / samples
	if step == 0 {
		step = 1
	}
	for pos := 0; pos < len(raw); pos += step {
		flipped := append([]byte{}, raw...)
		flipped[pos] ^= 0x01
		v := bundle.VerifyBytes(flipped, bundle.TrustAnchor{})
		if v.OK {
			t.Errorf("flipping byte %d (%q) still verifies", pos, raw[max(0, pos-20):min(len(raw), pos+20)])
		}
	}
}

func headerProto(t testing.TB, h bundle.Header) *common.BlockHeader {
	ph, err := hex.DecodeString(h.PreviousHash)
	require.NoError(t, err)
	dh, err := hex.DecodeString(h.DataHash)
	require.NoError(t, err)
	return &common.BlockHeader{Number: h.Number, PreviousHash: ph, DataHash: dh}
}
