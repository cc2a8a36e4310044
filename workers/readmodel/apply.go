package readmodel

import (
	"context"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/blocks"
)

// ErrGap is returned by Apply for a block beyond the next expected one:
// applying it would skip blocks.
var ErrGap = errors.New("block gap")

// ErrChainBroken is returned by Apply for a block whose previous hash is not
// the hash of the block the read model applied before it (another chain, or
// a tampered block).
var ErrChainBroken = errors.New("block does not chain to the previous one")

// ErrConcurrentWriter is returned by Apply when another writer moved the
// checkpoint while this block was being projected; nothing was written.
var ErrConcurrentWriter = errors.New("checkpoint moved by another writer")

// Checkpoint is the position of the last projected transaction.
type Checkpoint struct {
	// Applied is false before block 0 has been applied.
	Applied bool
	Block   uint64
	// TxIndex is the index of the last applied transaction of Block (-1 for
	// a block without transactions).
	TxIndex int
	// Hash is the applied block's header hash (hex).
	Hash string
}

// NextBlock is the number of the first block not fully applied.
func (c Checkpoint) NextBlock() uint64 {
	if !c.Applied {
		return 0
	}
	return c.Block + 1
}

// Checkpoint reads the current checkpoint.
func (s *Store) Checkpoint(ctx context.Context) (Checkpoint, error) {
	return readCheckpoint(ctx, s.db)
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func readCheckpoint(ctx context.Context, q queryRower) (Checkpoint, error) {
	var block int64
	var cp Checkpoint
	err := q.QueryRowContext(ctx, "SELECT block_num, tx_index, block_hash FROM checkpoint WHERE id = 1").Scan(&block, &cp.TxIndex, &cp.Hash)
	if err != nil {
		return Checkpoint{}, fmt.Errorf("reading checkpoint: %w", err)
	}
	if block >= 0 {
		cp.Applied = true
		cp.Block = uint64(block)
	}
	return cp, nil
}

// Apply projects one committed block into the read model, together with the
// checkpoint, in one database transaction: after a crash either the whole
// block and the checkpoint are in, or neither.
//
// Blocks must come in order. A block at or before the checkpoint is
// skipped (applied is false), and so is every transaction at or before the
// checkpoint's (block, tx index), so replaying blocks after a restart
// changes nothing. A block after the next expected one fails with ErrGap; a
// block whose PreviousHash is not the stored hash of the block before it
// fails with ErrChainBroken. Only VALID endorser transactions of the
// projected chaincode change the tables; every transaction gets a row in
// the transactions table.
func (s *Store) Apply(ctx context.Context, b *blocks.Block) (applied bool, err error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("applying block %d: %w", b.Number, err)
	}
	defer tx.Rollback()
	cp, err := readCheckpoint(ctx, tx)
	if err != nil {
		return false, fmt.Errorf("applying block %d: %w", b.Number, err)
	}
	last := len(b.Transactions) - 1
	switch next := cp.NextBlock(); {
	case cp.Applied && b.Number == cp.Block && cp.TxIndex >= last:
		return false, nil
	case b.Number < next && !(cp.Applied && b.Number == cp.Block):
		return false, nil
	case b.Number > next:
		return false, fmt.Errorf("applying block %d: the read model expects block %d: %w", b.Number, next, ErrGap)
	}
	if err := s.checkChain(ctx, tx, b, cp); err != nil {
		return false, err
	}
	p := projector{s: s, tx: tx}
	var todo []*blocks.Transaction
	for i := range b.Transactions {
		t := &b.Transactions[i]
		if cp.Applied && b.Number == cp.Block && t.Index <= cp.TxIndex {
			continue
		}
		todo = append(todo, t)
		if err := p.project(ctx, b.Number, t); err != nil {
			return false, fmt.Errorf("applying block %d tx %d (%s): %w", b.Number, t.Index, t.ID, err)
		}
	}
	if err := p.recordTransactions(ctx, b.Number, todo); err != nil {
		return false, fmt.Errorf("applying block %d: %w", b.Number, err)
	}
	hash := hex.EncodeToString(b.Hash)
	if !(cp.Applied && b.Number == cp.Block) {
		_, err = tx.ExecContext(ctx, s.q(`INSERT INTO blocks (block_num, hash, previous_hash, data_hash, tx_count) VALUES (?, ?, ?, ?, ?)`),
			int64(b.Number), hash, hex.EncodeToString(b.PreviousHash), hex.EncodeToString(b.DataHash), len(b.Transactions))
		if err != nil {
			return false, fmt.Errorf("applying block %d: recording block: %w", b.Number, err)
		}
	}
	// The WHERE clause makes the checkpoint a compare-and-swap: if another
	// writer applied blocks meanwhile, no row matches and nothing commits.
	oldBlock := int64(-1)
	if cp.Applied {
		oldBlock = int64(cp.Block)
	}
	res, err := tx.ExecContext(ctx, s.q(`UPDATE checkpoint SET block_num = ?, tx_index = ?, block_hash = ? WHERE id = 1 AND block_num = ? AND tx_index = ?`),
		int64(b.Number), last, hash, oldBlock, cp.TxIndex)
	if err != nil {
		return false, fmt.Errorf("applying block %d: moving checkpoint: %w", b.Number, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return false, fmt.Errorf("applying block %d: %w", b.Number, ErrConcurrentWriter)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("applying block %d: committing: %w", b.Number, err)
	}
	return true, nil
}

func (s *Store) checkChain(ctx context.Context, tx *sql.Tx, b *blocks.Block, cp Checkpoint) error {
	if b.Number == 0 {
		return nil
	}
	var prevHash string
	err := tx.QueryRowContext(ctx, s.q("SELECT hash FROM blocks WHERE block_num = ?"), int64(b.Number-1)).Scan(&prevHash)
	if errors.Is(err, sql.ErrNoRows) {
		// Resuming mid-block after a partial projection by an older writer,
		// or a read model started from a later block: nothing to compare.
		return nil
	}
	if err != nil {
		return fmt.Errorf("applying block %d: reading previous block hash: %w", b.Number, err)
	}
	if got := hex.EncodeToString(b.PreviousHash); got != prevHash {
		return fmt.Errorf("applying block %d: field=previousHash value=%q rule=must equal the hash %s of block %d: %w",
			b.Number, got, prevHash, b.Number-1, ErrChainBroken)
	}
	return nil
}

// position identifies the transaction that wrote a row.
type position struct {
	block int64
	index int
	txID  string
}

type projector struct {
	s  *Store
	tx *sql.Tx
}

func (p *projector) exec(ctx context.Context, query string, args ...any) error {
	if !p.s.cacheStmts {
		_, err := p.tx.ExecContext(ctx, p.s.q(query), args...)
		return err
	}
	stmt, err := p.s.prepared(ctx, query)
	if err != nil {
		return err
	}
	_, err = p.tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
	return err
}

// maxPrepared bounds the statement cache; the projection uses a few dozen
// distinct statements.
const maxPrepared = 256

// prepared returns the statement for query (written with ? placeholders),
// preparing it once per Store. Re-parsing every statement of every block
// would cost SQLite more than executing it.
func (s *Store) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	s.stmtMu.Lock()
	defer s.stmtMu.Unlock()
	if st, ok := s.stmts[query]; ok {
		return st, nil
	}
	st, err := s.db.PrepareContext(ctx, s.q(query))
	if err != nil {
		return nil, fmt.Errorf("preparing statement: %w", err)
	}
	if len(s.stmts) < maxPrepared {
		s.stmts[query] = st
	}
	return st, nil
}

