package anomaly

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// plantKind names the anomalies planted: the issue's four, and a volume
// spike.
type plantKind int

const (
	plantLowUnitValue plantKind = iota
	plantOriginSwitch
	plantNewHSForImporter
	plantNewConsigneeHighRisk
	plantVolumeSpike
)

func (k plantKind) String() string {
	return [...]string{"unit value 10x below HS6 median", "origin switched for a known seller", "HS code never seen for an importer",
		"new consignee from a high-risk country", "volume spike of an importer's HS code"}[k]
}

// issueKinds are the four anomalies the issue plants.
var issueKinds = []plantKind{plantLowUnitValue, plantOriginSwitch, plantNewHSForImporter, plantNewConsigneeHighRisk}

// A planted volume spike is spikeSize declarations of one importer and HS
// code within spikeDays consecutive days. Its rows count as planted from the
// day on which at least spikeVisible of them have been lodged: before that
// the importer has lodged the code once or twice, as ordinary importers do,
// and a detector that may not look ahead cannot yet tell that a spike is
// starting. Those first rows are rewritten all the same, but not counted.
const (
	spikeSize    = 6
	spikeDays    = 3
	spikeVisible = 3
)

// plantAnomalies copies valid and rewrites frac of its rows, spread evenly over
// kinds, using only the training history (as the issue describes them). It
// returns the copy and, per rewritten row, its kind.
func plantAnomalies(train, valid []Declaration, kinds []plantKind, frac float64, highRisk string, seed uint64) ([]Declaration, map[int]plantKind) {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := slices.Clone(valid)
	// Independent history, computed here rather than taken from the model.
	hs6Values := map[string][]float64{}
	sellerOrigins := map[string]map[string]int{}
	importerChapters := map[string]map[string]int{}
	for _, d := range train {
		if d.NetMass > 0 && d.ItemPrice > 0 {
			hs6Values[d.HS6] = append(hs6Values[d.HS6], d.ItemPrice/d.NetMass)
		}
		if d.Seller != "" {
			if sellerOrigins[d.Seller] == nil {
				sellerOrigins[d.Seller] = map[string]int{}
			}
			sellerOrigins[d.Seller][d.Origin]++
		}
		if importerChapters[d.Importer] == nil {
			importerChapters[d.Importer] = map[string]int{}
		}
		importerChapters[d.Importer][d.HS6[:2]]++
	}
	total := func(m map[string]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	}
	eligible := func(k plantKind, d *Declaration) bool {
		switch k {
		case plantLowUnitValue:
			return d.NetMass > 0 && len(hs6Values[d.HS6]) >= 10
		case plantOriginSwitch:
			// A known seller: five or more earlier declarations, at
			// least 80% of them from one origin.
			m := sellerOrigins[d.Seller]
			n, top := total(m), 0
			for _, c := range m {
				top = max(top, c)
			}
			return d.Seller != "" && n >= 5 && float64(top) >= 0.8*float64(n)
		case plantNewHSForImporter:
			// A known importer: five or more earlier declarations, at
			// least half of them in one HS chapter.
			m := importerChapters[d.Importer]
			n, top := total(m), 0
			for _, c := range m {
				top = max(top, c)
			}
			return n >= 5 && 2*top >= n
		default:
			return true
		}
	}
	want := int(math.Round(frac * float64(len(valid))))
	planted := map[int]plantKind{}
	perm := rng.Perm(len(out))
	for j, kind := range kinds {
		quota := want / len(kinds)
		if j < want%len(kinds) {
			quota++
		}
		if kind == plantVolumeSpike {
			plantSpikes(train, out, planted, quota, rng, func(importer string) bool { return total(importerChapters[importer]) >= 5 })
			continue
		}
		for _, i := range perm {
			if quota == 0 {
				break
			}
			if _, used := planted[i]; used || !eligible(kind, &out[i]) {
				continue
			}
			d := &out[i]
			switch kind {
			case plantLowUnitValue:
				v := slices.Sorted(slices.Values(hs6Values[d.HS6]))
				med := v[len(v)/2]
				if len(v)%2 == 0 {
					med = (v[len(v)/2-1] + v[len(v)/2]) / 2
				}
				d.ItemPrice = d.NetMass * med / 10
			case plantOriginSwitch:
				// A sudden switch on paper: the goods still leave from the
				// same country, but now claim an origin the seller never used.
				m := sellerOrigins[d.Seller]
				for _, o := range []string{"CN", "VN", "US", "JP", "DE", "KR", "IT", "IN", "TH", "MY"} {
					if m[o] == 0 && o != d.Departure {
						d.Origin = o
						break
					}
				}
			case plantNewHSForImporter:
				// The HS code of another declaration, drawn as the data
				// draws them, from a chapter the importer never declared.
				m := importerChapters[d.Importer]
				for {
					hs := train[rng.IntN(len(train))].HS6
					if m[hs[:2]] == 0 {
						d.HS6 = hs
						break
					}
				}
			case plantNewConsigneeHighRisk:
				d.Importer = fmt.Sprintf("PLANTED%04d", i)
				d.Origin = highRisk
			}
			planted[i] = kind
			quota--
		}
	}
	return out, planted
}

