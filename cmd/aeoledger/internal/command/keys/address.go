package keys

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
)

// AddressOptions are the inputs of `keys address`.
type AddressOptions struct {
	IO       *iostreams.IOStreams
	Keystore func(...keystore.Option) (*keystore.Store, error)
	Ref      string
	JSON     bool
}

// NewCmdAddress builds `keys address`.
func NewCmdAddress(f *cmdutil.Factory, runF func(*AddressOptions) error) *cobra.Command {
	opts := &AddressOptions{IO: f.IOStreams, Keystore: f.Keystore}
	cmd := &cobra.Command{
		Use:     "address <name>",
		Short:   "Print the EIP-55 address of a key",
		Example: "  aeoledger keys address carrier-handheld",
		Args:    cmdutil.ExactArgs(1, "a key name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			if runF != nil {
				return runF(opts)
			}
			return addressRun(opts)
		},
	}
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func addressRun(opts *AddressOptions) error {
	ks, err := opts.Keystore()
	if err != nil {
		return err
	}
	info, err := ks.Find(opts.Ref)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, info)
	}
	fmt.Fprintln(opts.IO.Out, info.Address)
	return nil
}
