package anomaly

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"gonum.org/v1/gonum/stat/distuv"
)

// BaselineConfig configures the unsupervised detectors.
type BaselineConfig struct {
	// Weight scales the baseline signal when it is combined with the trees'
	// probability (a noisy-or); without trees the baseline is the risk.
	Weight float64 `json:"weight"`
	// MinHistory is the fewest earlier declarations a group (an HS6 code,
	// a seller, an importer) needs before its history is trusted.
	MinHistory int `json:"min_history"`
	// MinRatio is how far, as a factor, a unit value must be from the
	// group median before it can count as an outlier.
	MinRatio float64 `json:"min_ratio"`
	// MinZ is the robust z-score (deviation of the log unit value from the
	// median over 1.4826 MAD) a unit value must reach as well. The default,
	// 0, relies on MinRatio and novelty alone: many HS6 codes declare a few
	// fixed unit values, and the MAD of such a group says little.
	MinZ float64 `json:"min_z"`
	// MADFloor bounds the scale of the robust z-score from below (in log
	// units), since many groups repeat one unit value and have a MAD of 0.
	MADFloor float64 `json:"mad_floor"`
	// HighRiskCountries are ISO 3166-1 alpha-2 codes: a consignee never
	// seen before that imports from one of them is flagged.
	HighRiskCountries []string `json:"high_risk_countries"`
	// NewConsigneeRisk is the signal strength of such a new consignee.
	NewConsigneeRisk float64 `json:"new_consignee_risk"`
	// AlertRate is the share of ordinary declarations the baselines alone
	// should send for review: a declaration as unusual as the rarest
	// AlertRate of the calibration data gets the risk ReviewRisk.
	AlertRate float64 `json:"alert_rate"`
	// SignalRate is the largest share of ordinary declarations on which a
	// signal may fire and still count towards the risk on its own.
	SignalRate float64 `json:"signal_rate"`
	// CorroborationRate is the largest share of ordinary declarations on
	// which a signal may fire and still corroborate a stronger one: once
	// the strongest signal of a declaration is rarer than SignalRate, the
	// other signals rarer than CorroborationRate add to it.
	CorroborationRate float64 `json:"corroboration_rate"`
	// CorroborationWeight scales the evidence of corroborating signals,
	// in [0, 1] (0 turns corroboration off): they are seldom independent
	// of the strongest signal.
	CorroborationWeight float64 `json:"corroboration_weight"`
	// ReviewRisk is the risk at the review threshold, 1 - ReviewThreshold/100.
	ReviewRisk float64 `json:"review_risk"`
	// VolumeWindowDays is the trailing window, ending on a declaration's
	// day, over which declarations of one importer and HS code are counted.
	VolumeWindowDays int `json:"volume_window_days"`
	// VolumeMinCount is the fewest declarations of one importer and HS
	// code in the window (the declaration itself included) that can count
	// as a spike.
	VolumeMinCount int `json:"volume_min_count"`
}

// DefaultHighRiskCountries are the jurisdictions under the FATF call for
// action (North Korea, Iran, Myanmar). Operators replace the list with their
// own risk assessment.
var DefaultHighRiskCountries = []string{"KP", "IR", "MM"}

// DefaultBaselineConfig returns the baseline settings used by default.
func DefaultBaselineConfig() BaselineConfig {
	return BaselineConfig{
		Weight:              1,
		MinHistory:          5,
		MinRatio:            5,
		MinZ:                0,
		MADFloor:            0.25,
		HighRiskCountries:   slices.Clone(DefaultHighRiskCountries),
		NewConsigneeRisk:    0.95,
		AlertRate:           0.01,
		SignalRate:          0.02,
		CorroborationRate:   0.05,
		CorroborationWeight: 0.5,
		ReviewRisk:          1 - DefaultReviewThreshold/100.0,
		VolumeWindowDays:    30,
		VolumeMinCount:      3,
	}
}

