package bundle

import "encoding/json"

// Format is the version string every bundle carries in its "format" field.
// A verifier refuses any other value.
const Format = "aeoledger-bundle/1"

// Item kinds: which kind of ledger object an item is a version of.
const (
	KindTouchpoint  = "touchpoint"
	KindShipment    = "shipment"
	KindPartner     = "partner"
	KindDeclaration = "declaration"
	KindAmendment   = "amendment"
	KindDocument    = "document"
	KindCompliance  = "compliance"
)

// objectKinds maps the contract's composite-key object types to item kinds
// (chaincode/API.md, "Keys").
var objectKinds = map[string]string{
	"aeo.record":     KindTouchpoint,
	"aeo.shipment":   KindShipment,
	"aeo.partner":    KindPartner,
	"aeo.decl":       KindDeclaration,
	"aeo.amend":      KindAmendment,
	"aeo.doc":        KindDocument,
	"aeo.compliance": KindCompliance,
}

// Bundle is an evidence bundle: ledger objects together with everything
// needed to check, without a network, that they were written by valid,
// signed and endorsed transactions in signed blocks that chain to a
// checkpoint. The file is this struct as RFC 8785 canonical JSON; see
// BUNDLE-FORMAT.md.
type Bundle struct {
	Format    string `json:"format"`
	Channel   string `json:"channel"`
	Chaincode string `json:"chaincode"`
	// CreatedAt and Query are informational; only Digest covers them.
	CreatedAt string `json:"createdAt"`
	Query     Query  `json:"query"`
	// Orgs holds the CA certificates of every organisation whose identity
	// signs something in the bundle (creators, endorsers, orderers).
	Orgs []Org `json:"orgs"`
	// Headers is the contiguous chain of block headers from FirstBlock to
	// the checkpoint (or from the checkpoint to the last record block).
	Headers []Header `json:"headers"`
	// Blocks are the blocks that hold items, with all their data entries
	// and their signatures.
	Blocks []Block `json:"blocks"`
	// ConfigBlocks are the channel config blocks that define the SmartBFT
	// consenters whose identifier-header signatures sign bundled blocks
	// (absent when every block signature carries its signer's certificate,
	// as on Raft and the embedded peer).
	ConfigBlocks []ConfigBlock `json:"configBlocks,omitempty"`
	// Items are the bundled ledger object versions, in ledger order.
	Items []Item `json:"items"`
	// Checkpoint is the block the builder chained the headers to (the chain
	// head at build time). An auditor compares it with a value they trust.
	Checkpoint Checkpoint `json:"checkpoint"`
	// Digest is hex SHA-256 of the canonical bundle with Digest empty: a
	// checksum that makes any changed byte detectable. It is not a proof;
	// the signatures and hash links are.
	Digest string `json:"digest"`
}

// Query says what the bundle was built for. Zero fields were not used.
type Query struct {
	ShipmentID      string `json:"shipmentId,omitempty"`
	ContainerNumber string `json:"containerNumber,omitempty"`
	DeclarationID   string `json:"declarationId,omitempty"`
	// TxIDs selects every object version the named transactions wrote
	// (e.g. the transactions behind the rows of an export).
	TxIDs     []string `json:"txIds,omitempty"`
	FromBlock uint64   `json:"fromBlock,omitempty"`
}

// Org is one organisation's CA certificates, PEM encoded.
type Org struct {
	MSPID             string   `json:"mspId"`
	RootCerts         []string `json:"rootCerts"`
	IntermediateCerts []string `json:"intermediateCerts,omitempty"`
}

// Header is a block header: the three fields Fabric hashes (hex).
type Header struct {
	Number       uint64 `json:"number"`
	PreviousHash string `json:"previousHash"`
	DataHash     string `json:"dataHash"`
}

// Block is a block that holds bundled items.
type Block struct {
	Number uint64 `json:"number"`
	// Data are the block's data entries (marshalled common.Envelope), all
	// of them, since the data hash covers their concatenation.
	Data [][]byte `json:"data"`
	// Signatures is the block's SIGNATURES metadata (marshalled
	// common.Metadata).
	Signatures []byte `json:"signatures"`
	// Flags is the TRANSACTIONS_FILTER metadata when the orderer signed it
	// (embedded peer); empty for Fabric blocks, whose flags are written by
	// each peer and are not signed.
	Flags []byte `json:"flags,omitempty"`
}

// ConfigBlock is a config block's number and data: its one CONFIG envelope,
// whose /Channel/Orderer/Orderers value maps consenter IDs to orderer
// identities. The data hash in the header chain ties it to the checkpoint;
// its signatures are not needed for that and are not bundled.
type ConfigBlock struct {
	Number uint64   `json:"number"`
	Data   [][]byte `json:"data"`
}

// Item is one version of a ledger object, as a transaction wrote it.
type Item struct {
	Kind string `json:"kind"`
	// ID is the record ID for touchpoints, the object's ID otherwise
	// (declarationId/amendmentId for amendments, the hash for documents).
	ID string `json:"id"`
	// Key is the state key (a composite key, "\u0000" separated).
	Key     string `json:"key"`
	Block   uint64 `json:"block"`
	TxIndex int    `json:"txIndex"`
	TxID    string `json:"txId"`
	// ValidationCode is the transaction's validation code as the peer
	// reported it ("VALID"); on embedded-peer blocks it is also signed
	// through Block.Flags.
	ValidationCode string `json:"validationCode"`
	// Value is the JSON the transaction wrote under Key.
	Value json.RawMessage `json:"value"`
}

// Checkpoint names a block by number and header hash (hex).
type Checkpoint struct {
	Block uint64 `json:"block"`
	Hash  string `json:"hash"`
}
