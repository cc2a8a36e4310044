package bundle_test

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
	"github.com/aeoledger/aeoledger/workers/audit/internal/audittest"
)

// BenchmarkVerify measures bundle verification per item next to the bare
// signature checks every item needs (baseline): the partner's secp256k1
// recovery for touchpoints, the creator's and each endorser's ECDSA P-256
// signature, and the block's orderer signature (once per block, shared by
// its items).
func BenchmarkVerify(b *testing.B) {
	w := audittest.Start(b)
	bun := build(b, w, bundle.Query{ShipmentID: w.ShipmentID})
	raw := encode(b, bun)
	items := len(bun.Items)
	b.Run("bundle-verify", func(b *testing.B) {
		for b.Loop() {
			if v := bundle.VerifyBytes(raw, bundle.TrustAnchor{}); !v.OK {
				b.Fatal(v.Failures())
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(items), "ns/item")
		b.ReportMetric(float64(len(raw)), "bundle-bytes")
		b.ReportMetric(float64(items), "items")
	})
	type sigCheck struct {
		cert     *x509.Certificate
		msg, sig []byte
	}
	var ecdsaChecks []sigCheck
	var records []*schemas.Touchpoint
	for _, it := range bun.Items {
		var blk *bundle.Block
		for i := range bun.Blocks {
			if bun.Blocks[i].Number == it.Block {
				blk = &bun.Blocks[i]
			}
		}
		env := &common.Envelope{}
		if err := proto.Unmarshal(blk.Data[it.TxIndex], env); err != nil {
			b.Fatal(err)
		}
		tx, err := ledger.ParseEnvelope(env)
		if err != nil {
			b.Fatal(err)
		}
		ecdsaChecks = append(ecdsaChecks, sigCheck{certOf(b, tx.Creator), env.Payload, env.Signature})
		for _, e := range tx.Endorsements {
			ecdsaChecks = append(ecdsaChecks, sigCheck{certOf(b, e.Endorser), append(append([]byte{}, tx.ProposalResponsePayload...), e.Endorser...), e.Signature})
		}
		if it.Kind == bundle.KindTouchpoint {
			var sr schemas.StoredRecord
			if err := json.Unmarshal(it.Value, &sr); err != nil {
				b.Fatal(err)
			}
			if sr.Record.Signature != "" {
				records = append(records, &sr.Record)
			}
		}
	}
	for _, blk := range bun.Blocks {
		md := &common.Metadata{}
		if err := proto.Unmarshal(blk.Signatures, md); err != nil {
			b.Fatal(err)
		}
		sh := &common.SignatureHeader{}
		if err := proto.Unmarshal(md.Signatures[0].SignatureHeader, sh); err != nil {
			b.Fatal(err)
		}
		var hdr *common.BlockHeader
		for _, h := range bun.Headers {
			if h.Number == blk.Number {
				hdr = headerProto(b, h)
			}
		}
		msg := append(append(append([]byte{}, md.Value...), md.Signatures[0].SignatureHeader...), ledger.BlockHeaderBytes(hdr)...)
		ecdsaChecks = append(ecdsaChecks, sigCheck{certOf(b, sh.Creator), msg, md.Signatures[0].Signature})
	}
	b.Run("baseline-bare-signatures", func(b *testing.B) {
		for b.Loop() {
			for _, c := range ecdsaChecks {
				if err := msp.VerifySignature(c.cert, c.msg, c.sig); err != nil {
					b.Fatal(err)
				}
			}
			for _, r := range records {
				if _, err := schemas.RecoverSigner(r); err != nil {
					b.Fatal(err)
				}
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(items), "ns/item")
		b.ReportMetric(float64(len(ecdsaChecks)+len(records)), "signatures")
	})
}

func certOf(b *testing.B, serialized []byte) *x509.Certificate {
	id := &mspproto.SerializedIdentity{}
	if err := proto.Unmarshal(serialized, id); err != nil {
		b.Fatal(err)
	}
	blk, _ := pem.Decode(id.IdBytes)
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		b.Fatal(err)
	}
	return c
}
