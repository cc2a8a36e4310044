package client_test

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/schemas"
)

// world is a registered set of partners and a booked reefer shipment.
type world struct {
	net                                   *testNet
	exporter, carrier, issuer, importer   *client.Client
	importer2                             *client.Client
	kExp, kCar, kIss, kDev, kImp          *ecdsa.PrivateKey
	shipmentID, container, seal, location string
	t0                                    time.Time
}

func mustKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	require.NoError(t, err)
	return k
}

func containerNumber(t *testing.T, first10 string) string {
	d, err := schemas.ContainerCheckDigit(first10)
	require.NoError(t, err)
	return first10 + strconv.Itoa(d)
}

func f64(v float64) *float64 { return &v }

func newWorld(t *testing.T) *world {
	t.Helper()
	n := startNet(t)
	w := &world{net: n, kExp: mustKey(t), kCar: mustKey(t), kIss: mustKey(t), kDev: mustKey(t), kImp: mustKey(t),
		shipmentID: "SHP-2026-0001", container: containerNumber(t, "MSCU123456"), seal: "H-0042-7788", location: "NLRTM",
		t0: time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)}
	ctx := ctxT(t)
	register := func(msp, id, name, country string, roles []string, keys ...*ecdsa.PrivateKey) {
		admin := n.connect(t, msp, "admin")
		p := schemas.Partner{ID: id, MSPID: msp, LegalName: name, Country: country, Roles: roles}
		for i, k := range keys {
			p.Keys = append(p.Keys, schemas.NewSigningKey(k, fmt.Sprintf("key-%d", i)))
		}
		_, err := admin.RegisterPartner(ctx, p)
		require.NoError(t, err, "registering %s", id)
	}
	register("ExporterMSP", "acme-export", "Acme Export BV", "NL", []string{schemas.RoleExporter}, w.kExp)
	register("CarrierMSP", "nordic-lines", "Nordic Lines A/S", "DK", []string{schemas.RoleCarrier, schemas.RoleForwarder}, w.kCar)
	register("CarrierMSP", "reefer-sensor-7", "Nordic Lines reefer sensor 7", "DK", []string{schemas.RoleDevice}, w.kDev)
	register("IssuerMSP", "rotterdam-chamber", "Chamber of Commerce Rotterdam", "NL", []string{schemas.RoleCertificateIssuer}, w.kIss)
	register("ImporterMSP", "fresh-foods", "Fresh Foods GmbH", "DE", []string{schemas.RoleImporter}, w.kImp)

	w.exporter = n.connect(t, "ExporterMSP", "user1")
	w.carrier = n.connect(t, "CarrierMSP", "user1")
	w.issuer = n.connect(t, "IssuerMSP", "user1")
	w.importer = n.connect(t, "ImporterMSP", "user1")
	w.importer2 = n.connect(t, "ImporterMSP", "user2")
	_, err := w.exporter.CreateShipment(ctx, schemas.Shipment{
		ID:        w.shipmentID,
		Consignor: schemas.Party{PartnerID: "acme-export", Name: "Acme Export BV", Country: "NL"},
		Consignee: schemas.Party{PartnerID: "fresh-foods", Name: "Fresh Foods GmbH", Country: "DE"},
		Parties:   []string{"nordic-lines", "reefer-sensor-7"},
		Origin:    "NLRTM", Destination: "DEHAM", HSCodes: []string{"080810"},
		TemperatureRange: &schemas.TemperatureRange{Min: 2, Max: 8},
		PlannedDeparture: w.t0.Add(24 * time.Hour).Format(time.RFC3339), PlannedArrival: w.t0.Add(72 * time.Hour).Format(time.RFC3339),
	})
	require.NoError(t, err)
	return w
}

func (w *world) at(min int) time.Time { return w.t0.Add(time.Duration(min) * time.Minute) }

func (w *world) containerEvent(min int, action string) *schemas.Touchpoint {
	return client.ContainerTouchpoint(w.shipmentID, w.at(min), w.location, schemas.ContainerEvent{Number: w.container, Action: action, SizeType: "45R1"})
}

