package chaincode

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/aeoledger/aeoledger/schemas"
)

// Page sizes.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

func checkPageSize(n int32) (int32, error) {
	if n == 0 {
		return DefaultPageSize, nil
	}
	if n < 0 || n > MaxPageSize {
		return 0, invalid("pageSize", strconv.Itoa(int(n)), "must be between 0 (default %d) and %d", DefaultPageSize, MaxPageSize)
	}
	return n, nil
}

// scan runs a paginated partial-composite-key query and calls each for every
// entry. It returns the bookmark of the next page ("" after the last).
func (t *txn) scan(obj string, attrs []string, pageSize int32, bookmark string, each func(value []byte) error) (int, string, error) {
	n, err := checkPageSize(pageSize)
	if err != nil {
		return 0, "", err
	}
	if len(bookmark) > 4096 {
		return 0, "", invalid("bookmark", bookmark, "must be at most 4096 bytes")
	}
	it, meta, err := t.stub.GetStateByPartialCompositeKeyWithPagination(obj, attrs, n, bookmark)
	if err != nil {
		return 0, "", fmt.Errorf("querying %s: %w", obj, err)
	}
	defer it.Close()
	count := 0
	for it.HasNext() {
		kv, err := it.Next()
		if err != nil {
			return 0, "", fmt.Errorf("querying %s: %w", obj, err)
		}
		if err := each(kv.Value); err != nil {
			return 0, "", err
		}
		count++
	}
	next := ""
	if meta != nil && count == int(n) {
		next = meta.Bookmark
	}
	return count, next, nil
}

