package chaincode_test

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/aeoledger/aeoledger/schemas"
)

// TestJourneyRecordsEveryStepAndRaisesIncidents walks a shipment from
// gate-in to POD and checks state, incidents, events and the trace.
func TestJourneyRecordsEveryStepAndRaisesIncidents(t *testing.T) {
	e := newEnv(t)
	pass := &schemas.VVTT{View: true, Verify: true, Tug: true, Twist: true}
	steps := []struct {
		name          string
		tp            *schemas.Touchpoint
		wantStatus    string
		wantIncidents []string
	}{
		{"container gate-in", e.touchpoint("carrier", container("gate-in"), nil), "booked", nil},
		{"container stuffed by the exporter", e.touchpoint("exporter", container("stuffed"), nil), "booked", nil},
		{"high-security seal affixed", e.touchpoint("carrier", seal("HS-123456", "affixed", nil), nil), "booked", nil},
		{"origin certificate by the issuer", e.touchpoint("issuer", origin(), nil), "booked", nil},
		{"sensor batch inside the range", e.touchpoint("sensor-1", sensor(4, 5, 6), nil), "booked", nil},
		{"sensor batch with an excursion", e.touchpoint("sensor-1", sensor(5, 9.5, 7), nil), "booked", []string{schemas.CauseTempExcursion}},
		{"container loaded", e.touchpoint("carrier", container("loaded"), nil), "in-transit", nil},
		{"container departed", e.touchpoint("carrier", container("departed"), nil), "in-transit", nil},
		{"second seal affixed by customs", e.touchpoint("customs", seal("CUS-0001", "affixed", nil), nil), "in-transit", nil},
		{"second seal fails its VVTT check", e.touchpoint("customs", seal("CUS-0001", "verified", &schemas.VVTT{View: true, Verify: true, Tug: false, Twist: true}), nil), "in-transit", []string{schemas.CauseSealCheckFailed}},
		{"second seal found broken", e.touchpoint("customs", seal("CUS-0001", "broken", nil), nil), "in-transit", []string{schemas.CauseSealBroken}},
		{"container arrived", e.touchpoint("carrier", container("arrived"), nil), "arrived", nil},
		{"seal passes its VVTT check", e.touchpoint("carrier", seal("HS-123456", "verified", pass), nil), "arrived", nil},
		{"seal removed at destination", e.touchpoint("carrier", seal("HS-123456", "removed", nil), nil), "arrived", []string{schemas.CauseSealRemoved}},
		{"proof of delivery by the consignee", e.touchpoint("importer", pod(), nil), "delivered", nil},
		{"incident after delivery", e.touchpoint("importer", &schemas.Incident{Cause: "damage", Description: "two cartons crushed"}, nil), "delivered", nil},
	}
	var ids []string
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			e.t = t
			out, msg, stub := e.call("Carrier/user1", "RecordTouchpoint", mustJSON(t, s.tp))
			if msg != "" {
				t.Fatalf("refused: %s", msg)
			}
			var res schemas.RecordResult
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatal(err)
			}
			if res.Records[0].Record.ID != s.tp.ID {
				t.Fatalf("first record is %s, want %s", res.Records[0].Record.ID, s.tp.ID)
			}
			var causes []string
			for _, r := range res.Records[1:] {
				if !r.Record.Incident.Generated || r.Record.Incident.RelatedRecord != s.tp.ID || r.TxID != stub.txID {
					t.Fatalf("incident %+v is not tied to record %s in tx %s", r.Record.Incident, s.tp.ID, stub.txID)
				}
				causes = append(causes, r.Record.Incident.Cause)
			}
			if fmt.Sprint(causes) != fmt.Sprint(s.wantIncidents) {
				t.Fatalf("incidents %v, want %v", causes, s.wantIncidents)
			}
			if stub.event == nil || stub.event.EventName != "touchpoint" || string(stub.event.Payload) != out {
				t.Fatalf("event %v does not carry the result", stub.event)
			}
			if st := e.state("SHP-1"); st.Status != s.wantStatus {
				t.Fatalf("status %s, want %s", st.Status, s.wantStatus)
			}
			for _, r := range res.Records {
				ids = append(ids, r.Record.ID)
			}
		})
	}
	e.t = t
	var page schemas.Page[schemas.TraceItem]
	e.okInto(&page, "Customs/user1", "Trace", "SHP-1", "0", "")
	if page.Count != len(ids) || page.Bookmark != "" {
		t.Fatalf("trace has %d items (bookmark %q), want %d", page.Count, page.Bookmark, len(ids))
	}
	for i, it := range page.Items {
		if it.Record.Record.ID != ids[i] {
			t.Fatalf("trace item %d is %s, want %s (event order)", i, it.Record.Record.ID, ids[i])
		}
		want := schemas.StatusVerified
		if it.Record.SignerPartner == "" {
			want = schemas.StatusContractGenerated
		}
		if it.Status != want {
			t.Fatalf("trace item %d status %s (%s), want %s", i, it.Status, it.StatusDetail, want)
		}
		if want == schemas.StatusVerified && (it.SignerPartner != it.Record.SignerPartner || it.SignerMSP == "") {
			t.Fatalf("trace item %d names signer %q/%q", i, it.SignerPartner, it.SignerMSP)
		}
	}
	st := e.state("SHP-1")
	if st.Seals["HS-123456"] != "removed" || st.Seals["CUS-0001"] != "broken" || st.DeliveredBy != steps[14].tp.ID {
		t.Fatalf("final state %+v", st)
	}
}

