package alerts

import (
	"fmt"
	"math"
	"time"
)

// Reading is one timed sensor sample of a shipment. A nil field was not
// measured in this sample.
type Reading struct {
	Time     time.Time
	TempC    *float64 // °C
	Humidity *float64 // relative humidity, %
	Lux      *float64 // illuminance inside the container, lux
	ShockG   *float64 // peak acceleration, g
	DoorOpen *bool
	Lat, Lon *float64 // WGS 84 degrees
}

// Metric is the quantity a rule watches.
type Metric string

// Metrics.
const (
	Temperature Metric = "temperature" // °C; above or below
	Humidity    Metric = "humidity"    // %RH; above or below
	Light       Metric = "light"       // lux; above only
	Shock       Metric = "shock"       // g; above only
	Door        Metric = "door"        // open outside every geofence
)

// Mode says how the excursion time of a rule adds up.
type Mode string

// Modes.
const (
	// Continuous fires for each uninterrupted excursion lasting at least
	// For.
	Continuous Mode = "continuous"
	// Cumulative fires once when the excursions of the whole shipment add
	// up to at least For.
	Cumulative Mode = "cumulative"
)

// Geofence is a circle where a door may be opened, for example a terminal
// or the consignee's dock.
type Geofence struct {
	Name    string  `json:"name" yaml:"name"`
	Lat     float64 `json:"lat" yaml:"lat"`
	Lon     float64 `json:"lon" yaml:"lon"`
	RadiusM float64 `json:"radius_m" yaml:"radius_m"`
}

// Rule is one excursion rule. A temperature or humidity rule sets exactly
// one of Above and Below; a light or shock rule sets Above; a door rule sets
// Geofences and fires when the door is open outside all of them (or where
// the position is unknown).
type Rule struct {
	Name      string     `json:"name" yaml:"name"`
	Metric    Metric     `json:"metric" yaml:"metric"`
	Above     *float64   `json:"above,omitempty" yaml:"above,omitempty"`
	Below     *float64   `json:"below,omitempty" yaml:"below,omitempty"`
	For       Duration   `json:"for,omitempty" yaml:"for,omitempty"`   // minimum excursion time; 0 fires on any excursion
	Mode      Mode       `json:"mode,omitempty" yaml:"mode,omitempty"` // "" means continuous
	Geofences []Geofence `json:"geofences,omitempty" yaml:"geofences,omitempty"`
}

// Profile is the set of rules for one shipment.
type Profile struct {
	ShipmentID string `json:"shipment_id" yaml:"shipment_id"`
	Rules      []Rule `json:"rules" yaml:"rules"`
	// MaxGap caps how long a reading stands for the shipment's state when
	// the next reading is late. Zero means until the next reading. A gap
	// longer than MaxGap also interrupts a continuous excursion.
	MaxGap Duration `json:"max_gap,omitempty" yaml:"max_gap,omitempty"`
}

// ColdChain is a profile for goods kept at 2 to 8 °C: above 8 °C for 30
// minutes without interruption, or for 60 minutes in total, or below 2 °C
// for 15 minutes, raises an alert.
func ColdChain(shipmentID string) Profile {
	high, low := 8.0, 2.0
	return Profile{ShipmentID: shipmentID, Rules: []Rule{
		{Name: "above-8C-30min", Metric: Temperature, Above: &high, For: Duration(30 * time.Minute), Mode: Continuous},
		{Name: "above-8C-60min-total", Metric: Temperature, Above: &high, For: Duration(60 * time.Minute), Mode: Cumulative},
		{Name: "below-2C-15min", Metric: Temperature, Below: &low, For: Duration(15 * time.Minute), Mode: Continuous},
	}}
}

// InputError reports bad input: the field, its value and the rule it broke.
type InputError struct {
	Field string
	Value string
	Rule  string
}

func (e *InputError) Error() string {
	return fmt.Sprintf("field %s: value %q: %s", e.Field, e.Value, e.Rule)
}

func bad(field string, value any, rule string) error {
	return &InputError{Field: field, Value: fmt.Sprint(value), Rule: rule}
}

