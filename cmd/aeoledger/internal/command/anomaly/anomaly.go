// Package anomaly implements `aeoledger anomaly train|score|eval|explain`:
// the declaration risk model of package workers/anomaly on the command line.
package anomaly

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/workers/anomaly"
	"github.com/aeoledger/aeoledger/workers/pipeline"
)

// NewCmdAnomaly groups the anomaly commands.
func NewCmdAnomaly(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "anomaly <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "Train, evaluate and apply the declaration risk model",
		Long: `The risk model scores customs declarations from 0 to 100 (100 = nothing looks
wrong); below the review threshold (80) a declaration goes to an officer, with the
top reasons in words. Unsupervised baselines work without inspection outcomes;
with the Fraud label, gradient-boosted trees are trained on top of them.
Declarations are CSV files in the format of the Customs Import Declaration
Datasets.`,
		Example: `  aeoledger anomaly train --train train.csv --valid valid.csv --out model.json.gz
  aeoledger anomaly eval --train train.csv --test valid.csv --json
  aeoledger anomaly score --model model.json.gz new.csv
  aeoledger anomaly explain 97061800 --model model.json.gz`,
	}
	cmd.AddCommand(NewCmdTrain(f, nil), NewCmdScore(f, nil), NewCmdEval(f, nil), NewCmdExplain(f, nil))
	return cmd
}

// TrainOptions are the inputs of `anomaly train`.
type TrainOptions struct {
	IO           *iostreams.IOStreams
	Train        string
	Valid        string
	Out          string
	Unsupervised bool
	Seed         uint64
	JSON         bool
}

