package keys

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
)

// ListOptions are the inputs of `keys list`.
type ListOptions struct {
	IO       *iostreams.IOStreams
	Keystore func(...keystore.Option) (*keystore.Store, error)
	JSON     bool
}

// NewCmdList builds `keys list`.
func NewCmdList(f *cmdutil.Factory, runF func(*ListOptions) error) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Keystore: f.Keystore}
	cmd := &cobra.Command{
		Use:     "list",
		Short:   "List the keys in the keystore (no passphrase needed)",
		Example: "  aeoledger keys list\n  aeoledger keys list --json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return listRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func listRun(opts *ListOptions) error {
	ks, err := opts.Keystore()
	if err != nil {
		return err
	}
	all, err := ks.List()
	if err != nil {
		return err
	}
	if opts.JSON {
		if all == nil {
			all = []keystore.Info{}
		}
		return cmdutil.WriteJSON(opts.IO.Out, all)
	}
	if len(all) == 0 {
		fmt.Fprintf(opts.IO.Out, "no keys in %s\n", ks.Dir())
		return nil
	}
	tw := tabwriter.NewWriter(opts.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADDRESS\tMODE")
	for _, k := range all {
		warn := ""
		if k.Mode.Perm()&^keystore.FileMode != 0 {
			warn = " (too open: tightened to 0600 on next use)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%04o%s\n", k.Name, k.Address, k.Mode.Perm(), warn)
	}
	return tw.Flush()
}
