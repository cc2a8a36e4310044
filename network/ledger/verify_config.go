package ledger

import (
	"fmt"
	"maps"
	"slices"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
)

// Where a Fabric channel configuration keeps the SmartBFT consenter set:
// the "Orderers" value (a common.Orderers) of the "Orderer" group. Raft and
// solo channels have no such value.
const (
	configOrdererGroup   = "Orderer"
	configOrderersValue  = "Orderers"
	configBlockTxCount   = 1
	consenterIdentityMax = 64 << 10
)

// IsConfigBlock reports whether blk holds a channel configuration: exactly
// one data entry, a CONFIG envelope (block 0 of every channel and each later
// config update).
func IsConfigBlock(blk *common.Block) bool {
	_, ok, _ := configEnvelope(blk)
	return ok
}

// ConsentersFromConfigBlock reads the SmartBFT consenter set of a config
// block: consenter ID -> marshalled msp.SerializedIdentity (MSP ID and the
// consenter's signing certificate), the form VerifyOptions.Consenters takes.
// SmartBFT orderers sign blocks with an IdentifierHeader that names only
// that ID. A configuration without a consenter set (Raft, solo, the
// embedded ledger) gives an empty map. The block's own checks (hash links,
// data hash, signatures) are the caller's; VerifyChain does them before it
// uses the result.
//
// Errors wrap ErrInvalid (a *FieldError) when blk is not a config block or
// its consenter set breaks a rule (missing MSP ID or identity, duplicate
// ID), or report the config part that does not decode.
func ConsentersFromConfigBlock(blk *common.Block) (map[uint32][]byte, error) {
	cfg, ok, err := configEnvelope(blk)
	if err != nil {
		return nil, fmt.Errorf("reading consenters of block %d: %w", blk.GetHeader().GetNumber(), err)
	}
	if !ok {
		return nil, fmt.Errorf("reading consenters of block %d: %w", blk.GetHeader().GetNumber(),
			invalid("block.data", fmt.Sprintf("%d entries", len(blk.GetData().GetData())), "must be one CONFIG envelope (a config block)"))
	}
	out := map[uint32][]byte{}
	v, ok := cfg.GetConfig().GetChannelGroup().GetGroups()[configOrdererGroup].GetValues()[configOrderersValue]
	if !ok {
		return out, nil
	}
	orderers := &common.Orderers{}
	if err := proto.Unmarshal(v.GetValue(), orderers); err != nil {
		return nil, fmt.Errorf("reading consenters of block %d: decoding /Channel/Orderer/Orderers: %w", blk.GetHeader().GetNumber(), err)
	}
	for i, c := range orderers.GetConsenterMapping() {
		field := fmt.Sprintf("Orderers.consenter_mapping[%d]", i)
		switch {
		case c.GetMspId() == "":
			return nil, fmt.Errorf("reading consenters of block %d: %w", blk.GetHeader().GetNumber(), invalid(field+".msp_id", "", "must name the consenter's MSP"))
		case len(c.GetIdentity()) == 0 || len(c.GetIdentity()) > consenterIdentityMax:
			return nil, fmt.Errorf("reading consenters of block %d: %w", blk.GetHeader().GetNumber(),
				invalid(field+".identity", fmt.Sprintf("%d bytes", len(c.GetIdentity())), fmt.Sprintf("must hold the consenter's certificate (1 to %d bytes)", consenterIdentityMax)))
		case out[c.GetId()] != nil:
			return nil, fmt.Errorf("reading consenters of block %d: %w", blk.GetHeader().GetNumber(), invalid(field+".id", fmt.Sprint(c.GetId()), "consenter IDs must be unique"))
		}
		id, err := proto.MarshalOptions{Deterministic: true}.Marshal(&mspproto.SerializedIdentity{Mspid: c.GetMspId(), IdBytes: c.GetIdentity()})
		if err != nil {
			return nil, fmt.Errorf("reading consenters of block %d: encoding consenter %d: %w", blk.GetHeader().GetNumber(), c.GetId(), err)
		}
		out[c.GetId()] = id
	}
	return out, nil
}