// plantSpikes plants volume spikes until exactly quota rows count as
// planted (a spike that would overshoot is drawn again). A spike repeats
// one training declaration of a known importer, so its importer, HS code,
// seller, origin, tax and values are all ones the history has seen
// together; only the volume is new. Each rewritten row keeps its own ID and
// date.
func plantSpikes(train, out []Declaration, planted map[int]plantKind, quota int, rng *rand.Rand, known func(importer string) bool) {
	rewritten := map[int]bool{}
	for quota > 0 {
		size := min(spikeSize, quota+spikeVisible-1)
		src := train[rng.IntN(len(train))]
		for !known(src.Importer) {
			src = train[rng.IntN(len(train))]
		}
		// Rows free to rewrite, dated within spikeDays of an anchor row.
		anchor := out[rng.IntN(len(out))].Date
		var free []int
		for i := range out {
			if _, used := planted[i]; used || rewritten[i] {
				continue
			}
			if days := out[i].Date.Sub(anchor).Hours() / 24; days >= 0 && days < spikeDays {
				free = append(free, i)
			}
		}
		if len(free) < size {
			continue
		}
		rng.Shuffle(len(free), func(a, b int) { free[a], free[b] = free[b], free[a] })
		spike := free[:size]
		var visible []int
		for _, i := range spike {
			lodged := 0 // spike rows dated on or before row i's day
			for _, j := range spike {
				if !out[j].Date.After(out[i].Date) {
					lodged++
				}
			}
			if lodged >= spikeVisible {
				visible = append(visible, i)
			}
		}
		if len(visible) > quota {
			continue
		}
		for _, i := range spike {
			id, date := out[i].ID, out[i].Date
			out[i] = src
			out[i].ID, out[i].Date = id, date
			rewritten[i] = true
		}
		for _, i := range visible {
			planted[i] = plantVolumeSpike
		}
		quota -= len(visible)
	}
}

// plantedRecall is the share of planted rows among the top pct% of risks,
// overall and per kind.
func plantedRecall(risk []float64, planted map[int]plantKind, pct float64) (float64, map[plantKind]float64) {
	k := int(math.Ceil(float64(len(risk)) * pct / 100))
	top := rankOrder(risk)[:k]
	hit := map[plantKind]int{}
	all := map[plantKind]int{}
	for _, kind := range planted {
		all[kind]++
	}
	found := 0
	for _, i := range top {
		if kind, ok := planted[i]; ok {
			hit[kind]++
			found++
		}
	}
	per := map[plantKind]float64{}
	for kind, n := range all {
		per[kind] = float64(hit[kind]) / float64(n)
	}
	return float64(found) / float64(len(planted)), per
}

