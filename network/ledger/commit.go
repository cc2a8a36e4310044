package ledger

import (
	"bytes"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/proto"
)

// MaxKeyLength bounds state keys (bbolt keys hold at most 32 KiB and history
// keys add a small prefix and suffix).
const MaxKeyLength = 16 << 10

// commitBlock builds block number l.height from batch, validates each
// transaction against the committed state plus the writes of the valid
// transactions before it in the block, and writes state, history, the
// signed block, its flags, the tx index and the new height in one bbolt
// transaction. Waiters and subscribers are woken after it is durable.
func (l *Ledger) commitBlock(batch []*orderedTx) error {
	l.mu.Lock()
	num, prev := l.height, l.lastHash
	l.mu.Unlock()

	data := make([][]byte, len(batch))
	for i, otx := range batch {
		data[i] = otx.raw
	}
	blk := newBlock(num, prev, data)
	// The header is final once the data is in: flags and signature go into
	// the metadata, which the header hash does not cover.
	hash := BlockHeaderHash(blk.Header)
	flags := make([]byte, len(batch))
	hookCodes := l.runValidateHook(batch)
	indexed := make(map[string]txIndexEntry, len(batch))

	err := l.db.Update(func(btx *bbolt.Tx) error {
		for _, name := range [][]byte{bucketMeta, bucketState, bucketHistory, bucketBlocks, bucketTxIndex} {
			if _, err := btx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("creating bucket %s: %w", name, err)
			}
		}
		txIndex := btx.Bucket(bucketTxIndex)
		for i, otx := range batch {
			ver := Version{BlockNum: num, TxNum: uint64(i)}
			code, err := l.validateTx(btx, otx.tx, hookCodes[i])
			if err != nil {
				return err
			}
			if code == peer.TxValidationCode_VALID {
				if err := applyWrites(btx, otx.tx, ver); err != nil {
					return err
				}
			}
			flags[i] = byte(code)
			if code == peer.TxValidationCode_DUPLICATE_TXID || otx.tx.TxID == "" {
				continue
			}
			e := txIndexEntry{BlockNum: num, TxNum: uint64(i), Code: int32(code)}
			if err := txIndex.Put([]byte(otx.tx.TxID), encodeTxIndex(e)); err != nil {
				return fmt.Errorf("indexing tx %s: %w", otx.tx.TxID, err)
			}
			indexed[otx.tx.TxID] = e
		}
		blk.Metadata.Metadata[common.BlockMetadataIndex_TRANSACTIONS_FILTER] = flags
		if err := signBlock(blk, l.opts.Signer, l.signerID, 0, flagsConsenterMetadata(flags)); err != nil {
			return err
		}
		raw, err := proto.MarshalOptions{Deterministic: true}.Marshal(blk)
		if err != nil {
			return fmt.Errorf("marshalling block %d: %w", num, err)
		}
		if err := btx.Bucket(bucketBlocks).Put(u64(num), raw); err != nil {
			return fmt.Errorf("storing block %d: %w", num, err)
		}
		meta := btx.Bucket(bucketMeta)
		for k, v := range map[string][]byte{
			string(metaHeight):   u64(num + 1),
			string(metaLastHash): hash,
			string(metaChannel):  []byte(l.opts.ChannelID),
		} {
			if err := meta.Put([]byte(k), v); err != nil {
				return fmt.Errorf("storing ledger height: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("committing block %d: %w", num, err)
	}

	l.mu.Lock()
	l.height = num + 1
	l.lastHash = hash
	for txID, e := range indexed {
		for _, ch := range l.waiters[txID] {
			ch <- txResult{blockNum: e.BlockNum, code: peer.TxValidationCode(e.Code)}
		}
		delete(l.waiters, txID)
	}
	close(l.commitCh)
	l.commitCh = make(chan struct{})
	l.mu.Unlock()
	return nil
}

// validateTx returns the transaction's validation code. An error means the
// store itself failed, not the transaction.
func (l *Ledger) validateTx(btx *bbolt.Tx, tx *Tx, hookCode peer.TxValidationCode) (peer.TxValidationCode, error) {
	if tx.Type == common.HeaderType_CONFIG {
		return peer.TxValidationCode_VALID, nil
	}
	if tx.TxID != ComputeTxID(tx.Nonce, tx.Creator) {
		return peer.TxValidationCode_BAD_PROPOSAL_TXID, nil
	}
	if btx.Bucket(bucketTxIndex).Get([]byte(tx.TxID)) != nil {
		return peer.TxValidationCode_DUPLICATE_TXID, nil
	}
	if code := checkWriteSet(tx); code != peer.TxValidationCode_VALID {
		return code, nil
	}
	if hookCode != peer.TxValidationCode_VALID {
		return hookCode, nil
	}
	for _, ns := range tx.NsRWSets {
		for _, r := range ns.KV.GetReads() {
			ok, err := readStillValid(btx, ns.Namespace, r)
			if err != nil {
				return 0, err
			}
			if !ok {
				return peer.TxValidationCode_MVCC_READ_CONFLICT, nil
			}
		}
		for _, rq := range ns.KV.GetRangeQueriesInfo() {
			ok, err := rangeStillValid(btx, ns.Namespace, rq)
			if err != nil {
				return 0, err
			}
			if !ok {
				return peer.TxValidationCode_PHANTOM_READ_CONFLICT, nil
			}
		}
	}
	return peer.TxValidationCode_VALID, nil
}

// runValidateHook runs Options.Validate for every endorser transaction of
// the batch, in parallel (it checks signatures and certificates, which do
// not depend on state), before the sequential state checks.
func (l *Ledger) runValidateHook(batch []*orderedTx) []peer.TxValidationCode {
	codes := make([]peer.TxValidationCode, len(batch)) // zero is VALID
	if l.opts.Validate == nil {
		return codes
	}
	workers := min(runtime.GOMAXPROCS(0), len(batch))
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= len(batch) {
					return
				}
				if batch[i].tx.Type == common.HeaderType_ENDORSER_TRANSACTION {
					codes[i] = l.opts.Validate(batch[i].tx)
				}
			}
		}()
	}
	wg.Wait()
	return codes
}

