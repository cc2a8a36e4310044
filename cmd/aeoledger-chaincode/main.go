// Command aeoledger-chaincode serves the aeoledger contract (package
// chaincode) as an external chaincode service ("chaincode as a service") for
// Hyperledger Fabric peers. The peers dial it; one server can serve every
// peer of a network.
//
// Configuration comes from the environment:
//
//	CHAINCODE_ID              package ID the peers know the chaincode by
//	                          (peer lifecycle chaincode calculatepackageid), required
//	CHAINCODE_SERVER_ADDRESS  host:port to listen on, required
//	CHAINCODE_TLS_CERT        PEM server certificate file; with CHAINCODE_TLS_KEY turns TLS on
//	CHAINCODE_TLS_KEY         PEM private key file of that certificate
//	CHAINCODE_TLS_CLIENT_CA   PEM CA file; when set, peers must present a client
//	                          certificate issued by it (mutual TLS)
//	GOGC                      the Go garbage-collection target; unset means 400
//	                          (see gcPercent)
//
// Without CHAINCODE_TLS_CERT and CHAINCODE_TLS_KEY the server speaks plain
// gRPC; only do that on a loopback or otherwise private address. The
// contract reads its own settings (AEO_GOVERNANCE_MSPS) in chaincode.New.
package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/aeoledger/aeoledger/chaincode"
)

// gcPercent is the garbage-collection target the server runs with when GOGC
// is not set. Each endorsement allocates short-lived JSON, schema and gRPC
// buffers; with Go's default of 100 the collector runs several times a
// second under load. 400 (the embedded node's setting) trades a few MB of
// heap for a quarter of the collections.
const gcPercent = 400

func main() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if err := run(os.Getenv, newContract); err != nil {
		fmt.Fprintf(os.Stderr, "aeoledger-chaincode: %v\n", err)
		os.Exit(1)
	}
}

// newContract builds the contract the server serves.
func newContract() (shim.Chaincode, error) {
	return chaincode.New()
}

// run loads the configuration, builds the contract and serves it until the
// listener fails.
func run(getenv func(string) string, build func() (shim.Chaincode, error)) error {
	cfg, err := loadConfig(getenv, os.ReadFile)
	if err != nil {
		return err
	}
	cc, err := build()
	if err != nil {
		return fmt.Errorf("building the contract: %w", err)
	}
	server := newServer(cfg, cc)
	fmt.Fprintf(os.Stderr, "aeoledger-chaincode: serving %s on %s (tls=%t)\n", cfg.ccid, cfg.address, !cfg.tls.Disabled)
	if err := server.Start(); err != nil {
		return fmt.Errorf("serving chaincode on %s: %w", cfg.address, err)
	}
	return nil
}

// newServer wires the configuration and contract into a shim.ChaincodeServer.
func newServer(cfg config, cc shim.Chaincode) *shim.ChaincodeServer {
	return &shim.ChaincodeServer{
		CCID:     cfg.ccid,
		Address:  cfg.address,
		CC:       cc,
		TLSProps: cfg.tls,
	}
}
