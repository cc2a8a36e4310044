package partner

import (
	"context"
	"crypto/ecdsa"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
)

// AddKeyOptions are the inputs of `partner add-key`.
type AddKeyOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	SigningKey func(string) (*ecdsa.PrivateKey, error)

	PartnerID string
	KeyName   string
	PublicKey string
	JSON      bool
}

// NewCmdAddKey builds `partner add-key`.
func NewCmdAddKey(f *cmdutil.Factory, runF func(context.Context, *AddKeyOptions) error) *cobra.Command {
	opts := &AddKeyOptions{IO: f.IOStreams, Client: adminClient(f), SigningKey: f.SigningKey}
	cmd := &cobra.Command{
		Use:   "add-key <partner-id>",
		Short: "Add a signing key to a partner",
		Example: `  aeoledger keys new carrier-handheld-2 && aeoledger partner add-key nordic-lines --key carrier-handheld-2 --msp CarrierMSP
  aeoledger partner add-key reefer-sensor-7 --public-key 0x04ab...=replacement --msp CarrierMSP`,
		Args: cmdutil.ExactArgs(1, "a partner ID"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.PartnerID = args[0]
			if (opts.KeyName == "") == (opts.PublicKey == "") {
				return cmdutil.FlagErrorf("partner add-key needs exactly one of --key or --public-key")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return addKeyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.KeyName, "key", "", "Key from the keystore, by name or address")
	cmd.Flags().StringVar(&opts.PublicKey, "public-key", "", "Raw secp256k1 public key as 0x-hex[=label]")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func addKeyRun(ctx context.Context, opts *AddKeyOptions) error {
	var names, pubs []string
	if opts.KeyName != "" {
		names = []string{opts.KeyName}
	} else {
		pubs = []string{opts.PublicKey}
	}
	keys, err := keysFrom(opts.SigningKey, names, pubs)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	p, err := c.AddKey(ctx, opts.PartnerID, keys[0])
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, p)
	}
	fmt.Fprintf(opts.IO.Out, "added key %s to ", keys[0].Address)
	printPartner(opts.IO.Out, p)
	return nil
}

// RevokeKeyOptions are the inputs of `partner revoke-key`.
type RevokeKeyOptions struct {
	IO       *iostreams.IOStreams
	Client   func() (*client.Client, error)
	Keystore func(...keystore.Option) (*keystore.Store, error)

	PartnerID string
	Key       string
	Reason    string
	JSON      bool
}

// NewCmdRevokeKey builds `partner revoke-key`.
func NewCmdRevokeKey(f *cmdutil.Factory, runF func(context.Context, *RevokeKeyOptions) error) *cobra.Command {
	opts := &RevokeKeyOptions{IO: f.IOStreams, Client: adminClient(f), Keystore: f.Keystore}
	cmd := &cobra.Command{
		Use:   "revoke-key <partner-id> <address | key-name>",
		Short: "Revoke a partner's signing key from now on",
		Long: `Revoke a key. Records it signed before the revocation stay verified; records
signed with it afterwards are refused.`,
		Example: `  aeoledger partner revoke-key nordic-lines 0x90d3c7E0930Dd48D3D382Cb54E0FF6D6595a13bD --reason "handheld lost" --msp CarrierMSP
  aeoledger partner revoke-key nordic-lines carrier --reason rotation --msp CarrierMSP`,
		Args: cmdutil.ExactArgs(2, "a partner ID and a key address or name"),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.PartnerID, opts.Key = args[0], args[1]
			if opts.Reason == "" {
				return cmdutil.FlagErrorf("field=--reason value=\"\" rule=a revocation needs a reason")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return revokeKeyRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Reason, "reason", "", "Why the key is revoked (required)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func revokeKeyRun(ctx context.Context, opts *RevokeKeyOptions) error {
	addr := opts.Key
	if len(addr) != 42 || addr[:2] != "0x" {
		ks, err := opts.Keystore()
		if err != nil {
			return err
		}
		if addr, err = ks.Address(opts.Key); err != nil {
			return err
		}
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	p, err := c.RevokeKey(ctx, opts.PartnerID, addr, opts.Reason)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, p)
	}
	fmt.Fprintf(opts.IO.Out, "revoked key %s of ", addr)
	printPartner(opts.IO.Out, p)
	return nil
}
