package chaincode_test

import (
	"crypto/ecdsa"
	"encoding/json"
	"maps"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"

	"github.com/aeoledger/aeoledger/chaincode"
	"github.com/aeoledger/aeoledger/schemas"
)

// ledgerStart is the fake ledger's clock at the first transaction.
var ledgerStart = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// env is a running contract over a fake ledger with four orgs, their
// identities, registered partners and one booked shipment (SHP-1).
type env struct {
	t    testing.TB
	l    *fakeLedger
	cc   shim.Chaincode
	cas  map[string]*orgCA
	ids  map[string][]byte            // "Exporter/admin", "Carrier/user1", ...
	keys map[string]*ecdsa.PrivateKey // partner ID -> signing key
	evt  int                          // minutes after 08:00 for the next event time

	// IDs created by newSeededEnv.
	seedRecord, seedDecl, seedAmend, seedHit, seedDoc string
}

var orgs = []string{"Exporter", "Carrier", "Issuer", "Customs", "Importer"}

// newBareEnv has identities but no partners.
func newBareEnv(t testing.TB) *env {
	t.Helper()
	cc, err := chaincode.New()
	if err != nil {
		t.Fatalf("building chaincode: %v", err)
	}
	e := &env{t: t, l: newFakeLedger(ledgerStart), cc: cc, cas: map[string]*orgCA{}, ids: map[string][]byte{}, keys: map[string]*ecdsa.PrivateKey{}}
	for _, o := range orgs {
		ca := newOrgCA(t, o+"MSP")
		e.cas[o] = ca
		e.ids[o+"/admin"] = ca.identity(t, "Admin@"+o, []string{"admin"}, nil)
		e.ids[o+"/user1"] = ca.identity(t, "User1@"+o, []string{"client"}, nil)
		e.ids[o+"/user2"] = ca.identity(t, "User2@"+o, []string{"client"}, nil)
	}
	return e
}

// newEnv registers the partners and books SHP-1 (consignor exporter,
// consignee importer, parties carrier and sensor-1, 2..8 °C).
func newEnv(t testing.TB) *env {
	e := newBareEnv(t)
	e.register("Exporter/admin", "exporter", "ExporterMSP", schemas.RoleExporter)
	e.register("Carrier/admin", "carrier", "CarrierMSP", schemas.RoleCarrier, schemas.RoleForwarder)
	e.register("Carrier/admin", "sensor-1", "CarrierMSP", schemas.RoleDevice)
	e.register("Issuer/admin", "issuer", "IssuerMSP", schemas.RoleCertificateIssuer)
	e.register("Customs/admin", "customs", "CustomsMSP", schemas.RoleCustoms)
	e.register("Importer/admin", "importer", "ImporterMSP", schemas.RoleImporter, schemas.RoleBroker)
	e.ok("Exporter/user1", "CreateShipment", e.shipmentJSON("SHP-1", nil))
	return e
}

func (e *env) newKey(partner string) *ecdsa.PrivateKey {
	k, err := crypto.GenerateKey()
	if err != nil {
		e.t.Fatalf("generating key: %v", err)
	}
	e.keys[partner] = k
	return k
}

func (e *env) partnerJSON(id, msp string, roles ...string) string {
	k := e.newKey(id)
	p := schemas.Partner{ID: id, MSPID: msp, LegalName: "Legal " + id, Country: "NL", Roles: roles,
		Keys: []schemas.SigningKey{schemas.NewSigningKey(k, "main")}}
	return mustJSON(e.t, p)
}

func (e *env) register(who, id, msp string, roles ...string) {
	e.ok(who, "RegisterPartner", e.partnerJSON(id, msp, roles...))
}

func (e *env) shipmentJSON(id string, mutate func(*schemas.Shipment)) string {
	s := schemas.Shipment{
		ID:               id,
		Consignor:        schemas.Party{PartnerID: "exporter", Name: "Exporter BV", Country: "NL"},
		Consignee:        schemas.Party{PartnerID: "importer", Name: "Importer Co", Country: "KR"},
		Parties:          []string{"carrier", "sensor-1"},
		Origin:           "NLRTM",
		Destination:      "KRPUS",
		HSCodes:          []string{"847150"},
		Route:            []string{"NLRTM", "SGSIN", "KRPUS"},
		TemperatureRange: &schemas.TemperatureRange{Min: 2, Max: 8},
		PlannedDeparture: "2026-11-28T08:00:00Z",
		PlannedArrival:   "2026-12-20T08:00:00Z",
	}
	if mutate != nil {
		mutate(&s)
	}
	return mustJSON(e.t, s)
}

// nextEventTime returns increasing event times before the ledger clock.
func (e *env) nextEventTime() string {
	e.evt++
	return ledgerStart.Add(-2*time.Hour + time.Duration(e.evt)*time.Minute).Format(time.RFC3339)
}

