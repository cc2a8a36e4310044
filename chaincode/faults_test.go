package chaincode_test

import (
	"encoding/base64"
	"maps"
	"strings"
	"testing"

	"github.com/aeoledger/aeoledger/schemas"
)

// TestStubFailuresWriteNothing injects a failure into each stub method after
// 0, 1, 2, ... successful calls, for every kind of transaction. Each run
// must either succeed or fail with an INTERNAL error that leaves the ledger
// unchanged: a failing peer never half-records evidence.
func TestStubFailuresWriteNothing(t *testing.T) {
	methods := []string{"GetTxTimestamp", "GetState", "GetMultipleStates", "PutState", "SetEvent", "GetStateByPartialCompositeKey",
		"GetStateByPartialCompositeKeyWithPagination", "GetHistoryForKey"}
	type tx struct {
		name string
		who  string
		fn   string
		args func(e *env) []string
	}
	content := []byte("invoice bytes")
	txs := []tx{
		{"register partner", "Carrier/admin", "RegisterPartner", func(e *env) []string { return []string{e.partnerJSON("p9", "CarrierMSP", "carrier")} }},
		{"add key", "Carrier/admin", "AddKey", func(e *env) []string {
			k := e.newKey("spare")
			return []string{"carrier", mustJSON(t, schemas.NewSigningKey(k, ""))}
		}},
		{"create shipment", "Exporter/user1", "CreateShipment", func(e *env) []string { return []string{e.shipmentJSON("SHP-9", nil)} }},
		{"record a seal removal with its incident", "Carrier/user1", "RecordTouchpoint", func(e *env) []string {
			return []string{mustJSON(t, e.touchpoint("carrier", seal("HS-123456", "removed", nil), nil))}
		}},
		{"record a correction", "Carrier/user1", "RecordTouchpoint", func(e *env) []string {
			return []string{mustJSON(t, e.touchpoint("carrier", &schemas.Correction{Corrects: e.seedRecord, Reason: "x"}, nil))}
		}},
		{"submit a declaration", "Importer/user1", "SubmitDeclaration", func(e *env) []string { return []string{mustJSON(t, customsRows(t, 2)[1])} }},
		{"amend a declaration", "Importer/user1", "AmendDeclaration", func(e *env) []string {
			return []string{mustJSON(t, schemas.Amendment{DeclarationID: e.seedDecl, Field: "hsCode", OldValue: "8471500100", NewValue: "847150", Reason: "x"})}
		}},
		{"approve an amendment", "Importer/user2", "ApproveAmendment", func(e *env) []string { return []string{e.seedDecl, e.seedAmend} }},
		{"reject an amendment", "Importer/user2", "RejectAmendment", func(e *env) []string { return []string{e.seedDecl, e.seedAmend, "no"} }},
		{"anchor a document", "Issuer/user1", "AnchorDocument", func(e *env) []string {
			return []string{mustJSON(t, schemas.DocumentAnchor{SHA256: sha(string(content)), DocType: "invoice", Owner: "issuer", MediaType: "application/pdf", Size: int64(len(content)), ShipmentID: "SHP-1", DeclarationID: e.seedDecl})}
		}},
		{"clear a screening hit", "Customs/user1", "RecordCompliance", func(e *env) []string {
			return []string{mustJSON(t, schemas.ComplianceRecord{Kind: "screening-clearance", SubjectType: "shipment", SubjectID: "SHP-1", CreatedAt: "2026-11-27T09:00:00Z", RefersTo: e.seedHit, Officer: "O", Reason: "R"})}
		}},
		{"score a declaration", "Customs/user1", "RecordCompliance", func(e *env) []string {
			return []string{mustJSON(t, schemas.ComplianceRecord{Kind: "anomaly-score", SubjectType: "declaration", SubjectID: e.seedDecl, CreatedAt: "2026-11-27T09:00:00Z", Score: f64(3), Reasons: []string{"ok"}})}
		}},
		{"trace", "Customs/user1", "Trace", func(e *env) []string { return []string{"SHP-1", "0", ""} }},
		{"records by seal", "Customs/user1", "RecordsBySeal", func(e *env) []string { return []string{"HS-123456", "0", ""} }},
		{"get record", "Customs/user1", "GetRecord", func(e *env) []string { return []string{e.seedRecord} }},
		{"history of a record", "Customs/user1", "History", func(e *env) []string { return []string{"record", e.seedRecord, "0", ""} }},
		{"list shipments", "Customs/user1", "ListShipmentsByParty", func(e *env) []string { return []string{"carrier", "0", ""} }},
		{"list partners", "Customs/user1", "ListPartners", func(e *env) []string { return []string{"0", ""} }},
		{"list amendments", "Customs/user1", "ListAmendments", func(e *env) []string { return []string{e.seedDecl, "0", ""} }},
		{"list compliance", "Customs/user1", "ListCompliance", func(e *env) []string { return []string{"SHP-1", "0", ""} }},
		{"get compliance", "Customs/user1", "GetCompliance", func(e *env) []string { return []string{e.seedHit} }},
		{"get shipment", "Customs/user1", "GetShipment", func(e *env) []string { return []string{"SHP-1"} }},
		{"get declaration", "Customs/user1", "GetDeclaration", func(e *env) []string { return []string{e.seedDecl} }},
		{"get partner", "Customs/user1", "GetPartner", func(e *env) []string { return []string{"carrier"} }},
		{"get partner by key", "Customs/user1", "GetPartnerByKey", func(e *env) []string { return []string{schemas.NewSigningKey(e.keys["carrier"], "").Address} }},
		{"verify a document", "Customs/user1", "VerifyDocument", func(e *env) []string {
			return []string{e.seedDoc, base64.StdEncoding.EncodeToString([]byte("seed document"))}
		}},
	}
	for _, tc := range txs {
		t.Run(tc.name, func(t *testing.T) {
			e := newSeededEnv(t)
			args := tc.args(e)
			for _, m := range methods {
				for n := 0; n < 40; n++ {
					e.l.faults = map[string]int{m: n}
					before := e.l.snapshot()
					_, msg, stub := e.call(tc.who, tc.fn, args...)
					e.l.faults = nil
					if msg == "" {
						// Enough successful calls: the transaction went through.
						// Undo it so the next method starts from the same ledger.
						if !strings.HasPrefix(tc.fn, "Get") && !strings.HasPrefix(tc.fn, "List") && tc.fn != "Trace" && tc.fn != "RecordsBySeal" && tc.fn != "History" && tc.fn != "VerifyDocument" {
							e.l.mu.Lock()
							e.l.state = map[string][]byte{}
							maps.Copy(e.l.state, toBytes(before))
							e.l.mu.Unlock()
						}
						break
					}
					if !strings.HasPrefix(msg, "INTERNAL: ") || !strings.Contains(msg, "injected "+m+" failure") {
						t.Fatalf("%s failing after %d calls: %s", m, n, msg)
					}
					if stub.event != nil && m != "SetEvent" {
						t.Fatalf("%s failing after %d calls still set an event", m, n)
					}
					if !maps.Equal(before, e.l.snapshot()) {
						t.Fatalf("%s failing after %d calls changed the ledger", m, n)
					}
				}
			}
		})
	}
}

