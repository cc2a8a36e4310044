package schemas

// This file holds the shapes the chaincode stores and returns around the
// submitted records (see chaincode/API.md).

// Identity is a Fabric client identity as the contract sees it through cid.
type Identity struct {
	MSPID string `json:"mspId"`
	ID    string `json:"id"` // decoded cid.GetID(): "x509::<subject DN>::<issuer DN>"
}

// StoredRecord is a touchpoint as stored on the ledger with the facts of the
// transaction that recorded it.
type StoredRecord struct {
	Record        Touchpoint `json:"record"`
	TxID          string     `json:"txId"`
	RecordedAt    string     `json:"recordedAt"`
	SignerPartner string     `json:"signerPartner,omitempty"` // empty for contract-generated incidents
	Submitter     Identity   `json:"submitter"`
}

// RecordResult is what RecordTouchpoint returns and emits: the touchpoint
// first, then any incident the contract created in the same transaction.
type RecordResult struct {
	Records []StoredRecord `json:"records"`
}

// Verification statuses of a trace item.
const (
	StatusVerified          = "verified"
	StatusContractGenerated = "contract-generated"
	StatusKeyRevoked        = "key-revoked"
	StatusUnknownSigner     = "unknown-signer"
	StatusBadSignature      = "bad-signature"
)

// TraceItem is a stored record with its verification, recomputed at query time.
type TraceItem struct {
	Record        StoredRecord `json:"record"`
	SignerPartner string       `json:"signerPartner,omitempty"`
	SignerMSP     string       `json:"signerMsp,omitempty"`
	Status        string       `json:"status"`
	StatusDetail  string       `json:"statusDetail,omitempty"`
	CorrectedBy   []string     `json:"correctedBy,omitempty"`
}

// Shipment statuses.
const (
	ShipmentBooked    = "booked"
	ShipmentInTransit = "in-transit"
	ShipmentArrived   = "arrived"
	ShipmentDelivered = "delivered"
)

// Seal states on a shipment.
const (
	SealStateAffixed = "affixed"
	SealStateBroken  = "broken"
	SealStateRemoved = "removed"
)

// ShipmentState is the contract's per-shipment state machine.
type ShipmentState struct {
	ShipmentID  string            `json:"shipmentId"`
	Status      string            `json:"status"`
	Seals       map[string]string `json:"seals,omitempty"`       // seal number -> state
	OpenHits    []string          `json:"openHits,omitempty"`    // uncleared screening-hit IDs
	DeliveredBy string            `json:"deliveredBy,omitempty"` // POD record ID
	UpdatedAt   string            `json:"updatedAt,omitempty"`
}

// ShipmentView is what GetShipment returns.
type ShipmentView struct {
	Shipment Shipment      `json:"shipment"`
	State    ShipmentState `json:"state"`
}

// Page is one page of a paginated query. Bookmark is empty on the last page.
type Page[T any] struct {
	Items    []T    `json:"items"`
	Count    int    `json:"count"`
	Bookmark string `json:"bookmark"`
}

// HistoryEntry is one version of a key, from the ledger's key history.
type HistoryEntry struct {
	TxID        string `json:"txId"`
	Timestamp   string `json:"timestamp"`
	IsDelete    bool   `json:"isDelete"`
	Value       any    `json:"value,omitempty"`
	CorrectedBy string `json:"correctedBy,omitempty"`
}

// Document verification statuses.
const (
	DocumentIntact   = "intact"
	DocumentTampered = "tampered"
)

// DocumentVerification is what VerifyDocument returns.
type DocumentVerification struct {
	SHA256       string         `json:"sha256"`
	ActualSHA256 string         `json:"actualSha256"`
	Status       string         `json:"status"`
	Anchor       DocumentAnchor `json:"anchor"`
}
