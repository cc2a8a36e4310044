package chaincode_test

// This file holds the test boundary: an in-memory ledger whose per-transaction
// stub implements shim.ChaincodeStubInterface the way a Fabric peer's does
// for everything the contract uses (state, composite keys, range and
// partial-composite-key queries with pagination, key history, events, tx ID
// and timestamp, creator). Like a peer, reads see only committed state (no
// read-your-own-writes), writes are buffered in the transaction's write set
// and committed only when the chaincode answers 200. Unsupported methods
// return an error naming the method.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/queryresult"
	"github.com/hyperledger/fabric-protos-go-apiv2/msp"
	"github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

type historyEntry struct {
	txID     string
	ts       time.Time
	value    []byte
	isDelete bool
}

// fakeLedger is the committed world state, key history and event log.
type fakeLedger struct {
	mu      sync.Mutex
	state   map[string][]byte
	history map[string][]historyEntry
	events  []*peer.ChaincodeEvent
	clock   time.Time
	seq     int
	// faults makes a stub method fail after the given number of successful
	// calls within one transaction (fault injection for error paths).
	faults map[string]int
}

// newFakeLedger returns an empty ledger whose clock starts at start and
// advances one second per transaction.
func newFakeLedger(start time.Time) *fakeLedger {
	return &fakeLedger{state: map[string][]byte{}, history: map[string][]historyEntry{}, clock: start}
}

// invoke runs one transaction through cc as creator and commits its writes
// if it succeeded. It returns the response and the transaction's stub so
// tests can inspect its write set and event.
func (l *fakeLedger) invoke(cc shim.Chaincode, creator []byte, fn string, args ...string) (*peer.Response, *fakeStub) {
	l.mu.Lock()
	l.seq++
	l.clock = l.clock.Add(time.Second)
	stub := &fakeStub{
		ledger:  l,
		txID:    fmt.Sprintf("tx%06d", l.seq),
		ts:      l.clock,
		creator: creator,
		args:    append([]string{fn}, args...),
		writes:  map[string][]byte{},
	}
	l.mu.Unlock()
	resp := cc.Invoke(stub)
	if resp.Status == shim.OK {
		l.commit(stub)
	}
	return resp, stub
}

func (l *fakeLedger) commit(s *fakeStub) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range s.order {
		v := s.writes[k]
		if v == nil {
			delete(l.state, k)
		} else {
			l.state[k] = v
		}
		l.history[k] = append(l.history[k], historyEntry{txID: s.txID, ts: s.ts, value: v, isDelete: v == nil})
	}
	if s.event != nil {
		l.events = append(l.events, s.event)
	}
}

// snapshot copies the committed state.
func (l *fakeLedger) snapshot() map[string]string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]string, len(l.state))
	for k, v := range l.state {
		out[k] = string(v)
	}
	return out
}

