package node_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/hyperledger/fabric-gateway/pkg/client"
	"github.com/hyperledger/fabric-gateway/pkg/identity"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
)

// Example generates a dev network, starts the embedded peer and evaluates a
// transaction with the unmodified fabric-gateway client, using only what the
// connection profile says.
func Example() {
	root, _ := os.MkdirTemp("", "aeoledger-example")
	defer os.RemoveAll(root)
	network, err := devnet.Init(filepath.Join(root, "net"), devnet.Options{})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	nd, err := node.Start(ctx, node.Config{Dir: network.Dir, Listen: "127.0.0.1:0"})
	if err != nil {
		log.Fatal(err)
	}
	defer nd.Stop(context.Background())

	prof, _ := network.Profile()
	id, _ := prof.Identity("CarrierMSP", "user1")
	certPEM, key, _ := id.Credentials()
	cert, _ := identity.CertificateFromPEM(certPEM)
	xid, _ := identity.NewX509Identity(id.MSPID, cert)
	sign, _ := identity.NewPrivateKeySign(key)
	tlsCfg, _ := prof.GatewayTLS()
	conn, _ := grpc.NewClient(nd.Addr(), grpc.WithTransportCredentials(credentials.NewTLS(tlsCfg)))
	defer conn.Close()
	gw, _ := client.Connect(xid, client.WithSign(sign), client.WithClientConnection(conn))
	defer gw.Close()

	page, err := gw.GetNetwork(prof.Channel).GetContract(prof.Chaincode).EvaluateTransaction("ListPartners", "0", "")
	fmt.Println(string(page), err)
	// Output: {"items":[],"count":0,"bookmark":""} <nil>
}
