// Package keys implements `aeoledger keys`: secp256k1 signing keys of
// partners and devices, encrypted at rest in the keystore.
package keys

import (
	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
)

// NewCmdKeys groups the key commands.
func NewCmdKeys(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys <command>",
		RunE:  cmdutil.GroupRunE,
		Short: "Create and list secp256k1 signing keys",
		Long: `Signing keys sign touchpoints on behalf of partners and devices. They are kept
encrypted (Web3 Secret Storage: scrypt + AES-128-CTR) in the keystore directory,
one file per key, mode 0600. The passphrase comes from --passphrase-file,
$AEOLEDGER_PASSPHRASE, $AEOLEDGER_PASSPHRASE_FILE or a dev network's keys/.passphrase.`,
		Example: `  aeoledger keys new carrier-handheld
  aeoledger keys list
  aeoledger keys address carrier-handheld`,
	}
	cmd.AddCommand(NewCmdNew(f, nil), NewCmdList(f, nil), NewCmdAddress(f, nil))
	return cmd
}
