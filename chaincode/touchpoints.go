package chaincode

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/hyperledger/fabric-contract-api-go/v2/contractapi"

	"github.com/aeoledger/aeoledger/schemas"
)

// RoleMatrix says which partner roles may sign which touchpoint type. POD and
// incident are also allowed by relation to the shipment, and a correction
// only to the partner that signed the corrected record (see mayRecord).
var RoleMatrix = map[string][]string{
	schemas.TypeContainer: {schemas.RoleExporter, schemas.RoleForwarder, schemas.RoleCarrier, schemas.RoleTerminal},
	schemas.TypeSeal:      {schemas.RoleCarrier, schemas.RoleForwarder, schemas.RoleTerminal, schemas.RoleCustoms},
	schemas.TypeOrigin:    {schemas.RoleCertificateIssuer},
	schemas.TypeSensor:    {schemas.RoleDevice, schemas.RoleCarrier},
	schemas.TypePOD:       {schemas.RoleCarrier},
	schemas.TypeIncident: {schemas.RoleCarrier, schemas.RoleForwarder, schemas.RoleTerminal, schemas.RoleCustoms,
		schemas.RoleDevice, schemas.RoleBroker},
	schemas.TypeCorrection: {},
}

// RecordTouchpoint records a signed touchpoint after the seven checks of
// API.md, and any incident it raises, in one transaction.
func (c *Contract) RecordTouchpoint(ctx contractapi.TransactionContextInterface, recordJSON string) (string, error) {
	raw, err := c.recordTouchpoint(ctx, recordJSON)
	if err != nil {
		return "", coded(err)
	}
	return string(raw), nil
}

