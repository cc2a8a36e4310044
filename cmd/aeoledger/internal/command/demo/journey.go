package demo

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-pdf/fpdf"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/render"
	"github.com/aeoledger/aeoledger/network/profile"
	"github.com/aeoledger/aeoledger/schemas"
)

// journey holds the demo's partners, their keys and clients.
type journey struct {
	ctx     context.Context
	w       io.Writer
	p       *profile.Profile
	clients map[string]*client.Client
	keys    map[string]*ecdsa.PrivateKey

	shipmentID, container, badContainer, seal string
	certPDF                                   []byte // the certificate of origin, as issued
	t0                                        time.Time
	step                                      int
}

type partnerSpec struct {
	id, msp, name, country, key string
	roles                       []string
}

var partners = []partnerSpec{
	{"acme-export", "ExporterMSP", "Acme Export BV", "NL", "exporter", []string{schemas.RoleExporter}},
	{"nordic-lines", "CarrierMSP", "Nordic Lines A/S", "DK", "carrier", []string{schemas.RoleCarrier, schemas.RoleForwarder}},
	{"reefer-sensor-7", "CarrierMSP", "Nordic Lines reefer sensor 7", "DK", "reefer-sensor", []string{schemas.RoleDevice}},
	{"rotterdam-chamber", "IssuerMSP", "Chamber of Commerce Rotterdam", "NL", "issuer", []string{schemas.RoleCertificateIssuer}},
	{"customs-hamburg", "CustomsMSP", "Customs Office Hamburg-Waltershof", "DE", "customs", []string{schemas.RoleCustoms}},
	{"fresh-foods", "ImporterMSP", "Fresh Foods GmbH", "DE", "importer", []string{schemas.RoleImporter}},
}

func newJourney(ctx context.Context, p *profile.Profile, keyDir string, now time.Time, w io.Writer) (*journey, error) {
	load, err := keyLoader(keyDir)
	if err != nil {
		return nil, err
	}
	j := &journey{ctx: ctx, w: w, p: p, clients: map[string]*client.Client{}, keys: map[string]*ecdsa.PrivateKey{},
		t0: now.UTC().Add(-52 * time.Hour).Truncate(time.Minute)}
	for _, ps := range partners {
		if j.keys[ps.key], err = load(ps.key); err != nil {
			return nil, err
		}
	}
	j.shipmentID = "SHP-" + j.t0.Format("20060102") + "-0815"
	base := "NLSU712345"
	d, err := schemas.ContainerCheckDigit(base)
	if err != nil {
		return nil, err
	}
	j.container = base + strconv.Itoa(d)
	j.badContainer = base + strconv.Itoa((d+1)%10)
	j.seal = "NL-H-20715503"
	return j, nil
}

// connector returns a function connecting as msp/id (for the trace and
// ledger commands, which close their client themselves).
func (j *journey) connector(msp, id string) func() (*client.Client, error) {
	return func() (*client.Client, error) { return connectAs(j.p, msp, id) }
}

func (j *journey) as(msp, id string, opts ...client.Option) (*client.Client, error) {
	k := msp + "/" + id
	if len(opts) > 0 {
		k += "/raw"
	}
	if c, ok := j.clients[k]; ok {
		return c, nil
	}
	c, err := connectAs(j.p, msp, id, opts...)
	if err != nil {
		return nil, err
	}
	j.clients[k] = c
	return c, nil
}

func (j *journey) close() {
	for k, c := range j.clients {
		_ = c.Close()
		delete(j.clients, k)
	}
}

func (j *journey) at(minutes int) time.Time { return j.t0.Add(time.Duration(minutes) * time.Minute) }

func (j *journey) say(title, format string, args ...any) {
	j.step++
	fmt.Fprintf(j.w, "  %2d  %-22s %s\n", j.step, title, fmt.Sprintf(format, args...))
}

func (j *journey) record(msp, key string, tp *schemas.Touchpoint) (*schemas.RecordResult, error) {
	c, err := j.as(msp, "user1")
	if err != nil {
		return nil, err
	}
	res, err := c.RecordTouchpoint(j.ctx, j.keys[key], tp)
	if err != nil {
		return nil, fmt.Errorf("recording %s: %w", render.Summary(tp), err)
	}
	return res, nil
}

func (j *journey) recordStep(title, msp, key string, tp *schemas.Touchpoint) (*schemas.RecordResult, error) {
	res, err := j.record(msp, key, tp)
	if err != nil {
		return nil, err
	}
	j.say(title, "%s, signed by %s (record %s…)", render.Summary(tp), res.Records[0].SignerPartner, tp.ID[:12])
	return res, nil
}

