package testnetwork

import (
	"crypto/ecdsa"
	"encoding/base64"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/chaincode"
	sdk "github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/schemas"
)

// Identities of the three organisations (the same names on both ledgers).
const (
	exporterAdmin = "ExporterMSP/admin"
	exporterUser  = "ExporterMSP/user1"
	carrierAdmin  = "CarrierMSP/admin"
	carrierUser   = "CarrierMSP/user1"
	customsAdmin  = "CustomsMSP/admin"
	customsUser   = "CustomsMSP/user1"
)

// scene holds the partners, keys and records of one run. Every ID
// carries the run's suffix, so the scenario can run again on the same
// Fabric network; the embedded peer starts empty each time.
type scene struct {
	suffix string
	keys   map[string]*ecdsa.PrivateKey // partner ID -> key
	// Partner IDs. The issuer (a chamber of commerce) belongs to
	// CustomsMSP and the importer to ExporterMSP: the Fabric network has
	// only the three organisations Exporter, Carrier and Customs.
	exporter, importer, carrier, sensor, issuer, customs string
	shipment, container, seal, seal2, decl               string
	t0                                                   time.Time
	document                                             []byte
}

func newScenario(t *testing.T) *scene {
	now := time.Now().UTC()
	suffix := fmt.Sprintf("%d", now.UnixNano()%1_000_000_000_000)
	s := &scene{
		suffix: suffix, keys: map[string]*ecdsa.PrivateKey{},
		exporter: "acme-export-" + suffix, importer: "fresh-foods-" + suffix, carrier: "nordic-lines-" + suffix,
		sensor: "reefer-sensor-" + suffix, issuer: "rotterdam-chamber-" + suffix, customs: "customs-hamburg-" + suffix,
		shipment: "SHP-" + suffix, decl: "D-" + suffix,
		t0: now.Add(-50 * time.Hour).Truncate(time.Minute),
	}
	s.container = containerNumber(t, int(now.UnixNano()/1000%1_000_000))
	s.seal = "NL-H-" + suffix[len(suffix)-8:]
	s.seal2 = "DE-C-" + suffix[len(suffix)-8:]
	s.document = []byte("%PDF-1.7 certificate of origin CO-NL-" + suffix + " for shipment " + s.shipment)
	for _, p := range []string{s.exporter, s.importer, s.carrier, s.sensor, s.issuer, s.customs} {
		k, err := crypto.GenerateKey()
		require.NoError(t, err)
		s.keys[p] = k
	}
	return s
}

func (s *scene) at(minutes int) time.Time { return s.t0.Add(time.Duration(minutes) * time.Minute) }

func (s *scene) addr(partner string) string {
	return crypto.PubkeyToAddress(s.keys[partner].PublicKey).Hex()
}

func (s *scene) partner(id, msp, name string, roles ...string) schemas.Partner {
	return schemas.Partner{ID: id, MSPID: msp, LegalName: name, Country: "NL", Roles: roles,
		Keys: []schemas.SigningKey{schemas.NewSigningKey(s.keys[id], "main")}}
}

func (s *scene) shipmentRecord(id string, parties ...string) schemas.Shipment {
	return schemas.Shipment{
		ID:        id,
		Consignor: schemas.Party{PartnerID: s.exporter, Name: "Acme Export BV", Country: "NL"},
		Consignee: schemas.Party{PartnerID: s.importer, Name: "Fresh Foods GmbH", Country: "DE"},
		Parties:   parties,
		Origin:    "NLRTM", Destination: "DEHAM", Route: []string{"NLRTM", "DEHAM"}, HSCodes: []string{"080810"},
		TemperatureRange: &schemas.TemperatureRange{Min: 1, Max: 4},
		PlannedDeparture: s.at(6 * 60).Format(time.RFC3339), PlannedArrival: s.at(40 * 60).Format(time.RFC3339),
	}
}

// signed signs tp with the partner's key (the same signature on both
// ledgers: go-ethereum signs deterministically).
func (s *scene) signed(t *testing.T, partner string, tp *schemas.Touchpoint) *schemas.Touchpoint {
	t.Helper()
	require.NoError(t, schemas.SignRecord(s.keys[partner], tp))
	return tp
}

func (s *scene) box(minutes int, action, loc string) *schemas.Touchpoint {
	return sdk.ContainerTouchpoint(s.shipment, s.at(minutes), loc, schemas.ContainerEvent{Number: s.container, Action: action, SizeType: "45R1"})
}

func (s *scene) sealEvent(minutes int, number, action string, vvtt *schemas.VVTT) *schemas.Touchpoint {
	return sdk.SealTouchpoint(s.shipment, s.at(minutes), "NLRTM", schemas.SealEvent{Class: schemas.SealHighSecurity, Number: number,
		ContainerNumber: s.container, Action: action, VVTT: vvtt})
}

func (s *scene) incident(minutes int, cause, text string) *schemas.Touchpoint {
	return sdk.IncidentTouchpoint(s.shipment, s.at(minutes), "DEHAM", schemas.Incident{Cause: cause, Description: text})
}

func (s *scene) pod(minutes int) *schemas.Touchpoint {
	return sdk.PODTouchpoint(s.shipment, s.at(minutes), "DEHAM", schemas.ProofOfDelivery{Receiver: "Fresh Foods GmbH, goods-in dock 3",
		Place: "DEHAM", Time: s.at(minutes).Format(time.RFC3339), Condition: schemas.ConditionGood})
}

// declaration reads the first row of the shared customs data set and makes
// it the scenario's declaration.
func (s *scene) declaration(t *testing.T) schemas.Declaration {
	t.Helper()
	d := firstCustomsDeclaration(t)
	d.ID, d.ShipmentID, d.HSCode = s.decl, s.shipment, "0808100000"
	return *d
}

// firstCustomsDeclaration reads the first row of the shared customs data set
// as a declaration.
func firstCustomsDeclaration(t *testing.T) *schemas.Declaration {
	t.Helper()
	f, err := os.Open(shareddata.Path(t, "customs", "train.csv"))
	require.NoError(t, err, "opening the customs data set")
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	require.NoError(t, err)
	row, err := r.Read()
	require.NoError(t, err)
	d, err := schemas.DeclarationFromCSV(header, row)
	require.NoError(t, err)
	return d
}

func js(t *testing.T, v any) string { return mustJSON(t, v) }

func f64(v float64) *float64 { return &v }

func sha(b []byte) string { return sdk.DocumentHash(b) }

func fixed(args ...string) func(*ledger) []string { return func(*ledger) []string { return args } }

// decode is for checks: it decodes a step's result into v.
func decode[T any](t *testing.T, raw []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(raw, &v))
	return v
}

// incidents lists the causes of the incidents a touchpoint raised.
func incidents(t *testing.T, raw []byte) []string {
	t.Helper()
	res := decode[schemas.RecordResult](t, raw)
	require.NotEmpty(t, res.Records)
	var causes []string
	for _, r := range res.Records[1:] {
		require.NotNil(t, r.Record.Incident)
		assert.True(t, r.Record.Incident.Generated)
		assert.Equal(t, res.Records[0].Record.ID, r.Record.Incident.RelatedRecord)
		causes = append(causes, r.Record.Incident.Cause)
	}
	return causes
}

