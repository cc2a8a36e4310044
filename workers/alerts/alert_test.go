package alerts

import (
	"encoding/json"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"strings"
	"testing"
	"time"

	"github.com/aeoledger/aeoledger/workers/screening"
)

func TestConstructedAlerts(t *testing.T) {
	dir := shareddata.Path(t, "sanctions")
	list, err := screening.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	hits, err := list.Screen(screening.Query{Name: "National Bank of Cuba", Country: "ES"})
	if err != nil || len(hits) == 0 {
		t.Fatalf("Screen = %v, %v; want a hit on BANCO NACIONAL DE CUBA", hits, err)
	}
	cases := []struct {
		name      string
		alert     Alert
		wantKind  Kind
		wantValue float64
		wantText  []string
	}{
		{"A broken seal names the seal, the reporter and the note.",
			SealBroken("SHP-1", "ABC1234567", "Carrier NL-Trans", "cable cut", t0),
			SealBrokenKind, 0, []string{"Seal ABC1234567", "reported broken at 2026-11-27 10:00 UTC by Carrier NL-Trans", "Note: cable cut"}},
		{"A low score gives the score, the threshold and the reasons.",
			ScoreBelowThreshold("SHP-1", "DCL-9", 62.4, 80, []string{"unit value 10x below the HS 0901 median", "new consignee in a listed country"}, t0),
			LowScore, 62.4, []string{"compliance score 62, below the review threshold 80", "unit value 10x below the HS 0901 median; new consignee"}},
		{"A screening hit names the party, the listed entry and says the shipment is blocked.",
			ScreeningHit("SHP-1", "consignee", "National Bank of Cuba", hits[0], t0),
			ScreeningMatch, hits[0].Score, []string{`The consignee "National Bank of Cuba" resembles "NATIONAL BANK OF CUBA", an alias of listed party "BANCO NACIONAL DE CUBA"`, "SDN entry 306", "blocked until a compliance officer clears it"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.alert.Kind != c.wantKind || c.alert.Value != c.wantValue || c.alert.ShipmentID != "SHP-1" || !c.alert.Start.Equal(t0) {
				t.Errorf("alert = %+v, want kind %s value %g", c.alert, c.wantKind, c.wantValue)
			}
			for _, w := range c.wantText {
				if !strings.Contains(c.alert.Message, w) {
					t.Errorf("message %q lacks %q", c.alert.Message, w)
				}
			}
		})
	}
}

func TestAlertKeyAndJSON(t *testing.T) {
	a := sampleAlert()
	later := a
	later.Start = a.Start.Add(time.Minute)
	cases := []struct {
		name string
		x, y Alert
		same bool
	}{
		{"The same finding has the same key.", a, a, true},
		{"The same finding in another time zone has the same key.", a, func() Alert { b := a; b.Start = a.Start.In(time.FixedZone("CET", 3600)); return b }(), true},
		{"Another start time gives another key.", a, later, false},
		{"Another shipment gives another key.", a, func() Alert { b := a; b.ShipmentID = "SHP-2"; return b }(), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if (c.x.Key() == c.y.Key()) != c.same {
				t.Errorf("keys %s and %s: same = %v, want %v", c.x.Key(), c.y.Key(), !c.same, c.same)
			}
		})
	}
	raw, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), `"duration":"40m0s"`) {
		t.Errorf("JSON %s lacks the duration as text", raw)
	}
	var back Alert
	if err := json.Unmarshal(raw, &back); err != nil {
		t.Fatal(err)
	}
	if back.Key() != a.Key() || back.Duration != a.Duration || back.Message != a.Message {
		t.Errorf("round trip gave %+v, want %+v", back, a)
	}
}
