package readmodel

// schemaVersion changes whenever a table changes; a read model of another
// version must be rebuilt from block 0.
const schemaVersion = 1

// table lists a projected table and the columns that order its rows in a
// Dump.
type table struct {
	name    string
	orderBy string
}

// tables are the tables Reset empties and Dump writes, in that order.
var tables = []table{
	{"blocks", "block_num"},
	{"transactions", "block_num, tx_index"},
	{"partners", "id"},
	{"partner_keys", "address"},
	{"shipments", "id"},
	{"shipment_states", "shipment_id"},
	{"shipment_parties", "shipment_id, partner_id"},
	{"touchpoints", "id"},
	{"incidents", "id"},
	{"declarations", "id"},
	{"amendments", "declaration_id, id"},
	{"documents", "sha256"},
	{"compliance", "id"},
}

// schema is the DDL, in the SQL both SQLite and PostgreSQL accept. Text
// columns are NOT NULL DEFAULT ” so that an absent optional field reads as
// "" on both backends. Times are RFC 3339 text; event_time is normalised to
// UTC with nine fraction digits so that text order is time order. Every
// projected row carries the position of the transaction that last wrote it
// (block_num, tx_index, tx_id).
var schema = []string{
	`CREATE TABLE IF NOT EXISTS schema_version (
		id INTEGER PRIMARY KEY,
		version INTEGER NOT NULL
	)`,
	// checkpoint: the last block (and its last transaction index) whose
	// projection is committed; -1 before block 0.
	`CREATE TABLE IF NOT EXISTS checkpoint (
		id INTEGER PRIMARY KEY,
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		block_hash TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS blocks (
		block_num BIGINT PRIMARY KEY,
		hash TEXT NOT NULL,
		previous_hash TEXT NOT NULL,
		data_hash TEXT NOT NULL,
		tx_count INTEGER NOT NULL
	)`,
	// transactions: every transaction of every applied block, valid or not.
	`CREATE TABLE IF NOT EXISTS transactions (
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL,
		channel TEXT NOT NULL DEFAULT '',
		tx_type TEXT NOT NULL DEFAULT '',
		tx_time TEXT NOT NULL DEFAULT '',
		creator_msp TEXT NOT NULL DEFAULT '',
		validation_code TEXT NOT NULL,
		chaincode TEXT NOT NULL DEFAULT '',
		function TEXT NOT NULL DEFAULT '',
		event_name TEXT NOT NULL DEFAULT '',
		PRIMARY KEY (block_num, tx_index)
	)`,
	`CREATE INDEX IF NOT EXISTS transactions_tx_id ON transactions (tx_id)`,
	`CREATE TABLE IF NOT EXISTS partners (
		id TEXT PRIMARY KEY,
		msp_id TEXT NOT NULL DEFAULT '',
		legal_name TEXT NOT NULL DEFAULT '',
		country TEXT NOT NULL DEFAULT '',
		roles TEXT NOT NULL DEFAULT '',
		aeo_certificate TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL DEFAULT '',
		status_reason TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL DEFAULT '',
		updated_at TEXT NOT NULL DEFAULT '',
		record_json TEXT NOT NULL,
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS partner_keys (
		address TEXT PRIMARY KEY,
		partner_id TEXT NOT NULL,
		public_key TEXT NOT NULL DEFAULT '',
		label TEXT NOT NULL DEFAULT '',
		added_at TEXT NOT NULL DEFAULT '',
		revoked_at TEXT NOT NULL DEFAULT '',
		revoke_reason TEXT NOT NULL DEFAULT '',
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS partner_keys_partner ON partner_keys (partner_id)`,
	`CREATE TABLE IF NOT EXISTS shipments (
		id TEXT PRIMARY KEY,
		consignor_partner TEXT NOT NULL DEFAULT '',
		consignor_name TEXT NOT NULL DEFAULT '',
		consignor_country TEXT NOT NULL DEFAULT '',
		consignee_partner TEXT NOT NULL DEFAULT '',
		consignee_name TEXT NOT NULL DEFAULT '',
		consignee_country TEXT NOT NULL DEFAULT '',
		origin TEXT NOT NULL DEFAULT '',
		destination TEXT NOT NULL DEFAULT '',
		hs_codes TEXT NOT NULL DEFAULT '',
		planned_departure TEXT NOT NULL DEFAULT '',
		planned_arrival TEXT NOT NULL DEFAULT '',
		created_by_msp TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL DEFAULT '',
		record_json TEXT NOT NULL,
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS shipment_states (
		shipment_id TEXT PRIMARY KEY,
		status TEXT NOT NULL DEFAULT '',
		delivered_by TEXT NOT NULL DEFAULT '',
		updated_at TEXT NOT NULL DEFAULT '',
		state_json TEXT NOT NULL,
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL
	)`,
	`CREATE TABLE IF NOT EXISTS shipment_parties (
		shipment_id TEXT NOT NULL,
		partner_id TEXT NOT NULL,
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL,
		PRIMARY KEY (shipment_id, partner_id)
	)`,
	`CREATE INDEX IF NOT EXISTS shipment_parties_partner ON shipment_parties (partner_id)`,
	`CREATE TABLE IF NOT EXISTS touchpoints (
		id TEXT PRIMARY KEY,
		shipment_id TEXT NOT NULL,
		type TEXT NOT NULL,
		action TEXT NOT NULL DEFAULT '',
		event_time TEXT NOT NULL,
		container_number TEXT NOT NULL DEFAULT '',
		seal_number TEXT NOT NULL DEFAULT '',
		location TEXT NOT NULL DEFAULT '',
		signer_address TEXT NOT NULL DEFAULT '',
		signer_partner TEXT NOT NULL DEFAULT '',
		submitter_msp TEXT NOT NULL DEFAULT '',
		recorded_at TEXT NOT NULL DEFAULT '',
		corrects TEXT NOT NULL DEFAULT '',
		record_json TEXT NOT NULL,
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS touchpoints_shipment ON touchpoints (shipment_id, event_time, id)`,
	`CREATE INDEX IF NOT EXISTS touchpoints_container ON touchpoints (container_number, event_time)`,
	`CREATE INDEX IF NOT EXISTS touchpoints_seal ON touchpoints (seal_number, event_time)`,
	`CREATE TABLE IF NOT EXISTS incidents (
		id TEXT PRIMARY KEY,
		shipment_id TEXT NOT NULL,
		cause TEXT NOT NULL,
		description TEXT NOT NULL DEFAULT '',
		related_record TEXT NOT NULL DEFAULT '',
		generated INTEGER NOT NULL,
		event_time TEXT NOT NULL,
		signer_partner TEXT NOT NULL DEFAULT '',
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS incidents_shipment ON incidents (shipment_id, event_time)`,
	`CREATE TABLE IF NOT EXISTS declarations (
		id TEXT PRIMARY KEY,
		decl_date TEXT NOT NULL,
		office_id TEXT NOT NULL DEFAULT '',
		process_type TEXT NOT NULL DEFAULT '',
		import_type TEXT NOT NULL DEFAULT '',
		import_use TEXT NOT NULL DEFAULT '',
		payment_type TEXT NOT NULL DEFAULT '',
		mode_of_transport TEXT NOT NULL DEFAULT '',
		declarant_id TEXT NOT NULL DEFAULT '',
		importer_id TEXT NOT NULL DEFAULT '',
		seller_id TEXT NOT NULL DEFAULT '',
		courier_id TEXT NOT NULL DEFAULT '',
		hs_code TEXT NOT NULL DEFAULT '',
		country_of_departure TEXT NOT NULL DEFAULT '',
		country_of_origin TEXT NOT NULL DEFAULT '',
		tax_rate DOUBLE PRECISION NOT NULL,
		tax_type TEXT NOT NULL DEFAULT '',
		origin_indicator TEXT NOT NULL DEFAULT '',
		net_mass DOUBLE PRECISION NOT NULL,
		item_price DOUBLE PRECISION NOT NULL,
		shipment_id TEXT NOT NULL DEFAULT '',
		submitted_by_msp TEXT NOT NULL DEFAULT '',
		submitted_by_id TEXT NOT NULL DEFAULT '',
		submitted_at TEXT NOT NULL DEFAULT '',
		updated_at TEXT NOT NULL DEFAULT '',
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS declarations_date ON declarations (decl_date, id)`,
	`CREATE INDEX IF NOT EXISTS declarations_hs ON declarations (hs_code)`,
	`CREATE INDEX IF NOT EXISTS declarations_importer ON declarations (importer_id)`,
	`CREATE TABLE IF NOT EXISTS amendments (
		declaration_id TEXT NOT NULL,
		id TEXT NOT NULL,
		field TEXT NOT NULL DEFAULT '',
		old_value TEXT NOT NULL DEFAULT '',
		new_value TEXT NOT NULL DEFAULT '',
		reason TEXT NOT NULL DEFAULT '',
		status TEXT NOT NULL DEFAULT '',
		proposed_by_msp TEXT NOT NULL DEFAULT '',
		proposed_at TEXT NOT NULL DEFAULT '',
		record_json TEXT NOT NULL,
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL,
		PRIMARY KEY (declaration_id, id)
	)`,
	`CREATE TABLE IF NOT EXISTS documents (
		sha256 TEXT PRIMARY KEY,
		doc_type TEXT NOT NULL DEFAULT '',
		owner TEXT NOT NULL DEFAULT '',
		media_type TEXT NOT NULL DEFAULT '',
		size BIGINT NOT NULL,
		name TEXT NOT NULL DEFAULT '',
		shipment_id TEXT NOT NULL DEFAULT '',
		declaration_id TEXT NOT NULL DEFAULT '',
		anchored_by_msp TEXT NOT NULL DEFAULT '',
		anchored_at TEXT NOT NULL DEFAULT '',
		record_json TEXT NOT NULL,
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS documents_shipment ON documents (shipment_id)`,
	`CREATE INDEX IF NOT EXISTS documents_declaration ON documents (declaration_id)`,
	// compliance: anomaly scores, screening hits and clearances, alerts and
	// their acknowledgements, incidents, access-log digests. A clearance or
	// an ack points at its hit or alert through refers_to.
	`CREATE TABLE IF NOT EXISTS compliance (
		id TEXT PRIMARY KEY,
		kind TEXT NOT NULL,
		subject_type TEXT NOT NULL DEFAULT '',
		subject_id TEXT NOT NULL DEFAULT '',
		created_at TEXT NOT NULL DEFAULT '',
		score DOUBLE PRECISION,
		threshold DOUBLE PRECISION,
		refers_to TEXT NOT NULL DEFAULT '',
		officer TEXT NOT NULL DEFAULT '',
		rule TEXT NOT NULL DEFAULT '',
		severity TEXT NOT NULL DEFAULT '',
		message TEXT NOT NULL DEFAULT '',
		recorded_by_msp TEXT NOT NULL DEFAULT '',
		recorded_at TEXT NOT NULL DEFAULT '',
		record_json TEXT NOT NULL,
		block_num BIGINT NOT NULL,
		tx_index INTEGER NOT NULL,
		tx_id TEXT NOT NULL
	)`,
	`CREATE INDEX IF NOT EXISTS compliance_kind_refers ON compliance (kind, refers_to)`,
	`CREATE INDEX IF NOT EXISTS compliance_subject ON compliance (subject_id, kind)`,
}
