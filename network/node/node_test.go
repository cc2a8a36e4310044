package node_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// kvChaincode stores key=value pairs; the crash test and the baseline
// benchmark use it so that they measure the node, not the contract.
type kvChaincode struct{}

func (kvChaincode) Init(shim.ChaincodeStubInterface) *pb.Response { return shim.Success(nil) }

func (kvChaincode) Invoke(stub shim.ChaincodeStubInterface) *pb.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch {
	case fn == "put" && len(args) == 2:
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		if err := stub.SetEvent("put", []byte(args[0])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(nil)
	case fn == "get" && len(args) == 1:
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	}
	return shim.Error("INVALID: unknown function " + fn)
}

// clientConn is a fabric-gateway connection to a node at addr.
type clientConn struct {
	gw   *client.Gateway
	conn *grpc.ClientConn
}

func (c *clientConn) Close() {
	_ = c.gw.Close()
	_ = c.conn.Close()
}

// dial connects the unmodified fabric-gateway client as org/name.
func dial(tb testing.TB, n *devnet.Network, addr, org, name string) *clientConn {
	tb.Helper()
	prof, err := n.Profile()
	require.NoError(tb, err)
	id, err := prof.Identity(org, name)
	require.NoError(tb, err)
	certPEM, err := os.ReadFile(id.CertPath)
	require.NoError(tb, err)
	cert, err := identity.CertificateFromPEM(certPEM)
	require.NoError(tb, err)
	xid, err := identity.NewX509Identity(org, cert)
	require.NoError(tb, err)
	key, err := msp.ReadPrivateKey(id.KeyPath)
	require.NoError(tb, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(tb, err)
	tlsCfg, err := prof.GatewayTLS()
	require.NoError(tb, err)
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)))
	require.NoError(tb, err)
	gw, err := client.Connect(xid, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(10*time.Second), client.WithEndorseTimeout(10*time.Second),
		client.WithSubmitTimeout(10*time.Second), client.WithCommitStatusTimeout(30*time.Second))
	require.NoError(tb, err)
	return &clientConn{gw: gw, conn: conn}
}

func newNetwork(tb testing.TB) *devnet.Network {
	tb.Helper()
	n, err := devnet.Init(filepath.Join(tb.TempDir(), "net"), devnet.Options{})
	require.NoError(tb, err)
	return n
}

func TestStartServesTheAeoledgerContractAndRestartsWhereItStopped(t *testing.T) {
	n := newNetwork(t)
	cfg := node.Config{Dir: n.Dir, Listen: "127.0.0.1:0", BatchTimeout: 5 * time.Millisecond}
	nd, err := node.Start(context.Background(), cfg)
	require.NoError(t, err)
	c := dial(t, n, nd.Addr(), "CustomsMSP", "user1")
	out, err := c.gw.GetNetwork("aeo").GetContract("aeoledger").EvaluateTransaction("ListPartners", "0", "")
	require.NoError(t, err, "the aeoledger contract answers through the gateway")
	var page map[string]any
	require.NoError(t, json.Unmarshal(out, &page))
	require.Contains(t, page, "items")
	c.Close()
	height := nd.Ledger().Height()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, nd.Stop(ctx))

	again, err := node.Start(context.Background(), cfg)
	require.NoError(t, err)
	require.Equal(t, height, again.Ledger().Height())
	require.NoError(t, again.Stop(ctx))
}

func TestStartStopsWhenItsContextEnds(t *testing.T) {
	n := newNetwork(t)
	ctx, cancel := context.WithCancel(context.Background())
	nd, err := node.Start(ctx, node.Config{Dir: n.Dir, Listen: "127.0.0.1:0", Chaincode: kvChaincode{}})
	require.NoError(t, err)
	cancel()
	select {
	case <-nd.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("node did not stop")
	}
	require.NoError(t, nd.Stop(context.Background()))
}

func TestStartSetsTheGCPercentAndStopRestoresIt(t *testing.T) {
	n := newNetwork(t)
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)
	nd, err := node.Start(context.Background(), node.Config{Dir: n.Dir, Listen: "127.0.0.1:0", Chaincode: kvChaincode{}, GCPercent: node.RecommendedGCPercent})
	require.NoError(t, err)
	require.Equal(t, node.RecommendedGCPercent, debug.SetGCPercent(node.RecommendedGCPercent), "the node runs with its GC percent")
	require.NoError(t, nd.Stop(context.Background()))
	require.Equal(t, 100, debug.SetGCPercent(100), "Stop puts the previous GC percent back")
}

func TestStartRefusesBadConfiguration(t *testing.T) {
	n := newNetwork(t)
	cases := []struct {
		name    string
		cfg     node.Config
		wantErr string
	}{
		{"a missing network folder is refused", node.Config{}, `starting node: field=Dir value="" rule=must name a dev network folder: invalid node configuration`},
		{"a non-loopback listen address is refused", node.Config{Dir: n.Dir, Listen: "0.0.0.0:7051"},
			`starting node: field=Listen value="0.0.0.0:7051" rule=must be a loopback address (127.0.0.1): invalid node configuration`},
		{"a negative GC percent is refused", node.Config{Dir: n.Dir, Listen: "127.0.0.1:0", GCPercent: -1},
			`starting node: field=GCPercent value=-1 rule=must not be negative: invalid node configuration`},
		{"a listen address without port is refused", node.Config{Dir: n.Dir, Listen: "127.0.0.1"},
			`starting node: field=Listen value="127.0.0.1" rule=must be host:port: invalid node configuration`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := node.Start(context.Background(), tc.cfg)
			require.ErrorIs(t, err, node.ErrConfig)
			require.EqualError(t, err, tc.wantErr)
			_, statErr := os.Stat(filepath.Join(n.Dir, "data"))
			require.True(t, errors.Is(statErr, os.ErrNotExist), "no ledger may be created")
		})
	}
}