func (c BaselineConfig) validate() error {
	switch {
	case c.Weight < 0 || c.Weight > 1:
		return fmt.Errorf("%w: baseline weight %g must be in [0, 1]", ErrBadConfig, c.Weight)
	case c.MinHistory < 1:
		return fmt.Errorf("%w: min history %d must be at least 1", ErrBadConfig, c.MinHistory)
	case c.MinRatio < 1:
		return fmt.Errorf("%w: min ratio %g must be at least 1", ErrBadConfig, c.MinRatio)
	case c.MADFloor <= 0:
		return fmt.Errorf("%w: MAD floor %g must be positive", ErrBadConfig, c.MADFloor)
	case !(c.AlertRate > 0 && c.AlertRate < 1):
		return fmt.Errorf("%w: alert rate %g must be in (0, 1)", ErrBadConfig, c.AlertRate)
	case !(c.SignalRate > 0 && c.SignalRate <= 1):
		return fmt.Errorf("%w: signal rate %g must be in (0, 1]", ErrBadConfig, c.SignalRate)
	case !(c.CorroborationRate >= c.SignalRate && c.CorroborationRate <= 1):
		return fmt.Errorf("%w: corroboration rate %g must be in [signal rate %g, 1]", ErrBadConfig, c.CorroborationRate, c.SignalRate)
	case !(c.CorroborationWeight >= 0 && c.CorroborationWeight <= 1):
		return fmt.Errorf("%w: corroboration weight %g must be in [0, 1]", ErrBadConfig, c.CorroborationWeight)
	case !(c.ReviewRisk > 0 && c.ReviewRisk < 1):
		return fmt.Errorf("%w: review risk %g must be in (0, 1)", ErrBadConfig, c.ReviewRisk)
	case c.NewConsigneeRisk < 0 || c.NewConsigneeRisk > 1:
		return fmt.Errorf("%w: new consignee risk %g must be in [0, 1]", ErrBadConfig, c.NewConsigneeRisk)
	case c.VolumeWindowDays < 1:
		return fmt.Errorf("%w: volume window %d days must be at least 1", ErrBadConfig, c.VolumeWindowDays)
	case c.VolumeMinCount < 2:
		return fmt.Errorf("%w: volume min count %d must be at least 2", ErrBadConfig, c.VolumeMinCount)
	}
	for _, cc := range c.HighRiskCountries {
		if len(cc) != 2 || strings.ToUpper(cc) != cc {
			return fmt.Errorf("%w: high-risk country %q must be an ISO 3166-1 alpha-2 code", ErrBadConfig, cc)
		}
	}
	return nil
}

// valueGroup is the history of log unit values of one group.
type valueGroup struct {
	Median float64   `json:"median"`
	MAD    float64   `json:"mad"`
	Sorted []float64 `json:"sorted"` // ascending log unit values
}

// counter counts the values seen for one key.
type counter map[string]int

// top returns the count and value of the most frequent value (ties broken
// by value, for determinism).
func (c counter) top() (int, string) {
	best, val := 0, ""
	for v, k := range c {
		if k > best || (k == best && v < val) {
			best, val = k, v
		}
	}
	return best, val
}

func (c counter) total() int {
	n := 0
	for _, v := range c {
		n += v
	}
	return n
}

// baseline holds the label-free history the detectors compare against.
type baseline struct {
	Config BaselineConfig `json:"config"`
	// Unit values per context: "hs6", "hs6_origin", "seller".
	UnitValues map[string]map[string]*valueGroup `json:"unit_values"`
	// SellerOrigins counts origins per seller.
	SellerOrigins map[string]counter `json:"seller_origins"`
	// ImporterChapters counts HS chapters per importer.
	ImporterChapters map[string]counter `json:"importer_chapters"`
	// HS6Origins counts origins per HS6 code.
	HS6Origins map[string]counter `json:"hs6_origins"`
	// TypeRates counts tax rates per "HS6|tax type".
	TypeRates map[string]counter `json:"type_rates"`
	// TaxRates counts "rate|tax type" per HS6 code.
	TaxRates map[string]counter `json:"tax_rates"`
	// Rows, HS6Counts and OriginCounts describe the whole history.
	Rows         int     `json:"rows"`
	HS6Counts    counter `json:"hs6_counts"`
	OriginCounts counter `json:"origin_counts"`
	TaxKeyCounts counter `json:"tax_key_counts"`
	// DepartureOrigins counts origins per country of departure.
	DepartureOrigins map[string]counter `json:"departure_origins"`
	// TaxTypeOrigins counts origins per tax type; TaxTypeIndicators the
	// origin indicators per tax type.
	TaxTypeOrigins    map[string]counter `json:"tax_type_origins"`
	TaxTypeIndicators map[string]counter `json:"tax_type_indicators"`
	// Volume holds the declarations per importer and HS code by day.
	Volume *volumeHistory `json:"volume"`
	// Calibration holds, per signal family, the sorted raw strengths seen
	// on CalibrationRows held-out ordinary declarations.
	Calibration     map[string][]float64 `json:"calibration,omitempty"`
	CalibrationRows int                  `json:"calibration_rows"`
}

