// Package network implements `aeoledger network`: dev networks for the
// embedded peer.
package network

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/devnode"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
)

// NewCmdNetwork groups the network commands.
func NewCmdNetwork(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "network <command>",
		RunE:    cmdutil.GroupRunE,
		Short:   "Create a dev network for the embedded peer",
		Example: "  aeoledger network init ./aeonet",
	}
	cmd.AddCommand(NewCmdInit(f, nil))
	return cmd
}

// InitOptions are the inputs of `network init`.
type InitOptions struct {
	IO      *iostreams.IOStreams
	Dir     string
	Orgs    []string
	Users   []string
	Address string
	Keys    []string // name=MSP
	JSON    bool
}

// NewCmdInit builds `network init`.
func NewCmdInit(f *cmdutil.Factory, runF func(*InitOptions) error) *cobra.Command {
	opts := &InitOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "init [dir]",
		Short: "Generate CAs, identities, signing keys and a connection profile",
		Long: `Generate a dev network folder (default ./aeonet) for the embedded peer:
  - per organisation an identity CA and a TLS CA (ECDSA P-256);
  - admin and user X.509 identities in Fabric's MSP layout with NodeOUs;
  - the peer's and the orderer's identities and the peer's TLS certificate;
  - secp256k1 signing keys for partners and devices in keys/, encrypted at rest
    (mode 0600) under a generated passphrase kept in keys/.passphrase;
  - connection.yaml, the profile every other command reads.`,
		Example: `  aeoledger network init ./aeonet
  aeoledger network init ./pilot --org ExporterMSP --org CarrierMSP --org IssuerMSP --org CustomsMSP \
      --key exporter=ExporterMSP --key carrier=CarrierMSP --address 127.0.0.1:17051`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return cmdutil.FlagErrorf("network init takes at most one directory, got %q", args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Dir = "aeonet"
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			for _, k := range opts.Keys {
				if name, msp, ok := strings.Cut(k, "="); !ok || name == "" || msp == "" {
					return cmdutil.FlagErrorf("field=--key value=%q rule=must be name=MSPID", k)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return initRun(opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Orgs, "org", nil, "Organisation MSP IDs (default ExporterMSP,CarrierMSP,IssuerMSP,CustomsMSP,ImporterMSP)")
	cmd.Flags().StringSliceVar(&opts.Users, "user", nil, "Client identities per organisation besides admin (default user1,user2)")
	cmd.Flags().StringVar(&opts.Address, "address", "", "Gateway address of the node (default 127.0.0.1:7051)")
	cmd.Flags().StringArrayVar(&opts.Keys, "key", nil, "Signing key to create as name=MSPID (default one per partner and a reefer sensor)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func initRun(opts *InitOptions) error {
	o := devnode.InitOptions{Orgs: opts.Orgs, Users: opts.Users, Address: opts.Address}
	for _, k := range opts.Keys {
		name, msp, _ := strings.Cut(k, "=")
		o.Keys = append(o.Keys, devnode.KeySpec{Name: name, MSP: msp})
	}
	res, err := devnode.Init(opts.Dir, o)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, res)
	}
	w := opts.IO.Out
	fmt.Fprintf(w, "dev network created in %s\n", res.Dir)
	fmt.Fprintf(w, "  organisations  %s\n", strings.Join(res.Orgs, ", "))
	fmt.Fprintf(w, "  gateway        %s (TLS)\n", res.Address)
	fmt.Fprintf(w, "  profile        %s\n", res.Profile)
	fmt.Fprintf(w, "  signing keys   (encrypted, mode 0600)\n")
	for _, k := range res.Keys {
		fmt.Fprintf(w, "    %-14s %s\n", k.Name, k.Address)
	}
	fmt.Fprintf(w, "\nnext:\n  aeoledger node start --network %s\n  export AEOLEDGER_PROFILE=%s\n", res.Dir, res.Profile)
	return nil
}
