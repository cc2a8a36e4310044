package ledger

import (
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	mspproto "github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"google.golang.org/protobuf/proto"
)

// bftBlock describes one block of a SmartBFT test chain: a config block
// when consenters is set (the IDs of the consenter set it defines),
// otherwise a block of ordinary data; signedBy are the consenter IDs that
// sign it with identifier headers (none: unsigned).
type bftBlock struct {
	consenters []uint32
	raw        []byte // a raw Orderers value instead of one built from consenters
	signedBy   []uint32
}

// bftChain is a SmartBFT-style chain built like a Fabric v3 orderer builds
// one: config blocks carry /Channel/Orderer/Orderers, every other block is
// signed by consenters that name themselves by ID only.
type bftChain struct {
	ids    map[uint32]*testIdentity
	blocks []*common.Block
}

func newBFTChain(t *testing.T, spec []bftBlock) *bftChain {
	t.Helper()
	c := &bftChain{ids: map[uint32]*testIdentity{}}
	for id := uint32(1); id <= 6; id++ {
		c.ids[id] = newTestIdentity(t, "OrdererMSP", fmt.Sprintf("orderer%d", id))
	}
	lastConfig := uint64(0)
	var prev []byte
	for n, b := range spec {
		var data [][]byte
		if b.consenters != nil || b.raw != nil {
			data = [][]byte{c.configEnvelope(t, b.consenters, b.raw)}
		} else {
			data = [][]byte{[]byte(fmt.Sprintf("tx %d.0", n)), []byte(fmt.Sprintf("tx %d.1", n))}
		}
		blk := newBlock(uint64(n), prev, data)
		if b.signedBy != nil {
			c.sign(t, blk, lastConfig, b.signedBy...)
		}
		if b.consenters != nil || b.raw != nil {
			lastConfig = uint64(n)
		}
		c.blocks = append(c.blocks, blk)
		prev = BlockHeaderHash(blk.Header)
	}
	return c
}

// configEnvelope is a CONFIG envelope whose Orderer group lists the given
// consenters (or holds raw as its Orderers value).
func (c *bftChain) configEnvelope(t *testing.T, ids []uint32, raw []byte) []byte {
	t.Helper()
	if raw == nil {
		orderers := &common.Orderers{}
		for _, id := range ids {
			orderers.ConsenterMapping = append(orderers.ConsenterMapping, &common.Consenter{
				Id: id, Host: "127.0.0.1", Port: 7050 + id, MspId: c.ids[id].mspID, Identity: c.identityPEM(t, id),
			})
		}
		raw = mustMarshal(t, orderers)
	}
	cfg := &common.ConfigEnvelope{Config: &common.Config{ChannelGroup: &common.ConfigGroup{Groups: map[string]*common.ConfigGroup{
		"Orderer": {Values: map[string]*common.ConfigValue{"Orderers": {Value: raw}}},
	}}}}
	return mustMarshal(t, &common.Envelope{Payload: mustMarshal(t, &common.Payload{
		Header: &common.Header{ChannelHeader: mustMarshal(t, &common.ChannelHeader{Type: int32(common.HeaderType_CONFIG), ChannelId: "bft"})},
		Data:   mustMarshal(t, cfg),
	})})
}

func (c *bftChain) identityPEM(t *testing.T, id uint32) []byte {
	t.Helper()
	sid := &mspproto.SerializedIdentity{}
	if err := proto.Unmarshal(c.ids[id].serialized, sid); err != nil {
		t.Fatal(err)
	}
	return sid.IdBytes
}

// sign sets the block's SIGNATURES metadata as SmartBFT does: one
// signature per consenter over Value ++ IdentifierHeader ++ header bytes.
func (c *bftChain) sign(t *testing.T, blk *common.Block, lastConfig uint64, ids ...uint32) {
	t.Helper()
	md := &common.Metadata{Value: mustMarshal(t, &common.OrdererBlockMetadata{LastConfig: &common.LastConfig{Index: lastConfig}})}
	for _, id := range ids {
		nonce := make([]byte, 24)
		if _, err := rand.Read(nonce); err != nil {
			t.Fatal(err)
		}
		ih := mustMarshal(t, &common.IdentifierHeader{Identifier: id, Nonce: nonce})
		sig, err := c.ids[id].Sign(concat(md.Value, ih, BlockHeaderBytes(blk.Header)))
		if err != nil {
			t.Fatal(err)
		}
		md.Signatures = append(md.Signatures, &common.MetadataSignature{IdentifierHeader: ih, Signature: sig})
	}
	blk.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = mustMarshal(t, md)
}

// standardBFT: genesis with consenters 1-4, a block, a config update that
// replaces consenter 4 by 5 (signed by the old set), a block signed by the
// new set.
func standardBFT() []bftBlock {
	return []bftBlock{
		{consenters: []uint32{1, 2, 3, 4}},
		{signedBy: []uint32{1, 2, 3}},
		{consenters: []uint32{1, 2, 3, 5}, signedBy: []uint32{2, 3, 4}},
		{signedBy: []uint32{1, 3, 5}},
	}
}