// NewCmdTrain builds `anomaly train`.
func NewCmdTrain(f *cmdutil.Factory, runF func(context.Context, *TrainOptions) error) *cobra.Command {
	opts := &TrainOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train the risk model on declarations and save it to a file",
		Long: `Train on --train (the Fraud column is the label, unless --unsupervised), stopping
the trees early on --valid when given, and save the model to --out. Training is
deterministic for a --seed.`,
		Example: `  aeoledger anomaly train --train train.csv --valid valid.csv --out model.json.gz
  aeoledger anomaly train --train history.csv --unsupervised --out baselines.json.gz`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Train == "" || opts.Out == "" {
				return cmdutil.FlagErrorf("field=--train,--out value=%q rule=both the training CSV and the model file are required", opts.Train+","+opts.Out)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return trainRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Train, "train", "", "Training declarations (CSV)")
	cmd.Flags().StringVar(&opts.Valid, "valid", "", "Validation declarations (CSV), for early stopping only")
	cmd.Flags().StringVar(&opts.Out, "out", "", "Model file to write")
	cmd.Flags().BoolVar(&opts.Unsupervised, "unsupervised", false, "Ignore the labels: fit the baselines only")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", anomaly.DefaultBoostConfig().Seed, "Random seed of row and feature sampling")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// TrainResult is what `anomaly train --json` prints.
type TrainResult struct {
	Model     string  `json:"model"`
	Mode      string  `json:"mode"`
	TrainRows int     `json:"train_rows"`
	ValidRows int     `json:"valid_rows,omitempty"`
	Trees     int     `json:"trees,omitempty"`
	Seconds   float64 `json:"train_seconds"`
}

func trainRun(opts *TrainOptions) error {
	train, err := anomaly.ReadCSVFile(opts.Train)
	if err != nil {
		return fmt.Errorf("loading training declarations: %w", err)
	}
	var valid []anomaly.Declaration
	if opts.Valid != "" && !opts.Unsupervised {
		if valid, err = anomaly.ReadCSVFile(opts.Valid); err != nil {
			return fmt.Errorf("loading validation declarations: %w", err)
		}
	}
	cfg := anomaly.DefaultConfig()
	cfg.Unsupervised = opts.Unsupervised
	cfg.Boost.Seed = opts.Seed
	start := time.Now()
	m, err := anomaly.TrainWithValidation(train, valid, cfg)
	if err != nil {
		return fmt.Errorf("training: %w", err)
	}
	res := TrainResult{Model: opts.Out, Mode: "unsupervised", TrainRows: len(train), ValidRows: len(valid),
		Seconds: float64(time.Since(start).Milliseconds()) / 1000}
	if m.Supervised() {
		res.Mode, res.Trees = "supervised", len(m.Booster.Trees)
	}
	if err := m.Save(opts.Out); err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	fmt.Fprintf(opts.IO.Out, "%s model trained on %d declarations", res.Mode, res.TrainRows)
	if res.Trees > 0 {
		fmt.Fprintf(opts.IO.Out, " (%d trees, early stopping on %d)", res.Trees, res.ValidRows)
	}
	fmt.Fprintf(opts.IO.Out, " in %.1f s; saved to %s\n", res.Seconds, res.Model)
	return nil
}

// ScoreOptions are the inputs of `anomaly score`.
type ScoreOptions struct {
	IO         *iostreams.IOStreams
	Model      string
	File       string
	ReviewOnly bool
	JSON       bool
}

// NewCmdScore builds `anomaly score`.
func NewCmdScore(f *cmdutil.Factory, runF func(context.Context, *ScoreOptions) error) *cobra.Command {
	opts := &ScoreOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "score <declarations.csv>",
		Short: "Score the declarations of a CSV file",
		Long: `Score every declaration of a CSV file with a saved model: the compliance score
(0-100, 100 = nothing looks wrong), whether it goes to review, and the top reason.
The file is scored as one stream in date order, so an importer's HS-code volume
window counts the file's earlier declarations. --json prints every result with
all its reasons.`,
		Example: `  aeoledger anomaly score --model model.json.gz new.csv
  aeoledger anomaly score --model model.json.gz new.csv --review-only --json`,
		Args: cmdutil.ExactArgs(1, "a declarations CSV file"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.File = args[0]
			if opts.Model == "" {
				return cmdutil.FlagErrorf("field=--model value=\"\" rule=a model file from `aeoledger anomaly train` is required")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return scoreRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Model, "model", "", "Model file")
	cmd.Flags().BoolVar(&opts.ReviewOnly, "review-only", false, "Only declarations below the review threshold")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func scoreRun(opts *ScoreOptions) error {
	m, err := anomaly.Load(opts.Model)
	if err != nil {
		return err
	}
	rows, err := anomaly.ReadCSVFile(opts.File)
	if err != nil {
		return err
	}
	// One stream in date order, so each importer's volume window counts
	// the file's earlier declarations too.
	results := []anomaly.Result{}
	for _, r := range m.ScoreAll(rows) {
		if opts.ReviewOnly && !r.Review {
			continue
		}
		results = append(results, r)
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, results)
	}
	return printResults(opts.IO.Out, results)
}

func printResults(w io.Writer, results []anomaly.Result) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "DECLARATION\tSCORE\tREVIEW\tTOP REASON")
	for _, r := range results {
		review, reason := "", ""
		if r.Review {
			review = "yes"
		}
		if len(r.Reasons) > 0 {
			reason = r.Reasons[0].Text
		}
		fmt.Fprintf(tw, "%s\t%.1f\t%s\t%s\n", r.DeclarationID, r.Score, review, reason)
	}
	return tw.Flush()
}

// EvalOptions are the inputs of `anomaly eval`.
type EvalOptions struct {
	IO           *iostreams.IOStreams
	Train        string
	Valid        string
	Test         string
	Unsupervised bool
	Seed         uint64
	JSON         bool
}

