package client

import (
	"context"

	"github.com/aeoledger/aeoledger/schemas"
)

// RegisterPartner registers an organisation (or a device it operates) with
// its roles and secp256k1 signing keys. The caller must be an admin of the
// partner's MSP or of a governance MSP.
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrDuplicate) and the
// transport errors listed on Submit.
func (c *Client) RegisterPartner(ctx context.Context, p schemas.Partner) (*schemas.Partner, error) {
	if p.Keys == nil {
		p.Keys = []schemas.SigningKey{} // the contract wants an array, even an empty one
	}
	if c.cfg.localValidation {
		if err := p.Validate(); err != nil {
			return nil, localInvalid("registering partner", err)
		}
	}
	arg, err := marshalArg("partner", p)
	if err != nil {
		return nil, err
	}
	var out schemas.Partner
	if err := c.submitJSON(ctx, &out, "RegisterPartner", arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// AddKey adds a signing key to a partner.
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrNotFound, ErrDuplicate).
func (c *Client) AddKey(ctx context.Context, partnerID string, key schemas.SigningKey) (*schemas.Partner, error) {
	if c.cfg.localValidation {
		if err := key.Validate("key"); err != nil {
			return nil, localInvalid("adding key", err)
		}
	}
	arg, err := marshalArg("key", key)
	if err != nil {
		return nil, err
	}
	var out schemas.Partner
	if err := c.submitJSON(ctx, &out, "AddKey", partnerID, arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// RotateKey adds newKey and revokes oldAddress in one transaction.
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrNotFound, ErrDuplicate, ErrConflict).
func (c *Client) RotateKey(ctx context.Context, partnerID, oldAddress string, newKey schemas.SigningKey) (*schemas.Partner, error) {
	arg, err := marshalArg("key", newKey)
	if err != nil {
		return nil, err
	}
	var out schemas.Partner
	if err := c.submitJSON(ctx, &out, "RotateKey", partnerID, oldAddress, arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// RevokeKey revokes a partner's key from now on; records it signed earlier
// stay verified.
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrNotFound, ErrConflict).
func (c *Client) RevokeKey(ctx context.Context, partnerID, address, reason string) (*schemas.Partner, error) {
	var out schemas.Partner
	if err := c.submitJSON(ctx, &out, "RevokeKey", partnerID, address, reason); err != nil {
		return nil, err
	}
	return &out, nil
}

// SetPartnerStatus suspends or reactivates a partner (status "active" or
// "suspended").
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrNotFound).
func (c *Client) SetPartnerStatus(ctx context.Context, partnerID, status, reason string) (*schemas.Partner, error) {
	var out schemas.Partner
	if err := c.submitJSON(ctx, &out, "SetPartnerStatus", partnerID, status, reason); err != nil {
		return nil, err
	}
	return &out, nil
}

// Partner reads a partner. Errors: *ContractError (ErrNotFound).
func (c *Client) Partner(ctx context.Context, partnerID string) (*schemas.Partner, error) {
	var out schemas.Partner
	if err := c.evaluateJSON(ctx, &out, "GetPartner", partnerID); err != nil {
		return nil, err
	}
	return &out, nil
}

// PartnerByKey finds the partner owning a signing key address.
// Errors: *ContractError (ErrNotFound).
func (c *Client) PartnerByKey(ctx context.Context, address string) (*schemas.Partner, error) {
	var out schemas.Partner
	if err := c.evaluateJSON(ctx, &out, "GetPartnerByKey", address); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListPartners returns one page of partners.
func (c *Client) ListPartners(ctx context.Context, page PageRequest) (*schemas.Page[schemas.Partner], error) {
	var out schemas.Page[schemas.Partner]
	if err := c.evaluateJSON(ctx, &out, "ListPartners", page.args()...); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllPartners walks every page of ListPartners.
func (c *Client) AllPartners(ctx context.Context) ([]schemas.Partner, error) {
	return collect(ctx, c.ListPartners)
}
