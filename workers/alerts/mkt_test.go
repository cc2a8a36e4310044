package alerts

import (
	"errors"
	"math"
	"testing"
	"time"
)

func TestMeanKineticTemperature(t *testing.T) {
	// Two temperatures held for equal time, by the closed form
	//   T = (ΔH/R) / (ΔH/(R·T1) - ln((1 + exp(-(ΔH/R)(1/T2 - 1/T1))) / 2))
	// which rearranges Haynes' formula around T1; a different path from
	// weightedMKT's log-sum-exp.
	twoTemps := func(c1, c2 float64) float64 {
		k := 83144.0 / 8.3144598
		t1, t2 := c1+273.15, c2+273.15
		return k/(k/t1-math.Log((1+math.Exp(-k*(1/t2-1/t1)))/2)) - 273.15
	}
	cases := []struct {
		name  string
		temps []float64
		want  float64
		tol   float64
	}{
		{"A constant temperature is its own MKT.", []float64{5, 5, 5, 5}, 5, 1e-9},
		{"A constant 25 °C is 25 °C.", []float64{25}, 25, 1e-9},
		// 26.2599 °C worked by hand (calculator) from Haynes' formula with
		// ΔH = 83.144 kJ/mol, R = 8.3144598 J/mol/K: the MKT of equal time
		// at 20 °C and 30 °C lies above the arithmetic mean of 25 °C.
		{"Equal time at 20 °C and 30 °C gives 26.26 °C.", []float64{20, 30}, 26.2599, 1e-4},
		{"The closed form agrees for 20 °C and 30 °C.", []float64{20, 30}, twoTemps(20, 30), 1e-9},
		{"The closed form agrees for 2 °C and 8 °C.", []float64{2, 8}, twoTemps(2, 8), 1e-9},
		{"The closed form agrees for -18 °C and 40 °C.", []float64{-18, 40}, twoTemps(-18, 40), 1e-9},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := MeanKineticTemperature(c.temps)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-c.want) > c.tol {
				t.Errorf("MKT(%v) = %.6f, want %.6f", c.temps, got, c.want)
			}
			mean := 0.0
			for _, v := range c.temps {
				mean += v
			}
			if mean /= float64(len(c.temps)); got < mean-1e-9 {
				t.Errorf("MKT %.4f below the arithmetic mean %.4f", got, mean)
			}
		})
	}
}

func TestShipmentMKTWeighsReadingsByTime(t *testing.T) {
	at := func(m int, c float64) Reading {
		return Reading{Time: t0.Add(time.Duration(m) * time.Minute), TempC: f(c)}
	}
	cases := []struct {
		name     string
		readings []Reading
		same     []float64 // equally spaced samples with the same MKT
	}{
		{"Equally spaced readings give the plain formula.",
			[]Reading{at(0, 4), at(15, 6), at(30, 9), at(45, 5)}, []float64{4, 6, 9, 5}},
		{"A reading held three hours counts three times one held an hour; the last holds for the median interval.",
			[]Reading{at(0, 25), at(180, 5), at(240, 5), at(300, 5)}, []float64{25, 25, 25, 5, 5, 5}},
		{"Readings without a temperature are ignored and order does not matter.",
			[]Reading{at(60, 8), {Time: t0.Add(30 * time.Minute), ShockG: f(1)}, at(0, 2)}, []float64{2, 8}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ShipmentMKT(c.readings)
			if err != nil {
				t.Fatal(err)
			}
			want, err := MeanKineticTemperature(c.same)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got.Celsius-want) > 1e-9 {
				t.Errorf("ShipmentMKT = %.6f, want %.6f", got.Celsius, want)
			}
		})
	}
}

func TestMKTRejectsBadInput(t *testing.T) {
	cases := []struct {
		name string
		run  func() error
		want string
	}{
		{"No sample is refused.", func() error { _, err := MeanKineticTemperature(nil); return err },
			`field temperatures: value "[]": at least one sample is needed`},
		{"A temperature below absolute zero is refused.", func() error { _, err := MeanKineticTemperature([]float64{5, -300}); return err },
			`field temperatures[1]: value "-300": must be a finite temperature above absolute zero`},
		{"A shipment without temperatures is refused.", func() error { _, err := ShipmentMKT([]Reading{{Time: t0, ShockG: f(1)}}); return err },
			`computing mean kinetic temperature: field readings: value "no temp_c": at least one reading must have a temperature`},
		{"A reading below absolute zero is refused.", func() error { _, err := ShipmentMKT([]Reading{{Time: t0, TempC: f(-274)}}); return err },
			`computing mean kinetic temperature: field readings[0].temp_c: value "-274": must not be below absolute zero (-273.15)`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.run()
			if err == nil || err.Error() != c.want {
				t.Fatalf("error = %v, want %s", err, c.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("error %T does not wrap *InputError", err)
			}
		})
	}
}
