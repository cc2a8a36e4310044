// Package readmodeltest builds transactions shaped like the aeoledger
// contract's (chaincode/API.md): the same function names, composite keys,
// stored JSON values and chaincode events, for tests and benchmarks of the
// read model and the listener that should not need a running peer.
package readmodeltest

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/blocks/blockstest"
)

// Key builds a Fabric composite key as shim.CreateCompositeKey does.
func Key(objectType string, attrs ...string) string {
	var b strings.Builder
	b.WriteByte(0)
	b.WriteString(objectType)
	b.WriteByte(0)
	for _, a := range attrs {
		b.WriteString(a)
		b.WriteByte(0)
	}
	return b.String()
}

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshalling %T: %v", v, err)) // only unmarshalable test values get here
	}
	return raw
}

func tx(mspID, fn string, arg []byte, event string, payload []byte, writes ...blockstest.Write) blockstest.Tx {
	return blockstest.Tx{MSPID: mspID, Args: []string{fn, string(arg)}, EventName: event, EventPayload: payload, Writes: writes}
}

// RegisterPartner is RegisterPartner's transaction: the partner and its key
// index.
func RegisterPartner(p schemas.Partner) blockstest.Tx {
	v := mustJSON(p)
	writes := []blockstest.Write{{Key: Key("aeo.partner", p.ID), Value: v}}
	for _, k := range p.Keys {
		writes = append(writes, blockstest.Write{Key: Key("aeo.key", k.Address), Value: []byte(p.ID)})
	}
	return tx(p.MSPID, "RegisterPartner", v, "partner", v, writes...)
}

// CreateShipment is CreateShipment's transaction: shipment, initial state
// and party index.
func CreateShipment(mspID string, s schemas.Shipment) blockstest.Tx {
	v := mustJSON(s)
	state := schemas.ShipmentState{ShipmentID: s.ID, Status: schemas.ShipmentBooked, UpdatedAt: s.CreatedAt}
	writes := []blockstest.Write{
		{Key: Key("aeo.shipment", s.ID), Value: v},
		{Key: Key("aeo.state", s.ID), Value: mustJSON(state)},
	}
	for _, id := range s.PartnerIDs() {
		writes = append(writes, blockstest.Write{Key: Key("aeo.party", id, s.ID), Value: []byte(s.ID)})
	}
	return tx(mspID, "CreateShipment", v, "shipment", v, writes...)
}

// RecordTouchpoint is RecordTouchpoint's transaction: the stored records
// (the touchpoint, then generated incidents), their trace/container/seal
// index keys and the new shipment state.
func RecordTouchpoint(mspID string, state schemas.ShipmentState, records ...schemas.StoredRecord) blockstest.Tx {
	var writes []blockstest.Write
	for _, r := range records {
		id := r.Record.ID
		writes = append(writes,
			blockstest.Write{Key: Key("aeo.record", id), Value: mustJSON(r)},
			blockstest.Write{Key: Key("aeo.trace", r.Record.ShipmentID, r.Record.EventTime, id), Value: []byte(id)})
		if c := r.Record.Container; c != nil {
			writes = append(writes, blockstest.Write{Key: Key("aeo.container", c.Number, r.Record.EventTime, id), Value: []byte(id)})
		}
		if s := r.Record.Seal; s != nil {
			writes = append(writes, blockstest.Write{Key: Key("aeo.seal", s.Number, r.Record.EventTime, id), Value: []byte(id)})
		}
	}
	writes = append(writes, blockstest.Write{Key: Key("aeo.state", state.ShipmentID), Value: mustJSON(state)})
	result := mustJSON(schemas.RecordResult{Records: records})
	return tx(mspID, "RecordTouchpoint", mustJSON(records[0].Record), "touchpoint", result, writes...)
}

// SubmitDeclaration is SubmitDeclaration's transaction.
func SubmitDeclaration(mspID string, d schemas.Declaration) blockstest.Tx {
	v := mustJSON(d)
	return tx(mspID, "SubmitDeclaration", v, "declaration", v, blockstest.Write{Key: Key("aeo.decl", d.ID), Value: v})
}

// AmendDeclaration is AmendDeclaration's transaction (a pending amendment).
func AmendDeclaration(mspID string, a schemas.Amendment) blockstest.Tx {
	v := mustJSON(a)
	return tx(mspID, "AmendDeclaration", v, "amendment", v, blockstest.Write{Key: Key("aeo.amend", a.DeclarationID, a.ID), Value: v})
}