var unitValueContexts = []struct {
	name   string
	weight float64
	label  func(d *Declaration) string
	key    func(d *Declaration) string
}{
	{"hs6", 1, func(d *Declaration) string { return "HS " + d.HS6 }, func(d *Declaration) string { return d.HS6 }},
	{"hs6_origin", 1, func(d *Declaration) string { return "HS " + d.HS6 + " from " + d.Origin }, func(d *Declaration) string { return d.HS6 + "|" + d.Origin }},
	{"seller", 0.5, func(d *Declaration) string { return "seller " + d.Seller }, func(d *Declaration) string {
		if d.Seller == "" {
			return ""
		}
		return d.Seller
	}},
}

func logUnitValue(d *Declaration) (float64, bool) {
	if d.NetMass <= 0 || d.ItemPrice <= 0 {
		return 0, false
	}
	return math.Log(d.ItemPrice / d.NetMass), true
}

func bump(m map[string]counter, key, value string) {
	c := m[key]
	if c == nil {
		c = counter{}
		m[key] = c
	}
	c[value]++
}

// fitHistory builds the history from rows, ignoring their labels.
func fitHistory(rows []Declaration, cfg BaselineConfig) *baseline {
	b := &baseline{
		Config:            cfg,
		UnitValues:        map[string]map[string]*valueGroup{},
		SellerOrigins:     map[string]counter{},
		ImporterChapters:  map[string]counter{},
		HS6Origins:        map[string]counter{},
		TaxRates:          map[string]counter{},
		TypeRates:         map[string]counter{},
		DepartureOrigins:  map[string]counter{},
		TaxTypeOrigins:    map[string]counter{},
		TaxTypeIndicators: map[string]counter{},
		HS6Counts:         counter{},
		OriginCounts:      counter{},
		TaxKeyCounts:      counter{},
		Rows:              len(rows),
		Volume:            fitVolume(rows, cfg.VolumeWindowDays),
	}
	values := map[string]map[string][]float64{}
	for _, c := range unitValueContexts {
		values[c.name] = map[string][]float64{}
	}
	for i := range rows {
		d := &rows[i]
		if lv, ok := logUnitValue(d); ok {
			for _, c := range unitValueContexts {
				if k := c.key(d); k != "" {
					values[c.name][k] = append(values[c.name][k], lv)
				}
			}
		}
		if d.Seller != "" {
			bump(b.SellerOrigins, d.Seller, d.Origin)
		}
		bump(b.ImporterChapters, d.Importer, d.HS6[:2])
		bump(b.HS6Origins, d.HS6, d.Origin)
		bump(b.TaxRates, d.HS6, taxKey(d))
		bump(b.TypeRates, d.HS6+"|"+d.TaxType, num(d.TaxRate))
		bump(b.DepartureOrigins, d.Departure, d.Origin)
		b.HS6Counts[d.HS6]++
		b.OriginCounts[d.Origin]++
		b.TaxKeyCounts[taxKey(d)]++
		bump(b.TaxTypeOrigins, d.TaxType, d.Origin)
		bump(b.TaxTypeIndicators, d.TaxType, d.OriginIndicator)
	}
	for ctx, groups := range values {
		out := map[string]*valueGroup{}
		for k, v := range groups {
			if len(v) < cfg.MinHistory {
				continue
			}
			slices.Sort(v)
			med := median(v)
			dev := make([]float64, len(v))
			for i, x := range v {
				dev[i] = math.Abs(x - med)
			}
			slices.Sort(dev)
			out[k] = &valueGroup{Median: med, MAD: median(dev), Sorted: v}
		}
		b.UnitValues[ctx] = out
	}
	return b
}

func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// backoffWeight is the pseudo-count of the wider distribution in backoff.
const backoffWeight = 2

// backoff estimates the chance of a value seen k times in a group of n,
// shrunk towards its chance pWide in a wider population.
func backoff(k, n int, pWide float64) float64 {
	return (float64(k) + backoffWeight*pWide) / (float64(n) + backoffWeight)
}

