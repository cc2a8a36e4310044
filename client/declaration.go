package client

import (
	"context"

	"github.com/aeoledger/aeoledger/schemas"
)

// SubmitDeclaration records a customs import declaration. The caller's MSP
// must own an active importer, broker or customs partner.
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrDuplicate, ErrNotFound).
func (c *Client) SubmitDeclaration(ctx context.Context, d schemas.Declaration) (*schemas.Declaration, error) {
	if c.cfg.localValidation {
		if err := d.Validate(); err != nil {
			return nil, localInvalid("submitting declaration", err)
		}
	}
	arg, err := marshalArg("declaration", d)
	if err != nil {
		return nil, err
	}
	var out schemas.Declaration
	if err := c.submitJSON(ctx, &out, "SubmitDeclaration", arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// AmendDeclaration proposes to change one field of a declaration (send
// DeclarationID, Field, OldValue, NewValue, Reason). The amendment is pending
// until a second identity of the proposer's organisation approves it.
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrNotFound, ErrConflict
// when OldValue is stale).
func (c *Client) AmendDeclaration(ctx context.Context, a schemas.Amendment) (*schemas.Amendment, error) {
	if c.cfg.localValidation {
		if err := a.Validate(); err != nil {
			return nil, localInvalid("amending declaration", err)
		}
	}
	arg, err := marshalArg("amendment", a)
	if err != nil {
		return nil, err
	}
	var out schemas.Amendment
	if err := c.submitJSON(ctx, &out, "AmendDeclaration", arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// ApproveAmendment approves a pending amendment, which applies it. The
// approver must be of the proposer's MSP and a different identity.
//
// Errors: *ContractError (ErrForbidden, ErrNotFound, ErrConflict).
func (c *Client) ApproveAmendment(ctx context.Context, declarationID, amendmentID string) (*schemas.Amendment, error) {
	var out schemas.Amendment
	if err := c.submitJSON(ctx, &out, "ApproveAmendment", declarationID, amendmentID); err != nil {
		return nil, err
	}
	return &out, nil
}

// RejectAmendment rejects a pending amendment with a reason.
//
// Errors: *ContractError (ErrForbidden, ErrNotFound, ErrConflict).
func (c *Client) RejectAmendment(ctx context.Context, declarationID, amendmentID, reason string) (*schemas.Amendment, error) {
	var out schemas.Amendment
	if err := c.submitJSON(ctx, &out, "RejectAmendment", declarationID, amendmentID, reason); err != nil {
		return nil, err
	}
	return &out, nil
}

// Declaration reads a declaration as currently amended.
// Errors: *ContractError (ErrNotFound).
func (c *Client) Declaration(ctx context.Context, declarationID string) (*schemas.Declaration, error) {
	var out schemas.Declaration
	if err := c.evaluateJSON(ctx, &out, "GetDeclaration", declarationID); err != nil {
		return nil, err
	}
	return &out, nil
}

// Amendments returns one page of a declaration's amendments.
func (c *Client) Amendments(ctx context.Context, declarationID string, page PageRequest) (*schemas.Page[schemas.Amendment], error) {
	var out schemas.Page[schemas.Amendment]
	if err := c.evaluateJSON(ctx, &out, "ListAmendments", append([]string{declarationID}, page.args()...)...); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllAmendments walks every page of Amendments.
func (c *Client) AllAmendments(ctx context.Context, declarationID string) ([]schemas.Amendment, error) {
	return collect(ctx, func(ctx context.Context, p PageRequest) (*schemas.Page[schemas.Amendment], error) {
		return c.Amendments(ctx, declarationID, p)
	})
}