func TestConsentersFromConfigBlock(t *testing.T) {
	bft := newBFTChain(t, standardBFT())
	embedded := newHarness(t, nil)
	embeddedGenesis, err := embedded.l.Block(0)
	if err != nil {
		t.Fatal(err)
	}
	mapping := func(t *testing.T, ids ...uint32) *common.Orderers {
		o := &common.Orderers{}
		for _, id := range ids {
			o.ConsenterMapping = append(o.ConsenterMapping, &common.Consenter{Id: id, MspId: "OrdererMSP", Identity: bft.identityPEM(t, id)})
		}
		return o
	}
	configWith := func(t *testing.T, o *common.Orderers) *common.Block {
		return newBFTChain(t, []bftBlock{{raw: mustMarshal(t, o)}}).blocks[0]
	}
	cases := []struct {
		name    string
		block   func(t *testing.T) *common.Block
		want    []uint32 // consenter IDs; nil with wantErr
		wantErr string
	}{
		{"a SmartBFT genesis block maps every consenter ID to its identity", func(*testing.T) *common.Block { return bft.blocks[0] }, []uint32{1, 2, 3, 4}, ""},
		{"a config update gives the new consenter set", func(*testing.T) *common.Block { return bft.blocks[2] }, []uint32{1, 2, 3, 5}, ""},
		{"a configuration without consenters (the embedded ledger's solo genesis) gives an empty set", func(*testing.T) *common.Block { return embeddedGenesis }, []uint32{}, ""},
		{"a block of transactions is not a config block", func(*testing.T) *common.Block { return bft.blocks[1] }, nil,
			`field=block.data value="2 entries" rule=must be one CONFIG envelope (a config block)`},
		{"a consenter without an MSP ID is refused", func(t *testing.T) *common.Block {
			o := mapping(t, 1, 2)
			o.ConsenterMapping[1].MspId = ""
			return configWith(t, o)
		}, nil, `field=Orderers.consenter_mapping[1].msp_id value="" rule=must name the consenter's MSP`},
		{"a consenter without an identity is refused", func(t *testing.T) *common.Block {
			o := mapping(t, 1, 2)
			o.ConsenterMapping[0].Identity = nil
			return configWith(t, o)
		}, nil, `field=Orderers.consenter_mapping[0].identity value="0 bytes" rule=must hold the consenter's certificate`},
		{"two consenters with one ID are refused", func(t *testing.T) *common.Block {
			o := mapping(t, 1, 2)
			o.ConsenterMapping[1].Id = 1
			return configWith(t, o)
		}, nil, `field=Orderers.consenter_mapping[1].id value="1" rule=consenter IDs must be unique`},
		{"an Orderers value that does not decode is reported", func(t *testing.T) *common.Block {
			return newBFTChain(t, []bftBlock{{raw: []byte{0xff, 0xff}}}).blocks[0]
		}, nil, "decoding /Channel/Orderer/Orderers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			blk := tc.block(t)
			got, err := ConsentersFromConfigBlock(blk)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != nil {
					t.Fatalf("got %v, %v; want an error containing %q", got, err, tc.wantErr)
				}
				if strings.HasPrefix(tc.wantErr, "field=") && !errors.Is(err, ErrInvalid) {
					t.Fatalf("err %v does not wrap ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !IsConfigBlock(blk) {
				t.Fatal("IsConfigBlock = false for a config block")
			}
			var ids []uint32
			for id, raw := range got {
				ids = append(ids, id)
				sid := &mspproto.SerializedIdentity{}
				if err := proto.Unmarshal(raw, sid); err != nil {
					t.Fatal(err)
				}
				if sid.Mspid != "OrdererMSP" || string(sid.IdBytes) != string(bft.identityPEM(t, id)) {
					t.Fatalf("consenter %d = %s %q, want OrdererMSP and orderer%d's certificate", id, sid.Mspid, sid.IdBytes, id)
				}
			}
			slices.Sort(ids)
			if !slices.Equal(ids, tc.want) {
				t.Fatalf("consenter IDs = %v, want %v", ids, tc.want)
			}
		})
	}
}

