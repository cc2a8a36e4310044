package chaincode

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"time"

	"github.com/hyperledger/fabric-chaincode-go/v2/pkg/cid"
	"github.com/hyperledger/fabric-chaincode-go/v2/shim"
	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"
	"github.com/hyperledger/fabric-contract-api-go/v2/metadata"

	"github.com/aeoledger/aeoledger/internal/genmap"
	"github.com/aeoledger/aeoledger/schemas"
)

// ContractName is the name of the (default) contract in the chaincode.
const ContractName = "aeoledger"

// Version is reported in the contract metadata.
const Version = "1.0.0"

// DefaultGovernanceMSP is the MSP whose admins act as the network's
// governance role unless AEO_GOVERNANCE_MSPS says otherwise.
const DefaultGovernanceMSP = "CustomsMSP"

// GovernanceEnv names the environment variable read by New: a
// comma-separated list of governance MSP IDs.
const GovernanceEnv = "AEO_GOVERNANCE_MSPS"

// MaxFutureSkew is how far a record's eventTime may lie after the
// transaction timestamp.
const MaxFutureSkew = 5 * time.Minute

// Config tunes the contract.
type Config struct {
	// GovernanceMSPs are the MSPs whose admins may register and manage any
	// partner. Empty means DefaultGovernanceMSP.
	GovernanceMSPs []string
}

// Contract implements every transaction of API.md. Transaction functions
// take and return JSON strings so that the wire format is exactly the
// schemas package's JSON.
type Contract struct {
	contractapi.Contract
	governance map[string]bool
	verified   *genmap.Map[[sha256.Size]byte, string] // see newVerified
}

// New returns the ready chaincode, with the governance MSPs taken from the
// AEO_GOVERNANCE_MSPS environment variable (default CustomsMSP).
func New() (*contractapi.ContractChaincode, error) {
	var cfg Config
	if v := strings.TrimSpace(os.Getenv(GovernanceEnv)); v != "" {
		for _, m := range strings.Split(v, ",") {
			if m = strings.TrimSpace(m); m != "" {
				cfg.GovernanceMSPs = append(cfg.GovernanceMSPs, m)
			}
		}
	}
	return NewWithConfig(cfg)
}

// NewWithConfig returns the ready chaincode for cfg.
func NewWithConfig(cfg Config) (*contractapi.ContractChaincode, error) {
	c := &Contract{governance: map[string]bool{}, verified: newVerified()}
	if len(cfg.GovernanceMSPs) == 0 {
		cfg.GovernanceMSPs = []string{DefaultGovernanceMSP}
	}
	for _, m := range cfg.GovernanceMSPs {
		c.governance[m] = true
	}
	c.Name = ContractName
	c.Info = metadata.InfoMetadata{
		Title:       "aeoledger",
		Description: "AEO supply-chain evidence: partners, shipments, signed touchpoints, declarations, documents, compliance records",
		Version:     Version,
		License:     &metadata.LicenseMetadata{Name: "Apache-2.0"},
	}
	cc, err := contractapi.NewChaincode(c)
	if err != nil {
		return nil, fmt.Errorf("building chaincode: %w", err)
	}
	cc.DefaultContract = ContractName
	cc.Info = metadata.InfoMetadata{Title: "aeoledger", Version: Version}
	return cc, nil
}

// GetEvaluateTransactions lists the read-only transactions.
func (c *Contract) GetEvaluateTransactions() []string {
	return []string{"GetPartner", "GetPartnerByKey", "ListPartners", "GetShipment", "ListShipmentsByParty",
		"GetRecord", "Trace", "RecordsByContainer", "RecordsBySeal", "GetDeclaration", "ListAmendments",
		"GetDocument", "VerifyDocument", "GetCompliance", "ListCompliance", "History"}
}

// GetIgnoredFunctions hides helper methods from the chaincode interface.
func (c *Contract) GetIgnoredFunctions() []string { return nil }

// Composite key object types (see API.md).
const (
	objPartner       = "aeo.partner"
	objKey           = "aeo.key"
	objMSP           = "aeo.msp"
	objShipment      = "aeo.shipment"
	objParty         = "aeo.party"
	objState         = "aeo.state"
	objRecord        = "aeo.record"
	objTrace         = "aeo.trace"
	objContainer     = "aeo.container"
	objSeal          = "aeo.seal"
	objCorrection    = "aeo.correction"
	objDecl          = "aeo.decl"
	objAmend         = "aeo.amend"
	objDoc           = "aeo.doc"
	objCompliance    = "aeo.compliance"
	objComplianceSub = "aeo.compliance.subject"
	objResolved      = "aeo.resolved"
)

// Event names.
const (
	EventPartner     = "partner"
	EventShipment    = "shipment"
	EventTouchpoint  = "touchpoint"
	EventDeclaration = "declaration"
	EventAmendment   = "amendment"
	EventDocument    = "document"
	EventCompliance  = "compliance"
)

// txn bundles what one transaction needs: the stub, the caller and the time.
type txn struct {
	c      *Contract
	ctx    contractapi.TransactionContextInterface
	stub   shim.ChaincodeStubInterface
	now    time.Time
	nowStr string
	// read holds committed values fetched ahead by prefetch (nil for an
	// absent key). Fabric's GetState never returns the transaction's own
	// writes, so serving later reads from here changes no result.
	read map[string][]byte
}

func (c *Contract) begin(ctx contractapi.TransactionContextInterface) (*txn, error) {
	stub := ctx.GetStub()
	ts, err := stub.GetTxTimestamp()
	if err != nil {
		return nil, fmt.Errorf("reading transaction timestamp: %w", err)
	}
	now := ts.AsTime().UTC()
	// On a Fabric v3.1+ peer this sends all writes in one message when the
	// transaction ends, instead of one round trip per PutState; elsewhere it
	// does nothing.
	stub.StartWriteBatch()
	return &txn{c: c, ctx: ctx, stub: stub, now: now, nowStr: FormatTime(now)}, nil
}

