package audit

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
	"github.com/aeoledger/aeoledger/workers/audit/export"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// ReadModelOptions are what export and mock share: the read model and
// whether to bring it up to date from the ledger first.
type ReadModelOptions struct {
	DSN       string // resolved from --db / --pg
	NoCatchUp bool
}

func addReadModelFlags(cmd *cobra.Command, rm *worker.ReadModel, o *ReadModelOptions) {
	worker.AddReadModelFlags(cmd, rm)
	cmd.Flags().BoolVar(&o.NoCatchUp, "no-catch-up", false, "Read the read model as it is; do not project new blocks from the ledger first")
}

// openReadModel opens the read model and, unless told not to, projects the
// blocks committed since its checkpoint. It returns the store and the
// number of blocks it projected.
func openReadModel(ctx context.Context, o ReadModelOptions, connect func() (*client.Client, error)) (*readmodel.Store, int, error) {
	store, err := readmodel.Open(ctx, o.DSN)
	if err != nil {
		return nil, 0, err
	}
	if o.NoCatchUp {
		return store, 0, nil
	}
	c, err := connect()
	if err != nil {
		_ = store.Close()
		return nil, 0, fmt.Errorf("connecting to catch the read model up (or pass --no-catch-up): %w", err)
	}
	defer c.Close()
	n, err := CatchUp(ctx, store, c.BlockRange)
	if err != nil {
		_ = store.Close()
		return nil, 0, err
	}
	return store, n, nil
}

// ExportOptions are the inputs of `audit export`.
type ExportOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	ReadModelOptions

	Filter export.Filter
	Format string
	Out    string
	Bundle string // also write the evidence bundle of the exported rows here
	Title  string
	JSON   bool
}

// ExportResult is what `audit export` reports (--json).
type ExportResult struct {
	File          string `json:"file"`
	Format        string `json:"format"`
	Rows          int64  `json:"rows"`
	RowsSHA256    string `json:"rowsSha256"`
	Projected     int    `json:"blocksProjected"`
	Bundle        string `json:"bundle,omitempty"`
	BundleSHA256  string `json:"bundleSha256,omitempty"`
	BundleRecords int    `json:"bundleRecords,omitempty"`
}

