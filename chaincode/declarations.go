package chaincode

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/aeoledger/aeoledger/schemas"
)

// SubmitDeclaration records a customs declaration. The caller's MSP must own
// an active partner with role importer, broker or customs.
func (c *Contract) SubmitDeclaration(ctx contractapi.TransactionContextInterface, declarationJSON string) (string, error) {
	return respond(c.submitDeclaration(ctx, declarationJSON))
}

func (c *Contract) submitDeclaration(ctx contractapi.TransactionContextInterface, declarationJSON string) (*schemas.Declaration, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	d, err := parse[schemas.Declaration](schemas.KindDeclaration, declarationJSON)
	if err != nil {
		return nil, fmt.Errorf("submitting declaration: %w", err)
	}
	if d.SubmittedBy != nil || d.SubmittedAt != "" || d.UpdatedAt != "" {
		return nil, fmt.Errorf("submitting declaration: %w", invalid("submittedBy", d.SubmittedAt, "submittedBy, submittedAt and updatedAt are set by the contract"))
	}
	_, who, err := t.callerPartner("submit declarations", schemas.RoleImporter, schemas.RoleBroker, schemas.RoleCustoms)
	if err != nil {
		return nil, fmt.Errorf("submitting declaration: %w", err)
	}
	if d.ShipmentID != "" {
		if _, err := t.loadShipment(d.ShipmentID); err != nil {
			return nil, fmt.Errorf("submitting declaration: %w", err)
		}
	}
	dk, err := t.key(objDecl, d.ID)
	if err != nil {
		return nil, err
	}
	if ok, err := t.exists(dk); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("submitting declaration: %w", fail(ErrDuplicate, "declaration %q already exists", d.ID))
	}
	d.SubmittedBy, d.SubmittedAt, d.UpdatedAt = &who, t.nowStr, t.nowStr
	if err := t.putJSON(dk, d); err != nil {
		return nil, err
	}
	return d, t.emit(EventDeclaration, d)
}

func (t *txn) loadDeclaration(id string) (*schemas.Declaration, string, error) {
	d, k, err := load[schemas.Declaration](t, objDecl, id)
	if err == nil && d == nil {
		return nil, "", fail(ErrNotFound, "declaration %q does not exist", id)
	}
	return d, k, err
}

// sameValue compares a declaration field's current value with a proposed
// old value, numerically for numeric fields (8 equals 8.0).
func sameValue(field, current, old string) bool {
	switch field {
	case "taxRate", "netMass", "itemPrice":
		a, err1 := strconv.ParseFloat(current, 64)
		b, err2 := strconv.ParseFloat(old, 64)
		return err1 == nil && err2 == nil && a == b
	}
	return current == old
}

// AmendDeclaration proposes a change of one declaration field. It takes
// effect when ApproveAmendment is called by a second identity of the same
// org.
func (c *Contract) AmendDeclaration(ctx contractapi.TransactionContextInterface, amendmentJSON string) (string, error) {
	return respond(c.amendDeclaration(ctx, amendmentJSON))
}

func (c *Contract) amendDeclaration(ctx contractapi.TransactionContextInterface, amendmentJSON string) (*schemas.Amendment, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	a, err := parse[schemas.Amendment](schemas.KindAmendment, amendmentJSON)
	if err != nil {
		return nil, fmt.Errorf("amending declaration: %w", err)
	}
	if a.ID != "" || a.ProposedBy != nil || a.ProposedAt != "" || a.Status != "" || len(a.Approvals) > 0 || a.Rejection != nil {
		return nil, fmt.Errorf("amending declaration: %w", invalid("id", a.ID, "id, proposedBy, proposedAt, status, approvals and rejection are set by the contract"))
	}
	d, _, err := t.loadDeclaration(a.DeclarationID)
	if err != nil {
		return nil, fmt.Errorf("amending declaration: %w", err)
	}
	who, err := t.caller()
	if err != nil {
		return nil, err
	}
	if d.SubmittedBy == nil || d.SubmittedBy.MSPID != who.MSPID {
		if _, _, err := t.callerPartner("amend declarations of other orgs", schemas.RoleCustoms); err != nil {
			return nil, fmt.Errorf("amending declaration %q: %w", d.ID, err)
		}
	}
	cur, _ := d.Get(a.Field)
	if !sameValue(a.Field, cur, a.OldValue) {
		return nil, fmt.Errorf("amending declaration: %w", fail(ErrConflict, "declaration %q field %s is %q, not oldValue %q", d.ID, a.Field, cur, a.OldValue))
	}
	a.ProposedBy, a.ProposedAt, a.Status = &who, t.nowStr, schemas.AmendmentPending
	digest, err := schemas.Digest(map[string]any{"amendment": a, "txId": t.stub.GetTxID()})
	if err != nil {
		return nil, err
	}
	a.ID = hex.EncodeToString(digest[:])
	ak, err := t.key(objAmend, a.DeclarationID, a.ID)
	if err != nil {
		return nil, err
	}
	if ok, err := t.exists(ak); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("amending declaration: %w", fail(ErrDuplicate, "amendment %s already exists", a.ID))
	}
	if err := t.putJSON(ak, a); err != nil {
		return nil, err
	}
	return a, t.emit(EventAmendment, a)
}

