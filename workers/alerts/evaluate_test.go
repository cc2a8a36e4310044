package alerts

import (
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }
func b(v bool) *bool       { return &v }

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// temps makes one reading per step minutes with the given temperatures.
func temps(step int, values ...float64) []Reading {
	out := make([]Reading, len(values))
	for i, v := range values {
		out[i] = Reading{Time: t0.Add(time.Duration(i*step) * time.Minute), TempC: f(v)}
	}
	return out
}

func mins(m int) time.Duration { return time.Duration(m) * time.Minute }

func TestEvaluateTemperatureRules(t *testing.T) {
	high := func(mode Mode, forMin int) Profile {
		return Profile{ShipmentID: "SHP-1", Rules: []Rule{{Name: "above-8C", Metric: Temperature, Above: f(8), For: Duration(mins(forMin)), Mode: mode}}}
	}
	type want struct {
		kind     Kind
		start    time.Duration // after t0
		duration time.Duration
		value    float64
	}
	cases := []struct {
		name     string
		profile  Profile
		readings []Reading
		want     []want
	}{
		{"Forty minutes above 8 °C in one stretch fires a continuous rule of 30 minutes.",
			high(Continuous, 30), temps(10, 5, 9, 10, 11.5, 9, 6),
			[]want{{TemperatureHigh, mins(10), mins(40), 11.5}}},
		{"Twenty minutes above 8 °C does not fire a continuous rule of 30 minutes.",
			high(Continuous, 30), temps(10, 5, 9, 10, 6, 7),
			nil},
		{"Two stretches of 20 minutes do not fire a continuous rule but do fire a cumulative one.",
			high(Cumulative, 30), temps(10, 5, 9, 10, 6, 9, 12, 6),
			[]want{{TemperatureHigh, mins(10), mins(40), 12}}},
		{"The same two stretches fire no continuous rule.",
			high(Continuous, 30), temps(10, 5, 9, 10, 6, 9, 12, 6),
			nil},
		{"Exactly 8 °C is not above 8 °C.",
			high(Continuous, 0), temps(10, 8, 8, 8),
			nil},
		{"Unsorted readings are sorted first.",
			high(Continuous, 30), []Reading{
				{Time: t0.Add(mins(30)), TempC: f(10)}, {Time: t0, TempC: f(9)},
				{Time: t0.Add(mins(40)), TempC: f(5)}, {Time: t0.Add(mins(10)), TempC: f(9.5)}, {Time: t0.Add(mins(20)), TempC: f(9)},
			},
			[]want{{TemperatureHigh, 0, mins(40), 10}}},
		{"Below 2 °C for 20 minutes fires a freeze rule and reports the lowest value.",
			Profile{ShipmentID: "SHP-1", Rules: []Rule{{Name: "below-2C", Metric: Temperature, Below: f(2), For: Duration(mins(15))}}},
			temps(10, 4, 1.5, -0.5, 3),
			[]want{{TemperatureLow, mins(10), mins(20), -0.5}}},
		{"Readings without a temperature are ignored by a temperature rule.",
			high(Continuous, 30), append(temps(20, 9, 9, 5), Reading{Time: t0.Add(mins(30)), ShockG: f(1)}),
			[]want{{TemperatureHigh, 0, mins(40), 9}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Evaluate(c.profile, c.readings)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d alerts %+v, want %d", len(got), got, len(c.want))
			}
			for i, w := range c.want {
				a := got[i]
				if a.Kind != w.kind || !a.Start.Equal(t0.Add(w.start)) || time.Duration(a.Duration) != w.duration || a.Value != w.value {
					t.Errorf("alert %d = %s from %s for %s value %g; want %s from %s for %s value %g",
						i, a.Kind, a.Start, time.Duration(a.Duration), a.Value, w.kind, t0.Add(w.start), w.duration, w.value)
				}
				if !a.End.Equal(a.Start.Add(time.Duration(a.Duration))) && c.profile.Rules[0].Mode != Cumulative {
					t.Errorf("continuous alert end %s is not start + duration", a.End)
				}
				if a.ShipmentID != "SHP-1" || a.Rule != c.profile.Rules[0].Name || a.Message == "" {
					t.Errorf("alert %+v lacks shipment, rule or message", a)
				}
			}
		})
	}
}

func TestEvaluateMaxGapInterruptsAnExcursion(t *testing.T) {
	p := Profile{ShipmentID: "SHP-1", MaxGap: Duration(mins(15)),
		Rules: []Rule{{Name: "above-8C", Metric: Temperature, Above: f(8), For: Duration(mins(30))}}}
	// 9 °C at 10:00 and 10:10, then nothing until 11:10 (still 9 °C), 5 °C at 11:20.
	readings := []Reading{
		{Time: t0, TempC: f(9)}, {Time: t0.Add(mins(10)), TempC: f(9)},
		{Time: t0.Add(mins(70)), TempC: f(9)}, {Time: t0.Add(mins(80)), TempC: f(5)},
	}
	got, err := Evaluate(p, readings)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Errorf("got %+v; a 60-minute silence must not count as 60 minutes above 8 °C", got)
	}
	p.MaxGap = 0
	got, err = Evaluate(p, readings)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || time.Duration(got[0].Duration) != mins(80) {
		t.Errorf("without MaxGap got %+v, want one 80-minute excursion", got)
	}
}

