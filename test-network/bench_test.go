package testnetwork

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
)

// benchLedger is one ledger prepared for the benchmark: an exporter and a
// carrier partner, and one shipment per submitter, so that concurrent
// touchpoints never contend for one shipment's state.
type benchLedger struct {
	name     string
	contract *client.Contract
	// cpu reads the CPU time of every process of the ledger, the
	// benchmark's own included (its clients sign and verify too), by
	// process name.
	cpu       func() (map[string]time.Duration, error)
	s         scenario
	shipments []string
}

const maxSubmitters = 16

// benchSubmitters are the numbers of concurrent submitters measured:
// 1 and 16, or BENCH_SUBMITTERS (e.g. "1,4,8,16", each 1-16).
var benchSubmitters = func() []int {
	var out []int
	for _, f := range strings.Split(os.Getenv("BENCH_SUBMITTERS"), ",") {
		if v, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && v >= 1 && v <= maxSubmitters {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return []int{1, maxSubmitters}
	}
	return out
}()

func prepareBenchLedger(ctx context.Context, b *testing.B, name string, n *fabricNet, cpu func() (map[string]time.Duration, error)) *benchLedger {
	b.Helper()
	s := setUpScenario(ctx, b, n)
	l := &benchLedger{name: name, contract: n.contract(b, "ExporterMSP", "user1"), cpu: cpu, s: s, shipments: []string{s.shipmentID}}
	exporterAdmin := n.contract(b, "ExporterMSP", "admin")
	for i := 1; i < maxSubmitters; i++ {
		id := fmt.Sprintf("%s-%d", s.shipmentID, i)
		sh := schemas.Shipment{
			ID:        id,
			Consignor: schemas.Party{PartnerID: s.exporter.partner.ID, Name: "Exporter GmbH", Country: "DE"},
			Consignee: schemas.Party{Name: "Importer BV", Country: "NL"}, Parties: []string{s.carrier.partner.ID},
			Origin: "DEHAM", Destination: "NLRTM", HSCodes: []string{"090111"},
			PlannedDeparture: time.Now().UTC().Format(time.RFC3339),
			PlannedArrival:   time.Now().UTC().Add(72 * time.Hour).Format(time.RFC3339),
		}
		_, err := submit(ctx, exporterAdmin, "CreateShipment", mustJSON(b, sh))
		require.NoError(b, err, errMessage(err))
		l.shipments = append(l.shipments, id)
	}
	return l
}

// benchWorkload is a transaction and how to make its arguments.
type benchWorkload struct {
	name string
	fn   string
	args func(l *benchLedger, submitter int) ([]string, error)
}

// BenchmarkLedgers measures committed transactions per second, each
// submitter waiting for its commit before sending the next, with 1 and 16
// concurrent submitters, on the running Fabric network and on an embedded
// peer started in the same run on the same machine:
//
//   - touchpoint: RecordTouchpoint, a signed container gate-in (schema and
//     signature checks, registry and shipment reads, three writes: record,
//     trace and container index, event), signed before the clock starts;
//   - minimal-write: AnchorDocument with a new hash each time (one partner
//     read, one existence check, one write, event), the cheapest submit
//     transaction the contract has;
//   - no-op: the contract's Ping, submitted: endorsed, ordered, validated
//     and committed with an empty read-write set and no result. This is the
//     baseline the issue asks for: the network's own cost per transaction.
//
// It logs touchpoint against both per ledger, and embedded/Fabric per
// workload.
//
// Each sub-benchmark (one ledger, one number of submitters) runs the three
// workloads in turns (benchRounds rounds of b.N/benchRounds transactions
// each) and reports each one's rate, mean endorsement, ordering hand-over
// and commit-wait times, transactions per block and CPU per transaction,
// and touchpoint/no-op.
//
// Run: AEOLEDGER_FABRIC=1 go test -run '^$' -bench Ledgers -benchtime 1000x -v ./test-network/
func BenchmarkLedgers(b *testing.B) {
	fabric := requireNetwork(b)
	embedded := startEmbedded(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	ledgers := []*benchLedger{
		prepareBenchLedger(ctx, b, "fabric", fabric, networkCPU(fabric.runDir)),
		prepareBenchLedger(ctx, b, "embedded", embedded, embeddedCPU),
	}

	base := time.Now().Add(-time.Hour)
	var serial atomic.Int64
	workloads := []benchWorkload{
		{name: "touchpoint", fn: "RecordTouchpoint", args: func(l *benchLedger, submitter int) ([]string, error) {
			i := serial.Add(1)
			number, err := validContainerNumber(int(i))
			if err != nil {
				return nil, err
			}
			tp, err := signedContainerTouchpoint(l.s.carrier, l.shipments[submitter], number, schemas.ContainerGateIn,
				base.Add(time.Duration(i)*time.Millisecond))
			if err != nil {
				return nil, err
			}
			raw, err := json.Marshal(tp)
			return []string{string(raw)}, err
		}},
		{name: "minimal-write", fn: "AnchorDocument", args: func(l *benchLedger, _ int) ([]string, error) {
			content := fmt.Sprintf("bench document %s %d", l.s.shipmentID, serial.Add(1))
			sum := sha256.Sum256([]byte(content))
			raw, err := json.Marshal(schemas.DocumentAnchor{SHA256: hex.EncodeToString(sum[:]), DocType: "invoice",
				Owner: l.s.exporter.partner.ID, MediaType: "text/plain", Size: int64(len(content))})
			return []string{string(raw)}, err
		}},
		{name: "no-op", fn: "Ping", args: func(*benchLedger, int) ([]string, error) { return nil, nil }},
	}

	// BENCH_WORKLOADS=touchpoint,no-op runs only the named workloads.
	if only := os.Getenv("BENCH_WORKLOADS"); only != "" {
		workloads = slices.DeleteFunc(workloads, func(w benchWorkload) bool {
			return !slices.Contains(strings.Split(only, ","), w.name)
		})
	}
	rates, cpuPerTx, busy := map[string]float64{}, map[string]float64{}, map[string]float64{}
	procCPU := map[string]map[string]float64{} // CPU ms per transaction by process
	key := func(ledger, workload string, submitters int) string {
		return fmt.Sprintf("ledger=%s/tx=%s/submitters=%d", ledger, workload, submitters)
	}
	for _, submitters := range benchSubmitters {
		for _, l := range ledgers {
			b.Run(fmt.Sprintf("ledger=%s/submitters=%d", l.name, submitters), func(b *testing.B) {
				// The workloads take turns in rounds, each starting with a
				// different one, so that a change in the shared machine's
				// load falls on all of them alike.
				rounds := min(benchRounds, b.N)
				sum := make([]measured, len(workloads))
				for r := range rounds {
					n := b.N / rounds
					if r < b.N%rounds {
						n++
					}
					for i := range workloads {
						wi := (r + i) % len(workloads)
						w := workloads[wi]
						pre, err := presign(w, l, n, submitters)
						require.NoError(b, err)
						cpu0, err := l.cpu()
						require.NoError(b, err)
						m, err := measure(ctx, n, submitters, l.contract, w.fn, pre.next)
						require.NoError(b, err, errMessage(err))
						cpu1, err := l.cpu()
						require.NoError(b, err)
						m.cpu = map[string]time.Duration{}
						for p, t := range cpu1 {
							m.cpu[p] = t - cpu0[p]
						}
						sum[wi].add(m)
					}
				}
				for i, w := range workloads {
					m := sum[i]
					rates[key(l.name, w.name, submitters)] = m.rate()
					b.ReportMetric(m.rate(), w.name+"-tx/s")
					b.ReportMetric(m.mean(m.endorse), w.name+"-ms-endorse")
					b.ReportMetric(m.mean(m.order), w.name+"-ms-order")
					b.ReportMetric(m.mean(m.commitWait), w.name+"-ms-commit-wait")
					b.ReportMetric(m.txPerBlock(), w.name+"-tx/block")
					b.ReportMetric(m.mean(m.totalCPU()), w.name+"-cpu-ms/tx")
					b.ReportMetric(m.busy(), w.name+"-cpu-busy")
					busy[key(l.name, w.name, submitters)] = m.busy()
					cpuPerTx[key(l.name, w.name, submitters)] = m.mean(m.totalCPU())
					byProc := map[string]float64{}
					for p, d := range m.cpu {
						byProc[p] = m.mean(d)
					}
					procCPU[key(l.name, w.name, submitters)] = byProc
				}
				tp, empty := rates[key(l.name, "touchpoint", submitters)], rates[key(l.name, "no-op", submitters)]
				if empty > 0 {
					b.ReportMetric(tp/empty, "touchpoint/no-op")
				}
			})
		}
	}
	ratio := func(a, b float64) string {
		if b == 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.2f", a/b)
	}
	for _, submitters := range benchSubmitters {
		for _, l := range ledgers {
			tp := rates[key(l.name, "touchpoint", submitters)]
			minimal, empty := rates[key(l.name, "minimal-write", submitters)], rates[key(l.name, "no-op", submitters)]
			if tp == 0 {
				continue // not selected by -bench
			}
			b.Logf("%-8s submitters=%-2d touchpoint %6.1f tx/s, minimal write %6.1f tx/s, no-op %6.1f tx/s; touchpoint/minimal %s, touchpoint/no-op %s",
				l.name, submitters, tp, minimal, empty, ratio(tp, minimal), ratio(tp, empty))
			tpCPU, emptyCPU := cpuPerTx[key(l.name, "touchpoint", submitters)], cpuPerTx[key(l.name, "no-op", submitters)]
			b.Logf("%-8s submitters=%-2d CPU per transaction (all processes): touchpoint %.2f ms, no-op %.2f ms; no-op/touchpoint %s; CPUs busy %.0f%% and %.0f%%",
				l.name, submitters, tpCPU, emptyCPU, ratio(emptyCPU, tpCPU),
				100*busy[key(l.name, "touchpoint", submitters)], 100*busy[key(l.name, "no-op", submitters)])
			tpProcs, emptyProcs := procCPU[key(l.name, "touchpoint", submitters)], procCPU[key(l.name, "no-op", submitters)]
			for _, p := range slices.Sorted(maps.Keys(tpProcs)) {
				b.Logf("%-8s submitters=%-2d   %-16s touchpoint %6.2f ms/tx, no-op %6.2f ms/tx, difference %+6.2f",
					l.name, submitters, p, tpProcs[p], emptyProcs[p], tpProcs[p]-emptyProcs[p])
			}
		}
		for _, w := range workloads {
			e, f := rates[key("embedded", w.name, submitters)], rates[key("fabric", w.name, submitters)]
			if e == 0 || f == 0 {
				continue
			}
			b.Logf("%-13s submitters=%-2d embedded/fabric %s", w.name, submitters, ratio(e, f))
		}
	}
}

// presigned holds each submitter's arguments, made before the clock starts:
// a touchpoint is signed where it happens (a device, a forwarder's
// machine), not by the ledger, so its signing is not charged to the ledger.
type presigned struct {
	queues [][][]string
	more   func(submitter int) ([]string, error) // makes arguments once a queue is empty
}

// presign makes about a quarter more arguments than each submitter's share
// of n; a submitter that runs out makes the rest as it goes.
func presign(w benchWorkload, l *benchLedger, n, submitters int) (*presigned, error) {
	share := (n+submitters-1)/submitters + n/submitters/4 + 1
	p := &presigned{queues: make([][][]string, submitters), more: func(g int) ([]string, error) { return w.args(l, g) }}
	for g := range p.queues {
		for range share {
			a, err := w.args(l, g)
			if err != nil {
				return nil, err
			}
			p.queues[g] = append(p.queues[g], a)
		}
	}
	return p, nil
}

// next returns submitter g's next arguments; only goroutine g calls it
// with g.
func (p *presigned) next(g int) ([]string, error) {
	if q := p.queues[g]; len(q) > 0 {
		p.queues[g] = q[1:]
		return q[0], nil
	}
	return p.more(g)
}

// benchRounds is how many turns each workload takes in one sub-benchmark
// (BENCH_ROUNDS overrides it).
var benchRounds = func() int {
	if v, err := strconv.Atoi(os.Getenv("BENCH_ROUNDS")); err == nil && v > 0 {
		return v
	}
	return 5
}()

// measure submits total transactions from the given number of concurrent
// submitters, each waiting for its transaction to commit before sending the
// next, and returns what it took.
func measure(ctx context.Context, total, submitters int, c *client.Contract, fn string,
	args func(submitter int) ([]string, error)) (measured, error) {
	var (
		next                    atomic.Int64
		endorse, order, waiting atomic.Int64
		firstBlock, lastBlock   atomic.Uint64
		wg                      sync.WaitGroup
		firstErr                error
		once                    sync.Once
	)
	firstBlock.Store(^uint64(0))
	start := time.Now()
	for g := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				a, err := args(g)
				var res committed
				if err == nil {
					res, err = submit(ctx, c, fn, a...)
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
				endorse.Add(int64(res.endorse))
				order.Add(int64(res.order))
				waiting.Add(int64(res.commitWait))
				for b := firstBlock.Load(); res.block < b && !firstBlock.CompareAndSwap(b, res.block); b = firstBlock.Load() {
				}
				for b := lastBlock.Load(); res.block > b && !lastBlock.CompareAndSwap(b, res.block); b = lastBlock.Load() {
				}
			}
		}()
	}
	wg.Wait()
	return measured{txs: total, elapsed: time.Since(start), blocks: int(lastBlock.Load()-firstBlock.Load()) + 1,
		endorse: time.Duration(endorse.Load()), order: time.Duration(order.Load()), commitWait: time.Duration(waiting.Load())}, firstErr
}

