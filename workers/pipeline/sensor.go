package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/alerts"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// RuleMKT names the alert raised when the mean kinetic temperature of a
// shipment's readings so far exceeds its permitted maximum.
const RuleMKT = "mean-kinetic-temperature-above-max"

func (p *Pipeline) touchpoint(ctx context.Context, ev event, sr *schemas.StoredRecord) error {
	tp := &sr.Record
	switch {
	case tp.Type == schemas.TypeSensor && tp.Sensor != nil:
		p.count(func(s *Stats) { s.SensorBatches++ })
		return p.sensorBatch(ctx, ev, tp.ShipmentID)
	case tp.Type == schemas.TypeSeal && tp.Seal != nil && tp.Seal.Action == schemas.SealBroken:
		at, err := time.Parse(time.RFC3339Nano, tp.EventTime)
		if err != nil {
			at = ev.at()
		}
		by := sr.SignerPartner
		if by == "" {
			by = tp.Signer
		}
		a := alerts.SealBroken(tp.ShipmentID, tp.Seal.Number, by, "", at)
		return p.raise(ctx, a, "shipment", tp.ShipmentID, "high")
	}
	return nil
}

// Profile is the alert profile of a shipment: with a temperature range,
// above the maximum for DefaultExcursion without interruption or
// DefaultCumulativeExcursion in total, and below the minimum for
// DefaultExcursion; a shock above shockG and light above lux (each when
// positive).
func Profile(s *schemas.Shipment, shockG, lux float64) alerts.Profile {
	prof := alerts.Profile{ShipmentID: s.ID}
	if r := s.TemperatureRange; r != nil {
		high, low := r.Max, r.Min
		prof.Rules = append(prof.Rules,
			alerts.Rule{Name: fmt.Sprintf("above-%gC-%s", high, short(DefaultExcursion)), Metric: alerts.Temperature,
				Above: &high, For: alerts.Duration(DefaultExcursion), Mode: alerts.Continuous},
			alerts.Rule{Name: fmt.Sprintf("above-%gC-%s-total", high, short(DefaultCumulativeExcursion)), Metric: alerts.Temperature,
				Above: &high, For: alerts.Duration(DefaultCumulativeExcursion), Mode: alerts.Cumulative},
			alerts.Rule{Name: fmt.Sprintf("below-%gC-%s", low, short(DefaultExcursion)), Metric: alerts.Temperature,
				Below: &low, For: alerts.Duration(DefaultExcursion), Mode: alerts.Continuous},
		)
	}
	if shockG > 0 {
		prof.Rules = append(prof.Rules, alerts.Rule{Name: fmt.Sprintf("shock-above-%gg", shockG), Metric: alerts.Shock, Above: &shockG})
	}
	if lux > 0 {
		prof.Rules = append(prof.Rules, alerts.Rule{Name: fmt.Sprintf("light-above-%glux", lux), Metric: alerts.Light, Above: &lux})
	}
	return prof
}

func short(d time.Duration) string { return fmt.Sprintf("%dmin", int(d.Minutes())) }

// severityOf ranks sensor alerts: the cargo may be spoilt or tampered with.
func severityOf(k alerts.Kind) string {
	switch k {
	case alerts.TemperatureHigh, alerts.TemperatureLow, alerts.ShockExcess, alerts.DoorOutsideZone:
		return "high"
	default:
		return "medium"
	}
}

// sensorBatch evaluates the shipment's profile over all its readings up to
// this event and raises the alerts not yet on the ledger.
func (p *Pipeline) sensorBatch(ctx context.Context, ev event, shipmentID string) error {
	row, err := p.store.Shipment(ctx, shipmentID)
	if errors.Is(err, readmodel.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading shipment of sensor batch: %w", err)
	}
	prof := Profile(&row.Shipment, p.cfg.ShockLimitG, p.cfg.LightLimitLux)
	var readings []alerts.Reading
	err = p.store.TouchpointsByShipment(ctx, shipmentID, func(t readmodel.TouchpointRow) error {
		if t.Type != schemas.TypeSensor || !ev.upTo(t.Pos) {
			return nil
		}
		sr, err := t.StoredRecord()
		if err != nil {
			return err
		}
		if sr.Record.Sensor == nil {
			return nil
		}
		for _, r := range sr.Record.Sensor.Readings {
			at, err := time.Parse(time.RFC3339Nano, r.Time)
			if err != nil {
				return fmt.Errorf("reading sensor record %s: %w", t.ID,
					&schemas.FieldError{Field: "sensor.readings.time", Value: r.Time, Rule: "must be an RFC 3339 time"})
			}
			readings = append(readings, alerts.Reading{Time: at, TempC: r.Temperature, Humidity: r.Humidity,
				Lux: r.Light, ShockG: r.Shock, DoorOpen: r.DoorOpen, Lat: r.Lat, Lon: r.Lon})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading sensor history of shipment %s: %w", shipmentID, err)
	}
	var found []alerts.Alert
	if len(prof.Rules) > 0 {
		if found, err = alerts.Evaluate(prof, readings); err != nil {
			p.log.Warn("sensor readings cannot be evaluated", "shipment", shipmentID, "err", err)
			return nil
		}
	}
	if a, ok := mktAlert(&row.Shipment, readings); ok {
		found = append(found, a)
	}
	if len(found) == 0 {
		return nil
	}
	// An excursion that goes on fires again on every batch with a longer
	// duration: the alert already on the ledger (same rule, same start)
	// stands for it.
	existing, err := p.ledger.AllComplianceBySubject(ctx, shipmentID)
	if err != nil {
		return fmt.Errorf("reading alerts of shipment %s: %w", shipmentID, err)
	}
	seen := map[string]bool{}
	for _, r := range existing {
		if r.Kind == schemas.KindAlert {
			seen[r.Rule+"\x00"+r.CreatedAt] = true
		}
	}
	for _, a := range found {
		rec := AlertRecord(a, "shipment", shipmentID, severityOf(a.Kind))
		if seen[rec.Rule+"\x00"+rec.CreatedAt] {
			continue
		}
		seen[rec.Rule+"\x00"+rec.CreatedAt] = true
		if err := p.raise(ctx, a, "shipment", shipmentID, severityOf(a.Kind)); err != nil {
			return err
		}
	}
	return nil
}

// mktAlert fires when the mean kinetic temperature (ΔH = 83.144 kJ/mol) of
// the readings so far is above the shipment's maximum. It starts at the
// first reading, so a shipment gets at most one.
func mktAlert(s *schemas.Shipment, readings []alerts.Reading) (alerts.Alert, bool) {
	if s.TemperatureRange == nil {
		return alerts.Alert{}, false
	}
	mkt, err := alerts.ShipmentMKT(readings)
	if err != nil || mkt.Celsius <= s.TemperatureRange.Max {
		return alerts.Alert{}, false
	}
	return alerts.Alert{
		Kind: alerts.TemperatureHigh, ShipmentID: s.ID, Start: mkt.From, End: mkt.To,
		Duration: alerts.Duration(mkt.To.Sub(mkt.From)), Value: mkt.Celsius, Rule: RuleMKT,
		Message: fmt.Sprintf("The mean kinetic temperature of shipment %s is %.1f °C over %d readings from %s to %s, above its maximum of %g °C.",
			s.ID, mkt.Celsius, mkt.Samples, mkt.From.UTC().Format("2006-01-02 15:04 UTC"), mkt.To.UTC().Format("2006-01-02 15:04 UTC"),
			s.TemperatureRange.Max),
	}, true
}