func TestJourneyThroughTheTypedAPI(t *testing.T) {
	w := newWorld(t)
	ctx := ctxT(t)
	record := func(c *client.Client, k *ecdsa.PrivateKey, tp *schemas.Touchpoint) *schemas.RecordResult {
		t.Helper()
		res, err := c.RecordTouchpoint(ctx, k, tp)
		require.NoError(t, err, "recording %s", tp.Type)
		require.NotEmpty(t, res.Records)
		assert.Equal(t, tp.ID, res.Records[0].Record.ID, "the result's first record is the one signed")
		return res
	}

	record(w.exporter, w.kExp, w.containerEvent(0, schemas.ContainerGateIn))
	record(w.exporter, w.kExp, w.containerEvent(10, schemas.ContainerStuffed))
	record(w.carrier, w.kCar, client.SealTouchpoint(w.shipmentID, w.at(15), w.location,
		schemas.SealEvent{Class: "H", Number: w.seal, ContainerNumber: w.container, Action: schemas.SealAffixed}))

	certPDF := []byte("%PDF-1.4 certificate of origin CO-NL-2026-0815 apples, origin NL")
	anchor, err := w.issuer.AnchorDocument(ctx, certPDF, schemas.DocumentAnchor{DocType: "certificate-of-origin", Owner: "rotterdam-chamber",
		Name: "CO-NL-2026-0815.pdf", ShipmentID: w.shipmentID})
	require.NoError(t, err)
	assert.Equal(t, client.DocumentHash(certPDF), anchor.SHA256)
	assert.Equal(t, "application/pdf", anchor.MediaType)
	record(w.issuer, w.kIss, client.OriginTouchpoint(w.shipmentID, w.at(20), w.location, schemas.OriginCertificate{
		CertificateNumber: "CO-NL-2026-0815", Issuer: "Chamber of Commerce Rotterdam", CountryOfOrigin: "NL", HSCode: "080810",
		DocumentSHA256: anchor.SHA256, ValidFrom: w.t0.Format(time.DateOnly), ValidUntil: w.t0.AddDate(0, 6, 0).Format(time.DateOnly)}))

	readings := []schemas.SensorReading{
		{Time: w.at(30).Format(time.RFC3339), Temperature: f64(4.1)},
		{Time: w.at(35).Format(time.RFC3339), Temperature: f64(9.6)}, // the excursion
		{Time: w.at(40).Format(time.RFC3339), Temperature: f64(5.0)},
	}
	sensor := record(w.carrier, w.kDev, client.SensorTouchpoint(w.shipmentID, w.at(41), w.location, "reefer-sensor-7", readings))
	require.Len(t, sensor.Records, 2, "the excursion raises an incident in the same transaction")
	assert.Equal(t, schemas.CauseTempExcursion, sensor.Records[1].Record.Incident.Cause)

	record(w.carrier, w.kCar, w.containerEvent(60, schemas.ContainerLoaded))
	record(w.carrier, w.kCar, w.containerEvent(70, schemas.ContainerDeparted))
	arrived := w.containerEvent(100, schemas.ContainerArrived)
	arrived.Location.UNLocode = "DEHAM"
	record(w.carrier, w.kCar, arrived)
	record(w.carrier, w.kCar, client.SealTouchpoint(w.shipmentID, w.at(105), "DEHAM", schemas.SealEvent{Class: "H", Number: w.seal,
		ContainerNumber: w.container, Action: schemas.SealVerified, VVTT: &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true}}))
	record(w.carrier, w.kCar, client.PODTouchpoint(w.shipmentID, w.at(110), "DEHAM", schemas.ProofOfDelivery{
		Receiver: "Fresh Foods GmbH, goods-in", Place: "DEHAM", Time: w.at(110).Format(time.RFC3339), Condition: schemas.ConditionGood}))

	view, err := w.exporter.Shipment(ctx, w.shipmentID)
	require.NoError(t, err)
	assert.Equal(t, schemas.ShipmentDelivered, view.State.Status)

	trace, err := w.importer.TraceAll(ctx, w.shipmentID)
	require.NoError(t, err)
	require.Len(t, trace, 11)
	var kinds []string
	for _, item := range trace {
		kinds = append(kinds, item.Record.Record.Type)
		assert.Contains(t, []string{schemas.StatusVerified, schemas.StatusContractGenerated}, item.Status, "record %s", item.Record.Record.ID)
		check := client.VerifyItem(item)
		assert.True(t, check.OK, check.Detail)
	}
	require.Len(t, kinds, 11)
	assert.ElementsMatch(t, []string{"sensor", "incident"}, kinds[4:6], "the generated incident sits beside its sensor batch")
	kinds[4], kinds[5] = "sensor|incident", "sensor|incident"
	assert.Equal(t, []string{"container", "container", "seal", "origin", "sensor|incident", "sensor|incident", "container", "container", "container", "seal", "pod"}, kinds,
		"records come in event order")

	byContainer, err := w.importer.AllRecordsByContainer(ctx, w.container)
	require.NoError(t, err)
	assert.Len(t, byContainer, 5+2, "five container movements and two seal records naming the container")
	bySeal, err := w.importer.AllRecordsBySeal(ctx, w.seal)
	require.NoError(t, err)
	assert.Len(t, bySeal, 2)

	hist, err := w.importer.AllHistory(ctx, client.HistoryShipmentState, w.shipmentID)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, len(hist), 4, "booked, in transit, arrived, delivered")

	intact, err := w.importer.VerifyDocument(ctx, certPDF, anchor.SHA256)
	require.NoError(t, err)
	assert.Equal(t, schemas.DocumentIntact, intact.Status)
	tampered, err := w.importer.VerifyDocument(ctx, append(certPDF, '!'), anchor.SHA256)
	require.NoError(t, err)
	assert.Equal(t, schemas.DocumentTampered, tampered.Status)
	_, err = w.importer.VerifyDocument(ctx, []byte("never anchored"), "")
	assert.ErrorIs(t, err, client.ErrNotFound)
}

