package audit

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/audit/archive"
	"github.com/aeoledger/aeoledger/workers/audit/mock"
)

// MockOptions are the inputs of `audit mock`.
type MockOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	ReadModelOptions

	From, To string
	Archive  string // document archive folder, optional
	PDF      string // also write the findings as PDF here
	JSON     bool
}

// NewCmdMock builds `audit mock`.
func NewCmdMock(f *cmdutil.Factory, runF func(context.Context, *MockOptions) error) *cobra.Command {
	opts := &MockOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	var rm worker.ReadModel
	cmd := &cobra.Command{
		Use:   "mock [--from DATE] [--to DATE]",
		Short: "Run the checks an auditor would run and report findings with the records they rest on",
		Long: `Run an AEO auditor's checks over the read model and report every finding with the
IDs of the ledger records it rests on:

  seal-chain-gap                    loaded or departed without a seal, or a seal over a seal
  seal-not-affixed                  a seal verified or broken that was never affixed
  incident-without-response         broken seals and excursions nobody answered
  signed-after-revocation           records signed by a key after its revocation
  classification-unapproved         HS code changes without a second approval
  document-tampered                 archived documents that no longer match their anchors (--archive)
  score-unreviewed                  declarations scored below threshold that nobody reviewed
  screening-cleared-without-reason  screening hits cleared without a reason
  access-log-chain-break            a broken archive access log (--archive)

The read model is first brought up to date from the ledger (projection only);
--no-catch-up reads it as it is. The report goes to the terminal, or as JSON,
and with --pdf also to a PDF file.`,
		Example: `  aeoledger audit mock --from 2026-01-01 --to 2026-12-31
  aeoledger audit mock --archive ./archive --json
  aeoledger audit mock --from 2026-01-01 --to 2026-03-31 --pdf findings.pdf`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dsn, err := rm.DSN(f)
			if err != nil {
				return err
			}
			opts.DSN = dsn
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return MockRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.From, "from", "", "First day examined, YYYY-MM-DD (default: unbounded)")
	fl.StringVar(&opts.To, "to", "", "Last day examined, YYYY-MM-DD (default: unbounded)")
	fl.StringVar(&opts.Archive, "archive", "", "Document archive folder to check against the ledger's anchors")
	fl.StringVar(&opts.PDF, "pdf", "", "Also write the findings report as PDF to this file")
	addReadModelFlags(cmd, &rm, &opts.ReadModelOptions)
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// MockRun runs the mock audit and prints the report.
func MockRun(ctx context.Context, opts *MockOptions) error {
	// Bad dates are refused before the read model is touched.
	for _, d := range []struct{ field, v string }{{"--from", opts.From}, {"--to", opts.To}} {
		if _, err := time.Parse(time.DateOnly, d.v); d.v != "" && err != nil {
			return fmt.Errorf("running mock audit: %w", &schemas.FieldError{Field: d.field, Value: d.v, Rule: "must be a date YYYY-MM-DD"})
		}
	}
	mo := mock.Options{From: opts.From, To: opts.To}
	if opts.Archive != "" {
		st, err := os.Stat(opts.Archive)
		if err != nil || !st.IsDir() {
			return fmt.Errorf("opening archive: %w", &schemas.FieldError{Field: "--archive", Value: opts.Archive, Rule: "must be an existing archive folder"})
		}
		arc, err := archive.Open(opts.Archive, archive.Options{})
		if err != nil {
			return err
		}
		mo.Archive = arc
	}
	store, _, err := openReadModel(ctx, opts.ReadModelOptions, opts.Client)
	if err != nil {
		return err
	}
	defer store.Close()
	rep, err := mock.Run(ctx, store, mo)
	if err != nil {
		return err
	}
	if opts.PDF != "" {
		if err := writeAtomically(opts.PDF, func(fh *os.File) error { return rep.WritePDF(fh) }); err != nil {
			return err
		}
	}
	if opts.JSON {
		out, err := rep.JSON()
		if err != nil {
			return err
		}
		_, err = opts.IO.Out.Write(out)
		return err
	}
	if err := rep.WriteText(opts.IO.Out); err != nil {
		return err
	}
	if opts.PDF != "" {
		fmt.Fprintf(opts.IO.Out, "findings report written to %s\n", opts.PDF)
	}
	return nil
}