// newValueChance estimates how likely a group's next declaration brings a
// value it has not had before: d distinct values in n declarations give
// d/(n+d), as in a Chinese restaurant process.
func newValueChance(c counter) float64 {
	n, d := c.total(), len(c)
	return float64(d) / float64(n+d)
}

// originGivenDeparture is the smoothed share of declarations shipped from
// d's country of departure that had d's origin.
func (b *baseline) originGivenDeparture(d *Declaration) float64 {
	global := (float64(b.OriginCounts[d.Origin]) + 0.5) / (float64(b.Rows) + 0.5)
	c := b.DepartureOrigins[d.Departure]
	if c == nil {
		return global
	}
	return backoff(c[d.Origin], c.total(), global)
}

// originSwitchChance estimates how likely a seller whose history holds the
// origins c declares d's origin, which it never declared before: the chance
// that its next declaration brings a new origin at all (newValueChance, so
// a seller that kept to one origin over a long history seldom does), times
// the chance of this origin for goods leaving d's country of departure,
// times how much more (or less) common the origin is for d's HS6 code than
// overall. The last two are a naive-Bayes estimate of the chance of the
// origin given where the goods left from and what they are: an origin
// that neither the route nor the goods make plausible is the paper switch
// the detector looks for.
func (b *baseline) originSwitchChance(d *Declaration, c counter) float64 {
	return newValueChance(c) * b.originGivenDeparture(d) * b.originLiftForHS6(d)
}

// originLiftForHS6 is the smoothed share of d's HS6 code's declarations
// that had d's origin, over the share of all declarations that had it; 1
// for an HS6 code without history.
func (b *baseline) originLiftForHS6(d *Declaration) float64 {
	c := b.HS6Origins[d.HS6]
	if c == nil {
		return 1
	}
	global := (float64(b.OriginCounts[d.Origin]) + 0.5) / (float64(b.Rows) + 0.5)
	return backoff(c[d.Origin], c.total(), global) / global
}

// newChapterChance estimates how likely an importer whose history holds the
// HS chapters c declares a chapter it never declared: the chance, smoothed
// by Laplace's rule, that it leaves its main chapter. The importer's
// concentration and history length both count: three of five declarations
// in one chapter give 4/7, thirty of fifty 22/52.
func newChapterChance(c counter) float64 {
	top, _ := c.top()
	return 1 - float64(top)/float64(c.total()+2)
}

// unitValueTail is the distribution of the robust z-score of a log unit
// value: a Student's t with three degrees of freedom, whose heavy tails
// suit prices (a normal tail would call every wide group's outlier
// impossible).
var unitValueTail = distuv.StudentsT{Mu: 0, Sigma: 1, Nu: 3}

// surpriseOfNew is the baseline's belief that a value never seen in a group
// of n declarations with distinct values is irregular: 1 minus the
// Good-Turing-style chance d/(n+1) that the next declaration brings a new value.
func surpriseOfNew(c counter) (float64, int) {
	n := c.total()
	return 1 - float64(len(c))/float64(n+1), n
}

