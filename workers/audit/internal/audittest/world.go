// Package audittest starts a real embedded peer (network/node with the
// aeoledger contract, reached through the client SDK over gRPC) and records
// a shipment journey, a declaration with an approved amendment, documents
// and compliance records on it, so that the audit packages are tested on a
// ledger written the way users write it.
package audittest

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/network/devnet"
	"github.com/aeoledger/aeoledger/network/msp"
	"github.com/aeoledger/aeoledger/network/node"
	"github.com/aeoledger/aeoledger/network/profile"
	"github.com/aeoledger/aeoledger/schemas"
)

// World is a running embedded peer with recorded evidence.
type World struct {
	Node       *node.Node
	MSPs       *msp.Manager
	Profile    *profile.Profile
	ShipmentID string
	Container  string
	Seal       string
	DeclID     string
	// RecordIDs are the touchpoints recorded, in order (generated incidents
	// included).
	RecordIDs []string
	// CertDoc is the certificate-of-origin document anchored on the ledger.
	CertDoc []byte
	// Clients by "MSP/identity".
	Clients map[string]*client.Client
}

// Start builds the world; everything stops when the test ends.
func Start(t testing.TB) *World {
	t.Helper()
	must := func(err error, what string) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	dir := filepath.Join(t.TempDir(), "net")
	_, err := devnet.Init(dir, devnet.Options{Users: []string{"user1", "user2"},
		Orgs: append(append([]string{}, devnet.DefaultOrgs...), "ImporterMSP")})
	must(err, "creating dev network")
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.Start(ctx, node.Config{Dir: dir, Listen: "127.0.0.1:0", BatchTimeout: 5 * time.Millisecond, NoSync: true,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	must(err, "starting node")
	w := &World{Node: n, Clients: map[string]*client.Client{}}
	t.Cleanup(func() {
		for _, c := range w.Clients {
			_ = c.Close()
		}
		cancel()
		stop, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		_ = n.Stop(stop)
	})
	w.MSPs, err = n.Network().LoadMSPs()
	must(err, "loading MSPs")
	w.Profile, err = profile.Load(filepath.Join(dir, devnet.ProfileFile))
	must(err, "loading profile")
	w.Profile.Gateway.Address = n.Addr()
	conn := func(mspID, id string) *client.Client {
		if c, ok := w.Clients[mspID+"/"+id]; ok {
			return c
		}
		c, err := client.ConnectProfile(w.Profile, mspID, id)
		must(err, "connecting "+mspID+"/"+id)
		w.Clients[mspID+"/"+id] = c
		return c
	}
	key := func() *ecdsa.PrivateKey {
		k, err := crypto.GenerateKey()
		must(err, "generating key")
		return k
	}
	kExp, kCar, kDev, kIss, kImp := key(), key(), key(), key(), key()
	cctx, ccancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer ccancel()
	register := func(mspID, id, name, country string, roles []string, k *ecdsa.PrivateKey) {
		p := schemas.Partner{ID: id, MSPID: mspID, LegalName: name, Country: country, Roles: roles,
			Keys: []schemas.SigningKey{schemas.NewSigningKey(k, "key-0")}}
		_, err := conn(mspID, "admin").RegisterPartner(cctx, p)
		must(err, "registering "+id)
	}
	register("ExporterMSP", "acme-export", "Acme Export BV", "NL", []string{schemas.RoleExporter}, kExp)
	register("CarrierMSP", "nordic-lines", "Nordic Lines A/S", "DK", []string{schemas.RoleCarrier, schemas.RoleForwarder}, kCar)
	register("CarrierMSP", "reefer-sensor-7", "Nordic Lines reefer sensor 7", "DK", []string{schemas.RoleDevice}, kDev)
	register("IssuerMSP", "rotterdam-chamber", "Chamber of Commerce Rotterdam", "NL", []string{schemas.RoleCertificateIssuer}, kIss)
	register("ImporterMSP", "fresh-foods", "Fresh Foods GmbH", "DE", []string{schemas.RoleImporter}, kImp)

	d, err := schemas.ContainerCheckDigit("MSCU123456")
	must(err, "check digit")
	w.ShipmentID, w.Container, w.Seal, w.DeclID = "SHP-2026-0001", "MSCU123456"+strconv.Itoa(d), "H-0042-7788", "DECL-0001"
	t0 := time.Now().UTC().Add(-3 * time.Hour).Truncate(time.Second)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	exp, car, iss, imp := conn("ExporterMSP", "user1"), conn("CarrierMSP", "user1"), conn("IssuerMSP", "user1"), conn("ImporterMSP", "user1")
	_, err = exp.CreateShipment(cctx, schemas.Shipment{ID: w.ShipmentID,
		Consignor: schemas.Party{PartnerID: "acme-export", Name: "Acme Export BV", Country: "NL"},
		Consignee: schemas.Party{PartnerID: "fresh-foods", Name: "Fresh Foods GmbH", Country: "DE"},
		Parties:   []string{"nordic-lines", "reefer-sensor-7"}, Origin: "NLRTM", Destination: "DEHAM", HSCodes: []string{"080810"},
		TemperatureRange: &schemas.TemperatureRange{Min: 2, Max: 8},
		PlannedDeparture: at(60).Format(time.RFC3339), PlannedArrival: at(180).Format(time.RFC3339)})
	must(err, "creating shipment")
	record := func(c *client.Client, k *ecdsa.PrivateKey, tp *schemas.Touchpoint) {
		res, err := c.RecordTouchpoint(cctx, k, tp)
		must(err, "recording "+tp.Type)
		for _, r := range res.Records {
			w.RecordIDs = append(w.RecordIDs, r.Record.ID)
		}
	}
	ce := func(m int, action, loc string) *schemas.Touchpoint {
		return client.ContainerTouchpoint(w.ShipmentID, at(m), loc, schemas.ContainerEvent{Number: w.Container, Action: action, SizeType: "45R1"})
	}
	record(exp, kExp, ce(0, schemas.ContainerGateIn, "NLRTM"))
	record(car, kCar, client.SealTouchpoint(w.ShipmentID, at(15), "NLRTM", schemas.SealEvent{Class: "H", Number: w.Seal, ContainerNumber: w.Container, Action: schemas.SealAffixed}))
	w.CertDoc = []byte("%PDF-1.4\n% certificate of origin CO-NL-2026-0815 apples, origin NL\n")
	anchor, err := iss.AnchorDocument(cctx, w.CertDoc, schemas.DocumentAnchor{DocType: "certificate-of-origin", Owner: "rotterdam-chamber",
		Name: "CO-NL-2026-0815.pdf", ShipmentID: w.ShipmentID})
	must(err, "anchoring document")
	record(iss, kIss, client.OriginTouchpoint(w.ShipmentID, at(20), "NLRTM", schemas.OriginCertificate{
		CertificateNumber: "CO-NL-2026-0815", Issuer: "Chamber of Commerce Rotterdam", CountryOfOrigin: "NL", HSCode: "080810",
		DocumentSHA256: anchor.SHA256, ValidFrom: t0.Format(time.DateOnly), ValidUntil: t0.AddDate(0, 6, 0).Format(time.DateOnly)}))
	f := func(v float64) *float64 { return &v }
	record(car, kDev, client.SensorTouchpoint(w.ShipmentID, at(41), "NLRTM", "reefer-sensor-7", []schemas.SensorReading{
		{Time: at(30).Format(time.RFC3339), Temperature: f(4.1)},
		{Time: at(35).Format(time.RFC3339), Temperature: f(9.6)},
		{Time: at(40).Format(time.RFC3339), Temperature: f(5.0)}}))
	record(car, kCar, ce(60, schemas.ContainerLoaded, "NLRTM"))
	record(car, kCar, ce(100, schemas.ContainerArrived, "DEHAM"))
	record(car, kCar, client.SealTouchpoint(w.ShipmentID, at(105), "DEHAM", schemas.SealEvent{Class: "H", Number: w.Seal,
		ContainerNumber: w.Container, Action: schemas.SealVerified, VVTT: &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true}}))
	record(car, kCar, client.PODTouchpoint(w.ShipmentID, at(110), "DEHAM", schemas.ProofOfDelivery{
		Receiver: "Fresh Foods GmbH, goods-in", Place: "DEHAM", Time: at(110).Format(time.RFC3339), Condition: schemas.ConditionGood}))

	_, err = imp.SubmitDeclaration(cctx, schemas.Declaration{ID: w.DeclID, Date: t0.Format(time.DateOnly), OfficeID: "30", ProcessType: "B",
		ImportType: "11", ImportUse: "21", PaymentType: "11", ModeOfTransport: "10", DeclarantID: "ZZR1LT6", ImporterID: "QLRUBN9",
		SellerID: "0VKY2BR", HSCode: "080810", CountryOfDeparture: "NL", CountryOfOrigin: "NL", TaxRate: 8, TaxType: "A",
		OriginIndicator: "G", NetMass: 1200, ItemPrice: 35000, ShipmentID: w.ShipmentID})
	must(err, "submitting declaration")
	am, err := imp.AmendDeclaration(cctx, schemas.Amendment{DeclarationID: w.DeclID, Field: "hsCode", OldValue: "080810", NewValue: "080830", Reason: "pears, not apples"})
	must(err, "amending declaration")
	_, err = conn("ImporterMSP", "user2").ApproveAmendment(cctx, w.DeclID, am.ID)
	must(err, "approving amendment")
	score, thr := 81.5, 70.0
	_, err = imp.RecordCompliance(cctx, schemas.ComplianceRecord{Kind: schemas.KindAnomalyScore, SubjectType: "declaration", SubjectID: w.DeclID,
		CreatedAt: time.Now().UTC().Format(time.RFC3339), Score: &score, Threshold: &thr, Reasons: []string{"hs code changed after submission"}, Model: "test"})
	must(err, "recording anomaly score")
	return w
}

// Key returns a fresh secp256k1 key.
func Key() (*ecdsa.PrivateKey, error) {
	k, err := crypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("generating key: %w", err)
	}
	return k, nil
}
