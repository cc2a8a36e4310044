package export_test

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/workers/audit/export"
)

// synthetic streams n rows shaped like an export of declarations, amendments
// and scores, built on the fly: the benchmark measures the writers, not a
// database.
func synthetic(n int) export.RowSource {
	return export.RowSourceFunc(func(_ context.Context, _ export.Filter, fn func(*export.Row) error) error {
		r := &export.Row{}
		for i := range n {
			score := float64(i % 100)
			*r = export.Row{Section: export.SectionDeclaration, ID: "D" + strconv.Itoa(i), Time: fmt.Sprintf("2026-%02d-%02d", 1+i%12, 1+i%28),
				Subject: "SHP-" + strconv.Itoa(i%5000), Type: "process B", Party: "IMP" + strconv.Itoa(i%700), HSCode: "850440", Origin: "CN",
				Detail: "office 30, declarant DEC1, seller SEL9, price 1234.5, net mass 100, tax A 8%", Block: uint64(i / 500), TxID: "9f1c2b7e4d"}
			switch i % 10 {
			case 7:
				r.Section, r.Type, r.OldValue, r.NewValue, r.Status, r.ApprovedBy = export.SectionAmendment, "hsCode", "850440", "=850450", "approved", "ImporterMSP user2"
			case 8:
				r.Section, r.Type, r.Score = export.SectionScore, "gbdt", &score
			case 9:
				r.Section, r.Type, r.Response = export.SectionAlert, []string{"excursion", "seal", "route"}[i%3], "checked"
			}
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// peakHeap samples HeapInuse every 2 ms until stop is called, and with it
// the heap that was still live after the latest GC (/gc/heap/live:bytes).
// HeapInuse also counts garbage awaiting collection, so with GOGC=100 it
// swings between about one and two times the live heap; the live peak shows
// what the export itself holds on to.
func peakHeap() (stop func() (inuse, live uint64)) {
	var peak, peakLive atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		var ms runtime.MemStats
		live := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > peak.Load() {
				peak.Store(ms.HeapInuse)
			}
			metrics.Read(live)
			if v := live[0].Value.Uint64(); v > peakLive.Load() {
				peakLive.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (uint64, uint64) { close(done); wg.Wait(); return peak.Load(), peakLive.Load() }
}

// BenchmarkExport measures rows/s and peak heap in use for 10k, 100k and 1M
// rows per format, next to a baseline that only encodes the same rows with
// encoding/csv. A flat peak-heap-MB and peak-live-MB across sizes shows that
// memory does not grow with the rows. Run with -benchtime=1x: one export per size.
func BenchmarkExport(b *testing.B) {
	ctx := context.Background()
	baseline := func(src export.RowSource, w io.Writer) error {
		bw := bufio.NewWriter(w)
		cw := csv.NewWriter(bw)
		if err := src.Rows(ctx, export.Filter{}, func(r *export.Row) error { return cw.Write(r.Cells()) }); err != nil {
			return err
		}
		cw.Flush()
		return bw.Flush()
	}
	for _, format := range []string{"baseline-csv", export.CSV, export.XLSX, export.PDF} {
		for _, n := range []int{10_000, 100_000, 1_000_000} {
			b.Run(fmt.Sprintf("%s/rows=%d", format, n), func(b *testing.B) {
				src := synthetic(n)
				runtime.GC()
				stop := peakHeap()
				for b.Loop() {
					var err error
					if format == "baseline-csv" {
						err = baseline(src, io.Discard)
					} else {
						_, err = export.Run(ctx, src, export.Filter{}, format, io.Discard, export.Options{})
					}
					if err != nil {
						b.Fatal(err)
					}
				}
				peak, live := stop()
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
				b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
				b.ReportMetric(float64(live)/(1<<20), "peak-live-MB")
			})
		}
	}
}
