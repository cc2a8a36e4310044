//go:build tools

// Package tools pins the Hyperledger Fabric release whose command-line
// programs (peer, orderer, configtxgen, cryptogen, osnadmin) the native test
// network runs. It is never compiled into anything: the blank imports only
// make `go mod tidy` keep the Fabric module and its dependencies in go.sum, so
// that ../network.sh can `go build` the commands at the pinned version.
package tools

import (
	_ "github.com/hyperledger/fabric/cmd/configtxgen"
	_ "github.com/hyperledger/fabric/cmd/cryptogen"
	_ "github.com/hyperledger/fabric/cmd/orderer"
	_ "github.com/hyperledger/fabric/cmd/osnadmin"
	_ "github.com/hyperledger/fabric/cmd/peer"
)
