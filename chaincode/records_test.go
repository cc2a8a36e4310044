package chaincode_test

import (
	"encoding/base64"
	"encoding/csv"
	"fmt"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aeoledger/aeoledger/schemas"
)

func TestShipments(t *testing.T) {
	cases := []struct {
		name string
		who  string
		raw  func(e *env) string
		want string
	}{
		{"a partner named on the shipment may book it", "Carrier/user1", func(e *env) string { return e.shipmentJSON("SHP-2", nil) }, ""},
		{"the governance admin may book any shipment", "Customs/admin", func(e *env) string { return e.shipmentJSON("SHP-2", nil) }, ""},
		{"an org not named on the shipment may not book it", "Issuer/user1", func(e *env) string { return e.shipmentJSON("SHP-2", nil) },
			`FORBIDDEN: creating shipment: IssuerMSP owns no active partner among the shipment's consignor, consignee and parties`},
		{"a shipment naming an unknown partner is not found", "Exporter/user1", func(e *env) string {
			return e.shipmentJSON("SHP-2", func(s *schemas.Shipment) { s.Parties = []string{"ghost"} })
		}, `NOT_FOUND: creating shipment: partner "ghost" is not registered`},
		{"a shipment ID in use is a duplicate", "Exporter/user1", func(e *env) string { return e.shipmentJSON("SHP-1", nil) },
			`DUPLICATE: creating shipment: shipment "SHP-1" already exists`},
		{"an unknown UN/LOCODE country is invalid", "Exporter/user1", func(e *env) string {
			return e.shipmentJSON("SHP-2", func(s *schemas.Shipment) { s.Origin = "XXRTM" })
		}, `INVALID: creating shipment: field=origin value="XXRTM" rule=UN/LOCODE must start with an ISO 3166-1 country code`},
		{"an HS code in the reserved chapter 77 is invalid", "Exporter/user1", func(e *env) string {
			return e.shipmentJSON("SHP-2", func(s *schemas.Shipment) { s.HSCodes = []string{"770100"} })
		}, `INVALID: creating shipment: field=hsCodes[0] value="770100" rule=HS chapter 77 does not exist (valid: 01-97 except 77)`},
		{"an arrival before the departure is invalid", "Exporter/user1", func(e *env) string {
			return e.shipmentJSON("SHP-2", func(s *schemas.Shipment) { s.PlannedArrival = "2026-01-01T00:00:00Z" })
		}, `INVALID: creating shipment: field=plannedArrival value="2026-01-01T00:00:00Z" rule=must not be before plannedDeparture 2026-11-28T08:00:00Z`},
		{"an inverted temperature range is invalid", "Exporter/user1", func(e *env) string {
			return e.shipmentJSON("SHP-2", func(s *schemas.Shipment) { s.TemperatureRange = &schemas.TemperatureRange{Min: 8, Max: 2} })
		}, `INVALID: creating shipment: field=temperatureRange.max value="2" rule=must not be below temperatureRange.min 8`},
		{"createdBy is set by the contract", "Exporter/user1", func(e *env) string {
			return e.shipmentJSON("SHP-2", func(s *schemas.Shipment) { s.CreatedAt = "2026-01-01T00:00:00Z" })
		}, `INVALID: creating shipment: field=createdBy value="2026-01-01T00:00:00Z" rule=createdBy and createdAt are set by the contract`},
		{"getting an unknown shipment is not found", "Exporter/user1", nil, `NOT_FOUND: getting shipment: shipment "SHP-404" does not exist`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if tc.raw == nil {
				e.refused(tc.want, tc.who, "GetShipment", "SHP-404")
				return
			}
			raw := tc.raw(e)
			if tc.want != "" {
				e.refused(tc.want, tc.who, "CreateShipment", raw)
				return
			}
			e.ok(tc.who, "CreateShipment", raw)
			var v schemas.ShipmentView
			e.okInto(&v, tc.who, "GetShipment", "SHP-2")
			if v.State.Status != "booked" || v.Shipment.CreatedBy == nil || v.Shipment.CreatedAt == "" {
				t.Fatalf("booked shipment %+v", v)
			}
		})
	}
}

