// Package demo implements `aeoledger demo`: the first five minutes of a new
// user. It creates a dev network in a temporary folder, starts the embedded
// peer in-process, records a complete reefer-container journey signed by
// each responsible party, shows one bad record being refused, shows the
// verified trace and the verification of the block chain, and ends with the
// shipment's evidence bundle verified offline (and a tampered copy failing)
// and a mock audit of the demo data.
package demo

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/ledger"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/trace"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/devnode"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/network/profile"
)

// Options are the inputs of `demo`.
type Options struct {
	IO   *iostreams.IOStreams
	Dir  string // network folder; default a new temporary folder
	Keep bool   // keep the folder afterwards
	Now  func() time.Time
}

// NewCmdDemo builds `demo`.
func NewCmdDemo(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{IO: f.IOStreams, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Record a complete shipment journey on a throw-away embedded node",
		Long: `Create a dev network in a temporary folder, start the embedded peer, and record
a reefer container of apples from Rotterdam to Hamburg: booking, gate-in and
stuffing, an H-class seal, an origin certificate signed by the chamber of
commerce with its PDF anchored, temperature readings with one excursion (the
contract raises an incident), loading, departure, arrival, the seal's VVTT check
and proof of delivery. One bad record (a wrong container check digit) is refused.
It shows the verified trace and the verification of the block chain; customs
archives the certificate in its document archive and anchors the access log;
the shipment's evidence bundle is written into the network folder and verified
offline against the chain head as trust anchor (a copy with one byte changed
fails, naming what failed); and the mock audit runs over a read model of the
blocks and the archive.`,
		Example: `  aeoledger demo
  aeoledger demo --dir ./demo-net --keep   # keep the network to explore it afterwards`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return Run(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Dir, "dir", "", "Network folder to create (default: a temporary folder)")
	cmd.Flags().BoolVar(&opts.Keep, "keep", false, "Keep the network folder (and print how to use it) instead of removing it")
	return cmd
}

// Run plays the demo.
func Run(ctx context.Context, opts *Options) error {
	started := time.Now()
	w := opts.IO.Out
	dir := opts.Dir
	if dir == "" {
		tmp, err := os.MkdirTemp("", "aeoledger-demo-")
		if err != nil {
			return fmt.Errorf("creating demo folder: %w", err)
		}
		dir = filepath.Join(tmp, "aeonet")
		if !opts.Keep {
			defer os.RemoveAll(tmp)
		}
	}
	fmt.Fprintln(w, "aeoledger demo: a reefer container of apples from Rotterdam to Hamburg, on a fresh embedded node")
	fmt.Fprintln(w)

	initRes, err := devnode.Init(dir, devnode.InitOptions{})
	if err != nil {
		return err
	}
	nodeCtx, stopNode := context.WithCancel(ctx)
	defer stopNode()
	n, err := devnode.Start(nodeCtx, dir, devnode.StartOptions{Listen: "127.0.0.1:0", BatchTimeout: 20 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		return err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = n.Stop(stopCtx)
	}()
	fmt.Fprintf(w, "  network  %d organisations: %s\n", len(initRes.Orgs), strings.Join(initRes.Orgs, ", "))
	fmt.Fprintf(w, "           embedded peer + orderer on %s (TLS), channel %s, contract %s\n", n.Addr(), n.Network().Channel, n.Network().Chaincode)
	fmt.Fprintf(w, "           X.509 identities per org (admin, user1, user2); secp256k1 signing keys encrypted in %s\n", filepath.Join(dir, devnode.KeysDir))

	p, err := profile.Load(initRes.Profile)
	if err != nil {
		return err
	}
	j, err := newJourney(ctx, p, filepath.Join(dir, devnode.KeysDir), opts.Now(), w)
	if err != nil {
		return err
	}
	defer j.close()
	if err := j.play(); err != nil {
		return err
	}

	fmt.Fprintln(w)
	if err := trace.Run(ctx, &trace.Options{IO: opts.IO, Client: j.connector("CustomsMSP", "user1"), Kind: trace.KindShipment, ID: j.shipmentID}); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := ledger.Run(ctx, &ledger.VerifyOptions{IO: opts.IO, Client: j.connector("CustomsMSP", "user1")}); err != nil {
		return err
	}
	fmt.Fprintln(w)
	ev, err := j.collectEvidence(ctx, dir)
	if err != nil {
		return err
	}
	defer ev.close()
	fmt.Fprintln(w)
	// An auditor with the files needs no running node: stop it and verify
	// the stored blocks byte for byte, and the world state by replay.
	j.close()
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := n.Stop(stopCtx); err != nil {
		return err
	}
	fmt.Fprintln(w, "The node is stopped; its ledger files are verified offline:")
	if err := ledger.RunOffline(&ledger.VerifyOptions{IO: opts.IO, Network: dir}); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := ev.verifyOffline(w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if err := ev.mockAudit(ctx, w); err != nil {
		return err
	}
	fmt.Fprintln(w)
	if opts.Keep {
		fmt.Fprintf(w, "The network is kept in %s. Start its node and look around:\n", dir)
		fmt.Fprintf(w, "  aeoledger node start --network %s &\n  export AEOLEDGER_PROFILE=%s AEOLEDGER_MSP=CustomsMSP\n", dir, initRes.Profile)
		fmt.Fprintf(w, "  aeoledger trace shipment %s\n  aeoledger history shipment-state %s\n", j.shipmentID, j.shipmentID)
		fmt.Fprintf(w, "  aeoledger audit verify %s --trust-anchor %s\n  aeoledger audit mock --archive %s\n\n", ev.path, ev.anchor, ev.arc.Dir())
	}
	fmt.Fprintf(w, "demo finished in %.1f s\n", time.Since(started).Seconds())
	return nil
}

// keyLoader reads the dev network's keys with its generated passphrase.
func keyLoader(dir string) (func(string) (*ecdsa.PrivateKey, error), error) {
	ks, err := keystore.Open(dir)
	if err != nil {
		return nil, err
	}
	pass, err := keystore.ResolvePassphrase(keystore.PassphraseSource{Getenv: func(string) string { return "" }, DevDir: dir})
	if err != nil {
		return nil, err
	}
	return func(name string) (*ecdsa.PrivateKey, error) { return ks.Load(name, pass) }, nil
}

// connectAs opens a client for one identity of the profile.
func connectAs(p *profile.Profile, msp, id string, opts ...client.Option) (*client.Client, error) {
	return client.ConnectProfile(p, msp, id, opts...)
}