// Validate checks the profile and returns an *InputError for the first
// problem.
func (p Profile) Validate() error {
	if p.ShipmentID == "" {
		return bad("shipment_id", p.ShipmentID, "must not be empty")
	}
	if p.MaxGap < 0 {
		return bad("max_gap", p.MaxGap, "must not be negative")
	}
	names := map[string]bool{}
	for i, r := range p.Rules {
		f := func(name string) string { return fmt.Sprintf("rules[%d].%s", i, name) }
		if r.Name == "" {
			return bad(f("name"), r.Name, "must not be empty")
		}
		if names[r.Name] {
			return bad(f("name"), r.Name, "must be unique within the profile")
		}
		names[r.Name] = true
		if r.For < 0 {
			return bad(f("for"), r.For, "must not be negative")
		}
		if r.Mode != "" && r.Mode != Continuous && r.Mode != Cumulative {
			return bad(f("mode"), r.Mode, `must be "continuous" or "cumulative"`)
		}
		for _, lim := range []struct {
			name string
			v    *float64
		}{{"above", r.Above}, {"below", r.Below}} {
			if lim.v != nil && (math.IsNaN(*lim.v) || math.IsInf(*lim.v, 0)) {
				return bad(f(lim.name), *lim.v, "must be a finite number")
			}
		}
		switch r.Metric {
		case Temperature, Humidity:
			if (r.Above == nil) == (r.Below == nil) {
				return bad(f("above"), fmtLimit(r.Above), "exactly one of above and below must be set for a "+string(r.Metric)+" rule")
			}
		case Light, Shock:
			if r.Below != nil {
				return bad(f("below"), *r.Below, "a "+string(r.Metric)+" rule takes above only")
			}
			if r.Above == nil {
				return bad(f("above"), "", "must be set for a "+string(r.Metric)+" rule")
			}
		case Door:
			if r.Above != nil || r.Below != nil {
				return bad(f("above"), fmtLimit(r.Above), "a door rule takes geofences, not limits")
			}
			if len(r.Geofences) == 0 {
				return bad(f("geofences"), "[]", "a door rule needs at least one geofence")
			}
		default:
			return bad(f("metric"), r.Metric, "must be one of temperature, humidity, light, shock, door")
		}
		if r.Metric != Door && len(r.Geofences) > 0 {
			return bad(f("geofences"), len(r.Geofences), "only a door rule takes geofences")
		}
		for j, g := range r.Geofences {
			gf := func(name string) string { return fmt.Sprintf("rules[%d].geofences[%d].%s", i, j, name) }
			if !(g.Lat >= -90 && g.Lat <= 90) {
				return bad(gf("lat"), g.Lat, "must be between -90 and 90")
			}
			if !(g.Lon >= -180 && g.Lon <= 180) {
				return bad(gf("lon"), g.Lon, "must be between -180 and 180")
			}
			if !(g.RadiusM > 0) || math.IsInf(g.RadiusM, 0) {
				return bad(gf("radius_m"), g.RadiusM, "must be a positive number of metres")
			}
		}
	}
	return nil
}

func fmtLimit(v *float64) string {
	if v == nil {
		return ""
	}
	return fmt.Sprint(*v)
}

// validateReadings checks every reading and returns an *InputError for the
// first problem.
func validateReadings(readings []Reading) error {
	for i, r := range readings {
		f := func(name string) string { return fmt.Sprintf("readings[%d].%s", i, name) }
		if r.Time.IsZero() {
			return bad(f("time"), "0001-01-01T00:00:00Z", "must be set")
		}
		for _, m := range []struct {
			name string
			v    *float64
		}{{"temp_c", r.TempC}, {"humidity", r.Humidity}, {"lux", r.Lux}, {"shock_g", r.ShockG}, {"lat", r.Lat}, {"lon", r.Lon}} {
			if m.v != nil && (math.IsNaN(*m.v) || math.IsInf(*m.v, 0)) {
				return bad(f(m.name), *m.v, "must be a finite number")
			}
		}
		if r.TempC != nil && *r.TempC < -273.15 {
			return bad(f("temp_c"), *r.TempC, "must not be below absolute zero (-273.15)")
		}
		if (r.Lat == nil) != (r.Lon == nil) {
			return bad(f("lat"), fmtLimit(r.Lat), "lat and lon must be given together")
		}
		if r.Lat != nil && (*r.Lat < -90 || *r.Lat > 90) {
			return bad(f("lat"), *r.Lat, "must be between -90 and 90")
		}
		if r.Lon != nil && (*r.Lon < -180 || *r.Lon > 180) {
			return bad(f("lon"), *r.Lon, "must be between -180 and 180")
		}
	}
	return nil
}
