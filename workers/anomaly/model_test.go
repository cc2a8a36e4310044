package anomaly

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

var (
	dataOnce            sync.Once
	fullTrain, fullTest []Declaration
	dataErr             error
)

// fullData reads train.csv and valid.csv once per test binary. Callers must
// not change the rows.
func fullData(t testing.TB) (train, valid []Declaration) {
	t.Helper()
	dir := customsDir(t)
	dataOnce.Do(func() {
		if fullTrain, dataErr = ReadCSVFile(filepath.Join(dir, "train.csv")); dataErr != nil {
			return
		}
		fullTest, dataErr = ReadCSVFile(filepath.Join(dir, "valid.csv"))
	})
	if dataErr != nil {
		t.Fatal(dataErr)
	}
	return fullTrain, fullTest
}

// sampleData is a slice of the real customs data: the first 6,000 training
// declarations to train on and 1,500 validation declarations to score.
func sampleData(t testing.TB) (train, test []Declaration) {
	t.Helper()
	all, valid := fullData(t)
	return all[:6000:6000], valid[:1500:1500]
}

func quickConfig(seed uint64) Config {
	cfg := DefaultConfig()
	cfg.Boost.Rounds = 60
	cfg.Boost.Seed = seed
	return cfg
}

// smallConfig is for tests of determinism and persistence, which need real
// trees, not good ones.
func smallConfig(seed uint64) Config {
	cfg := DefaultConfig()
	cfg.Boost.Rounds = 15
	cfg.Boost.Seed = seed
	return cfg
}

var (
	quickOnce           sync.Once
	quickSup, quickUnsu *Model
	quickErr            error
)

// quickModels trains, once per test binary, a supervised model with
// quickConfig(1) and an unsupervised one on the sample's training rows.
// Callers must not change them.
func quickModels(t testing.TB) (supervised, unsupervised *Model) {
	t.Helper()
	train, _ := sampleData(t)
	quickOnce.Do(func() {
		if quickSup, quickErr = Train(train, quickConfig(1)); quickErr != nil {
			return
		}
		cfg := quickConfig(1)
		cfg.Unsupervised = true
		quickUnsu, quickErr = Train(train, cfg)
	})
	if quickErr != nil {
		t.Fatal(quickErr)
	}
	return quickSup, quickUnsu
}

func scores(m *Model, rows []Declaration) []Result {
	out := make([]Result, len(rows))
	for i := range rows {
		out[i] = m.Explain(&rows[i])
	}
	return out
}

func sameResults(t *testing.T, a, b []Result) {
	t.Helper()
	for i := range a {
		if a[i].Risk != b[i].Risk || a[i].Score != b[i].Score || len(a[i].Reasons) != len(b[i].Reasons) {
			t.Fatalf("row %d: %+v differs from %+v", i, a[i], b[i])
		}
		for j := range a[i].Reasons {
			if a[i].Reasons[j] != b[i].Reasons[j] {
				t.Fatalf("row %d reason %d: %+v differs from %+v", i, j, a[i].Reasons[j], b[i].Reasons[j])
			}
		}
	}
}

func TestTrainingIsDeterministicForASeed(t *testing.T) {
	t.Parallel()
	all, valid := sampleData(t)
	train, test := all[:2000], valid[:500]
	a, err := Train(train, smallConfig(7))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(train, smallConfig(7))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Train(train, smallConfig(8))
	if err != nil {
		t.Fatal(err)
	}
	sa, sb, sc := scores(a, test), scores(b, test), scores(c, test)
	sameResults(t, sa, sb)
	differ := false
	for i := range sa {
		if sa[i].SupervisedRisk != sc[i].SupervisedRisk {
			differ = true
			break
		}
	}
	if !differ {
		t.Error("a different seed gave identical scores: the seed is not used")
	}
}

func TestSaveLoadRoundTripGivesIdenticalScores(t *testing.T) {
	t.Parallel()
	_, test := sampleData(t)
	sup, unsup := quickModels(t)
	for _, tc := range []struct {
		name         string
		model        *Model
		unsupervised bool
	}{{"a supervised model", sup, false}, {"an unsupervised model", unsup, true}} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "model.json.gz")
			if err := tc.model.Save(path); err != nil {
				t.Fatal(err)
			}
			loaded, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if loaded.Supervised() != !tc.unsupervised {
				t.Fatalf("loaded model supervised = %v", loaded.Supervised())
			}
			sameResults(t, scores(tc.model, test), scores(loaded, test))
			sameResults(t, tc.model.ExplainAll(test), loaded.ExplainAll(test))
		})
	}
}

