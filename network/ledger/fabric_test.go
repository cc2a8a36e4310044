package ledger

import (
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// fabricStyleChain builds blocks the way a Fabric v3 network hands them
// out: an unsigned genesis block (configtxgen), then blocks signed by an
// orderer with Raft-like consenter metadata (no flags digest) or, for BFT,
// with an IdentifierHeader instead of a SignatureHeader, and validation
// flags written by the peer.
func fabricStyleChain(t *testing.T, ord *testIdentity, bft bool) []*common.Block {
	t.Helper()
	genesis := newBlock(0, nil, [][]byte{mustMarshal(t, &common.Envelope{Payload: []byte("config")})})
	genesis.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{0}
	chain := []*common.Block{genesis}
	prev := genesis
	for n := uint64(1); n <= 3; n++ {
		blk := newBlock(n, BlockHeaderHash(prev.Header), [][]byte{[]byte("tx-a"), []byte("tx-b")})
		value := mustMarshal(t, &common.OrdererBlockMetadata{
			LastConfig:        &common.LastConfig{Index: 0},
			ConsenterMetadata: mustMarshal(t, &common.Metadata{Value: []byte("raft-index-and-term")}),
		})
		ms := &common.MetadataSignature{}
		var signedHdr []byte
		if bft {
			ms.IdentifierHeader = mustMarshal(t, &common.IdentifierHeader{Identifier: 3, Nonce: []byte{1, 2}})
			signedHdr = ms.IdentifierHeader
		} else {
			ms.SignatureHeader = mustMarshal(t, &common.SignatureHeader{Creator: ord.serialized, Nonce: []byte{1, 2}})
			signedHdr = ms.SignatureHeader
		}
		sig, err := ord.Sign(concat(value, signedHdr, BlockHeaderBytes(blk.Header)))
		if err != nil {
			t.Fatal(err)
		}
		ms.Signature = sig
		blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = mustMarshal(t, &common.Metadata{Value: value, Signatures: []*common.MetadataSignature{ms}})
		blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{byte(peer.TxValidationCode_VALID), byte(peer.TxValidationCode_MVCC_READ_CONFLICT)}
		chain = append(chain, blk)
		prev = blk
	}
	return chain
}

func TestVerifyChainOnFabricStyleBlocks(t *testing.T) {
	ord := newTestIdentity(t, "OrdererMSP", "orderer1")
	tests := []struct {
		name string
		bft  bool
		opts VerifyOptions
	}{
		{"a Raft chain with an unsigned configtxgen genesis block verifies", false, VerifyOptions{UnsignedGenesis: true}},
		{"a BFT chain signed with identifier headers verifies", true, VerifyOptions{UnsignedGenesis: true, Consenters: map[uint32][]byte{3: ord.serialized}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			chain := fabricStyleChain(t, ord, tc.bft)
			rep, err := VerifyChain(Blocks(chain), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Blocks != 4 || rep.Transactions != 7 || rep.ValidTransactions != 4 {
				t.Fatalf("report = %+v", rep)
			}
			tampered := append([]*common.Block(nil), chain...)
			tampered[2] = proto.Clone(chain[2]).(*common.Block)
			tampered[2].Data.Data[1][0] ^= 1
			_, err = VerifyChain(Blocks(tampered), tc.opts)
			wantVerifyError(t, err, 2, CheckDataHash)
		})
	}
	t.Run("a BFT signature from an unknown consenter is refused", func(t *testing.T) {
		_, err := VerifyChain(Blocks(fabricStyleChain(t, ord, true)), VerifyOptions{UnsignedGenesis: true})
		wantVerifyError(t, err, 1, CheckSigner)
	})
}
