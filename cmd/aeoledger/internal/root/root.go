// Package root assembles the aeoledger command tree and its global flags.
package root

import (
	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/alerts"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/anomaly"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/audit"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/declaration"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/demo"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/doc"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/event"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/history"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/keys"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/ledger"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/network"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/node"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/partner"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/screen"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/shipment"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/trace"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
)

const environmentHelp = `Environment variables give the global flags their defaults:

  AEOLEDGER_PROFILE          connection profile (default ./aeonet/connection.yaml)
  AEOLEDGER_MSP              organisation (MSP ID) to act for, e.g. CarrierMSP
  AEOLEDGER_IDENTITY         identity of that organisation in the profile (default user1;
                             partner administration defaults to admin)
  AEOLEDGER_KEYSTORE         keystore of secp256k1 signing keys (default: keys/ beside the profile)
  AEOLEDGER_PASSPHRASE       passphrase of the signing keys
  AEOLEDGER_PASSPHRASE_FILE  file whose first line is the passphrase

On a dev network made by ` + "`aeoledger network init`" + ` the passphrase is kept in
keys/.passphrase (mode 0600), so no variable is needed there. Passphrases are never printed.`

// NewCmdRoot builds the aeoledger command tree.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "aeoledger <command> <subcommand> [flags]",
		Short: "Signed, verifiable AEO supply-chain evidence on a permissioned ledger",
		Long: `aeoledger records the evidence an Authorised Economic Operator must show customs:
who handled a shipment, when, under which seal, at what temperature, with which
origin certificate, and who changed which declaration. Every touchpoint is signed
by the responsible party's secp256k1 key and stored on a Hyperledger Fabric
ledger: the embedded one-node peer or a real Fabric network.`,
		Example: `  # Try it: a complete shipment journey on a throw-away node
  aeoledger demo

  # Your own dev network
  aeoledger network init ./aeonet
  aeoledger node start --network ./aeonet &
  export AEOLEDGER_MSP=CarrierMSP
  aeoledger trace shipment SHP-2026-0001`,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })

	g := f.Globals
	pf := cmd.PersistentFlags()
	pf.StringVar(&g.Profile, "profile", "", "Connection profile (default $AEOLEDGER_PROFILE or ./aeonet/connection.yaml)")
	pf.StringVar(&g.MSP, "msp", "", "Organisation (MSP ID) to act for (default $AEOLEDGER_MSP)")
	pf.StringVar(&g.MSP, "org", "", "Alias of --msp")
	pf.StringVar(&g.Identity, "identity", "", "Identity of the organisation in the profile (default $AEOLEDGER_IDENTITY or user1)")
	pf.StringVar(&g.Keystore, "keystore", "", "Keystore directory of signing keys (default $AEOLEDGER_KEYSTORE or keys/ beside the profile)")
	pf.StringVar(&g.PassphraseFile, "passphrase-file", "", "File whose first line is the signing keys' passphrase")

	cmd.AddGroup(&cobra.Group{ID: "run", Title: "Run a ledger:"}, &cobra.Group{ID: "evidence", Title: "Record evidence:"},
		&cobra.Group{ID: "audit", Title: "Trace and verify:"}, &cobra.Group{ID: "compliance", Title: "Compliance workers:"})
	add := func(group string, cmds ...*cobra.Command) {
		for _, c := range cmds {
			c.GroupID = group
			cmd.AddCommand(c)
		}
	}
	add("run", network.NewCmdNetwork(f), node.NewCmdNode(f), keys.NewCmdKeys(f), demo.NewCmdDemo(f, nil))
	add("evidence", partner.NewCmdPartner(f), shipment.NewCmdShipment(f), event.NewCmdEvent(f),
		declaration.NewCmdDeclaration(f), doc.NewCmdDoc(f))
	add("audit", trace.NewCmdTrace(f), history.NewCmdHistory(f, nil), ledger.NewCmdLedger(f), audit.NewCmdAudit(f))
	add("compliance", worker.NewCmdWorker(f), anomaly.NewCmdAnomaly(f), screen.NewCmdScreen(f, nil), alerts.NewCmdAlerts(f))

	cmd.AddCommand(helpTopic("exit-codes", "Exit codes of aeoledger", cmdutil.ExitCodeHelp),
		helpTopic("environment", "Environment variables read by aeoledger", environmentHelp))
	return cmd
}

// helpTopic is a command without Run: cobra lists it under "Additional help
// topics" and `aeoledger help <name>` prints it.
func helpTopic(name, short, long string) *cobra.Command {
	return &cobra.Command{Use: name, Short: short, Long: long}
}
