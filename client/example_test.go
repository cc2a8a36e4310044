package client_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	fabric "github.com/hyperledger/fabric-gateway/pkg/client"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/aeoledger/aeoledger/network/profile"
	"github.com/aeoledger/aeoledger/schemas"
)

// exampleNetwork starts an embedded peer in a temporary folder and returns
// the path of its connection profile (pointing at the node's random port)
// and a function that stops it. Against a Fabric network you would only pass
// that network's connection profile.
func exampleNetwork() (string, func()) {
	tmp, err := os.MkdirTemp("", "aeoledger-example-")
	if err != nil {
		panic(err)
	}
	dir := filepath.Join(tmp, "net")
	if _, err := devnet.Init(dir, devnet.Options{}); err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.Start(ctx, node.Config{Dir: dir, Listen: "127.0.0.1:0", BatchTimeout: 10 * time.Millisecond, NoSync: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		panic(err)
	}
	path := filepath.Join(dir, devnet.ProfileFile)
	p, err := profile.Load(path)
	if err != nil {
		panic(err)
	}
	p.Gateway.Address = n.Addr()
	if err := p.Save(path); err != nil {
		panic(err)
	}
	return path, func() {
		cancel()
		_ = n.Stop(context.Background())
		_ = os.RemoveAll(tmp)
	}
}

func ExampleConnect() {
	profilePath, stop := exampleNetwork()
	defer stop()

	c, err := client.Connect(profilePath, "CarrierMSP", "user1")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	fmt.Println(c.MSPID(), c.Profile().Channel, c.Profile().Chaincode)
	// Output: CarrierMSP aeo aeoledger
}

func ExampleClient_RecordTouchpoint() {
	profilePath, stop := exampleNetwork()
	defer stop()
	ctx := context.Background()

	// The carrier's admin registers the carrier and its handheld's key.
	handheld, _ := crypto.GenerateKey()
	admin, err := client.Connect(profilePath, "CarrierMSP", "admin")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer admin.Close()
	if _, err := admin.RegisterPartner(ctx, schemas.Partner{ID: "nordic-lines", MSPID: "CarrierMSP", LegalName: "Nordic Lines A/S",
		Country: "DK", Roles: []string{schemas.RoleCarrier}, Keys: []schemas.SigningKey{schemas.NewSigningKey(handheld, "handheld")}}); err != nil {
		fmt.Println(err)
		return
	}

	// A user of the carrier books a shipment and records the gate-in,
	// signed with the handheld's key.
	c, err := client.Connect(profilePath, "CarrierMSP", "user1")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	if _, err := c.CreateShipment(ctx, schemas.Shipment{ID: "SHP-1",
		Consignor: schemas.Party{Name: "Acme Export BV", Country: "NL"}, Consignee: schemas.Party{Name: "Fresh Foods GmbH", Country: "DE"},
		Parties: []string{"nordic-lines"}, Origin: "NLRTM", Destination: "DEHAM", HSCodes: []string{"080810"},
		PlannedDeparture: "2026-12-01T08:00:00Z", PlannedArrival: "2026-12-03T18:00:00Z"}); err != nil {
		fmt.Println(err)
		return
	}
	tp := client.ContainerTouchpoint("SHP-1", time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC), "NLRTM",
		schemas.ContainerEvent{Number: "MSCU1234566", Action: schemas.ContainerGateIn})
	res, err := c.RecordTouchpoint(ctx, handheld, tp)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("recorded by", res.Records[0].SignerPartner, "id matches:", res.Records[0].Record.ID == tp.ID)

	trace, err := c.TraceAll(ctx, "SHP-1")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, item := range trace {
		fmt.Println(item.Record.Record.Container.Action, item.Status, client.VerifyItem(item).OK)
	}
	// Output:
	// recorded by nordic-lines id matches: true
	// gate-in verified true
}

func ExampleContractError() {
	profilePath, stop := exampleNetwork()
	defer stop()

	// Without local validation the contract itself refuses the partner.
	c, err := client.Connect(profilePath, "CarrierMSP", "admin", client.WithLocalValidation(false))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer c.Close()
	_, err = c.RegisterPartner(context.Background(), schemas.Partner{ID: "nordic-lines", MSPID: "CarrierMSP",
		LegalName: "Nordic Lines A/S", Country: "XX", Roles: []string{schemas.RoleCarrier}})

	var ce *client.ContractError
	if errors.As(err, &ce) {
		fmt.Println(ce.Code, ce.Field, ce.Value, ce.Local)
	}
	fmt.Println("invalid:", errors.Is(err, client.ErrInvalid))
	var endorseErr *fabric.EndorseError
	fmt.Println("fabric-gateway error reachable:", errors.As(err, &endorseErr))
	// Output:
	// INVALID country XX false
	// invalid: true
	// fabric-gateway error reachable: true
}

func ExampleClient_VerifyDocument() {
	profilePath, stop := exampleNetwork()
	defer stop()
	ctx := context.Background()

	admin, err := client.Connect(profilePath, "IssuerMSP", "admin")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer admin.Close()
	if _, err := admin.RegisterPartner(ctx, schemas.Partner{ID: "chamber", MSPID: "IssuerMSP", LegalName: "Chamber of Commerce",
		Country: "NL", Roles: []string{schemas.RoleCertificateIssuer}}); err != nil {
		fmt.Println(err)
		return
	}
	certificate := []byte("%PDF-1.4 certificate of origin CO-1")
	anchor, err := admin.AnchorDocument(ctx, certificate, schemas.DocumentAnchor{DocType: "certificate-of-origin", Owner: "chamber"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, doc := range [][]byte{certificate, []byte("%PDF-1.4 certificate of origin CO-2")} {
		v, err := admin.VerifyDocument(ctx, doc, anchor.SHA256)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(v.Status)
	}
	// Output:
	// intact
	// tampered
}
