package ledger

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/asn1"
	"fmt"
	"math"
	"math/big"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/orderer"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// asn1BlockHeader is the structure Fabric hashes for a block header.
type asn1BlockHeader struct {
	Number       *big.Int
	PreviousHash []byte
	DataHash     []byte
}

// BlockHeaderBytes returns the ASN.1 DER encoding of (Number, PreviousHash,
// DataHash), the bytes Fabric hashes and signs for a block header.
func BlockHeaderBytes(h *common.BlockHeader) []byte {
	der, err := asn1.Marshal(asn1BlockHeader{
		Number:       new(big.Int).SetUint64(h.GetNumber()),
		PreviousHash: h.GetPreviousHash(),
		DataHash:     h.GetDataHash(),
	})
	if err != nil {
		// A big.Int and two byte slices always encode.
		panic(fmt.Sprintf("encoding block header: %v", err))
	}
	return der
}

// BlockHeaderHash is SHA-256 of BlockHeaderBytes: the hash the next block's
// PreviousHash must hold.
func BlockHeaderHash(h *common.BlockHeader) []byte {
	sum := sha256.Sum256(BlockHeaderBytes(h))
	return sum[:]
}

// BlockDataHash is Fabric v3's data hash: SHA-256 over the concatenated
// data entries.
func BlockDataHash(d *common.BlockData) []byte {
	h := sha256.New()
	for _, e := range d.GetData() {
		h.Write(e)
	}
	return h.Sum(nil)
}

// FlagsDigestPrefix marks the consenter metadata of embedded-ledger blocks:
// it is followed by SHA-256 of the TRANSACTIONS_FILTER bytes, so the
// orderer's signature also covers the validation flags (on Fabric the flags
// are written by each peer and are not signed). Readers outside this
// package (the audit bundle) test for it to know the flags are signed.
const FlagsDigestPrefix = "aeoledger/flags-sha256:"

func flagsConsenterMetadata(flags []byte) []byte {
	sum := sha256.Sum256(flags)
	return append([]byte(FlagsDigestPrefix), sum[:]...)
}

// signBlock fills the SIGNATURES metadata the way a Fabric v3 orderer does:
// Metadata{Value: OrdererBlockMetadata{LastConfig, ConsenterMetadata},
// Signatures: [{SignatureHeader, Signature}]}, the signature being over
// Value ++ SignatureHeader ++ BlockHeaderBytes(header).
func signBlock(blk *common.Block, signer BlockSigner, signerID []byte, lastConfig uint64, consenterMetadata []byte) error {
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return fmt.Errorf("making signature nonce: %w", err)
	}
	sigHdr, err := proto.Marshal(&common.SignatureHeader{Creator: signerID, Nonce: nonce})
	if err != nil {
		return fmt.Errorf("marshalling signature header: %w", err)
	}
	cm, err := proto.Marshal(&common.Metadata{Value: consenterMetadata})
	if err != nil {
		return fmt.Errorf("marshalling consenter metadata: %w", err)
	}
	value, err := proto.Marshal(&common.OrdererBlockMetadata{
		LastConfig:        &common.LastConfig{Index: lastConfig},
		ConsenterMetadata: cm,
	})
	if err != nil {
		return fmt.Errorf("marshalling orderer block metadata: %w", err)
	}
	msg := concat(value, sigHdr, BlockHeaderBytes(blk.GetHeader()))
	sig, err := signer.Sign(msg)
	if err != nil {
		return fmt.Errorf("signing block %d: %w", blk.GetHeader().GetNumber(), err)
	}
	md, err := proto.Marshal(&common.Metadata{
		Value:      value,
		Signatures: []*common.MetadataSignature{{SignatureHeader: sigHdr, Signature: sig}},
	})
	if err != nil {
		return fmt.Errorf("marshalling block signature: %w", err)
	}
	blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = md
	return nil
}

func concat(parts ...[]byte) []byte {
	return bytes.Join(parts, nil)
}

// newBlock makes a block with its header and empty metadata slots for
// every BlockMetadataIndex.
func newBlock(num uint64, prevHash []byte, data [][]byte) *common.Block {
	blk := &common.Block{
		Header:   &common.BlockHeader{Number: num, PreviousHash: prevHash},
		Data:     &common.BlockData{Data: data},
		Metadata: &common.BlockMetadata{Metadata: make([][]byte, len(common.BlockMetadataIndex_name))},
	}
	for i := range blk.Metadata.Metadata {
		blk.Metadata.Metadata[i] = []byte{}
	}
	blk.Header.DataHash = BlockDataHash(blk.Data)
	return blk
}

