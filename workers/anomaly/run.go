package anomaly

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
)

// newFlags makes a flag set that reports errors instead of printing them.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return &FlagError{Err: fmt.Errorf("parsing %s flags: %w", fs.Name(), err)}
	}
	if fs.NArg() > 0 {
		return &FlagError{Err: fmt.Errorf("unexpected argument %q: %s takes only flags", fs.Arg(0), fs.Name())}
	}
	return nil
}

// RunTrain implements `aeoledger anomaly train --train FILE [--valid FILE]
// [--unsupervised] [--seed N] [--rounds N] --model OUT`: it trains and saves
// the model, then prints one line about it. Usage errors are *[FlagError].
func RunTrain(args []string, stdout io.Writer) error {
	fs := newFlags("anomaly train")
	train := fs.String("train", "", "training CSV (customs format)")
	valid := fs.String("valid", "", "labelled validation CSV, used only for early stopping")
	out := fs.String("model", "", "file to write the model to")
	unsup := fs.Bool("unsupervised", false, "ignore the labels: baselines only")
	seed := fs.Uint64("seed", DefaultBoostConfig().Seed, "random seed")
	rounds := fs.Int("rounds", DefaultBoostConfig().Rounds, "maximum number of trees")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *train == "" || *out == "" {
		return &FlagError{Err: errors.New("--train and --model are required")}
	}
	rows, err := ReadCSVFile(*train)
	if err != nil {
		return fmt.Errorf("loading training declarations: %w", err)
	}
	cfg := DefaultConfig()
	cfg.Unsupervised = *unsup
	cfg.Boost.Seed = *seed
	cfg.Boost.Rounds = *rounds
	var validRows []Declaration
	if *valid != "" && !*unsup {
		if validRows, err = ReadCSVFile(*valid); err != nil {
			return fmt.Errorf("loading validation declarations: %w", err)
		}
	}
	m, err := TrainWithValidation(rows, validRows, cfg)
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	if err := m.Save(*out); err != nil {
		return err
	}
	kind := "unsupervised"
	if m.Supervised() {
		kind = fmt.Sprintf("supervised (%d trees)", len(m.Booster.Trees))
	}
	if _, err := fmt.Fprintf(stdout, "trained a %s model on %d declarations; saved to %s\n", kind, len(rows), *out); err != nil {
		return fmt.Errorf("writing summary: %w", err)
	}
	return nil
}

// RunScore implements `aeoledger anomaly score --model FILE --input FILE
// [--json] [--all]`: it scores the file as one stream in date order (see
// [Model.ScoreAll]) and prints the declarations scored below the review
// threshold (every declaration with --all), riskiest first, as a table or
// as a JSON array of [Result].
func RunScore(args []string, stdout io.Writer) error {
	fs := newFlags("anomaly score")
	modelPath := fs.String("model", "", "model file written by anomaly train")
	input := fs.String("input", "", "CSV of declarations to score (Fraud column optional)")
	asJSON := fs.Bool("json", false, "print JSON")
	all := fs.Bool("all", false, "print every declaration, not only those needing review")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *modelPath == "" || *input == "" {
		return &FlagError{Err: errors.New("--model and --input are required")}
	}
	m, err := Load(*modelPath)
	if err != nil {
		return err
	}
	rows, err := ReadCSVFile(*input)
	if err != nil {
		return fmt.Errorf("loading declarations: %w", err)
	}
	results := make([]Result, 0, len(rows))
	risks := make([]float64, 0, len(rows))
	for _, r := range m.ScoreAll(rows) {
		if r.Review || *all {
			results = append(results, r)
			risks = append(risks, r.Risk)
		}
	}
	ordered := make([]Result, len(results))
	for i, j := range rankOrder(risks) {
		ordered[i] = results[j]
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(ordered); err != nil {
			return fmt.Errorf("writing scores: %w", err)
		}
		return nil
	}
	for _, r := range ordered {
		top := ""
		if len(r.Reasons) > 0 {
			top = r.Reasons[0].Text
		}
		if _, err := fmt.Fprintf(stdout, "%s\t%5.1f\t%s\n", r.DeclarationID, r.Score, top); err != nil {
			return fmt.Errorf("writing scores: %w", err)
		}
	}
	return nil
}

// RunExplain implements `aeoledger anomaly explain --model FILE --input FILE
// --id DECLARATION`: it prints the declaration's [Result] with up to five
// reasons as JSON, judged as score judges it: after every declaration of
// the file dated on or before its day.
func RunExplain(args []string, stdout io.Writer) error {
	fs := newFlags("anomaly explain")
	modelPath := fs.String("model", "", "model file written by anomaly train")
	input := fs.String("input", "", "CSV holding the declaration")
	id := fs.String("id", "", "declaration ID to explain")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *modelPath == "" || *input == "" || *id == "" {
		return &FlagError{Err: errors.New("--model, --input and --id are required")}
	}
	m, err := Load(*modelPath)
	if err != nil {
		return err
	}
	rows, err := ReadCSVFile(*input)
	if err != nil {
		return fmt.Errorf("loading declarations: %w", err)
	}
	for i := range rows {
		if rows[i].ID != *id {
			continue
		}
		// Judge it as score does: after every declaration in the file
		// dated on or before its day.
		s := m.NewStream()
		for j := range rows {
			if j != i && dayOf(rows[j].Date) <= dayOf(rows[i].Date) {
				s.Observe(&rows[j])
			}
		}
		r := s.Explain(&rows[i])
		if math.IsNaN(r.Risk) {
			return fmt.Errorf("explaining %s: the model gave no risk", *id)
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("writing explanation: %w", err)
		}
		return nil
	}
	return fmt.Errorf("%w: declaration %q is not in %s", ErrNotFound, *id, *input)
}

// ErrNotFound is returned when a declaration to explain is not in the input.
var ErrNotFound = errors.New("declaration not found")