// pageOf pages through objects stored directly under obj/attrs.
func pageOf[T any](c *Contract, ctx contractapi.TransactionContextInterface, obj string, attrs []string,
	pageSize int32, bookmark, what string, keep func(*T) bool) (*schemas.Page[T], error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	page := &schemas.Page[T]{Items: []T{}}
	_, next, err := t.scan(obj, attrs, pageSize, bookmark, func(raw []byte) error {
		var v T
		if err := json.Unmarshal(raw, &v); err != nil {
			return fmt.Errorf("decoding stored value: %w", err)
		}
		if keep == nil || keep(&v) {
			page.Items = append(page.Items, v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	page.Count, page.Bookmark = len(page.Items), next
	return page, nil
}

// verifier recomputes the verification status of stored records, caching
// the partners it looks up.
type verifier struct {
	t        *txn
	partners map[string]*schemas.Partner
}

func (v *verifier) item(sr *schemas.StoredRecord) (schemas.TraceItem, error) {
	it := schemas.TraceItem{Record: *sr}
	if sr.Record.Type == schemas.TypeIncident && sr.Record.Incident != nil && sr.Record.Incident.Generated && sr.Record.Signer == "" {
		it.Status = schemas.StatusContractGenerated
		it.StatusDetail = "created by the contract for record " + sr.Record.Incident.RelatedRecord
		return it, v.corrections(&it)
	}
	addr, err := schemas.RecoverSigner(&sr.Record)
	if err != nil {
		it.Status, it.StatusDetail = schemas.StatusBadSignature, err.Error()
		return it, v.corrections(&it)
	}
	p, ok := v.partners[addr]
	if !ok {
		p, err = v.t.partnerByKey(addr)
		if err != nil && Code(err) != CodeNotFound {
			return it, err
		}
		v.partners[addr] = p
	}
	if p == nil {
		it.Status, it.StatusDetail = schemas.StatusUnknownSigner, "key "+addr+" is not in the partner registry"
		return it, v.corrections(&it)
	}
	it.SignerPartner, it.SignerMSP = p.ID, p.MSPID
	k := p.Key(addr)
	it.Status = schemas.StatusVerified
	it.StatusDetail = "signed by key " + addr + " of partner " + p.ID
	if k != nil && k.RevokedAt != "" {
		rec, err1 := time.Parse(time.RFC3339Nano, sr.RecordedAt)
		rev, err2 := time.Parse(time.RFC3339Nano, k.RevokedAt)
		if err1 != nil || err2 != nil || !rec.Before(rev) {
			it.Status = schemas.StatusKeyRevoked
			it.StatusDetail = "key " + addr + " was revoked at " + k.RevokedAt + ", before the record was recorded"
		} else {
			it.StatusDetail += " (key revoked later, at " + k.RevokedAt + ")"
		}
	}
	return it, v.corrections(&it)
}

// corrections lists the corrections recorded for the item's record.
func (v *verifier) corrections(it *schemas.TraceItem) error {
	ids, err := v.t.correctionsOf(it.Record.Record.ID)
	it.CorrectedBy = ids
	return err
}

func (t *txn) correctionsOf(recordID string) ([]string, error) {
	iter, err := t.stub.GetStateByPartialCompositeKey(objCorrection, []string{recordID})
	if err != nil {
		return nil, fmt.Errorf("listing corrections: %w", err)
	}
	defer iter.Close()
	var ids []string
	for iter.HasNext() {
		kv, err := iter.Next()
		if err != nil {
			return nil, fmt.Errorf("listing corrections: %w", err)
		}
		ids = append(ids, string(kv.Value))
	}
	return ids, nil
}

func (t *txn) loadRecord(id string) (*schemas.StoredRecord, error) {
	sr, _, err := load[schemas.StoredRecord](t, objRecord, id)
	if err == nil && sr == nil {
		err = fail(ErrNotFound, "record %s is not on the ledger", id)
	}
	return sr, err
}

// traceBy pages through an index of record IDs in event order.
func (c *Contract) traceBy(ctx contractapi.TransactionContextInterface, obj, what string, attrs []string,
	pageSize int32, bookmark string) (*schemas.Page[schemas.TraceItem], error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	v := &verifier{t: t, partners: map[string]*schemas.Partner{}}
	page := &schemas.Page[schemas.TraceItem]{Items: []schemas.TraceItem{}}
	_, next, err := t.scan(obj, attrs, pageSize, bookmark, func(raw []byte) error {
		sr, err := t.loadRecord(string(raw))
		if err != nil {
			return err
		}
		it, err := v.item(sr)
		if err != nil {
			return err
		}
		page.Items = append(page.Items, it)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	page.Count, page.Bookmark = len(page.Items), next
	return page, nil
}

// Trace returns a shipment's records in event order, each with its signer
// partner and verification status.
func (c *Contract) Trace(ctx contractapi.TransactionContextInterface, shipmentID string, pageSize int32, bookmark string) (string, error) {
	if err := schemas.ValidateID("shipmentId", shipmentID); err != nil {
		return respond(nil, fmt.Errorf("tracing shipment: %w", err))
	}
	return respond(c.traceShipment(ctx, shipmentID, pageSize, bookmark))
}

func (c *Contract) traceShipment(ctx contractapi.TransactionContextInterface, shipmentID string, pageSize int32, bookmark string) (*schemas.Page[schemas.TraceItem], error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := t.loadShipment(shipmentID); err != nil {
		return nil, fmt.Errorf("tracing shipment: %w", err)
	}
	return c.traceBy(ctx, objTrace, "tracing shipment", []string{shipmentID}, pageSize, bookmark)
}

// RecordsByContainer returns the records that name a container (container
// events and seals on it) in event order.
func (c *Contract) RecordsByContainer(ctx contractapi.TransactionContextInterface, containerNumber string, pageSize int32, bookmark string) (string, error) {
	if err := schemas.ValidateContainerNumber("containerNumber", containerNumber); err != nil {
		return respond(nil, fmt.Errorf("tracing container: %w", err))
	}
	return respond(c.traceBy(ctx, objContainer, "tracing container", []string{containerNumber}, pageSize, bookmark))
}

// RecordsBySeal returns the records of a seal in event order.
func (c *Contract) RecordsBySeal(ctx contractapi.TransactionContextInterface, sealNumber string, pageSize int32, bookmark string) (string, error) {
	if err := schemas.ValidateSealNumber("sealNumber", sealNumber); err != nil {
		return respond(nil, fmt.Errorf("tracing seal: %w", err))
	}
	return respond(c.traceBy(ctx, objSeal, "tracing seal", []string{sealNumber}, pageSize, bookmark))
}

// GetRecord returns one record with its verification status.
func (c *Contract) GetRecord(ctx contractapi.TransactionContextInterface, recordID string) (string, error) {
	return respond(c.getRecord(ctx, recordID))
}

func (c *Contract) getRecord(ctx contractapi.TransactionContextInterface, recordID string) (*schemas.TraceItem, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := schemas.ValidateSHA256("recordId", recordID); err != nil {
		return nil, fmt.Errorf("getting record: %w", err)
	}
	sr, err := t.loadRecord(recordID)
	if err != nil {
		return nil, fmt.Errorf("getting record: %w", err)
	}
	it, err := (&verifier{t: t, partners: map[string]*schemas.Partner{}}).item(sr)
	if err != nil {
		return nil, fmt.Errorf("getting record: %w", err)
	}
	return &it, nil
}

// History kinds.
var historyKinds = map[string]string{
	"partner": objPartner, "shipment": objShipment, "shipment-state": objState, "record": objRecord,
	"declaration": objDecl, "amendment": objAmend, "document": objDoc, "compliance": objCompliance,
}

// History returns every version of a stored object, oldest first, with the
// transaction ID and timestamp that wrote it. For a record it also lists its
// corrections. The bookmark is the offset of the next entry.
func (c *Contract) History(ctx contractapi.TransactionContextInterface, kind, id string, pageSize int32, bookmark string) (string, error) {
	return respond(c.history(ctx, kind, id, pageSize, bookmark))
}

func (c *Contract) history(ctx contractapi.TransactionContextInterface, kind, id string, pageSize int32, bookmark string) (*schemas.Page[schemas.HistoryEntry], error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	obj, ok := historyKinds[kind]
	if !ok {
		return nil, fmt.Errorf("reading history: %w", invalid("kind", kind, "must be one of %s", joinKeys(historyKinds)))
	}
	n, err := checkPageSize(pageSize)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	offset := 0
	if bookmark != "" {
		offset, err = strconv.Atoi(bookmark)
		if err != nil || offset < 0 {
			return nil, fmt.Errorf("reading history: %w", invalid("bookmark", bookmark, "must be a bookmark returned by History"))
		}
	}
	attrs := []string{id}
	if kind == "amendment" {
		decl, amend, found := strings.Cut(id, "/")
		if !found {
			return nil, fmt.Errorf("reading history: %w", invalid("id", id, "an amendment is named declarationId/amendmentId"))
		}
		attrs = []string{decl, amend}
	}
	k, err := t.key(obj, attrs...)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	it, err := t.stub.GetHistoryForKey(k)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	defer it.Close()
	var all []schemas.HistoryEntry
	for it.HasNext() {
		m, err := it.Next()
		if err != nil {
			return nil, fmt.Errorf("reading history: %w", err)
		}
		e := schemas.HistoryEntry{TxID: m.TxId, IsDelete: m.IsDelete}
		if m.Timestamp != nil {
			e.Timestamp = FormatTime(m.Timestamp.AsTime())
		}
		if len(m.Value) > 0 {
			e.Value = json.RawMessage(m.Value)
		}
		all = append(all, e)
	}
	if len(all) == 0 {
		return nil, fmt.Errorf("reading history: %w", fail(ErrNotFound, "%s %q has no history", kind, id))
	}
	// Fabric returns newest first; the answer is oldest first either way.
	sort.SliceStable(all, func(i, j int) bool { return all[i].Timestamp < all[j].Timestamp })
	if kind == "record" {
		ids, err := t.correctionsOf(id)
		if err != nil {
			return nil, fmt.Errorf("reading history: %w", err)
		}
		for _, cid := range ids {
			sr, err := t.loadRecord(cid)
			if err != nil {
				return nil, fmt.Errorf("reading history: %w", err)
			}
			raw, _ := json.Marshal(sr)
			all = append(all, schemas.HistoryEntry{TxID: sr.TxID, Timestamp: sr.RecordedAt, Value: json.RawMessage(raw), CorrectedBy: cid})
		}
	}
	page := &schemas.Page[schemas.HistoryEntry]{Items: []schemas.HistoryEntry{}}
	if offset < len(all) {
		end := min(offset+int(n), len(all))
		page.Items = all[offset:end]
		if end < len(all) {
			page.Bookmark = strconv.Itoa(end)
		}
	}
	page.Count = len(page.Items)
	return page, nil
}

func joinKeys(m map[string]string) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
