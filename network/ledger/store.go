package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"

	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// bbolt layout. Every block commit writes all of these in one transaction.
//
//	meta     height -> uint64 BE; lasthash -> header hash of the last block;
//	         channel -> channel ID
//	state    one nested bucket per namespace: key -> version ++ value
//	history  one nested bucket per namespace:
//	         uvarint(len(key)) ++ key ++ blockNum BE ++ txNum BE -> history entry
//	blocks   blockNum BE -> marshalled common.Block
//	txindex  txID -> uvarint blockNum ++ uvarint txNum ++ uvarint validation code
var (
	bucketMeta    = []byte("meta")
	bucketState   = []byte("state")
	bucketHistory = []byte("history")
	bucketBlocks  = []byte("blocks")
	bucketTxIndex = []byte("txindex")

	metaHeight   = []byte("height")
	metaLastHash = []byte("lasthash")
	metaChannel  = []byte("channel")
)

var errCorrupt = errors.New("corrupt ledger record")

// Version is the height of the transaction that last wrote a key, as in
// Fabric's kvrwset.Version.
type Version struct {
	BlockNum uint64
	TxNum    uint64
}

func u64(n uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], n)
	return b[:]
}

// encodeStateValue lays out a state entry: uvarint block, uvarint tx, value.
func encodeStateValue(v Version, value []byte) []byte {
	out := make([]byte, 0, 2*binary.MaxVarintLen64+len(value))
	out = binary.AppendUvarint(out, v.BlockNum)
	out = binary.AppendUvarint(out, v.TxNum)
	return append(out, value...)
}

// decodeStateValue splits a state entry. The returned value aliases raw.
func decodeStateValue(raw []byte) (Version, []byte, error) {
	blk, n := binary.Uvarint(raw)
	if n <= 0 {
		return Version{}, nil, fmt.Errorf("decoding state version: %w", errCorrupt)
	}
	tx, m := binary.Uvarint(raw[n:])
	if m <= 0 {
		return Version{}, nil, fmt.Errorf("decoding state version: %w", errCorrupt)
	}
	return Version{BlockNum: blk, TxNum: tx}, raw[n+m:], nil
}

// historyPrefix is the part of a history key shared by all entries of key.
func historyPrefix(key string) []byte {
	out := make([]byte, 0, binary.MaxVarintLen64+len(key)+16)
	out = binary.AppendUvarint(out, uint64(len(key)))
	return append(out, key...)
}

func historyKey(key string, v Version) []byte {
	out := historyPrefix(key)
	out = binary.BigEndian.AppendUint64(out, v.BlockNum)
	return binary.BigEndian.AppendUint64(out, v.TxNum)
}

// historyEntry is one committed write of a key.
type historyEntry struct {
	TxID      string
	Timestamp *timestamppb.Timestamp
	IsDelete  bool
	Value     []byte
}

func encodeHistory(e historyEntry) []byte {
	out := make([]byte, 0, 32+len(e.TxID)+len(e.Value))
	var flags byte
	if e.IsDelete {
		flags |= 1
	}
	if e.Timestamp != nil {
		flags |= 2
	}
	out = append(out, flags)
	if e.Timestamp != nil {
		out = binary.AppendVarint(out, e.Timestamp.GetSeconds())
		out = binary.AppendVarint(out, int64(e.Timestamp.GetNanos()))
	}
	out = binary.AppendUvarint(out, uint64(len(e.TxID)))
	out = append(out, e.TxID...)
	return append(out, e.Value...)
}

func decodeHistory(raw []byte) (historyEntry, error) {
	var e historyEntry
	if len(raw) < 1 {
		return e, fmt.Errorf("decoding history entry: %w", errCorrupt)
	}
	flags := raw[0]
	raw = raw[1:]
	e.IsDelete = flags&1 != 0
	if flags&2 != 0 {
		sec, n := binary.Varint(raw)
		if n <= 0 {
			return e, fmt.Errorf("decoding history timestamp: %w", errCorrupt)
		}
		raw = raw[n:]
		nanos, m := binary.Varint(raw)
		if m <= 0 {
			return e, fmt.Errorf("decoding history timestamp: %w", errCorrupt)
		}
		raw = raw[m:]
		e.Timestamp = &timestamppb.Timestamp{Seconds: sec, Nanos: int32(nanos)}
	}
	l, n := binary.Uvarint(raw)
	if n <= 0 || uint64(len(raw)-n) < l {
		return e, fmt.Errorf("decoding history tx id: %w", errCorrupt)
	}
	e.TxID = string(raw[n : n+int(l)])
	if v := raw[n+int(l):]; len(v) > 0 {
		e.Value = append([]byte(nil), v...)
	}
	return e, nil
}

// txIndexEntry is where a transaction ID was first committed.
type txIndexEntry struct {
	BlockNum uint64
	TxNum    uint64
	Code     int32
}

func encodeTxIndex(e txIndexEntry) []byte {
	out := make([]byte, 0, 3*binary.MaxVarintLen64)
	out = binary.AppendUvarint(out, e.BlockNum)
	out = binary.AppendUvarint(out, e.TxNum)
	return binary.AppendUvarint(out, uint64(e.Code))
}

func decodeTxIndex(raw []byte) (txIndexEntry, error) {
	var e txIndexEntry
	var vals [3]uint64
	for i := range vals {
		v, n := binary.Uvarint(raw)
		if n <= 0 {
			return e, fmt.Errorf("decoding tx index: %w", errCorrupt)
		}
		vals[i] = v
		raw = raw[n:]
	}
	return txIndexEntry{BlockNum: vals[0], TxNum: vals[1], Code: int32(vals[2])}, nil
}

// stateBucket returns the namespace's state bucket, or nil if the namespace
// has never been written.
func stateBucket(tx *bbolt.Tx, ns string) *bbolt.Bucket {
	root := tx.Bucket(bucketState)
	if root == nil {
		return nil
	}
	return root.Bucket([]byte(ns))
}

func historyBucket(tx *bbolt.Tx, ns string) *bbolt.Bucket {
	root := tx.Bucket(bucketHistory)
	if root == nil {
		return nil
	}
	return root.Bucket([]byte(ns))
}

// getVersioned reads a key's committed value and version; found is false if
// the key does not exist.
func getVersioned(tx *bbolt.Tx, ns, key string) (value []byte, v Version, found bool, err error) {
	b := stateBucket(tx, ns)
	if b == nil {
		return nil, Version{}, false, nil
	}
	raw := b.Get([]byte(key))
	if raw == nil {
		return nil, Version{}, false, nil
	}
	v, val, err := decodeStateValue(raw)
	if err != nil {
		return nil, Version{}, false, fmt.Errorf("reading %s/%q: %w", ns, key, err)
	}
	return val, v, true, nil
}