func (l *fakeLedger) sortedKeys(start, end string) []string {
	var keys []string
	for k := range l.state {
		if k >= start && (end == "" || k < end) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// fakeStub is one transaction's view of the ledger.
type fakeStub struct {
	ledger  *fakeLedger
	txID    string
	ts      time.Time
	creator []byte
	args    []string
	writes  map[string][]byte
	order   []string
	event   *peer.ChaincodeEvent
	calls   map[string]int
}

// fault reports an injected failure of method, if one is due.
func (s *fakeStub) fault(method string) error {
	limit, ok := s.ledger.faults[method]
	if !ok {
		return nil
	}
	if s.calls == nil {
		s.calls = map[string]int{}
	}
	s.calls[method]++
	if s.calls[method] > limit {
		return fmt.Errorf("fake stub: injected %s failure", method)
	}
	return nil
}

var _ shim.ChaincodeStubInterface = (*fakeStub)(nil)

func unsupported(method string) error { return fmt.Errorf("fake stub: %s is not supported", method) }

func (s *fakeStub) GetArgs() [][]byte {
	out := make([][]byte, len(s.args))
	for i, a := range s.args {
		out[i] = []byte(a)
	}
	return out
}
func (s *fakeStub) GetStringArgs() []string { return append([]string(nil), s.args...) }
func (s *fakeStub) GetFunctionAndParameters() (string, []string) {
	if len(s.args) == 0 {
		return "", nil
	}
	return s.args[0], append([]string(nil), s.args[1:]...)
}
func (s *fakeStub) GetArgsSlice() ([]byte, error) { return []byte(strings.Join(s.args, "")), nil }
func (s *fakeStub) GetTxID() string               { return s.txID }
func (s *fakeStub) GetChannelID() string          { return "aeo" }
func (s *fakeStub) InvokeChaincode(string, [][]byte, string) *peer.Response {
	return shim.Error(unsupported("InvokeChaincode").Error())
}

func (s *fakeStub) GetState(key string) ([]byte, error) {
	if err := s.fault("GetState"); err != nil {
		return nil, err
	}
	s.ledger.mu.Lock()
	defer s.ledger.mu.Unlock()
	v := s.ledger.state[key]
	return append([]byte(nil), v...), nil
}

func (s *fakeStub) GetMultipleStates(keys ...string) ([][]byte, error) {
	if err := s.fault("GetMultipleStates"); err != nil {
		return nil, err
	}
	s.ledger.mu.Lock()
	defer s.ledger.mu.Unlock()
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = append([]byte(nil), s.ledger.state[k]...)
	}
	return out, nil
}

func (s *fakeStub) PutState(key string, value []byte) error {
	if err := s.fault("PutState"); err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("key must not be an empty string")
	}
	if len(value) == 0 {
		// A peer records an empty value as a delete.
		value = nil
	}
	if _, ok := s.writes[key]; !ok {
		s.order = append(s.order, key)
	}
	s.writes[key] = append([]byte(nil), value...)
	if value == nil {
		s.writes[key] = nil
	}
	return nil
}

func (s *fakeStub) DelState(key string) error { return s.PutState(key, nil) }
func (s *fakeStub) SetStateValidationParameter(string, []byte) error {
	return unsupported("SetStateValidationParameter")
}
func (s *fakeStub) GetStateValidationParameter(string) ([]byte, error) {
	return nil, unsupported("GetStateValidationParameter")
}

func (s *fakeStub) rangeQuery(start, end string, pageSize int32, bookmark string) (*kvIterator, *peer.QueryResponseMetadata) {
	s.ledger.mu.Lock()
	defer s.ledger.mu.Unlock()
	from := start
	if bookmark != "" && bookmark > start {
		from = bookmark
	}
	keys := s.ledger.sortedKeys(from, end)
	meta := &peer.QueryResponseMetadata{}
	if pageSize > 0 && len(keys) > int(pageSize) {
		meta.Bookmark = keys[pageSize]
		keys = keys[:pageSize]
	}
	it := &kvIterator{}
	for _, k := range keys {
		it.kvs = append(it.kvs, &queryresult.KV{Namespace: "aeoledger", Key: k, Value: append([]byte(nil), s.ledger.state[k]...)})
	}
	meta.FetchedRecordsCount = int32(len(it.kvs))
	return it, meta
}

func (s *fakeStub) GetStateByRange(startKey, endKey string) (shim.StateQueryIteratorInterface, error) {
	it, _ := s.rangeQuery(startKey, endKey, 0, "")
	return it, nil
}

func (s *fakeStub) GetStateByRangeWithPagination(startKey, endKey string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	it, meta := s.rangeQuery(startKey, endKey, pageSize, bookmark)
	return it, meta, nil
}

func partialRange(objectType string, attrs []string) (string, string, error) {
	k, err := shim.CreateCompositeKey(objectType, attrs)
	if err != nil {
		return "", "", err
	}
	return k, k + string(rune(0x10FFFF)), nil
}

