package partner

import (
	"context"
	"crypto/ecdsa"
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/schemas"
)

// RegisterOptions are the inputs of `partner register`.
type RegisterOptions struct {
	IO         *iostreams.IOStreams
	Client     func() (*client.Client, error)
	SigningKey func(string) (*ecdsa.PrivateKey, error)
	ActingMSP  func() (string, error)

	File       string
	Partner    schemas.Partner
	KeyNames   []string
	PublicKeys []string
	JSON       bool
}

// NewCmdRegister builds `partner register`.
func NewCmdRegister(f *cmdutil.Factory, runF func(context.Context, *RegisterOptions) error) *cobra.Command {
	opts := &RegisterOptions{IO: f.IOStreams, Client: adminClient(f), SigningKey: f.SigningKey}
	opts.ActingMSP = func() (string, error) {
		p, err := f.LoadProfile()
		if err != nil {
			return "", err
		}
		msp, _, err := f.Identity(p, "admin")
		return msp, err
	}
	cmd := &cobra.Command{
		Use:   "register",
		Short: "Register a partner with its roles and signing keys",
		Long: `Register a partner. Roles: exporter, importer, forwarder, carrier, terminal, broker,
certificate-issuer, device, customs. Keys come from the keystore (--key, needs the
passphrase to derive the public key) or as raw public keys (--public-key 0x04...).`,
		Example: `  aeoledger partner register --msp CarrierMSP --id nordic-lines --name "Nordic Lines A/S" \
      --country DK --role carrier --role forwarder --key carrier
  aeoledger partner register --msp CarrierMSP --id reefer-sensor-7 --name "Reefer sensor 7" \
      --country DK --role device --public-key 0x04ab...=sensor-7
  aeoledger partner register --msp ExporterMSP --file partner.json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.File == "" && (opts.Partner.ID == "" || opts.Partner.LegalName == "" || opts.Partner.Country == "" || len(opts.Partner.Roles) == 0) {
				return cmdutil.FlagErrorf("partner register needs --file, or --id, --name, --country and at least one --role")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return registerRun(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.File, "file", "", "Partner as JSON (schemas.Partner); flags override its fields")
	fl.StringVar(&opts.Partner.ID, "id", "", "Partner ID")
	fl.StringVar(&opts.Partner.MSPID, "partner-msp", "", "MSP ID of the partner's organisation (default: the acting --msp)")
	fl.StringVar(&opts.Partner.LegalName, "name", "", "Legal name")
	fl.StringVar(&opts.Partner.Country, "country", "", "ISO 3166-1 alpha-2 country")
	fl.StringArrayVar(&opts.Partner.Roles, "role", nil, "Role (repeatable)")
	fl.StringVar(&opts.Partner.AEOCertificate, "aeo-cert", "", "AEO certificate number, e.g. NLAEOF0000123")
	fl.StringArrayVar(&opts.KeyNames, "key", nil, "Signing key from the keystore, by name or address (repeatable)")
	fl.StringArrayVar(&opts.PublicKeys, "public-key", nil, "Raw secp256k1 public key as 0x-hex[=label] (repeatable)")
	cmdutil.AddJSONFlag(cmd, &opts.JSON)
	return cmd
}

func registerRun(ctx context.Context, opts *RegisterOptions) error {
	p := opts.Partner
	if opts.File != "" {
		raw, err := os.ReadFile(opts.File)
		if err != nil {
			return fmt.Errorf("reading partner file: %w", err)
		}
		var fromFile schemas.Partner
		if err := json.Unmarshal(raw, &fromFile); err != nil {
			return fmt.Errorf("parsing partner file %s: %w", opts.File, err)
		}
		p = merge(fromFile, opts.Partner)
	}
	if p.MSPID == "" {
		msp, err := opts.ActingMSP()
		if err != nil {
			return err
		}
		p.MSPID = msp
	}
	keys, err := keysFrom(opts.SigningKey, opts.KeyNames, opts.PublicKeys)
	if err != nil {
		return err
	}
	p.Keys = append(p.Keys, keys...)
	c, err := opts.Client()
	if err != nil {
		return err
	}
	defer c.Close()
	got, err := c.RegisterPartner(ctx, p)
	if err != nil {
		return err
	}
	if opts.JSON {
		return cmdutil.WriteJSON(opts.IO.Out, got)
	}
	fmt.Fprintf(opts.IO.Out, "registered partner ")
	printPartner(opts.IO.Out, got)
	return nil
}

// merge overlays the non-empty flag fields on the file's partner.
func merge(base, flags schemas.Partner) schemas.Partner {
	set := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	set(&base.ID, flags.ID)
	set(&base.MSPID, flags.MSPID)
	set(&base.LegalName, flags.LegalName)
	set(&base.Country, flags.Country)
	set(&base.AEOCertificate, flags.AEOCertificate)
	if len(flags.Roles) > 0 {
		base.Roles = flags.Roles
	}
	return base
}
