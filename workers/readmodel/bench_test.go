package readmodel_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/blocks/blockstest"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	rmt "github.com/aeoledger/aeoledger/workers/readmodel/readmodeltest"
)

const (
	benchBlocks      = 200
	benchTxsPerBlock = 10
)

// benchChain builds a config block and then blocks of 10 transactions each:
// 6 declarations, 3 touchpoints and 1 anomaly score, the mix a customs
// broker's node sees.
func benchChain(b *testing.B) []*common.Block {
	chain := blockstest.NewChain()
	out := []*common.Block{chain.MustAdd(blockstest.Tx{Config: true})}
	n := 0
	for blk := 1; blk < benchBlocks; blk++ {
		txs := make([]blockstest.Tx, 0, benchTxsPerBlock)
		for i := 0; i < 6; i++ {
			txs = append(txs, rmt.SubmitDeclaration("CustomsMSP", rmt.Declaration(n)))
			n++
		}
		for i := 0; i < 3; i++ {
			id := fmt.Sprintf("r-%d-%d", blk, i)
			rec := schemas.StoredRecord{Record: schemas.Touchpoint{ID: id, Type: schemas.TypeContainer, ShipmentID: fmt.Sprintf("S%d", blk),
				EventTime: "2026-03-02T10:00:00Z", Location: schemas.Location{UNLocode: "NLRTM"}, Signer: rmt.CarrierKey, Signature: "0xsig",
				Container: &schemas.ContainerEvent{Number: rmt.Container, Action: schemas.ContainerLoaded}},
				RecordedAt: "2026-03-02T10:00:01Z", SignerPartner: rmt.CarrierID, Submitter: schemas.Identity{MSPID: "CarrierMSP"}}
			txs = append(txs, rmt.RecordTouchpoint("CarrierMSP", schemas.ShipmentState{ShipmentID: rec.Record.ShipmentID, Status: schemas.ShipmentInTransit}, rec))
		}
		score := 42.0
		txs = append(txs, rmt.RecordCompliance("CustomsMSP", schemas.ComplianceRecord{ID: fmt.Sprintf("c-%d", blk), Kind: schemas.KindAnomalyScore,
			SubjectType: "declaration", SubjectID: rmt.Declaration(n - 1).ID, Score: &score, Reasons: []string{"typical"},
			RecordedAt: "2026-03-02T10:00:02Z"}, nil))
		out = append(out, chain.MustAdd(txs...))
	}
	return out
}

// BenchmarkProjection measures the listener's per-block work, parse and
// apply, on each backend, next to bare block parsing (the baseline) in the
// same run.
func BenchmarkProjection(b *testing.B) {
	raw := benchChain(b)
	b.Run("parse-only", func(b *testing.B) {
		i := 0
		for b.Loop() {
			if _, err := blocks.Parse(raw[i%len(raw)]); err != nil {
				b.Fatal(err)
			}
			i++
		}
		report(b)
	})
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := readmodel.Open(ctx, be.dsn(b))
			require.NoError(b, err)
			defer s.Close()
			i := 0
			for b.Loop() {
				if i%len(raw) == 0 && i > 0 {
					b.StopTimer()
					require.NoError(b, s.Reset(ctx))
					b.StartTimer()
				}
				p, err := blocks.Parse(raw[i%len(raw)])
				if err != nil {
					b.Fatal(err)
				}
				if _, err := s.Apply(ctx, p); err != nil {
					b.Fatal(err)
				}
				i++
			}
			report(b)
		})
	}
}

func report(b *testing.B) {
	secs := b.Elapsed().Seconds()
	if secs > 0 {
		b.ReportMetric(float64(b.N)/secs, "blocks/s")
		b.ReportMetric(float64(b.N*benchTxsPerBlock)/secs, "tx/s")
	}
}

const streamRows = 20000

// BenchmarkStreamDeclarations reads every declaration through the
// streaming query an export uses, next to a bare SELECT of the same rows
// that decodes only the ID (the baseline). B/op divided by the row count
// stays the same whatever the row count: one row is in memory at a time.
func BenchmarkStreamDeclarations(b *testing.B) {
	chain := blockstest.NewChain()
	raw := []*common.Block{chain.MustAdd(blockstest.Tx{Config: true})}
	for n := 0; n < streamRows; n += 500 {
		txs := make([]blockstest.Tx, 0, 500)
		for i := n; i < n+500; i++ {
			txs = append(txs, rmt.SubmitDeclaration("CustomsMSP", rmt.Declaration(i)))
		}
		raw = append(raw, chain.MustAdd(txs...))
	}
	for _, be := range backends {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			s, err := readmodel.Open(ctx, be.dsn(b))
			require.NoError(b, err)
			defer s.Close()
			for _, r := range raw {
				p, err := blocks.Parse(r)
				require.NoError(b, err)
				_, err = s.Apply(ctx, p)
				require.NoError(b, err)
			}
			b.Run("bare-select-id", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					rows, err := s.DB().QueryContext(ctx, "SELECT id FROM declarations ORDER BY decl_date, id")
					require.NoError(b, err)
					n := 0
					for rows.Next() {
						var id string
						require.NoError(b, rows.Scan(&id))
						n++
					}
					require.NoError(b, rows.Err())
					rows.Close()
					require.Equal(b, streamRows, n)
				}
				b.ReportMetric(float64(b.N*streamRows)/b.Elapsed().Seconds(), "rows/s")
			})
			b.Run("Declarations", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					n := 0
					require.NoError(b, s.Declarations(ctx, readmodel.DeclarationFilter{}, func(readmodel.DeclarationRow) error { n++; return nil }))
					require.Equal(b, streamRows, n)
				}
				b.ReportMetric(float64(b.N*streamRows)/b.Elapsed().Seconds(), "rows/s")
			})
		})
	}
}