// plantSeeds are the plantings the test asserts on. The detectors were
// tuned on the plantings of seeds 11 to 20 only, so these measure them on
// plantings they were not tuned to.
var plantSeeds = []uint64{1, 2, 3, 4, 5}

// The issue's target, recall >= 0.9 in the top 2%, is asserted on the mean
// over plantSeeds. One planting is 81 rows, about 20 of each kind, so a
// single row moves its recall by 0.012 and a planting's recall varies by
// about 0.03 from seed to seed (the binomial spread at 0.92); each planting
// must still reach minPlantedRecall, so no seed may fail badly.
const (
	targetPlantedRecall = 0.9
	minPlantedRecall    = 0.85
)

// TestPlantedAnomaliesRankInTheTopTwoPercent is the issue's test of the
// unsupervised baselines: 1% planted anomalies in the validation file, and
// at least 90% of them among the 2% highest risks, with a model fitted on the
// training file without its labels. The validation file is scored as a
// stream in date order, so a volume spike is seen as it builds up. The
// anomalies are planted with several seeds (plantSeeds), so the result does
// not hang on one lucky draw.
func TestPlantedAnomaliesRankInTheTopTwoPercent(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the full customs data; skipped under -short")
	}
	t.Parallel()
	train, valid := fullData(t)
	cfg := DefaultConfig()
	cfg.Unsupervised = true
	if !slices.Contains(cfg.Baselines.HighRiskCountries, "IR") {
		t.Fatal("the default high-risk list lacks IR, which this test plants")
	}
	m, err := Train(train, cfg)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		kinds []plantKind
	}{
		{"the issue's four kinds are found", issueKinds},
		{"the four kinds and volume spikes are found", append(slices.Clone(issueKinds), plantVolumeSpike)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var sum float64
			for _, seed := range plantSeeds {
				rows, planted := plantAnomalies(train, valid, tc.kinds, 0.01, "IR", seed)
				if len(planted) != int(math.Round(0.01*float64(len(valid)))) {
					t.Fatalf("seed %d: planted %d rows, want 1%% of %d", seed, len(planted), len(valid))
				}
				results := m.ScoreAll(rows)
				risk := make([]float64, len(rows))
				for i, r := range results {
					risk[i] = r.Risk
				}
				recall, perKind := plantedRecall(risk, planted, 2)
				line := fmt.Sprintf("seed %d: recall of all %d planted rows in the top 2%% %.3f;", seed, len(planted), recall)
				for _, k := range tc.kinds {
					line += fmt.Sprintf(" %s %.2f;", k, perKind[k])
				}
				t.Log(line)
				sum += recall
				if recall < minPlantedRecall {
					t.Errorf("seed %d: recall of planted anomalies in the top 2%% is %.3f, want at least %.2f on every seed", seed, recall, minPlantedRecall)
				}
				// Every planted row sent for review carries a reason an
				// officer can read, and a spike sent for review says it is one.
				for i, kind := range planted {
					r := results[i]
					if r.Review && len(r.Reasons) == 0 {
						t.Errorf("seed %d: planted %s row %d is flagged without a reason", seed, kind, i)
					}
					if _, said := volumeReason(r); kind == plantVolumeSpike && r.Review && !said {
						t.Errorf("seed %d: planted %s row %d is sent for review without saying so: %+v", seed, kind, i, r.Reasons)
					}
				}
			}
			mean := sum / float64(len(plantSeeds))
			t.Logf("mean recall over seeds %v: %.3f", plantSeeds, mean)
			if mean < targetPlantedRecall {
				t.Errorf("mean recall of planted anomalies in the top 2%% over seeds %v is %.3f, want at least %.2f", plantSeeds, mean, targetPlantedRecall)
			}
		})
	}
}