// txRowsPerInsert bounds the rows of one multi-row INSERT into
// transactions (11 parameters each), below both databases' parameter limits.
const txRowsPerInsert = 500

// recordTransactions inserts one transactions row per transaction, several
// rows per statement: one round trip instead of one per transaction matters
// on PostgreSQL.
func (p *projector) recordTransactions(ctx context.Context, block uint64, txs []*blocks.Transaction) error {
	for len(txs) > 0 {
		chunk := txs[:min(len(txs), txRowsPerInsert)]
		txs = txs[len(chunk):]
		var q strings.Builder
		q.WriteString(`INSERT INTO transactions (block_num, tx_index, tx_id, channel, tx_type, tx_time, creator_msp, validation_code, chaincode, function, event_name) VALUES `)
		args := make([]any, 0, 11*len(chunk))
		for i, t := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
			eventName := ""
			if t.Event != nil {
				eventName = t.Event.Name
			}
			txTime := ""
			if !t.Timestamp.IsZero() {
				txTime = t.Timestamp.UTC().Format(time.RFC3339Nano)
			}
			args = append(args, int64(block), t.Index, t.ID, t.Channel, t.Type.String(), txTime, t.Creator.MSPID,
				t.ValidationCode.String(), t.Chaincode, t.Function(), eventName)
		}
		if err := p.exec(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("recording transactions: %w", err)
		}
	}
	return nil
}

