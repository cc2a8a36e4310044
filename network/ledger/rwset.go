package ledger

import (
	"fmt"
	"sort"

	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset"
	"github.com/hyperledger/fabric-protos-go-apiv2/ledger/rwset/kvrwset"
	"google.golang.org/protobuf/proto"
)

// rwsetBuilder records a simulation's reads, range queries and writes per
// namespace, with Fabric's rules: one read per key (the version first
// seen), last write wins, output sorted by namespace and key.
type rwsetBuilder struct {
	ns map[string]*nsRWBuilder
}

type nsRWBuilder struct {
	reads  map[string]*kvrwset.Version // nil version: key did not exist
	writes map[string][]byte           // nil value: delete
	ranges []*kvrwset.RangeQueryInfo
}

func newRWSetBuilder() *rwsetBuilder {
	return &rwsetBuilder{ns: make(map[string]*nsRWBuilder, 1)}
}

func (b *rwsetBuilder) namespace(ns string) *nsRWBuilder {
	n := b.ns[ns]
	if n == nil {
		n = &nsRWBuilder{reads: map[string]*kvrwset.Version{}, writes: map[string][]byte{}}
		b.ns[ns] = n
	}
	return n
}

func (b *rwsetBuilder) addRead(ns, key string, v *Version) {
	n := b.namespace(ns)
	if _, seen := n.reads[key]; seen {
		return
	}
	var pv *kvrwset.Version
	if v != nil {
		pv = &kvrwset.Version{BlockNum: v.BlockNum, TxNum: v.TxNum}
	}
	n.reads[key] = pv
}

func (b *rwsetBuilder) addWrite(ns, key string, value []byte) {
	b.namespace(ns).writes[key] = value
}

func (b *rwsetBuilder) addRange(ns string, rq *kvrwset.RangeQueryInfo) {
	n := b.namespace(ns)
	for _, have := range n.ranges {
		if have.GetStartKey() == rq.GetStartKey() && have.GetEndKey() == rq.GetEndKey() && have.GetItrExhausted() == rq.GetItrExhausted() {
			return
		}
	}
	n.ranges = append(n.ranges, rq)
}

// build returns the marshalled rwset.TxReadWriteSet.
func (b *rwsetBuilder) build() ([]byte, error) {
	names := make([]string, 0, len(b.ns))
	for name := range b.ns {
		names = append(names, name)
	}
	sort.Strings(names)
	out := &rwset.TxReadWriteSet{DataModel: rwset.TxReadWriteSet_KV}
	det := proto.MarshalOptions{Deterministic: true}
	for _, name := range names {
		n := b.ns[name]
		kv := &kvrwset.KVRWSet{RangeQueriesInfo: n.ranges}
		for _, k := range sortedKeys(n.reads) {
			kv.Reads = append(kv.Reads, &kvrwset.KVRead{Key: k, Version: n.reads[k]})
		}
		for _, k := range sortedKeys(n.writes) {
			v := n.writes[k]
			kv.Writes = append(kv.Writes, &kvrwset.KVWrite{Key: k, IsDelete: v == nil, Value: v})
		}
		raw, err := det.Marshal(kv)
		if err != nil {
			return nil, fmt.Errorf("marshalling read/write set of %q: %w", name, err)
		}
		out.NsRwset = append(out.NsRwset, &rwset.NsReadWriteSet{Namespace: name, Rwset: raw})
	}
	raw, err := det.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("marshalling read/write set: %w", err)
	}
	return raw, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