// configEnvelope returns the ConfigEnvelope of a config block. ok is false,
// with no error, for any block that is not one; err is set when the block
// is a CONFIG block whose configuration does not decode.
func configEnvelope(blk *common.Block) (*common.ConfigEnvelope, bool, error) {
	data := blk.GetData().GetData()
	if len(data) != configBlockTxCount {
		return nil, false, nil
	}
	env := &common.Envelope{}
	pl := &common.Payload{}
	ch := &common.ChannelHeader{}
	if proto.Unmarshal(data[0], env) != nil || proto.Unmarshal(env.GetPayload(), pl) != nil ||
		proto.Unmarshal(pl.GetHeader().GetChannelHeader(), ch) != nil || ch.GetType() != int32(common.HeaderType_CONFIG) {
		return nil, false, nil
	}
	cfg := &common.ConfigEnvelope{}
	if err := proto.Unmarshal(pl.GetData(), cfg); err != nil {
		return nil, true, fmt.Errorf("decoding config envelope: %w", err)
	}
	return cfg, true, nil
}

// LastConfigIndex returns the number of the config block in force for blk,
// as the orderer signed it into the OrdererBlockMetadata of the SIGNATURES
// metadata; ok is false when the block carries none.
func LastConfigIndex(blk *common.Block) (index uint64, ok bool) {
	mds := blk.GetMetadata().GetMetadata()
	if len(mds) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return 0, false
	}
	md := &common.Metadata{}
	obm := &common.OrdererBlockMetadata{}
	if proto.Unmarshal(mds[common.BlockMetadataIndex_SIGNATURES], md) != nil || proto.Unmarshal(md.GetValue(), obm) != nil || obm.GetLastConfig() == nil {
		return 0, false
	}
	return obm.GetLastConfig().GetIndex(), true
}

// ConsenterIDs lists, in signature order, the consenter IDs of the block
// signatures that carry an IdentifierHeader instead of a SignatureHeader
// (SmartBFT). It is empty for blocks signed with signature headers only.
func ConsenterIDs(blk *common.Block) []uint32 {
	mds := blk.GetMetadata().GetMetadata()
	if len(mds) <= int(common.BlockMetadataIndex_SIGNATURES) {
		return nil
	}
	md := &common.Metadata{}
	if proto.Unmarshal(mds[common.BlockMetadataIndex_SIGNATURES], md) != nil {
		return nil
	}
	var out []uint32
	for _, ms := range md.GetSignatures() {
		ih := &common.IdentifierHeader{}
		if len(ms.GetSignatureHeader()) == 0 && len(ms.GetIdentifierHeader()) > 0 && proto.Unmarshal(ms.GetIdentifierHeader(), ih) == nil {
			out = append(out, ih.GetIdentifier())
		}
	}
	return out
}

// noteConfig takes the consenter set of a config block that passed its
// checks, for the blocks after it. A config transaction a peer flagged
// invalid is not in force and is skipped.
func (v *verifier) noteConfig(blk *common.Block, flags []peer.TxValidationCode) error {
	if len(flags) > 0 && flags[0] != peer.TxValidationCode_VALID {
		return nil
	}
	if !IsConfigBlock(blk) {
		return nil
	}
	m, err := ConsentersFromConfigBlock(blk)
	if err != nil {
		return err
	}
	v.consenters = m
	return nil
}

// consenter resolves a consenter ID: opts.Consenters first, then the set of
// the last config block verified.
func (v *verifier) consenter(id uint32) []byte {
	if c, ok := v.opts.Consenters[id]; ok {
		return c
	}
	return v.consenters[id]
}

// knownConsenters lists the IDs consenter can resolve, for error messages.
func (v *verifier) knownConsenters() []uint32 {
	ids := slices.Collect(maps.Keys(v.consenters))
	for id := range v.opts.Consenters {
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