// prefetch reads keys in one GetMultipleStates call (one round trip to a
// Fabric peer instead of one per key); later reads of them are answered
// from memory.
func (t *txn) prefetch(keys ...string) error {
	vals, err := t.stub.GetMultipleStates(keys...)
	if err != nil {
		return fmt.Errorf("reading state: %w", err)
	}
	if len(vals) != len(keys) {
		return fmt.Errorf("reading state: %d values for %d keys", len(vals), len(keys))
	}
	if t.read == nil {
		t.read = make(map[string][]byte, len(keys))
	}
	for i, k := range keys {
		t.read[k] = vals[i]
	}
	return nil
}

// getState returns the committed value of key, from prefetch's values when
// it has them.
func (t *txn) getState(key string) ([]byte, error) {
	if v, ok := t.read[key]; ok {
		return v, nil
	}
	return t.stub.GetState(key)
}

// FormatTime renders a time as the contract stores it: UTC with nine
// fraction digits, so that strings sort in time order.
func FormatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

// identity returns the client identity, or nil when contractapi could not
// parse the creator (it then hands over a typed nil inside the interface).
func (t *txn) identity() cid.ClientIdentity {
	ci := t.ctx.GetClientIdentity()
	if ci == nil {
		return nil
	}
	if v := reflect.ValueOf(ci); v.Kind() == reflect.Pointer && v.IsNil() {
		return nil
	}
	return ci
}

// caller returns the client identity of the transaction.
func (t *txn) caller() (schemas.Identity, error) {
	ci := t.identity()
	if ci == nil {
		return schemas.Identity{}, fail(ErrForbidden, "the transaction carries no usable client identity")
	}
	msp, err := ci.GetMSPID()
	if err != nil {
		return schemas.Identity{}, fmt.Errorf("reading caller MSP ID: %w", err)
	}
	id, err := ci.GetID()
	if err != nil {
		return schemas.Identity{}, fmt.Errorf("reading caller ID: %w", err)
	}
	if dec, err := base64.StdEncoding.DecodeString(id); err == nil {
		id = string(dec)
	}
	return schemas.Identity{MSPID: msp, ID: id}, nil
}

// isAdmin reports whether the caller is an admin of its org: NodeOU "admin"
// in the certificate subject, or the attribute aeo.role=admin.
func (t *txn) isAdmin() bool {
	ci := t.identity()
	if ci == nil {
		return false
	}
	if cert, err := ci.GetX509Certificate(); err == nil && cert != nil &&
		slices.Contains(cert.Subject.OrganizationalUnit, "admin") {
		return true
	}
	v, found, err := ci.GetAttributeValue("aeo.role")
	return err == nil && found && v == "admin"
}

// isGovernance reports whether the caller is an admin of a governance MSP.
func (t *txn) isGovernance(who schemas.Identity) bool {
	return t.c.governance[who.MSPID] && t.isAdmin()
}

func (t *txn) key(obj string, attrs ...string) (string, error) {
	k, err := t.stub.CreateCompositeKey(obj, attrs)
	if err != nil {
		return "", invalid("key", strings.Join(attrs, "/"), "cannot form a ledger key: %v", err)
	}
	return k, nil
}

// getJSON reads key into v; it reports whether the key exists.
func (t *txn) getJSON(key string, v any) (bool, error) {
	raw, err := t.getState(key)
	if err != nil {
		return false, fmt.Errorf("reading state: %w", err)
	}
	if len(raw) == 0 {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return false, fmt.Errorf("decoding stored value: %w", err)
	}
	return true, nil
}

// load reads the value at the composite key (obj, attrs...) and returns it
// with its key; the value is nil, without error, when the key is absent.
func load[T any](t *txn, obj string, attrs ...string) (*T, string, error) {
	k, err := t.key(obj, attrs...)
	if err != nil {
		return nil, "", err
	}
	var v T
	ok, err := t.getJSON(k, &v)
	if err != nil || !ok {
		return nil, "", err
	}
	return &v, k, nil
}

func (t *txn) exists(key string) (bool, error) {
	raw, err := t.getState(key)
	if err != nil {
		return false, fmt.Errorf("reading state: %w", err)
	}
	return len(raw) > 0, nil
}

func (t *txn) putJSON(key string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding value: %w", err)
	}
	if err := t.stub.PutState(key, raw); err != nil {
		return fmt.Errorf("writing state: %w", err)
	}
	return nil
}

// putIndex writes an index entry whose value is the ID it points to (Fabric
// treats an empty value as a delete, so the value is never empty).
func (t *txn) putIndex(obj string, target string, attrs ...string) error {
	k, err := t.key(obj, attrs...)
	if err != nil {
		return err
	}
	if err := t.stub.PutState(k, []byte(target)); err != nil {
		return fmt.Errorf("writing index %s: %w", obj, err)
	}
	return nil
}

func (t *txn) emit(name string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encoding event: %w", err)
	}
	if err := t.stub.SetEvent(name, raw); err != nil {
		return fmt.Errorf("setting event: %w", err)
	}
	return nil
}

// respond marshals a result, or gives the error its code word.
func respond(v any, err error) (string, error) {
	if err != nil {
		return "", coded(err)
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return "", coded(fmt.Errorf("encoding result: %w", err))
	}
	return string(raw), nil
}

// parse validates a submitted JSON document of kind.
func parse[T any](kind, raw string) (*T, error) {
	v, err := schemas.Parse(kind, []byte(raw))
	if err != nil {
		return nil, err
	}
	return v.(*T), nil
}