// recordTouchpoint returns the JSON of the RecordResult, which is both the
// event payload and the transaction's result (encoded once for both).
func (c *Contract) recordTouchpoint(ctx contractapi.TransactionContextInterface, recordJSON string) ([]byte, error) {
	t, err := c.begin(ctx)
	if err != nil {
		return nil, err
	}
	// 1. the record validates; 2. the signature is good.
	tp, signer, err := c.checkTouchpoint(recordJSON)
	if err != nil {
		return nil, fmt.Errorf("recording touchpoint: %w", err)
	}
	if err := t.prefetchTouchpoint(tp, signer); err != nil {
		return nil, fmt.Errorf("recording touchpoint: %w", err)
	}
	// 3. the signer's key belongs to an active partner.
	partner, err := t.partnerByKey(signer)
	if Code(err) == CodeNotFound {
		return nil, fmt.Errorf("recording touchpoint: %w", fail(ErrForbidden, "signer %s is not a registered partner key", signer))
	} else if err != nil {
		return nil, fmt.Errorf("recording touchpoint: %w", err)
	}
	if k := partner.Key(signer); k == nil {
		return nil, fmt.Errorf("recording touchpoint: %w", fail(ErrForbidden, "key %s is not listed by partner %q", signer, partner.ID))
	} else if k.RevokedAt != "" {
		return nil, fmt.Errorf("recording touchpoint: %w", fail(ErrForbidden, "key %s of partner %q was revoked at %s", signer, partner.ID, k.RevokedAt))
	}
	if partner.Status != schemas.PartnerActive {
		return nil, fmt.Errorf("recording touchpoint: %w", fail(ErrForbidden, "partner %q is %s", partner.ID, partner.Status))
	}
	// 4. the partner's role may record this type.
	shipment, err := t.loadShipment(tp.ShipmentID)
	if err != nil && Code(err) != CodeNotFound {
		return nil, err
	}
	var corrected *schemas.StoredRecord
	if tp.Correction != nil {
		corrected, err = t.loadRecord(tp.Correction.Corrects)
		if err != nil && Code(err) != CodeNotFound {
			return nil, err
		}
	}
	if err := mayRecord(partner, tp, shipment, corrected); err != nil {
		return nil, fmt.Errorf("recording touchpoint: %w", err)
	}
	// 5. it fits the shipment's state machine.
	if shipment == nil {
		return nil, fmt.Errorf("recording touchpoint: %w", fail(ErrNotFound, "shipment %q does not exist", tp.ShipmentID))
	}
	if tp.Correction != nil && (corrected == nil || corrected.Record.ShipmentID != tp.ShipmentID) {
		return nil, fmt.Errorf("recording touchpoint: %w", fail(ErrNotFound, "record %s to correct is not on shipment %q", tp.Correction.Corrects, tp.ShipmentID))
	}
	state, err := t.loadState(tp.ShipmentID)
	if err != nil {
		return nil, fmt.Errorf("recording touchpoint: %w", err)
	}
	changed, incidents, err := advance(state, shipment, tp)
	if err != nil {
		return nil, fmt.Errorf("recording touchpoint: %w", err)
	}
	// 6. it is not a duplicate.
	rk, err := t.key(objRecord, tp.ID)
	if err != nil {
		return nil, err
	}
	if ok, err := t.exists(rk); err != nil {
		return nil, err
	} else if ok {
		return nil, fmt.Errorf("recording touchpoint: %w", fail(ErrDuplicate, "record %s is already on the ledger", tp.ID))
	}
	// 7. its event time is not too far ahead of the transaction.
	et, _ := time.Parse(time.RFC3339Nano, tp.EventTime)
	if et.After(t.now.Add(MaxFutureSkew)) {
		return nil, fmt.Errorf("recording touchpoint: %w", invalid("eventTime", tp.EventTime,
			"must not be more than %s after the transaction time %s", MaxFutureSkew, t.nowStr))
	}

	who, err := t.caller()
	if err != nil {
		return nil, err
	}
	result := &schemas.RecordResult{}
	main := schemas.StoredRecord{Record: *tp, TxID: t.stub.GetTxID(), RecordedAt: t.nowStr, SignerPartner: partner.ID, Submitter: who}
	ets := FormatTime(et) // the incidents share the touchpoint's event time
	if err := t.storeRecord(&main, ets, 0); err != nil {
		return nil, err
	}
	result.Records = append(result.Records, main)
	for i, in := range incidents {
		inc := schemas.Touchpoint{Type: schemas.TypeIncident, ShipmentID: tp.ShipmentID, EventTime: tp.EventTime,
			Location: tp.Location, Incident: in}
		if inc.ID, err = schemas.RecordID(&inc); err != nil {
			return nil, err
		}
		sr := schemas.StoredRecord{Record: inc, TxID: main.TxID, RecordedAt: t.nowStr, Submitter: who}
		if err := t.storeRecord(&sr, ets, i+1); err != nil {
			return nil, err
		}
		result.Records = append(result.Records, sr)
	}
	if changed {
		if err := t.putState(state); err != nil {
			return nil, err
		}
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return nil, fmt.Errorf("encoding event: %w", err)
	}
	if err := t.stub.SetEvent(EventTouchpoint, raw); err != nil {
		return nil, fmt.Errorf("setting event: %w", err)
	}
	return raw, nil
}

// prefetchTouchpoint reads in one round trip the keys the checks below read
// one by one: the signer's key index, the shipment, its state, the record
// itself (duplicate check) and the record a correction corrects. A key that
// cannot be formed is left out; the check that reads it reports why.
func (t *txn) prefetchTouchpoint(tp *schemas.Touchpoint, signer string) error {
	keys := make([]string, 0, 5)
	add := func(obj string, attrs ...string) {
		if k, err := t.key(obj, attrs...); err == nil {
			keys = append(keys, k)
		}
	}
	add(objKey, schemas.NormalizeAddress(signer))
	add(objShipment, tp.ShipmentID)
	add(objState, tp.ShipmentID)
	add(objRecord, tp.ID)
	if tp.Correction != nil {
		add(objRecord, tp.Correction.Corrects)
	}
	return t.prefetch(keys...)
}