func TestVerifyChainTakesConsentersFromConfigBlocks(t *testing.T) {
	other := newTestIdentity(t, "OrdererMSP", "orderer1")
	cases := []struct {
		name    string
		spec    func() []bftBlock
		from    int // the first block given to VerifyChain (anchored to the one before)
		opts    func(c *bftChain) VerifyOptions
		tamper  func(t *testing.T, c *bftChain)
		failsAt uint64
		check   string // "" = verifies
		detail  string
	}{
		{name: "the chain verifies with the consenters of its genesis block and of the config update", spec: standardBFT},
		{name: "a block signed by a consenter the config has not added yet is refused", spec: func() []bftBlock {
			s := standardBFT()
			s[1].signedBy = []uint32{1, 2, 5}
			return s
		}, failsAt: 1, check: CheckSigner, detail: "signature 2: unknown consenter 5 (known: [1 2 3 4]"},
		{name: "a consenter removed by a config update can no longer sign", spec: func() []bftBlock {
			s := standardBFT()
			s[3].signedBy = []uint32{1, 4}
			return s
		}, failsAt: 3, check: CheckSigner, detail: "signature 1: unknown consenter 4 (known: [1 2 3 5]"},
		{name: "the config block itself is signed by the consenter set before it", spec: func() []bftBlock {
			s := standardBFT()
			s[2].signedBy = []uint32{5}
			return s
		}, failsAt: 2, check: CheckSigner, detail: "unknown consenter 5"},
		{name: "a consenter listed in VerifyOptions wins over the config's", spec: standardBFT,
			opts: func(*bftChain) VerifyOptions {
				return VerifyOptions{UnsignedGenesis: true, Consenters: map[uint32][]byte{1: other.serialized}}
			}, failsAt: 1, check: CheckSignature, detail: "signature 0 by OrdererMSP: signature does not verify"},
		{name: "a sequence that starts after the config block in force does not know the consenters", spec: standardBFT, from: 3,
			failsAt: 3, check: CheckSigner, detail: "unknown consenter 1 (known: [], "},
		{name: "a sequence that starts after the config block verifies with that block's consenters in VerifyOptions", spec: standardBFT, from: 3,
			opts: func(c *bftChain) VerifyOptions {
				m, err := ConsentersFromConfigBlock(c.blocks[2])
				if err != nil {
					panic(err)
				}
				return VerifyOptions{Consenters: m}
			}},
		{name: "a consenter swapped into the genesis configuration breaks the link to block 1", spec: standardBFT,
			tamper: func(t *testing.T, c *bftChain) {
				c.ids[1] = other
				c.blocks[0].Data.Data[0] = c.configEnvelope(t, []uint32{1, 2, 3, 4}, nil)
				c.blocks[0].Header.DataHash = BlockDataHash(c.blocks[0].Data)
			}, failsAt: 1, check: CheckPreviousHash},
		{name: "a config block whose consenter set does not decode fails the config check", spec: func() []bftBlock {
			s := standardBFT()
			s[2] = bftBlock{raw: []byte{0xff}, signedBy: []uint32{2, 3, 4}}
			return s
		}, failsAt: 2, check: CheckConfig, detail: "decoding /Channel/Orderer/Orderers"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newBFTChain(t, tc.spec())
			if tc.tamper != nil {
				tc.tamper(t, c)
			}
			opts := VerifyOptions{UnsignedGenesis: true}
			if tc.opts != nil {
				opts = tc.opts(c)
			}
			if tc.from > 0 {
				opts.PreviousHash = BlockHeaderHash(c.blocks[tc.from-1].Header)
			}
			rep, err := VerifyChain(Blocks(c.blocks[tc.from:]), opts)
			if tc.check != "" {
				wantVerifyError(t, err, tc.failsAt, tc.check)
				if !strings.Contains(err.Error(), tc.detail) {
					t.Fatalf("err = %v, want it to contain %q", err, tc.detail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Blocks != uint64(len(c.blocks)-tc.from) {
				t.Fatalf("checked %d blocks, want %d", rep.Blocks, len(c.blocks)-tc.from)
			}
			var want []string
			seen := map[uint32]bool{}
			for _, b := range tc.spec()[tc.from:] {
				for _, id := range b.signedBy {
					if !seen[id] {
						seen[id] = true
						want = append(want, fmt.Sprintf("OrdererMSP/orderer%d", id))
					}
				}
			}
			slices.Sort(want)
			if !slices.Equal(rep.Signers, want) {
				t.Fatalf("signers = %v, want %v", rep.Signers, want)
			}
		})
	}
}

func TestBlockSignatureMetadataHelpers(t *testing.T) {
	c := newBFTChain(t, standardBFT())
	embedded := chainHarness(t).allBlocks()
	cases := []struct {
		name       string
		blk        *common.Block
		ids        []uint32
		lastConfig uint64
		hasLast    bool
	}{
		{"an unsigned genesis block has neither consenters nor a last config", c.blocks[0], nil, 0, false},
		{"a SmartBFT block names its signers' consenter IDs and the genesis as last config", c.blocks[1], []uint32{1, 2, 3}, 0, true},
		{"a SmartBFT block after a config update names that update as last config", c.blocks[3], []uint32{1, 3, 5}, 2, true},
		{"an embedded-ledger block is signed with a signature header, by no consenter ID", embedded[1], nil, 0, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := ConsenterIDs(tc.blk); !slices.Equal(got, tc.ids) {
				t.Fatalf("ConsenterIDs = %v, want %v", got, tc.ids)
			}
			got, ok := LastConfigIndex(tc.blk)
			if got != tc.lastConfig || ok != tc.hasLast {
				t.Fatalf("LastConfigIndex = %d, %v; want %d, %v", got, ok, tc.lastConfig, tc.hasLast)
			}
		})
	}
}