// ApproveAmendment is ApproveAmendment's transaction: the approved
// amendment and the declaration it changed. Only the amendment is in the
// event.
func ApproveAmendment(mspID string, a schemas.Amendment, changed schemas.Declaration) blockstest.Tx {
	v := mustJSON(a)
	return blockstest.Tx{MSPID: mspID, Args: []string{"ApproveAmendment", a.DeclarationID, a.ID}, EventName: "amendment", EventPayload: v,
		Writes: []blockstest.Write{
			{Key: Key("aeo.amend", a.DeclarationID, a.ID), Value: v},
			{Key: Key("aeo.decl", changed.ID), Value: mustJSON(changed)},
		}}
}

// AnchorDocument is AnchorDocument's transaction.
func AnchorDocument(mspID string, d schemas.DocumentAnchor) blockstest.Tx {
	v := mustJSON(d)
	return tx(mspID, "AnchorDocument", v, "document", v, blockstest.Write{Key: Key("aeo.doc", d.SHA256), Value: v})
}

// RecordCompliance is RecordCompliance's transaction: the record and its
// subject index; a screening hit on a shipment also writes the shipment's
// state (pass it in state, or nil).
func RecordCompliance(mspID string, c schemas.ComplianceRecord, state *schemas.ShipmentState) blockstest.Tx {
	v := mustJSON(c)
	writes := []blockstest.Write{
		{Key: Key("aeo.compliance", c.ID), Value: v},
		{Key: Key("aeo.compliance.subject", c.SubjectID, c.ID), Value: []byte(c.ID)},
	}
	if state != nil {
		writes = append(writes, blockstest.Write{Key: Key("aeo.state", state.ShipmentID), Value: mustJSON(state)})
	}
	return tx(mspID, "RecordCompliance", v, "compliance", v, writes...)
}

// Fixture IDs used by Journey.
const (
	ExporterID   = "P-EXP"
	CarrierID    = "P-CAR"
	ShipmentID   = "SHP-1"
	Container    = "CSQU3054383"
	SealNumber   = "SL123456"
	Declaration1 = "DCL-1"
	Declaration2 = "DCL-2"
	AlertOpen    = "c-alert-open"
	AlertAcked   = "c-alert-acked"
	HitOpen      = "c-hit-open"
	ExporterKey  = "0x1111111111111111111111111111111111111111"
	CarrierKey   = "0x2222222222222222222222222222222222222222"
)

