package peer_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/ledger"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/network/peer"
	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	pb "github.com/hyperledger/fabric-protos-go-apiv2/peer"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// kvChaincode is a small chaincode for the tests: it stores values, emits an
// event per write, reports the caller as cid sees it and fails on demand.
type kvChaincode struct{}

func (kvChaincode) Init(shim.ChaincodeStubInterface) *pb.Response { return shim.Success(nil) }

func (kvChaincode) Invoke(stub shim.ChaincodeStubInterface) *pb.Response {
	fn, args := stub.GetFunctionAndParameters()
	switch fn {
	case "put":
		if len(args) != 2 {
			return shim.Error("INVALID: put needs key and value")
		}
		if err := stub.PutState(args[0], []byte(args[1])); err != nil {
			return shim.Error(err.Error())
		}
		if err := stub.SetEvent("put", []byte(args[0]+"="+args[1])); err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success([]byte(args[1]))
	case "get":
		v, err := stub.GetState(args[0])
		if err != nil {
			return shim.Error(err.Error())
		}
		return shim.Success(v)
	case "whoami":
		mspID, err := cid.GetMSPID(stub)
		if err != nil {
			return shim.Error(err.Error())
		}
		id, err := cid.GetID(stub)
		if err != nil {
			return shim.Error(err.Error())
		}
		enrollment, _, err := cid.GetAttributeValue(stub, "hf.EnrollmentID")
		if err != nil {
			return shim.Error(err.Error())
		}
		isClient, err := cid.HasOUValue(stub, "client")
		if err != nil {
			return shim.Error(err.Error())
		}
		out, _ := json.Marshal(map[string]any{"mspID": mspID, "id": id, "enrollmentID": enrollment, "client": isClient})
		return shim.Success(out)
	case "fail":
		return shim.Error("CONFLICT: asked to fail")
	}
	return shim.Error("unknown function " + fn)
}

// harness is a running embedded peer over a real ledger and a dev network.
type harness struct {
	net    *devnet.Network
	ledger *ledger.Ledger
	issued *peer.IssuedEndorsements
	addr   string
	tls    *tls.Config
}

func startPeer(t *testing.T) *harness {
	t.Helper()
	root := t.TempDir()
	n, err := devnet.Init(filepath.Join(root, "net"), devnet.Options{})
	require.NoError(t, err)
	mgr, err := n.LoadMSPs()
	require.NoError(t, err)
	endorser, err := n.PeerSigner()
	require.NoError(t, err)
	ordererID, err := n.OrdererSigner()
	require.NoError(t, err)
	issued := peer.NewIssuedEndorsements(0)
	led, err := ledger.Open(filepath.Join(root, "data"), ledger.Options{
		ChannelID:    n.Channel,
		BatchSize:    50,
		BatchTimeout: 5 * time.Millisecond,
		Signer:       ordererID,
		Validate:     peer.EndorsementValidator(mgr, n.AppOrgIDs(), issued),
	})
	require.NoError(t, err)
	srv, err := peer.New(peer.Config{
		ChannelID:  n.Channel,
		Chaincodes: map[string]shim.Chaincode{n.Chaincode: kvChaincode{}},
		Ledger:     led,
		MSPs:       mgr,
		AppOrgs:    n.AppOrgIDs(),
		Endorser:   endorser,
		Issued:     issued,
		Address:    "127.0.0.1",
	})
	require.NoError(t, err)
	cert, err := tls.LoadX509KeyPair(n.Peer.TLSCert, n.Peer.TLSKey)
	require.NoError(t, err)
	g := grpc.NewServer(grpc.Creds(credentials.NewTLS(&tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})))
	srv.Register(g)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = g.Serve(lis) }()
	t.Cleanup(func() {
		g.Stop()
		require.NoError(t, led.Close())
	})
	prof, err := n.Profile()
	require.NoError(t, err)
	tlsCfg, err := prof.GatewayTLS()
	require.NoError(t, err)
	return &harness{net: n, ledger: led, issued: issued, addr: lis.Addr().String(), tls: tlsCfg}
}

// connect opens an unmodified fabric-gateway client as org/name.
func (h *harness) connect(t *testing.T, org, name string) *client.Gateway {
	t.Helper()
	prof, err := h.net.Profile()
	require.NoError(t, err)
	id, err := prof.Identity(org, name)
	require.NoError(t, err)
	certPEM, err := os.ReadFile(id.CertPath)
	require.NoError(t, err)
	key, err := msp.ReadPrivateKey(id.KeyPath)
	require.NoError(t, err)
	return h.connectWith(t, org, certPEM, key)
}

func (h *harness) connectWith(t *testing.T, mspID string, certPEM []byte, key any) *client.Gateway {
	t.Helper()
	cert, err := identity.CertificateFromPEM(certPEM)
	require.NoError(t, err)
	xid, err := identity.NewX509Identity(mspID, cert)
	require.NoError(t, err)
	sign, err := identity.NewPrivateKeySign(key)
	require.NoError(t, err)
	conn, err := grpc.NewClient(h.addr, grpc.WithTransportCredentials(credentials.NewTLS(h.tls)))
	require.NoError(t, err)
	gw, err := client.Connect(xid, client.WithSign(sign), client.WithClientConnection(conn),
		client.WithEvaluateTimeout(10*time.Second), client.WithEndorseTimeout(10*time.Second),
		client.WithSubmitTimeout(10*time.Second), client.WithCommitStatusTimeout(30*time.Second))
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = gw.Close()
		_ = conn.Close()
	})
	return gw
}

func (h *harness) contract(gw *client.Gateway) *client.Contract {
	return gw.GetNetwork(h.net.Channel).GetContract(h.net.Chaincode)
}

func testContextCancel(t *testing.T) (context.Context, context.CancelFunc) {
	t.Helper()
	return context.WithTimeout(context.Background(), 60*time.Second)
}
