// Package cmdtest helps test aeoledger commands: factories over buffers,
// isolated from the caller's environment, and a real embedded peer on a
// random 127.0.0.1 port in a temporary folder.
package cmdtest

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/client/keystore"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/devnode"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
	"github.com/aeoledger/aeoledger/network/node"
)

// SyncBuffer is a bytes.Buffer safe for a command writing while a test reads.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Reset forgets what was written.
func (b *SyncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// Factory returns a factory whose streams are buffers and whose environment
// is env (nothing from the real environment leaks in).
func Factory(env map[string]string) (*cmdutil.Factory, *SyncBuffer, *SyncBuffer) {
	out, errOut := &SyncBuffer{}, &SyncBuffer{}
	ios := &iostreams.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}
	f := cmdutil.New(ios)
	f.Getenv = func(k string) string { return env[k] }
	f.ClientOptions = []client.Option{client.WithTimeouts(5*time.Second, 10*time.Second, 5*time.Second, 20*time.Second)}
	return f, out, errOut
}

// Exec runs cmd with args as the root command would: flag errors become
// FlagErrors.
func Exec(cmd *cobra.Command, args ...string) error {
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	cmd.SetArgs(args)
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	cmd.SilenceErrors, cmd.SilenceUsage = true, true
	return cmd.ExecuteContext(context.Background())
}

// Network is a dev network with its embedded peer running.
type Network struct {
	Dir     string
	Profile string
	Node    *node.Node
}

// StartNetwork initialises a dev network (the CLI's default organisations
// and keys) in a temporary folder and serves it on a random port; the
// profile is rewritten to that port. It stops with the test.
func StartNetwork(t testing.TB) *Network {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "aeonet")
	// Tiny scrypt parameters: the tests exercise the commands, not scrypt.
	res, err := devnode.Init(dir, devnode.InitOptions{KeystoreOptions: []keystore.Option{keystore.WithScrypt(16, 1)}})
	if err != nil {
		t.Fatalf("initialising dev network: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := devnode.Start(ctx, dir, devnode.StartOptions{Listen: "127.0.0.1:0", BatchTimeout: 10 * time.Millisecond, NoSync: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		cancel()
		t.Fatalf("starting node: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		stopCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = n.Stop(stopCtx)
	})
	return &Network{Dir: res.Dir, Profile: res.Profile, Node: n}
}

// Env returns the environment that points the CLI at the network as msp.
func (n *Network) Env(msp string) map[string]string {
	return map[string]string{cmdutil.EnvProfile: n.Profile, cmdutil.EnvMSP: msp}
}