// project applies the writes of a VALID endorser transaction of the
// projected chaincode; other transactions change nothing.
func (p *projector) project(ctx context.Context, block uint64, t *blocks.Transaction) error {
	if !t.Valid() || t.Type != common.HeaderType_ENDORSER_TRANSACTION {
		return nil
	}
	pos := position{block: int64(block), index: t.Index, txID: t.ID}
	for _, w := range t.Writes {
		if w.Namespace != p.s.chaincode {
			continue
		}
		if err := p.write(ctx, pos, w); err != nil {
			return fmt.Errorf("projecting key %q: %w", printableKey(w.Key), err)
		}
	}
	return nil
}

// splitCompositeKey splits a Fabric composite key (U+0000, object type,
// U+0000, each attribute followed by U+0000).
func splitCompositeKey(key string) (objectType string, attrs []string, ok bool) {
	if len(key) < 2 || key[0] != 0 || key[len(key)-1] != 0 {
		return "", nil, false
	}
	parts := strings.Split(key[1:len(key)-1], "\x00")
	return parts[0], parts[1:], true
}

func printableKey(key string) string { return strings.ReplaceAll(key, "\x00", "/") }

// write projects one key of the chaincode's write set. The key layout is
// the table "Keys" of chaincode/API.md. Keys that only index other keys
// (aeo.key, aeo.trace, aeo.container, aeo.seal, aeo.correction,
// aeo.compliance.subject) add nothing the value keys do not hold.
//
// The read model projects write sets, not just chaincode events, because a
// transaction emits one event for its main record while it may change more:
// ApproveAmendment also rewrites the declaration, RecordTouchpoint also
// moves the shipment state, and a screening hit also blocks the shipment.
// The write set is the complete change to the world state.
func (p *projector) write(ctx context.Context, pos position, w blocks.Write) error {
	objectType, attrs, ok := splitCompositeKey(w.Key)
	if !ok {
		return nil
	}
	need := func(n int) error {
		if len(attrs) != n {
			return fmt.Errorf("field=key value=%q rule=%s keys have %d attributes", printableKey(w.Key), objectType, n)
		}
		return nil
	}
	var err error
	switch objectType {
	case "aeo.partner":
		if err = need(1); err == nil {
			err = p.partner(ctx, pos, attrs[0], w)
		}
	case "aeo.shipment":
		if err = need(1); err == nil {
			err = p.shipment(ctx, pos, attrs[0], w)
		}
	case "aeo.state":
		if err = need(1); err == nil {
			err = p.shipmentState(ctx, pos, attrs[0], w)
		}
	case "aeo.party":
		if err = need(2); err == nil {
			err = p.party(ctx, pos, attrs[0], attrs[1], w)
		}
	case "aeo.record":
		if err = need(1); err == nil {
			err = p.record(ctx, pos, attrs[0], w)
		}
	case "aeo.decl":
		if err = need(1); err == nil {
			err = p.declaration(ctx, pos, attrs[0], w)
		}
	case "aeo.amend":
		if err = need(2); err == nil {
			err = p.amendment(ctx, pos, attrs[0], attrs[1], w)
		}
	case "aeo.doc":
		if err = need(1); err == nil {
			err = p.document(ctx, pos, attrs[0], w)
		}
	case "aeo.compliance":
		if err = need(1); err == nil {
			err = p.compliance(ctx, pos, attrs[0], w)
		}
	}
	return err
}