// NewCmdEval builds `anomaly eval`.
func NewCmdEval(f *cmdutil.Factory, runF func(context.Context, *EvalOptions) error) *cobra.Command {
	opts := &EvalOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "eval",
		Short: "Train on one file, score another and measure the ranking against its Fraud labels",
		Long: `Train only on --train (plus --valid for early stopping, if given), score --test and
measure the ranking against its Fraud column: precision and recall when the 1, 2,
5, 10 or 20 % riskiest declarations are inspected, and the AUC. --unsupervised
ignores the training labels.`,
		Example: `  aeoledger anomaly eval --train train.csv --test valid.csv --json
  aeoledger anomaly eval --train train.csv --valid tune.csv --test holdout.csv
  aeoledger anomaly eval --train train.csv --test valid.csv --unsupervised`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Train == "" || opts.Test == "" {
				return cmdutil.FlagErrorf("field=--train,--test value=%q rule=both the training and the test CSV are required", opts.Train+","+opts.Test)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return evalRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Train, "train", "", "Labelled training declarations (CSV)")
	cmd.Flags().StringVar(&opts.Valid, "valid", "", "Labelled validation declarations (CSV), for early stopping only")
	cmd.Flags().StringVar(&opts.Test, "test", "", "Labelled declarations to score and measure (CSV)")
	cmd.Flags().BoolVar(&opts.Unsupervised, "unsupervised", false, "Ignore the training labels: baselines only")
	cmd.Flags().Uint64Var(&opts.Seed, "seed", anomaly.DefaultBoostConfig().Seed, "Random seed of row and feature sampling")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func evalRun(opts *EvalOptions) error {
	cfg := anomaly.DefaultConfig()
	cfg.Unsupervised = opts.Unsupervised
	cfg.Boost.Seed = opts.Seed
	rep, err := anomaly.EvalWithConfig(opts.Train, opts.Valid, opts.Test, cfg)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, rep)
	}
	auc := "n/a"
	if rep.AUC != nil {
		auc = fmt.Sprintf("%.4f", *rep.AUC)
	}
	fmt.Fprintf(opts.IO.Out, "%s model, trained on %d declarations in %.1f s, tested on %d (%d fraud)\nAUC %s\n",
		rep.Mode, rep.TrainRows, rep.TrainSeconds, rep.TestRows, rep.TestPositives, auc)
	for _, p := range anomaly.InspectionRates {
		k := fmt.Sprint(p)
		fmt.Fprintf(opts.IO.Out, "inspect top %2d%%: precision %.4f  recall %.4f\n", p, rep.PrecisionAt[k], rep.RecallAt[k])
	}
	return nil
}

// ExplainOptions are the inputs of `anomaly explain`.
type ExplainOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Model  string
	File   string
	ID     string
	JSON   bool
}

// NewCmdExplain builds `anomaly explain`.
func NewCmdExplain(f *cmdutil.Factory, runF func(context.Context, *ExplainOptions) error) *cobra.Command {
	opts := &ExplainOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:   "explain <declaration-id>",
		Short: "Show a declaration's score with its top reasons",
		Long: `Score one declaration and print its compliance score with up to five reasons,
also when it is above the review threshold. The declaration is read from the
ledger (and judged against the model's history), or from a CSV file with --file
(and judged as part of the file's stream, as ` + "`anomaly score`" + ` does).`,
		Example: `  aeoledger anomaly explain 97061800 --model model.json.gz
  aeoledger anomaly explain 97061800 --model model.json.gz --file valid.csv --json`,
		Args: cmdutil.ExactArgs(1, "a declaration ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if opts.Model == "" {
				return cmdutil.FlagErrorf("field=--model value=\"\" rule=a model file from `aeoledger anomaly train` is required")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return explainRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Model, "model", "", "Model file")
	cmd.Flags().StringVar(&opts.File, "file", "", "Read the declaration from this CSV file instead of the ledger")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func explainRun(ctx context.Context, opts *ExplainOptions) error {
	m, err := anomaly.Load(opts.Model)
	if err != nil {
		return err
	}
	r, err := explain(ctx, m, opts)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, r)
	}
	verdict := "no review needed"
	if r.Review {
		verdict = "needs review"
	}
	fmt.Fprintf(opts.IO.Out, "declaration %s: compliance score %.1f of 100 (%s; review threshold %g)\n",
		r.DeclarationID, r.Score, verdict, m.Config.ReviewThreshold)
	for _, reason := range r.Reasons {
		fmt.Fprintf(opts.IO.Out, "  - %s\n", reason.Text)
	}
	return nil
}

// explain judges the declaration in the file (as part of the file's
// stream, like `anomaly score`) or on the ledger.
func explain(ctx context.Context, m *anomaly.Model, opts *ExplainOptions) (anomaly.Result, error) {
	if opts.File != "" {
		rows, err := anomaly.ReadCSVFile(opts.File)
		if err != nil {
			return anomaly.Result{}, err
		}
		for i := range rows {
			if rows[i].ID == opts.ID {
				return m.ExplainAll(rows)[i], nil
			}
		}
		return anomaly.Result{}, &cmdutil.ExitError{Code: cmdutil.ExitNotFound,
			Err: fmt.Errorf("field=declaration-id value=%q rule=must be a declaration of %s", opts.ID, opts.File)}
	}
	c, err := opts.Client()
	if err != nil {
		return anomaly.Result{}, err
	}
	defer c.Close()
	d, err := c.Declaration(ctx, opts.ID)
	if err != nil {
		return anomaly.Result{}, err
	}
	ad, err := pipeline.ToAnomaly(d)
	if err != nil {
		return anomaly.Result{}, err
	}
	return m.Explain(&ad), nil
}
