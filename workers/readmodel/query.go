package readmodel

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aeoledger/aeoledger/schemas"
)

// Position is where on the ledger a row was last written.
type Position struct {
	Block   uint64
	TxIndex int
	TxID    string
}

// PartnerRow is a partner as last written on the ledger.
type PartnerRow struct {
	schemas.Partner
	Pos Position
}

// ShipmentRow is a shipment with its state; State is nil until the contract
// wrote one.
type ShipmentRow struct {
	schemas.Shipment
	State *schemas.ShipmentState
	Pos   Position
}

// TouchpointRow is one stored touchpoint (including contract-generated
// incidents). Record holds the stored JSON (schemas.StoredRecord).
type TouchpointRow struct {
	ID              string
	ShipmentID      string
	Type            string
	Action          string // container/seal action, POD condition or incident cause
	EventTime       string // UTC, nine fraction digits
	ContainerNumber string
	SealNumber      string
	Location        string // UN/LOCODE
	SignerAddress   string
	SignerPartner   string // "" for contract-generated incidents
	SubmitterMSP    string
	RecordedAt      string
	Corrects        string // for corrections: the corrected record ID
	Record          json.RawMessage
	Pos             Position
}

// StoredRecord decodes Record.
func (t *TouchpointRow) StoredRecord() (*schemas.StoredRecord, error) {
	var r schemas.StoredRecord
	if err := json.Unmarshal(t.Record, &r); err != nil {
		return nil, fmt.Errorf("decoding stored record %s: %w", t.ID, err)
	}
	return &r, nil
}

// IncidentRow is an incident touchpoint.
type IncidentRow struct {
	ID            string
	ShipmentID    string
	Cause         string
	Description   string
	RelatedRecord string
	Generated     bool
	EventTime     string
	SignerPartner string
	Pos           Position
}

// DeclarationRow is a customs declaration as last written (after approved
// amendments).
type DeclarationRow struct {
	schemas.Declaration
	Pos Position
}

// AmendmentRow is an amendment as last written.
type AmendmentRow struct {
	schemas.Amendment
	Pos Position
}

// DocumentRow is a document anchor.
type DocumentRow struct {
	schemas.DocumentAnchor
	Pos Position
}

// ComplianceRow is a compliance record.
type ComplianceRow struct {
	schemas.ComplianceRecord
	Pos Position
}

