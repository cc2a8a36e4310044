package alerts

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// Constants of the mean kinetic temperature (Haynes' formula, as used in
// USP <1079.2> and the WHO guidance for storing medicines).
const (
	// ActivationEnergy is ΔH, in J/mol.
	ActivationEnergy = 83.144e3
	// GasConstant is R, in J/(mol·K).
	GasConstant = 8.3144598
	// zeroCelsius is 0 °C in kelvin.
	zeroCelsius = 273.15
)

// MeanKineticTemperature returns the mean kinetic temperature, in °C, of
// equally spaced temperature samples in °C:
//
//	T_MKT = (ΔH/R) / -ln( (1/n) Σ exp(-ΔH / (R·T_i)) ),  T in kelvin.
//
// Errors: *InputError when there is no sample or a sample is not a finite
// temperature above absolute zero.
func MeanKineticTemperature(tempsC []float64) (float64, error) {
	w := make([]float64, len(tempsC))
	for i := range w {
		w[i] = 1
	}
	return weightedMKT(tempsC, w)
}

// MKT is a shipment's mean kinetic temperature.
type MKT struct {
	Celsius  float64
	Samples  int
	From, To time.Time
}

// ShipmentMKT returns the mean kinetic temperature over a shipment's
// temperature readings, each weighted by the time it stands for: until the
// next reading, and for the last reading the median interval, so that
// equally spaced readings give exactly MeanKineticTemperature. Readings
// without a temperature are ignored; they need not be sorted.
//
// Errors: *InputError for a bad reading or when no reading has a
// temperature.
func ShipmentMKT(readings []Reading) (MKT, error) {
	if err := validateReadings(readings); err != nil {
		return MKT{}, fmt.Errorf("computing mean kinetic temperature: %w", err)
	}
	var pts []Reading
	for _, r := range readings {
		if r.TempC != nil {
			pts = append(pts, r)
		}
	}
	if len(pts) == 0 {
		return MKT{}, fmt.Errorf("computing mean kinetic temperature: %w", bad("readings", "no temp_c", "at least one reading must have a temperature"))
	}
	slices.SortStableFunc(pts, func(a, b Reading) int { return a.Time.Compare(b.Time) })
	temps := make([]float64, len(pts))
	weights := make([]float64, len(pts))
	gaps := make([]float64, 0, len(pts))
	for i, p := range pts {
		temps[i] = *p.TempC
		if i+1 < len(pts) {
			weights[i] = pts[i+1].Time.Sub(p.Time).Seconds()
			gaps = append(gaps, weights[i])
		}
	}
	if len(gaps) == 0 {
		weights[0] = 1
	} else {
		slices.Sort(gaps)
		weights[len(pts)-1] = gaps[len(gaps)/2]
		if len(gaps)%2 == 0 {
			weights[len(pts)-1] = (gaps[len(gaps)/2-1] + gaps[len(gaps)/2]) / 2
		}
	}
	c, err := weightedMKT(temps, weights)
	if err != nil {
		return MKT{}, fmt.Errorf("computing mean kinetic temperature: %w", err)
	}
	return MKT{Celsius: c, Samples: len(pts), From: pts[0].Time, To: pts[len(pts)-1].Time}, nil
}

// weightedMKT computes the weighted mean kinetic temperature with a
// log-sum-exp, so the tiny exponentials (about e^-34 at room temperature)
// lose no precision.
func weightedMKT(tempsC, weights []float64) (float64, error) {
	if len(tempsC) == 0 {
		return 0, bad("temperatures", "[]", "at least one sample is needed")
	}
	k := ActivationEnergy / GasConstant
	x := make([]float64, len(tempsC))
	maxX := math.Inf(-1)
	for i, c := range tempsC {
		if math.IsNaN(c) || math.IsInf(c, 0) || c <= -zeroCelsius {
			return 0, bad(fmt.Sprintf("temperatures[%d]", i), c, "must be a finite temperature above absolute zero")
		}
		x[i] = -k / (c + zeroCelsius)
		maxX = math.Max(maxX, x[i])
	}
	sum, wsum := 0.0, 0.0
	for i := range x {
		sum += weights[i] * math.Exp(x[i]-maxX)
		wsum += weights[i]
	}
	if !(wsum > 0) {
		return 0, bad("weights", wsum, "must add up to more than zero")
	}
	lnMean := maxX + math.Log(sum/wsum)
	return -k/lnMean - zeroCelsius, nil
}
