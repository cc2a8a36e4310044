package testnetwork

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
)

// noopFunction is the baseline transaction: it is endorsed, ordered,
// validated and committed like any other but writes nothing. The contract
// API's own metadata function stands in until the contract has a no-op of
// its own.
const noopFunction = "org.hyperledger.fabric:GetMetadata"

// BenchmarkFabricSubmit measures committed transactions per second on the
// running network for RecordTouchpoint next to a no-op transaction, with 1
// and 16 concurrent submitters, and logs the ratio touchpoint/no-op.
// Run: AEOLEDGER_FABRIC=1 go test -run '^$' -bench FabricSubmit -benchtime 100x ./test-network/
func BenchmarkFabricSubmit(b *testing.B) {
	n := requireNetwork(b)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	s := setUpScenario(ctx, b, n)
	contract := n.contract(b, "ExporterMSP", "user1")

	// Each submitter records on its own shipment, so concurrent touchpoints
	// never contend for one shipment's state.
	const maxSubmitters = 16
	shipments := []string{s.shipmentID}
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
		shipments = append(shipments, id)
	}

	base := time.Now().Add(-time.Hour)
	var serial atomic.Int64
	workloads := []struct {
		name string
		fn   string
		args func(submitter int) ([]string, error)
	}{
		{name: "noop", fn: noopFunction, args: func(int) ([]string, error) { return nil, nil }},
		{name: "touchpoint", fn: "RecordTouchpoint", args: func(submitter int) ([]string, error) {
			i := serial.Add(1)
			number, err := validContainerNumber(int(i))
			if err != nil {
				return nil, err
			}
			tp, err := signedContainerTouchpoint(s.carrier, shipments[submitter], number, schemas.ContainerGateIn,
				base.Add(time.Duration(i)*time.Millisecond))
			if err != nil {
				return nil, err
			}
			raw, err := json.Marshal(tp)
			return []string{string(raw)}, err
		}},
	}

	rates := map[string]float64{}
	for _, submitters := range []int{1, maxSubmitters} {
		for _, w := range workloads {
			name := fmt.Sprintf("%s/submitters=%d", w.name, submitters)
			b.Run(name, func(b *testing.B) {
				rate, err := measure(ctx, b.N, submitters, contract, w.fn, w.args)
				require.NoError(b, err, errMessage(err))
				b.ReportMetric(rate, "tx/s")
				rates[name] = rate
			})
		}
	}
	for _, submitters := range []int{1, maxSubmitters} {
		noop := rates[fmt.Sprintf("noop/submitters=%d", submitters)]
		tp := rates[fmt.Sprintf("touchpoint/submitters=%d", submitters)]
		if noop > 0 {
			b.Logf("submitters=%d: touchpoint %.1f tx/s, no-op %.1f tx/s, ratio %.2f", submitters, tp, noop, tp/noop)
		}
	}
}

// measure submits total transactions from the given number of concurrent
// submitters, each waiting for its transaction to commit before sending the
// next, and returns committed transactions per second.
func measure(ctx context.Context, total, submitters int, c *client.Contract, fn string,
	args func(submitter int) ([]string, error)) (float64, error) {
	var (
		next     atomic.Int64
		wg       sync.WaitGroup
		firstErr error
		once     sync.Once
	)
	start := time.Now()
	for g := range submitters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for next.Add(1) <= int64(total) {
				a, err := args(g)
				if err == nil {
					_, err = submit(ctx, c, fn, a...)
				}
				if err != nil {
					once.Do(func() { firstErr = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(total) / time.Since(start).Seconds(), firstErr
}