// GenesisConfig is the channel configuration the ledger writes into block 0
// when Options.Genesis is nil. It is deliberately small: the channel group
// holds HashingAlgorithm (SHA256), BlockDataHashingStructure (width
// MaxUint32, as Fabric) and an "Orderer" group with ConsensusType "solo"
// (the one embedded orderer), BatchSize (max message count) and
// BatchTimeout. There are no policies and no application MSPs: trusted
// organisations are configured in the node, not on the channel.
func GenesisConfig(batchSize int, batchTimeout string) (*common.Config, error) {
	val := func(m proto.Message) (*common.ConfigValue, error) {
		b, err := proto.Marshal(m)
		if err != nil {
			return nil, fmt.Errorf("marshalling genesis config value: %w", err)
		}
		return &common.ConfigValue{Value: b, ModPolicy: "Admins"}, nil
	}
	values := map[string]proto.Message{
		"HashingAlgorithm":          &common.HashingAlgorithm{Name: "SHA256"},
		"BlockDataHashingStructure": &common.BlockDataHashingStructure{Width: math.MaxUint32},
	}
	ordValues := map[string]proto.Message{
		"ConsensusType": &orderer.ConsensusType{Type: "solo"},
		"BatchSize":     &orderer.BatchSize{MaxMessageCount: uint32(batchSize), AbsoluteMaxBytes: 10 << 20, PreferredMaxBytes: 2 << 20},
		"BatchTimeout":  &orderer.BatchTimeout{Timeout: batchTimeout},
	}
	root := &common.ConfigGroup{Values: map[string]*common.ConfigValue{}, Groups: map[string]*common.ConfigGroup{}}
	ord := &common.ConfigGroup{Values: map[string]*common.ConfigValue{}, ModPolicy: "Admins"}
	for k, m := range values {
		v, err := val(m)
		if err != nil {
			return nil, err
		}
		root.Values[k] = v
	}
	for k, m := range ordValues {
		v, err := val(m)
		if err != nil {
			return nil, err
		}
		ord.Values[k] = v
	}
	root.Groups["Orderer"] = ord
	root.ModPolicy = "Admins"
	return &common.Config{Sequence: 0, ChannelGroup: root}, nil
}

// genesisEnvelope builds the CONFIG transaction of block 0, signed by the
// orderer identity.
func (l *Ledger) genesisEnvelope() (*orderedTx, error) {
	cfg := l.opts.Genesis
	if cfg == nil {
		var err error
		cfg, err = GenesisConfig(l.opts.BatchSize, l.opts.BatchTimeout.String())
		if err != nil {
			return nil, err
		}
	}
	data, err := proto.Marshal(&common.ConfigEnvelope{Config: cfg})
	if err != nil {
		return nil, fmt.Errorf("marshalling genesis config: %w", err)
	}
	nonce := make([]byte, 24)
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("making genesis nonce: %w", err)
	}
	chdr, err := proto.Marshal(&common.ChannelHeader{
		Type:      int32(common.HeaderType_CONFIG),
		ChannelId: l.opts.ChannelID,
		TxId:      ComputeTxID(nonce, l.signerID),
		Timestamp: timestamppb.New(l.opts.Now()),
	})
	if err != nil {
		return nil, fmt.Errorf("marshalling genesis channel header: %w", err)
	}
	shdr, err := proto.Marshal(&common.SignatureHeader{Creator: l.signerID, Nonce: nonce})
	if err != nil {
		return nil, fmt.Errorf("marshalling genesis signature header: %w", err)
	}
	payload, err := proto.Marshal(&common.Payload{
		Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr},
		Data:   data,
	})
	if err != nil {
		return nil, fmt.Errorf("marshalling genesis payload: %w", err)
	}
	sig, err := l.opts.Signer.Sign(payload)
	if err != nil {
		return nil, fmt.Errorf("signing genesis envelope: %w", err)
	}
	return newOrderedTx(&common.Envelope{Payload: payload, Signature: sig})
}

// TxValidationFlags returns the validation code of each transaction of a
// block, read from its TRANSACTIONS_FILTER metadata.
func TxValidationFlags(blk *common.Block) []peer.TxValidationCode {
	md := blk.GetMetadata().GetMetadata()
	if len(md) <= int(common.BlockMetadataIndex_TRANSACTIONS_FILTER) {
		return nil
	}
	raw := md[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
	out := make([]peer.TxValidationCode, len(raw))
	for i, c := range raw {
		out[i] = peer.TxValidationCode(c)
	}
	return out
}