// steps builds the whole scenario. Expected errors are the contract's
// messages after normalisation (ledger times, identities and amendment
// IDs replaced by placeholders); a step passes when the message starts
// with want.
func (s *scene) steps(t *testing.T) []scenarioStep {
	var steps []scenarioStep
	ok := func(name, who, fn string, args ...string) {
		steps = append(steps, scenarioStep{name: name, who: who, fn: fn, args: fixed(args...)})
	}
	bad := func(name, who, fn, want string, args ...string) {
		steps = append(steps, scenarioStep{name: name, who: who, fn: fn, args: fixed(args...), want: want})
	}
	add := func(st scenarioStep) { steps = append(steps, st) }
	// expect attaches a check to the step added last.
	expect := func(check func(t *testing.T, raw []byte)) { steps[len(steps)-1].check = check }
	tp := func(tp *schemas.Touchpoint) string { return js(t, tp) }

	// ---- Partners register their keys, each by an admin of its own org.
	exporter := s.partner(s.exporter, "ExporterMSP", "Acme Export BV", schemas.RoleExporter)
	importer := s.partner(s.importer, "ExporterMSP", "Fresh Foods GmbH", schemas.RoleImporter, schemas.RoleBroker)
	carrier := s.partner(s.carrier, "CarrierMSP", "Nordic Lines A/S", schemas.RoleCarrier, schemas.RoleForwarder)
	sensor := s.partner(s.sensor, "CarrierMSP", "Nordic Lines reefer sensor 7", schemas.RoleDevice)
	issuer := s.partner(s.issuer, "CustomsMSP", "Chamber of Commerce Rotterdam", schemas.RoleCertificateIssuer)
	customs := s.partner(s.customs, "CustomsMSP", "Customs Office Hamburg-Waltershof", schemas.RoleCustoms)
	ok("the exporter registers", exporterAdmin, "RegisterPartner", js(t, exporter))
	ok("the importer registers", exporterAdmin, "RegisterPartner", js(t, importer))
	ok("the carrier registers", carrierAdmin, "RegisterPartner", js(t, carrier))
	ok("the carrier registers its reefer sensor", carrierAdmin, "RegisterPartner", js(t, sensor))
	ok("the certificate issuer registers", customsAdmin, "RegisterPartner", js(t, issuer))
	ok("the customs office registers", customsAdmin, "RegisterPartner", js(t, customs))

	// Registration refusals (chaincode TestRegisterPartnerRefusesBadInput
	// and TestRegisterPartnerAuthorisation).
	spare, err := crypto.GenerateKey()
	require.NoError(t, err)
	other, err := crypto.GenerateKey()
	require.NoError(t, err)
	p2 := func(mut func(*schemas.Partner)) string {
		p := schemas.Partner{ID: "p2-" + s.suffix, MSPID: "CarrierMSP", LegalName: "Carrier Two", Country: "DE",
			Roles: []string{"carrier"}, Keys: []schemas.SigningKey{schemas.NewSigningKey(spare, "")}}
		mut(&p)
		return js(t, p)
	}
	bad("an unknown country is invalid", carrierAdmin, "RegisterPartner",
		`INVALID: registering partner: field=country value="XX" rule=must be an ISO 3166-1 alpha-2 country code`,
		p2(func(p *schemas.Partner) { p.Country = "XX" }))
	bad("an unknown role is invalid", carrierAdmin, "RegisterPartner",
		`INVALID: registering partner: field=roles[0] value="pirate" rule=value must be one of`,
		p2(func(p *schemas.Partner) { p.Roles = []string{"pirate"} }))
	bad("a legal name over 200 characters is an oversized field", carrierAdmin, "RegisterPartner",
		`INVALID: registering partner: field=legalName value="`+strings.Repeat("a", 64)+`..." rule=must have at most 200 characters, got 201`,
		p2(func(p *schemas.Partner) { p.LegalName = strings.Repeat("a", 201) }))
	bad("a key whose address is not its public key's is invalid", carrierAdmin, "RegisterPartner",
		fmt.Sprintf(`INVALID: registering partner: field=keys[0].address value=%q rule=address must be derived from publicKey (%s)`,
			crypto.PubkeyToAddress(other.PublicKey).Hex(), crypto.PubkeyToAddress(spare.PublicKey).Hex()),
		p2(func(p *schemas.Partner) { p.Keys[0].Address = crypto.PubkeyToAddress(other.PublicKey).Hex() }))
	bad("key times are set by the contract", carrierAdmin, "RegisterPartner",
		`INVALID: registering partner: field=keys[0].addedAt value="2020-01-01T00:00:00Z" rule=key times are set by the contract`,
		p2(func(p *schemas.Partner) { p.Keys[0].AddedAt = "2020-01-01T00:00:00Z" }))
	bad("the status is set by the contract", carrierAdmin, "RegisterPartner",
		`INVALID: registering partner: field=status value="active" rule=status and times are set by the contract`,
		p2(func(p *schemas.Partner) { p.Status = "active" }))
	bad("a partner ID registered before is a duplicate", carrierAdmin, "RegisterPartner",
		fmt.Sprintf(`DUPLICATE: registering partner: partner %q is already registered`, s.carrier),
		p2(func(p *schemas.Partner) { p.ID = s.carrier }))
	bad("a key registered to another partner is a duplicate", carrierAdmin, "RegisterPartner",
		fmt.Sprintf(`DUPLICATE: registering partner: key %s is already registered to partner %q`, s.addr(s.carrier), s.carrier),
		p2(func(p *schemas.Partner) { p.Keys = []schemas.SigningKey{schemas.NewSigningKey(s.keys[s.carrier], "")} }))
	bad("a partner ID with a NUL byte (a composite-key separator) is invalid", carrierAdmin, "RegisterPartner",
		`INVALID: registering partner: field=id value="p2\x00aeo.key" rule=`,
		p2(func(p *schemas.Partner) { p.ID = "p2\x00aeo.key" }))
	bad("a partner ID that looks like SQL injection is invalid", carrierAdmin, "RegisterPartner",
		`INVALID: registering partner: field=id value="x' OR '1'='1" rule=`,
		p2(func(p *schemas.Partner) { p.ID = "x' OR '1'='1" }))
	bad("a legal name with markup and control characters is invalid", carrierAdmin, "RegisterPartner",
		`INVALID: registering partner: field=legalName value="<script>alert(1)</script>\r\n" rule=`,
		p2(func(p *schemas.Partner) { p.LegalName = "<script>alert(1)</script>\r\n" }))
	bad("a client of the partner's org is not an admin", carrierUser, "RegisterPartner",
		`FORBIDDEN: registering partner "p2-`+s.suffix+`": caller <identity> of CarrierMSP is not an admin of CarrierMSP nor of a governance MSP (CustomsMSP)`,
		p2(func(*schemas.Partner) {}))
	bad("an admin of another org may not register it", exporterAdmin, "RegisterPartner",
		`FORBIDDEN: registering partner "p2-`+s.suffix+`": caller <identity> of ExporterMSP is not an admin of CarrierMSP nor of a governance MSP (CustomsMSP)`,
		p2(func(*schemas.Partner) {}))
	bad("a client of the governance org is not governance", customsUser, "RegisterPartner",
		`FORBIDDEN: registering partner "p2-`+s.suffix+`": caller <identity> of CustomsMSP is not an admin of CarrierMSP nor of a governance MSP (CustomsMSP)`,
		p2(func(*schemas.Partner) {}))

	// ---- Booking.
	main := s.shipmentRecord(s.shipment, s.carrier, s.sensor, s.customs)
	ok("the exporter books the shipment", exporterUser, "CreateShipment", js(t, main))
	ship := func(mut func(*schemas.Shipment)) string {
		sh := s.shipmentRecord("SHP2-"+s.suffix, s.carrier)
		mut(&sh)
		return js(t, sh)
	}
	bad("an org not named on the shipment may not book it", customsUser, "CreateShipment",
		`FORBIDDEN: creating shipment: CustomsMSP owns no active partner among the shipment's consignor, consignee and parties`,
		ship(func(*schemas.Shipment) {}))
	bad("a shipment naming an unknown partner is not found", exporterUser, "CreateShipment",
		`NOT_FOUND: creating shipment: partner "ghost-`+s.suffix+`" is not registered`,
		ship(func(sh *schemas.Shipment) { sh.Parties = []string{"ghost-" + s.suffix} }))
	bad("a shipment ID in use is a duplicate", exporterUser, "CreateShipment",
		fmt.Sprintf(`DUPLICATE: creating shipment: shipment %q already exists`, s.shipment), js(t, main))
	bad("an unknown UN/LOCODE country is invalid", exporterUser, "CreateShipment",
		`INVALID: creating shipment: field=origin value="XXRTM" rule=UN/LOCODE must start with an ISO 3166-1 country code`,
		ship(func(sh *schemas.Shipment) { sh.Origin = "XXRTM" }))
	bad("an HS code in the reserved chapter 77 is invalid", exporterUser, "CreateShipment",
		`INVALID: creating shipment: field=hsCodes[0] value="770100" rule=HS chapter 77 does not exist (valid: 01-97 except 77)`,
		ship(func(sh *schemas.Shipment) { sh.HSCodes = []string{"770100"} }))
	bad("an arrival before the departure is invalid", exporterUser, "CreateShipment",
		`INVALID: creating shipment: field=plannedArrival value="2026-01-01T00:00:00Z" rule=must not be before plannedDeparture`,
		ship(func(sh *schemas.Shipment) { sh.PlannedArrival = "2026-01-01T00:00:00Z" }))
	bad("an inverted temperature range is invalid", exporterUser, "CreateShipment",
		`INVALID: creating shipment: field=temperatureRange.max value="1" rule=must not be below temperatureRange.min 4`,
		ship(func(sh *schemas.Shipment) { sh.TemperatureRange = &schemas.TemperatureRange{Min: 4, Max: 1} }))
	bad("createdAt is set by the contract", exporterUser, "CreateShipment",
		`INVALID: creating shipment: field=createdBy value="2026-01-01T00:00:00Z" rule=createdBy and createdAt are set by the contract`,
		ship(func(sh *schemas.Shipment) { sh.CreatedAt = "2026-01-01T00:00:00Z" }))
	bad("a shipment ID with a path traversal is invalid", exporterUser, "CreateShipment",
		`INVALID: creating shipment: field=id value="../../etc/passwd" rule=`,
		ship(func(sh *schemas.Shipment) { sh.ID = "../../etc/passwd" }))
	bad("getting an unknown shipment is not found", exporterUser, "GetShipment",
		`NOT_FOUND: getting shipment: shipment "SHP-404-`+s.suffix+`" does not exist`, "SHP-404-"+s.suffix)

	// ---- Gate-in and stuffing, signed by the exporter.
	gateIn := s.signed(t, s.exporter, s.box(0, schemas.ContainerGateIn, "NLRTM"))
	ok("container gate-in", exporterUser, "RecordTouchpoint", tp(gateIn))
	ok("container stuffing", exporterUser, "RecordTouchpoint", tp(s.signed(t, s.exporter, s.box(90, schemas.ContainerStuffed, "NLRTM"))))

	// ---- H-class seal affixed by the carrier.
	affixed := s.signed(t, s.carrier, s.sealEvent(100, s.seal, schemas.SealAffixed, nil))
	ok("high-security seal affixed", carrierUser, "RecordTouchpoint", tp(affixed))

	// ---- Origin certificate: the document is anchored, the issuer signs.
	anchor := schemas.DocumentAnchor{SHA256: sha(s.document), DocType: "certificate-of-origin", Owner: s.issuer,
		Name: "CO-NL-" + s.suffix + ".pdf", MediaType: "application/pdf", Size: int64(len(s.document)), ShipmentID: s.shipment}
	ok("the issuer anchors the certificate of origin", customsUser, "AnchorDocument", js(t, anchor))
	ok("the certificate of origin is signed by the issuer", customsUser, "RecordTouchpoint", tp(s.signed(t, s.issuer,
		sdk.OriginTouchpoint(s.shipment, s.at(120), "NLRTM", schemas.OriginCertificate{CertificateNumber: "CO-NL-" + s.suffix,
			Issuer: "Chamber of Commerce Rotterdam", CountryOfOrigin: "NL", HSCode: "080810", DocumentSHA256: anchor.SHA256,
			ValidFrom: s.t0.Format(time.DateOnly), ValidUntil: s.t0.AddDate(0, 6, 0).Format(time.DateOnly)}))))
	ok("the anchored document verifies as intact", customsUser, "VerifyDocument", anchor.SHA256, base64.StdEncoding.EncodeToString(s.document))
	expect(func(t *testing.T, raw []byte) {
		assert.Equal(t, schemas.DocumentIntact, decode[schemas.DocumentVerification](t, raw).Status)
	})
	tampered := slices.Clone(s.document)
	tampered[5] ^= 1
	ok("a copy with one bit changed verifies as tampered", customsUser, "VerifyDocument", anchor.SHA256, base64.StdEncoding.EncodeToString(tampered))
	expect(func(t *testing.T, raw []byte) {
		assert.Equal(t, schemas.DocumentTampered, decode[schemas.DocumentVerification](t, raw).Status)
	})
	doc := func(mut func(*schemas.DocumentAnchor)) string {
		a := anchor
		mut(&a)
		return js(t, a)
	}
	bad("anchoring the same hash again is a duplicate", customsUser, "AnchorDocument",
		`DUPLICATE: anchoring document: document `+anchor.SHA256+` is already anchored`, js(t, anchor))
	bad("another org may not anchor the issuer's document", exporterUser, "AnchorDocument",
		fmt.Sprintf(`FORBIDDEN: anchoring document: ExporterMSP may not anchor a document owned by partner %q of CustomsMSP`, s.issuer),
		doc(func(a *schemas.DocumentAnchor) { a.SHA256 = sha([]byte("other " + s.suffix)) }))
	bad("an unknown owner is not found", customsUser, "AnchorDocument", `NOT_FOUND: anchoring document: partner "ghost" is not registered`,
		doc(func(a *schemas.DocumentAnchor) { a.Owner = "ghost" }))
	bad("an unknown document type is invalid", customsUser, "AnchorDocument", `INVALID: anchoring document: field=docType value="memo" rule=value must be one of`,
		doc(func(a *schemas.DocumentAnchor) { a.DocType = "memo" }))
	bad("an anchor for an unknown shipment is not found", customsUser, "AnchorDocument", `NOT_FOUND: anchoring document: shipment "SHP-404" does not exist`,
		doc(func(a *schemas.DocumentAnchor) { a.SHA256 = sha([]byte("o2 " + s.suffix)); a.ShipmentID = "SHP-404" }))
	bad("an anchor for an unknown declaration is not found", customsUser, "AnchorDocument", `NOT_FOUND: anchoring document: declaration "D-404" does not exist`,
		doc(func(a *schemas.DocumentAnchor) { a.SHA256 = sha([]byte("o3 " + s.suffix)); a.DeclarationID = "D-404" }))
	none := sha([]byte("none " + s.suffix))
	bad("verifying an unanchored hash is not found", customsUser, "VerifyDocument", `NOT_FOUND: verifying document: document `+none+` is not anchored`, none, "")
	bad("verifying content that is not base64 is invalid", customsUser, "VerifyDocument",
		`INVALID: verifying document: field=content value="***" rule=must be standard base64`, anchor.SHA256, "***")
	bad("verifying more than 4 MiB on the ledger is an oversized payload", customsUser, "VerifyDocument",
		`INVALID: verifying document: field=content value="6291456 base64 characters" rule=at most 4194304 bytes are verified on the ledger`,
		anchor.SHA256, strings.Repeat("A", 6<<20))
	bad("getting a malformed hash is invalid", customsUser, "GetDocument",
		`INVALID: getting document: field=sha256 value="ABC" rule=SHA-256 must be 64 lowercase hex digits`, "ABC")

	// ---- Sensor readings: one temperature excursion raises an incident.
	var readings []schemas.SensorReading
	for i, c := range []float64{2.1, 2.3, 2.2, 2.6, 3.1, 5.8, 3.4, 2.7, 2.4, 2.2, 2.1, 2.3} {
		readings = append(readings, schemas.SensorReading{Time: s.at(130 + 10*i).Format(time.RFC3339), Temperature: f64(c)})
	}
	ok("sensor readings with a temperature excursion raise an incident", carrierUser, "RecordTouchpoint",
		tp(s.signed(t, s.sensor, sdk.SensorTouchpoint(s.shipment, s.at(250), "NLRTM", s.sensor, readings))))
	expect(func(t *testing.T, raw []byte) {
		assert.Equal(t, []string{schemas.CauseTempExcursion}, incidents(t, raw), "the 5.8 °C reading is outside 1-4 °C")
	})

	// ---- Bad touchpoints (chaincode TestRecordTouchpointRefusesBadRecords).
	badDigit := s.box(200, schemas.ContainerGateIn, "NLRTM")
	badDigit.Container.Number = s.container[:10] + fmt.Sprint((int(s.container[10]-'0')+1)%10)
	bad("a container number with a wrong check digit is invalid", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`INVALID: recording touchpoint: field=container.number value=%q rule=ISO 6346 check digit must be %c`, badDigit.Container.Number, s.container[10]),
		tp(s.signed(t, s.carrier, badDigit)))
	short := s.box(200, schemas.ContainerGateIn, "NLRTM")
	short.Container.Number = s.container[:10]
	bad("a container number of the wrong length is invalid", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`INVALID: recording touchpoint: field=container.number value=%q rule=must have at least 11 characters, got 10`, s.container[:10]),
		tp(s.signed(t, s.carrier, short)))
	bad("a record that is not JSON is invalid", carrierUser, "RecordTouchpoint",
		`INVALID: recording touchpoint: field= value="{not json" rule=must be one valid JSON document`, "{not json")
	bad("an unknown field is refused", carrierUser, "RecordTouchpoint", `INVALID: recording touchpoint: field=colour value="" rule=is not a known field`,
		strings.Replace(tp(s.signed(t, s.carrier, s.box(201, schemas.ContainerGateIn, "NLRTM"))), `{"id"`, `{"colour":"red","id"`, 1))
	twoBodies := s.box(202, schemas.ContainerGateIn, "NLRTM")
	twoBodies.POD = s.pod(202).POD
	bad("a record carrying two bodies is invalid", carrierUser, "RecordTouchpoint",
		`INVALID: recording touchpoint: field=pod value="present" rule=a container record must not carry a pod body`, tp(s.signed(t, s.carrier, twoBodies)))
	generated := s.incident(203, "damage", "dent")
	generated.Incident.Generated = true
	bad("a partner may not submit a generated incident", carrierUser, "RecordTouchpoint",
		`INVALID: recording touchpoint: field=incident.generated value="true" rule=only the contract creates generated incidents`, tp(s.signed(t, s.carrier, generated)))
	unsigned := s.box(204, schemas.ContainerGateIn, "NLRTM")
	unsigned.Signer = "0x0000000000000000000000000000000000000001"
	bad("an unsigned record is refused", carrierUser, "RecordTouchpoint", `BAD_SIGNATURE: recording touchpoint: field=signature is missing`, tp(unsigned))
	changed := s.signed(t, s.carrier, s.box(205, schemas.ContainerGateIn, "NLRTM"))
	oldID := changed.ID
	changed.Container.Action = schemas.ContainerGateOut
	newID, err := schemas.RecordID(changed)
	require.NoError(t, err)
	bad("a record changed after signing fails its id check", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`BAD_SIGNATURE: recording touchpoint: bad signature: id %q is not the hash of the record's canonical form (%s)`, oldID, newID), tp(changed))
	forged := s.signed(t, s.carrier, s.box(206, schemas.ContainerGateIn, "NLRTM"))
	digest, err := hex.DecodeString(forged.ID)
	require.NoError(t, err)
	forged.Signature, err = schemas.SignDigest(s.keys[s.exporter], digest)
	require.NoError(t, err)
	bad("a record signed by another key than its signer is a bad signature", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`BAD_SIGNATURE: recording touchpoint: bad signature: signature recovers to %s, not signer %s`, s.addr(s.exporter), s.addr(s.carrier)), tp(forged))
	stranger, err := crypto.GenerateKey()
	require.NoError(t, err)
	strangerTP := s.box(207, schemas.ContainerGateIn, "NLRTM")
	require.NoError(t, schemas.SignRecord(stranger, strangerTP))
	bad("a record signed by an unregistered key is forbidden", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`FORBIDDEN: recording touchpoint: signer %s is not a registered partner key`, crypto.PubkeyToAddress(stranger.PublicKey).Hex()), tp(strangerTP))
	bad("a device may not record a seal", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`FORBIDDEN: recording touchpoint: partner %q with roles [device] may not record seal records (allowed: carrier, forwarder, terminal, customs)`, s.sensor),
		tp(s.signed(t, s.sensor, s.sealEvent(208, s.seal2, schemas.SealAffixed, nil))))
	bad("an exporter may not sign an origin certificate", exporterUser, "RecordTouchpoint",
		fmt.Sprintf(`FORBIDDEN: recording touchpoint: partner %q with roles [exporter] may not record origin records (allowed: certificate-issuer)`, s.exporter),
		tp(s.signed(t, s.exporter, sdk.OriginTouchpoint(s.shipment, s.at(209), "NLRTM", schemas.OriginCertificate{CertificateNumber: "X-" + s.suffix,
			Issuer: "Acme", CountryOfOrigin: "NL", HSCode: "080810", DocumentSHA256: anchor.SHA256, ValidFrom: "2026-01-01", ValidUntil: "2027-01-01"}))))
	bad("an exporter that is not the consignee may not record a POD", exporterUser, "RecordTouchpoint",
		fmt.Sprintf(`FORBIDDEN: recording touchpoint: partner %q with roles [exporter] may not record pod records (allowed: carrier or the shipment's consignee)`, s.exporter),
		tp(s.signed(t, s.exporter, s.pod(210))))
	bad("an issuer not named on the shipment may not record an incident", customsUser, "RecordTouchpoint",
		fmt.Sprintf(`FORBIDDEN: recording touchpoint: partner %q with roles [certificate-issuer] may not record incident records`, s.issuer),
		tp(s.signed(t, s.issuer, s.incident(211, "damage", "dent"))))
	bad("a partner may not correct another partner's record", exporterUser, "RecordTouchpoint",
		fmt.Sprintf(`FORBIDDEN: recording touchpoint: partner %q may not correct record %s signed by partner %q`, s.exporter, affixed.ID, s.carrier),
		tp(s.signed(t, s.exporter, sdk.CorrectionTouchpoint(s.shipment, s.at(212), "NLRTM", schemas.Correction{Corrects: affixed.ID, Reason: "wrong seal"}))))
	unknownShipment := s.box(213, schemas.ContainerGateIn, "NLRTM")
	unknownShipment.ShipmentID = "SHP-404-" + s.suffix
	bad("a record for an unknown shipment is not found", carrierUser, "RecordTouchpoint",
		`NOT_FOUND: recording touchpoint: shipment "SHP-404-`+s.suffix+`" does not exist`, tp(s.signed(t, s.carrier, unknownShipment)))
	nothing := sha([]byte("nothing " + s.suffix))
	bad("a correction of an unknown record is not found", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`NOT_FOUND: recording touchpoint: record %s to correct is not on shipment %q`, nothing, s.shipment),
		tp(s.signed(t, s.carrier, sdk.CorrectionTouchpoint(s.shipment, s.at(214), "NLRTM", schemas.Correction{Corrects: nothing, Reason: "typo"}))))
	bad("a seal verified before it was affixed conflicts", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`CONFLICT: recording touchpoint: seal %s is verified before it was affixed on shipment %q`, s.seal2, s.shipment),
		tp(s.signed(t, s.carrier, s.sealEvent(215, s.seal2, schemas.SealVerified, &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true}))))
	bad("a replayed seal affixing conflicts", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`CONFLICT: recording touchpoint: seal %s is already affixed on shipment %q`, s.seal, s.shipment), tp(affixed))
	bad("a replayed record is a duplicate", exporterUser, "RecordTouchpoint",
		fmt.Sprintf(`DUPLICATE: recording touchpoint: record %s is already on the ledger`, gateIn.ID), tp(gateIn))
	future := s.box(0, schemas.ContainerGateIn, "NLRTM")
	future.EventTime = time.Now().UTC().Add(time.Hour).Truncate(time.Second).Format(time.RFC3339)
	bad("an event time more than five minutes after the transaction is invalid", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`INVALID: recording touchpoint: field=eventTime value=%q rule=must not be more than 5m0s after the transaction time <ledger time>`, future.EventTime),
		tp(s.signed(t, s.carrier, future)))

	// ---- A screening hit blocks loading until customs clears it.
	hit := schemas.ComplianceRecord{Kind: schemas.KindScreeningHit, SubjectType: "shipment", SubjectID: s.shipment, CreatedAt: s.at(280).Format(time.RFC3339),
		Screening: &schemas.ScreeningMatch{PartyRole: "consignee", QueriedName: "Fresh Foods GmbH", MatchedName: "FRESH FOOD TRADING", ListName: "OFAC-SDN", EntryID: "12345", Score: 0.91}}
	hitID, err := schemas.ComplianceID(&hit)
	require.NoError(t, err)
	ok("a screening hit on the consignee is recorded", customsUser, "RecordCompliance", js(t, hit))
	loaded := s.signed(t, s.carrier, s.box(5*60, schemas.ContainerLoaded, "NLRTM"))
	bad("an open screening hit blocks loading", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`CONFLICT: recording touchpoint: shipment %q is blocked by screening hit %s until cleared; container may not be loaded`, s.shipment, hitID), tp(loaded))
	score := schemas.ComplianceRecord{Kind: schemas.KindAnomalyScore, SubjectType: "shipment", SubjectID: s.shipment, CreatedAt: s.at(281).Format(time.RFC3339),
		Score: f64(91), Threshold: f64(80), Reasons: []string{"unit value 10x below the HS 080810 median"}, Model: "gbt-v1"}
	ok("an anomaly score is recorded", customsUser, "RecordCompliance", js(t, score))
	alert := schemas.ComplianceRecord{Kind: schemas.KindAlert, SubjectType: "shipment", SubjectID: s.shipment, CreatedAt: s.at(282).Format(time.RFC3339),
		Rule: "temp>4C for 10m", Severity: "high", Message: "excursion of 10 minutes"}
	alertID, err := schemas.ComplianceID(&alert)
	require.NoError(t, err)
	ok("a sensor alert is recorded", carrierUser, "RecordCompliance", js(t, alert))
	clearance := schemas.ComplianceRecord{Kind: schemas.KindScreeningClearance, SubjectType: "shipment", SubjectID: s.shipment, CreatedAt: s.at(285).Format(time.RFC3339),
		RefersTo: hitID, Officer: "J. Jansen", Reason: "different entity: registration number differs"}
	ack := schemas.ComplianceRecord{Kind: schemas.KindAlertAck, SubjectType: "shipment", SubjectID: s.shipment, CreatedAt: s.at(286).Format(time.RFC3339),
		RefersTo: alertID, Officer: "K. Kim", Response: "cargo inspected, no damage"}
	comp := func(r schemas.ComplianceRecord, mut func(*schemas.ComplianceRecord)) string {
		mut(&r)
		return js(t, r)
	}
	scoreID, err := schemas.ComplianceID(&score)
	require.NoError(t, err)
	bad("the same score recorded twice is a duplicate", customsUser, "RecordCompliance",
		`DUPLICATE: recording compliance: compliance record `+scoreID+` is already on the ledger`, js(t, score))
	bad("a score above 100 is invalid", customsUser, "RecordCompliance", `INVALID: recording compliance: field=score value="101" rule=must be at most 100`,
		comp(score, func(r *schemas.ComplianceRecord) { r.Score = f64(101) }))
	bad("an anomaly score needs reasons", customsUser, "RecordCompliance", `INVALID: recording compliance: field=reasons value="" rule=an anomaly score needs at least one reason`,
		comp(score, func(r *schemas.ComplianceRecord) { r.Reasons = nil }))
	bad("a score about an unknown declaration is not found", customsUser, "RecordCompliance", `NOT_FOUND: recording compliance: declaration "D-404" does not exist`,
		comp(score, func(r *schemas.ComplianceRecord) { r.SubjectType, r.SubjectID = "declaration", "D-404" }))
	bad("a clearance needs the officer's reason", customsUser, "RecordCompliance", `INVALID: recording compliance: field=reason value="" rule=a clearance needs a reason`,
		comp(clearance, func(r *schemas.ComplianceRecord) { r.Reason = "" }))
	bad("a clearance of an alert is invalid", customsUser, "RecordCompliance",
		`INVALID: recording compliance: field=refersTo value="`+alertID+`" rule=a screening-clearance must refer to a record of kind screening-hit, not alert`,
		comp(clearance, func(r *schemas.ComplianceRecord) { r.RefersTo = alertID }))
	bad("a clearance of an unknown hit is not found", customsUser, "RecordCompliance", `NOT_FOUND: recording compliance: compliance record `+nothing+` is not on the ledger`,
		comp(clearance, func(r *schemas.ComplianceRecord) { r.RefersTo = nothing }))
	bad("contract-set compliance fields are refused", customsUser, "RecordCompliance",
		`INVALID: recording compliance: field=id value="" rule=id, recordedBy, recordedAt and txId are set by the contract`,
		comp(clearance, func(r *schemas.ComplianceRecord) { r.TxID = "tx1" }))
	ok("customs clears the screening hit", customsUser, "RecordCompliance", js(t, clearance))
	ok("the carrier acknowledges the alert", carrierUser, "RecordCompliance", js(t, ack))
	bad("a second clearance of the same hit conflicts", customsUser, "RecordCompliance", `CONFLICT: recording compliance: screening-hit `+hitID+` was already resolved by `,
		comp(clearance, func(r *schemas.ComplianceRecord) { r.Officer = "someone else" }))
	bad("a second acknowledgement of the same alert conflicts", carrierUser, "RecordCompliance", `CONFLICT: recording compliance: alert `+alertID+` was already resolved by `,
		comp(ack, func(r *schemas.ComplianceRecord) { r.Response = "again" }))

	// ---- Loading, departure, arrival; VVTT check; proof of delivery.
	ok("container loading", carrierUser, "RecordTouchpoint", tp(loaded))
	ok("vessel departure", carrierUser, "RecordTouchpoint", tp(s.signed(t, s.carrier, s.box(6*60, schemas.ContainerDeparted, "NLRTM"))))
	ok("vessel arrival", carrierUser, "RecordTouchpoint", tp(s.signed(t, s.carrier, s.box(38*60, schemas.ContainerArrived, "DEHAM"))))
	ok("customs checks the seal by VVTT", customsUser, "RecordTouchpoint", tp(s.signed(t, s.customs, s.sealEvent(39*60, s.seal, schemas.SealVerified,
		&schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true, Notes: "seal number matches, no tampering"}))))
	ok("a customs seal is affixed after the check", customsUser, "RecordTouchpoint", tp(s.signed(t, s.customs, s.sealEvent(39*60+5, s.seal2, schemas.SealAffixed, nil))))
	ok("the customs seal is removed at destination, raising an incident", carrierUser, "RecordTouchpoint",
		tp(s.signed(t, s.carrier, s.sealEvent(43*60, s.seal2, schemas.SealRemoved, nil))))
	expect(func(t *testing.T, raw []byte) { assert.Equal(t, []string{schemas.CauseSealRemoved}, incidents(t, raw)) })
	bad("a removed seal cannot be verified", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`CONFLICT: recording touchpoint: seal %s was already removed on shipment %q; it cannot be verified`, s.seal2, s.shipment),
		tp(s.signed(t, s.carrier, s.sealEvent(43*60+1, s.seal2, schemas.SealVerified, &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true}))))
	hit2 := hit
	hit2.CreatedAt = s.at(43 * 60).Format(time.RFC3339)
	hit2ID, err := schemas.ComplianceID(&hit2)
	require.NoError(t, err)
	ok("a second screening hit is recorded", customsUser, "RecordCompliance", js(t, hit2))
	pod := s.signed(t, s.importer, s.pod(44*60))
	bad("an open screening hit blocks the POD", exporterUser, "RecordTouchpoint",
		fmt.Sprintf(`CONFLICT: recording touchpoint: shipment %q is blocked by screening hit %s until cleared; no POD`, s.shipment, hit2ID), tp(pod))
	clear2 := clearance
	clear2.RefersTo, clear2.CreatedAt = hit2ID, s.at(43*60+30).Format(time.RFC3339)
	ok("customs clears the second hit", customsUser, "RecordCompliance", js(t, clear2))
	ok("proof of delivery by the consignee", exporterUser, "RecordTouchpoint", tp(pod))
	bad("only incidents and corrections follow a POD", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`CONFLICT: recording touchpoint: shipment %q was delivered (POD %s); only incidents and corrections may follow, not container`, s.shipment, pod.ID),
		tp(s.signed(t, s.carrier, s.box(45*60, schemas.ContainerGateOut, "DEHAM"))))
	correction := s.signed(t, s.carrier, sdk.CorrectionTouchpoint(s.shipment, s.at(45*60), "NLRTM", schemas.Correction{Corrects: loaded.ID,
		Reason: "loaded at Maasvlakte II", Changes: []schemas.Change{{Field: "location.name", OldValue: "", NewValue: "Maasvlakte II"}}}))
	ok("the carrier corrects its loading record after delivery", carrierUser, "RecordTouchpoint", tp(correction))

	// ---- Trace and history queries.
	ok("the trace lists the journey in event order", customsUser, "Trace", s.shipment, "0", "")
	expect(func(t *testing.T, raw []byte) {
		page := decode[schemas.Page[schemas.TraceItem]](t, raw)
		// 12 signed records (gate-in, stuffing, seal, origin, sensor,
		// loading, departure, arrival, VVTT, customs seal, removal, POD),
		// 2 incidents and the correction.
		require.Len(t, page.Items, 15)
		for i, it := range page.Items {
			want := schemas.StatusVerified
			if it.Record.SignerPartner == "" {
				want = schemas.StatusContractGenerated
			}
			assert.Equal(t, want, it.Status, "item %d: %s", i, it.StatusDetail)
			if i > 0 {
				assert.LessOrEqual(t, page.Items[i-1].Record.Record.EventTime, it.Record.Record.EventTime, "event order")
			}
		}
	})
	add(scenarioStep{name: "the first page of three trace items", who: customsUser, fn: "Trace", args: fixed(s.shipment, "3", ""), keep: "trace-page-1"})
	add(scenarioStep{name: "the second page follows the bookmark", who: customsUser, fn: "Trace", args: func(l *ledger) []string {
		var page schemas.Page[schemas.TraceItem]
		if err := l.result("trace-page-1", &page); err != nil {
			return []string{s.shipment, "3", "missing: " + err.Error()}
		}
		return []string{s.shipment, "3", page.Bookmark}
	}})
	ok("records by container", customsUser, "RecordsByContainer", s.container, "0", "")
	ok("records by seal", customsUser, "RecordsBySeal", s.seal, "0", "")
	ok("the loading record names its correction", customsUser, "GetRecord", loaded.ID)
	ok("the shipment view shows delivery and seals", customsUser, "GetShipment", s.shipment)
	expect(func(t *testing.T, raw []byte) {
		v := decode[schemas.ShipmentView](t, raw)
		assert.Equal(t, "delivered", v.State.Status)
		assert.Equal(t, pod.ID, v.State.DeliveredBy)
		assert.Equal(t, map[string]string{s.seal: "affixed", s.seal2: "removed"}, v.State.Seals)
		assert.Empty(t, v.State.OpenHits)
	})
	ok("the carrier's shipments", customsUser, "ListShipmentsByParty", s.carrier, "0", "")
	ok("compliance records about the shipment", customsUser, "ListCompliance", s.shipment, "0", "")
	ok("the screening hit", customsUser, "GetCompliance", hitID)
	for _, h := range [][2]string{{"shipment", s.shipment}, {"shipment-state", s.shipment}, {"record", loaded.ID},
		{"document", anchor.SHA256}, {"compliance", hitID}} {
		ok("the history of the "+h[0], customsUser, "History", h[0], h[1], "0", "")
	}
	ok("the history of a record, one entry per page", customsUser, "History", "record", loaded.ID, "1", "")
	ok("the second page of the record history", customsUser, "History", "record", loaded.ID, "1", "1")
	// Query refusals (chaincode TestQueriesRefuseBadInput).
	bad("a page size above the maximum is invalid", customsUser, "Trace",
		`INVALID: tracing shipment: field=pageSize value="5000" rule=must be between 0 (default 100) and 1000`, s.shipment, "5000", "")
	bad("a trace of an unknown shipment is not found", customsUser, "Trace", `NOT_FOUND: tracing shipment: shipment "SHP-404" does not exist`, "SHP-404", "0", "")
	bad("a trace of a malformed shipment ID is invalid", customsUser, "Trace",
		`INVALID: tracing shipment: field=shipmentId value="bad id" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`, "bad id", "0", "")
	bad("a trace of a shipment ID with a NUL byte is invalid", customsUser, "Trace", `INVALID: tracing shipment: field=shipmentId value="SHP\x00" rule=`, "SHP\x00", "0", "")
	bad("records by a malformed container number are invalid", customsUser, "RecordsByContainer",
		fmt.Sprintf(`INVALID: tracing container: field=containerNumber value=%q rule=ISO 6346 check digit must be %c`, badDigit.Container.Number, s.container[10]),
		badDigit.Container.Number, "0", "")
	bad("records by a malformed seal number are invalid", customsUser, "RecordsBySeal",
		`INVALID: tracing seal: field=sealNumber value="x" rule=ISO 17712 seal number must be 4-20 capital letters, digits or single inner hyphens`, "x", "0", "")
	bad("an unknown record is not found", customsUser, "GetRecord", `NOT_FOUND: getting record: record `+nothing+` is not on the ledger`, nothing)
	bad("a history of an unknown kind is invalid", customsUser, "History",
		`INVALID: reading history: field=kind value="ship" rule=must be one of amendment, compliance, declaration, document, partner, record, shipment, shipment-state`,
		"ship", s.shipment, "0", "")
	bad("a history with a forged bookmark is invalid", customsUser, "History",
		`INVALID: reading history: field=bookmark value="x" rule=must be a bookmark returned by History`, "shipment", s.shipment, "0", "x")
	bad("a history of a missing object is not found", customsUser, "History", `NOT_FOUND: reading history: declaration "D-404" has no history`, "declaration", "D-404", "0", "")
	bad("an amendment history needs both IDs", customsUser, "History",
		`INVALID: reading history: field=id value="D-1" rule=an amendment is named declarationId/amendmentId`, "amendment", "D-1", "0", "")
	bad("a page size that is not a number is refused by the contract API", customsUser, "ListPartners",
		`error managing parameter param0. conversion error. cannot convert passed value many to int32`, "many", "")

	// ---- Declaration, amendment approved by a second identity.
	d := s.declaration(t)
	ok("the importer's org submits the declaration", exporterUser, "SubmitDeclaration", js(t, d))
	add(scenarioStep{name: "the importer's user proposes an HS code amendment", who: exporterUser, fn: "AmendDeclaration",
		args: fixed(js(t, schemas.Amendment{DeclarationID: d.ID, Field: "hsCode", OldValue: d.HSCode, NewValue: "0808108000", Reason: "binding tariff information BTI-2026-17"})),
		idAs: "hs-amendment"})
	ok("a pending amendment leaves the declaration unchanged", customsUser, "GetDeclaration", d.ID)
	amendment := func(name string) func(*ledger) []string {
		return func(l *ledger) []string { return []string{d.ID, l.id(name)} }
	}
	amend := func(mut func(*schemas.Amendment)) string {
		a := schemas.Amendment{DeclarationID: d.ID, Field: "taxRate", OldValue: fmt.Sprint(d.TaxRate), NewValue: "8", Reason: "x"}
		mut(&a)
		return js(t, a)
	}
	add(scenarioStep{name: "the proposer cannot approve its own amendment", who: exporterUser, fn: "ApproveAmendment", args: amendment("hs-amendment"),
		want: `FORBIDDEN: approving amendment: <identity> proposed amendment <hs-amendment> and cannot approve it; a second identity of ExporterMSP must`})
	add(scenarioStep{name: "another org cannot approve the amendment", who: customsAdmin, fn: "ApproveAmendment", args: amendment("hs-amendment"),
		want: `FORBIDDEN: approving amendment: only an identity of ExporterMSP may decide amendment <hs-amendment>, not CustomsMSP`})
	bad("approving an unknown amendment is not found", exporterAdmin, "ApproveAmendment",
		fmt.Sprintf(`NOT_FOUND: approving amendment: amendment %s of declaration %q does not exist`, nothing, d.ID), d.ID, nothing)
	bad("an amendment with a stale old value conflicts", exporterUser, "AmendDeclaration",
		fmt.Sprintf(`CONFLICT: amending declaration: declaration %q field hsCode is %q, not oldValue "080810"`, d.ID, d.HSCode),
		amend(func(a *schemas.Amendment) { a.Field, a.OldValue, a.NewValue = "hsCode", "080810", "0808108000" }))
	bad("an amendment to an invalid HS code is invalid", exporterUser, "AmendDeclaration",
		`INVALID: amending declaration: field=newValue value="9999999999" rule=HS chapter 99 does not exist (valid: 01-97 except 77)`,
		amend(func(a *schemas.Amendment) { a.Field, a.OldValue, a.NewValue = "hsCode", d.HSCode, "9999999999" }))
	bad("an amendment of an unknown field is invalid", exporterUser, "AmendDeclaration", `INVALID: amending declaration: field=field value="id" rule=value must be one of`,
		amend(func(a *schemas.Amendment) { a.Field, a.OldValue, a.NewValue = "id", d.ID, "X" }))
	bad("an amendment by an unrelated org is forbidden", carrierUser, "AmendDeclaration",
		fmt.Sprintf(`FORBIDDEN: amending declaration %q: CarrierMSP has no active partner with role customs and may not amend declarations of other orgs`, d.ID),
		amend(func(*schemas.Amendment) {}))
	bad("an amendment of an unknown declaration is not found", exporterUser, "AmendDeclaration", `NOT_FOUND: amending declaration: declaration "D-404" does not exist`,
		amend(func(a *schemas.Amendment) { a.DeclarationID = "D-404" }))
	bad("contract-set amendment fields are refused", exporterUser, "AmendDeclaration",
		`INVALID: amending declaration: field=id value="" rule=id, proposedBy, proposedAt, status, approvals and rejection are set by the contract`,
		amend(func(a *schemas.Amendment) { a.Status = "approved" }))
	bad("a declaration submitted twice is a duplicate", exporterUser, "SubmitDeclaration",
		fmt.Sprintf(`DUPLICATE: submitting declaration: declaration %q already exists`, d.ID), js(t, d))
	d2 := d
	d2.ID = d.ID + "-2"
	bad("an org without importer, broker or customs role may not declare", carrierUser, "SubmitDeclaration",
		`FORBIDDEN: submitting declaration: CarrierMSP has no active partner with role importer or broker or customs and may not submit declarations`, js(t, d2))
	bad("a declaration with an unknown country is invalid", exporterUser, "SubmitDeclaration",
		`INVALID: submitting declaration: field=countryOfOrigin value="QQ" rule=must be an ISO 3166-1 alpha-2 country code`,
		strings.Replace(js(t, d2), `"countryOfOrigin":"`+d2.CountryOfOrigin, `"countryOfOrigin":"QQ`, 1))
	d3 := d2
	d3.ShipmentID = "SHP-404"
	bad("a declaration for an unknown shipment is not found", exporterUser, "SubmitDeclaration", `NOT_FOUND: submitting declaration: shipment "SHP-404" does not exist`, js(t, d3))
	add(scenarioStep{name: "a rejection needs a reason", who: exporterAdmin, fn: "RejectAmendment",
		args: func(l *ledger) []string { return []string{d.ID, l.id("hs-amendment"), ""} },
		want: `INVALID: rejecting amendment: field=reason value="" rule=a rejection needs a reason of 1-2000 characters`})
	bad("getting an unknown declaration is not found", exporterUser, "GetDeclaration", `NOT_FOUND: getting declaration: declaration "D-404" does not exist`, "D-404")
	add(scenarioStep{name: "a second identity of the same org approves the amendment", who: exporterAdmin, fn: "ApproveAmendment", args: amendment("hs-amendment")})
	expect(func(t *testing.T, raw []byte) {
		a := decode[schemas.Amendment](t, raw)
		assert.Equal(t, schemas.AmendmentApproved, a.Status)
		require.Len(t, a.Approvals, 1)
		assert.Equal(t, "ExporterMSP", a.Approvals[0].By.MSPID)
		assert.NotEqual(t, a.ProposedBy.ID, a.Approvals[0].By.ID, "approved by a second identity")
	})
	ok("the approved amendment changed the declaration", customsUser, "GetDeclaration", d.ID)
	expect(func(t *testing.T, raw []byte) {
		assert.Equal(t, "0808108000", decode[schemas.Declaration](t, raw).HSCode)
	})
	add(scenarioStep{name: "approving twice conflicts", who: exporterAdmin, fn: "ApproveAmendment", args: amendment("hs-amendment"),
		want: `CONFLICT: approving amendment: amendment <hs-amendment> is already approved`})
	add(scenarioStep{name: "a tax rate amendment is proposed", who: exporterUser, fn: "AmendDeclaration", idAs: "rate-amendment",
		args: fixed(amend(func(a *schemas.Amendment) { a.Reason = "rate" }))})
	add(scenarioStep{name: "a second identity rejects it", who: exporterAdmin, fn: "RejectAmendment",
		args: func(l *ledger) []string { return []string{d.ID, l.id("rate-amendment"), "wrong rate"} }})
	add(scenarioStep{name: "customs proposes an amendment of another org's declaration", who: customsUser, fn: "AmendDeclaration", idAs: "customs-amendment",
		args: fixed(amend(func(a *schemas.Amendment) { a.NewValue, a.Reason = "10", "customs ruling" }))})
	add(scenarioStep{name: "the amendments of the declaration", who: customsUser, fn: "ListAmendments", args: fixed(d.ID, "0", ""), unordered: true})
	ok("the history of the declaration", customsUser, "History", "declaration", d.ID, "0", "")
	add(scenarioStep{name: "the history of the approved amendment", who: customsUser, fn: "History",
		args: func(l *ledger) []string { return []string{"amendment", d.ID + "/" + l.id("hs-amendment"), "0", ""} }})

	// ---- Key rotation and revocation (chaincode TestKeyLifecycle).
	oldAddr := s.addr(s.carrier)
	newKey, err := crypto.GenerateKey()
	require.NoError(t, err)
	newAddr := crypto.PubkeyToAddress(newKey.PublicKey).Hex()
	third, err := crypto.GenerateKey()
	require.NoError(t, err)
	thirdAddr := crypto.PubkeyToAddress(third.PublicKey).Hex()
	ok("the carrier rotates its key", carrierAdmin, "RotateKey", s.carrier, oldAddr, js(t, schemas.NewSigningKey(newKey, "rotated")))
	ok("a record signed before the rotation stays verified", customsUser, "GetRecord", affixed.ID)
	expect(func(t *testing.T, raw []byte) {
		assert.Equal(t, schemas.StatusVerified, decode[schemas.TraceItem](t, raw).Status)
	})
	bad("a new record signed with the rotated-out key is forbidden", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`FORBIDDEN: recording touchpoint: key %s of partner %q was revoked at <ledger time>`, oldAddr, s.carrier),
		tp(s.signed(t, s.carrier, s.incident(46*60, "damage", "two cartons crushed"))))
	late := s.incident(46*60+1, "damage", "two cartons crushed")
	require.NoError(t, schemas.SignRecord(newKey, late))
	ok("a record signed with the new key is accepted", carrierUser, "RecordTouchpoint", tp(late))
	ok("the rotated-out key still names its partner", customsUser, "GetPartnerByKey", oldAddr)
	bad("revoking a revoked key conflicts", carrierAdmin, "RevokeKey",
		fmt.Sprintf(`CONFLICT: revoking key: key %s of partner %q was already revoked at <ledger time>`, oldAddr, s.carrier), s.carrier, oldAddr, "again")
	bad("revoking needs a reason", carrierAdmin, "RevokeKey",
		`INVALID: revoking key: field=reason value=" " rule=a revocation needs a reason of 1-2000 characters`, s.carrier, thirdAddr, " ")
	bad("revoking an unknown key is not found", carrierAdmin, "RevokeKey",
		fmt.Sprintf(`NOT_FOUND: revoking key: partner %q has no key %s`, s.carrier, thirdAddr), s.carrier, thirdAddr, "lost")
	bad("revoking a malformed address is invalid", carrierAdmin, "RevokeKey",
		`INVALID: revoking key: field=address value="0x12" rule=address must be 0x followed by 40 hex digits`, s.carrier, "0x12", "lost")
	bad("another org's admin may not revoke", exporterAdmin, "RevokeKey",
		fmt.Sprintf(`FORBIDDEN: revoking key of partner %q: caller <identity> of ExporterMSP is not an admin of CarrierMSP nor of a governance MSP (CustomsMSP)`, s.carrier),
		s.carrier, newAddr, "x")
	bad("adding a key to an unknown partner is not found", carrierAdmin, "AddKey", `NOT_FOUND: adding key: partner "ghost" is not registered`,
		"ghost", js(t, schemas.NewSigningKey(third, "")))
	bad("adding a key already registered is a duplicate", carrierAdmin, "AddKey",
		fmt.Sprintf(`DUPLICATE: adding key: key %s is already registered to partner %q`, newAddr, s.carrier), s.carrier, js(t, schemas.NewSigningKey(newKey, "")))
	bad("adding a malformed key is invalid", carrierAdmin, "AddKey",
		`INVALID: adding key: field=address value="0x1" rule='0x1' does not match pattern '^0x[0-9a-fA-F]{40}$'`, s.carrier, `{"address":"0x1","publicKey":"0x04"}`)
	bad("rotating a revoked key conflicts", carrierAdmin, "RotateKey",
		fmt.Sprintf(`CONFLICT: rotating key: key %s of partner %q was already revoked at <ledger time>`, oldAddr, s.carrier), s.carrier, oldAddr, js(t, schemas.NewSigningKey(third, "")))
	bad("rotating an unknown key is not found", carrierAdmin, "RotateKey",
		fmt.Sprintf(`NOT_FOUND: rotating key: partner %q has no key %s`, s.carrier, thirdAddr), s.carrier, thirdAddr, js(t, schemas.NewSigningKey(third, "")))
	bad("a partner status must be active or suspended", carrierAdmin, "SetPartnerStatus",
		`INVALID: setting partner status: field=status value="gone" rule=must be active or suspended`, s.carrier, "gone", "x")
	bad("a status change needs a reason", carrierAdmin, "SetPartnerStatus",
		`INVALID: setting partner status: field=reason value="" rule=a status change needs a reason of 1-2000 characters`, s.carrier, "suspended", "")
	bad("setting the current status conflicts", carrierAdmin, "SetPartnerStatus",
		fmt.Sprintf(`CONFLICT: setting partner status: partner %q is already active`, s.carrier), s.carrier, "active", "x")
	bad("a partner ID with a path traversal is invalid", carrierAdmin, "SetPartnerStatus",
		`INVALID: setting partner status: field=partnerId value="../x" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`, "../x", "active", "x")
	bad("getting an unknown partner is not found", carrierUser, "GetPartner", `NOT_FOUND: getting partner: partner "ghost" is not registered`, "ghost")
	bad("getting a partner by an unknown key is not found", carrierUser, "GetPartnerByKey",
		fmt.Sprintf(`NOT_FOUND: getting partner by key: key %s is not registered to any partner`, thirdAddr), thirdAddr)
	ok("governance suspends the carrier", customsAdmin, "SetPartnerStatus", s.carrier, "suspended", "audit")
	suspendedTP := s.incident(46*60+2, "delay", "late unloading")
	require.NoError(t, schemas.SignRecord(newKey, suspendedTP))
	bad("a record from a suspended partner is forbidden", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`FORBIDDEN: recording touchpoint: partner %q is suspended`, s.carrier), tp(suspendedTP))
	ok("the carrier's admin reactivates it", carrierAdmin, "SetPartnerStatus", s.carrier, "active", "audit passed")
	ok("the carrier adds a spare key", carrierAdmin, "AddKey", s.carrier, js(t, schemas.NewSigningKey(third, "spare")))
	ok("the carrier revokes its current key: the handheld was lost", carrierAdmin, "RevokeKey", s.carrier, newAddr, "handheld lost")
	bad("a record signed with the revoked key is forbidden", carrierUser, "RecordTouchpoint",
		fmt.Sprintf(`FORBIDDEN: recording touchpoint: key %s of partner %q was revoked at <ledger time>`, newAddr, s.carrier), tp(suspendedTP))
	ok("a record signed before the revocation stays verified", customsUser, "GetRecord", late.ID)
	expect(func(t *testing.T, raw []byte) {
		assert.Equal(t, schemas.StatusVerified, decode[schemas.TraceItem](t, raw).Status)
	})
	ok("the carrier's key history", customsUser, "History", "partner", s.carrier, "0", "")
	ok("the carrier with all its keys", customsUser, "GetPartner", s.carrier)
	ok("the final trace", customsUser, "Trace", s.shipment, "0", "")

	// ---- Every refused entry of the schema corpus, through the contract.
	steps = append(steps, s.corpusSteps(t)...)

	// ---- The role-to-type matrix: every role not allowed to record a type
	// is refused (chaincode TestRoleMatrix).
	steps = append(steps, s.roleMatrixSteps(t)...)

	// Not played here: "an org without an active partner may not record
	// compliance records". Whether an MSP owns an active partner is a
	// property of the whole channel, and a long-lived Fabric network keeps
	// the partners of earlier runs; the chaincode's own tests cover it.
	return steps
}