// touchpoint builds a record of typ on shipment SHP-1 (unless mutate changes
// it) signed by the partner's key.
func (e *env) touchpoint(signer string, body any, mutate func(*schemas.Touchpoint)) *schemas.Touchpoint {
	tp := &schemas.Touchpoint{ShipmentID: "SHP-1", EventTime: e.nextEventTime(), Location: schemas.Location{UNLocode: "NLRTM"}}
	switch b := body.(type) {
	case *schemas.ContainerEvent:
		tp.Type, tp.Container = schemas.TypeContainer, b
	case *schemas.SealEvent:
		tp.Type, tp.Seal = schemas.TypeSeal, b
	case *schemas.OriginCertificate:
		tp.Type, tp.Origin = schemas.TypeOrigin, b
	case *schemas.SensorBatch:
		tp.Type, tp.Sensor = schemas.TypeSensor, b
	case *schemas.ProofOfDelivery:
		tp.Type, tp.POD = schemas.TypePOD, b
	case *schemas.Incident:
		tp.Type, tp.Incident = schemas.TypeIncident, b
	case *schemas.Correction:
		tp.Type, tp.Correction = schemas.TypeCorrection, b
	default:
		e.t.Fatalf("unknown body %T", body)
	}
	if mutate != nil {
		mutate(tp)
	}
	if k := e.keys[signer]; k != nil {
		if err := schemas.SignRecord(k, tp); err != nil {
			e.t.Fatalf("signing: %v", err)
		}
	}
	return tp
}

func container(action string) *schemas.ContainerEvent {
	return &schemas.ContainerEvent{Number: "CSQU3054383", Action: action}
}

func seal(number, action string, vvtt *schemas.VVTT) *schemas.SealEvent {
	return &schemas.SealEvent{Class: schemas.SealHighSecurity, Number: number, ContainerNumber: "CSQU3054383", Action: action, VVTT: vvtt}
}

func f64(v float64) *float64 { return &v }

func sensor(temps ...float64) *schemas.SensorBatch {
	b := &schemas.SensorBatch{DeviceID: "sensor-1"}
	for i, v := range temps {
		b.Readings = append(b.Readings, schemas.SensorReading{
			Time: ledgerStart.Add(-3*time.Hour + time.Duration(i)*time.Minute).Format(time.RFC3339), Temperature: f64(v), Humidity: f64(60)})
	}
	b.Summary = schemas.Summarize(b.Readings)
	return b
}

func pod() *schemas.ProofOfDelivery {
	return &schemas.ProofOfDelivery{Receiver: "Importer Co warehouse", Place: "KRPUS", Time: "2026-11-27T07:00:00Z", Condition: schemas.ConditionGood}
}

func origin() *schemas.OriginCertificate {
	return &schemas.OriginCertificate{CertificateNumber: "NL-2026-000123", Issuer: "Chamber of Commerce Rotterdam", CountryOfOrigin: "NL",
		HSCode: "8471500100", DocumentSHA256: sha("origin-certificate.pdf"), ValidFrom: "2026-11-01", ValidUntil: "2027-11-01"}
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshalling: %v", err)
	}
	return string(b)
}

// call invokes fn as identity who and returns the payload, the error
// message ("" on success) and the transaction's stub.
func (e *env) call(who, fn string, args ...string) (string, string, *fakeStub) {
	e.t.Helper()
	creator, ok := e.ids[who]
	if !ok {
		e.t.Fatalf("no identity %q", who)
	}
	resp, stub := e.l.invoke(e.cc, creator, fn, args...)
	if resp.Status != shim.OK {
		return "", resp.Message, stub
	}
	return string(resp.Payload), "", stub
}

// ok invokes fn and fails the test unless it succeeds.
func (e *env) ok(who, fn string, args ...string) string {
	e.t.Helper()
	out, msg, _ := e.call(who, fn, args...)
	if msg != "" {
		e.t.Fatalf("%s as %s failed: %s", fn, who, msg)
	}
	return out
}

// okInto invokes fn and decodes the result into v.
func (e *env) okInto(v any, who, fn string, args ...string) {
	e.t.Helper()
	out := e.ok(who, fn, args...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		e.t.Fatalf("decoding %s result %s: %v", fn, out, err)
	}
}

// refused invokes fn, asserts the exact error message and that the
// transaction wrote nothing, emitted nothing and left the ledger unchanged.
func (e *env) refused(want, who, fn string, args ...string) {
	e.t.Helper()
	before := e.l.snapshot()
	_, msg, stub := e.call(who, fn, args...)
	if msg != want {
		e.t.Fatalf("%s as %s:\n got error %q\nwant error %q", fn, who, msg, want)
	}
	if len(stub.writes) != 0 {
		e.t.Fatalf("%s wrote %d keys although it failed", fn, len(stub.writes))
	}
	if stub.event != nil {
		e.t.Fatalf("%s set event %q although it failed", fn, stub.event.EventName)
	}
	if !maps.Equal(before, e.l.snapshot()) {
		e.t.Fatalf("%s changed the ledger although it failed", fn)
	}
	if chaincode.ErrorFromMessage(msg) == nil {
		e.t.Fatalf("message %q carries no code word", msg)
	}
}
