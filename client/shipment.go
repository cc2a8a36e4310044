package client

import (
	"context"

	"github.com/aeoledger/aeoledger/schemas"
)

// CreateShipment books a shipment. The caller's MSP must own an active
// partner that is its consignor, consignee or one of its parties.
//
// Errors: *ContractError (ErrInvalid, ErrForbidden, ErrNotFound, ErrDuplicate).
func (c *Client) CreateShipment(ctx context.Context, s schemas.Shipment) (*schemas.Shipment, error) {
	if c.cfg.localValidation {
		if err := s.Validate(); err != nil {
			return nil, localInvalid("creating shipment", err)
		}
	}
	arg, err := marshalArg("shipment", s)
	if err != nil {
		return nil, err
	}
	var out schemas.Shipment
	if err := c.submitJSON(ctx, &out, "CreateShipment", arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// Shipment reads a shipment with its state machine (status, seals, open
// screening hits). Errors: *ContractError (ErrNotFound).
func (c *Client) Shipment(ctx context.Context, shipmentID string) (*schemas.ShipmentView, error) {
	var out schemas.ShipmentView
	if err := c.evaluateJSON(ctx, &out, "GetShipment", shipmentID); err != nil {
		return nil, err
	}
	return &out, nil
}

// ShipmentsByParty returns one page of the shipments a partner is linked to.
func (c *Client) ShipmentsByParty(ctx context.Context, partnerID string, page PageRequest) (*schemas.Page[schemas.Shipment], error) {
	var out schemas.Page[schemas.Shipment]
	if err := c.evaluateJSON(ctx, &out, "ListShipmentsByParty", append([]string{partnerID}, page.args()...)...); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllShipmentsByParty walks every page of ShipmentsByParty.
func (c *Client) AllShipmentsByParty(ctx context.Context, partnerID string) ([]schemas.Shipment, error) {
	return collect(ctx, func(ctx context.Context, p PageRequest) (*schemas.Page[schemas.Shipment], error) {
		return c.ShipmentsByParty(ctx, partnerID, p)
	})
}
