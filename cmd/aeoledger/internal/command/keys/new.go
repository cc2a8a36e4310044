package keys

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
)

// NewOptions are the inputs of `keys new`.
type NewOptions struct {
	IO         *iostreams.IOStreams
	Keystore   func(...keystore.Option) (*keystore.Store, error)
	Passphrase func() (string, error)

	Name  string
	Light bool
	JSON  bool
}

// NewCmdNew builds `keys new`.
func NewCmdNew(f *cmdutil.Factory, runF func(*NewOptions) error) *cobra.Command {
	opts := &NewOptions{IO: f.IOStreams, Keystore: f.Keystore, Passphrase: f.Passphrase}
	cmd := &cobra.Command{
		Use:   "new <name>",
		Short: "Generate a new encrypted signing key",
		Example: `  aeoledger keys new carrier-handheld
  AEOLEDGER_PASSPHRASE_FILE=~/.aeo-pass aeoledger keys new sensor-7 --light --json`,
		Args: cmdutil.ExactArgs(1, "a key name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return newRun(opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Light, "light", false, "Use light scrypt parameters (4 MB, fast; for dev networks only)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func newRun(opts *NewOptions) error {
	var ksOpts []keystore.Option
	if opts.Light {
		ksOpts = append(ksOpts, keystore.WithLightScrypt())
	}
	ks, err := opts.Keystore(ksOpts...)
	if err != nil {
		return err
	}
	pass, err := opts.Passphrase()
	if err != nil {
		return err
	}
	info, err := ks.New(opts.Name, pass)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, info)
	}
	fmt.Fprintf(opts.IO.Out, "created key %s\n  address %s\n  file    %s (mode %04o)\n", info.Name, info.Address, info.Path, info.Mode)
	return nil
}