// signals returns every raw signal that fires for d. A signal's Weight is its
// raw strength in [0, 1], before calibration. recent holds the declarations
// observed since the history (nil for none); the volume detector counts them.
func (b *baseline) signals(d *Declaration, withText bool, recent *volumeLog) []Reason {
	cfg := b.Config
	var reasons []Reason
	add := func(code string, s float64, text func() string) {
		r := Reason{Code: code, Weight: s}
		if withText { // the texts cost more than the scoring
			r.Text = text()
		}
		reasons = append(reasons, r)
	}
	// Unit value far from the group's robust centre.
	if lv, ok := logUnitValue(d); ok {
		for _, c := range unitValueContexts {
			g := b.UnitValues[c.name][c.key(d)]
			if g == nil {
				continue
			}
			dev := lv - g.Median
			ratio := math.Exp(math.Abs(dev))
			z := math.Abs(dev) / math.Max(1.4826*g.MAD, cfg.MADFloor)
			if ratio < cfg.MinRatio || z < cfg.MinZ {
				continue
			}
			n := len(g.Sorted)
			// A value the group has declared before (within 2%) is a known
			// price point, however far it is from the median.
			if j := sort.SearchFloat64s(g.Sorted, lv); (j < n && g.Sorted[j]-lv < math.Log(1.02)) || (j > 0 && lv-g.Sorted[j-1] < math.Log(1.02)) {
				continue
			}
			// The strength is the chance of a value this far out: the
			// share of the group's earlier values as far out (below),
			// times the heavy-tailed chance of the robust z-score. The
			// z-score tells a value far out for a group that keeps to its
			// price from one as far out for a group whose prices spread;
			// a seller sells many kinds of goods, so its unit values
			// count for less than the HS6's.
			dir, code := "below", "unit_value_low:"+c.name
			if dev > 0 {
				dir, code = "above", "unit_value_high:"+c.name
			}
			// How many earlier declarations were at least this far out
			// in the same direction (within 5%)?
			var beyond int
			if dev < 0 {
				beyond = sort.SearchFloat64s(g.Sorted, lv+math.Log(1.05))
			} else {
				beyond = n - sort.SearchFloat64s(g.Sorted, lv-math.Log(1.05))
			}
			s := 1 - math.Pow(unitValueTail.Survival(z), c.weight)*float64(beyond+1)/float64(n+2)
			add(code, s, func() string {
				return fmt.Sprintf("unit value %s per kg is %s %s the median %s per kg for %s (robust z %.1f; %d of %d earlier declarations were as far out, none within 2%% of this value)",
					money(math.Exp(lv)), times(ratio), dir, money(math.Exp(g.Median)), c.label(d), z, beyond, n)
			})
		}
	}
	// Country-of-origin switch for a seller with a history.
	if c := b.SellerOrigins[d.Seller]; d.Seller != "" && c != nil && c[d.Origin] == 0 {
		n := c.total()
		if n >= cfg.MinHistory {
			s := 1 - b.originSwitchChance(d, c)
			add("origin_switch", s, func() string {
				return fmt.Sprintf("seller %s declares origin %s for the first time; its %d earlier declarations came from %s",
					d.Seller, d.Origin, n, topValues(c, 3))
			})
		}
	}
	// HS code new to an importer with a history: an importer that kept
	// to one HS chapter and now declares goods of another chapter.
	if c := b.ImporterChapters[d.Importer]; c != nil && c[d.HS6[:2]] == 0 {
		n := c.total()
		if n >= cfg.MinHistory {
			s := 1 - newChapterChance(c)
			add("importer_new_hs", s, func() string {
				return fmt.Sprintf("importer %s has never declared HS chapter %s before (HS %s); its %d earlier declarations were in chapters %s",
					d.Importer, d.HS6[:2], d.HS6, n, topValues(b.ImporterChapters[d.Importer], 3))
			})
		}
	}
	// HS-code volume spike for an importer (volume.go).
	b.Volume.volumeSignals(d, recent, cfg.VolumeMinCount, add)
	// New consignee from a high-risk country.
	if b.ImporterChapters[d.Importer] == nil {
		for _, cc := range []string{d.Origin, d.Departure} {
			if slices.Contains(cfg.HighRiskCountries, cc) {
				add("new_consignee_high_risk", cfg.NewConsigneeRisk, func() string {
					return fmt.Sprintf("importer %s is new and imports from %s, on the high-risk country list", d.Importer, cc)
				})
				break
			}
		}
	}
	// Tax rate not seen for this HS6 code under this tax type, where the
	// history shows one rate.
	if c := b.TypeRates[d.HS6+"|"+d.TaxType]; c != nil && c[num(d.TaxRate)] == 0 {
		n := c.total()
		top, rate := c.top()
		add("tax_rate_inconsistent:hs6_tax_type", float64(top)/float64(n+2), func() string {
			return fmt.Sprintf("tax rate %s%% differs from the %s%% used by %d of %d earlier declarations of HS %s under tax type %s",
				num(d.TaxRate), rate, top, n, d.HS6, d.TaxType)
		})
	}
	// Tax rate and tax type not seen for this HS6 code.
	if c := b.TaxRates[d.HS6]; c != nil && c[taxKey(d)] == 0 {
		n := c.total()
		s := 1 - newValueChance(c)*(float64(b.TaxKeyCounts[taxKey(d)])+0.5)/(float64(b.Rows)+0.5)
		{
			add("tax_rate_inconsistent:hs6", s, func() string {
				return fmt.Sprintf("tax rate %s%% under tax type %s was never declared for HS %s; its %d earlier declarations used %s",
					num(d.TaxRate), d.TaxType, d.HS6, n, topValues(c, 3))
			})
		}
	}
	// Origin never seen with this country of departure.
	if c := b.DepartureOrigins[d.Departure]; c != nil && c[d.Origin] == 0 {
		s, n := surpriseOfNew(c)
		if n >= cfg.MinHistory {
			add("departure_origin_inconsistent", s, func() string {
				return fmt.Sprintf("goods of origin %s were never shipped from %s before; its %d earlier declarations carried goods from %s",
					d.Origin, d.Departure, n, topValues(c, 3))
			})
		}
	}
	// Origin or origin indicator that does not fit the tax type.
	if c := b.TaxTypeOrigins[d.TaxType]; c != nil && c[d.Origin] == 0 {
		s, n := surpriseOfNew(c)
		if n >= cfg.MinHistory {
			add("tax_type_origin_inconsistent", s, func() string {
				return fmt.Sprintf("tax type %s was never claimed for goods from %s; its %d earlier declarations came from %s",
					d.TaxType, d.Origin, n, topValues(c, 3))
			})
		}
	}
	if c := b.TaxTypeIndicators[d.TaxType]; c != nil && c[d.OriginIndicator] == 0 {
		s, n := surpriseOfNew(c)
		if n >= cfg.MinHistory {
			add("origin_indicator_inconsistent", s, func() string {
				return fmt.Sprintf("origin indicator %s was never used with tax type %s; %d earlier declarations used %s",
					d.OriginIndicator, d.TaxType, n, topValues(c, 3))
			})
		}
	}
	return reasons
}