func (s *fakeStub) GetStateByPartialCompositeKey(objectType string, keys []string) (shim.StateQueryIteratorInterface, error) {
	if err := s.fault("GetStateByPartialCompositeKey"); err != nil {
		return nil, err
	}
	start, end, err := partialRange(objectType, keys)
	if err != nil {
		return nil, err
	}
	it, _ := s.rangeQuery(start, end, 0, "")
	return it, nil
}

func (s *fakeStub) GetStateByPartialCompositeKeyWithPagination(objectType string, keys []string, pageSize int32, bookmark string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	if err := s.fault("GetStateByPartialCompositeKeyWithPagination"); err != nil {
		return nil, nil, err
	}
	start, end, err := partialRange(objectType, keys)
	if err != nil {
		return nil, nil, err
	}
	if bookmark != "" && (bookmark < start || bookmark >= end) {
		return nil, nil, fmt.Errorf("bookmark %q is outside the queried range", bookmark)
	}
	it, meta := s.rangeQuery(start, end, pageSize, bookmark)
	return it, meta, nil
}

func (s *fakeStub) GetAllStatesCompositeKeyWithPagination(int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, unsupported("GetAllStatesCompositeKeyWithPagination")
}

func (s *fakeStub) CreateCompositeKey(objectType string, attributes []string) (string, error) {
	return shim.CreateCompositeKey(objectType, attributes)
}

func (s *fakeStub) SplitCompositeKey(compositeKey string) (string, []string, error) {
	parts := strings.Split(strings.TrimPrefix(compositeKey, "\x00"), "\x00")
	if len(parts) < 2 {
		return "", nil, fmt.Errorf("not a composite key: %q", compositeKey)
	}
	return parts[0], parts[1 : len(parts)-1], nil
}

func (s *fakeStub) GetQueryResult(string) (shim.StateQueryIteratorInterface, error) {
	return nil, unsupported("GetQueryResult")
}
func (s *fakeStub) GetQueryResultWithPagination(string, int32, string) (shim.StateQueryIteratorInterface, *peer.QueryResponseMetadata, error) {
	return nil, nil, unsupported("GetQueryResultWithPagination")
}

// GetHistoryForKey returns the key's committed versions newest first, as
// Fabric v2 does.
func (s *fakeStub) GetHistoryForKey(key string) (shim.HistoryQueryIteratorInterface, error) {
	if err := s.fault("GetHistoryForKey"); err != nil {
		return nil, err
	}
	s.ledger.mu.Lock()
	defer s.ledger.mu.Unlock()
	h := s.ledger.history[key]
	it := &historyIterator{}
	for i := len(h) - 1; i >= 0; i-- {
		e := h[i]
		it.mods = append(it.mods, &queryresult.KeyModification{TxId: e.txID, Value: e.value, Timestamp: timestamppb.New(e.ts), IsDelete: e.isDelete})
	}
	return it, nil
}

func (s *fakeStub) GetPrivateData(string, string) ([]byte, error) {
	return nil, unsupported("GetPrivateData")
}
func (s *fakeStub) GetMultiplePrivateData(string, ...string) ([][]byte, error) {
	return nil, unsupported("GetMultiplePrivateData")
}
func (s *fakeStub) GetPrivateDataHash(string, string) ([]byte, error) {
	return nil, unsupported("GetPrivateDataHash")
}
func (s *fakeStub) PutPrivateData(string, string, []byte) error { return unsupported("PutPrivateData") }
func (s *fakeStub) DelPrivateData(string, string) error         { return unsupported("DelPrivateData") }
func (s *fakeStub) PurgePrivateData(string, string) error       { return unsupported("PurgePrivateData") }
func (s *fakeStub) SetPrivateDataValidationParameter(string, string, []byte) error {
	return unsupported("SetPrivateDataValidationParameter")
}
func (s *fakeStub) GetPrivateDataValidationParameter(string, string) ([]byte, error) {
	return nil, unsupported("GetPrivateDataValidationParameter")
}
func (s *fakeStub) GetPrivateDataByRange(string, string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, unsupported("GetPrivateDataByRange")
}
func (s *fakeStub) GetPrivateDataByPartialCompositeKey(string, string, []string) (shim.StateQueryIteratorInterface, error) {
	return nil, unsupported("GetPrivateDataByPartialCompositeKey")
}
func (s *fakeStub) GetPrivateDataQueryResult(string, string) (shim.StateQueryIteratorInterface, error) {
	return nil, unsupported("GetPrivateDataQueryResult")
}