func TestLoadRejectsFilesThatAreNotModels(t *testing.T) {
	t.Parallel()
	m, _ := quickModels(t)
	var good bytes.Buffer
	if err := m.Write(&good); err != nil {
		t.Fatal(err)
	}
	broken := *m
	b := *m.Booster
	b.Trees = append([]tree{}, b.Trees...)
	b.Trees[0].Left = append([]int32{}, b.Trees[0].Left...)
	b.Trees[0].Left[0] = 0 // a loop back to the root
	broken.Booster = &b
	var loop bytes.Buffer
	if err := broken.Write(&loop); err != nil {
		t.Fatal(err)
	}
	noVolume := *m
	bl := *m.Baselines
	bl.Volume = nil
	noVolume.Baselines = &bl
	var missing bytes.Buffer
	if err := noVolume.Write(&missing); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"plain text is not a model", []byte("hello"), "not gzip"},
		{"a truncated model is refused", good.Bytes()[:good.Len()/2], "decoding"},
		{"a tree that loops is refused", loop.Bytes(), "tree 0: node 0 has bad children"},
		{"a model without its volume history is refused", missing.Bytes(), "volume history: missing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "model")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			m, err := Load(path)
			if m != nil || !errors.Is(err, ErrBadModel) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, %v; want ErrBadModel saying %q", m, err, tc.want)
			}
		})
	}
}

func TestTrainRejectsBadSettingsAndData(t *testing.T) {
	train, _ := sampleData(t)
	unlabelled := append([]Declaration{}, train[:300]...)
	unlabelled[5].Labelled = false
	allClean := append([]Declaration{}, train[:300]...)
	for i := range allClean {
		allClean[i].Fraud = false
	}
	tests := []struct {
		name   string
		rows   []Declaration
		mutate func(*Config)
		want   string
		is     error
	}{
		{"zero rounds are refused", train[:300], func(c *Config) { c.Boost.Rounds = 0 }, "bad anomaly configuration: rounds 0 must be positive", ErrBadConfig},
		{"a learning rate above one is refused", train[:300], func(c *Config) { c.Boost.LearningRate = 2 }, "bad anomaly configuration: learning rate 2 must be in (0, 1]", ErrBadConfig},
		{"one fold is refused", train[:300], func(c *Config) { c.Folds = 1 }, "bad anomaly configuration: folds 1 must be at least 2", ErrBadConfig},
		{"a lower-case country code is refused", train[:300], func(c *Config) { c.Baselines.HighRiskCountries = []string{"ir"} }, `bad anomaly configuration: high-risk country "ir" must be an ISO 3166-1 alpha-2 code`, ErrBadConfig},
		{"a volume window of no days is refused", train[:300], func(c *Config) { c.Baselines.VolumeWindowDays = 0 }, "bad anomaly configuration: volume window 0 days must be at least 1", ErrBadConfig},
		{"a volume spike of one declaration is refused", train[:300], func(c *Config) { c.Baselines.VolumeMinCount = 1 }, "bad anomaly configuration: volume min count 1 must be at least 2", ErrBadConfig},
		{"a corroboration rate below the signal rate is refused", train[:300], func(c *Config) { c.Baselines.CorroborationRate = 0.01 }, "bad anomaly configuration: corroboration rate 0.01 must be in [signal rate 0.02, 1]", ErrBadConfig},
		{"a corroboration weight above 1 is refused", train[:300], func(c *Config) { c.Baselines.CorroborationWeight = 2 }, "bad anomaly configuration: corroboration weight 2 must be in [0, 1]", ErrBadConfig},
		{"no rows are refused", nil, func(*Config) {}, "bad declaration input: no training declarations", ErrBadInput},
		{"an unlabelled row is refused for supervised training", unlabelled, func(*Config) {}, "bad declaration input: training declaration " + unlabelled[5].ID + " has no Fraud label; use unsupervised training", ErrBadInput},
		{"labels of one class cannot train trees", allClean, func(*Config) {}, "training trees: bad declaration input: the Fraud labels are all false; training needs both outcomes", ErrBadInput},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := quickConfig(1)
			tc.mutate(&cfg)
			m, err := Train(tc.rows, cfg)
			if m != nil || err == nil || !errors.Is(err, tc.is) || err.Error() != tc.want {
				t.Fatalf("got %v, %v\nwant %q", m, err, tc.want)
			}
		})
	}
}

func TestScoreIsAComplianceScoreWithReasonsForReview(t *testing.T) {
	t.Parallel()
	_, test := sampleData(t)
	m, _ := quickModels(t)
	reviewed := 0
	for i := range test {
		r := m.Score(&test[i])
		if r.Score < 0 || r.Score > 100 || math.Abs(r.Score-math.Round(1000*(1-r.Risk))/10) > 1e-9 {
			t.Fatalf("score %v does not match risk %v", r.Score, r.Risk)
		}
		if r.Review != (r.Score < DefaultReviewThreshold) {
			t.Fatalf("review %v for score %v", r.Review, r.Score)
		}
		if r.Review {
			reviewed++
			if len(r.Reasons) == 0 {
				t.Fatalf("declaration %s is sent for review without a reason", r.DeclarationID)
			}
		}
	}
	if reviewed == 0 {
		t.Fatal("no declaration was sent for review")
	}
}
