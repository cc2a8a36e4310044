package alerts

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Evaluate applies the profile's rules to a shipment's readings and returns
// the alerts, ordered by start time, then rule order.
//
// A reading stands for the shipment's state from its time until the next
// reading of the same quantity (at most Profile.MaxGap when that is set);
// the last one stands for an instant. An excursion is a run of consecutive
// readings outside the limit; it lasts from the first of them to the first
// reading back inside (or to the last reading). Readings need not be
// sorted.
//
// Errors: *InputError for a bad profile or reading; nothing is evaluated.
func Evaluate(p Profile, readings []Reading) ([]Alert, error) {
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("evaluating alert profile: %w", err)
	}
	if err := validateReadings(readings); err != nil {
		return nil, fmt.Errorf("evaluating alert profile: %w", err)
	}
	sorted := slices.Clone(readings)
	slices.SortStableFunc(sorted, func(a, b Reading) int { return a.Time.Compare(b.Time) })
	var out []Alert
	for _, r := range p.Rules {
		samples := series(r, sorted)
		runs := excursions(samples, time.Duration(p.MaxGap), func(v, than float64) bool { return worse(r, v, than) })
		out = append(out, fire(p.ShipmentID, r, runs)...)
	}
	slices.SortStableFunc(out, func(a, b Alert) int { return a.Start.Compare(b.Start) })
	return out, nil
}

// sample is one reading of the rule's quantity.
type sample struct {
	t       time.Time
	value   float64 // the reading; for a door, metres outside the nearest zone
	outside bool    // breaks the rule
	known   bool    // for a door: position known
	zone    string  // for a door: nearest permitted zone
}

// series extracts the samples a rule looks at, in time order.
func series(r Rule, sorted []Reading) []sample {
	var out []sample
	var lat, lon *float64 // last known position, for door readings
	for _, rd := range sorted {
		if rd.Lat != nil {
			lat, lon = rd.Lat, rd.Lon
		}
		var v *float64
		switch r.Metric {
		case Temperature:
			v = rd.TempC
		case Humidity:
			v = rd.Humidity
		case Light:
			v = rd.Lux
		case Shock:
			v = rd.ShockG
		case Door:
			if rd.DoorOpen == nil {
				continue
			}
			s := sample{t: rd.Time}
			if lat != nil {
				s.known = true
				s.value, s.zone = outsideBy(r.Geofences, *lat, *lon)
			}
			s.outside = *rd.DoorOpen && (!s.known || s.value > 0)
			out = append(out, s)
			continue
		}
		if v == nil {
			continue
		}
		s := sample{t: rd.Time, value: *v}
		if r.Above != nil {
			s.outside = *v > *r.Above
		} else {
			s.outside = *v < *r.Below
		}
		out = append(out, s)
	}
	return out
}

// run is one excursion.
type run struct {
	start, end time.Time
	duration   time.Duration
	peak       sample // the most extreme sample
}

