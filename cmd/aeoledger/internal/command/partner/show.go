package partner

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
)

// ShowOptions are the inputs of `partner show`.
type ShowOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	ID     string
	JSON   bool
}

// NewCmdShow builds `partner show`.
func NewCmdShow(f *cmdutil.Factory, runF func(context.Context, *ShowOptions) error) *cobra.Command {
	opts := &ShowOptions{IO: f.IOStreams, Client: func() (*client.Client, error) { return f.Client("") }}
	cmd := &cobra.Command{
		Use:     "show <partner-id | key-address>",
		Short:   "Show a partner and its keys (by ID or by one of its key addresses)",
		Example: "  aeoledger partner show nordic-lines\n  aeoledger partner show 0x90d3c7E0930Dd48D3D382Cb54E0FF6D6595a13bD --json",
		Args:    cmdutil.ExactArgs(1, "a partner ID or key address"),
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
	get := c.Partner
	if len(opts.ID) == 42 && opts.ID[:2] == "0x" {
		get = c.PartnerByKey
	}
	p, err := get(ctx, opts.ID)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, p)
	}
	printPartner(opts.IO.Out, p)
	return nil
}