func TestDeclarationAmendmentNeedsASecondIdentity(t *testing.T) {
	w := newWorld(t)
	ctx := ctxT(t)
	decl := schemas.Declaration{ID: "DECL-0001", Date: "2026-11-20", OfficeID: "30", ProcessType: "B", ImportType: "11",
		ImportUse: "21", PaymentType: "11", ModeOfTransport: "10", DeclarantID: "ZZR1LT6", ImporterID: "QLRUBN9",
		SellerID: "0VKY2BR", HSCode: "080810", CountryOfDeparture: "NL", CountryOfOrigin: "NL", TaxRate: 8, TaxType: "A",
		OriginIndicator: "G", NetMass: 1200, ItemPrice: 35000, ShipmentID: w.shipmentID}
	_, err := w.importer.SubmitDeclaration(ctx, decl)
	require.NoError(t, err)

	am, err := w.importer.AmendDeclaration(ctx, schemas.Amendment{DeclarationID: decl.ID, Field: "hsCode", OldValue: "080810", NewValue: "080830", Reason: "pears, not apples"})
	require.NoError(t, err)
	assert.Equal(t, schemas.AmendmentPending, am.Status)

	_, err = w.importer.ApproveAmendment(ctx, decl.ID, am.ID)
	require.ErrorIs(t, err, client.ErrForbidden, "the proposer may not approve its own amendment")
	got, err := w.importer.Declaration(ctx, decl.ID)
	require.NoError(t, err)
	assert.Equal(t, "080810", got.HSCode, "nothing changed")

	approved, err := w.importer2.ApproveAmendment(ctx, decl.ID, am.ID)
	require.NoError(t, err)
	assert.Equal(t, schemas.AmendmentApproved, approved.Status)
	got, err = w.importer.Declaration(ctx, decl.ID)
	require.NoError(t, err)
	assert.Equal(t, "080830", got.HSCode)
	all, err := w.importer.AllAmendments(ctx, decl.ID)
	require.NoError(t, err)
	assert.Len(t, all, 1)
}