// decode unmarshals a stored value strictly enough to catch a value that
// is not the documented type.
func decode(raw []byte, into any, what string) error {
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("decoding %s: %w", what, err)
	}
	return nil
}

// eventTime normalises an RFC 3339 time to UTC with nine fraction digits,
// so that comparing the text compares the times. Unparseable text is kept.
func eventTime(s string) string {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return s
	}
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z")
}

func identityMSP(id *schemas.Identity) string {
	if id == nil {
		return ""
	}
	return id.MSPID
}

func (p *projector) partner(ctx context.Context, pos position, id string, w blocks.Write) error {
	if err := p.exec(ctx, `DELETE FROM partner_keys WHERE partner_id = ?`, id); err != nil {
		return fmt.Errorf("replacing keys: %w", err)
	}
	if w.IsDelete {
		return p.exec(ctx, `DELETE FROM partners WHERE id = ?`, id)
	}
	var v schemas.Partner
	if err := decode(w.Value, &v, "partner"); err != nil {
		return err
	}
	err := p.exec(ctx, `INSERT INTO partners (id, msp_id, legal_name, country, roles, aeo_certificate, status, status_reason, created_at, updated_at, record_json, block_num, tx_index, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET msp_id = excluded.msp_id, legal_name = excluded.legal_name, country = excluded.country,
		roles = excluded.roles, aeo_certificate = excluded.aeo_certificate, status = excluded.status, status_reason = excluded.status_reason,
		created_at = excluded.created_at, updated_at = excluded.updated_at, record_json = excluded.record_json,
		block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
		id, v.MSPID, v.LegalName, v.Country, strings.Join(v.Roles, ","), v.AEOCertificate, v.Status, v.StatusReason,
		v.CreatedAt, v.UpdatedAt, string(w.Value), pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting partner: %w", err)
	}
	for _, k := range v.Keys {
		err := p.exec(ctx, `INSERT INTO partner_keys (address, partner_id, public_key, label, added_at, revoked_at, revoke_reason, block_num, tx_index, tx_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (address) DO UPDATE SET partner_id = excluded.partner_id, public_key = excluded.public_key, label = excluded.label,
			added_at = excluded.added_at, revoked_at = excluded.revoked_at, revoke_reason = excluded.revoke_reason,
			block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
			schemas.NormalizeAddress(k.Address), id, k.PublicKey, k.Label, k.AddedAt, k.RevokedAt, k.RevokeReason, pos.block, pos.index, pos.txID)
		if err != nil {
			return fmt.Errorf("upserting key %s: %w", k.Address, err)
		}
	}
	return nil
}