// FollowUpRow is an alert or screening hit with the record that closed it
// (the alert-ack or screening-clearance), nil while it is open.
type FollowUpRow struct {
	Record   ComplianceRow
	ClosedBy *ComplianceRow
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// each runs query and calls row for every result row, one at a time.
func (s *Store) each(ctx context.Context, what, query string, args []any, row func(scanner) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return fmt.Errorf("listing %s: %w", what, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("listing %s: %w", what, err)
	}
	return nil
}

func scanPos(p *Position, block *int64) { p.Block = uint64(*block) }

// ---- partners ----

const partnerCols = `record_json, block_num, tx_index, tx_id`

func scanPartner(sc scanner) (PartnerRow, error) {
	var r PartnerRow
	var raw string
	var block int64
	if err := sc.Scan(&raw, &block, &r.Pos.TxIndex, &r.Pos.TxID); err != nil {
		return r, fmt.Errorf("reading partner: %w", err)
	}
	scanPos(&r.Pos, &block)
	if err := json.Unmarshal([]byte(raw), &r.Partner); err != nil {
		return r, fmt.Errorf("decoding partner: %w", err)
	}
	return r, nil
}

// Partner returns one partner, or an error wrapping ErrNotFound.
func (s *Store) Partner(ctx context.Context, id string) (PartnerRow, error) {
	r, err := scanPartner(s.db.QueryRowContext(ctx, s.q(`SELECT `+partnerCols+` FROM partners WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("reading partner %q: %w", id, ErrNotFound)
	}
	return r, err
}

// PartnerByKey returns the partner owning a signing key address (any case).
func (s *Store) PartnerByKey(ctx context.Context, address string) (PartnerRow, error) {
	r, err := scanPartner(s.db.QueryRowContext(ctx, s.q(`SELECT p.record_json, p.block_num, p.tx_index, p.tx_id
		FROM partner_keys k JOIN partners p ON p.id = k.partner_id WHERE k.address = ?`), schemas.NormalizeAddress(address)))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("reading partner of key %q: %w", address, ErrNotFound)
	}
	return r, err
}

// Partners calls fn for every partner, ordered by ID.
func (s *Store) Partners(ctx context.Context, fn func(PartnerRow) error) error {
	return s.each(ctx, "partners", `SELECT `+partnerCols+` FROM partners ORDER BY id`, nil, func(sc scanner) error {
		r, err := scanPartner(sc)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

// ---- shipments ----

// ShipmentFilter selects shipments. Zero fields do not filter.
type ShipmentFilter struct {
	// PartnerID matches the consignor, the consignee or a listed party.
	PartnerID string
	// Status matches the state's status (booked, in-transit, arrived,
	// delivered).
	Status string
}

const shipmentSelect = `SELECT s.record_json, COALESCE(st.state_json, ''), s.block_num, s.tx_index, s.tx_id
	FROM shipments s LEFT JOIN shipment_states st ON st.shipment_id = s.id`

func scanShipment(sc scanner) (ShipmentRow, error) {
	var r ShipmentRow
	var raw, state string
	var block int64
	if err := sc.Scan(&raw, &state, &block, &r.Pos.TxIndex, &r.Pos.TxID); err != nil {
		return r, fmt.Errorf("reading shipment: %w", err)
	}
	scanPos(&r.Pos, &block)
	if err := json.Unmarshal([]byte(raw), &r.Shipment); err != nil {
		return r, fmt.Errorf("decoding shipment: %w", err)
	}
	if state != "" {
		r.State = &schemas.ShipmentState{}
		if err := json.Unmarshal([]byte(state), r.State); err != nil {
			return r, fmt.Errorf("decoding shipment state: %w", err)
		}
	}
	return r, nil
}

// Shipment returns one shipment with its state, or an error wrapping
// ErrNotFound.
func (s *Store) Shipment(ctx context.Context, id string) (ShipmentRow, error) {
	r, err := scanShipment(s.db.QueryRowContext(ctx, s.q(shipmentSelect+` WHERE s.id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return r, fmt.Errorf("reading shipment %q: %w", id, ErrNotFound)
	}
	return r, err
}

// Shipments calls fn for every matching shipment, ordered by ID.
func (s *Store) Shipments(ctx context.Context, f ShipmentFilter, fn func(ShipmentRow) error) error {
	var where []string
	var args []any
	if f.PartnerID != "" {
		where = append(where, `(s.consignor_partner = ? OR s.consignee_partner = ? OR EXISTS
			(SELECT 1 FROM shipment_parties sp WHERE sp.shipment_id = s.id AND sp.partner_id = ?))`)
		args = append(args, f.PartnerID, f.PartnerID, f.PartnerID)
	}
	if f.Status != "" {
		where = append(where, `st.status = ?`)
		args = append(args, f.Status)
	}
	return s.each(ctx, "shipments", shipmentSelect+whereClause(where)+` ORDER BY s.id`, args, func(sc scanner) error {
		r, err := scanShipment(sc)
		if err != nil {
			return err
		}
		return fn(r)
	})
}

func whereClause(conds []string) string {
	if len(conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(conds, " AND ")
}

// ---- touchpoints and incidents ----

// TouchpointFilter selects touchpoints. Zero fields do not filter.
type TouchpointFilter struct {
	ShipmentID      string
	ContainerNumber string
	SealNumber      string
	Type            string
	// From and To bound the event time (RFC 3339, inclusive).
	From, To string
}

func (f TouchpointFilter) where() ([]string, []any, error) {
	var where []string
	var args []any
	add := func(cond string, v string) {
		if v != "" {
			where = append(where, cond)
			args = append(args, v)
		}
	}
	if f.Type != "" && !contains(schemas.TouchpointTypes, f.Type) {
		return nil, nil, &schemas.FieldError{Field: "type", Value: f.Type, Rule: "must be one of " + strings.Join(schemas.TouchpointTypes, ", ")}
	}
	var from, to string
	for _, b := range []struct {
		field, v string
		into     *string
	}{{"from", f.From, &from}, {"to", f.To, &to}} {
		if b.v == "" {
			continue
		}
		if _, err := schemas.ValidateTime(b.field, b.v); err != nil {
			return nil, nil, err
		}
		*b.into = eventTime(b.v)
	}
	if from != "" && to != "" && from > to {
		return nil, nil, &schemas.FieldError{Field: "to", Value: f.To, Rule: "must not be before from " + f.From}
	}
	add("shipment_id = ?", f.ShipmentID)
	add("container_number = ?", f.ContainerNumber)
	add("seal_number = ?", f.SealNumber)
	add("type = ?", f.Type)
	add("event_time >= ?", from)
	add("event_time <= ?", to)
	return where, args, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// Touchpoints calls fn for every matching touchpoint in event order (event
// time, then ID). A bad filter value returns a *schemas.FieldError.
func (s *Store) Touchpoints(ctx context.Context, f TouchpointFilter, fn func(TouchpointRow) error) error {
	where, args, err := f.where()
	if err != nil {
		return fmt.Errorf("listing touchpoints: %w", err)
	}
	return s.each(ctx, "touchpoints", `SELECT id, shipment_id, type, action, event_time, container_number, seal_number, location,
		signer_address, signer_partner, submitter_msp, recorded_at, corrects, record_json, block_num, tx_index, tx_id
		FROM touchpoints`+whereClause(where)+` ORDER BY event_time, id`, args, func(sc scanner) error {
		var r TouchpointRow
		var raw string
		var block int64
		if err := sc.Scan(&r.ID, &r.ShipmentID, &r.Type, &r.Action, &r.EventTime, &r.ContainerNumber, &r.SealNumber, &r.Location,
			&r.SignerAddress, &r.SignerPartner, &r.SubmitterMSP, &r.RecordedAt, &r.Corrects, &raw, &block, &r.Pos.TxIndex, &r.Pos.TxID); err != nil {
			return fmt.Errorf("reading touchpoint: %w", err)
		}
		scanPos(&r.Pos, &block)
		r.Record = json.RawMessage(raw)
		return fn(r)
	})
}

// TouchpointsByShipment calls fn for the shipment's touchpoints in event
// order.
func (s *Store) TouchpointsByShipment(ctx context.Context, shipmentID string, fn func(TouchpointRow) error) error {
	return s.Touchpoints(ctx, TouchpointFilter{ShipmentID: shipmentID}, fn)
}

// Incidents calls fn for the incidents of a shipment ("" = all shipments)
// in event order.
func (s *Store) Incidents(ctx context.Context, shipmentID string, fn func(IncidentRow) error) error {
	var where []string
	var args []any
	if shipmentID != "" {
		where, args = []string{"shipment_id = ?"}, []any{shipmentID}
	}
	return s.each(ctx, "incidents", `SELECT id, shipment_id, cause, description, related_record, generated, event_time, signer_partner,
		block_num, tx_index, tx_id FROM incidents`+whereClause(where)+` ORDER BY event_time, id`, args, func(sc scanner) error {
		var r IncidentRow
		var block, generated int64
		if err := sc.Scan(&r.ID, &r.ShipmentID, &r.Cause, &r.Description, &r.RelatedRecord, &generated, &r.EventTime, &r.SignerPartner,
			&block, &r.Pos.TxIndex, &r.Pos.TxID); err != nil {
			return fmt.Errorf("reading incident: %w", err)
		}
		scanPos(&r.Pos, &block)
		r.Generated = generated != 0
		return fn(r)
	})
}

// ---- declarations and amendments ----

// DeclarationFilter selects declarations. Zero fields do not filter.
type DeclarationFilter struct {
	// From and To bound the declaration date (YYYY-MM-DD, inclusive).
	From, To string
	// HSPrefix matches HS codes starting with these digits (1 to 10).
	HSPrefix string
	// Origin is the ISO 3166-1 alpha-2 country of origin.
	Origin string
	// Party matches the importer, the seller or the declarant ID.
	Party string
	// ImporterID, SellerID match one role only.
	ImporterID, SellerID string
	// SubmitterMSP is the MSP ID of the org that submitted it.
	SubmitterMSP string
}

func (f DeclarationFilter) where() ([]string, []any, error) {
	var where []string
	var args []any
	var from, to time.Time
	for _, b := range []struct {
		field, v string
		into     *time.Time
	}{{"from", f.From, &from}, {"to", f.To, &to}} {
		if b.v == "" {
			continue
		}
		t, err := time.Parse(time.DateOnly, b.v)
		if err != nil {
			return nil, nil, &schemas.FieldError{Field: b.field, Value: b.v, Rule: "must be a date like 2026-01-02"}
		}
		*b.into = t
	}
	if f.From != "" && f.To != "" && to.Before(from) {
		return nil, nil, &schemas.FieldError{Field: "to", Value: f.To, Rule: "must not be before from " + f.From}
	}
	if f.HSPrefix != "" {
		if len(f.HSPrefix) > 10 || strings.Trim(f.HSPrefix, "0123456789") != "" {
			return nil, nil, &schemas.FieldError{Field: "hsPrefix", Value: f.HSPrefix, Rule: "must be 1 to 10 digits"}
		}
	}
	if f.Origin != "" {
		if err := schemas.ValidateCountry("origin", f.Origin); err != nil {
			return nil, nil, err
		}
	}
	if f.From != "" {
		where = append(where, "decl_date >= ?")
		args = append(args, f.From)
	}
	if f.To != "" {
		// Dates may carry a time of day; everything before the next day counts.
		where = append(where, "decl_date < ?")
		args = append(args, to.AddDate(0, 0, 1).Format(time.DateOnly))
	}
	if f.HSPrefix != "" {
		// The prefix is digits only, so LIKE has nothing to escape.
		where = append(where, "hs_code LIKE ?")
		args = append(args, f.HSPrefix+"%")
	}
	for _, c := range []struct{ col, v string }{
		{"country_of_origin", f.Origin}, {"importer_id", f.ImporterID}, {"seller_id", f.SellerID}, {"submitted_by_msp", f.SubmitterMSP},
	} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if f.Party != "" {
		where = append(where, "(importer_id = ? OR seller_id = ? OR declarant_id = ?)")
		args = append(args, f.Party, f.Party, f.Party)
	}
	return where, args, nil
}

// Declarations calls fn for every matching declaration, ordered by date and
// ID, one row in memory at a time. A bad filter value returns a
// *schemas.FieldError.
func (s *Store) Declarations(ctx context.Context, f DeclarationFilter, fn func(DeclarationRow) error) error {
	where, args, err := f.where()
	if err != nil {
		return fmt.Errorf("listing declarations: %w", err)
	}
	return s.each(ctx, "declarations", `SELECT id, decl_date, office_id, process_type, import_type, import_use, payment_type, mode_of_transport,
		declarant_id, importer_id, seller_id, courier_id, hs_code, country_of_departure, country_of_origin, tax_rate, tax_type, origin_indicator,
		net_mass, item_price, shipment_id, submitted_by_msp, submitted_by_id, submitted_at, updated_at, block_num, tx_index, tx_id
		FROM declarations`+whereClause(where)+` ORDER BY decl_date, id`, args, func(sc scanner) error {
		var r DeclarationRow
		d := &r.Declaration
		var msp, byID string
		var block int64
		if err := sc.Scan(&d.ID, &d.Date, &d.OfficeID, &d.ProcessType, &d.ImportType, &d.ImportUse, &d.PaymentType, &d.ModeOfTransport,
			&d.DeclarantID, &d.ImporterID, &d.SellerID, &d.CourierID, &d.HSCode, &d.CountryOfDeparture, &d.CountryOfOrigin, &d.TaxRate,
			&d.TaxType, &d.OriginIndicator, &d.NetMass, &d.ItemPrice, &d.ShipmentID, &msp, &byID, &d.SubmittedAt, &d.UpdatedAt,
			&block, &r.Pos.TxIndex, &r.Pos.TxID); err != nil {
			return fmt.Errorf("reading declaration: %w", err)
		}
		if msp != "" || byID != "" {
			d.SubmittedBy = &schemas.Identity{MSPID: msp, ID: byID}
		}
		scanPos(&r.Pos, &block)
		return fn(r)
	})
}

// Amendments calls fn for the amendments of a declaration ("" = all),
// ordered by proposal time and ID.
func (s *Store) Amendments(ctx context.Context, declarationID string, fn func(AmendmentRow) error) error {
	var where []string
	var args []any
	if declarationID != "" {
		where, args = []string{"declaration_id = ?"}, []any{declarationID}
	}
	return s.each(ctx, "amendments", `SELECT record_json, block_num, tx_index, tx_id FROM amendments`+whereClause(where)+
		` ORDER BY proposed_at, declaration_id, id`, args, func(sc scanner) error {
		var r AmendmentRow
		var raw string
		var block int64
		if err := sc.Scan(&raw, &block, &r.Pos.TxIndex, &r.Pos.TxID); err != nil {
			return fmt.Errorf("reading amendment: %w", err)
		}
		scanPos(&r.Pos, &block)
		if err := json.Unmarshal([]byte(raw), &r.Amendment); err != nil {
			return fmt.Errorf("decoding amendment: %w", err)
		}
		return fn(r)
	})
}

// ---- documents ----

// DocumentFilter selects document anchors. Zero fields do not filter.
type DocumentFilter struct {
	ShipmentID    string
	DeclarationID string
	Owner         string
}

// Documents calls fn for every matching document anchor, ordered by
// anchoring time and hash.
func (s *Store) Documents(ctx context.Context, f DocumentFilter, fn func(DocumentRow) error) error {
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"shipment_id", f.ShipmentID}, {"declaration_id", f.DeclarationID}, {"owner", f.Owner}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	return s.each(ctx, "documents", `SELECT record_json, block_num, tx_index, tx_id FROM documents`+whereClause(where)+
		` ORDER BY anchored_at, sha256`, args, func(sc scanner) error {
		var r DocumentRow
		var raw string
		var block int64
		if err := sc.Scan(&raw, &block, &r.Pos.TxIndex, &r.Pos.TxID); err != nil {
			return fmt.Errorf("reading document: %w", err)
		}
		scanPos(&r.Pos, &block)
		if err := json.Unmarshal([]byte(raw), &r.DocumentAnchor); err != nil {
			return fmt.Errorf("decoding document: %w", err)
		}
		return fn(r)
	})
}

// ---- compliance ----

// ComplianceFilter selects compliance records. Zero fields do not filter.
type ComplianceFilter struct {
	Kind        string
	SubjectType string
	SubjectID   string
}

func scanCompliance(sc scanner, r *ComplianceRow) error {
	var raw string
	var block int64
	if err := sc.Scan(&raw, &block, &r.Pos.TxIndex, &r.Pos.TxID); err != nil {
		return fmt.Errorf("reading compliance record: %w", err)
	}
	scanPos(&r.Pos, &block)
	if err := json.Unmarshal([]byte(raw), &r.ComplianceRecord); err != nil {
		return fmt.Errorf("decoding compliance record: %w", err)
	}
	return nil
}

// Compliance calls fn for every matching compliance record, ordered by
// recording time and ID. A bad kind returns a *schemas.FieldError.
func (s *Store) Compliance(ctx context.Context, f ComplianceFilter, fn func(ComplianceRow) error) error {
	if f.Kind != "" && !contains(schemas.ComplianceKinds, f.Kind) {
		return fmt.Errorf("listing compliance records: %w",
			&schemas.FieldError{Field: "kind", Value: f.Kind, Rule: "must be one of " + strings.Join(schemas.ComplianceKinds, ", ")})
	}
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"kind", f.Kind}, {"subject_type", f.SubjectType}, {"subject_id", f.SubjectID}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	return s.each(ctx, "compliance records", `SELECT record_json, block_num, tx_index, tx_id FROM compliance`+whereClause(where)+
		` ORDER BY recorded_at, id`, args, func(sc scanner) error {
		var r ComplianceRow
		if err := scanCompliance(sc, &r); err != nil {
			return err
		}
		return fn(r)
	})
}

// FollowUpState selects open, closed or all alerts / screening hits.
type FollowUpState string

// Follow-up states.
const (
	StateAll    FollowUpState = ""
	StateOpen   FollowUpState = "open"
	StateClosed FollowUpState = "closed"
)

// FollowUpFilter selects alerts or screening hits.
type FollowUpFilter struct {
	State     FollowUpState
	SubjectID string
	Severity  string // alerts only
}

// Alerts calls fn for every matching alert with its acknowledgement (nil
// while open), ordered by recording time and ID.
func (s *Store) Alerts(ctx context.Context, f FollowUpFilter, fn func(FollowUpRow) error) error {
	return s.followUps(ctx, "alerts", schemas.KindAlert, schemas.KindAlertAck, f, fn)
}

// ScreeningHits calls fn for every matching screening hit with its
// clearance (nil while open), ordered by recording time and ID.
func (s *Store) ScreeningHits(ctx context.Context, f FollowUpFilter, fn func(FollowUpRow) error) error {
	return s.followUps(ctx, "screening hits", schemas.KindScreeningHit, schemas.KindScreeningClearance, f, fn)
}

func (s *Store) followUps(ctx context.Context, what, kind, closeKind string, f FollowUpFilter, fn func(FollowUpRow) error) error {
	where := []string{"a.kind = ?"}
	args := []any{closeKind, kind}
	switch f.State {
	case StateAll:
	case StateOpen:
		where = append(where, "c.id IS NULL")
	case StateClosed:
		where = append(where, "c.id IS NOT NULL")
	default:
		return fmt.Errorf("listing %s: %w", what, &schemas.FieldError{Field: "state", Value: string(f.State), Rule: "must be open, closed or empty"})
	}
	if f.Severity != "" {
		if !contains(schemas.Severities, f.Severity) {
			return fmt.Errorf("listing %s: %w", what, &schemas.FieldError{Field: "severity", Value: f.Severity, Rule: "must be one of " + strings.Join(schemas.Severities, ", ")})
		}
		where = append(where, "a.severity = ?")
		args = append(args, f.Severity)
	}
	if f.SubjectID != "" {
		where = append(where, "a.subject_id = ?")
		args = append(args, f.SubjectID)
	}
	// The contract refuses a second ack or clearance of the same record, so
	// the join yields at most one closing record per row.
	query := `SELECT a.record_json, a.block_num, a.tx_index, a.tx_id,
		COALESCE(c.record_json, ''), COALESCE(c.block_num, -1), COALESCE(c.tx_index, -1), COALESCE(c.tx_id, '')
		FROM compliance a LEFT JOIN compliance c ON c.kind = ? AND c.refers_to = a.id` + whereClause(where) + ` ORDER BY a.recorded_at, a.id`
	return s.each(ctx, what, query, args, func(sc scanner) error {
		var r FollowUpRow
		var raw, craw, ctxID string
		var block, cblock int64
		var cidx int
		if err := sc.Scan(&raw, &block, &r.Record.Pos.TxIndex, &r.Record.Pos.TxID, &craw, &cblock, &cidx, &ctxID); err != nil {
			return fmt.Errorf("reading %s: %w", what, err)
		}
		scanPos(&r.Record.Pos, &block)
		if err := json.Unmarshal([]byte(raw), &r.Record.ComplianceRecord); err != nil {
			return fmt.Errorf("decoding %s: %w", kind, err)
		}
		if craw != "" {
			c := &ComplianceRow{Pos: Position{Block: uint64(cblock), TxIndex: cidx, TxID: ctxID}}
			if err := json.Unmarshal([]byte(craw), &c.ComplianceRecord); err != nil {
				return fmt.Errorf("decoding %s: %w", closeKind, err)
			}
			r.ClosedBy = c
		}
		return fn(r)
	})
}

// ---- counts ----

// Count returns the number of rows of a projected table (see Dump for the
// names).
func (s *Store) Count(ctx context.Context, tableName string) (int64, error) {
	for _, t := range tables {
		if t.name == tableName {
			var n int64
			if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name).Scan(&n); err != nil {
				return 0, fmt.Errorf("counting %s: %w", t.name, err)
			}
			return n, nil
		}
	}
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	return 0, fmt.Errorf("counting rows: %w", &schemas.FieldError{Field: "table", Value: tableName, Rule: "must be one of " + strings.Join(names, ", ")})
}