func toBytes(m map[string]string) map[string][]byte {
	out := make(map[string][]byte, len(m))
	for k, v := range m {
		out[k] = []byte(v)
	}
	return out
}

// newSeededEnv adds a record, a declaration with a pending amendment, an
// open screening hit and an anchored document to newEnv.
func newSeededEnv(t *testing.T) *env {
	e := newEnv(t)
	e.record(e.touchpoint("carrier", seal("HS-123456", "affixed", nil), nil))
	res := e.record(e.touchpoint("carrier", container("gate-in"), nil))
	e.seedRecord = res.Records[0].Record.ID
	e.record(e.touchpoint("carrier", &schemas.Correction{Corrects: e.seedRecord, Reason: "first fix"}, nil))
	d := customsRows(t, 1)[0]
	d.HSCode = "8471500100"
	e.ok("Importer/user1", "SubmitDeclaration", mustJSON(t, d))
	e.seedDecl = d.ID
	var a schemas.Amendment
	e.okInto(&a, "Importer/user1", "AmendDeclaration", mustJSON(t, schemas.Amendment{DeclarationID: d.ID, Field: "hsCode", OldValue: "8471500100", NewValue: "8471500150", Reason: "BTI"}))
	e.seedAmend = a.ID
	e.seedHit = e.screeningHit("SHP-1").ID
	doc := []byte("seed document")
	e.ok("Exporter/user1", "AnchorDocument", mustJSON(t, schemas.DocumentAnchor{SHA256: sha(string(doc)), DocType: "invoice", Owner: "exporter", MediaType: "text/plain", Size: int64(len(doc))}))
	e.seedDoc = sha(string(doc))
	return e
}

func TestCallerWithoutIdentityIsForbidden(t *testing.T) {
	e := newEnv(t)
	e.ids["nobody"] = []byte("not a serialized identity")
	for _, fn := range []string{"CreateShipment", "SubmitDeclaration", "RecordCompliance", "RegisterPartner"} {
		t.Run(fn, func(t *testing.T) {
			e.t = t
			arg := map[string]string{
				"CreateShipment":    e.shipmentJSON("SHP-7", nil),
				"SubmitDeclaration": mustJSON(t, customsRows(t, 1)[0]),
				"RecordCompliance":  mustJSON(t, schemas.ComplianceRecord{Kind: "incident", SubjectType: "archive", SubjectID: "a", CreatedAt: "2026-11-27T09:00:00Z", Message: "m"}),
				"RegisterPartner":   e.partnerJSON("p7", "CarrierMSP", "carrier"),
			}[fn]
			_, msg, stub := e.call("nobody", fn, arg)
			if !strings.Contains(msg, "FORBIDDEN: ") || !strings.Contains(msg, "the transaction carries no usable client identity") || len(stub.writes) != 0 {
				t.Fatalf("got %q", msg)
			}
		})
	}
}
