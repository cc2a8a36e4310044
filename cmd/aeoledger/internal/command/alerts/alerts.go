// Package alerts implements `aeoledger alerts list|ack`: the alerts the
// compliance workers raised (sensor excursions, broken seals, low compliance
// scores, screening hits), read from the read model, and their
// acknowledgement on the ledger.
package alerts

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/pipeline"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// NewCmdAlerts groups the alert commands.
func NewCmdAlerts(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "alerts <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "List and acknowledge the workers' alerts",
		Example: `  aeoledger alerts list --open
  aeoledger alerts ack 3f1c...e9 --response "reefer checked, cargo within spec" --officer "K. Kim"`,
	}
	cmd.AddCommand(NewCmdList(f, nil), NewCmdAck(f, nil))
	return cmd
}

// ListOptions are the inputs of `alerts list`.
type ListOptions struct {
	IO       *iostreams.IOStreams
	DSN      string
	Open     bool
	Subject  string
	Severity string
	JSON     bool
}

// NewCmdList builds `alerts list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams}
	var rm worker.ReadModel
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List alerts from the read model, with their acknowledgements",
		Long: `List the alerts recorded on the ledger, as the read model kept by
` + "`aeoledger worker run`" + ` holds them, oldest first, each with the acknowledgement
that closed it (who acted and the response), if any.`,
		Example: `  aeoledger alerts list --open
  aeoledger alerts list --subject SHP-2026-0001 --json
  aeoledger alerts list --pg postgres://aeo@127.0.0.1/aeo --severity high`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			dsn, err := rm.DSN(f)
			if err != nil {
				return err
			}
			opts.DSN = dsn
			if opts.Severity != "" && !slices.Contains(schemas.Severities, opts.Severity) {
				return cmdutil.FlagErrorf("field=--severity value=%q rule=must be one of %s", opts.Severity, strings.Join(schemas.Severities, ", "))
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	worker.AddReadModelFlags(cmd, &rm)
	cmd.Flags().BoolVar(&opts.Open, "open", false, "Only alerts nobody has acknowledged")
	cmd.Flags().StringVar(&opts.Subject, "subject", "", "Only alerts about this shipment, declaration or partner")
	cmd.Flags().StringVar(&opts.Severity, "severity", "", "Only alerts of this severity: "+strings.Join(schemas.Severities, ", "))
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// Item is one alert in `alerts list --json`.
type Item struct {
	Alert schemas.ComplianceRecord  `json:"alert"`
	Ack   *schemas.ComplianceRecord `json:"ack,omitempty"`
	Block uint64                    `json:"block"`
}

func listRun(ctx context.Context, opts *ListOptions) error {
	store, err := readmodel.Open(ctx, opts.DSN)
	if err != nil {
		return err
	}
	defer store.Close()
	filter := readmodel.FollowUpFilter{SubjectID: opts.Subject, Severity: opts.Severity}
	if opts.Open {
		filter.State = readmodel.StateOpen
	}
	items := []Item{}
	err = store.Alerts(ctx, filter, func(r readmodel.FollowUpRow) error {
		it := Item{Alert: r.Record.ComplianceRecord, Block: r.Record.Pos.Block}
		if r.ClosedBy != nil {
			ack := r.ClosedBy.ComplianceRecord
			it.Ack = &ack
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, items)
	}
	if len(items) == 0 {
		fmt.Fprintln(opts.IO.Out, "no alerts")
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tSUBJECT\tRULE\tSINCE\tSTATUS")
	for _, it := range items {
		status := "open"
		if it.Ack != nil {
			status = "acked by " + it.Ack.Officer
		}
		fmt.Fprintf(tw, "%s\t%s\t%s %s\t%s\t%s\t%s\n", it.Alert.ID, it.Alert.Severity, it.Alert.SubjectType, it.Alert.SubjectID,
			it.Alert.Rule, it.Alert.CreatedAt, status)
	}
	return tw.Flush()
}

// AckOptions are the inputs of `alerts ack`.
type AckOptions struct {
	IO       *iostreams.IOStreams
	Client   func() (*client.Client, error)
	Now      func() time.Time
	ID       string
	Response string
	Officer  string
	JSON     bool
}

// NewCmdAck builds `alerts ack`.
func NewCmdAck(f *cmdutil.Factory, runF func(context.Context, *AckOptions) error) *cobra.Command {
	opts := &AckOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "ack <alert-id>",
		Short: "Acknowledge an alert: record who acted and the response on the ledger",
		Long: `Record an alert-ack on the ledger for the alert with the given compliance ID: the
officer who acted (--officer, default the acting identity) and the response. The
ledger refuses a second acknowledgement of the same alert.`,
		Example: `  aeoledger alerts ack 3f1c...e9 --response "reefer checked, cargo within spec" --officer "K. Kim"`,
		Args:    cmdutil.ExactArgs(1, "the compliance ID of an alert"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if err := schemas.ValidateSHA256("alert-id", opts.ID); err != nil {
				return &cmdutil.FlagError{Err: err}
			}
			if strings.TrimSpace(opts.Response) == "" {
				return cmdutil.FlagErrorf("field=--response value=%q rule=say what was done about the alert", opts.Response)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return ackRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Response, "response", "", "What was done about the alert")
	cmd.Flags().StringVar(&opts.Officer, "officer", "", "The officer who acted (default: the acting identity)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func ackRun(ctx context.Context, opts *AckOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	alert, err := c.Compliance(ctx, opts.ID)
	if err != nil {
		return fmt.Errorf("reading alert %s: %w", opts.ID, err)
	}
	officer := cmdutil.Officer(c, opts.Officer)
	rec, err := pipeline.AckRecord(*alert, officer, opts.Response, opts.Now())
	if err != nil {
		return fmt.Errorf("acknowledging %s: %w", opts.ID, err)
	}
	got, err := c.RecordCompliance(ctx, rec)
	if err != nil {
		return fmt.Errorf("acknowledging alert %s: %w", opts.ID, err)
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, got)
	}
	fmt.Fprintf(opts.IO.Out, "acknowledged alert %s (%s) on %s %s by %s: %s\n", alert.ID, alert.Rule, alert.SubjectType, alert.SubjectID, got.Officer, got.ID)
	return nil
}
