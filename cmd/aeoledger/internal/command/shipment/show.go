package shipment

import (
	"context"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
)

// ShowOptions are the inputs of `shipment show`.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	ID     string
	JSON   bool
}

// NewCmdShow builds `shipment show`.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:     "show <shipment-id>",
		Short:   "Show a shipment and its state (status, seals, holds)",
		Example: "  aeoledger shipment show SHP-2026-0001\n  aeoledger shipment show SHP-2026-0001 --json",
		Args:    cmdutil.ExactArgs(1, "a shipment ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.ID = args[0]
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return showRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func showRun(ctx context.Context, opts *ShowOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	v, err := c.Shipment(ctx, opts.ID)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, v)
	}
	printShipment(opts.IO.Out, v)
	return nil
}

// ListOptions are the inputs of `shipment list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Party  string
	JSON   bool
}

// NewCmdList builds `shipment list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:     "list --party <partner-id>",
		Short:   "List the shipments a partner is linked to",
		Example: "  aeoledger shipment list --party nordic-lines\n  aeoledger shipment list --party acme-export --json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Party == "" {
				return cmdutil.FlagErrorf("field=--party value=\"\" rule=a partner ID is required")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Party, "party", "", "Partner ID (consignor, consignee or party)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	all, err := c.AllShipmentsByParty(ctx, opts.Party)
	if err != nil {
		return err
	}
	if opts.JSON {
		if all == nil {
			all = []schemas.Shipment{}
		}
		return cmdutil.WriteJSON(opts.IO.Out, all)
	}
	if len(all) == 0 {
		fmt.Fprintf(opts.IO.Out, "no shipments for %s\n", opts.Party)
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tFROM\tTO\tCONSIGNOR\tCONSIGNEE\tPLANNED DEPARTURE")
	for _, s := range all {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", s.ID, s.Origin, s.Destination, s.Consignor.Name, s.Consignee.Name, s.PlannedDeparture)
	}
	return tw.Flush()
}
