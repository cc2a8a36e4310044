package blocks_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/protobuf/proto"

	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/blocks/blockstest"
)

func TestParseReadsEveryFieldOfAValidInvocation(t *testing.T) {
	chain := blockstest.NewChain()
	chain.MustAdd(blockstest.Tx{Config: true})
	when := time.Date(2026, 3, 4, 5, 6, 7, 800, time.UTC)
	raw := chain.MustAdd(blockstest.Tx{
		ID:           "tx-1",
		Timestamp:    when,
		MSPID:        "CarrierMSP",
		Args:         []string{"RecordTouchpoint", `{"id":"abc"}`},
		EventName:    "touchpoint",
		EventPayload: []byte(`{"id":"abc"}`),
		Writes: []blockstest.Write{
			{Key: "\x00tp\x00abc\x00", Value: []byte(`{"id":"abc"}`)},
			{Key: "old", IsDelete: true},
		},
	})
	cert, err := chain.Cert("CarrierMSP")
	require.NoError(t, err)

	got, err := blocks.Parse(raw)
	require.NoError(t, err)

	assert.Equal(t, uint64(1), got.Number)
	assert.Equal(t, raw.Header.PreviousHash, got.PreviousHash)
	require.Len(t, got.Transactions, 1)
	tx := got.Transactions[0]
	assert.Equal(t, blocks.Transaction{
		Index:          0,
		ID:             "tx-1",
		Channel:        "aeo",
		Type:           common.HeaderType_ENDORSER_TRANSACTION,
		Timestamp:      when,
		Creator:        blocks.Identity{MSPID: "CarrierMSP", Cert: cert},
		ValidationCode: peer.TxValidationCode_VALID,
		Chaincode:      "aeoledger",
		Args:           [][]byte{[]byte("RecordTouchpoint"), []byte(`{"id":"abc"}`)},
		Event:          &blocks.Event{Chaincode: "aeoledger", Name: "touchpoint", Payload: []byte(`{"id":"abc"}`)},
		Writes: []blocks.Write{
			{Namespace: "aeoledger", Key: "\x00tp\x00abc\x00", Value: []byte(`{"id":"abc"}`)},
			{Namespace: "aeoledger", Key: "old", IsDelete: true},
		},
	}, tx)
	assert.True(t, tx.Valid())
	assert.Equal(t, "RecordTouchpoint", tx.Function())
	assert.True(t, strings.HasPrefix(string(tx.Creator.Cert), "-----BEGIN CERTIFICATE-----"))
}

func TestParseTransactionKinds(t *testing.T) {
	tests := []struct {
		name      string
		tx        blockstest.Tx
		wantValid bool
		wantCode  peer.TxValidationCode
		wantType  common.HeaderType
		wantCC    string
		wantEvent bool
		wantNS    []string
	}{
		{
			name:      "A transaction with an MVCC conflict keeps its code and is not valid.",
			tx:        blockstest.Tx{Args: []string{"f"}, EventName: "e", Code: peer.TxValidationCode_MVCC_READ_CONFLICT, Writes: []blockstest.Write{{Key: "k", Value: []byte("v")}}},
			wantValid: false, wantCode: peer.TxValidationCode_MVCC_READ_CONFLICT,
			wantType: common.HeaderType_ENDORSER_TRANSACTION, wantCC: "aeoledger", wantEvent: true, wantNS: []string{"aeoledger"},
		},
		{
			name:      "A config transaction has no chaincode, event or writes.",
			tx:        blockstest.Tx{Config: true},
			wantValid: true, wantCode: peer.TxValidationCode_VALID, wantType: common.HeaderType_CONFIG,
		},
		{
			name:      "A transaction without an event has a nil Event.",
			tx:        blockstest.Tx{Args: []string{"Get"}},
			wantValid: true, wantCode: peer.TxValidationCode_VALID, wantType: common.HeaderType_ENDORSER_TRANSACTION, wantCC: "aeoledger",
		},
		{
			name: "Writes to several namespaces are reported in read-write set order.",
			tx: blockstest.Tx{Chaincode: "other", Args: []string{"f"}, Writes: []blockstest.Write{
				{Namespace: "_lifecycle", Key: "a", Value: []byte("1")},
				{Key: "b", Value: []byte("2")},
			}},
			wantValid: true, wantCode: peer.TxValidationCode_VALID, wantType: common.HeaderType_ENDORSER_TRANSACTION,
			wantCC: "other", wantNS: []string{"_lifecycle", "other"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := blocks.Parse(blockstest.NewChain().MustAdd(tc.tx))
			require.NoError(t, err)
			require.Len(t, got.Transactions, 1)
			tx := got.Transactions[0]
			assert.Equal(t, tc.wantValid, tx.Valid())
			assert.Equal(t, tc.wantCode, tx.ValidationCode)
			assert.Equal(t, tc.wantType, tx.Type)
			assert.Equal(t, tc.wantCC, tx.Chaincode)
			assert.Equal(t, tc.wantEvent, tx.Event != nil)
			var ns []string
			for _, w := range tx.Writes {
				ns = append(ns, w.Namespace)
			}
			assert.Equal(t, tc.wantNS, ns)
			assert.NotEmpty(t, tx.ID)
			assert.Equal(t, "aeo", tx.Channel)
		})
	}
}

