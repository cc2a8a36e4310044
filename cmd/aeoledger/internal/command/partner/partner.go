// Package partner implements `aeoledger partner`: the registry of partners
// (organisations and their devices) and their signing keys.
package partner

import (
	"crypto/ecdsa"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/schemas"
)

// NewCmdPartner groups the partner commands.
func NewCmdPartner(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "partner <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "Register partners and manage their signing keys",
		Long: `Partners are the organisations (and their devices) whose secp256k1 keys sign
touchpoints. Registering a partner and changing its keys needs an admin identity
of the partner's organisation (the commands use --identity admin by default).`,
		Example: `  aeoledger partner register --id nordic-lines --name "Nordic Lines A/S" --country DK \
      --role carrier --role forwarder --key carrier --msp CarrierMSP
  aeoledger partner list`,
	}
	cmd.AddCommand(NewCmdRegister(f, nil), NewCmdList(f, nil), NewCmdShow(f, nil), NewCmdAddKey(f, nil), NewCmdRevokeKey(f, nil))
	return cmd
}

// adminClient connects preferring the admin identity.
func adminClient(f *cmdutil.Factory) func() (*client.Client, error) {
	return func() (*client.Client, error) { return f.Client("admin") }
}

// keysFrom builds signing keys from keystore names and raw public keys
// ("0x04...[=label]").
func keysFrom(load func(string) (*ecdsa.PrivateKey, error), names, publicKeys []string) ([]schemas.SigningKey, error) {
	var out []schemas.SigningKey
	for _, n := range names {
		k, err := load(n)
		if err != nil {
			return nil, err
		}
		out = append(out, schemas.NewSigningKey(k, n))
	}
	for _, pk := range publicKeys {
		hexKey, label, _ := strings.Cut(pk, "=")
		addr, err := schemas.PublicKeyAddress("--public-key", hexKey)
		if err != nil {
			return nil, err
		}
		out = append(out, schemas.SigningKey{Address: addr, PublicKey: hexKey, Label: label})
	}
	return out, nil
}

func printPartner(w io.Writer, p *schemas.Partner) {
	fmt.Fprintf(w, "%s  %s (%s, %s)\n", p.ID, p.LegalName, p.Country, p.MSPID)
	fmt.Fprintf(w, "  roles   %s\n", strings.Join(p.Roles, ", "))
	fmt.Fprintf(w, "  status  %s", p.Status)
	if p.StatusReason != "" {
		fmt.Fprintf(w, " (%s)", p.StatusReason)
	}
	fmt.Fprintln(w)
	if p.AEOCertificate != "" {
		fmt.Fprintf(w, "  AEO     %s\n", p.AEOCertificate)
	}
	for _, k := range p.Keys {
		state := "active since " + k.AddedAt
		if k.RevokedAt != "" {
			state = "revoked " + k.RevokedAt
			if k.RevokeReason != "" {
				state += " (" + k.RevokeReason + ")"
			}
		}
		label := k.Label
		if label == "" {
			label = "-"
		}
		fmt.Fprintf(w, "  key     %s  %-14s %s\n", k.Address, label, state)
	}
}
