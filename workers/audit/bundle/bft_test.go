package bundle_test

import (
	"context"
	"encoding/pem"
	"iter"
	"slices"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
	"github.com/aeoledger/aeoledger/workers/audit/internal/audittest"
)

// smartBFTChain rewrites the world's chain the way a SmartBFT channel
// would hold it: block 0 is a config block whose /Channel/Orderer/Orderers
// value names the world's orderer as consenter 7, and every later block is
// re-linked and signed by that consenter with an identifier header (its ID
// only, no certificate) over the same signed metadata. The transactions
// are the ones users wrote on the embedded peer.
func smartBFTChain(t *testing.T, w *audittest.World) []*common.Block {
	t.Helper()
	signer, err := w.Node.Network().OrdererSigner()
	require.NoError(t, err)
	serialized, err := signer.Serialize()
	require.NoError(t, err)
	id := &mspproto.SerializedIdentity{}
	require.NoError(t, proto.Unmarshal(serialized, id))
	orderers, err := proto.Marshal(&common.Orderers{ConsenterMapping: []*common.Consenter{
		{Id: 7, Host: "127.0.0.1", Port: 7050, MspId: id.GetMspid(), Identity: id.GetIdBytes()}}})
	require.NoError(t, err)

	l := w.Node.Ledger()
	var out []*common.Block
	var prev []byte
	for n := uint64(0); n < l.Height(); n++ {
		orig, err := l.Block(n)
		require.NoError(t, err)
		blk := proto.Clone(orig).(*common.Block)
		if n == 0 {
			tx, err := ledger.ParseEnvelopeBytes(blk.Data.Data[0])
			require.NoError(t, err)
			cfg := &common.ConfigEnvelope{}
			require.NoError(t, proto.Unmarshal(tx.Payload.Data, cfg))
			cfg.Config.ChannelGroup.Groups["Orderer"].Values["Orderers"] = &common.ConfigValue{Value: orderers, ModPolicy: "Admins"}
			tx.Payload.Data, err = proto.Marshal(cfg)
			require.NoError(t, err)
			env := &common.Envelope{}
			env.Payload, err = proto.Marshal(tx.Payload)
			require.NoError(t, err)
			blk.Data.Data[0], err = proto.Marshal(env)
			require.NoError(t, err)
			blk.Header.DataHash = ledger.BlockDataHash(blk.Data)
		}
		blk.Header.PreviousHash = prev
		md := &common.Metadata{}
		require.NoError(t, proto.Unmarshal(blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], md))
		if n == 0 {
			md.Signatures = nil // configtxgen's genesis blocks are unsigned
		} else {
			ih, err := proto.Marshal(&common.IdentifierHeader{Identifier: 7, Nonce: []byte{byte(n), 1, 2, 3}})
			require.NoError(t, err)
			sig, err := signer.Sign(slices.Concat(md.Value, ih, ledger.BlockHeaderBytes(blk.Header)))
			require.NoError(t, err)
			md.Signatures = []*common.MetadataSignature{{IdentifierHeader: ih, Signature: sig}}
		}
		blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], err = proto.MarshalOptions{Deterministic: true}.Marshal(md)
		require.NoError(t, err)
		out = append(out, blk)
		prev = ledger.BlockHeaderHash(blk.Header)
	}
	return out
}

func sliceSource(blocks []*common.Block) bundle.Source {
	return bundle.SourceFunc(func(_ context.Context, from uint64) iter.Seq2[*common.Block, error] {
		return func(yield func(*common.Block, error) bool) {
			for _, b := range blocks[min(int(from), len(blocks)):] {
				if !yield(b, nil) {
					return
				}
			}
		}
	})
}

