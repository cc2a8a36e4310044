package screening

import "testing"

// BenchmarkScreen compares screening one name through the index with the
// brute-force baseline that scores every listed name, in the same run, on
// the same labelled queries (positives and negatives).
func BenchmarkScreen(b *testing.B) {
	l := loadShared(b)
	set := buildLabelledSet(b, l, 3, 20, 50)
	queries := make([]Query, len(set))
	for i, c := range set {
		queries[i] = c.Query
	}
	for _, bc := range []struct {
		name   string
		screen func(Query) ([]Hit, error)
	}{
		{"index", l.Screen},
		{"brute-force", l.scanAll},
	} {
		b.Run(bc.name, func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := bc.screen(queries[i%len(queries)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(len(l.names)), "names")
		})
	}
}

// BenchmarkLoad measures reading and indexing the published list.
func BenchmarkLoad(b *testing.B) {
	loadShared(b) // skips when the data is absent
	for b.Loop() {
		if _, err := Load(sanctionsDir); err != nil {
			b.Fatal(err)
		}
	}
}