func (t *txn) loadAmendment(declID, amendID string) (*schemas.Amendment, string, error) {
	if err := schemas.ValidateID("declarationId", declID); err != nil {
		return nil, "", err
	}
	if err := schemas.ValidateSHA256("amendmentId", amendID); err != nil {
		return nil, "", err
	}
	a, k, err := load[schemas.Amendment](t, objAmend, declID, amendID)
	if err == nil && a == nil {
		return nil, "", fail(ErrNotFound, "amendment %s of declaration %q does not exist", amendID, declID)
	}
	return a, k, err
}

// decideAmendment loads a pending amendment and checks the caller is of the
// proposer's org.
func (t *txn) decideAmendment(declID, amendID string) (*schemas.Amendment, string, schemas.Identity, error) {
	a, ak, err := t.loadAmendment(declID, amendID)
	if err != nil {
		return nil, "", schemas.Identity{}, err
	}
	who, err := t.caller()
	if err != nil {
		return nil, "", who, err
	}
	if a.Status != schemas.AmendmentPending {
		return nil, "", who, fail(ErrConflict, "amendment %s is already %s", a.ID, a.Status)
	}
	if a.ProposedBy == nil || a.ProposedBy.MSPID != who.MSPID {
		return nil, "", who, fail(ErrForbidden, "only an identity of %s may decide amendment %s, not %s", a.ProposedBy.MSPID, a.ID, who.MSPID)
	}
	return a, ak, who, nil
}

// ApproveAmendment approves a pending amendment and applies it. The approver
// must be another identity of the proposer's org.
func (c *Contract) ApproveAmendment(ctx contractapi.TransactionContextInterface, declarationID, amendmentID string) (string, error) {
	return respond(c.approveAmendment(ctx, declarationID, amendmentID))
}

func (c *Contract) approveAmendment(ctx contractapi.TransactionContextInterface, declID, amendID string) (*schemas.Amendment, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	a, ak, who, err := t.decideAmendment(declID, amendID)
	if err != nil {
		return nil, fmt.Errorf("approving amendment: %w", err)
	}
	if who.ID == a.ProposedBy.ID {
		return nil, fmt.Errorf("approving amendment: %w", fail(ErrForbidden, "%s proposed amendment %s and cannot approve it; a second identity of %s must", who.ID, a.ID, who.MSPID))
	}
	d, dk, err := t.loadDeclaration(declID)
	if err != nil {
		return nil, fmt.Errorf("approving amendment: %w", err)
	}
	cur, _ := d.Get(a.Field)
	if !sameValue(a.Field, cur, a.OldValue) {
		return nil, fmt.Errorf("approving amendment: %w", fail(ErrConflict, "declaration %q field %s is now %q, not %q as the amendment expected", d.ID, a.Field, cur, a.OldValue))
	}
	if err := d.Set(a.Field, a.NewValue); err != nil {
		return nil, fmt.Errorf("approving amendment: %w", err)
	}
	d.UpdatedAt = t.nowStr
	a.Status = schemas.AmendmentApproved
	a.Approvals = append(a.Approvals, schemas.Approval{By: who, At: t.nowStr, TxID: t.stub.GetTxID()})
	if err := t.putJSON(dk, d); err != nil {
		return nil, err
	}
	if err := t.putJSON(ak, a); err != nil {
		return nil, err
	}
	return a, t.emit(EventAmendment, a)
}

// RejectAmendment rejects (or, by its proposer, withdraws) a pending
// amendment.
func (c *Contract) RejectAmendment(ctx contractapi.TransactionContextInterface, declarationID, amendmentID, reason string) (string, error) {
	return respond(c.rejectAmendment(ctx, declarationID, amendmentID, reason))
}

func (c *Contract) rejectAmendment(ctx contractapi.TransactionContextInterface, declID, amendID, reason string) (*schemas.Amendment, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if strings.TrimSpace(reason) == "" || len(reason) > schemas.MaxTextLen {
		return nil, fmt.Errorf("rejecting amendment: %w", invalid("reason", reason, "a rejection needs a reason of 1-%d characters", schemas.MaxTextLen))
	}
	a, ak, who, err := t.decideAmendment(declID, amendID)
	if err != nil {
		return nil, fmt.Errorf("rejecting amendment: %w", err)
	}
	a.Status = schemas.AmendmentRejected
	a.Rejection = &schemas.Approval{By: who, At: t.nowStr, TxID: t.stub.GetTxID(), Reason: reason}
	if err := t.putJSON(ak, a); err != nil {
		return nil, err
	}
	return a, t.emit(EventAmendment, a)
}

// GetDeclaration returns a declaration as currently amended.
func (c *Contract) GetDeclaration(ctx contractapi.TransactionContextInterface, declarationID string) (string, error) {
	return respond(c.getDeclaration(ctx, declarationID))
}

func (c *Contract) getDeclaration(ctx contractapi.TransactionContextInterface, declarationID string) (*schemas.Declaration, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := schemas.ValidateID("declarationId", declarationID); err != nil {
		return nil, fmt.Errorf("getting declaration: %w", err)
	}
	d, _, err := t.loadDeclaration(declarationID)
	if err != nil {
		return nil, fmt.Errorf("getting declaration: %w", err)
	}
	return d, nil
}

// ListAmendments pages through a declaration's amendments.
func (c *Contract) ListAmendments(ctx contractapi.TransactionContextInterface, declarationID string, pageSize int32, bookmark string) (string, error) {
	if err := schemas.ValidateID("declarationId", declarationID); err != nil {
		return respond(nil, fmt.Errorf("listing amendments: %w", err))
	}
	return respond(pageOf[schemas.Amendment](c, ctx, objAmend, []string{declarationID}, pageSize, bookmark, "listing amendments", nil))
}