// TestSmartBFTBundles builds bundles over a chain signed by SmartBFT
// consenters: the config block that names them is bundled (and read back
// when the scan starts after it), the orderer org's CA is bundled through
// the consenter mapping, and the verifier resolves the signatures from that
// block alone.
func TestSmartBFTBundles(t *testing.T) {
	w := audittest.Start(t)
	chain := smartBFTChain(t, w)
	_, err := ledger.VerifyChain(ledger.Blocks(chain), ledger.VerifyOptions{UnsignedGenesis: true})
	require.NoError(t, err, "the rewritten chain is a valid SmartBFT-style chain")
	ordererMSP := w.Node.Network().Orderer.MSPID
	genesis := bundle.AnchorOf(chain[0].Header)
	head := bundle.AnchorOf(chain[len(chain)-1].Header)

	var firstItemBlock uint64
	cases := []struct {
		name      string
		from      func() uint64
		anchor    bundle.TrustAnchor
		firstHead uint64
	}{
		{"a bundle scanned from block 0 carries the genesis config block and verifies anchored at genesis",
			func() uint64 { return 0 }, genesis, 0},
		{"a bundle scanned from a later block reads the config block and the headers up to the scan, and verifies anchored at the head",
			func() uint64 { return firstItemBlock }, head, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b, err := bundle.Build(ctxT(t), sliceSource(chain), bundle.Query{ShipmentID: w.ShipmentID, FromBlock: tc.from()},
				bundle.BuildOptions{Orgs: bundle.MSPCAs(w.MSPs)})
			require.NoError(t, err)
			if firstItemBlock == 0 {
				firstItemBlock = b.Items[0].Block
				require.GreaterOrEqual(t, firstItemBlock, uint64(1), "the scan then starts after the config block")
			}
			require.Len(t, b.ConfigBlocks, 1)
			assert.Equal(t, uint64(0), b.ConfigBlocks[0].Number)
			assert.Equal(t, tc.firstHead, b.Headers[0].Number)
			var orgs []string
			for _, o := range b.Orgs {
				orgs = append(orgs, o.MSPID)
			}
			assert.Contains(t, orgs, ordererMSP, "the consenter's org is resolved through the config block")
			v := bundle.VerifyBytes(encode(t, b), tc.anchor)
			require.True(t, v.OK, "failures: %v", v.Failures())
			assert.True(t, v.Anchored)
			for _, it := range v.Items {
				found := false
				for _, c := range it.Checks {
					found = found || strings.HasPrefix(c.Name, "block ") && strings.Contains(c.Name, " signed by "+ordererMSP+"/")
				}
				assert.True(t, found, "%s %s: block signed by the consenter", it.Kind, it.ID)
			}
		})
	}

	b, err := bundle.Build(ctxT(t), sliceSource(chain), bundle.Query{ShipmentID: w.ShipmentID}, bundle.BuildOptions{Orgs: bundle.MSPCAs(w.MSPs)})
	require.NoError(t, err)
	raw := encode(t, b)
	otherCert := func(t *testing.T) []byte {
		m, ok := w.MSPs.MSP("ExporterMSP")
		require.True(t, ok)
		return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: m.RootCerts()[0].Raw})
	}
	tampers := []struct {
		name   string
		edit   func(t *testing.T, b *bundle.Bundle)
		want   string
		reason string
	}{
		{"a bundle without the config block cannot name the consenters", func(_ *testing.T, b *bundle.Bundle) { b.ConfigBlocks = nil },
			bundle.CatSignature, "the bundle holds no config block before it"},
		{"a changed byte in the config block fails its data hash and the blocks it names consenters for", func(_ *testing.T, b *bundle.Bundle) {
			d := b.ConfigBlocks[0].Data[0]
			d[len(d)/2] ^= 1
		}, bundle.CatTransaction, "config block 0 data hashes to"},
		{"a consenter swapped in the config block with its data hash unchanged fails the data hash", func(t *testing.T, b *bundle.Bundle) {
			tx, err := ledger.ParseEnvelopeBytes(b.ConfigBlocks[0].Data[0])
			require.NoError(t, err)
			cfg := &common.ConfigEnvelope{}
			require.NoError(t, proto.Unmarshal(tx.Payload.Data, cfg))
			o := &common.Orderers{}
			require.NoError(t, proto.Unmarshal(cfg.Config.ChannelGroup.Groups["Orderer"].Values["Orderers"].Value, o))
			o.ConsenterMapping[0].Identity = otherCert(t)
			cfg.Config.ChannelGroup.Groups["Orderer"].Values["Orderers"].Value, err = proto.Marshal(o)
			require.NoError(t, err)
			tx.Payload.Data, err = proto.Marshal(cfg)
			require.NoError(t, err)
			env := &common.Envelope{}
			env.Payload, err = proto.Marshal(tx.Payload)
			require.NoError(t, err)
			b.ConfigBlocks[0].Data[0], err = proto.Marshal(env)
			require.NoError(t, err)
		}, bundle.CatTransaction, "config block 0 data hashes to"},
		{"a config block moved off the header chain is refused", func(_ *testing.T, b *bundle.Bundle) { b.ConfigBlocks[0].Number = 1 << 40 },
			bundle.CatTransaction, "is not on the bundle's header chain"},
	}
	for _, tc := range tampers {
		t.Run(tc.name, func(t *testing.T) {
			v := bundle.VerifyBytes(tamper(t, raw, func(b *bundle.Bundle) { tc.edit(t, b) }), genesis)
			require.False(t, v.OK)
			assert.Contains(t, v.FailedCategories(), tc.want, "failures: %v", v.Failures())
			assert.Contains(t, strings.Join(v.Failures(), "\n"), tc.reason)
		})
	}
}