// corpusSteps submits every refused example of the schema corpus
// (schemas/testdata/invalid: wrong formats, oversized fields and
// batches, control characters, not JSON) through the transaction that
// takes that kind; the contract must answer INVALID with the corpus's
// field, value and rule.
func (s *scene) corpusSteps(t *testing.T) []scenarioStep {
	t.Helper()
	fnOf := map[string][2]string{
		"partner":     {"RegisterPartner", "registering partner"},
		"shipment":    {"CreateShipment", "creating shipment"},
		"touchpoint":  {"RecordTouchpoint", "recording touchpoint"},
		"declaration": {"SubmitDeclaration", "submitting declaration"},
		"amendment":   {"AmendDeclaration", "amending declaration"},
		"document":    {"AnchorDocument", "anchoring document"},
		"compliance":  {"RecordCompliance", "recording compliance"},
		"signing-key": {"AddKey", "adding key"},
	}
	wd, err := os.Getwd()
	require.NoError(t, err)
	dir := filepath.Join(wd, "..", "schemas", "testdata", "invalid")
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "no refused examples in %s", dir)
	sort.Strings(files)
	var steps []scenarioStep
	for _, f := range files {
		base := strings.TrimSuffix(filepath.Base(f), ".json")
		kind, _, _ := strings.Cut(base, ".")
		fn, ok := fnOf[kind]
		require.True(t, ok, "no transaction takes %s", base)
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		want, err := os.ReadFile(strings.TrimSuffix(f, ".json") + ".err")
		require.NoError(t, err)
		args := []string{string(raw)}
		if kind == "signing-key" {
			args = []string{s.carrier, string(raw)}
		}
		steps = append(steps, scenarioStep{name: "the corpus's " + base + " is refused", who: customsAdmin, fn: fn[0], args: fixed(args...),
			want: "INVALID: " + fn[1] + ": " + strings.TrimSpace(string(want))})
	}
	return steps
}

