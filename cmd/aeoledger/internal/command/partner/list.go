package partner

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
)

// ListOptions are the inputs of `partner list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	JSON   bool
}

// NewCmdList builds `partner list`.
func NewCmdList(f *cmdutil.Factory, runF func(context.Context, *ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List registered partners",
		Example: "  aeoledger partner list\n  aeoledger partner list --json | jq '.[].id'",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return listRun(cmd.Context(), opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	all, err := c.AllPartners(ctx)
	if err != nil {
		return err
	}
	if opts.JSON {
		if all == nil {
			all = []schemas.Partner{}
		}
		return cmdutil.WriteJSON(opts.IO.Out, all)
	}
	if len(all) == 0 {
		fmt.Fprintln(opts.IO.Out, "no partners registered")
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMSP\tNAME\tCOUNTRY\tROLES\tSTATUS\tACTIVE KEYS")
	for _, p := range all {
		active := 0
		for _, k := range p.Keys {
			if k.RevokedAt == "" {
				active++
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", p.ID, p.MSPID, p.LegalName, p.Country, strings.Join(p.Roles, ","), p.Status, active)
	}
	return tw.Flush()
}
