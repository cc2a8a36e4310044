package ledger

import (
	"context"
	"crypto/rand"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// benchEnvelope builds an endorser transaction that reads key (absent) and
// writes it with value, without simulation or signatures (the ledger does
// not check them; the node does, before Order).
func benchEnvelope(tb testing.TB, creator []byte, key string, value []byte) (*common.Envelope, string) {
	nonce := make([]byte, 24)
	_, _ = rand.Read(nonce)
	txID := ComputeTxID(nonce, creator)
	kv := &kvrwset.KVRWSet{
		Reads:  []*kvrwset.KVRead{{Key: key}},
		Writes: []*kvrwset.KVWrite{{Key: key, Value: value}},
	}
	rw := &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV, NsRwset: []*rwset.NsReadWriteSet{{Namespace: testChaincode, Rwset: mustMarshal(tb, kv)}}}
	act := &peer.ChaincodeAction{Results: mustMarshal(tb, rw), Response: &peer.Response{Status: 200}, ChaincodeId: &peer.ChaincodeID{Name: testChaincode}}
	prp := mustMarshal(tb, &peer.ProposalResponsePayload{ProposalHash: make([]byte, 32), Extension: mustMarshal(tb, act)})
	cap := mustMarshal(tb, &peer.ChaincodeActionPayload{Action: &peer.ChaincodeEndorsedAction{
		ProposalResponsePayload: prp,
		Endorsements:            []*peer.Endorsement{{Endorser: creator, Signature: make([]byte, 71)}},
	}})
	shdr := mustMarshal(tb, &common.SignatureHeader{Creator: creator, Nonce: nonce})
	chdr := mustMarshal(tb, &common.ChannelHeader{Type: int32(common.HeaderType_ENDORSER_TRANSACTION), ChannelId: testChannel, TxId: txID, Timestamp: timestamppb.Now()})
	txb := mustMarshal(tb, &peer.Transaction{Actions: []*peer.TransactionAction{{Header: shdr, Payload: cap}}})
	payload := mustMarshal(tb, &common.Payload{Header: &common.Header{ChannelHeader: chdr, SignatureHeader: shdr}, Data: txb})
	return &common.Envelope{Payload: payload, Signature: make([]byte, 71)}, txID
}

