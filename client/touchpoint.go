package client

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aeoledger/aeoledger/schemas"
)

// RecordTouchpoint completes, signs and submits a touchpoint on behalf of the
// responsible party whose secp256k1 key is given:
//   - Signer is set to the key's address;
//   - a sensor batch without a summary gets its min/max/mean computed;
//   - the record is validated (unless WithLocalValidation(false));
//   - its RFC 8785 canonical form is hashed into ID and signed into Signature.
//
// tp is updated in place, so the caller keeps the exact record it signed. The
// result lists the stored touchpoint first, then any incident the contract
// raised in the same transaction (a temperature excursion, a failed seal check).
//
// Errors: *ContractError (ErrInvalid, ErrBadSignature, ErrForbidden,
// ErrNotFound, ErrConflict, ErrDuplicate) and the transport errors of Submit.
func (c *Client) RecordTouchpoint(ctx context.Context, key *ecdsa.PrivateKey, tp *schemas.Touchpoint) (*schemas.RecordResult, error) {
	if key == nil {
		return nil, fmt.Errorf("recording touchpoint: field=key value=nil rule=a signing key is required")
	}
	tp.Signer = crypto.PubkeyToAddress(key.PublicKey).Hex()
	tp.ID, tp.Signature = "", ""
	if tp.Type == schemas.TypeSensor && tp.Sensor != nil && tp.Sensor.Summary == (schemas.SensorSummary{}) {
		tp.Sensor.Summary = schemas.Summarize(tp.Sensor.Readings)
	}
	if c.cfg.localValidation {
		if err := tp.Validate(); err != nil {
			return nil, localInvalid("recording touchpoint", err)
		}
	}
	if err := schemas.SignRecord(key, tp); err != nil {
		return nil, fmt.Errorf("recording touchpoint: %w", err)
	}
	// Validated above and signed just now: skip SubmitTouchpoint's re-checks.
	return c.submitTouchpoint(ctx, tp)
}

// SubmitTouchpoint submits a record that is already signed (for example by
// a device that holds its own key). The SDK checks the signature first unless
// local validation is off.
//
// Errors: as RecordTouchpoint.
func (c *Client) SubmitTouchpoint(ctx context.Context, tp *schemas.Touchpoint) (*schemas.RecordResult, error) {
	if c.cfg.localValidation {
		if err := tp.Validate(); err != nil {
			return nil, localInvalid("recording touchpoint", err)
		}
		if _, err := schemas.RecoverSigner(tp); err != nil {
			return nil, &ContractError{Code: CodeBadSignature, Field: "signature", Value: tp.Signature,
				Rule:    "must be the signer's signature of the record's canonical form",
				Message: "recording touchpoint: " + err.Error(), Local: true, err: err}
		}
	}
	return c.submitTouchpoint(ctx, tp)
}

// submitTouchpoint sends a record without local checks.
func (c *Client) submitTouchpoint(ctx context.Context, tp *schemas.Touchpoint) (*schemas.RecordResult, error) {
	arg, err := marshalArg("touchpoint", tp)
	if err != nil {
		return nil, err
	}
	var out schemas.RecordResult
	if err := c.submitJSON(ctx, &out, "RecordTouchpoint", arg); err != nil {
		return nil, err
	}
	return &out, nil
}

// Record reads one stored record with its verification status.
// Errors: *ContractError (ErrNotFound).
func (c *Client) Record(ctx context.Context, recordID string) (*schemas.TraceItem, error) {
	var out schemas.TraceItem
	if err := c.evaluateJSON(ctx, &out, "GetRecord", recordID); err != nil {
		return nil, err
	}
	return &out, nil
}

// NewTouchpoint starts a touchpoint of the given shipment at time at and
// place unlocode; set exactly one body (Container, Seal, ...) matching typ.
func NewTouchpoint(typ, shipmentID string, at time.Time, unlocode string) *schemas.Touchpoint {
	return &schemas.Touchpoint{
		Type:       typ,
		ShipmentID: shipmentID,
		EventTime:  at.UTC().Format(time.RFC3339Nano),
		Location:   schemas.Location{UNLocode: unlocode},
	}
}

// ContainerTouchpoint builds a container movement record.
func ContainerTouchpoint(shipmentID string, at time.Time, unlocode string, ev schemas.ContainerEvent) *schemas.Touchpoint {
	tp := NewTouchpoint(schemas.TypeContainer, shipmentID, at, unlocode)
	tp.Container = &ev
	return tp
}

// SealTouchpoint builds a seal record (affixed, verified with VVTT, broken, removed).
func SealTouchpoint(shipmentID string, at time.Time, unlocode string, ev schemas.SealEvent) *schemas.Touchpoint {
	tp := NewTouchpoint(schemas.TypeSeal, shipmentID, at, unlocode)
	tp.Seal = &ev
	return tp
}

// OriginTouchpoint builds a certificate-of-origin record.
func OriginTouchpoint(shipmentID string, at time.Time, unlocode string, cert schemas.OriginCertificate) *schemas.Touchpoint {
	tp := NewTouchpoint(schemas.TypeOrigin, shipmentID, at, unlocode)
	tp.Origin = &cert
	return tp
}

// SensorTouchpoint builds a sensor batch record and computes its summary.
func SensorTouchpoint(shipmentID string, at time.Time, unlocode, deviceID string, readings []schemas.SensorReading) *schemas.Touchpoint {
	tp := NewTouchpoint(schemas.TypeSensor, shipmentID, at, unlocode)
	tp.Sensor = &schemas.SensorBatch{DeviceID: deviceID, Readings: readings, Summary: schemas.Summarize(readings)}
	return tp
}

// PODTouchpoint builds a proof-of-delivery record.
func PODTouchpoint(shipmentID string, at time.Time, unlocode string, pod schemas.ProofOfDelivery) *schemas.Touchpoint {
	tp := NewTouchpoint(schemas.TypePOD, shipmentID, at, unlocode)
	tp.POD = &pod
	return tp
}

// IncidentTouchpoint builds an incident record.
func IncidentTouchpoint(shipmentID string, at time.Time, unlocode string, in schemas.Incident) *schemas.Touchpoint {
	tp := NewTouchpoint(schemas.TypeIncident, shipmentID, at, unlocode)
	tp.Incident = &in
	return tp
}

// CorrectionTouchpoint builds a correction of an earlier record.
func CorrectionTouchpoint(shipmentID string, at time.Time, unlocode string, corr schemas.Correction) *schemas.Touchpoint {
	tp := NewTouchpoint(schemas.TypeCorrection, shipmentID, at, unlocode)
	tp.Correction = &corr
	return tp
}