// mayRecord applies the role-to-type matrix.
func mayRecord(p *schemas.Partner, tp *schemas.Touchpoint, s *schemas.Shipment, corrected *schemas.StoredRecord) error {
	if tp.Type == schemas.TypeCorrection {
		if corrected != nil && corrected.SignerPartner != p.ID {
			return fail(ErrForbidden, "partner %q may not correct record %s signed by partner %q", p.ID, corrected.Record.ID, corrected.SignerPartner)
		}
		return nil
	}
	for _, r := range RoleMatrix[tp.Type] {
		if p.HasRole(r) {
			return nil
		}
	}
	if s != nil {
		switch tp.Type {
		case schemas.TypePOD:
			if s.Consignee.PartnerID == p.ID {
				return nil
			}
		case schemas.TypeIncident:
			if s.Consignee.PartnerID == p.ID || s.Consignor.PartnerID == p.ID {
				return nil
			}
		}
	}
	allowed := strings.Join(RoleMatrix[tp.Type], ", ")
	switch tp.Type {
	case schemas.TypePOD:
		allowed += " or the shipment's consignee"
	case schemas.TypeIncident:
		allowed += " or the shipment's consignor or consignee"
	}
	return fail(ErrForbidden, "partner %q with roles [%s] may not record %s records (allowed: %s)",
		p.ID, strings.Join(p.Roles, ", "), tp.Type, allowed)
}

// advance applies a touchpoint to the shipment's state machine. It reports
// whether the state changed and which incidents the record raises.
func advance(st *schemas.ShipmentState, s *schemas.Shipment, tp *schemas.Touchpoint) (bool, []*schemas.Incident, error) {
	if st.Status == schemas.ShipmentDelivered && tp.Type != schemas.TypeIncident && tp.Type != schemas.TypeCorrection {
		return false, nil, fail(ErrConflict, "shipment %q was delivered (POD %s); only incidents and corrections may follow, not %s",
			s.ID, st.DeliveredBy, tp.Type)
	}
	blocked := len(st.OpenHits) > 0
	switch tp.Type {
	case schemas.TypeContainer:
		switch tp.Container.Action {
		case schemas.ContainerLoaded, schemas.ContainerDeparted:
			if blocked {
				return false, nil, fail(ErrConflict, "shipment %q is blocked by screening hit %s until cleared; container may not be %s",
					s.ID, st.OpenHits[0], tp.Container.Action)
			}
			if st.Status == schemas.ShipmentBooked {
				st.Status = schemas.ShipmentInTransit
				return true, nil, nil
			}
		case schemas.ContainerArrived, schemas.ContainerDischarged, schemas.ContainerGateOut:
			if st.Status == schemas.ShipmentBooked || st.Status == schemas.ShipmentInTransit {
				st.Status = schemas.ShipmentArrived
				return true, nil, nil
			}
		}
		return false, nil, nil
	case schemas.TypeSeal:
		return advanceSeal(st, tp)
	case schemas.TypeSensor:
		if in := excursion(s, tp.Sensor); in != nil {
			in.RelatedRecord = tp.ID
			return false, []*schemas.Incident{in}, nil
		}
		return false, nil, nil
	case schemas.TypePOD:
		if blocked {
			return false, nil, fail(ErrConflict, "shipment %q is blocked by screening hit %s until cleared; no POD", s.ID, st.OpenHits[0])
		}
		st.Status, st.DeliveredBy = schemas.ShipmentDelivered, tp.ID
		return true, nil, nil
	}
	return false, nil, nil
}