func TestRefusalsAreTypedAndWriteNothing(t *testing.T) {
	w := newWorld(t)
	ctx := ctxT(t)
	raw := w.net.connect(t, "CarrierMSP", "user1", client.WithLocalValidation(false))

	affixed := client.SealTouchpoint(w.shipmentID, w.at(5), w.location, schemas.SealEvent{Class: "H", Number: w.seal, Action: schemas.SealAffixed})
	_, err := w.carrier.RecordTouchpoint(ctx, w.kCar, affixed)
	require.NoError(t, err)
	gateIn := w.containerEvent(0, schemas.ContainerGateIn)
	_, err = w.exporter.RecordTouchpoint(ctx, w.kExp, gateIn)
	require.NoError(t, err)

	badDigit := w.containerEvent(1, schemas.ContainerGateIn)
	badDigit.Container.Number = w.container[:10] + strconv.Itoa((int(w.container[10]-'0')+1)%10)
	forged := w.containerEvent(2, schemas.ContainerGateIn)
	require.NoError(t, schemas.SignRecord(w.kCar, forged))
	forged.Container.Action = schemas.ContainerStuffed // changed after signing

	cases := []struct {
		name   string
		submit func() error
		code   client.Code
		is     error
		field  string
		local  bool
	}{
		{
			name:   "a wrong container check digit is refused by the SDK before sending",
			submit: func() error { _, err := w.carrier.RecordTouchpoint(ctx, w.kCar, clone(badDigit)); return err },
			code:   client.CodeInvalid, is: client.ErrInvalid, field: "container.number", local: true,
		},
		{
			name:   "a wrong container check digit is refused by the contract too",
			submit: func() error { _, err := raw.RecordTouchpoint(ctx, w.kCar, clone(badDigit)); return err },
			code:   client.CodeInvalid, is: client.ErrInvalid, field: "container.number",
		},
		{
			name:   "a record changed after signing has a bad signature",
			submit: func() error { _, err := raw.SubmitTouchpoint(ctx, clone(forged)); return err },
			code:   client.CodeBadSignature, is: client.ErrBadSignature,
		},
		{
			name: "a certificate issuer may not record container movements",
			submit: func() error {
				_, err := w.issuer.RecordTouchpoint(ctx, w.kIss, w.containerEvent(3, schemas.ContainerGateIn))
				return err
			},
			code: client.CodeForbidden, is: client.ErrForbidden,
		},
		{
			name: "a record for an unknown shipment is not found",
			submit: func() error {
				tp := w.containerEvent(4, schemas.ContainerGateIn)
				tp.ShipmentID = "SHP-NOPE"
				_, err := w.carrier.RecordTouchpoint(ctx, w.kCar, tp)
				return err
			},
			code: client.CodeNotFound, is: client.ErrNotFound,
		},
		{
			name:   "a replayed record is a duplicate",
			submit: func() error { _, err := raw.SubmitTouchpoint(ctx, clone(gateIn)); return err },
			code:   client.CodeDuplicate, is: client.ErrDuplicate,
		},
		{
			name: "verifying a seal that was never affixed is a conflict",
			submit: func() error {
				_, err := w.carrier.RecordTouchpoint(ctx, w.kCar, client.SealTouchpoint(w.shipmentID, w.at(6), w.location,
					schemas.SealEvent{Class: "H", Number: "H-9999-0000", Action: schemas.SealVerified, VVTT: &schemas.VVTT{View: true}}))
				return err
			},
			code: client.CodeConflict, is: client.ErrConflict,
		},
		{
			name: "a carrier admin may not register a partner of another organisation",
			submit: func() error {
				_, err := w.net.connect(t, "CarrierMSP", "admin").RegisterPartner(ctx, schemas.Partner{ID: "intruder", MSPID: "ExporterMSP",
					LegalName: "Intruder", Country: "NL", Roles: []string{"exporter"}})
				return err
			},
			code: client.CodeForbidden, is: client.ErrForbidden,
		},
	}
	before, err := w.carrier.TraceAll(ctx, w.shipmentID)
	require.NoError(t, err)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.submit()
			require.Error(t, err)
			var ce *client.ContractError
			require.ErrorAs(t, err, &ce, "got %v", err)
			assert.Equal(t, tc.code, ce.Code, ce.Error())
			assert.ErrorIs(t, err, tc.is)
			assert.Equal(t, tc.field, ce.Field)
			assert.Equal(t, tc.local, ce.Local)
			if !tc.local {
				assert.NotEmpty(t, ce.TransactionID, "the fabric-gateway error underneath carries the transaction")
			}
			after, err := w.carrier.TraceAll(ctx, w.shipmentID)
			require.NoError(t, err)
			assert.Equal(t, len(before), len(after), "nothing may be written")
		})
	}
	_, err = w.carrier.Partner(ctx, "intruder")
	assert.ErrorIs(t, err, client.ErrNotFound)
}

