package pipeline_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/anomaly"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/blocks/blockstest"
	"github.com/aeoledger/aeoledger/workers/pipeline"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	rmt "github.com/aeoledger/aeoledger/workers/readmodel/readmodeltest"
	"github.com/aeoledger/aeoledger/workers/screening"
)

const benchBlocks = 100

// pipelineChain builds a config block, then blocks of 10 transactions: 6
// declarations, a reefer shipment (two parties to screen) and 3 sensor
// batches of 12 readings on it.
func pipelineChain(b *testing.B) []*common.Block {
	chain := blockstest.NewChain()
	out := []*common.Block{chain.MustAdd(blockstest.Tx{Config: true})}
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	n := 0
	for blk := 1; blk < benchBlocks; blk++ {
		var txs []blockstest.Tx
		for i := 0; i < 6; i++ {
			txs = append(txs, rmt.SubmitDeclaration("CustomsMSP", rmt.Declaration(n)))
			n++
		}
		sid := fmt.Sprintf("SHP-%04d", blk)
		txs = append(txs, rmt.CreateShipment("ExporterMSP", schemas.Shipment{ID: sid,
			Consignor: schemas.Party{Name: fmt.Sprintf("Exporter %d Trading BV", blk), Country: "NL"},
			Consignee: schemas.Party{Name: fmt.Sprintf("Importer %d Handels GmbH", blk), Country: "DE"},
			Origin:    "NLRTM", Destination: "DEHAM", HSCodes: []string{"060311"},
			TemperatureRange: &schemas.TemperatureRange{Min: 2, Max: 8},
			PlannedDeparture: "2026-03-02T00:00:00Z", PlannedArrival: "2026-03-05T00:00:00Z"}))
		for k := 0; k < 3; k++ {
			var readings []schemas.SensorReading
			for r := 0; r < 12; r++ {
				temp := 4 + float64((blk+k+r)%6)
				readings = append(readings, schemas.SensorReading{Time: start.Add(time.Duration(k*12+r) * 5 * time.Minute).Format(time.RFC3339), Temperature: &temp})
			}
			rec := schemas.StoredRecord{Record: schemas.Touchpoint{ID: fmt.Sprintf("s-%d-%d", blk, k), Type: schemas.TypeSensor, ShipmentID: sid,
				EventTime: start.Add(time.Duration(k) * time.Hour).Format(time.RFC3339), Location: schemas.Location{UNLocode: "NLRTM"},
				Signer: rmt.CarrierKey, Signature: "0xsig",
				Sensor: &schemas.SensorBatch{DeviceID: "reefer-7", Readings: readings, Summary: schemas.Summarize(readings)}},
				RecordedAt: "2026-03-02T10:00:01Z", SignerPartner: rmt.CarrierID, Submitter: schemas.Identity{MSPID: "CarrierMSP"}}
			txs = append(txs, rmt.RecordTouchpoint("CarrierMSP", schemas.ShipmentState{ShipmentID: sid, Status: schemas.ShipmentInTransit}, rec))
		}
		out = append(out, chain.MustAdd(txs...))
	}
	return out
}

// BenchmarkPipeline measures the worker's per-block work on SQLite: the
// read-model projection alone (the listener's work, the baseline) next to
// projection plus the pipeline (anomaly score with a model trained on
// train.csv, screening against the full SDN list, sensor rules and MKT)
// in the same run. The ledger the pipeline writes to is kept in memory,
// so the figure is the workers' own cost, not the peer's commit latency.
func BenchmarkPipeline(b *testing.B) {
	data := dataDir(b)
	raw := pipelineChain(b)
	train, err := anomaly.ReadCSVFile(filepath.Join(data, "customs", "train.csv"))
	require.NoError(b, err)
	cfg := anomaly.DefaultConfig()
	cfg.Unsupervised = true
	model, err := anomaly.Train(train, cfg)
	require.NoError(b, err)
	list, err := screening.Load(filepath.Join(data, "sanctions"))
	require.NoError(b, err)
	parsed := make([]*blocks.Block, len(raw))
	for i, r := range raw {
		parsed[i], err = blocks.Parse(r)
		require.NoError(b, err)
	}
	run := func(b *testing.B, withPipeline bool) {
		ctx := context.Background()
		s, err := readmodel.Open(ctx, filepath.Join(b.TempDir(), "rm.db"))
		require.NoError(b, err)
		defer s.Close()
		var p *pipeline.Pipeline
		fresh := func() {
			if withPipeline {
				p, err = pipeline.New(ctx, s, &memLedger{}, pipeline.Config{Model: model, Sanctions: list})
				require.NoError(b, err)
			}
		}
		fresh()
		i := 0
		for b.Loop() {
			if i%len(parsed) == 0 && i > 0 {
				b.StopTimer()
				require.NoError(b, s.Reset(ctx))
				fresh()
				b.StartTimer()
			}
			blk := parsed[i%len(parsed)]
			if _, err := s.Apply(ctx, blk); err != nil {
				b.Fatal(err)
			}
			if p != nil {
				if err := p.HandleBlock(ctx, blk); err != nil {
					b.Fatal(err)
				}
			}
			i++
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "blocks/s")
	}
	b.Run("projection-only", func(b *testing.B) { run(b, false) })
	b.Run("projection+pipeline", func(b *testing.B) { run(b, true) })
}
