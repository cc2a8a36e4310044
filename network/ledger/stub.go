package ledger

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"go.etcd.io/bbolt"
	"google.golang.org/protobuf/types/known/timestamppb"
)

const (
	compositeKeyNamespace = "\x00"
	// emptyKeySubstitute replaces an empty start key of a simple-key range
	// so that composite keys (which start with 0x00) stay out of it, as the
	// Fabric shim does.
	emptyKeySubstitute = "\x01"
	maxUnicodeRune     = utf8.MaxRune
)

// stub implements shim.ChaincodeStubInterface for one simulation over a
// bbolt read snapshot. Reads see committed state only (like Fabric, a
// transaction does not see its own uncommitted writes); reads are recorded
// with their versions and writes are buffered in the read/write set.
type stub struct {
	snap    *bbolt.Tx
	in      *SimulationInput
	ns      string
	rw      *rwsetBuilder
	event   *peer.ChaincodeEvent
	iters   []*rangeIterator
	binding []byte

	wrote     bool // a write was buffered
	paginated bool // a paginated query ran
}

var _ shim.ChaincodeStubInterface = (*stub)(nil)

// GetArgs returns the invocation arguments, function name first.
func (s *stub) GetArgs() [][]byte { return s.in.Args }

// GetStringArgs returns the arguments as strings.
func (s *stub) GetStringArgs() []string {
	out := make([]string, len(s.in.Args))
	for i, a := range s.in.Args {
		out[i] = string(a)
	}
	return out
}

// GetFunctionAndParameters splits the first argument off as the function.
func (s *stub) GetFunctionAndParameters() (string, []string) {
	args := s.GetStringArgs()
	if len(args) == 0 {
		return "", []string{}
	}
	return args[0], args[1:]
}

// GetArgsSlice returns the arguments concatenated.
func (s *stub) GetArgsSlice() ([]byte, error) {
	return bytes.Join(s.in.Args, nil), nil
}

// GetTxID returns the transaction ID of the proposal.
func (s *stub) GetTxID() string { return s.in.TxID }

// GetChannelID returns the channel of the proposal.
func (s *stub) GetChannelID() string { return s.in.ChannelID }

// InvokeChaincode is not supported; it returns an error response naming
// the method.
func (s *stub) InvokeChaincode(chaincodeName string, args [][]byte, channel string) *peer.Response {
	return &peer.Response{Status: shim.ERROR, Message: unsupported("InvokeChaincode").Error()}
}

// GetState returns the committed value of key (nil if absent) and records
// the read with its version.
func (s *stub) GetState(key string) ([]byte, error) {
	val, v, found, err := getVersioned(s.snap, s.ns, key)
	if err != nil {
		return nil, fmt.Errorf("GetState: %w", err)
	}
	if !found {
		s.rw.addRead(s.ns, key, nil)
		return nil, nil
	}
	s.rw.addRead(s.ns, key, &v)
	return append([]byte(nil), val...), nil
}

