package anomaly

import (
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
)

// keySpec names one categorical key (a field or a combination of fields)
// whose fraud rate in the training labels becomes a feature.
type keySpec struct {
	name  string // stable identifier, used in the saved model
	label string // what an officer calls it
	key   func(d *Declaration) string
}

func num(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }

// sig4 rounds a positive number to 4 significant digits, so that unit values
// computed from differently rounded prices and masses share a key.
func sig4(x float64) string {
	if !(x > 0) || math.IsInf(x, 0) {
		return "none"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// targetKeys are encoded out of fold with their smoothed fraud rate. The
// exact declared price and net mass are among them: in this data a repeated
// price or mass (alone or within one HS6 code) is the strongest sign that a
// declaration copies an earlier one whose outcome is known.
var targetKeys = []keySpec{
	{"importer", "importer", func(d *Declaration) string { return d.Importer }},
	{"declarant", "declarant", func(d *Declaration) string { return d.Declarant }},
	{"seller", "seller", func(d *Declaration) string { return d.Seller }},
	{"courier", "courier", func(d *Declaration) string { return d.Courier }},
	{"office", "customs office", func(d *Declaration) string { return d.Office }},
	{"hs6", "HS6 code", func(d *Declaration) string { return d.HS6 }},
	{"hs4", "HS heading", func(d *Declaration) string { return d.HS6[:4] }},
	{"hs2", "HS chapter", func(d *Declaration) string { return d.HS6[:2] }},
	{"departure", "country of departure", func(d *Declaration) string { return d.Departure }},
	{"origin", "country of origin", func(d *Declaration) string { return d.Origin }},
	{"tax_type", "tax type", func(d *Declaration) string { return d.TaxType }},
	{"origin_indicator", "origin indicator", func(d *Declaration) string { return d.OriginIndicator }},
	{"tax_rate", "tax rate", func(d *Declaration) string { return num(d.TaxRate) }},
	{"import_type", "import type", func(d *Declaration) string { return d.ImportType }},
	{"import_use", "import use", func(d *Declaration) string { return d.ImportUse }},
	{"payment_type", "payment type", func(d *Declaration) string { return d.PaymentType }},
	{"transport", "mode of transport", func(d *Declaration) string { return d.Transport }},
	{"importer_hs6", "importer and HS6 code", func(d *Declaration) string { return d.Importer + "|" + d.HS6 }},
	{"declarant_office", "declarant and office", func(d *Declaration) string { return d.Declarant + "|" + d.Office }},
	{"declarant_hs6", "declarant and HS6 code", func(d *Declaration) string { return d.Declarant + "|" + d.HS6 }},
	{"seller_importer", "seller and importer", func(d *Declaration) string { return d.Seller + "|" + d.Importer }},
	{"hs6_origin", "HS6 code and origin", func(d *Declaration) string { return d.HS6 + "|" + d.Origin }},
	{"hs6_tax", "HS6 code and tax rate", func(d *Declaration) string { return d.HS6 + "|" + num(d.TaxRate) + "|" + d.TaxType }},
	{"price", "declared price", func(d *Declaration) string { return num(d.ItemPrice) }},
	{"mass", "net mass", func(d *Declaration) string { return num(d.NetMass) }},
	{"price_hs6", "declared price for this HS6 code", func(d *Declaration) string { return d.HS6 + "|" + num(d.ItemPrice) }},
	{"mass_hs6", "net mass for this HS6 code", func(d *Declaration) string { return d.HS6 + "|" + num(d.NetMass) }},
	{"mass_price", "net mass and price", func(d *Declaration) string { return num(d.NetMass) + "|" + num(d.ItemPrice) }},
	{"unit_value_hs6", "unit value for this HS6 code", func(d *Declaration) string { return d.HS6 + "|" + sig4(d.UnitValue()) }},
}

// countKeys index the targetKeys that also get a frequency feature: how many
// training declarations share the key.
var countKeys = keyIndexes("importer", "declarant", "seller", "hs6", "importer_hs6", "price", "mass", "price_hs6", "mass_price")

func keyIndexes(names ...string) []int {
	var out []int
	for _, n := range names {
		i := slices.IndexFunc(targetKeys, func(k keySpec) bool { return k.name == n })
		if i < 0 {
			panic("anomaly: unknown target key " + n)
		}
		out = append(out, i)
	}
	return out
}

// numericNames are the plain numeric features, in order, before the encodings.
var numericNames = []string{"tax_rate_value", "log_net_mass", "log_item_price", "log_unit_value", "month", "weekday", "day"}

func featureNames() []string {
	names := append([]string{}, numericNames...)
	for _, k := range targetKeys {
		names = append(names, "te_"+k.name)
	}
	for _, i := range countKeys {
		names = append(names, "count_"+targetKeys[i].name)
	}
	return names
}

// stat is the number of training declarations with a key and how many of
// them were fraudulent.
type stat struct {
	N   int32 `json:"n"`
	Pos int32 `json:"p"`
}

// encoder holds full-training statistics for every target key.
type encoder struct {
	Prior     float64           `json:"prior"`
	Smoothing float64           `json:"smoothing"`
	Stats     []map[string]stat `json:"stats"` // aligned with targetKeys
}

func (e *encoder) rate(s stat) float64 {
	return (float64(s.Pos) + e.Smoothing*e.Prior) / (float64(s.N) + e.Smoothing)
}

func countStats(rows []Declaration, idx []int) []map[string]stat {
	out := make([]map[string]stat, len(targetKeys))
	for k, spec := range targetKeys {
		m := make(map[string]stat)
		for _, i := range idx {
			d := &rows[i]
			key := spec.key(d)
			s := m[key]
			s.N++
			if d.Fraud {
				s.Pos++
			}
			m[key] = s
		}
		out[k] = m
	}
	return out
}

func newEncoder(rows []Declaration, smoothing float64) *encoder {
	idx := make([]int, len(rows))
	pos := 0
	for i := range rows {
		idx[i] = i
		if rows[i].Fraud {
			pos++
		}
	}
	return &encoder{
		Prior:     float64(pos) / float64(len(rows)),
		Smoothing: smoothing,
		Stats:     countStats(rows, idx),
	}
}

func numericFeatures(d *Declaration, x []float64) {
	x[0] = d.TaxRate
	x[1] = math.Log1p(d.NetMass)
	x[2] = math.Log1p(d.ItemPrice)
	x[3] = math.Log((d.ItemPrice + 1) / (d.NetMass + 1e-3))
	x[4] = float64(d.Date.Month())
	x[5] = float64(d.Date.Weekday())
	x[6] = float64(d.Date.Day())
}

// features fills x for a declaration scored against the full training
// statistics.
func (e *encoder) features(d *Declaration, x []float64) {
	numericFeatures(d, x)
	o := len(numericNames)
	for k, spec := range targetKeys {
		x[o+k] = e.rate(e.Stats[k][spec.key(d)])
	}
	o += len(targetKeys)
	for j, k := range countKeys {
		x[o+j] = math.Log1p(float64(e.Stats[k][targetKeys[k].key(d)].N))
	}
}

// trainingFeatures returns the features of the training rows themselves:
// each row's target encodings come from the other folds only (out of fold),
// and its counts leave the row itself out, so that no row sees its own label.
func (e *encoder) trainingFeatures(rows []Declaration, folds int, seed uint64) [][]float64 {
	n := len(rows)
	fold := make([]int, n)
	rng := rand.New(rand.NewPCG(seed, seed^0x5851f42d4c957f2d))
	perm := rng.Perm(n)
	for i, p := range perm {
		fold[p] = i % folds
	}
	foldIdx := make([][]int, folds)
	for i, f := range fold {
		foldIdx[f] = append(foldIdx[f], i)
	}
	foldStats := make([][]map[string]stat, folds)
	for f := range folds {
		foldStats[f] = countStats(rows, foldIdx[f])
	}
	nf := len(featureNames())
	out := make([][]float64, n)
	flat := make([]float64, n*nf)
	o := len(numericNames)
	for i := range rows {
		d := &rows[i]
		x := flat[i*nf : (i+1)*nf : (i+1)*nf]
		numericFeatures(d, x)
		fs := foldStats[fold[i]]
		for k, spec := range targetKeys {
			key := spec.key(d)
			full, in := e.Stats[k][key], fs[k][key]
			x[o+k] = e.rate(stat{N: full.N - in.N, Pos: full.Pos - in.Pos})
		}
		for j, k := range countKeys {
			x[o+len(targetKeys)+j] = math.Log1p(float64(e.Stats[k][targetKeys[k].key(d)].N - 1))
		}
		out[i] = x
	}
	return out
}
