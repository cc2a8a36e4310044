// Command aeoledger is the command-line interface of aeoledger: it starts the
// embedded peer, creates dev networks and keys, and records and traces AEO
// evidence (partners, shipments, signed touchpoints, declarations, document
// anchors) on the embedded peer or on a Hyperledger Fabric network.
package main

import (
	"os"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/app"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/iostreams"
)

func main() {
	os.Exit(int(app.Main(os.Args[1:], iostreams.System())))
}
