package anomaly

import (
	"path/filepath"
	"testing"
)

// The scoring benchmarks read valid.csv; BenchmarkReadCSV is their baseline:
// the same file read without scoring, measured in the same run.

func benchModel(b *testing.B) (*Model, string) {
	b.Helper()
	dir := customsDir(b)
	train, err := ReadCSVFile(filepath.Join(dir, "train.csv"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := Train(train, DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	return m, filepath.Join(dir, "valid.csv")
}

func reportRate(b *testing.B, rows int) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "decl/s")
}

func BenchmarkReadCSV(b *testing.B) {
	path := filepath.Join(customsDir(b), "valid.csv")
	var rows int
	for b.Loop() {
		d, err := ReadCSVFile(path)
		if err != nil {
			b.Fatal(err)
		}
		rows = len(d)
	}
	reportRate(b, rows)
}

func BenchmarkReadAndScore(b *testing.B) {
	m, path := benchModel(b)
	var rows int
	for b.Loop() {
		d, err := ReadCSVFile(path)
		if err != nil {
			b.Fatal(err)
		}
		for i := range d {
			_ = m.Score(&d[i])
		}
		rows = len(d)
	}
	reportRate(b, rows)
}

// BenchmarkReadAndScoreAll scores the file as one stream in date order,
// as eval and score do, so that the volume windows count earlier rows.
func BenchmarkReadAndScoreAll(b *testing.B) {
	m, path := benchModel(b)
	var rows int
	for b.Loop() {
		d, err := ReadCSVFile(path)
		if err != nil {
			b.Fatal(err)
		}
		_ = m.ScoreAll(d)
		rows = len(d)
	}
	reportRate(b, rows)
}

func BenchmarkReadAndExplain(b *testing.B) {
	m, path := benchModel(b)
	var rows int
	for b.Loop() {
		d, err := ReadCSVFile(path)
		if err != nil {
			b.Fatal(err)
		}
		for i := range d {
			_ = m.Explain(&d[i])
		}
		rows = len(d)
	}
	reportRate(b, rows)
}

// BenchmarkTrainTrainPlusValid trains the supervised model and the
// baselines on train.csv and valid.csv together (no early stopping).
func BenchmarkTrainTrainPlusValid(b *testing.B) {
	dir := customsDir(b)
	train, err := ReadCSVFile(filepath.Join(dir, "train.csv"))
	if err != nil {
		b.Fatal(err)
	}
	valid, err := ReadCSVFile(filepath.Join(dir, "valid.csv"))
	if err != nil {
		b.Fatal(err)
	}
	all := append(train, valid...)
	for b.Loop() {
		if _, err := Train(all, DefaultConfig()); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrainUnsupervised fits only the baselines on train+valid.
func BenchmarkTrainUnsupervised(b *testing.B) {
	dir := customsDir(b)
	train, err := ReadCSVFile(filepath.Join(dir, "train.csv"))
	if err != nil {
		b.Fatal(err)
	}
	valid, err := ReadCSVFile(filepath.Join(dir, "valid.csv"))
	if err != nil {
		b.Fatal(err)
	}
	all := append(train, valid...)
	cfg := DefaultConfig()
	cfg.Unsupervised = true
	for b.Loop() {
		if _, err := Train(all, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
