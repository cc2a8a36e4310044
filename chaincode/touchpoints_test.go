package chaincode_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"github.com/aeoledger/aeoledger/schemas"
)

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// record submits a signed touchpoint as the carrier's user and expects success.
func (e *env) record(tp *schemas.Touchpoint) schemas.RecordResult {
	e.t.Helper()
	var res schemas.RecordResult
	e.okInto(&res, "Carrier/user1", "RecordTouchpoint", mustJSON(e.t, tp))
	return res
}

func TestRecordTouchpointRefusesBadRecords(t *testing.T) {
	cases := []struct {
		name  string
		setup func(e *env) string // returns the record JSON to submit
		want  string
	}{
		{"a container number with a wrong check digit is invalid", func(e *env) string {
			return mustJSON(t, e.touchpoint("carrier", &schemas.ContainerEvent{Number: "CSQU3054384", Action: "gate-in"}, nil))
		}, `INVALID: recording touchpoint: field=container.number value="CSQU3054384" rule=ISO 6346 check digit must be 3`},
		{"a container number of the wrong length is invalid", func(e *env) string {
			return mustJSON(t, e.touchpoint("carrier", &schemas.ContainerEvent{Number: "CSQU305438", Action: "gate-in"}, nil))
		}, `INVALID: recording touchpoint: field=container.number value="CSQU305438" rule=must have at least 11 characters, got 10`},
		{"a record that is not JSON is invalid", func(e *env) string { return "{not json" },
			`INVALID: recording touchpoint: field= value="{not json" rule=must be one valid JSON document`},
		{"an unknown field is refused", func(e *env) string {
			raw := mustJSON(t, e.touchpoint("carrier", container("gate-in"), nil))
			return strings.Replace(raw, `{"id"`, `{"colour":"red","id"`, 1)
		}, `INVALID: recording touchpoint: field=colour value="" rule=is not a known field`},
		{"a record carrying two bodies is invalid", func(e *env) string {
			return mustJSON(t, e.touchpoint("carrier", container("gate-in"), func(tp *schemas.Touchpoint) { tp.POD = pod() }))
		}, `INVALID: recording touchpoint: field=pod value="present" rule=a container record must not carry a pod body`},
		{"a partner may not submit a generated incident", func(e *env) string {
			return mustJSON(t, e.touchpoint("carrier", &schemas.Incident{Cause: "damage", Description: "dent", Generated: true}, nil))
		}, `INVALID: recording touchpoint: field=incident.generated value="true" rule=only the contract creates generated incidents`},
		{"an unsigned record is refused", func(e *env) string {
			return mustJSON(t, e.touchpoint("nobody", container("gate-in"), func(tp *schemas.Touchpoint) { tp.Signer = "0x0000000000000000000000000000000000000001" }))
		}, `BAD_SIGNATURE: recording touchpoint: field=signature is missing`},
		{"a record changed after signing fails its id check", func(e *env) string {
			tp := e.touchpoint("carrier", container("gate-in"), nil)
			tp.Container.Action = "gate-out"
			return mustJSON(t, tp)
		}, `BAD_SIGNATURE: recording touchpoint: bad signature: id "ID" is not the hash of the record's canonical form (NEWID)`},
		{"a record signed by another key than its signer is refused", func(e *env) string {
			tp := e.touchpoint("carrier", container("gate-in"), nil)
			digest, _ := hex.DecodeString(tp.ID)
			tp.Signature, _ = schemas.SignDigest(e.keys["exporter"], digest)
			return mustJSON(t, tp)
		}, `BAD_SIGNATURE: recording touchpoint: bad signature: signature recovers to EXPORTER, not signer CARRIER`},
		{"a record signed by an unregistered key is forbidden", func(e *env) string {
			e.newKey("stranger")
			return mustJSON(t, e.touchpoint("stranger", container("gate-in"), nil))
		}, `FORBIDDEN: recording touchpoint: signer STRANGER is not a registered partner key`},
		{"a record signed with a revoked key is forbidden", func(e *env) string {
			addr := schemas.NewSigningKey(e.keys["carrier"], "").Address
			e.ok("Carrier/admin", "RevokeKey", "carrier", addr, "handheld lost")
			return mustJSON(t, e.touchpoint("carrier", container("gate-in"), nil))
		}, `FORBIDDEN: recording touchpoint: key CARRIER of partner "carrier" was revoked at 2026-11-27T10:00:08.000000000Z`},
		{"a record from a suspended partner is forbidden", func(e *env) string {
			e.ok("Carrier/admin", "SetPartnerStatus", "carrier", "suspended", "audit pending")
			return mustJSON(t, e.touchpoint("carrier", container("gate-in"), nil))
		}, `FORBIDDEN: recording touchpoint: partner "carrier" is suspended`},
		{"a device may not record a seal", func(e *env) string {
			return mustJSON(t, e.touchpoint("sensor-1", seal("HS-123456", "affixed", nil), nil))
		}, `FORBIDDEN: recording touchpoint: partner "sensor-1" with roles [device] may not record seal records (allowed: carrier, forwarder, terminal, customs)`},
		{"an exporter may not sign an origin certificate", func(e *env) string {
			return mustJSON(t, e.touchpoint("exporter", origin(), nil))
		}, `FORBIDDEN: recording touchpoint: partner "exporter" with roles [exporter] may not record origin records (allowed: certificate-issuer)`},
		{"an exporter that is not the consignee may not record a POD", func(e *env) string {
			return mustJSON(t, e.touchpoint("exporter", pod(), nil))
		}, `FORBIDDEN: recording touchpoint: partner "exporter" with roles [exporter] may not record pod records (allowed: carrier or the shipment's consignee)`},
		{"an issuer not named on the shipment may not record an incident", func(e *env) string {
			return mustJSON(t, e.touchpoint("issuer", &schemas.Incident{Cause: "damage", Description: "dent"}, nil))
		}, `FORBIDDEN: recording touchpoint: partner "issuer" with roles [certificate-issuer] may not record incident records (allowed: carrier, forwarder, terminal, customs, device, broker or the shipment's consignor or consignee)`},
		{"a partner may not correct another partner's record", func(e *env) string {
			res := e.record(e.touchpoint("carrier", container("gate-in"), nil))
			return mustJSON(t, e.touchpoint("exporter", &schemas.Correction{Corrects: res.Records[0].Record.ID, Reason: "wrong gate"}, nil))
		}, `FORBIDDEN: recording touchpoint: partner "exporter" may not correct record CORRECTED signed by partner "carrier"`},
		{"a record for an unknown shipment is not found", func(e *env) string {
			return mustJSON(t, e.touchpoint("carrier", container("gate-in"), func(tp *schemas.Touchpoint) { tp.ShipmentID = "SHP-404" }))
		}, `NOT_FOUND: recording touchpoint: shipment "SHP-404" does not exist`},
		{"a correction of an unknown record is not found", func(e *env) string {
			return mustJSON(t, e.touchpoint("carrier", &schemas.Correction{Corrects: sha("nothing"), Reason: "typo"}, nil))
		}, `NOT_FOUND: recording touchpoint: record ` + sha("nothing") + ` to correct is not on shipment "SHP-1"`},
		{"a seal verified before it was affixed conflicts", func(e *env) string {
			return mustJSON(t, e.touchpoint("carrier", seal("HS-123456", "verified", &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true}), nil))
		}, `CONFLICT: recording touchpoint: seal HS-123456 is verified before it was affixed on shipment "SHP-1"`},
		{"a seal affixed twice conflicts", func(e *env) string {
			e.record(e.touchpoint("carrier", seal("HS-123456", "affixed", nil), nil))
			return mustJSON(t, e.touchpoint("carrier", seal("HS-123456", "affixed", nil), nil))
		}, `CONFLICT: recording touchpoint: seal HS-123456 is already affixed on shipment "SHP-1"`},
		{"a removed seal cannot be verified", func(e *env) string {
			e.record(e.touchpoint("carrier", seal("HS-123456", "affixed", nil), nil))
			e.record(e.touchpoint("carrier", seal("HS-123456", "removed", nil), nil))
			return mustJSON(t, e.touchpoint("carrier", seal("HS-123456", "verified", &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true}), nil))
		}, `CONFLICT: recording touchpoint: seal HS-123456 was already removed on shipment "SHP-1"; it cannot be verified`},
		{"only incidents and corrections follow a POD", func(e *env) string {
			e.record(e.touchpoint("importer", pod(), nil))
			return mustJSON(t, e.touchpoint("carrier", container("gate-out"), nil))
		}, `CONFLICT: recording touchpoint: shipment "SHP-1" was delivered (POD PODID); only incidents and corrections may follow, not container`},
		{"an open screening hit blocks loading", func(e *env) string {
			e.screeningHit("SHP-1")
			return mustJSON(t, e.touchpoint("carrier", container("loaded"), nil))
		}, `CONFLICT: recording touchpoint: shipment "SHP-1" is blocked by screening hit HIT until cleared; container may not be loaded`},
		{"an open screening hit blocks the POD", func(e *env) string {
			e.screeningHit("SHP-1")
			return mustJSON(t, e.touchpoint("carrier", pod(), nil))
		}, `CONFLICT: recording touchpoint: shipment "SHP-1" is blocked by screening hit HIT until cleared; no POD`},
		{"a replayed record is a duplicate", func(e *env) string {
			tp := e.touchpoint("carrier", container("gate-in"), nil)
			e.record(tp)
			return mustJSON(t, tp)
		}, `DUPLICATE: recording touchpoint: record REC is already on the ledger`},
		{"an event time more than five minutes after the transaction is invalid", func(e *env) string {
			return mustJSON(t, e.touchpoint("carrier", container("gate-in"), func(tp *schemas.Touchpoint) { tp.EventTime = "2026-11-27T10:06:00Z" }))
		}, `INVALID: recording touchpoint: field=eventTime value="2026-11-27T10:06:00Z" rule=must not be more than 5m0s after the transaction time TXTIME`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			raw := tc.setup(e)
			want := e.expand(tc.want, raw)
			e.refused(want, "Carrier/user1", "RecordTouchpoint", raw)
		})
	}
}