// BenchmarkCommit measures ordering, validation and commit per transaction
// (one read and one 200-byte write each, 8 concurrent submitters), against
// the bare storage cost of the same blocks: one bbolt transaction per block
// writing the state entry, history entry, tx index entry and block bytes.
func BenchmarkCommit(b *testing.B) {
	const batch = 500
	orderer := newTestIdentity(b, "OrdererMSP", "orderer0")
	client := newTestIdentity(b, "ExporterMSP", "user1")
	value := make([]byte, 200)

	type prepared struct {
		env  *common.Envelope
		raw  []byte
		txID string
	}
	prepare := func(b *testing.B) []prepared {
		out := make([]prepared, b.N)
		for i := range out {
			env, id := benchEnvelope(b, client.serialized, fmt.Sprintf("key-%09d", i), value)
			out[i] = prepared{env: env, raw: mustMarshal(b, env), txID: id}
		}
		return out
	}

	for _, fsync := range []bool{true, false} {
		name := "ledger/fsync"
		if !fsync {
			name = "ledger/nosync"
		}
		b.Run(name+"/queued", func(b *testing.B) {
			txs := prepare(b)
			l, err := Open(b.TempDir(), Options{ChannelID: testChannel, Signer: orderer, BatchSize: batch, BatchTimeout: 20 * time.Millisecond, NoSync: !fsync})
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			ctx := context.Background()
			b.ResetTimer()
			for i := range txs {
				if err := l.Order(ctx, txs[i].env); err != nil {
					b.Fatal(err)
				}
			}
			for i := range txs {
				if _, code, err := l.WaitForTx(ctx, txs[i].txID); err != nil || code != peer.TxValidationCode_VALID {
					b.Fatalf("tx %d: %v %v", i, code, err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
	}

	// Submitters that each wait for their commit before sending the next
	// transaction: throughput is bounded by the batch timeout.
	for _, timeout := range []time.Duration{2 * time.Millisecond, 20 * time.Millisecond} {
		for _, submitters := range []int{1, 8, 32} {
			b.Run(fmt.Sprintf("ledger/fsync/timeout=%v/submitters=%d", timeout, submitters), func(b *testing.B) {
				txs := prepare(b)
				l, err := Open(b.TempDir(), Options{ChannelID: testChannel, Signer: orderer, BatchSize: batch, BatchTimeout: timeout})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				ctx := context.Background()
				b.ResetTimer()
				var wg sync.WaitGroup
				for w := 0; w < submitters; w++ {
					wg.Add(1)
					go func(w int) {
						defer wg.Done()
						for i := w; i < len(txs); i += submitters {
							if err := l.Order(ctx, txs[i].env); err != nil {
								b.Error(err)
								return
							}
							if _, code, err := l.WaitForTx(ctx, txs[i].txID); err != nil || code != peer.TxValidationCode_VALID {
								b.Errorf("tx %d: %v %v", i, code, err)
								return
							}
						}
					}(w)
				}
				wg.Wait()
				b.StopTimer()
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
			})
		}
	}

	for _, fsync := range []bool{true, false} {
		name := "bare-bbolt/fsync"
		if !fsync {
			name = "bare-bbolt/nosync"
		}
		b.Run(name, func(b *testing.B) {
			txs := prepare(b)
			db, err := bbolt.Open(filepath.Join(b.TempDir(), "bare.db"), 0o600, &bbolt.Options{NoSync: !fsync, NoFreelistSync: true, FreelistType: bbolt.FreelistMapType, InitialMmapSize: 1 << 30})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			// everything but the bbolt writes is prepared outside the timer
			keys := make([][]byte, len(txs))
			for i := range txs {
				keys[i] = []byte(fmt.Sprintf("key-%09d", i))
			}
			var blockBytes [][]byte
			for start := 0; start < len(txs); start += batch {
				var raw []byte
				for i := start; i < min(start+batch, len(txs)); i++ {
					raw = append(raw, txs[i].raw...)
				}
				blockBytes = append(blockBytes, raw)
			}
			b.ResetTimer()
			for start, blockNum := 0, uint64(1); start < len(txs); start, blockNum = start+batch, blockNum+1 {
				end := min(start+batch, len(txs))
				err := db.Update(func(tx *bbolt.Tx) error {
					st, _ := tx.CreateBucketIfNotExists([]byte("state"))
					hi, _ := tx.CreateBucketIfNotExists([]byte("history"))
					ix, _ := tx.CreateBucketIfNotExists([]byte("txindex"))
					bl, _ := tx.CreateBucketIfNotExists([]byte("blocks"))
					for i := start; i < end; i++ {
						v := Version{BlockNum: blockNum, TxNum: uint64(i - start)}
						if err := st.Put(keys[i], encodeStateValue(v, value)); err != nil {
							return err
						}
						if err := hi.Put(historyKey(string(keys[i]), v), encodeHistory(historyEntry{TxID: txs[i].txID, Value: value})); err != nil {
							return err
						}
						if err := ix.Put([]byte(txs[i].txID), encodeTxIndex(txIndexEntry{BlockNum: blockNum})); err != nil {
							return err
						}
					}
					return bl.Put(u64(blockNum), blockBytes[blockNum-1])
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tx/s")
		})
	}
}

// countCC counts the records of a partial composite key, reading every
// value, like a shipment trace without the JSON.
type countCC struct{}

func (countCC) Init(shim.ChaincodeStubInterface) *peer.Response { return shim.Success(nil) }

func (countCC) Invoke(stub shim.ChaincodeStubInterface) *peer.Response {
	_, args := stub.GetFunctionAndParameters()
	it, err := stub.GetStateByPartialCompositeKey("rec", args)
	if err != nil {
		return shim.Error(err.Error())
	}
	defer it.Close()
	n, size := 0, 0
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return shim.Error(err.Error())
		}
		n++
		size += len(kv.GetValue())
	}
	return shim.Success([]byte(fmt.Sprintf("%d/%d", n, size)))
}

// bulkLoad writes n composite-key records straight into the state of a
// fresh ledger, in key order and large bbolt transactions: shipments
// S000000.. of perShipment records each. Benchmarks only: the chain does
// not hold these writes, so Verify would refuse such a ledger.
func bulkLoad(b *testing.B, l *Ledger, n, perShipment int) {
	b.Helper()
	value := make([]byte, 100)
	const perTx = 100_000
	for start := 0; start < n; start += perTx {
		err := l.db.Update(func(tx *bbolt.Tx) error {
			sb, err := tx.Bucket(bucketState).CreateBucketIfNotExists([]byte(testChaincode))
			if err != nil {
				return err
			}
			sb.FillPercent = 1.0 // keys arrive in order
			for i := start; i < min(start+perTx, n); i++ {
				key, err := shim.CreateCompositeKey("rec", []string{fmt.Sprintf("S%06d", i/perShipment), fmt.Sprintf("%06d", i%perShipment)})
				if err != nil {
					return err
				}
				if err := sb.Put([]byte(key), encodeStateValue(Version{BlockNum: 1}, value)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTraceRange simulates a trace that reads all 1,000 records of one
// shipment (a partial composite key range) on ledgers of 10k and 1M
// records. The cost should follow the shipment's records, not the ledger.
func BenchmarkTraceRange(b *testing.B) {
	const perShipment = 1000
	orderer := newTestIdentity(b, "OrdererMSP", "orderer0")
	for _, size := range []int{10_000, 1_000_000} {
		l, err := Open(b.TempDir(), Options{ChannelID: testChannel, Signer: orderer, NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		bulkLoad(b, l, size, perShipment)
		target := fmt.Sprintf("S%06d", size/perShipment/2)
		in := SimulationInput{
			TxID: "trace", ChannelID: testChannel, Namespace: testChaincode,
			Chaincode: countCC{}, Args: [][]byte{[]byte("trace"), []byte(target)},
			Timestamp: timestamppb.Now(),
		}
		res, err := l.Simulate(context.Background(), in)
		if err != nil || string(res.Response.GetPayload()) != "1000/100000" {
			b.Fatalf("trace found %s (%v), want 1000 records", res.Response.GetPayload(), err)
		}
		b.Run(fmt.Sprintf("ledger=%d/simulate", size), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				if _, err := l.Simulate(context.Background(), in); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/perShipment, "ns/record")
		})
		// baseline: the same 1,000 keys read with a bare bbolt cursor
		start, end, _ := partialCompositeRange("rec", []string{target})
		b.Run(fmt.Sprintf("ledger=%d/bare-bbolt-scan", size), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				n := 0
				_ = l.db.View(func(tx *bbolt.Tx) error {
					c := stateBucket(tx, testChaincode).Cursor()
					for k, _ := c.Seek([]byte(start)); k != nil && string(k) < end; k, _ = c.Next() {
						n++
					}
					return nil
				})
				if n != perShipment {
					b.Fatalf("scan found %d", n)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/perShipment, "ns/record")
		})
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSimulate measures one Simulate of a read-then-write chaincode
// call against the bare cost of a bbolt read transaction with one Get.
func BenchmarkSimulate(b *testing.B) {
	h := newHarness(b, nil)
	h.submit("put", "k", "v")
	in, err := ProposalInput(h.proposal("readput", "k", "w"))
	if err != nil {
		b.Fatal(err)
	}
	in.Chaincode = testCC{}
	b.Run("simulate-readput", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := h.l.Simulate(context.Background(), in); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("bare-bbolt-get", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			_ = h.l.db.View(func(tx *bbolt.Tx) error {
				_, _, _, err := getVersioned(tx, testChaincode, "k")
				return err
			})
		}
	})
}

// BenchmarkBlockTime compares BlockTime, which decodes only the envelopes'
// channel headers, with the baseline of parsing every transaction fully
// (ParseEnvelopeBytes) to read the same timestamps, on a block of 16
// endorser transactions.
func BenchmarkBlockTime(b *testing.B) {
	h := newHarness(b, func(o *Options) { o.BatchSize = 16; o.BatchTimeout = time.Hour })
	var envs []*common.Envelope
	for i := range 16 {
		res, sp := h.simulate("put", fmt.Sprint("k", i), "v")
		envs = append(envs, h.envelope(res, sp))
	}
	h.orderAll(envs...)
	blk, err := h.l.Block(h.l.Height() - 1)
	if err != nil || len(blk.Data.Data) != 16 {
		b.Fatalf("block of %d transactions: %v", len(blk.GetData().GetData()), err)
	}
	b.Run("channel-headers", func(b *testing.B) {
		for b.Loop() {
			BlockTime(blk)
		}
	})
	b.Run("full-parse-baseline", func(b *testing.B) {
		for b.Loop() {
			var at time.Time
			for _, raw := range blk.Data.Data {
				if tx, err := ParseEnvelopeBytes(raw); err == nil && tx.Timestamp.AsTime().After(at) {
					at = tx.Timestamp.AsTime()
				}
			}
		}
	})
}
