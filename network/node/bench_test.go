package node_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/aeoledger/aeoledger/schemas"
	ethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
)

// touchpointFixture is a carrier partner (secp256k1 key) and one shipment
// per submitter on a running node, so that concurrent submitters never touch
// the same shipment state.
type touchpointFixture struct {
	net       *devnet.Network
	carrier   *ecdsa.PrivateKey
	shipments []string
	seq       atomic.Int64
	base      time.Time
}

const maxSubmitters = 32

// newTouchpointFixture registers the partners and creates the shipments
// through the gateway at addr, as the org admins and users would.
func newTouchpointFixture(tb testing.TB, n *devnet.Network, addr string) *touchpointFixture {
	tb.Helper()
	f := &touchpointFixture{net: n, base: time.Now().Add(-2 * time.Hour).UTC()}
	var err error
	f.carrier, err = ethcrypto.GenerateKey()
	require.NoError(tb, err)
	exporterKey, err := ethcrypto.GenerateKey()
	require.NoError(tb, err)

	submit := func(org, who, fn string, v any) {
		c := dial(tb, n, addr, org, who)
		defer c.Close()
		raw, err := json.Marshal(v)
		require.NoError(tb, err)
		_, err = c.gw.GetNetwork(n.Channel).GetContract(n.Chaincode).SubmitTransaction(fn, string(raw))
		require.NoError(tb, err, "%s as %s/%s", fn, org, who)
	}
	submit("CarrierMSP", "admin", "RegisterPartner", schemas.Partner{ID: "carrier", MSPID: "CarrierMSP", LegalName: "Carrier BV",
		Country: "NL", Roles: []string{schemas.RoleCarrier}, Keys: []schemas.SigningKey{schemas.NewSigningKey(f.carrier, "bench")}})
	submit("ExporterMSP", "admin", "RegisterPartner", schemas.Partner{ID: "exporter", MSPID: "ExporterMSP", LegalName: "Exporter BV",
		Country: "NL", Roles: []string{schemas.RoleExporter}, Keys: []schemas.SigningKey{schemas.NewSigningKey(exporterKey, "bench")}})
	for i := range maxSubmitters {
		id := fmt.Sprintf("SHP-BENCH-%02d", i)
		submit("ExporterMSP", "user1", "CreateShipment", schemas.Shipment{
			ID:               id,
			Consignor:        schemas.Party{PartnerID: "exporter", Name: "Exporter BV", Country: "NL"},
			Consignee:        schemas.Party{Name: "Importer Co", Country: "KR"},
			Parties:          []string{"carrier"},
			Origin:           "NLRTM",
			Destination:      "KRPUS",
			HSCodes:          []string{"847150"},
			TemperatureRange: &schemas.TemperatureRange{Min: 2, Max: 8},
			PlannedDeparture: "2026-11-28T08:00:00Z",
			PlannedArrival:   "2026-12-20T08:00:00Z",
		})
		f.shipments = append(f.shipments, id)
	}
	return f
}

// touchpoint builds and signs (secp256k1, as a carrier's handheld would) a
// unique sensor touchpoint for a shipment.
func (f *touchpointFixture) touchpoint(shipment string) (string, error) {
	seq := f.seq.Add(1)
	at := f.base.Add(time.Duration(seq) * time.Millisecond)
	temp, hum := 4.0+float64(seq%30)/10, 60.0
	readings := []schemas.SensorReading{{Time: at.Format(time.RFC3339Nano), Temperature: &temp, Humidity: &hum}}
	tp := &schemas.Touchpoint{
		Type: schemas.TypeSensor, ShipmentID: shipment, EventTime: at.Format(time.RFC3339Nano),
		Location: schemas.Location{UNLocode: "NLRTM"},
		Signer:   ethcrypto.PubkeyToAddress(f.carrier.PublicKey).Hex(),
		Sensor:   &schemas.SensorBatch{DeviceID: "reefer-1", Readings: readings, Summary: schemas.Summarize(readings)},
	}
	if err := schemas.SignRecord(f.carrier, tp); err != nil {
		return "", fmt.Errorf("signing touchpoint: %w", err)
	}
	raw, err := json.Marshal(tp)
	if err != nil {
		return "", fmt.Errorf("encoding touchpoint: %w", err)
	}
	return string(raw), nil
}