func TestListShipmentsByParty(t *testing.T) {
	e := newEnv(t)
	for i := 2; i <= 5; i++ {
		e.ok("Exporter/user1", "CreateShipment", e.shipmentJSON(fmt.Sprintf("SHP-%d", i), func(s *schemas.Shipment) {
			if i%2 == 0 {
				s.Parties = nil
			}
		}))
	}
	cases := []struct {
		name, partner string
		want          int
	}{
		{"the consignor sees all its shipments", "exporter", 5},
		{"a carrier sees the shipments it is party to", "carrier", 3},
		{"an unrelated partner sees none", "issuer", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			got, bookmark := 0, ""
			for {
				var page schemas.Page[schemas.Shipment]
				e.okInto(&page, "Customs/user1", "ListShipmentsByParty", tc.partner, "2", bookmark)
				got += page.Count
				if page.Bookmark == "" {
					break
				}
				bookmark = page.Bookmark
			}
			if got != tc.want {
				t.Fatalf("listed %d shipments, want %d", got, tc.want)
			}
		})
	}
}

// repoRoot is the module root (the parent of this package).
func repoRoot(t *testing.T) string {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(wd)
}

// customsRows reads the first n declarations of the shared customs data set.
func customsRows(t *testing.T, n int) []*schemas.Declaration {
	path := shareddata.Path(t, "customs", "train.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("opening the customs data set: %v", err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	var out []*schemas.Declaration
	for len(out) < n {
		row, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		d, err := schemas.DeclarationFromCSV(header, row)
		if err != nil {
			t.Fatalf("row %d: %v", len(out)+1, err)
		}
		out = append(out, d)
	}
	return out
}

func TestDeclarationsAndAmendments(t *testing.T) {
	e := newEnv(t)
	decls := customsRows(t, 3)
	d := decls[0]
	d.HSCode = "8471500100"
	e.ok("Importer/user1", "SubmitDeclaration", mustJSON(t, d))

	var a schemas.Amendment
	e.okInto(&a, "Importer/user1", "AmendDeclaration", mustJSON(t, schemas.Amendment{
		DeclarationID: d.ID, Field: "hsCode", OldValue: "8471500100", NewValue: "8471500150", Reason: "binding tariff information BTI-2026-17"}))
	if a.Status != "pending" || a.ID == "" || a.ProposedBy == nil || !strings.Contains(a.ProposedBy.ID, "User1@Importer") {
		t.Fatalf("proposed amendment %+v", a)
	}
	var got schemas.Declaration
	e.okInto(&got, "Customs/user1", "GetDeclaration", d.ID)
	if got.HSCode != "8471500100" {
		t.Fatalf("a pending amendment changed the declaration to %s", got.HSCode)
	}

	cases := []struct {
		name string
		who  string
		fn   string
		args []string
		want string
	}{
		{"the proposer cannot approve its own amendment", "Importer/user1", "ApproveAmendment", []string{d.ID, a.ID},
			`FORBIDDEN: approving amendment: x509::CN=User1@Importer,OU=client,O=ImporterMSP::CN=ca.importermsp,O=ImporterMSP proposed amendment ` + a.ID + ` and cannot approve it; a second identity of ImporterMSP must`},
		{"another org cannot approve the amendment", "Customs/admin", "ApproveAmendment", []string{d.ID, a.ID},
			`FORBIDDEN: approving amendment: only an identity of ImporterMSP may decide amendment ` + a.ID + `, not CustomsMSP`},
		{"approving an unknown amendment is not found", "Importer/user2", "ApproveAmendment", []string{d.ID, sha("x")},
			`NOT_FOUND: approving amendment: amendment ` + sha("x") + ` of declaration "` + d.ID + `" does not exist`},
		{"an amendment with a stale old value conflicts", "Importer/user1", "AmendDeclaration", []string{mustJSON(t, schemas.Amendment{
			DeclarationID: d.ID, Field: "hsCode", OldValue: "847150", NewValue: "8471500150", Reason: "x"})},
			`CONFLICT: amending declaration: declaration "` + d.ID + `" field hsCode is "8471500100", not oldValue "847150"`},
		{"an amendment to an invalid HS code is invalid", "Importer/user1", "AmendDeclaration", []string{mustJSON(t, schemas.Amendment{
			DeclarationID: d.ID, Field: "hsCode", OldValue: "8471500100", NewValue: "9999999999", Reason: "x"})},
			`INVALID: amending declaration: field=newValue value="9999999999" rule=HS chapter 99 does not exist (valid: 01-97 except 77)`},
		{"an amendment of an unknown field is invalid", "Importer/user1", "AmendDeclaration", []string{mustJSON(t, schemas.Amendment{
			DeclarationID: d.ID, Field: "id", OldValue: d.ID, NewValue: "X", Reason: "x"})},
			`INVALID: amending declaration: field=field value="id" rule=value must be one of 'date', 'officeId', 'processType', 'importType', 'importUse', 'paymentType', 'modeOfTransport', 'declarantId', 'importerId', 'sellerId', 'courierId', 'hsCode', 'countryOfDeparture', 'countryOfOrigin', 'taxRate', 'taxType', 'originIndicator', 'netMass', 'itemPrice', 'shipmentId'`},
		{"an amendment by an unrelated org is forbidden", "Exporter/user1", "AmendDeclaration", []string{mustJSON(t, schemas.Amendment{
			DeclarationID: d.ID, Field: "taxRate", OldValue: "0", NewValue: "8", Reason: "x"})},
			`FORBIDDEN: amending declaration "` + d.ID + `": ExporterMSP has no active partner with role customs and may not amend declarations of other orgs`},
		{"an amendment of an unknown declaration is not found", "Importer/user1", "AmendDeclaration", []string{mustJSON(t, schemas.Amendment{
			DeclarationID: "D-404", Field: "taxRate", OldValue: "0", NewValue: "8", Reason: "x"})},
			`NOT_FOUND: amending declaration: declaration "D-404" does not exist`},
		{"contract-set amendment fields are refused", "Importer/user1", "AmendDeclaration", []string{mustJSON(t, schemas.Amendment{
			DeclarationID: d.ID, Field: "taxRate", OldValue: "0", NewValue: "8", Reason: "x", Status: "approved"})},
			`INVALID: amending declaration: field=id value="" rule=id, proposedBy, proposedAt, status, approvals and rejection are set by the contract`},
		{"a declaration submitted twice is a duplicate", "Importer/user1", "SubmitDeclaration", []string{mustJSON(t, d)},
			`DUPLICATE: submitting declaration: declaration "` + d.ID + `" already exists`},
		{"an org without importer, broker or customs role may not declare", "Carrier/user1", "SubmitDeclaration", []string{mustJSON(t, decls[1])},
			`FORBIDDEN: submitting declaration: CarrierMSP has no active partner with role importer or broker or customs and may not submit declarations`},
		{"a declaration with an unknown country is invalid", "Importer/user1", "SubmitDeclaration", []string{strings.Replace(mustJSON(t, decls[1]), `"countryOfOrigin":"`+decls[1].CountryOfOrigin, `"countryOfOrigin":"QQ`, 1)},
			`INVALID: submitting declaration: field=countryOfOrigin value="QQ" rule=must be an ISO 3166-1 alpha-2 country code`},
		{"a declaration for an unknown shipment is not found", "Importer/user1", "SubmitDeclaration", []string{mustJSON(t, func() *schemas.Declaration { c := *decls[1]; c.ShipmentID = "SHP-404"; return &c }())},
			`NOT_FOUND: submitting declaration: shipment "SHP-404" does not exist`},
		{"a rejection needs a reason", "Importer/user2", "RejectAmendment", []string{d.ID, a.ID, ""},
			`INVALID: rejecting amendment: field=reason value="" rule=a rejection needs a reason of 1-2000 characters`},
		{"getting an unknown declaration is not found", "Importer/user2", "GetDeclaration", []string{"D-404"},
			`NOT_FOUND: getting declaration: declaration "D-404" does not exist`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.refused(tc.want, tc.who, tc.fn, tc.args...)
		})
	}
	e.t = t

	var approved schemas.Amendment
	e.okInto(&approved, "Importer/user2", "ApproveAmendment", d.ID, a.ID)
	if approved.Status != "approved" || len(approved.Approvals) != 1 || !strings.Contains(approved.Approvals[0].By.ID, "User2@Importer") {
		t.Fatalf("approved amendment %+v", approved)
	}
	e.okInto(&got, "Customs/user1", "GetDeclaration", d.ID)
	if got.HSCode != "8471500150" {
		t.Fatalf("approved amendment left HS code %s", got.HSCode)
	}
	e.refused(`CONFLICT: approving amendment: amendment `+a.ID+` is already approved`, "Importer/admin", "ApproveAmendment", d.ID, a.ID)

	// A second amendment goes stale when the first changes the value, and a
	// third is rejected.
	var stale, rej schemas.Amendment
	e.okInto(&stale, "Importer/user1", "AmendDeclaration", mustJSON(t, schemas.Amendment{DeclarationID: d.ID, Field: "taxRate", OldValue: fmt.Sprint(d.TaxRate), NewValue: "8", Reason: "rate"}))
	e.okInto(&rej, "Importer/user1", "AmendDeclaration", mustJSON(t, schemas.Amendment{DeclarationID: d.ID, Field: "taxRate", OldValue: fmt.Sprint(d.TaxRate), NewValue: "9", Reason: "rate"}))
	e.okInto(&rej, "Importer/user2", "RejectAmendment", d.ID, rej.ID, "wrong rate")
	if rej.Status != "rejected" || rej.Rejection == nil || rej.Rejection.Reason != "wrong rate" {
		t.Fatalf("rejected amendment %+v", rej)
	}
	e.ok("Customs/user1", "AmendDeclaration", mustJSON(t, schemas.Amendment{DeclarationID: d.ID, Field: "taxRate", OldValue: fmt.Sprint(d.TaxRate), NewValue: "10", Reason: "customs ruling"}))
	var list schemas.Page[schemas.Amendment]
	e.okInto(&list, "Customs/user1", "ListAmendments", d.ID, "0", "")
	if list.Count != 4 {
		t.Fatalf("listed %d amendments, want 4", list.Count)
	}
	var hist schemas.Page[schemas.HistoryEntry]
	e.okInto(&hist, "Customs/user1", "History", "declaration", d.ID, "0", "")
	if hist.Count != 2 || !strings.Contains(fmt.Sprint(hist.Items[0].Value), "8471500100") || !strings.Contains(fmt.Sprint(hist.Items[1].Value), "8471500150") {
		t.Fatalf("declaration history %+v", hist)
	}
	e.okInto(&hist, "Customs/user1", "History", "amendment", d.ID+"/"+a.ID, "0", "")
	if hist.Count != 2 {
		t.Fatalf("amendment history has %d versions, want 2 (pending, approved)", hist.Count)
	}
}