func TestTracePagesWithBookmarks(t *testing.T) {
	e := newEnv(t)
	var want []string
	for _, a := range []string{"gate-in", "stuffed", "loaded", "departed", "arrived"} {
		tp := e.touchpoint("carrier", container(a), nil)
		e.record(tp)
		want = append(want, tp.ID)
	}
	sealTP := e.touchpoint("carrier", seal("HS-123456", "affixed", nil), nil)
	e.record(sealTP)
	want = append(want, sealTP.ID)

	cases := []struct {
		name, fn, arg string
		want          []string
	}{
		{"a shipment trace pages in event order", "Trace", "SHP-1", want},
		{"records by container include the seal on it", "RecordsByContainer", "CSQU3054383", want},
		{"records by seal list only that seal", "RecordsBySeal", "HS-123456", want[5:]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			var got []string
			bookmark := ""
			for pages := 0; ; pages++ {
				if pages > 10 {
					t.Fatal("pagination does not end")
				}
				var page schemas.Page[schemas.TraceItem]
				e.okInto(&page, "Customs/user1", tc.fn, tc.arg, "2", bookmark)
				for _, it := range page.Items {
					got = append(got, it.Record.Record.ID)
				}
				if page.Bookmark == "" {
					break
				}
				bookmark = page.Bookmark
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) {
				t.Fatalf("got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestCorrectionsAndHistory(t *testing.T) {
	e := newEnv(t)
	orig := e.touchpoint("carrier", container("gate-in"), nil)
	e.record(orig)
	e.record(e.touchpoint("importer", pod(), nil))
	fix := e.touchpoint("carrier", &schemas.Correction{Corrects: orig.ID, Reason: "gate-in was at Maasvlakte",
		Changes: []schemas.Change{{Field: "location.name", OldValue: "", NewValue: "Maasvlakte II"}}}, nil)
	res := e.record(fix)
	if len(res.Records) != 1 {
		t.Fatalf("a correction created %d records", len(res.Records))
	}

	var item schemas.TraceItem
	e.okInto(&item, "Customs/user1", "GetRecord", orig.ID)
	if fmt.Sprint(item.CorrectedBy) != fmt.Sprint([]string{fix.ID}) || item.Status != schemas.StatusVerified {
		t.Fatalf("original record: %+v", item)
	}
	var hist schemas.Page[schemas.HistoryEntry]
	e.okInto(&hist, "Customs/user1", "History", "record", orig.ID, "0", "")
	if hist.Count != 2 || hist.Items[0].CorrectedBy != "" || hist.Items[1].CorrectedBy != fix.ID || hist.Items[0].TxID == "" || hist.Items[1].Timestamp <= hist.Items[0].Timestamp {
		t.Fatalf("history: %+v", hist)
	}
	e.okInto(&hist, "Customs/user1", "History", "record", orig.ID, "1", "")
	if hist.Count != 1 || hist.Bookmark != "1" {
		t.Fatalf("first history page: %+v", hist)
	}
	e.okInto(&hist, "Customs/user1", "History", "record", orig.ID, "1", "1")
	if hist.Count != 1 || hist.Bookmark != "" || hist.Items[0].CorrectedBy != fix.ID {
		t.Fatalf("second history page: %+v", hist)
	}
	var sh schemas.Page[schemas.HistoryEntry]
	e.okInto(&sh, "Customs/user1", "History", "shipment-state", "SHP-1", "0", "")
	if sh.Count != 2 {
		t.Fatalf("shipment state history has %d versions, want 2 (booked, delivered)", sh.Count)
	}
}

func TestQueriesRefuseBadInput(t *testing.T) {
	cases := []struct {
		name string
		fn   string
		args []string
		want string
	}{
		{"a page size above the maximum is invalid", "Trace", []string{"SHP-1", "5000", ""},
			`INVALID: tracing shipment: field=pageSize value="5000" rule=must be between 0 (default 100) and 1000`},
		{"a trace of an unknown shipment is not found", "Trace", []string{"SHP-404", "0", ""},
			`NOT_FOUND: tracing shipment: shipment "SHP-404" does not exist`},
		{"a trace of a malformed shipment ID is invalid", "Trace", []string{"bad id", "0", ""},
			`INVALID: tracing shipment: field=shipmentId value="bad id" rule=must be 1-64 letters, digits or . _ : - starting with a letter or digit`},
		{"records by a malformed container number are invalid", "RecordsByContainer", []string{"CSQU3054384", "0", ""},
			`INVALID: tracing container: field=containerNumber value="CSQU3054384" rule=ISO 6346 check digit must be 3`},
		{"records by a malformed seal number are invalid", "RecordsBySeal", []string{"x", "0", ""},
			`INVALID: tracing seal: field=sealNumber value="x" rule=ISO 17712 seal number must be 4-20 capital letters, digits or single inner hyphens`},
		{"an unknown record is not found", "GetRecord", []string{sha("x")},
			`NOT_FOUND: getting record: record ` + sha("x") + ` is not on the ledger`},
		{"a history of an unknown kind is invalid", "History", []string{"ship", "SHP-1", "0", ""},
			`INVALID: reading history: field=kind value="ship" rule=must be one of amendment, compliance, declaration, document, partner, record, shipment, shipment-state`},
		{"a history with a forged bookmark is invalid", "History", []string{"shipment", "SHP-1", "0", "x"},
			`INVALID: reading history: field=bookmark value="x" rule=must be a bookmark returned by History`},
		{"a history of a missing object is not found", "History", []string{"declaration", "D-404", "0", ""},
			`NOT_FOUND: reading history: declaration "D-404" has no history`},
		{"an amendment history needs both IDs", "History", []string{"amendment", "D-1", "0", ""},
			`INVALID: reading history: field=id value="D-1" rule=an amendment is named declarationId/amendmentId`},
		{"a page size that is not a number is refused by the contract API", "ListPartners", []string{"many", ""},
			`error managing parameter param0. conversion error. cannot convert passed value many to int32`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			before := e.l.snapshot()
			_, msg, stub := e.call("Customs/user1", tc.fn, tc.args...)
			if msg != tc.want {
				t.Fatalf("got %q\nwant %q", msg, tc.want)
			}
			if len(stub.writes) != 0 || stub.event != nil || len(before) != len(e.l.snapshot()) {
				t.Fatal("a failed query wrote to the ledger")
			}
		})
	}
}