// roleMatrixSteps registers one single-role partner per role (by the
// governance admin, in CustomsMSP) and submits every touchpoint type the
// matrix forbids to that role.
func (s *scene) roleMatrixSteps(t *testing.T) []scenarioStep {
	t.Helper()
	bodies := map[string]func(min int) *schemas.Touchpoint{
		schemas.TypeContainer: func(m int) *schemas.Touchpoint { return s.box(m, schemas.ContainerGateIn, "NLRTM") },
		schemas.TypeSeal: func(m int) *schemas.Touchpoint {
			return s.sealEvent(m, "HS-"+s.suffix[len(s.suffix)-6:], schemas.SealAffixed, nil)
		},
		schemas.TypeOrigin: func(m int) *schemas.Touchpoint {
			return sdk.OriginTouchpoint(s.shipment, s.at(m), "NLRTM", schemas.OriginCertificate{CertificateNumber: "M-" + s.suffix, Issuer: "x",
				CountryOfOrigin: "NL", HSCode: "080810", DocumentSHA256: sha(s.document), ValidFrom: "2026-01-01", ValidUntil: "2027-01-01"})
		},
		schemas.TypeSensor: func(m int) *schemas.Touchpoint {
			r := []schemas.SensorReading{{Time: s.at(m).Format(time.RFC3339), Temperature: f64(3)}}
			return sdk.SensorTouchpoint(s.shipment, s.at(m), "NLRTM", "solo", r)
		},
		schemas.TypePOD:      func(m int) *schemas.Touchpoint { return s.pod(m) },
		schemas.TypeIncident: func(m int) *schemas.Touchpoint { return s.incident(m, "delay", "late") },
	}
	var steps []scenarioStep
	// Event times well before now: the eventTime check must never be the
	// reason of a refusal here.
	minute := 2850
	for _, role := range schemas.Roles {
		id := "solo-" + role + "-" + s.suffix
		k, err := crypto.GenerateKey()
		require.NoError(t, err)
		p := schemas.Partner{ID: id, MSPID: "CustomsMSP", LegalName: "Single role " + role, Country: "DE", Roles: []string{role},
			Keys: []schemas.SigningKey{schemas.NewSigningKey(k, "")}}
		steps = append(steps, scenarioStep{name: "a partner with the single role " + role + " registers", who: customsAdmin, fn: "RegisterPartner", args: fixed(js(t, p))})
		for _, typ := range schemas.TouchpointTypes {
			body, ok := bodies[typ]
			if !ok || slices.Contains(chaincode.RoleMatrix[typ], role) {
				continue // corrections go by authorship; allowed pairs are not refusals
			}
			minute++
			rec := body(minute)
			require.NoError(t, schemas.SignRecord(k, rec))
			steps = append(steps, scenarioStep{name: fmt.Sprintf("a %s may not record %s", role, typ), who: customsUser, fn: "RecordTouchpoint",
				args: fixed(js(t, rec)),
				want: fmt.Sprintf(`FORBIDDEN: recording touchpoint: partner %q with roles [%s] may not record %s records`, id, role, typ)})
		}
	}
	return steps
}
