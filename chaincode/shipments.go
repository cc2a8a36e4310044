package chaincode

import (
	"fmt"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/aeoledger/aeoledger/schemas"
)

// CreateShipment books a shipment. The caller's MSP must own an active
// partner named in the shipment (consignor, consignee or parties), or be
// the governance role.
func (c *Contract) CreateShipment(ctx contractapi.TransactionContextInterface, shipmentJSON string) (string, error) {
	return respond(c.createShipment(ctx, shipmentJSON))
}

func (c *Contract) createShipment(ctx contractapi.TransactionContextInterface, shipmentJSON string) (*schemas.Shipment, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	s, err := parse[schemas.Shipment](schemas.KindShipment, shipmentJSON)
	if err != nil {
		return nil, fmt.Errorf("creating shipment: %w", err)
	}
	if s.CreatedBy != nil || s.CreatedAt != "" {
		return nil, fmt.Errorf("creating shipment: %w", invalid("createdBy", s.CreatedAt, "createdBy and createdAt are set by the contract"))
	}
	who, err := t.caller()
	if err != nil {
		return nil, fmt.Errorf("creating shipment: %w", err)
	}
	allowed := t.isGovernance(who)
	for _, id := range s.PartnerIDs() {
		p, _, err := t.loadPartner(id)
		if err != nil {
			return nil, fmt.Errorf("creating shipment: %w", err)
		}
		if p.MSPID == who.MSPID && p.Status == schemas.PartnerActive {
			allowed = true
		}
	}
	if !allowed {
		return nil, fmt.Errorf("creating shipment: %w", fail(ErrForbidden,
			"%s owns no active partner among the shipment's consignor, consignee and parties", who.MSPID))
	}
	sk, err := t.key(objShipment, s.ID)
	if err != nil {
		return nil, err
	}
	if ok, err := t.exists(sk); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("creating shipment: %w", fail(ErrDuplicate, "shipment %q already exists", s.ID))
	}
	s.CreatedBy, s.CreatedAt = &who, t.nowStr
	if err := t.putJSON(sk, s); err != nil {
		return nil, err
	}
	st := &schemas.ShipmentState{ShipmentID: s.ID, Status: schemas.ShipmentBooked, UpdatedAt: t.nowStr}
	if err := t.putState(st); err != nil {
		return nil, err
	}
	for _, id := range s.PartnerIDs() {
		if err := t.putIndex(objParty, s.ID, id, s.ID); err != nil {
			return nil, err
		}
	}
	return s, t.emit(EventShipment, s)
}

func (t *txn) loadShipment(id string) (*schemas.Shipment, error) {
	s, _, err := load[schemas.Shipment](t, objShipment, id)
	if err == nil && s == nil {
		err = fail(ErrNotFound, "shipment %q does not exist", id)
	}
	return s, err
}

func (t *txn) loadState(id string) (*schemas.ShipmentState, error) {
	st, _, err := load[schemas.ShipmentState](t, objState, id)
	if err == nil && st == nil {
		err = fail(ErrNotFound, "shipment %q has no state", id)
	}
	return st, err
}

func (t *txn) putState(st *schemas.ShipmentState) error {
	k, err := t.key(objState, st.ShipmentID)
	if err != nil {
		return err
	}
	st.UpdatedAt = t.nowStr
	return t.putJSON(k, st)
}

// GetShipment returns a shipment and its state.
func (c *Contract) GetShipment(ctx contractapi.TransactionContextInterface, shipmentID string) (string, error) {
	return respond(c.getShipment(ctx, shipmentID))
}

func (c *Contract) getShipment(ctx contractapi.TransactionContextInterface, shipmentID string) (*schemas.ShipmentView, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := schemas.ValidateID("shipmentId", shipmentID); err != nil {
		return nil, fmt.Errorf("getting shipment: %w", err)
	}
	s, err := t.loadShipment(shipmentID)
	if err != nil {
		return nil, fmt.Errorf("getting shipment: %w", err)
	}
	st, err := t.loadState(shipmentID)
	if err != nil {
		return nil, fmt.Errorf("getting shipment: %w", err)
	}
	return &schemas.ShipmentView{Shipment: *s, State: *st}, nil
}

// ListShipmentsByParty pages through the shipments a partner is named in.
func (c *Contract) ListShipmentsByParty(ctx contractapi.TransactionContextInterface, partnerID string, pageSize int32, bookmark string) (string, error) {
	return respond(c.listShipmentsByParty(ctx, partnerID, pageSize, bookmark))
}

func (c *Contract) listShipmentsByParty(ctx contractapi.TransactionContextInterface, partnerID string, pageSize int32, bookmark string) (*schemas.Page[schemas.Shipment], error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := schemas.ValidateID("partnerId", partnerID); err != nil {
		return nil, fmt.Errorf("listing shipments: %w", err)
	}
	page := &schemas.Page[schemas.Shipment]{Items: []schemas.Shipment{}}
	_, next, err := t.scan(objParty, []string{partnerID}, pageSize, bookmark, func(raw []byte) error {
		s, err := t.loadShipment(string(raw))
		if err != nil {
			return err
		}
		page.Items = append(page.Items, *s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("listing shipments: %w", err)
	}
	page.Count, page.Bookmark = len(page.Items), next
	return page, nil
}