// measured is what one or more measure calls took.
type measured struct {
	txs     int                      // committed transactions
	elapsed time.Duration            // wall time
	cpu     map[string]time.Duration // CPU time of the ledger's processes and the clients, by process
	blocks  int                      // blocks the transactions spanned
	// summed over the transactions: time in endorsement, in the hand-over
	// to the orderer and waiting for the commit status
	endorse, order, commitWait time.Duration
}

func (m *measured) add(o measured) {
	m.txs += o.txs
	m.elapsed += o.elapsed
	if m.cpu == nil {
		m.cpu = map[string]time.Duration{}
	}
	for p, t := range o.cpu {
		m.cpu[p] += t
	}
	m.blocks += o.blocks
	m.endorse += o.endorse
	m.order += o.order
	m.commitWait += o.commitWait
}

// totalCPU is the CPU time of all processes.
func (m measured) totalCPU() time.Duration {
	var t time.Duration
	for _, d := range m.cpu {
		t += d
	}
	return t
}

// busy is the share of the machine's CPUs the measured processes used:
// near 1 the rate is bound by CPU time, well below 1 by latency.
func (m measured) busy() float64 {
	return m.totalCPU().Seconds() / m.elapsed.Seconds() / float64(runtime.NumCPU())
}

// rate is committed transactions per second.
func (m measured) rate() float64 { return float64(m.txs) / m.elapsed.Seconds() }

// mean returns a summed duration per transaction in milliseconds.
func (m measured) mean(d time.Duration) float64 { return float64(d) / float64(m.txs) / 1e6 }

func (m measured) txPerBlock() float64 { return float64(m.txs) / float64(m.blocks) }