func TestDocuments(t *testing.T) {
	e := newEnv(t)
	content := []byte("%PDF-1.7 certificate of origin NL-2026-000123")
	anchor := schemas.DocumentAnchor{SHA256: sha(string(content)), DocType: "certificate-of-origin", Owner: "issuer",
		MediaType: "application/pdf", Size: int64(len(content)), ShipmentID: "SHP-1"}
	e.ok("Issuer/user1", "AnchorDocument", mustJSON(t, anchor))

	var v schemas.DocumentVerification
	e.okInto(&v, "Customs/user1", "VerifyDocument", anchor.SHA256, base64.StdEncoding.EncodeToString(content))
	if v.Status != "intact" {
		t.Fatalf("unchanged document reported %s", v.Status)
	}
	tampered := append([]byte(nil), content...)
	tampered[5] ^= 1
	e.okInto(&v, "Customs/user1", "VerifyDocument", anchor.SHA256, base64.StdEncoding.EncodeToString(tampered))
	if v.Status != "tampered" || v.ActualSHA256 != sha(string(tampered)) {
		t.Fatalf("tampered document reported %+v", v)
	}

	cases := []struct {
		name string
		who  string
		fn   string
		args []string
		want string
	}{
		{"anchoring the same hash again is a duplicate", "Issuer/user1", "AnchorDocument", []string{mustJSON(t, anchor)},
			`DUPLICATE: anchoring document: document ` + anchor.SHA256 + ` is already anchored`},
		{"another org may not anchor the issuer's document", "Exporter/user1", "AnchorDocument", []string{mustJSON(t, func() schemas.DocumentAnchor { a := anchor; a.SHA256 = sha("other"); return a }())},
			`FORBIDDEN: anchoring document: ExporterMSP may not anchor a document owned by partner "issuer" of IssuerMSP`},
		{"an unknown owner is not found", "Issuer/user1", "AnchorDocument", []string{mustJSON(t, func() schemas.DocumentAnchor { a := anchor; a.Owner = "ghost"; return a }())},
			`NOT_FOUND: anchoring document: partner "ghost" is not registered`},
		{"an unknown document type is invalid", "Issuer/user1", "AnchorDocument", []string{mustJSON(t, func() schemas.DocumentAnchor { a := anchor; a.DocType = "memo"; return a }())},
			`INVALID: anchoring document: field=docType value="memo" rule=value must be one of 'invoice', 'packing-list', 'bill-of-lading', 'certificate-of-origin', 'certificate', 'customs-declaration', 'insurance', 'inspection-report', 'other'`},
		{"an anchor for an unknown shipment is not found", "Issuer/user1", "AnchorDocument", []string{mustJSON(t, func() schemas.DocumentAnchor { a := anchor; a.SHA256 = sha("o2"); a.ShipmentID = "SHP-404"; return a }())},
			`NOT_FOUND: anchoring document: shipment "SHP-404" does not exist`},
		{"an anchor for an unknown declaration is not found", "Issuer/user1", "AnchorDocument", []string{mustJSON(t, func() schemas.DocumentAnchor { a := anchor; a.SHA256 = sha("o3"); a.DeclarationID = "D-404"; return a }())},
			`NOT_FOUND: anchoring document: declaration "D-404" does not exist`},
		{"verifying an unanchored hash is not found", "Customs/user1", "VerifyDocument", []string{sha("none"), ""},
			`NOT_FOUND: verifying document: document ` + sha("none") + ` is not anchored`},
		{"verifying content that is not base64 is invalid", "Customs/user1", "VerifyDocument", []string{anchor.SHA256, "***"},
			`INVALID: verifying document: field=content value="***" rule=must be standard base64`},
		{"verifying more than 4 MiB on the ledger is invalid", "Customs/user1", "VerifyDocument", []string{anchor.SHA256, strings.Repeat("A", 6<<20)},
			`INVALID: verifying document: field=content value="6291456 base64 characters" rule=at most 4194304 bytes are verified on the ledger; hash larger documents locally and compare with GetDocument`},
		{"getting a malformed hash is invalid", "Customs/user1", "GetDocument", []string{"ABC"},
			`INVALID: getting document: field=sha256 value="ABC" rule=SHA-256 must be 64 lowercase hex digits`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			e.refused(tc.want, tc.who, tc.fn, tc.args...)
		})
	}
	e.t = t
	var got schemas.DocumentAnchor
	e.okInto(&got, "Customs/user1", "GetDocument", anchor.SHA256)
	if got.AnchoredBy == nil || got.AnchoredBy.MSPID != "IssuerMSP" {
		t.Fatalf("anchor %+v", got)
	}
}