// GetMultipleStates returns the committed values of keys in order.
func (s *stub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	out := make([][]byte, len(keys))
	for i, k := range keys {
		v, err := s.GetState(k)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

func (s *stub) checkWrite(method, key string) error {
	if key == "" {
		return fmt.Errorf("%s: %w", method, invalid("key", key, "must not be empty"))
	}
	if len(key) > MaxKeyLength {
		return fmt.Errorf("%s: %w", method, invalid("key", key[:32]+"...", fmt.Sprintf("must be at most %d bytes", MaxKeyLength)))
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("%s: %w", method, invalid("key", fmt.Sprintf("%x", key), "must be valid UTF-8"))
	}
	if s.paginated {
		return fmt.Errorf("%s: txid [%s]: paginated queries are supported only in a read-only transaction, and this one ran one: %w", method, s.in.TxID, ErrInvalid)
	}
	s.wrote = true
	return nil
}

// PutState buffers a write. As in Fabric, an empty value deletes the key.
func (s *stub) PutState(key string, value []byte) error {
	if err := s.checkWrite("PutState", key); err != nil {
		return err
	}
	if len(value) == 0 {
		s.rw.addWrite(s.ns, key, nil)
		return nil
	}
	s.rw.addWrite(s.ns, key, append([]byte(nil), value...))
	return nil
}

// DelState buffers a delete.
func (s *stub) DelState(key string) error {
	if err := s.checkWrite("DelState", key); err != nil {
		return err
	}
	s.rw.addWrite(s.ns, key, nil)
	return nil
}

// SetStateValidationParameter is not supported (key-level endorsement).
func (s *stub) SetStateValidationParameter(key string, ep []byte) error {
	return unsupported("SetStateValidationParameter")
}

// GetStateValidationParameter is not supported (key-level endorsement).
func (s *stub) GetStateValidationParameter(key string) ([]byte, error) {
	return nil, unsupported("GetStateValidationParameter")
}

func validateSimpleKeys(method string, keys ...string) error {
	for _, k := range keys {
		if len(k) > 0 && k[0] == compositeKeyNamespace[0] {
			return fmt.Errorf("%s: %w", method, invalid("key", k, "must not start with the null character reserved for composite keys"))
		}
	}
	return nil
}

// GetStateByRange iterates committed keys in [startKey, endKey); empty
// bounds are open. Composite keys are excluded.
func (s *stub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys("GetStateByRange", startKey, endKey); err != nil {
		return nil, err
	}
	return s.newRange(startKey, endKey, 0), nil
}

// GetStateByRangeWithPagination returns one page of a range query. The
// bookmark is the key the next page starts at ("" when there is none).
func (s *stub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if startKey == "" {
		startKey = emptyKeySubstitute
	}
	if err := validateSimpleKeys("GetStateByRangeWithPagination", startKey, endKey); err != nil {
		return nil, nil, err
	}
	return s.paginate("GetStateByRangeWithPagination", startKey, endKey, pageSize, bookmark)
}

func partialCompositeRange(objectType string, attributes []string) (string, string, error) {
	start, err := shim.CreateCompositeKey(objectType, attributes)
	if err != nil {
		return "", "", err
	}
	return start, start + string(maxUnicodeRune), nil
}

// GetStateByPartialCompositeKey iterates the composite keys that start
// with objectType and attributes.
func (s *stub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	start, end, err := partialCompositeRange(objectType, keys)
	if err != nil {
		return nil, fmt.Errorf("GetStateByPartialCompositeKey: %w", err)
	}
	return s.newRange(start, end, 0), nil
}

// GetStateByPartialCompositeKeyWithPagination returns one page of a partial
// composite key query.
func (s *stub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	start, end, err := partialCompositeRange(objectType, keys)
	if err != nil {
		return nil, nil, fmt.Errorf("GetStateByPartialCompositeKeyWithPagination: %w", err)
	}
	return s.paginate("GetStateByPartialCompositeKeyWithPagination", start, end, pageSize, bookmark)
}

// GetAllStatesCompositeKeyWithPagination pages through every composite key.
func (s *stub) GetAllStatesCompositeKeyWithPagination(pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return s.paginate("GetAllStatesCompositeKeyWithPagination", compositeKeyNamespace, compositeKeyNamespace+string(maxUnicodeRune), pageSize, bookmark)
}

// paginate follows Fabric's peer: a non-empty bookmark replaces the start
// key, the page is read at once, and the bookmark returned is the key that
// follows the page, or "" if the range is exhausted. Fabric allows
// paginated queries only in read-only transactions.
func (s *stub) paginate(method, start, end string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if pageSize < 0 {
		return nil, nil, fmt.Errorf("%s: %w", method, invalid("pageSize", fmt.Sprint(pageSize), "must not be negative"))
	}
	if s.wrote {
		return nil, nil, fmt.Errorf("%s: txid [%s]: paginated queries are supported only in a read-only transaction: %w", method, s.in.TxID, ErrInvalid)
	}
	s.paginated = true
	if bookmark != "" {
		if bookmark < start || (end != "" && bookmark >= end) {
			return nil, nil, fmt.Errorf("%s: %w", method, invalid("bookmark", bookmark, "must lie in the queried range"))
		}
		start = bookmark
	}
	it := s.newRange(start, end, pageSize)
	if err := it.fillPage(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", method, err)
	}
	md := &peer.QueryResponseMetadata{FetchedRecordsCount: int32(len(it.page)), Bookmark: it.bookmark}
	return it, md, nil
}

// CreateCompositeKey uses the shim's encoding: 0x00, objectType, 0x00, and
// each attribute followed by 0x00.
func (s *stub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

// SplitCompositeKey reverses CreateCompositeKey.
func (s *stub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	return SplitCompositeKey(compositeKey)
}

// SplitCompositeKey splits a composite key made by shim.CreateCompositeKey
// into its object type and attributes.
func SplitCompositeKey(compositeKey string) (string, []string, error) {
	if len(compositeKey) < 2 || compositeKey[0] != compositeKeyNamespace[0] || compositeKey[len(compositeKey)-1] != 0 {
		return "", nil, invalid("compositeKey", compositeKey, "must start with 0x00 and end with the 0x00 separator")
	}
	var parts []string
	from := 1
	for i := 1; i < len(compositeKey); i++ {
		if compositeKey[i] == 0 {
			parts = append(parts, compositeKey[from:i])
			from = i + 1
		}
	}
	return parts[0], parts[1:], nil
}

// GetQueryResult is not supported (rich queries need CouchDB on Fabric too).
func (s *stub) GetQueryResult(query string) (shim.StateQueryIteratorInterface, error) {
	return nil, unsupported("GetQueryResult")
}

// GetQueryResultWithPagination is not supported.
func (s *stub) GetQueryResultWithPagination(query string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, unsupported("GetQueryResultWithPagination")
}

// GetHistoryForKey returns the committed writes of key, newest first.
// Like Fabric it adds nothing to the read set.
func (s *stub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	return newHistoryIterator(s.snap, s.ns, key), nil
}

// GetPrivateData is not supported.
func (s *stub) GetPrivateData(collection, key string) ([]byte, error) {
	return nil, unsupported("GetPrivateData")
}

// GetMultiplePrivateData is not supported.
func (s *stub) GetMultiplePrivateData(collection string, keys ...string) ([][]byte, error) {
	return nil, unsupported("GetMultiplePrivateData")
}

// GetPrivateDataHash is not supported.
func (s *stub) GetPrivateDataHash(collection, key string) ([]byte, error) {
	return nil, unsupported("GetPrivateDataHash")
}

// PutPrivateData is not supported.
func (s *stub) PutPrivateData(collection, key string, value []byte) error {
	return unsupported("PutPrivateData")
}

// DelPrivateData is not supported.
func (s *stub) DelPrivateData(collection, key string) error {
	return unsupported("DelPrivateData")
}

// PurgePrivateData is not supported.
func (s *stub) PurgePrivateData(collection, key string) error {
	return unsupported("PurgePrivateData")
}

// SetPrivateDataValidationParameter is not supported.
func (s *stub) SetPrivateDataValidationParameter(collection, key string, ep []byte) error {
	return unsupported("SetPrivateDataValidationParameter")
}

// GetPrivateDataValidationParameter is not supported.
func (s *stub) GetPrivateDataValidationParameter(collection, key string) ([]byte, error) {
	return nil, unsupported("GetPrivateDataValidationParameter")
}

// GetPrivateDataByRange is not supported.
func (s *stub) GetPrivateDataByRange(collection, startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	return nil, unsupported("GetPrivateDataByRange")
}

// GetPrivateDataByPartialCompositeKey is not supported.
func (s *stub) GetPrivateDataByPartialCompositeKey(collection, objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	return nil, unsupported("GetPrivateDataByPartialCompositeKey")
}

// GetPrivateDataQueryResult is not supported.
func (s *stub) GetPrivateDataQueryResult(collection, query string) (shim.StateQueryIteratorInterface, error) {
	return nil, unsupported("GetPrivateDataQueryResult")
}

// GetCreator returns the submitter's marshalled msp.SerializedIdentity.
func (s *stub) GetCreator() ([]byte, error) { return s.in.Creator, nil }

// GetTransient returns the proposal's transient map.
func (s *stub) GetTransient() (map[string][]byte, error) { return s.in.Transient, nil }

// GetBinding returns SHA-256(nonce ++ creator ++ epoch as 8 bytes little
// endian), the proposal binding the shim computes.
func (s *stub) GetBinding() ([]byte, error) { return s.binding, nil }

// GetDecorations returns the decorations of the chaincode input.
func (s *stub) GetDecorations() map[string][]byte { return s.in.Decorations }

// GetSignedProposal returns the proposal being simulated (nil if the
// simulation was not started from one).
func (s *stub) GetSignedProposal() (*peer.SignedProposal, error) { return s.in.SignedProposal, nil }

// GetTxTimestamp returns the channel header timestamp of the proposal.
func (s *stub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	if s.in.Timestamp == nil {
		return nil, errors.New("GetTxTimestamp: the proposal has no timestamp")
	}
	return s.in.Timestamp, nil
}

// SetEvent sets the transaction's single chaincode event (a later call
// replaces it, as in Fabric).
func (s *stub) SetEvent(name string, payload []byte) error {
	if name == "" {
		return fmt.Errorf("SetEvent: %w", invalid("name", name, "must not be empty"))
	}
	s.event = &peer.ChaincodeEvent{
		ChaincodeId: s.ns,
		TxId:        s.in.TxID,
		EventName:   name,
		Payload:     append([]byte(nil), payload...),
	}
	return nil
}

// StartWriteBatch has no effect: writes are always buffered locally, which
// the shim documents as the behaviour when the peer has no write batching.
func (s *stub) StartWriteBatch() {}

// FinishWriteBatch has no effect and returns nil.
func (s *stub) FinishWriteBatch() error { return nil }

func computeBinding(nonce, creator []byte, epoch uint64) []byte {
	h := sha256.New()
	h.Write(nonce)
	h.Write(creator)
	var e [8]byte
	binary.LittleEndian.PutUint64(e[:], epoch)
	h.Write(e[:])
	return h.Sum(nil)
}

// rangeIterator reads a key range lazily from the snapshot and records what
// it hands out as a range query (phantom-read protection).
type rangeIterator struct {
	s          *stub
	c          *bbolt.Cursor
	start, end string
	limit      int32 // page size; 0: no limit
	started    bool
	exhausted  bool // the range itself ended
	reads      []*kvrwset.KVRead
	next       *queryresult.KV
	err        error
	slab       resultSlab

	paged    bool
	page     []*queryresult.KV
	bookmark string
}

func (s *stub) newRange(start, end string, limit int32) *rangeIterator {
	it := &rangeIterator{s: s, start: start, end: end, limit: limit}
	if b := stateBucket(s.snap, s.ns); b != nil {
		it.c = b.Cursor()
	} else {
		it.exhausted = true
	}
	s.iters = append(s.iters, it)
	return it
}

// fetch moves to the next key in range and records it as read.
func (it *rangeIterator) fetch() {
	if it.next != nil || it.exhausted || it.err != nil {
		return
	}
	if it.limit > 0 && int32(len(it.reads)) >= it.limit {
		return
	}
	var k, raw []byte
	if !it.started {
		it.started = true
		k, raw = it.c.Seek([]byte(it.start))
	} else {
		k, raw = it.c.Next()
	}
	if k == nil || (it.end != "" && string(k) >= it.end) {
		it.exhausted = true
		return
	}
	v, val, err := decodeStateValue(raw)
	if err != nil {
		it.err = err
		return
	}
	key := string(k)
	read, kv := it.slab.next()
	read.Key, read.Version.BlockNum, read.Version.TxNum = key, v.BlockNum, v.TxNum
	it.reads = append(it.reads, read)
	kv.Namespace, kv.Key, kv.Value = it.s.ns, key, append([]byte(nil), val...)
	it.next = kv
}

// resultSlab hands out result messages allocated in chunks: a long range
// scan then costs a few allocations per chunk instead of three per key.
type resultSlab struct {
	reads    []kvrwset.KVRead
	versions []kvrwset.Version
	kvs      []queryresult.KV
}

const slabChunk = 128

func (s *resultSlab) next() (*kvrwset.KVRead, *queryresult.KV) {
	if len(s.reads) == 0 {
		// fresh chunks; elements are never copied after they are handed out
		s.reads = make([]kvrwset.KVRead, slabChunk)
		s.versions = make([]kvrwset.Version, slabChunk)
		s.kvs = make([]queryresult.KV, slabChunk)
	}
	read, ver, kv := &s.reads[0], &s.versions[0], &s.kvs[0]
	s.reads, s.versions, s.kvs = s.reads[1:], s.versions[1:], s.kvs[1:]
	read.Version = ver
	return read, kv
}

// fillPage reads a whole page and the bookmark (the key after the page,
// looked at without recording it, as Fabric does).
func (it *rangeIterator) fillPage() error {
	it.paged = true
	for {
		it.fetch()
		if it.err != nil {
			return it.err
		}
		if it.next == nil {
			break
		}
		it.page = append(it.page, it.next)
		it.next = nil
	}
	if !it.exhausted && it.c != nil {
		k, _ := it.c.Next()
		if k == nil || (it.end != "" && string(k) >= it.end) {
			it.exhausted = true
		} else {
			it.bookmark = string(k)
		}
	}
	return nil
}

// HasNext reports whether Next has a result.
func (it *rangeIterator) HasNext() bool {
	if it.paged {
		return len(it.page) > 0
	}
	it.fetch()
	return it.next != nil
}

// Next returns the next key and value.
func (it *rangeIterator) Next() (*queryresult.KV, error) {
	if it.paged {
		if len(it.page) == 0 {
			return nil, errors.New("no such key")
		}
		kv := it.page[0]
		it.page = it.page[1:]
		return kv, nil
	}
	it.fetch()
	if it.err != nil {
		return nil, fmt.Errorf("reading range: %w", it.err)
	}
	if it.next == nil {
		return nil, errors.New("no such key")
	}
	kv := it.next
	it.next = nil
	return kv, nil
}

// Close ends the iteration; the range info is recorded when the
// simulation finishes.
func (it *rangeIterator) Close() error { return nil }

// rangeQueryInfo is what this iterator adds to the read set: the range up
// to the original end key if it ran out, otherwise up to the last key it
// read (inclusive, ItrExhausted false). An iterator that read nothing and
// did not run out observed nothing and adds nothing.
func (it *rangeIterator) rangeQueryInfo() *kvrwset.RangeQueryInfo {
	rq := &kvrwset.RangeQueryInfo{StartKey: it.start, EndKey: it.end, ItrExhausted: it.exhausted}
	if !it.exhausted {
		if len(it.reads) == 0 {
			return nil
		}
		rq.EndKey = it.reads[len(it.reads)-1].GetKey()
	}
	rq.ReadsInfo = &kvrwset.RangeQueryInfo_RawReads{RawReads: &kvrwset.QueryReads{KvReads: it.reads}}
	return rq
}

// historyIterator walks a key's history newest first.
type historyIterator struct {
	c      *bbolt.Cursor
	prefix []byte
	k, v   []byte
	err    error
}

func newHistoryIterator(snap *bbolt.Tx, ns, key string) *historyIterator {
	it := &historyIterator{prefix: historyPrefix(key)}
	b := historyBucket(snap, ns)
	if b == nil {
		return it
	}
	it.c = b.Cursor()
	last := historyKey(key, Version{BlockNum: ^uint64(0), TxNum: ^uint64(0)})
	k, v := it.c.Seek(last)
	if k == nil {
		k, v = it.c.Last()
	} else if !bytes.Equal(k, last) {
		k, v = it.c.Prev()
	}
	it.k, it.v = k, v
	return it
}

func (it *historyIterator) valid() bool {
	return it.k != nil && len(it.k) == len(it.prefix)+16 && bytes.HasPrefix(it.k, it.prefix)
}

// HasNext reports whether Next has a result.
func (it *historyIterator) HasNext() bool { return it.c != nil && it.valid() }

// Next returns the next older modification.
func (it *historyIterator) Next() (*queryresult.KeyModification, error) {
	if !it.HasNext() {
		return nil, errors.New("no such key")
	}
	e, err := decodeHistory(it.v)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	it.k, it.v = it.c.Prev()
	return &queryresult.KeyModification{TxId: e.TxID, Value: e.Value, Timestamp: e.Timestamp, IsDelete: e.IsDelete}, nil
}

// Close ends the iteration.
func (it *historyIterator) Close() error { return nil }
