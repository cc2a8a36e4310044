package chaincode

import (
	"fmt"
	"slices"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/aeoledger/aeoledger/schemas"
)

// RecordCompliance records a worker's or officer's conclusion. The caller's
// MSP must own an active partner. A screening hit on a shipment blocks its
// loading, departure and POD until a screening clearance refers to it.
func (c *Contract) RecordCompliance(ctx contractapi.TransactionContextInterface, recordJSON string) (string, error) {
	return respond(c.recordCompliance(ctx, recordJSON))
}

func (c *Contract) recordCompliance(ctx contractapi.TransactionContextInterface, recordJSON string) (*schemas.ComplianceRecord, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	r, err := parse[schemas.ComplianceRecord](schemas.KindCompliance, recordJSON)
	if err != nil {
		return nil, fmt.Errorf("recording compliance: %w", err)
	}
	if r.ID != "" || r.RecordedBy != nil || r.RecordedAt != "" || r.TxID != "" {
		return nil, fmt.Errorf("recording compliance: %w", invalid("id", r.ID, "id, recordedBy, recordedAt and txId are set by the contract"))
	}
	_, who, err := t.callerPartner("record compliance records")
	if err != nil {
		return nil, fmt.Errorf("recording compliance: %w", err)
	}
	if err := t.subjectExists(r.SubjectType, r.SubjectID); err != nil {
		return nil, fmt.Errorf("recording compliance: %w", err)
	}
	var target *schemas.ComplianceRecord
	if r.Kind == schemas.KindScreeningClearance || r.Kind == schemas.KindAlertAck {
		if target, err = t.resolveTarget(r); err != nil {
			return nil, fmt.Errorf("recording compliance: %w", err)
		}
	}
	if r.ID, err = schemas.ComplianceID(r); err != nil {
		return nil, err
	}
	k, err := t.key(objCompliance, r.ID)
	if err != nil {
		return nil, err
	}
	if ok, err := t.exists(k); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("recording compliance: %w", fail(ErrDuplicate, "compliance record %s is already on the ledger", r.ID))
	}
	r.RecordedBy, r.RecordedAt, r.TxID = &who, t.nowStr, t.stub.GetTxID()
	if err := t.putJSON(k, r); err != nil {
		return nil, err
	}
	if err := t.putIndex(objComplianceSub, r.ID, r.SubjectID, r.ID); err != nil {
		return nil, err
	}
	if target != nil {
		if err := t.putIndex(objResolved, r.ID, target.ID); err != nil {
			return nil, err
		}
	}
	if err := t.updateBlocks(r, target); err != nil {
		return nil, err
	}
	return r, t.emit(EventCompliance, r)
}

// subjectExists checks that the subject of a compliance record is on the
// ledger (archives are off-chain and not checked).
func (t *txn) subjectExists(typ, id string) error {
	var err error
	switch typ {
	case "declaration":
		_, _, err = t.loadDeclaration(id)
	case "shipment":
		_, err = t.loadShipment(id)
	case "partner":
		_, _, err = t.loadPartner(id)
	case "record":
		_, err = t.loadRecord(id)
	case "document":
		_, err = t.loadDocument(id)
	case "compliance":
		_, err = t.loadCompliance(id)
	}
	return err
}

// resolveTarget finds the hit or alert a clearance or acknowledgement
// refers to, checks its kind and that nobody resolved it yet.
func (t *txn) resolveTarget(r *schemas.ComplianceRecord) (*schemas.ComplianceRecord, error) {
	target, err := t.loadCompliance(r.RefersTo)
	if err != nil {
		return nil, err
	}
	want := schemas.KindScreeningHit
	if r.Kind == schemas.KindAlertAck {
		want = schemas.KindAlert
	}
	if target.Kind != want {
		return nil, invalid("refersTo", r.RefersTo, "a %s must refer to a record of kind %s, not %s", r.Kind, want, target.Kind)
	}
	rk, err := t.key(objResolved, target.ID)
	if err != nil {
		return nil, err
	}
	raw, err := t.getState(rk)
	if err != nil {
		return nil, fmt.Errorf("reading resolutions: %w", err)
	}
	if len(raw) > 0 {
		return nil, fail(ErrConflict, "%s %s was already resolved by %s", target.Kind, target.ID, string(raw))
	}
	return target, nil
}

// updateBlocks opens or closes a shipment's screening block.
func (t *txn) updateBlocks(r, target *schemas.ComplianceRecord) error {
	hit := r
	if target != nil {
		hit = target
	}
	if hit.Kind != schemas.KindScreeningHit || hit.SubjectType != "shipment" {
		return nil
	}
	st, err := t.loadState(hit.SubjectID)
	if err != nil {
		return err
	}
	if r.Kind == schemas.KindScreeningHit {
		st.OpenHits = append(st.OpenHits, r.ID)
	} else {
		st.OpenHits = slices.DeleteFunc(st.OpenHits, func(id string) bool { return id == hit.ID })
	}
	return t.putState(st)
}

func (t *txn) loadCompliance(id string) (*schemas.ComplianceRecord, error) {
	if err := schemas.ValidateSHA256("complianceId", id); err != nil {
		return nil, err
	}
	r, _, err := load[schemas.ComplianceRecord](t, objCompliance, id)
	if err == nil && r == nil {
		err = fail(ErrNotFound, "compliance record %s is not on the ledger", id)
	}
	return r, err
}

// GetCompliance returns a compliance record.
func (c *Contract) GetCompliance(ctx contractapi.TransactionContextInterface, complianceID string) (string, error) {
	return respond(c.getCompliance(ctx, complianceID))
}

func (c *Contract) getCompliance(ctx contractapi.TransactionContextInterface, complianceID string) (*schemas.ComplianceRecord, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	r, err := t.loadCompliance(complianceID)
	if err != nil {
		return nil, fmt.Errorf("getting compliance record: %w", err)
	}
	return r, nil
}

// ListCompliance pages through the compliance records about a subject.
func (c *Contract) ListCompliance(ctx contractapi.TransactionContextInterface, subjectID string, pageSize int32, bookmark string) (string, error) {
	return respond(c.listCompliance(ctx, subjectID, pageSize, bookmark))
}

func (c *Contract) listCompliance(ctx contractapi.TransactionContextInterface, subjectID string, pageSize int32, bookmark string) (*schemas.Page[schemas.ComplianceRecord], error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if subjectID == "" || len(subjectID) > 128 {
		return nil, fmt.Errorf("listing compliance records: %w", invalid("subjectId", subjectID, "must have 1-128 characters"))
	}
	page := &schemas.Page[schemas.ComplianceRecord]{Items: []schemas.ComplianceRecord{}}
	_, next, err := t.scan(objComplianceSub, []string{subjectID}, pageSize, bookmark, func(raw []byte) error {
		r, err := t.loadCompliance(string(raw))
		if err != nil {
			return err
		}
		page.Items = append(page.Items, *r)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing compliance records: %w", err)
	}
	page.Count, page.Bookmark = len(page.Items), next
	return page, nil
}
