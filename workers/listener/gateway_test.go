package listener_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/listener"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// TestGatewaySourceFollowsTheEmbeddedPeer runs the listener the way
// `aeoledger worker run` does: through fabric-gateway's BlockEvents against
// a running embedded peer, over TLS, with a dev network's identities.
func TestGatewaySourceFollowsTheEmbeddedPeer(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded peer; skipped with -short")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	network, err := devnet.Init(filepath.Join(t.TempDir(), "net"), devnet.Options{})
	require.NoError(t, err)
	nd, err := node.Start(ctx, node.Config{Dir: network.Dir, Listen: "127.0.0.1:0", BatchTimeout: 5 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	defer nd.Stop(context.Background())

	prof, err := network.Profile()
	require.NoError(t, err)
	tlsCfg, err := prof.GatewayTLS()
	require.NoError(t, err)
	conn, err := grpc.NewClient(nd.Addr(), grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)))
	require.NoError(t, err)
	defer conn.Close()
	gateway := func(mspID, name string) *client.Gateway {
		id, err := prof.Identity(mspID, name)
		require.NoError(t, err)
		certPEM, key, err := id.Credentials()
		require.NoError(t, err)
		cert, err := identity.CertificateFromPEM(certPEM)
		require.NoError(t, err)
		xid, err := identity.NewX509Identity(id.MSPID, cert)
		require.NoError(t, err)
		sign, err := identity.NewPrivateKeySign(key)
		require.NoError(t, err)
		gw, err := client.Connect(xid, client.WithSign(sign), client.WithClientConnection(conn))
		require.NoError(t, err)
		t.Cleanup(func() { gw.Close() })
		return gw
	}
	customs := gateway("CustomsMSP", "admin")
	contract := customs.GetNetwork(prof.Channel).GetContract(prof.Chaincode)
	register := func(id string) {
		key, err := crypto.GenerateKey()
		require.NoError(t, err)
		_, err = contract.SubmitTransaction("RegisterPartner", mustJSON(t, schemas.Partner{ID: id, MSPID: "CustomsMSP",
			LegalName: "Customs " + id, Country: "NL", Roles: []string{schemas.RoleCustoms}, Keys: []schemas.SigningKey{schemas.NewSigningKey(key, "main")}}))
		require.NoError(t, err)
	}
	register("customs-nl")

	store := open(t, filepath.Join(t.TempDir(), "rm.db"))
	// The listener reads blocks as the worker's own identity.
	src := listener.GatewaySource{Network: gateway("CustomsMSP", "user1").GetNetwork(prof.Channel)}
	l, err := listener.New(store, src, fast())
	require.NoError(t, err)
	require.NoError(t, l.CatchUp(ctx, nd.Ledger().Height()-1))
	_, err = store.Partner(ctx, "customs-nl")
	require.NoError(t, err)

	// Live: the listener sees a partner registered while it runs.
	done := make(chan error, 1)
	runCtx, stop := context.WithCancel(ctx)
	go func() { done <- l.Run(runCtx) }()
	register("customs-rtm")
	require.Eventually(t, func() bool {
		_, err := store.Partner(ctx, "customs-rtm")
		return err == nil
	}, 30*time.Second, 10*time.Millisecond)
	stop()
	select {
	case err := <-done:
		assert.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	cp, err := store.Checkpoint(ctx)
	require.NoError(t, err)
	assert.Equal(t, nd.Ledger().Height()-1, cp.Block)
	var ids []string
	require.NoError(t, store.Partners(ctx, func(p readmodel.PartnerRow) error { ids = append(ids, p.ID); return nil }))
	assert.Equal(t, []string{"customs-nl", "customs-rtm"}, ids)
}
