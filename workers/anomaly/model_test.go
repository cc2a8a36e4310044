package anomaly

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	sampleOnce          sync.Once
	sampleTrain, sample []Declaration
	sampleErr           error
)

// sampleData is a slice of the real customs data: the first 6,000 training
// declarations to train on and 1,500 validation declarations to score.
func sampleData(t testing.TB) (train, test []Declaration) {
	t.Helper()
	dir := customsDir(t)
	sampleOnce.Do(func() {
		var all, valid []Declaration
		if all, sampleErr = ReadCSVFile(filepath.Join(dir, "train.csv")); sampleErr != nil {
			return
		}
		if valid, sampleErr = ReadCSVFile(filepath.Join(dir, "valid.csv")); sampleErr != nil {
			return
		}
		sampleTrain, sample = all[:6000], valid[:1500]
	})
	if sampleErr != nil {
		t.Fatal(sampleErr)
	}
	return sampleTrain, sample
}

func quickConfig(seed uint64) Config {
	cfg := DefaultConfig()
	cfg.Boost.Rounds = 60
	cfg.Boost.Seed = seed
	return cfg
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
	train, test := sampleData(t)
	a, err := Train(train, quickConfig(7))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Train(train, quickConfig(7))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Train(train, quickConfig(8))
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
	train, test := sampleData(t)
	for _, tc := range []struct {
		name         string
		unsupervised bool
	}{{"a supervised model", false}, {"an unsupervised model", true}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := quickConfig(3)
			cfg.Unsupervised = tc.unsupervised
			m, err := Train(train, cfg)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), "model.json.gz")
			if err := m.Save(path); err != nil {
				t.Fatal(err)
			}
			loaded, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			if loaded.Supervised() != !tc.unsupervised {
				t.Fatalf("loaded model supervised = %v", loaded.Supervised())
			}
			sameResults(t, scores(m, test), scores(loaded, test))
		})
	}
}

func TestLoadRejectsFilesThatAreNotModels(t *testing.T) {
	train, _ := sampleData(t)
	m, err := Train(train[:1000], quickConfig(1))
	if err != nil {
		t.Fatal(err)
	}
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
	tests := []struct {
		name string
		data []byte
	}{
		{"plain text is not a model", []byte("hello")},
		{"a truncated model is refused", good.Bytes()[:good.Len()/2]},
		{"a tree that loops is refused", loop.Bytes()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "model")
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			m, err := Load(path)
			if m != nil || !errors.Is(err, ErrBadModel) {
				t.Fatalf("got %v, %v; want ErrBadModel", m, err)
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
	train, test := sampleData(t)
	m, err := Train(train, quickConfig(1))
	if err != nil {
		t.Fatal(err)
	}
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