func clone(tp *schemas.Touchpoint) *schemas.Touchpoint {
	c := *tp
	if tp.Container != nil {
		cc := *tp.Container
		c.Container = &cc
	}
	return &c
}

func TestConcurrentRecordsOnOneShipmentAllCommitThanksToRetries(t *testing.T) {
	w := newWorld(t)
	ctx := ctxT(t)
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			readings := []schemas.SensorReading{{Time: w.at(i).Format(time.RFC3339), Temperature: f64(3 + float64(i)/10)}}
			_, errs[i] = w.carrier.RecordTouchpoint(ctx, w.kDev, client.SensorTouchpoint(w.shipmentID, w.at(i), w.location, "reefer-sensor-7", readings))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		assert.NoError(t, err, "batch %d", i)
	}
	trace, err := w.carrier.TraceAll(ctx, w.shipmentID)
	require.NoError(t, err)
	assert.Len(t, trace, n)
}

func TestUnreachableGatewayIsUnavailable(t *testing.T) {
	n := startNet(t)
	c := n.connect(t, "ExporterMSP", "user1", client.WithTimeouts(300*time.Millisecond, 0, 0, 0))
	stopCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	require.NoError(t, n.node.Stop(stopCtx))
	_, err := c.Partner(ctxT(t), "anyone")
	assert.ErrorIs(t, err, client.ErrUnavailable)
}

func TestBlockRangeDeliversEveryBlockAndEnds(t *testing.T) {
	w := newWorld(t)
	ctx := ctxT(t)
	var nums []uint64
	for blk, err := range w.carrier.BlockRange(ctx, 0) {
		require.NoError(t, err)
		nums = append(nums, blk.GetHeader().GetNumber())
	}
	require.NotEmpty(t, nums)
	for i, n := range nums {
		assert.Equal(t, uint64(i), n, "blocks come in order from 0")
	}
	assert.Equal(t, w.net.node.Ledger().Height(), uint64(len(nums)), "the range ends at the newest block")

	var tail []uint64
	for blk, err := range w.carrier.BlockRange(ctx, uint64(len(nums)-1)) {
		require.NoError(t, err)
		tail = append(tail, blk.GetHeader().GetNumber())
	}
	assert.Equal(t, []uint64{uint64(len(nums) - 1)}, tail, "a range can start anywhere")
}

func TestBlockRangeFromBeyondTheNewestBlockIsEmpty(t *testing.T) {
	w := newWorld(t)
	ctx := ctxT(t)
	height := w.net.node.Ledger().Height()
	for _, start := range []uint64{height, height + 5} {
		var got []uint64
		for blk, err := range w.carrier.BlockRange(ctx, start) {
			require.NoError(t, err, "a caller that is up to date gets an empty range, not an error")
			got = append(got, blk.GetHeader().GetNumber())
		}
		assert.Empty(t, got, "start %d with height %d", start, height)
	}
}
