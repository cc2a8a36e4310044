package ledger

import (
	"crypto/x509"
	"errors"
	"fmt"
	"iter"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// chainHarness makes a small chain: genesis, a block with a valid tx and an
// event, and a block with a valid and an MVCC-invalid tx.
func chainHarness(t *testing.T) *harness {
	t.Helper()
	h := newHarness(t, nil)
	h.submit("event", "touchpoint", `{"n":1}`)
	h.submit("put", "k", "0")
	r1, sp1 := h.simulate("readput", "k", "a")
	r2, sp2 := h.simulate("readput", "k", "b")
	h.orderAll(h.envelope(r1, sp1), h.envelope(r2, sp2))
	return h
}

func (h *harness) allBlocks() []*common.Block {
	h.t.Helper()
	var out []*common.Block
	for n := uint64(0); n < h.l.Height(); n++ {
		b, err := h.l.Block(n)
		if err != nil {
			h.t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

func wantVerifyError(t *testing.T, err error, block uint64, check string) {
	t.Helper()
	var ve *VerifyError
	if !errors.As(err, &ve) {
		t.Fatalf("err = %v, want a *VerifyError", err)
	}
	if ve.Block != block || ve.Check != check {
		t.Fatalf("err = %v, want block %d check %q", err, block, check)
	}
	if !errors.Is(err, ErrVerify) && check != CheckRead {
		t.Fatalf("err %v does not wrap ErrVerify", err)
	}
}

func TestVerifyChainAcceptsTheLedger(t *testing.T) {
	h := chainHarness(t)
	blocks := h.allBlocks()
	rep, err := VerifyChain(Blocks(blocks), VerifyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Blocks != uint64(len(blocks)) || rep.Transactions != 5 || rep.ValidTransactions != 4 {
		t.Fatalf("report = %+v, want %d blocks, 5 txs, 4 valid", rep, len(blocks))
	}
	if string(rep.LastHash) != string(h.l.LastBlockHash()) {
		t.Fatal("report's last hash is not the ledger's")
	}
	if len(rep.Signers) != 1 || rep.Signers[0] != "OrdererMSP/orderer0" {
		t.Fatalf("signers = %v", rep.Signers)
	}
	full, err := h.l.Verify(VerifyOptions{})
	if err != nil || !full.StateChecked || full.StateKeys != 2 {
		t.Fatalf("Verify = %+v, %v; want the state of 2 keys checked", full, err)
	}
}

// tamper returns a copy of blk changed by mod.
func tamper(blk *common.Block, mod func(*common.Block)) *common.Block {
	c := proto.Clone(blk).(*common.Block)
	mod(c)
	return c
}

func editSignature(t *testing.T, b *common.Block, mod func(*common.Metadata)) {
	t.Helper()
	md := &common.Metadata{}
	if err := proto.Unmarshal(b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES], md); err != nil {
		t.Fatal(err)
	}
	mod(md)
	b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = mustMarshal(t, md)
}

func TestVerifyChainDetectsTampering(t *testing.T) {
	h := chainHarness(t)
	blocks := h.allBlocks()
	parts := []struct {
		name  string
		skip0 bool // the part does not exist in block 0
		mod   func(*common.Block)
		check func(n uint64) (uint64, string)
	}{
		{"the block number", false, func(b *common.Block) { b.Header.Number += 7 },
			func(n uint64) (uint64, string) {
				if n == 0 {
					return 7, CheckSignature // a first block is not linked; its signed header changed
				}
				return n + 7, CheckNumber
			}},
		{"a byte of the previous hash", true, func(b *common.Block) { b.Header.PreviousHash[3] ^= 0xff },
			func(n uint64) (uint64, string) { return n, CheckPreviousHash }},
		{"a byte of the data hash", false, func(b *common.Block) { b.Header.DataHash[0] ^= 0x01 },
			func(n uint64) (uint64, string) { return n, CheckDataHash }},
		{"a byte of a transaction", false, func(b *common.Block) { b.Data.Data[0][len(b.Data.Data[0])/2] ^= 0x01 },
			func(n uint64) (uint64, string) { return n, CheckDataHash }},
		{"a dropped transaction", false, func(b *common.Block) { b.Data.Data = b.Data.Data[1:] },
			func(n uint64) (uint64, string) { return n, CheckDataHash }},
		{"a byte of the orderer signature", false, func(b *common.Block) {
			editSignature(t, b, func(md *common.Metadata) { md.Signatures[0].Signature[10] ^= 0x01 })
		}, func(n uint64) (uint64, string) { return n, CheckSignature }},
		{"a byte of the signature header", false, func(b *common.Block) {
			editSignature(t, b, func(md *common.Metadata) {
				sh := md.Signatures[0].SignatureHeader
				sh[len(sh)-1] ^= 0x01
			})
		}, func(n uint64) (uint64, string) { return n, CheckSignature }},
		{"the signed orderer metadata (last config)", false, func(b *common.Block) {
			editSignature(t, b, func(md *common.Metadata) {
				obm := &common.OrdererBlockMetadata{}
				_ = proto.Unmarshal(md.Value, obm)
				obm.LastConfig = &common.LastConfig{Index: 99}
				md.Value = mustMarshal(t, obm)
			})
		}, func(n uint64) (uint64, string) { return n, CheckSignature }},
		{"removed signatures", false, func(b *common.Block) {
			editSignature(t, b, func(md *common.Metadata) { md.Signatures = nil })
		}, func(n uint64) (uint64, string) { return n, CheckSignature }},
		{"a validation flag", false, func(b *common.Block) { b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][0] ^= 0x0b },
			func(n uint64) (uint64, string) { return n, CheckFlags }},
		{"a missing validation flag", false, func(b *common.Block) {
			f := b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER]
			b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = f[:len(f)-1]
		}, func(n uint64) (uint64, string) { return n, CheckFlags }},
	}
	for n := range blocks {
		for _, p := range parts {
			if p.skip0 && n == 0 {
				continue
			}
			t.Run(fmt.Sprintf("changing %s of block %d fails", p.name, n), func(t *testing.T) {
				chain := append([]*common.Block(nil), blocks...)
				chain[n] = tamper(blocks[n], p.mod)
				_, err := VerifyChain(Blocks(chain), VerifyOptions{})
				wantBlock, wantCheck := p.check(uint64(n))
				wantVerifyError(t, err, wantBlock, wantCheck)
			})
		}
	}
	t.Run("a missing block fails the number check", func(t *testing.T) {
		chain := append(append([]*common.Block(nil), blocks[:1]...), blocks[2:]...)
		_, err := VerifyChain(Blocks(chain), VerifyOptions{})
		wantVerifyError(t, err, 2, CheckNumber)
	})
	t.Run("a high-S signature is refused like Fabric does", func(t *testing.T) {
		chain := append([]*common.Block(nil), blocks...)
		chain[1] = tamper(blocks[1], func(b *common.Block) {
			editSignature(t, b, func(md *common.Metadata) {
				var rs ecdsaSig
				_, _ = asn1Unmarshal(md.Signatures[0].Signature, &rs)
				rs.S.Sub(h.orderer.key.Curve.Params().N, rs.S)
				md.Signatures[0].Signature = asn1Marshal(t, rs)
			})
		})
		_, err := VerifyChain(Blocks(chain), VerifyOptions{})
		wantVerifyError(t, err, 1, CheckSignature)
		if !strings.Contains(err.Error(), "not low-S") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a block signed by another key fails", func(t *testing.T) {
		other := newTestIdentity(t, "OrdererMSP", "orderer0")
		chain := append([]*common.Block(nil), blocks...)
		chain[2] = tamper(blocks[2], func(b *common.Block) {
			editSignature(t, b, func(md *common.Metadata) {
				sig, _ := other.Sign(concat(md.Value, md.Signatures[0].SignatureHeader, BlockHeaderBytes(b.Header)))
				md.Signatures[0].Signature = sig
			})
		})
		_, err := VerifyChain(Blocks(chain), VerifyOptions{})
		wantVerifyError(t, err, 2, CheckSignature)
	})
}

func TestVerifyOptions(t *testing.T) {
	h := chainHarness(t)
	blocks := h.allBlocks()
	t.Run("CheckSigner can refuse an orderer", func(t *testing.T) {
		_, err := VerifyChain(Blocks(blocks), VerifyOptions{CheckSigner: func(n uint64, _ time.Time, mspID string, cert *x509.Certificate) error {
			if n == 2 {
				return fmt.Errorf("%s is not a trusted orderer", mspID)
			}
			return nil
		}})
		wantVerifyError(t, err, 2, CheckSigner)
		if !strings.Contains(err.Error(), "OrdererMSP is not a trusted orderer") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("CheckSigner gets each block's newest transaction time", func(t *testing.T) {
		got := map[uint64]time.Time{}
		_, err := VerifyChain(Blocks(blocks), VerifyOptions{CheckSigner: func(n uint64, at time.Time, _ string, _ *x509.Certificate) error {
			got[n] = at
			return nil
		}})
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range blocks {
			var want time.Time
			for _, raw := range b.Data.Data {
				tx, err := ParseEnvelopeBytes(raw)
				if err != nil {
					t.Fatalf("block %d: %v", b.Header.Number, err)
				}
				if ts := tx.Timestamp.AsTime(); ts.After(want) {
					want = ts
				}
			}
			if want.IsZero() || !got[b.Header.Number].Equal(want) {
				t.Fatalf("block %d: CheckSigner got %v, the newest transaction is from %v", b.Header.Number, got[b.Header.Number], want)
			}
		}
	})
	unsigned := append([]*common.Block(nil), blocks...)
	unsigned[0] = tamper(blocks[0], func(b *common.Block) {
		b.Metadata.Metadata[common.BlockMetadataIndex_SIGNATURES] = nil
	})
	t.Run("an unsigned genesis block fails by default", func(t *testing.T) {
		_, err := VerifyChain(Blocks(unsigned), VerifyOptions{})
		wantVerifyError(t, err, 0, CheckSignature)
	})
	t.Run("an unsigned genesis block passes with UnsignedGenesis, as Fabric's do", func(t *testing.T) {
		if _, err := VerifyChain(Blocks(unsigned), VerifyOptions{UnsignedGenesis: true}); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a sequence starting later verifies against its anchor", func(t *testing.T) {
		anchor := BlockHeaderHash(blocks[1].Header)
		rep, err := VerifyChain(Blocks(blocks[2:]), VerifyOptions{PreviousHash: anchor})
		if err != nil || rep.FirstBlock != 2 {
			t.Fatalf("rep %+v err %v", rep, err)
		}
		_, err = VerifyChain(Blocks(blocks[2:]), VerifyOptions{PreviousHash: BlockHeaderHash(blocks[0].Header)})
		wantVerifyError(t, err, 2, CheckPreviousHash)
	})
	t.Run("a read error is reported with the block it was reading", func(t *testing.T) {
		src := func(yield func(*common.Block, error) bool) {
			if !yield(blocks[0], nil) {
				return
			}
			yield(nil, errors.New("connection reset"))
		}
		_, err := VerifyChain(iter.Seq2[*common.Block, error](src), VerifyOptions{})
		wantVerifyError(t, err, 1, CheckRead)
	})
	t.Run("a state that differs from the replay fails the state check", func(t *testing.T) {
		state := func(yield func(StateEntry, error) bool) {
			yield(StateEntry{Namespace: testChaincode, Key: "k", Value: []byte("forged"), Version: Version{BlockNum: 3}}, nil)
		}
		_, err := VerifyChain(Blocks(blocks), VerifyOptions{State: state})
		wantVerifyError(t, err, uint64(len(blocks)-1), CheckState)
	})
}

// storedChain reads the raw stored blocks and the state entries.
func (h *harness) storedChain() ([]storedBlock, []StateEntry) {
	h.t.Helper()
	var blocks []storedBlock
	var state []StateEntry
	err := h.l.db.View(func(tx *bbolt.Tx) error {
		for sb := range snapshotBlocks(tx) {
			blocks = append(blocks, storedBlock{num: sb.num, raw: append([]byte(nil), sb.raw...)})
		}
		for e, err := range snapshotState(tx) {
			if err != nil {
				return err
			}
			e.Value = append([]byte(nil), e.Value...)
			state = append(state, e)
		}
		return nil
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return blocks, state
}

func TestVerifyDetectsEveryFlippedStoredByte(t *testing.T) {
	h := chainHarness(t)
	blocks, state := h.storedChain()
	stateSeq := func(yield func(StateEntry, error) bool) {
		for _, e := range state {
			if !yield(e, nil) {
				return
			}
		}
	}
	flips := []byte{0x01, 0x80}
	if testing.Short() {
		flips = flips[:1]
	}
	checked := 0
	base := newVerifier(VerifyOptions{})
	for n := range blocks {
		for i := range blocks[n].raw {
			for _, flip := range flips {
				raw := append([]byte(nil), blocks[n].raw...)
				raw[i] ^= flip
				v := *base // the verifier state after blocks 0..n-1
				report := *base.report
				v.report = &report
				err := v.addStored(storedBlock{num: blocks[n].num, raw: raw})
				var ve *VerifyError
				if !errors.As(err, &ve) || ve.Block != uint64(n) {
					t.Fatalf("block %d byte %d ^%#x: err = %v, want a failure naming block %d", n, i, flip, err, n)
				}
				checked++
			}
		}
		if err := base.addStored(blocks[n]); err != nil {
			t.Fatalf("untouched block %d: %v", n, err)
		}
	}
	// and the untouched chain with its state passes
	if _, err := verifyStored(VerifyOptions{}, uint64(len(blocks)), func(yield func(storedBlock) bool) {
		for _, sb := range blocks {
			if !yield(sb) {
				return
			}
		}
	}, stateSeq); err != nil {
		t.Fatalf("untouched chain: %v", err)
	}
	t.Logf("%d single-byte changes over %d blocks all detected", checked, len(blocks))
}

func TestVerifyDetectsChangedState(t *testing.T) {
	tests := []struct {
		name string
		edit func(b *bbolt.Bucket) error
	}{
		{"a changed value", func(b *bbolt.Bucket) error {
			return b.Put([]byte("k"), encodeStateValue(Version{BlockNum: 3}, []byte("forged")))
		}},
		{"a changed version", func(b *bbolt.Bucket) error {
			_, v, _ := decodeStateValue(b.Get([]byte("k")))
			return b.Put([]byte("k"), encodeStateValue(Version{BlockNum: 1}, v))
		}},
		{"an added key", func(b *bbolt.Bucket) error {
			return b.Put([]byte("extra"), encodeStateValue(Version{BlockNum: 1}, []byte("x")))
		}},
		{"a deleted key", func(b *bbolt.Bucket) error { return b.Delete([]byte("k")) }},
	}
	for _, tc := range tests {
		t.Run(tc.name+" fails the state check", func(t *testing.T) {
			h := chainHarness(t)
			err := h.l.db.Update(func(tx *bbolt.Tx) error { return tc.edit(stateBucket(tx, testChaincode)) })
			if err != nil {
				t.Fatal(err)
			}
			_, err = h.l.Verify(VerifyOptions{})
			wantVerifyError(t, err, h.l.Height()-1, CheckState)
		})
	}
}