func (s *fakeStub) GetCreator() ([]byte, error)              { return s.creator, nil }
func (s *fakeStub) GetTransient() (map[string][]byte, error) { return map[string][]byte{}, nil }
func (s *fakeStub) GetBinding() ([]byte, error)              { return nil, unsupported("GetBinding") }
func (s *fakeStub) GetDecorations() map[string][]byte        { return nil }
func (s *fakeStub) GetSignedProposal() (*peer.SignedProposal, error) {
	return nil, unsupported("GetSignedProposal")
}
func (s *fakeStub) GetTxTimestamp() (*timestamppb.Timestamp, error) {
	return timestamppb.New(s.ts), nil
}

func (s *fakeStub) SetEvent(name string, payload []byte) error {
	if err := s.fault("SetEvent"); err != nil {
		return err
	}
	if name == "" {
		return fmt.Errorf("event name can not be empty string")
	}
	s.event = &peer.ChaincodeEvent{ChaincodeId: "aeoledger", TxId: s.txID, EventName: name, Payload: append([]byte(nil), payload...)}
	return nil
}

func (s *fakeStub) StartWriteBatch()        {}
func (s *fakeStub) FinishWriteBatch() error { return nil }

type kvIterator struct {
	kvs []*queryresult.KV
	i   int
}

func (it *kvIterator) HasNext() bool { return it.i < len(it.kvs) }
func (it *kvIterator) Close() error  { return nil }
func (it *kvIterator) Next() (*queryresult.KV, error) {
	if !it.HasNext() {
		return nil, fmt.Errorf("no more results")
	}
	it.i++
	return it.kvs[it.i-1], nil
}

type historyIterator struct {
	mods []*queryresult.KeyModification
	i    int
}

func (it *historyIterator) HasNext() bool { return it.i < len(it.mods) }
func (it *historyIterator) Close() error  { return nil }
func (it *historyIterator) Next() (*queryresult.KeyModification, error) {
	if !it.HasNext() {
		return nil, fmt.Errorf("no more results")
	}
	it.i++
	return it.mods[it.i-1], nil
}

// orgCA issues X.509 identities for one MSP, as a Fabric CA would.
type orgCA struct {
	msp  string
	key  *ecdsa.PrivateKey
	cert *x509.Certificate
}

func newOrgCA(t testing.TB, mspID string) *orgCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating CA key: %v", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ca." + strings.ToLower(mspID), Organization: []string{mspID}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatalf("creating CA certificate: %v", err)
	}
	cert, _ := x509.ParseCertificate(der)
	return &orgCA{msp: mspID, key: key, cert: cert}
}

var attrOID = asn1.ObjectIdentifier{1, 2, 3, 4, 5, 6, 7, 8, 1}

// identity returns a serialized identity (the creator bytes) for a new
// certificate with the given common name, OUs and Fabric CA attributes.
func (ca *orgCA) identity(t testing.TB, cn string, ous []string, attrs map[string]string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatalf("generating identity key: %v", err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: cn, OrganizationalUnit: ous, Organization: []string{ca.msp}},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if len(attrs) > 0 {
		raw, _ := json.Marshal(map[string]any{"attrs": attrs})
		tmpl.ExtraExtensions = []pkix.Extension{{Id: attrOID, Value: raw}}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatalf("creating identity certificate: %v", err)
	}
	sid := &msp.SerializedIdentity{Mspid: ca.msp, IdBytes: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}
	out, err := proto.Marshal(sid)
	if err != nil {
		t.Fatalf("marshalling identity: %v", err)
	}
	return out
}
