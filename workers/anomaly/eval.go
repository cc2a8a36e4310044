package anomaly

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"time"
)

// EvalReport is what `aeoledger anomaly eval --json` prints.
type EvalReport struct {
	Mode          string             `json:"mode"` // "supervised" or "unsupervised"
	TrainRows     int                `json:"train_rows"`
	ValidRows     int                `json:"valid_rows,omitempty"`
	TestRows      int                `json:"test_rows"`
	TestPositives int                `json:"test_positives"`
	Trees         int                `json:"trees,omitempty"`
	PrecisionAt   map[string]float64 `json:"precision_at"`
	RecallAt      map[string]float64 `json:"recall_at"`
	// AUC is null when the test file has only one class.
	AUC             *float64 `json:"auc"`
	ReviewThreshold float64  `json:"review_threshold"`
	// FlaggedShare is the share of test declarations scored below the
	// review threshold.
	FlaggedShare float64 `json:"flagged_share"`
	TrainSeconds float64 `json:"train_seconds"`
}

// Eval trains on trainPath (with validPath, if not empty, for early
// stopping), scores testPath and measures the ranking against the test
// file's Fraud labels. With unsupervised set, the training labels are
// ignored and only the baselines are fitted. The test file is scored as one
// stream in date order (see [Model.ScoreAll]).
func Eval(trainPath, validPath, testPath string, unsupervised bool) (*EvalReport, error) {
	cfg := DefaultConfig()
	cfg.Unsupervised = unsupervised
	return EvalWithConfig(trainPath, validPath, testPath, cfg)
}

// EvalWithConfig is [Eval] with an explicit configuration.
func EvalWithConfig(trainPath, validPath, testPath string, cfg Config) (*EvalReport, error) {
	train, err := ReadCSVFile(trainPath)
	if err != nil {
		return nil, fmt.Errorf("loading training declarations: %w", err)
	}
	var valid []Declaration
	if validPath != "" && !cfg.Unsupervised {
		if valid, err = ReadCSVFile(validPath); err != nil {
			return nil, fmt.Errorf("loading validation declarations: %w", err)
		}
	}
	test, err := ReadCSVFile(testPath)
	if err != nil {
		return nil, fmt.Errorf("loading test declarations: %w", err)
	}
	for i := range test {
		if !test[i].Labelled {
			return nil, fmt.Errorf("%w: test file %s has no Fraud column to evaluate against", ErrBadInput, testPath)
		}
	}
	start := time.Now()
	m, err := TrainWithValidation(train, valid, cfg)
	if err != nil {
		return nil, fmt.Errorf("training: %w", err)
	}
	elapsed := time.Since(start)
	return m.evaluate(test, len(train), len(valid), elapsed), nil
}

func (m *Model) evaluate(test []Declaration, trainRows, validRows int, elapsed time.Duration) *EvalReport {
	risk := make([]float64, len(test))
	labels := make([]bool, len(test))
	flagged, pos := 0, 0
	for i, r := range m.ScoreAll(test) {
		risk[i] = r.Risk
		labels[i] = test[i].Fraud
		if r.Review {
			flagged++
		}
		if test[i].Fraud {
			pos++
		}
	}
	met := computeMetrics(risk, labels)
	rep := &EvalReport{
		Mode:            "supervised",
		TrainRows:       trainRows,
		ValidRows:       validRows,
		TestRows:        len(test),
		TestPositives:   pos,
		PrecisionAt:     met.PrecisionAt,
		RecallAt:        met.RecallAt,
		ReviewThreshold: m.Config.ReviewThreshold,
		TrainSeconds:    math.Round(elapsed.Seconds()*100) / 100,
	}
	if !m.Supervised() {
		rep.Mode = "unsupervised"
	} else {
		rep.Trees = len(m.Booster.Trees)
	}
	if !math.IsNaN(met.AUC) {
		a := met.AUC
		rep.AUC = &a
	}
	if len(test) > 0 {
		rep.FlaggedShare = float64(flagged) / float64(len(test))
	}
	return rep
}

// FlagError reports bad command-line usage of the eval command.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// RunEval implements `aeoledger anomaly eval --train FILE [--valid FILE]
// --test FILE [--unsupervised] [--json] [--seed N] [--rounds N]`. It writes
// the report to stdout as JSON with --json, as text otherwise. Usage errors
// are *[FlagError].
func RunEval(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("anomaly eval", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	train := fs.String("train", "", "labelled training CSV (customs format)")
	valid := fs.String("valid", "", "labelled validation CSV, used only for early stopping")
	test := fs.String("test", "", "labelled CSV to score and measure")
	unsup := fs.Bool("unsupervised", false, "ignore the training labels: baselines only")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	seed := fs.Uint64("seed", DefaultBoostConfig().Seed, "random seed for row and feature sampling")
	rounds := fs.Int("rounds", DefaultBoostConfig().Rounds, "maximum number of trees")
	if err := fs.Parse(args); err != nil {
		return &FlagError{Err: fmt.Errorf("parsing eval flags: %w", err)}
	}
	if fs.NArg() > 0 {
		return &FlagError{Err: fmt.Errorf("unexpected argument %q: eval takes only flags", fs.Arg(0))}
	}
	if *train == "" || *test == "" {
		return &FlagError{Err: errors.New("--train and --test are required")}
	}
	cfg := DefaultConfig()
	cfg.Unsupervised = *unsup
	cfg.Boost.Seed = *seed
	cfg.Boost.Rounds = *rounds
	rep, err := EvalWithConfig(*train, *valid, *test, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("writing report: %w", err)
		}
		return nil
	}
	auc := "n/a"
	if rep.AUC != nil {
		auc = fmt.Sprintf("%.4f", *rep.AUC)
	}
	_, err = fmt.Fprintf(stdout, "%s model, trained on %d declarations, tested on %d (%d fraud)\nAUC %s\n",
		rep.Mode, rep.TrainRows, rep.TestRows, rep.TestPositives, auc)
	for _, p := range InspectionRates {
		k := fmt.Sprint(p)
		if err == nil {
			_, err = fmt.Fprintf(stdout, "inspect top %2d%%: precision %.4f  recall %.4f\n", p, rep.PrecisionAt[k], rep.RecallAt[k])
		}
	}
	if err != nil {
		return fmt.Errorf("writing report: %w", err)
	}
	return nil
}