// family is the detector a reason code belongs to; the unit-value contexts
// of one direction are one family.
func family(code string) string {
	fam, _, _ := strings.Cut(code, ":")
	return fam
}

// familyStrengths merges the raw signals of each family. Signals of one
// family from different contexts (a unit value far out for the HS6 code,
// for the HS6 code and origin, and for the seller) corroborate each other,
// so they join by a noisy-or.
func familyStrengths(reasons []Reason) map[string]float64 {
	keep := map[string]float64{}
	for _, r := range reasons {
		f := family(r.Code)
		if _, ok := keep[f]; !ok {
			keep[f] = 1
		}
		keep[f] *= 1 - r.Weight
	}
	for f, k := range keep {
		keep[f] = 1 - k
	}
	return keep
}

// calibrationShare is the most recent share of the history that is held out
// to learn how often each signal fires on ordinary declarations.
const calibrationShare = 0.25

// minCalibrationRows is the smallest history that is split for calibration;
// below it raw strengths are used as they are.
const minCalibrationRows = 200

// fitBaselines builds the history from rows, ignoring their labels, and
// calibrates the signals: a history fitted on the older 75% of the rows
// judges the newest 25%, and the strengths seen there tell how rare each
// signal is among ordinary declarations. The final history uses all rows.
func fitBaselines(rows []Declaration, cfg BaselineConfig) *baseline {
	b := fitHistory(rows, cfg)
	if len(rows) < minCalibrationRows {
		return b
	}
	order := make([]int, len(rows))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, c int) bool { return rows[order[a]].Date.Before(rows[order[c]].Date) })
	cut := int(float64(len(rows)) * (1 - calibrationShare))
	older := make([]Declaration, 0, cut)
	for _, i := range order[:cut] {
		older = append(older, rows[i])
	}
	h := fitHistory(older, cfg)
	b.Calibration = map[string][]float64{}
	// The newest rows are judged as a stream, as scoring will judge them:
	// each day's declarations join the volume windows before that day is
	// judged.
	recent := newVolumeLog()
	eachDay(rows, order[cut:], func(day []int) {
		for _, i := range day {
			h.Volume.observe(recent, &rows[i])
		}
		for _, i := range day {
			for f, s := range familyStrengths(h.signals(&rows[i], false, recent)) {
				b.Calibration[f] = append(b.Calibration[f], s)
			}
		}
	})
	for _, v := range b.Calibration {
		slices.Sort(v)
	}
	b.CalibrationRows = len(rows) - cut
	return b
}

