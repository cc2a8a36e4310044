package alerts_test

import (
	"fmt"
	"time"

	"github.com/aeoledger/aeoledger/workers/alerts"
)

func ExampleEvaluate() {
	start := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	var readings []alerts.Reading
	for i, c := range []float64{5, 9, 10, 11.5, 9, 6} { // one reading every 10 minutes
		readings = append(readings, alerts.Reading{Time: start.Add(time.Duration(i) * 10 * time.Minute), TempC: &c})
	}
	found, err := alerts.Evaluate(alerts.ColdChain("SHP-1"), readings)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, a := range found {
		fmt.Println(a.Kind, a.Rule, a.Duration)
		fmt.Println(a.Message)
	}
	mkt, _ := alerts.ShipmentMKT(readings)
	fmt.Printf("MKT %.2f °C over %d readings\n", mkt.Celsius, mkt.Samples)
	// Output:
	// temperature-high above-8C-30min 40m0s
	// Temperature above 8 °C for 40 min without interruption, from 2026-11-27 10:10 UTC to 2026-11-27 10:50 UTC; peak 11.5 °C (rule above-8C-30min; allowed: 30 min).
	// MKT 8.71 °C over 6 readings
}