func TestComplianceRecords(t *testing.T) {
	e := newEnv(t)
	score := schemas.ComplianceRecord{Kind: schemas.KindAnomalyScore, SubjectType: "shipment", SubjectID: "SHP-1",
		CreatedAt: "2026-11-27T09:00:00Z", Score: f64(91), Threshold: f64(80), Reasons: []string{"unit value 10x below HS 847150 median"}, Model: "gbt-v1"}
	var stored schemas.ComplianceRecord
	e.okInto(&stored, "Customs/user1", "RecordCompliance", mustJSON(t, score))
	if stored.ID == "" || stored.RecordedBy == nil || stored.TxID == "" {
		t.Fatalf("stored score %+v", stored)
	}

	hit := e.screeningHit("SHP-1")
	if st := e.state("SHP-1"); len(st.OpenHits) != 1 || st.OpenHits[0] != hit.ID {
		t.Fatalf("open hits %v", st.OpenHits)
	}
	alert := schemas.ComplianceRecord{Kind: schemas.KindAlert, SubjectType: "shipment", SubjectID: "SHP-1", CreatedAt: "2026-11-27T09:01:00Z",
		Rule: "temp>8C for 30m", Severity: "high", Message: "excursion 31 minutes"}
	var storedAlert schemas.ComplianceRecord
	e.okInto(&storedAlert, "Carrier/user1", "RecordCompliance", mustJSON(t, alert))

	clearance := schemas.ComplianceRecord{Kind: schemas.KindScreeningClearance, SubjectType: "shipment", SubjectID: "SHP-1",
		CreatedAt: "2026-11-27T09:05:00Z", RefersTo: hit.ID, Officer: "J. Jansen", Reason: "different entity: registration number differs"}
	ack := schemas.ComplianceRecord{Kind: schemas.KindAlertAck, SubjectType: "shipment", SubjectID: "SHP-1",
		CreatedAt: "2026-11-27T09:06:00Z", RefersTo: storedAlert.ID, Officer: "K. Kim", Response: "cargo inspected, no damage"}

	cases := []struct {
		name string
		who  string
		raw  string
		want string
	}{
		{"the same score recorded twice is a duplicate", "Customs/user1", mustJSON(t, score),
			`DUPLICATE: recording compliance: compliance record ` + stored.ID + ` is already on the ledger`},
		{"an org without a partner may not record", "Importer/user1", "", ""},
		{"a score above 100 is invalid", "Customs/user1", mustJSON(t, func() schemas.ComplianceRecord { s := score; s.Score = f64(101); return s }()),
			`INVALID: recording compliance: field=score value="101" rule=must be at most 100`},
		{"an anomaly score needs reasons", "Customs/user1", mustJSON(t, func() schemas.ComplianceRecord { s := score; s.Reasons = nil; return s }()),
			`INVALID: recording compliance: field=reasons value="" rule=an anomaly score needs at least one reason`},
		{"a score about an unknown declaration is not found", "Customs/user1", mustJSON(t, func() schemas.ComplianceRecord {
			s := score
			s.SubjectType, s.SubjectID = "declaration", "D-404"
			return s
		}()), `NOT_FOUND: recording compliance: declaration "D-404" does not exist`},
		{"a clearance needs the officer's reason", "Customs/user1", mustJSON(t, func() schemas.ComplianceRecord { c := clearance; c.Reason = ""; return c }()),
			`INVALID: recording compliance: field=reason value="" rule=a clearance needs a reason`},
		{"a clearance of an alert is invalid", "Customs/user1", mustJSON(t, func() schemas.ComplianceRecord { c := clearance; c.RefersTo = storedAlert.ID; return c }()),
			`INVALID: recording compliance: field=refersTo value="` + storedAlert.ID + `" rule=a screening-clearance must refer to a record of kind screening-hit, not alert`},
		{"a clearance of an unknown hit is not found", "Customs/user1", mustJSON(t, func() schemas.ComplianceRecord { c := clearance; c.RefersTo = sha("x"); return c }()),
			`NOT_FOUND: recording compliance: compliance record ` + sha("x") + ` is not on the ledger`},
		{"contract-set fields are refused", "Customs/user1", mustJSON(t, func() schemas.ComplianceRecord { c := clearance; c.TxID = "tx1"; return c }()),
			`INVALID: recording compliance: field=id value="" rule=id, recordedBy, recordedAt and txId are set by the contract`},
	}
	e.ids["Importer/user1"] = e.cas["Importer"].identity(t, "User9@Importer", []string{"client"}, nil)
	e.ok("Importer/admin", "SetPartnerStatus", "importer", "suspended", "no longer trading")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			if tc.raw == "" {
				e.refused(`FORBIDDEN: recording compliance: ImporterMSP has no active registered partner and may not record compliance records`, tc.who, "RecordCompliance", mustJSON(t, clearance))
				return
			}
			e.refused(tc.want, tc.who, "RecordCompliance", tc.raw)
		})
	}
	e.t = t

	var cleared, acked schemas.ComplianceRecord
	e.okInto(&cleared, "Customs/user1", "RecordCompliance", mustJSON(t, clearance))
	e.okInto(&acked, "Carrier/user1", "RecordCompliance", mustJSON(t, ack))
	if cleared.RecordedBy == nil || !strings.Contains(cleared.RecordedBy.ID, "User1@Customs") || acked.Response == "" {
		t.Fatalf("clearance %+v / ack %+v", cleared, acked)
	}
	e.refused(`CONFLICT: recording compliance: alert `+storedAlert.ID+` was already resolved by `+acked.ID,
		"Carrier/user1", "RecordCompliance", mustJSON(t, func() schemas.ComplianceRecord { a := ack; a.Response = "again"; return a }()))
	if st := e.state("SHP-1"); len(st.OpenHits) != 0 {
		t.Fatalf("cleared hit still blocks: %v", st.OpenHits)
	}
	e.record(e.touchpoint("carrier", container("loaded"), nil))
	var list schemas.Page[schemas.ComplianceRecord]
	e.okInto(&list, "Customs/user1", "ListCompliance", "SHP-1", "0", "")
	if list.Count != 5 {
		t.Fatalf("listed %d compliance records about SHP-1, want 5", list.Count)
	}
	var one schemas.ComplianceRecord
	e.okInto(&one, "Customs/user1", "GetCompliance", hit.ID)
	if one.Screening == nil || one.Screening.EntryID != "12345" {
		t.Fatalf("hit %+v", one)
	}
	e.refused(`CONFLICT: recording compliance: screening-hit `+hit.ID+` was already resolved by `+cleared.ID,
		"Customs/user1", "RecordCompliance", mustJSON(t, func() schemas.ComplianceRecord { c := clearance; c.Officer = "someone else"; return c }()))
}