// checkWriteSet refuses write sets the store cannot apply.
func checkWriteSet(tx *Tx) peer.TxValidationCode {
	for _, ns := range tx.NsRWSets {
		if ns.Namespace == "" {
			return peer.TxValidationCode_INVALID_WRITESET
		}
		if len(ns.KV.GetMetadataWrites()) > 0 {
			return peer.TxValidationCode_INVALID_WRITESET
		}
		for _, w := range ns.KV.GetWrites() {
			if w.GetKey() == "" || len(w.GetKey()) > MaxKeyLength {
				return peer.TxValidationCode_INVALID_WRITESET
			}
		}
	}
	return peer.TxValidationCode_VALID
}

func readStillValid(btx *bbolt.Tx, ns string, r *kvrwset.KVRead) (bool, error) {
	_, v, found, err := getVersioned(btx, ns, r.GetKey())
	if err != nil {
		return false, err
	}
	want := r.GetVersion()
	if want == nil {
		return !found, nil
	}
	return found && v.BlockNum == want.GetBlockNum() && v.TxNum == want.GetTxNum(), nil
}

// rangeStillValid re-runs a range query on the current state and compares
// it with the keys and versions the simulation saw (phantom read check).
// If the iterator was not exhausted the range ends at the last key read,
// inclusive, as in Fabric.
func rangeStillValid(btx *bbolt.Tx, ns string, rq *kvrwset.RangeQueryInfo) (bool, error) {
	if rq.GetReadsMerkleHashes() != nil {
		return false, nil // this ledger never writes summaries; it cannot check one
	}
	reads := rq.GetRawReads().GetKvReads()
	b := stateBucket(btx, ns)
	if b == nil {
		return len(reads) == 0, nil
	}
	end, inclusive := []byte(rq.GetEndKey()), !rq.GetItrExhausted()
	inRange := func(k []byte) bool {
		if len(end) == 0 && !inclusive {
			return true
		}
		c := bytes.Compare(k, end)
		return c < 0 || (inclusive && c == 0)
	}
	c := b.Cursor()
	k, raw := c.Seek([]byte(rq.GetStartKey()))
	for _, r := range reads {
		if k == nil || !inRange(k) || string(k) != r.GetKey() {
			return false, nil
		}
		v, _, err := decodeStateValue(raw)
		if err != nil {
			return false, err
		}
		want := r.GetVersion()
		if v.BlockNum != want.GetBlockNum() || v.TxNum != want.GetTxNum() {
			return false, nil
		}
		k, raw = c.Next()
	}
	return k == nil || !inRange(k), nil
}

// applyWrites writes a valid transaction's write set to state and history.
func applyWrites(btx *bbolt.Tx, tx *Tx, ver Version) error {
	for _, ns := range tx.NsRWSets {
		if len(ns.KV.GetWrites()) == 0 {
			continue
		}
		sb, err := btx.Bucket(bucketState).CreateBucketIfNotExists([]byte(ns.Namespace))
		if err != nil {
			return fmt.Errorf("creating state of %q: %w", ns.Namespace, err)
		}
		hb, err := btx.Bucket(bucketHistory).CreateBucketIfNotExists([]byte(ns.Namespace))
		if err != nil {
			return fmt.Errorf("creating history of %q: %w", ns.Namespace, err)
		}
		for _, w := range ns.KV.GetWrites() {
			key := []byte(w.GetKey())
			del := w.GetIsDelete() || len(w.GetValue()) == 0
			if del {
				err = sb.Delete(key)
			} else {
				err = sb.Put(key, encodeStateValue(ver, w.GetValue()))
			}
			if err != nil {
				return fmt.Errorf("writing %s/%q: %w", ns.Namespace, w.GetKey(), err)
			}
			h := historyEntry{TxID: tx.TxID, Timestamp: tx.Timestamp, IsDelete: del}
			if !del {
				h.Value = w.GetValue()
			}
			if err := hb.Put(historyKey(w.GetKey(), ver), encodeHistory(h)); err != nil {
				return fmt.Errorf("writing history of %s/%q: %w", ns.Namespace, w.GetKey(), err)
			}
		}
	}
	return nil
}
