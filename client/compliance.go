package client

import (
	"context"

	"github.com/aeoledger/aeoledger/schemas"
)

// RecordCompliance writes a conclusion of a worker or compliance officer
// (anomaly score, screening hit or clearance, alert or acknowledgement,
// incident, access-log digest) back to the ledger. The contract sets ID,
// RecordedBy and RecordedAt.
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrNotFound, ErrConflict, ErrDuplicate).
func (c *Client) RecordCompliance(ctx context.Context, r schemas.ComplianceRecord) (*schemas.ComplianceRecord, error) {
	if c.cfg.localValidation {
		if err := r.Validate(); err != nil {
			return nil, localInvalid("recording compliance record", err)
		}
	}
	arg, err := marshalArg("compliance record", r)
	if err != nil {
		return nil, err
	}
	var out schemas.ComplianceRecord
	if err := c.submitJSON(ctx, &out, "RecordCompliance", arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// Compliance reads one compliance record. Errors: *ContractError (ErrNotFound).
func (c *Client) Compliance(ctx context.Context, id string) (*schemas.ComplianceRecord, error) {
	var out schemas.ComplianceRecord
	if err := c.evaluateJSON(ctx, &out, "GetCompliance", id); err != nil {
		return nil, err
	}
	return &out, nil
}

// ComplianceBySubject returns one page of the compliance records about a
// subject (a shipment, declaration, partner, record, ...).
func (c *Client) ComplianceBySubject(ctx context.Context, subjectID string, page PageRequest) (*schemas.Page[schemas.ComplianceRecord], error) {
	var out schemas.Page[schemas.ComplianceRecord]
	if err := c.evaluateJSON(ctx, &out, "ListCompliance", append([]string{subjectID}, page.args()...)...); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllComplianceBySubject walks every page of ComplianceBySubject.
func (c *Client) AllComplianceBySubject(ctx context.Context, subjectID string) ([]schemas.ComplianceRecord, error) {
	return collect(ctx, func(ctx context.Context, p PageRequest) (*schemas.Page[schemas.ComplianceRecord], error) {
		return c.ComplianceBySubject(ctx, subjectID, p)
	})
}
