package client_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/aeoledger/aeoledger/network/profile"
)

// testNet is a real embedded peer in a temp folder: a dev network with the
// default orgs (Exporter, Carrier, Issuer, Customs), admin, user1 and user2
// in each, served on a random 127.0.0.1 port.
type testNet struct {
	dir     string
	profile *profile.Profile
	node    *node.Node
}

func startNet(t *testing.T) *testNet {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "net")
	_, err := devnet.Init(dir, devnet.Options{Users: []string{"user1", "user2"}, Orgs: append(append([]string{}, devnet.DefaultOrgs...), "ImporterMSP")})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.Start(ctx, node.Config{
		Dir: dir, Listen: "127.0.0.1:0", BatchTimeout: 10 * time.Millisecond, NoSync: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	require.NoError(t, err)
	t.Cleanup(func() {
		cancel()
		stopCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = n.Stop(stopCtx)
	})
	p, err := profile.Load(filepath.Join(dir, devnet.ProfileFile))
	require.NoError(t, err)
	p.Gateway.Address = n.Addr()
	return &testNet{dir: dir, profile: p, node: n}
}

func (n *testNet) connect(t *testing.T, msp, id string, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.ConnectProfile(n.profile, msp, id, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}