// excursions finds the runs of consecutive samples outside the limit.
// worse tells whether a value is more extreme than another for the rule.
func excursions(samples []sample, maxGap time.Duration, worse func(v, than float64) bool) []run {
	var out []run
	var cur *run
	for i, s := range samples {
		if !s.outside {
			if cur != nil {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		hold, broken := time.Duration(0), false
		if i+1 < len(samples) {
			hold = samples[i+1].t.Sub(s.t)
			if maxGap > 0 && hold > maxGap {
				hold, broken = maxGap, true
			}
		}
		if cur == nil {
			cur = &run{start: s.t, peak: s}
		} else if worse(s.value, cur.peak.value) {
			cur.peak = s
		}
		cur.duration += hold
		cur.end = s.t.Add(hold)
		if broken {
			out = append(out, *cur)
			cur = nil
		}
	}
	if cur != nil {
		out = append(out, *cur)
	}
	return out
}

// fire turns runs into alerts according to the rule's mode.
func fire(shipmentID string, r Rule, runs []run) []Alert {
	limit := time.Duration(r.For)
	if r.Mode == Cumulative {
		if len(runs) == 0 {
			return nil
		}
		total := time.Duration(0)
		peak := runs[0].peak
		for _, x := range runs {
			total += x.duration
			if worse(r, x.peak.value, peak.value) {
				peak = x.peak
			}
		}
		if total < limit || (limit > 0 && total == 0) {
			return nil
		}
		a := newAlert(shipmentID, r, runs[0].start, runs[len(runs)-1].end, total, peak)
		a.Message = describe(r, a, len(runs))
		return []Alert{a}
	}
	var out []Alert
	for _, x := range runs {
		if x.duration < limit || (limit > 0 && x.duration == 0) {
			continue
		}
		a := newAlert(shipmentID, r, x.start, x.end, x.duration, x.peak)
		a.Message = describe(r, a, 1)
		out = append(out, a)
	}
	return out
}

// worse tells whether v is more extreme than "than": lower for a "below"
// rule, higher otherwise (for a door, farther outside).
func worse(r Rule, v, than float64) bool {
	if r.Below != nil {
		return v < than
	}
	return v > than
}

func newAlert(shipmentID string, r Rule, start, end time.Time, d time.Duration, peak sample) Alert {
	return Alert{Kind: kindOf(r), ShipmentID: shipmentID, Start: start, End: end, Duration: Duration(d),
		Value: peak.value, Rule: r.Name, Subject: peak.zone}
}

func kindOf(r Rule) Kind {
	switch r.Metric {
	case Temperature:
		if r.Below != nil {
			return TemperatureLow
		}
		return TemperatureHigh
	case Humidity:
		if r.Below != nil {
			return HumidityLow
		}
		return HumidityHigh
	case Light:
		return LightExposure
	case Shock:
		return ShockExcess
	default:
		return DoorOutsideZone
	}
}

var units = map[Metric]string{Temperature: "°C", Humidity: "% RH", Light: "lux", Shock: "g"}

// describe writes the officer's message for an excursion alert.
func describe(r Rule, a Alert, periods int) string {
	d := time.Duration(a.Duration)
	if r.Metric == Door {
		where := "where the position is unknown"
		if a.Subject != "" {
			where = fmt.Sprintf("%.1f km outside the nearest permitted zone (%s)", a.Value/1000, a.Subject)
		}
		if d == 0 {
			return fmt.Sprintf("Door opened at %s %s (rule %s).", stamp(a.Start), where, r.Name)
		}
		return fmt.Sprintf("Door open for %s from %s to %s, %s (rule %s).", span(d), stamp(a.Start), stamp(a.End), where, r.Name)
	}
	unit := units[r.Metric]
	name := map[Metric]string{Temperature: "Temperature", Humidity: "Humidity", Light: "Light level", Shock: "Shock"}[r.Metric]
	dir, lim, peakWord := "above", *valueOf(r.Above, r.Below), "peak"
	if r.Below != nil {
		dir, peakWord = "below", "lowest"
	}
	allowed := ""
	if r.For > 0 {
		allowed = fmt.Sprintf("; allowed: %s", span(time.Duration(r.For)))
		if r.Mode == Cumulative {
			allowed += " in total"
		}
	}
	switch {
	case d == 0:
		return fmt.Sprintf("%s of %g %s at %s, %s the limit of %g %s (rule %s%s).",
			name, a.Value, unit, stamp(a.Start), dir, lim, unit, r.Name, allowed)
	case r.Mode == Cumulative:
		return fmt.Sprintf("%s %s %g %s for %s in total over %d period(s) between %s and %s; %s %g %s (rule %s%s).",
			name, dir, lim, unit, span(d), periods, stamp(a.Start), stamp(a.End), peakWord, a.Value, unit, r.Name, allowed)
	default:
		return fmt.Sprintf("%s %s %g %s for %s without interruption, from %s to %s; %s %g %s (rule %s%s).",
			name, dir, lim, unit, span(d), stamp(a.Start), stamp(a.End), peakWord, a.Value, unit, r.Name, allowed)
	}
}

func valueOf(a, b *float64) *float64 {
	if a != nil {
		return a
	}
	return b
}

// earthRadiusM is the mean Earth radius (IUGG), in metres.
const earthRadiusM = 6371008.8

// Haversine returns the great-circle distance in metres between two points
// given in degrees.
func Haversine(lat1, lon1, lat2, lon2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLon := (lon2 - lon1) * rad
	h := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthRadiusM * math.Asin(math.Min(1, math.Sqrt(h)))
}

// outsideBy returns how far (metres) a point lies outside the nearest
// geofence, 0 or less when inside one, and that geofence's name.
func outsideBy(zones []Geofence, lat, lon float64) (float64, string) {
	best, name := math.Inf(1), ""
	for _, z := range zones {
		if d := Haversine(z.Lat, z.Lon, lat, lon) - z.RadiusM; d < best {
			best, name = d, z.Name
		}
	}
	return best, name
}
