package client

import (
	"context"
	"fmt"
	"strings"

	"github.com/aeoledger/aeoledger/schemas"
)

// Trace returns one page of a shipment's records in event order, each with
// the verification status the contract recomputed at query time.
// Errors: *ContractError (ErrNotFound, ErrInvalid).
func (c *Client) Trace(ctx context.Context, shipmentID string, page PageRequest) (*schemas.Page[schemas.TraceItem], error) {
	return c.tracePage(ctx, "Trace", shipmentID, page)
}

// TraceAll walks every page of Trace.
func (c *Client) TraceAll(ctx context.Context, shipmentID string) ([]schemas.TraceItem, error) {
	return collect(ctx, func(ctx context.Context, p PageRequest) (*schemas.Page[schemas.TraceItem], error) {
		return c.Trace(ctx, shipmentID, p)
	})
}

// RecordsByContainer returns one page of the records naming an ISO 6346
// container number, across shipments, in event order.
func (c *Client) RecordsByContainer(ctx context.Context, containerNumber string, page PageRequest) (*schemas.Page[schemas.TraceItem], error) {
	return c.tracePage(ctx, "RecordsByContainer", containerNumber, page)
}

// AllRecordsByContainer walks every page of RecordsByContainer.
func (c *Client) AllRecordsByContainer(ctx context.Context, containerNumber string) ([]schemas.TraceItem, error) {
	return collect(ctx, func(ctx context.Context, p PageRequest) (*schemas.Page[schemas.TraceItem], error) {
		return c.RecordsByContainer(ctx, containerNumber, p)
	})
}

// RecordsBySeal returns one page of the records naming an ISO 17712 seal
// number, in event order.
func (c *Client) RecordsBySeal(ctx context.Context, sealNumber string, page PageRequest) (*schemas.Page[schemas.TraceItem], error) {
	return c.tracePage(ctx, "RecordsBySeal", sealNumber, page)
}

// AllRecordsBySeal walks every page of RecordsBySeal.
func (c *Client) AllRecordsBySeal(ctx context.Context, sealNumber string) ([]schemas.TraceItem, error) {
	return collect(ctx, func(ctx context.Context, p PageRequest) (*schemas.Page[schemas.TraceItem], error) {
		return c.RecordsBySeal(ctx, sealNumber, p)
	})
}

func (c *Client) tracePage(ctx context.Context, fn, key string, page PageRequest) (*schemas.Page[schemas.TraceItem], error) {
	var out schemas.Page[schemas.TraceItem]
	if err := c.evaluateJSON(ctx, &out, fn, append([]string{key}, page.args()...)...); err != nil {
		return nil, err
	}
	return &out, nil
}

// History kinds accepted by History.
const (
	HistoryPartner       = "partner"
	HistoryShipment      = "shipment"
	HistoryShipmentState = "shipment-state"
	HistoryRecord        = "record"
	HistoryDeclaration   = "declaration"
	HistoryAmendment     = "amendment" // id = declarationId/amendmentId
	HistoryDocument      = "document"
	HistoryCompliance    = "compliance"
)

// History returns one page of the versions of an object, oldest first, with
// the transaction and time of each change (and, for a record, the
// corrections that refer to it).
// Errors: *ContractError (ErrInvalid for an unknown kind, ErrNotFound).
func (c *Client) History(ctx context.Context, kind, id string, page PageRequest) (*schemas.Page[schemas.HistoryEntry], error) {
	var out schemas.Page[schemas.HistoryEntry]
	if err := c.evaluateJSON(ctx, &out, "History", append([]string{kind, id}, page.args()...)...); err != nil {
		return nil, err
	}
	return &out, nil
}

// AllHistory walks every page of History.
func (c *Client) AllHistory(ctx context.Context, kind, id string) ([]schemas.HistoryEntry, error) {
	return collect(ctx, func(ctx context.Context, p PageRequest) (*schemas.Page[schemas.HistoryEntry], error) {
		return c.History(ctx, kind, id, p)
	})
}

// LocalCheck is the client's own re-verification of a trace item, so an
// auditor need not take the node's word for the signature.
type LocalCheck struct {
	OK     bool   `json:"ok"`
	Signer string `json:"signer,omitempty"` // recovered address
	Detail string `json:"detail,omitempty"`
}

// VerifyItem recomputes a record's ID from its canonical form and recovers
// the signer from its signature. Contract-generated incidents carry no
// partner signature; they are reported OK with the detail saying so.
func VerifyItem(item schemas.TraceItem) LocalCheck {
	tp := item.Record.Record
	if item.Status == schemas.StatusContractGenerated && tp.Signature == "" {
		return LocalCheck{OK: true, Detail: "raised by the contract in transaction " + shortID(item.Record.TxID)}
	}
	addr, err := schemas.RecoverSigner(&tp)
	if err != nil {
		return LocalCheck{OK: false, Detail: err.Error()}
	}
	return LocalCheck{OK: true, Signer: addr, Detail: fmt.Sprintf("signature by %s checks against the canonical form", addr)}
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return strings.TrimSpace(id)
}