// Journey returns the blocks of a short but complete ledger history: a
// config block 0, then partners, a shipment, touchpoints (one seal broken,
// with the incident the contract generates), declarations with an approved
// amendment, a document, alerts (one acknowledged) and a screening hit,
// and one transaction the peer marked MVCC_READ_CONFLICT (a partner that
// must not appear).
func Journey() [][]blockstest.Tx {
	at := func(s string) string { return "2026-03-0" + s }
	exporter := schemas.Partner{ID: ExporterID, MSPID: "ExporterMSP", LegalName: "Acme Exports BV", Country: "NL",
		Roles: []string{schemas.RoleExporter}, Status: schemas.PartnerActive, CreatedAt: at("1T08:00:00Z"),
		Keys: []schemas.SigningKey{{Address: ExporterKey, PublicKey: "0x04aa", AddedAt: at("1T08:00:00Z")}}}
	carrier := schemas.Partner{ID: CarrierID, MSPID: "CarrierMSP", LegalName: "Blue Sea Lines", Country: "DK",
		Roles: []string{schemas.RoleCarrier}, Status: schemas.PartnerActive, CreatedAt: at("1T08:00:01Z"),
		Keys: []schemas.SigningKey{{Address: CarrierKey, PublicKey: "0x04bb", AddedAt: at("1T08:00:01Z")}}}
	ghost := schemas.Partner{ID: "P-GHOST", MSPID: "ExporterMSP", LegalName: "Never Committed", Country: "NL",
		Roles: []string{schemas.RoleExporter}}
	shipment := schemas.Shipment{ID: ShipmentID, Consignor: schemas.Party{PartnerID: ExporterID, Name: "Acme Exports BV", Country: "NL"},
		Consignee: schemas.Party{Name: "Importer GmbH", Country: "DE"}, Parties: []string{CarrierID},
		Origin: "NLRTM", Destination: "DEHAM", HSCodes: []string{"850440"}, PlannedDeparture: at("2T00:00:00Z"),
		PlannedArrival: at("5T00:00:00Z"), CreatedBy: &schemas.Identity{MSPID: "ExporterMSP", ID: "x509::CN=user1"}, CreatedAt: at("1T09:00:00Z")}
	loaded := schemas.StoredRecord{Record: schemas.Touchpoint{ID: "r-loaded", Type: schemas.TypeContainer, ShipmentID: ShipmentID,
		EventTime: "2026-03-02T10:00:00+02:00", Location: schemas.Location{UNLocode: "NLRTM"}, Signer: CarrierKey, Signature: "0xsig",
		Container: &schemas.ContainerEvent{Number: Container, Action: schemas.ContainerLoaded}},
		TxID: "t", RecordedAt: at("2T08:00:01Z"), SignerPartner: CarrierID, Submitter: schemas.Identity{MSPID: "CarrierMSP", ID: "x509::CN=user1"}}
	affixed := schemas.StoredRecord{Record: schemas.Touchpoint{ID: "r-affixed", Type: schemas.TypeSeal, ShipmentID: ShipmentID,
		EventTime: at("2T07:00:00Z"), Location: schemas.Location{UNLocode: "NLRTM"}, Signer: CarrierKey, Signature: "0xsig",
		Seal: &schemas.SealEvent{Class: "H", Number: SealNumber, ContainerNumber: Container, Action: schemas.SealAffixed}},
		RecordedAt: at("2T07:00:01Z"), SignerPartner: CarrierID, Submitter: schemas.Identity{MSPID: "CarrierMSP"}}
	broken := schemas.StoredRecord{Record: schemas.Touchpoint{ID: "r-broken", Type: schemas.TypeSeal, ShipmentID: ShipmentID,
		EventTime: at("3T12:00:00Z"), Location: schemas.Location{UNLocode: "DEHAM"}, Signer: CarrierKey, Signature: "0xsig",
		Seal: &schemas.SealEvent{Class: "H", Number: SealNumber, ContainerNumber: Container, Action: schemas.SealBroken}},
		RecordedAt: at("3T12:00:01Z"), SignerPartner: CarrierID, Submitter: schemas.Identity{MSPID: "CarrierMSP"}}
	incident := schemas.StoredRecord{Record: schemas.Touchpoint{ID: "r-incident", Type: schemas.TypeIncident, ShipmentID: ShipmentID,
		EventTime: at("3T12:00:00Z"), Location: schemas.Location{UNLocode: "DEHAM"},
		Incident: &schemas.Incident{Cause: schemas.CauseSealBroken, Description: "seal SL123456 broken", RelatedRecord: "r-broken", Generated: true}},
		RecordedAt: at("3T12:00:01Z"), Submitter: schemas.Identity{MSPID: "CarrierMSP"}}
	decl := func(id, date, hs, origin, importer string, price float64) schemas.Declaration {
		return schemas.Declaration{ID: id, Date: date, OfficeID: "30", ProcessType: "B", ImportType: "11", ImportUse: "21",
			PaymentType: "11", ModeOfTransport: "10", DeclarantID: "DEC1", ImporterID: importer, SellerID: "SEL1", HSCode: hs,
			CountryOfDeparture: origin, CountryOfOrigin: origin, TaxRate: 8, TaxType: "A", OriginIndicator: "B", NetMass: 100,
			ItemPrice: price, SubmittedBy: &schemas.Identity{MSPID: "CustomsMSP", ID: "x509::CN=broker"}, SubmittedAt: date + "T10:00:00Z"}
	}
	d1 := decl(Declaration1, "2026-03-01", "850440", "CN", "IMP1", 1000)
	d2 := decl(Declaration2, "2026-03-03", "940540", "VN", "IMP2", 2000)
	amend := schemas.Amendment{ID: "a1", DeclarationID: Declaration1, Field: "itemPrice", OldValue: "1000", NewValue: "1100",
		Reason: "invoice corrected", ProposedBy: &schemas.Identity{MSPID: "CustomsMSP", ID: "x509::CN=broker"}, ProposedAt: at("4T09:00:00Z"),
		Status: schemas.AmendmentPending}
	approved := amend
	approved.Status = schemas.AmendmentApproved
	approved.Approvals = []schemas.Approval{{By: schemas.Identity{MSPID: "CustomsMSP", ID: "x509::CN=chief"}, At: at("4T10:00:00Z"), TxID: "t"}}
	d1amended := d1
	d1amended.ItemPrice = 1100
	d1amended.UpdatedAt = at("4T10:00:00Z")
	score := 91.5
	threshold := 80.0
	comp := func(id, kind, subject, refersTo, recordedAt string) schemas.ComplianceRecord {
		c := schemas.ComplianceRecord{ID: id, Kind: kind, SubjectType: "shipment", SubjectID: subject, CreatedAt: recordedAt,
			RefersTo: refersTo, RecordedBy: &schemas.Identity{MSPID: "CustomsMSP"}, RecordedAt: recordedAt}
		switch kind {
		case schemas.KindAlert:
			c.Rule, c.Severity, c.Message = "seal-broken", "high", "seal broken at DEHAM"
		case schemas.KindAlertAck:
			c.Officer, c.Response = "j.doe", "inspected, resealed"
		case schemas.KindScreeningHit:
			c.Screening = &schemas.ScreeningMatch{PartyRole: "consignee", QueriedName: "Importer GmbH", MatchedName: "IMPORTER GMBH",
				ListName: "OFAC-SDN", EntryID: "1234", Score: 0.97}
		case schemas.KindAnomalyScore:
			c.SubjectType, c.Score, c.Threshold, c.Reasons, c.Model = "declaration", &score, &threshold, []string{"unit value 10x below HS6 median"}, "gbt-1"
		}
		return c
	}
	return [][]blockstest.Tx{
		{{Config: true}},
		{RegisterPartner(exporter), RegisterPartner(carrier)},
		{CreateShipment("ExporterMSP", shipment), func() blockstest.Tx {
			t := RegisterPartner(ghost)
			t.Code = 11 // MVCC_READ_CONFLICT
			return t
		}()},
		{RecordTouchpoint("CarrierMSP", schemas.ShipmentState{ShipmentID: ShipmentID, Status: schemas.ShipmentBooked,
			Seals: map[string]string{SealNumber: schemas.SealStateAffixed}}, affixed)},
		{RecordTouchpoint("CarrierMSP", schemas.ShipmentState{ShipmentID: ShipmentID, Status: schemas.ShipmentInTransit,
			Seals: map[string]string{SealNumber: schemas.SealStateAffixed}}, loaded),
			SubmitDeclaration("CustomsMSP", d1), SubmitDeclaration("CustomsMSP", d2)},
		{RecordTouchpoint("CarrierMSP", schemas.ShipmentState{ShipmentID: ShipmentID, Status: schemas.ShipmentInTransit,
			Seals: map[string]string{SealNumber: schemas.SealStateBroken}}, broken, incident)},
		{AmendDeclaration("CustomsMSP", amend)},
		{ApproveAmendment("CustomsMSP", approved, d1amended),
			AnchorDocument("ExporterMSP", schemas.DocumentAnchor{SHA256: strings.Repeat("ab", 32), DocType: "invoice", Owner: ExporterID,
				MediaType: "application/pdf", Size: 1234, ShipmentID: ShipmentID, DeclarationID: Declaration1,
				AnchoredBy: &schemas.Identity{MSPID: "ExporterMSP"}, AnchoredAt: at("4T11:00:00Z")})},
		{RecordCompliance("CustomsMSP", comp(AlertOpen, schemas.KindAlert, ShipmentID, "", at("4T12:00:00Z")), nil),
			RecordCompliance("CustomsMSP", comp(AlertAcked, schemas.KindAlert, ShipmentID, "", at("4T12:00:01Z")), nil)},
		{RecordCompliance("CustomsMSP", comp("c-ack", schemas.KindAlertAck, ShipmentID, AlertAcked, at("4T13:00:00Z")), nil),
			RecordCompliance("CustomsMSP", comp(HitOpen, schemas.KindScreeningHit, ShipmentID, "", at("4T13:00:01Z")),
				&schemas.ShipmentState{ShipmentID: ShipmentID, Status: schemas.ShipmentInTransit,
					Seals: map[string]string{SealNumber: schemas.SealStateBroken}, OpenHits: []string{HitOpen}}),
			RecordCompliance("CustomsMSP", comp("c-score", schemas.KindAnomalyScore, Declaration1, "", at("4T13:00:02Z")), nil)},
	}
}