// signatureWork is the bare signature cost of one committed touchpoint:
// the client signs the proposal, the transaction and the commit-status
// request (3 P-256 signs) and the record (1 secp256k1 sign); the node
// verifies those three (3 P-256 verifies), signs its endorsement (1 P-256
// sign), checks the endorsement at commit (1 P-256 verify) and the
// contract recovers the record's signer (1 secp256k1 recover).
type signatureWork struct {
	p256Key *ecdsa.PrivateKey
	k1Key   *ecdsa.PrivateKey
	msg     []byte
}

func newSignatureWork(tb testing.TB) *signatureWork {
	p, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	k, err := ethcrypto.GenerateKey()
	require.NoError(tb, err)
	return &signatureWork{p256Key: p, k1Key: k, msg: make([]byte, 600)}
}

func (w *signatureWork) perTransaction(tb testing.TB) {
	digest := sha256.Sum256(w.msg)
	for range 4 {
		sig, err := msp.SignDigest(w.p256Key, digest[:])
		if err != nil {
			tb.Fatal(err)
		}
		if !ecdsa.VerifyASN1(&w.p256Key.PublicKey, digest[:], sig) {
			tb.Fatal("P-256 verify failed")
		}
	}
	sig, err := ethcrypto.Sign(digest[:], w.k1Key)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := ethcrypto.SigToPub(digest[:], sig); err != nil {
		tb.Fatal(err)
	}
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime(tb testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		tb.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measure returns the mean CPU time of n rounds of per-transaction
// signature work on one goroutine (the node is idle meanwhile). CPU time,
// unlike wall time, does not grow when other processes share the machine.
func (w *signatureWork) measure(tb testing.TB, n int) time.Duration {
	start := cpuTime(tb)
	for range n {
		w.perTransaction(tb)
	}
	return (cpuTime(tb) - start) / time.Duration(n)
}

// BenchmarkSignatureWorkPerTouchpoint is the baseline: the bare signature
// work of one committed touchpoint on one core.
func BenchmarkSignatureWorkPerTouchpoint(b *testing.B) {
	w := newSignatureWork(b)
	b.ResetTimer()
	for b.Loop() {
		w.perTransaction(b)
	}
	perTx := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(runtime.GOMAXPROCS(0))*float64(time.Second)/float64(perTx), "bound-tx/s")
}

// BenchmarkCommittedTouchpoints measures signed touchpoints committed
// through the unmodified fabric-gateway client (client and node in this
// process, so the client's CPU counts) with 1, 8 and 32 concurrent
// submitters, each submitting and waiting for the commit. In the same run
// it measures the bare signature work per touchpoint and reports the
// achieved rate as a fraction of the bound GOMAXPROCS / signature work.
func BenchmarkCommittedTouchpoints(b *testing.B) {
	n := newNetwork(b)
	nd, err := node.Start(context.Background(), node.Config{Dir: n.Dir, Listen: "127.0.0.1:0", BatchTimeout: benchBatchTimeout, GCPercent: benchGCPercent})
	require.NoError(b, err)
	b.Cleanup(func() { _ = nd.Stop(context.Background()) })
	f := newTouchpointFixture(b, n, nd.Addr())
	runSubmitters(b, nd, func(submitter int) (string, []string, error) {
		record, err := f.touchpoint(f.shipments[submitter])
		return "RecordTouchpoint", []string{record}, err
	})
}

// benchGCPercent is the GC setting the throughput benchmarks run the node
// with, as `aeoledger node` would (BENCH_GC_PERCENT overrides it; 0 keeps
// the Go default of 100).
var benchGCPercent = func() int {
	if v, err := strconv.Atoi(os.Getenv("BENCH_GC_PERCENT")); err == nil {
		return v
	}
	return node.RecommendedGCPercent
}()

// benchBatchTimeout is the block-cutting timeout of the benchmark's node
// (BENCH_BATCH_TIMEOUT overrides it, to study block size against CPU).
var benchBatchTimeout = func() time.Duration {
	if d, err := time.ParseDuration(os.Getenv("BENCH_BATCH_TIMEOUT")); err == nil {
		return d
	}
	return 5 * time.Millisecond
}()

// BenchmarkCommittedKeyWrites is the same pipeline with a chaincode that
// only writes one key: the node's and the client's own cost without the
// contract's.
func BenchmarkCommittedKeyWrites(b *testing.B) {
	n := newNetwork(b)
	nd, err := node.Start(context.Background(), node.Config{Dir: n.Dir, Listen: "127.0.0.1:0", BatchTimeout: benchBatchTimeout, GCPercent: benchGCPercent, Chaincode: kvChaincode{}})
	require.NoError(b, err)
	b.Cleanup(func() { _ = nd.Stop(context.Background()) })
	var seq atomic.Int64
	runSubmitters(b, nd, func(int) (string, []string, error) {
		key := fmt.Sprint("key-", seq.Add(1))
		return "put", []string{key, key}, nil
	})
}

// submitterCase is one load shape: how many goroutines submit and how many
// gRPC connections they share.
type submitterCase struct{ submitters, conns int }

// submitterCases are the shapes every throughput benchmark runs. With one
// connection the submitters share it the way goroutines share one
// aeoledger client (client.Client holds one gRPC connection); the last case
// gives every submitter its own connection, like 32 separate client
// processes.
var submitterCases = []submitterCase{{1, 1}, {8, 1}, {32, 1}, {32, 32}}

// runSubmitters runs each submitterCase with the transactions next builds
// and reports throughput, latency, CPU and the signature bound.
func runSubmitters(b *testing.B, nd *node.Node, next func(submitter int) (fn string, args []string, err error)) {
	w := newSignatureWork(b)
	net := nd.Network()
	for _, sc := range submitterCases {
		submitters := sc.submitters
		b.Run(fmt.Sprintf("submitters=%d,conns=%d", sc.submitters, sc.conns), func(b *testing.B) {
			conns := make([]*clientConn, sc.conns)
			for i := range conns {
				conns[i] = dial(b, net, nd.Addr(), "CarrierMSP", "user1")
			}
			defer func() {
				for _, c := range conns {
					c.Close()
				}
			}()
			var issued, failed, endorseNS, commitNS atomic.Int64
			var wg sync.WaitGroup
			heightBefore := nd.Ledger().Height()
			b.ResetTimer()
			cpuBefore := cpuTime(b)
			start := time.Now()
			for i := range submitters {
				wg.Add(1)
				go func() {
					defer wg.Done()
					contract := conns[i%len(conns)].gw.GetNetwork(net.Channel).GetContract(net.Chaincode)
					for issued.Add(1) <= int64(b.N) {
						t0 := time.Now()
						fn, args, err := next(i)
						if err != nil {
							b.Error(err)
							failed.Add(1)
							continue
						}
						_, commit, err := contract.SubmitAsync(fn, client.WithArguments(args...))
						if err != nil {
							b.Error(err)
							failed.Add(1)
							continue
						}
						t1 := time.Now()
						st, err := commit.Status()
						endorseNS.Add(int64(t1.Sub(t0)))
						commitNS.Add(int64(time.Since(t1)))
						if err != nil || st.Code != pb.TxValidationCode_VALID {
							failed.Add(1)
						}
					}
				}()
			}
			wg.Wait()
			elapsed := time.Since(start)
			cpuPerTx := (cpuTime(b) - cpuBefore) / time.Duration(b.N)
			b.StopTimer()
			perTx := w.measure(b, 300)
			achieved := float64(int64(b.N)-failed.Load()) / elapsed.Seconds()
			bound := float64(runtime.GOMAXPROCS(0)) * float64(time.Second) / float64(perTx)
			b.ReportMetric(achieved, "tx/s")
			b.ReportMetric(bound, "bound-tx/s")
			b.ReportMetric(achieved/bound, "achieved/bound")
			// CPU per committed transaction (client + node, this process)
			// does not depend on how much of the machine other processes
			// take: the signature work's share of it is the fraction of the
			// bound the node would reach with the whole machine to itself.
			b.ReportMetric(float64(cpuPerTx.Microseconds()), "cpu-µs/tx")
			b.ReportMetric(float64(perTx.Microseconds()), "sig-cpu-µs/tx")
			b.ReportMetric(float64(perTx)/float64(cpuPerTx), "achieved/bound(cpu)")
			b.ReportMetric(float64(failed.Load()), "failed")
			blocks := nd.Ledger().Height() - heightBefore
			b.ReportMetric(float64(b.N)/float64(max(blocks, 1)), "tx/block")
			b.ReportMetric(float64(endorseNS.Load())/float64(b.N)/1e6, "ms-endorse+submit")
			b.ReportMetric(float64(commitNS.Load())/float64(b.N)/1e6, "ms-commit-wait")
		})
	}
}