func TestParseRejectsMalformedBlocks(t *testing.T) {
	valid := func() *common.Block {
		return blockstest.NewChain().MustAdd(blockstest.Tx{Args: []string{"a"}}, blockstest.Tx{Args: []string{"b"}})
	}
	tests := []struct {
		name    string
		mutate  func(b *common.Block)
		wantErr string
	}{
		{
			name:    "A block without a header is rejected.",
			mutate:  func(b *common.Block) { b.Header = nil },
			wantErr: "parsing block: header is missing: malformed block",
		},
		{
			name: "A filter with fewer entries than transactions is rejected.",
			mutate: func(b *common.Block) {
				b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = []byte{0}
			},
			wantErr: "parsing block 0: reading TRANSACTIONS_FILTER: it has 1 entries for 2 transactions: malformed block",
		},
		{
			name:    "A transaction marked VALID whose bytes are not an envelope is rejected.",
			mutate:  func(b *common.Block) { b.Data.Data[1] = []byte{0xff, 0xff, 0xff} },
			wantErr: "parsing block 0 tx 1: malformed block: unmarshalling envelope:",
		},
		{
			name: "A VALID endorser transaction with two actions is rejected.",
			mutate: func(b *common.Block) {
				env := &common.Envelope{}
				require.NoError(t, proto.Unmarshal(b.Data.Data[0], env))
				pl := &common.Payload{}
				require.NoError(t, proto.Unmarshal(env.Payload, pl))
				tx := &peer.Transaction{}
				require.NoError(t, proto.Unmarshal(pl.Data, tx))
				tx.Actions = append(tx.Actions, tx.Actions[0])
				pl.Data, _ = proto.Marshal(tx)
				env.Payload, _ = proto.Marshal(pl)
				b.Data.Data[0], _ = proto.Marshal(env)
			},
			wantErr: "parsing block 0 tx 0: malformed block: reading transaction: it has 2 actions, want 1",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := valid()
			tc.mutate(b)
			got, err := blocks.Parse(b)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.True(t, errors.Is(err, blocks.ErrMalformed))
			assert.True(t, strings.HasPrefix(err.Error(), tc.wantErr), "error %q does not start with %q", err, tc.wantErr)
		})
	}
}

func TestParseToleratesWhatFabricCommitsAsInvalid(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(b *common.Block)
		wantCode []peer.TxValidationCode
	}{
		{
			name: "An unreadable envelope marked BAD_PAYLOAD is kept with its code.",
			mutate: func(b *common.Block) {
				b.Data.Data[1] = []byte{0xff, 0xff, 0xff}
				b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER][1] = byte(peer.TxValidationCode_BAD_PAYLOAD)
			},
			wantCode: []peer.TxValidationCode{peer.TxValidationCode_VALID, peer.TxValidationCode_BAD_PAYLOAD},
		},
		{
			name: "A block without TRANSACTIONS_FILTER marks every transaction NOT_VALIDATED.",
			mutate: func(b *common.Block) {
				b.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = nil
			},
			wantCode: []peer.TxValidationCode{peer.TxValidationCode_NOT_VALIDATED, peer.TxValidationCode_NOT_VALIDATED},
		},
		{
			name:     "A block without any metadata marks every transaction NOT_VALIDATED.",
			mutate:   func(b *common.Block) { b.Metadata = nil },
			wantCode: []peer.TxValidationCode{peer.TxValidationCode_NOT_VALIDATED, peer.TxValidationCode_NOT_VALIDATED},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := blockstest.NewChain().MustAdd(blockstest.Tx{Args: []string{"a"}}, blockstest.Tx{Args: []string{"b"}})
			tc.mutate(b)
			got, err := blocks.Parse(b)
			require.NoError(t, err)
			var codes []peer.TxValidationCode
			for _, tx := range got.Transactions {
				codes = append(codes, tx.ValidationCode)
				assert.False(t, tx.Valid() && tx.ValidationCode != peer.TxValidationCode_VALID)
			}
			assert.Equal(t, tc.wantCode, codes)
		})
	}
}

func TestParseBytesRoundTripsAndChainsHeaders(t *testing.T) {
	chain := blockstest.NewChain()
	first := chain.MustAdd(blockstest.Tx{Config: true})
	second := chain.MustAdd(blockstest.Tx{Args: []string{"x"}})
	raw, err := proto.Marshal(second)
	require.NoError(t, err)

	got, err := blocks.ParseBytes(raw)
	require.NoError(t, err)
	firstHash := ledger.BlockHeaderHash(first.Header)
	assert.Equal(t, firstHash, got.PreviousHash)
	parsedFirst, err := blocks.Parse(first)
	require.NoError(t, err)
	assert.Equal(t, firstHash, parsedFirst.Hash, "Parse computes the header hash the next block refers to")
	assert.Equal(t, uint64(1), got.Number)

	_, err = blocks.ParseBytes([]byte{0x0a, 0xff})
	assert.ErrorIs(t, err, blocks.ErrMalformed)
}

func FuzzParseBytes(f *testing.F) {
	raw, err := proto.Marshal(blockstest.NewChain().MustAdd(blockstest.Tx{Args: []string{"a"}, EventName: "e", Writes: []blockstest.Write{{Key: "k"}}}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := blocks.ParseBytes(data)
		if err != nil {
			if !errors.Is(err, blocks.ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		for i, tx := range b.Transactions {
			if tx.Index != i {
				t.Fatalf("tx %d has index %d", i, tx.Index)
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	chain := blockstest.NewChain()
	txs := make([]blockstest.Tx, 10)
	for i := range txs {
		txs[i] = blockstest.Tx{Args: []string{"RecordTouchpoint", `{"id":"x"}`}, EventName: "touchpoint", EventPayload: make([]byte, 600),
			Writes: []blockstest.Write{{Key: "k", Value: make([]byte, 600)}}}
	}
	raw, err := proto.Marshal(chain.MustAdd(txs...))
	require.NoError(b, err)
	b.SetBytes(int64(len(raw)))
	b.ResetTimer()
	for b.Loop() {
		if _, err := blocks.ParseBytes(raw); err != nil {
			b.Fatal(err)
		}
	}
}