// Declaration returns a plausible declaration number i, for volume tests.
func Declaration(i int) schemas.Declaration {
	hs := []string{"850440", "940540", "610910", "030617", "870899"}[i%5]
	origin := []string{"CN", "VN", "DE", "US", "IN", "TR"}[i%6]
	return schemas.Declaration{ID: fmt.Sprintf("D%08d", i), Date: fmt.Sprintf("2026-%02d-%02d", 1+i%12, 1+i%28), OfficeID: "30",
		ProcessType: "B", ImportType: "11", ImportUse: "21", PaymentType: "11", ModeOfTransport: "10",
		DeclarantID: fmt.Sprintf("DEC%d", i%50), ImporterID: fmt.Sprintf("IMP%d", i%700), SellerID: fmt.Sprintf("SEL%d", i%900),
		HSCode: hs, CountryOfDeparture: origin, CountryOfOrigin: origin, TaxRate: 8, TaxType: "A", OriginIndicator: "B",
		NetMass: float64(10 + i%1000), ItemPrice: float64(100 + (i*7919)%100000),
		SubmittedBy: &schemas.Identity{MSPID: "CustomsMSP", ID: "x509::CN=broker"}, SubmittedAt: "2026-01-01T00:00:00Z"}
}

// Build appends one block per group of transactions to chain.
func Build(chain *blockstest.Chain, groups [][]blockstest.Tx) ([]*common.Block, error) {
	out := make([]*common.Block, 0, len(groups))
	for _, g := range groups {
		b, err := chain.Add(g...)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}
