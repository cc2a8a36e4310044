// Package node implements `aeoledger node`: the embedded peer.
package node

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/devnode"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	embedded "github.com/aeoledger/aeoledger/network/node"
)

// NewCmdNode groups the node commands.
func NewCmdNode(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "node <command>",
		RunE:    cmdutil.GroupRunE,
		Short:   "Run the embedded peer",
		Example: "  aeoledger node start --network ./aeonet",
	}
	cmd.AddCommand(NewCmdStart(f, nil))
	return cmd
}

// StartOptions are the inputs of `node start`.
type StartOptions struct {
	IO           *iostreams.IOStreams
	Network      string
	Listen       string
	DataDir      string
	BatchTimeout time.Duration
	LogLevel     string
	// Ready, if set, is called once the node serves (tests use it).
	Ready func(addr string)
}

// NewCmdStart builds `node start`.
func NewCmdStart(f *cmdutil.Factory, runF func(context.Context, *StartOptions) error) *cobra.Command {
	opts := &StartOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "start",
		Short: "Serve the embedded peer (Fabric Gateway + Deliver over TLS) until interrupted",
		Long: `Serve a one-node Fabric-compatible network: the peer and the orderer in one
process, running the aeoledger contract on a crash-safe bbolt ledger. Any Fabric
Gateway client can use it. It listens on 127.0.0.1 only. Stop it with Ctrl-C.`,
		Example: `  aeoledger node start --network ./aeonet
  aeoledger node start --network ./aeonet --listen 127.0.0.1:17051 --log-level warn`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Network == "" {
				opts.Network = filepath.Dir(f.ProfilePath())
			}
			var lvl slog.Level
			if err := lvl.UnmarshalText([]byte(opts.LogLevel)); err != nil {
				return cmdutil.FlagErrorf("field=--log-level value=%q rule=must be debug, info, warn or error", opts.LogLevel)
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return startRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Network, "network", "", "Dev network folder (default: the folder of the connection profile)")
	cmd.Flags().StringVar(&opts.Listen, "listen", "", "Gateway address, loopback only (default: the network's, 127.0.0.1:7051)")
	cmd.Flags().StringVar(&opts.DataDir, "data", "", "Ledger directory (default <network>/data)")
	cmd.Flags().DurationVar(&opts.BatchTimeout, "batch-timeout", 0, "Cut a block this long after its first transaction (default: the ledger's)")
	cmd.Flags().StringVar(&opts.LogLevel, "log-level", "info", "Log level: debug, info, warn, error")
	return cmd
}

func startRun(ctx context.Context, opts *StartOptions) error {
	var lvl slog.Level
	_ = lvl.UnmarshalText([]byte(opts.LogLevel))
	logger := slog.New(slog.NewTextHandler(opts.IO.ErrOut, &slog.HandlerOptions{Level: lvl}))
	n, err := devnode.Start(ctx, opts.Network, devnode.StartOptions{Listen: opts.Listen, DataDir: opts.DataDir,
		BatchTimeout: opts.BatchTimeout, GCPercent: embedded.RecommendedGCPercent, Logger: logger})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "embedded peer serving %s (channel %s, chaincode %s); Ctrl-C to stop\n",
		n.Addr(), n.Network().Channel, n.Network().Chaincode)
	if opts.Ready != nil {
		opts.Ready(n.Addr())
	}
	<-ctx.Done()
	stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := n.Stop(stopCtx); err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, "embedded peer stopped")
	return nil
}