func (j *journey) play() error {
	fmt.Fprintln(j.w)
	fmt.Fprintln(j.w, "Partners register their secp256k1 keys (each by an admin of its own organisation):")
	for _, ps := range partners {
		admin, err := j.as(ps.msp, "admin")
		if err != nil {
			return err
		}
		got, err := admin.RegisterPartner(j.ctx, schemas.Partner{ID: ps.id, MSPID: ps.msp, LegalName: ps.name, Country: ps.country,
			Roles: ps.roles, Keys: []schemas.SigningKey{schemas.NewSigningKey(j.keys[ps.key], ps.key)}})
		if err != nil {
			return err
		}
		fmt.Fprintf(j.w, "      %-18s %-34s %-12s %-26s key %s\n", got.ID, got.LegalName, got.MSPID, joinRoles(got.Roles), got.Keys[0].Address)
	}

	fmt.Fprintln(j.w)
	fmt.Fprintln(j.w, "The journey; every step is a record signed by the party responsible for it:")
	exporter, err := j.as("ExporterMSP", "user1")
	if err != nil {
		return err
	}
	sh, err := exporter.CreateShipment(j.ctx, schemas.Shipment{
		ID:        j.shipmentID,
		Consignor: schemas.Party{PartnerID: "acme-export", Name: "Acme Export BV", Country: "NL"},
		Consignee: schemas.Party{PartnerID: "fresh-foods", Name: "Fresh Foods GmbH", Country: "DE"},
		Parties:   []string{"nordic-lines", "reefer-sensor-7", "customs-hamburg"},
		Origin:    "NLRTM", Destination: "DEHAM", Route: []string{"NLRTM", "DEHAM"}, HSCodes: []string{"080810"},
		TemperatureRange: &schemas.TemperatureRange{Min: 1, Max: 4},
		PlannedDeparture: j.at(6 * 60).Format(time.RFC3339), PlannedArrival: j.at(40 * 60).Format(time.RFC3339),
	})
	if err != nil {
		return err
	}
	j.say("booking", "shipment %s: %s -> %s, fresh apples (HS %s), keep at %g-%g °C, booked by %s",
		sh.ID, sh.Origin, sh.Destination, sh.HSCodes[0], sh.TemperatureRange.Min, sh.TemperatureRange.Max, sh.CreatedBy.MSPID)

	box := func(min int, action, loc string, vessel bool) *schemas.Touchpoint {
		ev := schemas.ContainerEvent{Number: j.container, Action: action, SizeType: "45R1"}
		if vessel {
			ev.Vessel, ev.Voyage = "MV Nordic Aurora", "NA2611E"
		}
		return client.ContainerTouchpoint(j.shipmentID, j.at(min), loc, ev)
	}
	if _, err := j.recordStep("gate-in", "ExporterMSP", "exporter", box(0, schemas.ContainerGateIn, "NLRTM", false)); err != nil {
		return err
	}
	if _, err := j.recordStep("stuffing", "ExporterMSP", "exporter", box(90, schemas.ContainerStuffed, "NLRTM", false)); err != nil {
		return err
	}
	if _, err := j.recordStep("seal affixed", "CarrierMSP", "carrier", client.SealTouchpoint(j.shipmentID, j.at(100), "NLRTM",
		schemas.SealEvent{Class: schemas.SealHighSecurity, Number: j.seal, ContainerNumber: j.container, Action: schemas.SealAffixed})); err != nil {
		return err
	}

	pdf, err := certificatePDF(j.shipmentID, j.t0)
	if err != nil {
		return err
	}
	j.certPDF = pdf
	issuer, err := j.as("IssuerMSP", "user1")
	if err != nil {
		return err
	}
	anchor, err := issuer.AnchorDocument(j.ctx, pdf, schemas.DocumentAnchor{DocType: "certificate-of-origin", Owner: "rotterdam-chamber",
		Name: "CO-NL-2026-0815.pdf", ShipmentID: j.shipmentID})
	if err != nil {
		return err
	}
	j.say("document anchored", "CO-NL-2026-0815.pdf (%d bytes, %s) by %s, sha256 %s…", anchor.Size, anchor.MediaType, anchor.AnchoredBy.MSPID, anchor.SHA256[:16])
	if _, err := j.recordStep("origin certificate", "IssuerMSP", "issuer", client.OriginTouchpoint(j.shipmentID, j.at(120), "NLRTM",
		schemas.OriginCertificate{CertificateNumber: "CO-NL-2026-0815", Issuer: "Chamber of Commerce Rotterdam", CountryOfOrigin: "NL",
			HSCode: "080810", DocumentSHA256: anchor.SHA256, ValidFrom: j.t0.Format(time.DateOnly), ValidUntil: j.t0.AddDate(0, 6, 0).Format(time.DateOnly)})); err != nil {
		return err
	}

	var readings []schemas.SensorReading
	temps := []float64{2.1, 2.3, 2.2, 2.6, 3.1, 5.8, 3.4, 2.7, 2.4, 2.2, 2.1, 2.3}
	for i, t := range temps {
		readings = append(readings, schemas.SensorReading{Time: j.at(130 + 10*i).Format(time.RFC3339), Temperature: &t})
	}
	res, err := j.recordStep("sensor readings", "CarrierMSP", "reefer-sensor",
		client.SensorTouchpoint(j.shipmentID, j.at(130+10*len(temps)), "NLRTM", "reefer-sensor-7", readings))
	if err != nil {
		return err
	}
	for _, inc := range res.Records[1:] {
		fmt.Fprintf(j.w, "      %-22s → in the same transaction the contract raised an incident (%s):\n", "", inc.Record.Incident.Cause)
		for _, l := range render.Wrap(inc.Record.Incident.Description, 80) {
			fmt.Fprintf(j.w, "      %-22s   %s\n", "", l)
		}
	}

	for _, s := range []struct {
		title, action, loc string
		min                int
	}{
		{"loading", schemas.ContainerLoaded, "NLRTM", 5 * 60},
		{"departure", schemas.ContainerDeparted, "NLRTM", 6 * 60},
		{"arrival", schemas.ContainerArrived, "DEHAM", 38 * 60},
	} {
		if _, err := j.recordStep(s.title, "CarrierMSP", "carrier", box(s.min, s.action, s.loc, true)); err != nil {
			return err
		}
	}
	if _, err := j.recordStep("seal VVTT check", "CustomsMSP", "customs", client.SealTouchpoint(j.shipmentID, j.at(39*60), "DEHAM",
		schemas.SealEvent{Class: schemas.SealHighSecurity, Number: j.seal, ContainerNumber: j.container, Action: schemas.SealVerified,
			VVTT: &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true, Notes: "seal number matches, no tampering"}})); err != nil {
		return err
	}
	if _, err := j.recordStep("proof of delivery", "ImporterMSP", "importer", client.PODTouchpoint(j.shipmentID, j.at(44*60), "DEHAM",
		schemas.ProofOfDelivery{Receiver: "Fresh Foods GmbH, goods-in dock 3", Place: "DEHAM", Time: j.at(44 * 60).Format(time.RFC3339), Condition: schemas.ConditionGood})); err != nil {
		return err
	}

	fmt.Fprintln(j.w)
	fmt.Fprintln(j.w, "A bad record is refused, and nothing is written:")
	raw, err := j.as("CarrierMSP", "user1", client.WithLocalValidation(false))
	if err != nil {
		return err
	}
	bad := box(45*60, schemas.ContainerGateOut, "DEHAM", false)
	bad.Container.Number = j.badContainer
	_, err = raw.RecordTouchpoint(j.ctx, j.keys["carrier"], bad)
	var ce *client.ContractError
	if !errors.As(err, &ce) {
		return fmt.Errorf("the bad record was not refused as expected: %v", err)
	}
	fmt.Fprintf(j.w, "      container %s gate-out → refused by the contract (%s)\n", j.badContainer, ce.Code)
	fmt.Fprintf(j.w, "      field %s, value %q: %s\n", ce.Field, ce.Value, ce.Rule)
	fmt.Fprintf(j.w, "      (the SDK refuses it before sending too: the same rule runs on both sides)\n")

	fmt.Fprintln(j.w)
	fmt.Fprintln(j.w, "Documents are checked against their anchors, hashed locally:")
	customs, err := j.as("CustomsMSP", "user1")
	if err != nil {
		return err
	}
	for _, doc := range []struct {
		label string
		bytes []byte
	}{{"the certificate as issued", pdf}, {"a copy with one byte changed", tamper(pdf)}} {
		v, err := customs.VerifyDocument(j.ctx, doc.bytes, anchor.SHA256)
		if err != nil {
			return err
		}
		fmt.Fprintf(j.w, "      %-30s %s\n", doc.label, map[string]string{schemas.DocumentIntact: "INTACT", schemas.DocumentTampered: "TAMPERED (sha256 " + v.ActualSHA256[:16] + "… ≠ anchored " + v.SHA256[:16] + "…)"}[v.Status])
	}
	return nil
}