// tail is the share of ordinary (calibration) declarations whose signal of
// family f was at least s, with add-one smoothing.
func (b *baseline) tail(f string, s float64) float64 {
	if b.CalibrationRows == 0 {
		return 1 - s
	}
	v := b.Calibration[f]
	atLeast := len(v) - sort.SearchFloat64s(v, s-1e-12)
	if atLeast == 0 {
		// Stronger than every calibration signal of the family (or the
		// family never fired there): the add-one share would tie it with
		// the strongest of them, however much further out it is.
		// Extrapolate beyond the strongest by the ratio of the raw
		// chances 1 - s; a family that never fired is extrapolated from
		// strength 0.
		strongest := 0.0
		if len(v) > 0 {
			strongest = v[len(v)-1]
		}
		if strongest < 1 {
			return math.Min(1, (1-s)/(1-strongest)) / float64(b.CalibrationRows+1)
		}
	}
	return float64(atLeast+1) / float64(b.CalibrationRows+1)
}

// judge returns the baseline risk in [0, 1] and the reasons that fired.
// Each family contributes the tail share t of its strongest signal: the
// share of ordinary declarations whose signal of that family was at least
// as strong. The strongest family counts when t <= SignalRate, as
// log(t/SignalRate); only then do the other families corroborate it, each
// with t <= CorroborationRate adding CorroborationWeight*log(t/
// CorroborationRate). A declaration whose signals are all common among
// ordinary declarations therefore stays at risk 0 however many fire: many
// weak signals never add up to one strong one, but a strong signal backed
// by others ranks above the same signal alone. The sum, log p, is read as
// the chance that an ordinary declaration looks this unusual (the
// families treated as independent), and the risk is 1 - p^c with c chosen
// so that p = AlertRate gives the review risk.
func (b *baseline) judge(d *Declaration, withText bool, recent *volumeLog) (float64, []Reason) {
	cfg := b.Config
	reasons := b.signals(d, withText, recent)
	best := familyStrengths(reasons)
	tails := make([]float64, 0, len(best))
	for f, s := range best {
		tails = append(tails, b.tail(f, s))
	}
	// Sorted, so the sum is bit-for-bit reproducible.
	slices.Sort(tails)
	logP := 0.0
	if len(tails) > 0 && tails[0] <= cfg.SignalRate {
		logP = math.Log(tails[0] / cfg.SignalRate)
		for _, t := range tails[1:] {
			if t <= cfg.CorroborationRate {
				logP += cfg.CorroborationWeight * math.Log(t/cfg.CorroborationRate)
			}
		}
	}
	for i := range reasons {
		t := b.tail(family(reasons[i].Code), reasons[i].Weight)
		reasons[i].Weight = 1 - t
		if withText {
			reasons[i].Text += fmt.Sprintf("; fewer than %s of ordinary declarations look like this", share(t))
		}
	}
	c := math.Log(1-cfg.ReviewRisk) / math.Log(cfg.AlertRate)
	return 1 - math.Exp(c*logP), reasons
}

func share(t float64) string {
	switch {
	case t < 0.001:
		return "0.1%"
	case t < 0.01:
		return fmt.Sprintf("%.1f%%", math.Ceil(t*1000)/10)
	default:
		return fmt.Sprintf("%.0f%%", math.Ceil(t*100))
	}
}

func taxKey(d *Declaration) string { return num(d.TaxRate) + "% " + d.TaxType }

// topValues lists the k most frequent values of c with their counts, most
// frequent first (ties by value, for stable text).
func topValues(c counter, k int) string {
	keys := make([]string, 0, len(c))
	for v := range c {
		keys = append(keys, v)
	}
	sort.Slice(keys, func(a, b int) bool {
		if c[keys[a]] != c[keys[b]] {
			return c[keys[a]] > c[keys[b]]
		}
		return keys[a] < keys[b]
	})
	var parts []string
	for i, v := range keys {
		if i == k {
			parts = append(parts, fmt.Sprintf("%d others", len(keys)-k))
			break
		}
		name := v
		if name == "" {
			name = "(none)"
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", name, c[v]))
	}
	return strings.Join(parts, ", ")
}

func money(x float64) string {
	switch {
	case x >= 100:
		return fmt.Sprintf("%.0f", x)
	case x >= 1:
		return fmt.Sprintf("%.2f", x)
	default:
		return fmt.Sprintf("%.3g", x)
	}
}

func times(ratio float64) string {
	if ratio >= 10 {
		return fmt.Sprintf("%.0fx", ratio)
	}
	return fmt.Sprintf("%.1fx", ratio)
}