func TestEvaluateDoorGeofence(t *testing.T) {
	// Rotterdam Maasvlakte terminal, 2 km radius.
	terminal := Geofence{Name: "Maasvlakte terminal", Lat: 51.9500, Lon: 4.0500, RadiusM: 2000}
	p := Profile{ShipmentID: "SHP-2", Rules: []Rule{{Name: "door-geofence", Metric: Door, Geofences: []Geofence{terminal}}}}
	cases := []struct {
		name      string
		readings  []Reading
		wantN     int
		wantValue float64 // metres outside, approximate
		wantText  string
	}{
		{"A door opened inside the terminal raises nothing.",
			[]Reading{{Time: t0, Lat: f(51.9510), Lon: f(4.0510), DoorOpen: b(true)}, {Time: t0.Add(mins(5)), DoorOpen: b(false)}},
			0, 0, ""},
		{"A door opened 0.1 degree of latitude north of the terminal fires, about 9.1 km outside.",
			[]Reading{{Time: t0, Lat: f(52.0500), Lon: f(4.0500)}, {Time: t0.Add(mins(1)), DoorOpen: b(true)}, {Time: t0.Add(mins(6)), DoorOpen: b(false)}},
			1, 0.1*math.Pi/180*earthRadiusM - 2000, "Door open for 5 min"},
		{"A door opened where no position is known fires.",
			[]Reading{{Time: t0, DoorOpen: b(true)}},
			1, 0, "position is unknown"},
		{"A closed door outside the terminal raises nothing.",
			[]Reading{{Time: t0, Lat: f(52.5), Lon: f(4.5), DoorOpen: b(false)}},
			0, 0, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Evaluate(p, c.readings)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != c.wantN {
				t.Fatalf("got %+v, want %d alerts", got, c.wantN)
			}
			if c.wantN == 0 {
				return
			}
			if got[0].Kind != DoorOutsideZone || math.Abs(got[0].Value-c.wantValue) > 1 {
				t.Errorf("got %s value %.1f m, want %s value %.1f m", got[0].Kind, got[0].Value, DoorOutsideZone, c.wantValue)
			}
			if !strings.Contains(got[0].Message, c.wantText) {
				t.Errorf("message %q lacks %q", got[0].Message, c.wantText)
			}
		})
	}
}

func TestEvaluateLightAndShock(t *testing.T) {
	p := Profile{ShipmentID: "SHP-3", Rules: []Rule{
		{Name: "light", Metric: Light, Above: f(50)},
		{Name: "shock-3g", Metric: Shock, Above: f(3)},
	}}
	readings := []Reading{
		{Time: t0, Lux: f(2), ShockG: f(0.5)},
		{Time: t0.Add(mins(10)), Lux: f(300), ShockG: f(5.2)},
		{Time: t0.Add(mins(12)), Lux: f(1), ShockG: f(0.4)},
	}
	got, err := Evaluate(p, readings)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("got %+v, want a light and a shock alert", got)
	}
	kinds := map[Kind]float64{got[0].Kind: got[0].Value, got[1].Kind: got[1].Value}
	if kinds[LightExposure] != 300 || kinds[ShockExcess] != 5.2 {
		t.Errorf("got %v, want light 300 and shock 5.2", kinds)
	}
	for _, a := range got {
		if !a.Start.Equal(t0.Add(mins(10))) || time.Duration(a.Duration) != mins(2) {
			t.Errorf("%s from %s for %s, want from %s for 2m", a.Kind, a.Start, time.Duration(a.Duration), t0.Add(mins(10)))
		}
	}
}

func TestEvaluateMessagesSpeakToTheOfficer(t *testing.T) {
	got, err := Evaluate(ColdChain("SHP-9"), temps(10, 5, 9, 10, 11.5, 9, 6))
	if err != nil {
		t.Fatal(err)
	}
	want := "Temperature above 8 °C for 40 min without interruption, from 2026-11-27 10:10 UTC to 10:50 UTC; " +
		"peak 11.5 °C (rule above-8C-30min; allowed: 30 min)."
	want = strings.Replace(want, "to 10:50 UTC", "to 2026-11-27 10:50 UTC", 1)
	if len(got) != 1 || got[0].Message != want {
		t.Fatalf("got %+v\nwant one alert saying %q", got, want)
	}
}