// NewCmdExport builds `audit export`.
func NewCmdExport(f *cmdutil.Factory, runF func(context.Context, *ExportOptions) error) *cobra.Command {
	opts := &ExportOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	var rm worker.ReadModel
	cmd := &cobra.Command{
		Use:   "export --from DATE --to DATE --format csv|xlsx|pdf --out FILE",
		Short: "Export declarations, touchpoints, amendments, alerts and responses for an auditor",
		Long: `Write what an auditor asks for, read from the read model: declarations,
touchpoints, amendments with old and new values and their approvals, alerts and
screening hits with the responses to them, and anomaly scores, for a period and
optionally an HS code prefix, a country of origin or a partner.

  csv   every row; cells that a spreadsheet would run as a formula are escaped
  xlsx  every row (excelize)
  pdf   a summary page with charts (events per month, alerts by type, score
        distribution), the rows, and the hash of the evidence bundle

Rows stream from the read model to the file, so memory does not grow with the
number of rows. The read model (the SQLite file of ` + "`worker run`" + `, or --db/--pg) is first
brought up to date from the ledger (projection only: nothing is written to
the ledger); --no-catch-up reads it as it is.

--bundle FILE also writes the evidence bundle of every transaction behind the
exported rows, and the export cites its SHA-256.`,
		Example: `  aeoledger audit export --from 2026-01-01 --to 2026-12-31 --format csv --out audit.csv
  aeoledger audit export --from 2026-01-01 --to 2026-06-30 --hs 0808 --origin NL --format xlsx --out apples.xlsx
  aeoledger audit export --from 2026-01-01 --to 2026-12-31 --format pdf --out audit.pdf --bundle audit-evidence.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkExportFlags(opts); err != nil {
				return err
			}
			dsn, err := rm.DSN(f)
			if err != nil {
				return err
			}
			opts.DSN = dsn
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return ExportRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Filter.From, "from", "", "First day, YYYY-MM-DD (inclusive)")
	fl.StringVar(&opts.Filter.To, "to", "", "Last day, YYYY-MM-DD (inclusive)")
	fl.StringVar(&opts.Filter.HSPrefix, "hs", "", "HS code prefix (1-10 digits)")
	fl.StringVar(&opts.Filter.Origin, "origin", "", "Country of origin (ISO 3166-1 alpha-2)")
	fl.StringVar(&opts.Filter.Partner, "partner", "", "Partner ID")
	fl.StringVar(&opts.Format, "format", "", "csv, xlsx or pdf (default: from the --out extension)")
	fl.StringVarP(&opts.Out, "out", "o", "", "File to write (required)")
	fl.StringVar(&opts.Bundle, "bundle", "", "Also write the evidence bundle of the exported rows to this file")
	fl.StringVar(&opts.Title, "title", "", "Title of the PDF")
	addReadModelFlags(cmd, &rm, &opts.ReadModelOptions)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func checkExportFlags(opts *ExportOptions) error {
	if opts.Out == "" {
		return cmdutil.FlagErrorf("field=--out value=\"\" rule=the file to write the export to is required")
	}
	if opts.Filter.From == "" || opts.Filter.To == "" {
		return cmdutil.FlagErrorf("field=--from/--to value=%q rule=the period is required", opts.Filter.From+".."+opts.Filter.To)
	}
	if opts.Format == "" {
		opts.Format = strings.TrimPrefix(strings.ToLower(filepath.Ext(opts.Out)), ".")
	}
	switch opts.Format {
	case export.CSV, export.XLSX, export.PDF:
	default:
		return cmdutil.FlagErrorf("field=--format value=%q rule=must be csv, xlsx or pdf (or give --out one of these extensions)", opts.Format)
	}
	if opts.Bundle != "" && filepath.Clean(opts.Bundle) == filepath.Clean(opts.Out) {
		return cmdutil.FlagErrorf("field=--bundle value=%q rule=must differ from --out", opts.Bundle)
	}
	return nil
}

// ExportRun writes the export (and the bundle when asked).
func ExportRun(ctx context.Context, opts *ExportOptions) error {
	if err := opts.Filter.Validate(); err != nil {
		return fmt.Errorf("exporting: %w", err)
	}
	store, projected, err := openReadModel(ctx, opts.ReadModelOptions, opts.Client)
	if err != nil {
		return err
	}
	defer store.Close()
	src := export.ReadModelSource(store)
	res := ExportResult{File: opts.Out, Format: opts.Format, Projected: projected}
	eo := export.Options{Title: opts.Title}
	if opts.Bundle != "" {
		txs, err := export.TxIDs(ctx, src, opts.Filter)
		if err != nil {
			return err
		}
		if len(txs) == 0 {
			return fmt.Errorf("exporting: %w", &schemas.FieldError{Field: "--bundle", Value: opts.Bundle, Rule: "the export selects no rows, so there is no evidence to bundle"})
		}
		c, err := opts.Client()
		if err != nil {
			return err
		}
		b, hash, err := WriteBundle(ctx, c, bundle.Query{TxIDs: txs}, opts.Bundle)
		_ = c.Close()
		if err != nil {
			return err
		}
		res.Bundle, res.BundleSHA256, res.BundleRecords = opts.Bundle, hash, len(b.Items)
		eo.BundleHash = hash
	}
	var er *export.Result
	err = writeAtomically(opts.Out, func(fh *os.File) error {
		var err error
		er, err = export.Run(ctx, src, opts.Filter, opts.Format, fh, eo)
		return err
	})
	if err != nil {
		if opts.Bundle != "" {
			_ = os.Remove(opts.Bundle) // the bundle proves an export that was not written
		}
		return err
	}
	res.Rows, res.RowsSHA256 = er.Rows, er.RowsSHA256
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "exported %d rows (%s, %s to %s) to %s\n", res.Rows, res.Format, opts.Filter.From, opts.Filter.To, res.File)
	fmt.Fprintf(w, "  rows sha256  %s\n", res.RowsSHA256)
	if res.Projected > 0 {
		fmt.Fprintf(w, "  read model   %d new blocks projected from the ledger first\n", res.Projected)
	}
	if res.Bundle != "" {
		fmt.Fprintf(w, "  evidence     %s: %d records, sha256 %s (verify: aeoledger audit verify %s)\n", res.Bundle, res.BundleRecords, res.BundleSHA256, res.Bundle)
	}
	return nil
}