func advanceSeal(st *schemas.ShipmentState, tp *schemas.Touchpoint) (bool, []*schemas.Incident, error) {
	seal := tp.Seal
	cur := st.Seals[seal.Number]
	if seal.Action == schemas.SealAffixed {
		if cur != "" {
			return false, nil, fail(ErrConflict, "seal %s is already %s on shipment %q", seal.Number, cur, tp.ShipmentID)
		}
		if st.Seals == nil {
			st.Seals = map[string]string{}
		}
		st.Seals[seal.Number] = schemas.SealStateAffixed
		return true, nil, nil
	}
	if cur != schemas.SealStateAffixed {
		if cur == "" {
			return false, nil, fail(ErrConflict, "seal %s is %s before it was affixed on shipment %q", seal.Number, seal.Action, tp.ShipmentID)
		}
		return false, nil, fail(ErrConflict, "seal %s was already %s on shipment %q; it cannot be %s", seal.Number, cur, tp.ShipmentID, seal.Action)
	}
	switch seal.Action {
	case schemas.SealVerified:
		if !seal.VVTT.Passed() {
			return false, []*schemas.Incident{{Cause: schemas.CauseSealCheckFailed, RelatedRecord: tp.ID, Generated: true,
				Description: fmt.Sprintf("seal %s failed its View-Verify-Tug-Twist check (%s)", seal.Number, vvttSummary(seal.VVTT))}}, nil
		}
		return false, nil, nil
	case schemas.SealBroken:
		st.Seals[seal.Number] = schemas.SealStateBroken
		return true, []*schemas.Incident{{Cause: schemas.CauseSealBroken, RelatedRecord: tp.ID, Generated: true,
			Description: fmt.Sprintf("seal %s was found broken", seal.Number)}}, nil
	default:
		st.Seals[seal.Number] = schemas.SealStateRemoved
		return true, []*schemas.Incident{{Cause: schemas.CauseSealRemoved, RelatedRecord: tp.ID, Generated: true,
			Description: fmt.Sprintf("seal %s was removed", seal.Number)}}, nil
	}
}

func vvttSummary(v *schemas.VVTT) string {
	var failed []string
	for _, s := range []struct {
		name string
		ok   bool
	}{{"view", v.View}, {"verify", v.Verify}, {"tug", v.Tug}, {"twist", v.Twist}} {
		if !s.ok {
			failed = append(failed, s.name)
		}
	}
	return "failed: " + strings.Join(failed, ", ")
}

// excursion returns an incident when readings leave the shipment's
// temperature range.
func excursion(s *schemas.Shipment, b *schemas.SensorBatch) *schemas.Incident {
	tr := s.TemperatureRange
	if tr == nil {
		return nil
	}
	var outside []float64
	first := ""
	total := 0
	for _, r := range b.Readings {
		if r.Temperature == nil {
			continue
		}
		total++
		if *r.Temperature < tr.Min || *r.Temperature > tr.Max {
			if first == "" {
				first = r.Time
			}
			outside = append(outside, *r.Temperature)
		}
	}
	if len(outside) == 0 {
		return nil
	}
	return &schemas.Incident{Cause: schemas.CauseTempExcursion, Generated: true,
		Description: fmt.Sprintf("device %s: %d of %d readings outside %g..%g °C (from %g to %g), first at %s",
			b.DeviceID, len(outside), total, tr.Min, tr.Max, slices.Min(outside), slices.Max(outside), first)}
}

// storeRecord writes a record and its indexes. ets is the record's event time
// as FormatTime renders it. seq orders the records of one transaction that
// share an event time: the touchpoint (0) before the incidents it raised
// (1, 2, ...).
func (t *txn) storeRecord(sr *schemas.StoredRecord, ets string, seq int) error {
	tp := &sr.Record
	rk, err := t.key(objRecord, tp.ID)
	if err != nil {
		return err
	}
	if err := t.putJSON(rk, sr); err != nil {
		return err
	}
	if err := t.putIndex(objTrace, tp.ID, tp.ShipmentID, ets, strconv.Itoa(seq), tp.ID); err != nil {
		return err
	}
	switch {
	case tp.Container != nil:
		return t.putIndex(objContainer, tp.ID, tp.Container.Number, ets, tp.ID)
	case tp.Seal != nil:
		if err := t.putIndex(objSeal, tp.ID, tp.Seal.Number, ets, tp.ID); err != nil {
			return err
		}
		if tp.Seal.ContainerNumber != "" {
			return t.putIndex(objContainer, tp.ID, tp.Seal.ContainerNumber, ets, tp.ID)
		}
	case tp.Correction != nil:
		return t.putIndex(objCorrection, tp.ID, tp.Correction.Corrects, tp.ID)
	}
	return nil
}