func TestEvaluateRejectsBadInput(t *testing.T) {
	good := ColdChain("SHP-1")
	cases := []struct {
		name     string
		profile  func(p *Profile)
		readings []Reading
		want     string
	}{
		{"A profile without shipment is refused.", func(p *Profile) { p.ShipmentID = "" }, nil,
			`evaluating alert profile: field shipment_id: value "": must not be empty`},
		{"A negative duration is refused.", func(p *Profile) { p.Rules[0].For = Duration(-time.Minute) }, nil,
			`evaluating alert profile: field rules[0].for: value "-1m0s": must not be negative`},
		{"A duplicate rule name is refused.", func(p *Profile) { p.Rules[1].Name = p.Rules[0].Name }, nil,
			`evaluating alert profile: field rules[1].name: value "above-8C-30min": must be unique within the profile`},
		{"An unknown mode is refused.", func(p *Profile) { p.Rules[0].Mode = "sometimes" }, nil,
			`evaluating alert profile: field rules[0].mode: value "sometimes": must be "continuous" or "cumulative"`},
		{"A temperature rule with both limits is refused.", func(p *Profile) { p.Rules[0].Below = f(2) }, nil,
			`evaluating alert profile: field rules[0].above: value "8": exactly one of above and below must be set for a temperature rule`},
		{"A shock rule with a lower limit is refused.", func(p *Profile) { p.Rules[0] = Rule{Name: "s", Metric: Shock, Below: f(1)} }, nil,
			`evaluating alert profile: field rules[0].below: value "1": a shock rule takes above only`},
		{"A door rule without geofence is refused.", func(p *Profile) { p.Rules[0] = Rule{Name: "d", Metric: Door} }, nil,
			`evaluating alert profile: field rules[0].geofences: value "[]": a door rule needs at least one geofence`},
		{"A geofence with zero radius is refused.", func(p *Profile) {
			p.Rules[0] = Rule{Name: "d", Metric: Door, Geofences: []Geofence{{Name: "x", Lat: 1, Lon: 1}}}
		}, nil, `evaluating alert profile: field rules[0].geofences[0].radius_m: value "0": must be a positive number of metres`},
		{"An unknown metric is refused.", func(p *Profile) { p.Rules[0].Metric = "pressure" }, nil,
			`evaluating alert profile: field rules[0].metric: value "pressure": must be one of temperature, humidity, light, shock, door`},
		{"A reading without time is refused.", nil, []Reading{{TempC: f(5)}},
			`evaluating alert profile: field readings[0].time: value "0001-01-01T00:00:00Z": must be set`},
		{"A NaN temperature is refused.", nil, []Reading{{Time: t0, TempC: f(math.NaN())}},
			`evaluating alert profile: field readings[0].temp_c: value "NaN": must be a finite number`},
		{"A latitude beyond the pole is refused.", nil, []Reading{{Time: t0, Lat: f(91), Lon: f(0)}},
			`evaluating alert profile: field readings[0].lat: value "91": must be between -90 and 90`},
		{"A latitude without longitude is refused.", nil, []Reading{{Time: t0, Lat: f(50)}},
			`evaluating alert profile: field readings[0].lat: value "50": lat and lon must be given together`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := ColdChain("SHP-1")
			p.Rules = append([]Rule(nil), good.Rules...)
			if c.profile != nil {
				c.profile(&p)
			}
			got, err := Evaluate(p, c.readings)
			if err == nil || err.Error() != c.want {
				t.Fatalf("error = %v\nwant    %s", err, c.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("error %T does not wrap *InputError", err)
			}
			if got != nil {
				t.Errorf("got alerts %+v with the error", got)
			}
		})
	}
}

func TestProfileReadsFromJSON(t *testing.T) {
	src := `{"shipment_id":"SHP-7","max_gap":"20m","rules":[
		{"name":"above-8C","metric":"temperature","above":8,"for":"30m","mode":"cumulative"},
		{"name":"door","metric":"door","geofences":[{"name":"dock","lat":51.9,"lon":4.4,"radius_m":500}]}]}`
	var p Profile
	if err := json.Unmarshal([]byte(src), &p); err != nil {
		t.Fatal(err)
	}
	if err := p.Validate(); err != nil {
		t.Fatal(err)
	}
	if time.Duration(p.MaxGap) != 20*time.Minute || time.Duration(p.Rules[0].For) != 30*time.Minute || p.Rules[1].Geofences[0].RadiusM != 500 {
		t.Errorf("decoded %+v", p)
	}
	var bad Profile
	err := json.Unmarshal([]byte(`{"shipment_id":"x","max_gap":"soon"}`), &bad)
	if err == nil || !strings.Contains(err.Error(), `parsing duration "soon"`) {
		t.Errorf("error = %v, want a duration parse error", err)
	}
}

func TestHaversine(t *testing.T) {
	cases := []struct {
		name                   string
		lat1, lon1, lat2, lon2 float64
		want                   float64
	}{
		{"One degree along a meridian is R·π/180.", 0, 0, 1, 0, earthRadiusM * math.Pi / 180},
		{"A quarter of the equator is R·π/2.", 0, 0, 0, 90, earthRadiusM * math.Pi / 2},
		{"Pole to pole is R·π.", 90, 0, -90, 0, earthRadiusM * math.Pi},
		{"A point is at zero distance from itself.", 51.9, 4.05, 51.9, 4.05, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Haversine(c.lat1, c.lon1, c.lat2, c.lon2); math.Abs(got-c.want) > 1e-6 {
				t.Errorf("Haversine = %.6f, want %.6f", got, c.want)
			}
		})
	}
}