func (p *projector) shipment(ctx context.Context, pos position, id string, w blocks.Write) error {
	if w.IsDelete {
		return p.exec(ctx, `DELETE FROM shipments WHERE id = ?`, id)
	}
	var v schemas.Shipment
	if err := decode(w.Value, &v, "shipment"); err != nil {
		return err
	}
	err := p.exec(ctx, `INSERT INTO shipments (id, consignor_partner, consignor_name, consignor_country, consignee_partner, consignee_name, consignee_country,
		origin, destination, hs_codes, planned_departure, planned_arrival, created_by_msp, created_at, record_json, block_num, tx_index, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET consignor_partner = excluded.consignor_partner, consignor_name = excluded.consignor_name,
		consignor_country = excluded.consignor_country, consignee_partner = excluded.consignee_partner, consignee_name = excluded.consignee_name,
		consignee_country = excluded.consignee_country, origin = excluded.origin, destination = excluded.destination, hs_codes = excluded.hs_codes,
		planned_departure = excluded.planned_departure, planned_arrival = excluded.planned_arrival, created_by_msp = excluded.created_by_msp,
		created_at = excluded.created_at, record_json = excluded.record_json, block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
		id, v.Consignor.PartnerID, v.Consignor.Name, v.Consignor.Country, v.Consignee.PartnerID, v.Consignee.Name, v.Consignee.Country,
		v.Origin, v.Destination, strings.Join(v.HSCodes, ","), v.PlannedDeparture, v.PlannedArrival, identityMSP(v.CreatedBy), v.CreatedAt,
		string(w.Value), pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting shipment: %w", err)
	}
	return nil
}

func (p *projector) shipmentState(ctx context.Context, pos position, id string, w blocks.Write) error {
	if w.IsDelete {
		return p.exec(ctx, `DELETE FROM shipment_states WHERE shipment_id = ?`, id)
	}
	var v schemas.ShipmentState
	if err := decode(w.Value, &v, "shipment state"); err != nil {
		return err
	}
	err := p.exec(ctx, `INSERT INTO shipment_states (shipment_id, status, delivered_by, updated_at, state_json, block_num, tx_index, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (shipment_id) DO UPDATE SET status = excluded.status, delivered_by = excluded.delivered_by, updated_at = excluded.updated_at,
		state_json = excluded.state_json, block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
		id, v.Status, v.DeliveredBy, v.UpdatedAt, string(w.Value), pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting shipment state: %w", err)
	}
	return nil
}

func (p *projector) party(ctx context.Context, pos position, partnerID, shipmentID string, w blocks.Write) error {
	if w.IsDelete {
		return p.exec(ctx, `DELETE FROM shipment_parties WHERE shipment_id = ? AND partner_id = ?`, shipmentID, partnerID)
	}
	err := p.exec(ctx, `INSERT INTO shipment_parties (shipment_id, partner_id, block_num, tx_index, tx_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (shipment_id, partner_id) DO UPDATE SET block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
		shipmentID, partnerID, pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting shipment party: %w", err)
	}
	return nil
}

func (p *projector) record(ctx context.Context, pos position, id string, w blocks.Write) error {
	if w.IsDelete {
		if err := p.exec(ctx, `DELETE FROM incidents WHERE id = ?`, id); err != nil {
			return err
		}
		return p.exec(ctx, `DELETE FROM touchpoints WHERE id = ?`, id)
	}
	var v schemas.StoredRecord
	if err := decode(w.Value, &v, "stored record"); err != nil {
		return err
	}
	r := &v.Record
	var action, container, seal, corrects string
	switch {
	case r.Container != nil:
		action, container = r.Container.Action, r.Container.Number
	case r.Seal != nil:
		action, container, seal = r.Seal.Action, r.Seal.ContainerNumber, r.Seal.Number
	case r.POD != nil:
		action = r.POD.Condition
	case r.Incident != nil:
		action = r.Incident.Cause
	case r.Correction != nil:
		corrects = r.Correction.Corrects
	}
	at := eventTime(r.EventTime)
	err := p.exec(ctx, `INSERT INTO touchpoints (id, shipment_id, type, action, event_time, container_number, seal_number, location,
		signer_address, signer_partner, submitter_msp, recorded_at, corrects, record_json, block_num, tx_index, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET shipment_id = excluded.shipment_id, type = excluded.type, action = excluded.action,
		event_time = excluded.event_time, container_number = excluded.container_number, seal_number = excluded.seal_number,
		location = excluded.location, signer_address = excluded.signer_address, signer_partner = excluded.signer_partner,
		submitter_msp = excluded.submitter_msp, recorded_at = excluded.recorded_at, corrects = excluded.corrects,
		record_json = excluded.record_json, block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
		id, r.ShipmentID, r.Type, action, at, container, seal, r.Location.UNLocode, r.Signer, v.SignerPartner,
		v.Submitter.MSPID, v.RecordedAt, corrects, string(w.Value), pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting touchpoint: %w", err)
	}
	if r.Incident == nil {
		return nil
	}
	generated := 0
	if r.Incident.Generated {
		generated = 1
	}
	err = p.exec(ctx, `INSERT INTO incidents (id, shipment_id, cause, description, related_record, generated, event_time, signer_partner, block_num, tx_index, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET shipment_id = excluded.shipment_id, cause = excluded.cause, description = excluded.description,
		related_record = excluded.related_record, generated = excluded.generated, event_time = excluded.event_time,
		signer_partner = excluded.signer_partner, block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
		id, r.ShipmentID, r.Incident.Cause, r.Incident.Description, r.Incident.RelatedRecord, generated, at, v.SignerPartner,
		pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting incident: %w", err)
	}
	return nil
}

func (p *projector) declaration(ctx context.Context, pos position, id string, w blocks.Write) error {
	if w.IsDelete {
		return p.exec(ctx, `DELETE FROM declarations WHERE id = ?`, id)
	}
	var v schemas.Declaration
	if err := decode(w.Value, &v, "declaration"); err != nil {
		return err
	}
	var byID string
	if v.SubmittedBy != nil {
		byID = v.SubmittedBy.ID
	}
	err := p.exec(ctx, `INSERT INTO declarations (id, decl_date, office_id, process_type, import_type, import_use, payment_type, mode_of_transport,
		declarant_id, importer_id, seller_id, courier_id, hs_code, country_of_departure, country_of_origin, tax_rate, tax_type, origin_indicator,
		net_mass, item_price, shipment_id, submitted_by_msp, submitted_by_id, submitted_at, updated_at, block_num, tx_index, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET decl_date = excluded.decl_date, office_id = excluded.office_id, process_type = excluded.process_type,
		import_type = excluded.import_type, import_use = excluded.import_use, payment_type = excluded.payment_type,
		mode_of_transport = excluded.mode_of_transport, declarant_id = excluded.declarant_id, importer_id = excluded.importer_id,
		seller_id = excluded.seller_id, courier_id = excluded.courier_id, hs_code = excluded.hs_code,
		country_of_departure = excluded.country_of_departure, country_of_origin = excluded.country_of_origin, tax_rate = excluded.tax_rate,
		tax_type = excluded.tax_type, origin_indicator = excluded.origin_indicator, net_mass = excluded.net_mass, item_price = excluded.item_price,
		shipment_id = excluded.shipment_id, submitted_by_msp = excluded.submitted_by_msp, submitted_by_id = excluded.submitted_by_id,
		submitted_at = excluded.submitted_at, updated_at = excluded.updated_at, block_num = excluded.block_num, tx_index = excluded.tx_index,
		tx_id = excluded.tx_id`,
		id, v.Date, v.OfficeID, v.ProcessType, v.ImportType, v.ImportUse, v.PaymentType, v.ModeOfTransport,
		v.DeclarantID, v.ImporterID, v.SellerID, v.CourierID, v.HSCode, v.CountryOfDeparture, v.CountryOfOrigin, v.TaxRate, v.TaxType,
		v.OriginIndicator, v.NetMass, v.ItemPrice, v.ShipmentID, identityMSP(v.SubmittedBy), byID, v.SubmittedAt, v.UpdatedAt,
		pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting declaration: %w", err)
	}
	return nil
}

func (p *projector) amendment(ctx context.Context, pos position, declID, id string, w blocks.Write) error {
	if w.IsDelete {
		return p.exec(ctx, `DELETE FROM amendments WHERE declaration_id = ? AND id = ?`, declID, id)
	}
	var v schemas.Amendment
	if err := decode(w.Value, &v, "amendment"); err != nil {
		return err
	}
	err := p.exec(ctx, `INSERT INTO amendments (declaration_id, id, field, old_value, new_value, reason, status, proposed_by_msp, proposed_at, record_json, block_num, tx_index, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (declaration_id, id) DO UPDATE SET field = excluded.field, old_value = excluded.old_value, new_value = excluded.new_value,
		reason = excluded.reason, status = excluded.status, proposed_by_msp = excluded.proposed_by_msp, proposed_at = excluded.proposed_at,
		record_json = excluded.record_json, block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
		declID, id, v.Field, v.OldValue, v.NewValue, v.Reason, v.Status, identityMSP(v.ProposedBy), v.ProposedAt, string(w.Value),
		pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting amendment: %w", err)
	}
	return nil
}

func (p *projector) document(ctx context.Context, pos position, sha string, w blocks.Write) error {
	if w.IsDelete {
		return p.exec(ctx, `DELETE FROM documents WHERE sha256 = ?`, sha)
	}
	var v schemas.DocumentAnchor
	if err := decode(w.Value, &v, "document anchor"); err != nil {
		return err
	}
	err := p.exec(ctx, `INSERT INTO documents (sha256, doc_type, owner, media_type, size, name, shipment_id, declaration_id, anchored_by_msp, anchored_at, record_json, block_num, tx_index, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (sha256) DO UPDATE SET doc_type = excluded.doc_type, owner = excluded.owner, media_type = excluded.media_type,
		size = excluded.size, name = excluded.name, shipment_id = excluded.shipment_id, declaration_id = excluded.declaration_id,
		anchored_by_msp = excluded.anchored_by_msp, anchored_at = excluded.anchored_at, record_json = excluded.record_json,
		block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
		sha, v.DocType, v.Owner, v.MediaType, v.Size, v.Name, v.ShipmentID, v.DeclarationID, identityMSP(v.AnchoredBy), v.AnchoredAt,
		string(w.Value), pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting document: %w", err)
	}
	return nil
}

func (p *projector) compliance(ctx context.Context, pos position, id string, w blocks.Write) error {
	if w.IsDelete {
		return p.exec(ctx, `DELETE FROM compliance WHERE id = ?`, id)
	}
	var v schemas.ComplianceRecord
	if err := decode(w.Value, &v, "compliance record"); err != nil {
		return err
	}
	err := p.exec(ctx, `INSERT INTO compliance (id, kind, subject_type, subject_id, created_at, score, threshold, refers_to, officer, rule, severity, message,
		recorded_by_msp, recorded_at, record_json, block_num, tx_index, tx_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, subject_type = excluded.subject_type, subject_id = excluded.subject_id,
		created_at = excluded.created_at, score = excluded.score, threshold = excluded.threshold, refers_to = excluded.refers_to,
		officer = excluded.officer, rule = excluded.rule, severity = excluded.severity, message = excluded.message,
		recorded_by_msp = excluded.recorded_by_msp, recorded_at = excluded.recorded_at, record_json = excluded.record_json,
		block_num = excluded.block_num, tx_index = excluded.tx_index, tx_id = excluded.tx_id`,
		id, v.Kind, v.SubjectType, v.SubjectID, v.CreatedAt, nullFloat(v.Score), nullFloat(v.Threshold), v.RefersTo, v.Officer, v.Rule,
		v.Severity, v.Message, identityMSP(v.RecordedBy), v.RecordedAt, string(w.Value), pos.block, pos.index, pos.txID)
	if err != nil {
		return fmt.Errorf("upserting compliance record: %w", err)
	}
	return nil
}

func nullFloat(f *float64) sql.NullFloat64 {
	if f == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *f, Valid: true}
}
