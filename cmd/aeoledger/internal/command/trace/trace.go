// Package trace implements `aeoledger trace`: the verified timeline of a
// shipment, a container or a seal.
package trace

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/render"
	"github.com/aeoledger/aeoledger/schemas"
)

// Kinds of trace.
const (
	KindShipment  = "shipment"
	KindContainer = "container"
	KindSeal      = "seal"
)

// Options are the inputs of `trace <kind>`.
type Options struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Kind   string
	ID     string
	JSON   bool
}

// Result is the --json output.
type Result struct {
	Kind     string           `json:"kind"`
	ID       string           `json:"id"`
	Records  []render.Checked `json:"records"`
	Verified int              `json:"verified"`
	Problems int              `json:"problems"`
}

// NewCmdTrace groups the trace commands.
func NewCmdTrace(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "trace <shipment|container|seal> <id>",
		RunE:  cmdutil.GroupRunE,
		Short: "Show the verified timeline of a shipment, container or seal",
		Long: `Print every record in event order with who signed it and its verification: the
contract's status (recomputed at query time) and this client's own check of the
record's ID and signature. Exits 9 if any record does not verify.`,
		Example: `  aeoledger trace shipment SHP-2026-0001
  aeoledger trace container MSCU1234566 --json
  aeoledger trace seal H-0042-7788`,
	}
	for _, k := range []string{KindShipment, KindContainer, KindSeal} {
		cmd.AddCommand(NewCmdTraceKind(f, k, nil))
	}
	return cmd
}

// NewCmdTraceKind builds `trace <kind>`.
func NewCmdTraceKind(f *cmdutil.Factory, kind string, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }, Kind: kind}
	what := map[string]string{KindShipment: "a shipment ID", KindContainer: "an ISO 6346 container number", KindSeal: "a seal number"}[kind]
	example := map[string]string{KindShipment: "SHP-2026-0001", KindContainer: "MSCU1234566", KindSeal: "H-0042-7788"}[kind]
	cmd := &cobra.Command{
		Use:     kind + " <id>",
		Short:   "Verified timeline of " + what,
		Example: fmt.Sprintf("  aeoledger trace %s %s\n  aeoledger trace %s %s --json", kind, example, kind, example),
		Args:    cmdutil.ExactArgs(1, what),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

// Run fetches, re-verifies and prints a trace.
func Run(ctx context.Context, opts *Options) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	var items []schemas.TraceItem
	switch opts.Kind {
	case KindShipment:
		items, err = c.TraceAll(ctx, opts.ID)
	case KindContainer:
		items, err = c.AllRecordsByContainer(ctx, opts.ID)
	case KindSeal:
		items, err = c.AllRecordsBySeal(ctx, opts.ID)
	default:
		return cmdutil.FlagErrorf("unknown trace kind %q", opts.Kind)
	}
	if err != nil {
		return err
	}
	checked, problems := render.Check(items)
	if opts.JSON {
		if checked == nil {
			checked = []render.Checked{}
		}
		if err := cmdutil.WriteJSON(opts.IO.Out, Result{Kind: opts.Kind, ID: opts.ID, Records: checked,
			Verified: len(checked) - problems, Problems: problems}); err != nil {
			return err
		}
	} else {
		render.Timeline(opts.IO.Out, fmt.Sprintf("%s %s", opts.Kind, opts.ID), checked)
	}
	if problems > 0 {
		return &cmdutil.ExitError{Code: cmdutil.ExitVerifyFailed,
			Err: fmt.Errorf("trace %s %s: %d of %d records do not verify: %w", opts.Kind, opts.ID, problems, len(checked), cmdutil.ErrVerificationFailed)}
	}
	return nil
}