func joinRoles(r []string) string {
	var b bytes.Buffer
	for i, s := range r {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(s)
	}
	return b.String()
}

func tamper(b []byte) []byte {
	out := bytes.Clone(b)
	out[len(out)/2] ^= 0x01
	return out
}

// certificatePDF renders a one-page certificate of origin. The dates are
// fixed so the same shipment always yields the same bytes and hash.
func certificatePDF(shipmentID string, issued time.Time) ([]byte, error) {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.SetCreationDate(issued)
	pdf.SetModificationDate(issued)
	pdf.AddPage()
	pdf.SetFont("Helvetica", "B", 16)
	pdf.Cell(0, 10, "Certificate of Origin  CO-NL-2026-0815")
	pdf.Ln(14)
	pdf.SetFont("Helvetica", "", 11)
	for _, line := range []string{
		"Issued by: Chamber of Commerce Rotterdam, Netherlands",
		"Exporter: Acme Export BV, Rotterdam (NL)",
		"Consignee: Fresh Foods GmbH, Hamburg (DE)",
		"Goods: fresh apples, HS 0808.10, 21 600 kg in one 45' reefer container",
		"Country of origin: Netherlands",
		"Shipment: " + shipmentID,
		"Date of issue: " + issued.Format("2 January 2006"),
	} {
		pdf.Cell(0, 8, line)
		pdf.Ln(8)
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("rendering certificate PDF: %w", err)
	}
	return buf.Bytes(), nil
}