// expand fills placeholders in an expected message with values only known
// at run time (keys, record IDs, the next transaction time).
func (e *env) expand(want, raw string) string {
	var tp schemas.Touchpoint
	_ = json.Unmarshal([]byte(raw), &tp)
	var r []string
	if tp.ID != "" {
		r = append(r, "NEWID", mustID(e.t, &tp), `"ID"`, `"`+tp.ID+`"`, "REC", tp.ID)
		if tp.Correction != nil {
			r = append(r, "CORRECTED", tp.Correction.Corrects)
		}
	}
	for name, k := range e.keys {
		r = append(r, strings.ToUpper(strings.ReplaceAll(name, "-", "")), schemas.NewSigningKey(k, "").Address)
	}
	if st := e.state("SHP-1"); st != nil {
		r = append(r, "PODID", st.DeliveredBy)
		if len(st.OpenHits) > 0 {
			r = append(r, "HIT", st.OpenHits[0])
		}
	}
	r = append(r, "TXTIME", e.nextTxTime()) // after the state lookup, which is a transaction too
	return strings.NewReplacer(r...).Replace(want)
}

func mustID(t testing.TB, tp *schemas.Touchpoint) string {
	id, err := schemas.RecordID(tp)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (e *env) nextTxTime() string {
	return e.l.clock.Add(1e9).UTC().Format("2006-01-02T15:04:05.000000000Z")
}

func (e *env) state(shipment string) *schemas.ShipmentState {
	out, msg, _ := e.call("Exporter/user1", "GetShipment", shipment)
	if msg != "" {
		return nil
	}
	var v schemas.ShipmentView
	_ = json.Unmarshal([]byte(out), &v)
	return &v.State
}

func (e *env) screeningHit(shipment string) schemas.ComplianceRecord {
	var r schemas.ComplianceRecord
	e.okInto(&r, "Customs/user1", "RecordCompliance", mustJSON(e.t, schemas.ComplianceRecord{
		Kind: schemas.KindScreeningHit, SubjectType: "shipment", SubjectID: shipment, CreatedAt: "2026-11-27T09:00:00Z",
		Screening: &schemas.ScreeningMatch{PartyRole: "consignee", QueriedName: "Importer Co", MatchedName: "IMPORTER COMPANY",
			ListName: "OFAC-SDN", EntryID: "12345", Score: 0.93}}))
	return r
}
