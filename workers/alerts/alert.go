// Package alerts turns what the workers see into alerts a compliance officer
// acts on: sensor excursions against per-shipment rules (temperature,
// humidity, light, shock, a door opened outside a geofence), broken seals,
// compliance scores below threshold and sanctioned-party screening hits. It
// computes the mean kinetic temperature of a shipment and delivers alerts to
// a webhook with an HMAC-SHA256 signature.
//
// The package holds logic only: it stores nothing. The caller keeps alerts
// in the read model and records them, and their acknowledgement, on the
// ledger.
package alerts

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/aeoledger/aeoledger/workers/screening"
)

// Kind names what an alert is about.
type Kind string

// Alert kinds.
const (
	TemperatureHigh Kind = "temperature-high"
	TemperatureLow  Kind = "temperature-low"
	HumidityHigh    Kind = "humidity-high"
	HumidityLow     Kind = "humidity-low"
	LightExposure   Kind = "light"
	ShockExcess     Kind = "shock"
	DoorOutsideZone Kind = "door-open-outside-geofence"
	SealBrokenKind  Kind = "seal-broken"
	LowScore        Kind = "compliance-score-below-threshold"
	ScreeningMatch  Kind = "screening-hit"
)

// Alert is one finding for a compliance officer.
type Alert struct {
	Kind       Kind      `json:"kind"`
	ShipmentID string    `json:"shipment_id"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Duration   Duration  `json:"duration"`
	// Value is the peak reading of an excursion (°C, %RH, lux, g), the
	// distance in metres outside the nearest permitted zone for a door
	// alert, the score for a low score or a screening hit.
	Value   float64 `json:"value"`
	Rule    string  `json:"rule"`              // the rule or threshold that fired
	Subject string  `json:"subject,omitempty"` // seal number, declaration ID or screened party
	Message string  `json:"message"`           // what happened, in words an officer reads
}

// Key identifies an alert: the same finding computed twice (for example
// when the read model is rebuilt) has the same key. It is also the webhook
// delivery ID.
func (a Alert) Key() string {
	h := sha256.New()
	for _, part := range []string{string(a.Kind), a.ShipmentID, a.Rule, a.Subject, a.Start.UTC().Format(time.RFC3339Nano)} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// Duration is a time.Duration written as text ("30m0s") in JSON and YAML.
type Duration time.Duration

// MarshalText writes the duration as Go duration text.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads Go duration text such as "30m" or "1h30m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("parsing duration %q: %w", b, err)
	}
	*d = Duration(v)
	return nil
}

// String is the Go duration text.
func (d Duration) String() string { return time.Duration(d).String() }

// stamp formats a time the way messages show it.
func stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// span formats a duration for a message: "42 min", "2 h 5 min", "30 s".
func span(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Minutes()))
	default:
		h := int(d.Hours())
		m := int((d - time.Duration(h)*time.Hour).Minutes())
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
}

// SealBroken is the alert for a seal found broken or not matching the
// recorded number.
func SealBroken(shipmentID, sealNumber, reportedBy, note string, at time.Time) Alert {
	msg := fmt.Sprintf("Seal %s of shipment %s was reported broken at %s by %s.", sealNumber, shipmentID, stamp(at), reportedBy)
	if note = strings.TrimSpace(note); note != "" {
		msg += " Note: " + note
	}
	return Alert{Kind: SealBrokenKind, ShipmentID: shipmentID, Start: at, End: at, Rule: "seal-integrity",
		Subject: sealNumber, Message: msg}
}

// ScoreBelowThreshold is the alert for a declaration whose compliance score
// (0 to 100, higher is more compliant) is below the review threshold.
// reasons are the scorer's top reasons, shown to the officer.
func ScoreBelowThreshold(shipmentID, declarationID string, score, threshold float64, reasons []string, at time.Time) Alert {
	msg := fmt.Sprintf("Declaration %s of shipment %s has compliance score %.0f, below the review threshold %.0f.",
		declarationID, shipmentID, score, threshold)
	if len(reasons) > 0 {
		msg += " Reasons: " + strings.Join(reasons, "; ") + "."
	}
	return Alert{Kind: LowScore, ShipmentID: shipmentID, Start: at, End: at, Value: score,
		Rule: fmt.Sprintf("score < %.0f", threshold), Subject: declarationID, Message: msg}
}

// ScreeningHit is the alert for a party (partner, consignor, consignee or
// seller) that resembles a listed party. role says which party it is.
// shipmentID may be empty when a partner is screened at registration.
func ScreeningHit(shipmentID, role, partyName string, hit screening.Hit, at time.Time) Alert {
	matched := fmt.Sprintf("listed name %q", hit.MatchedName)
	if hit.IsAlias {
		matched = fmt.Sprintf("%q, an alias of listed party %q", hit.MatchedName, hit.PrimaryName)
	}
	msg := fmt.Sprintf("The %s %q resembles %s (SDN entry %d, programmes %s) with score %.2f. "+
		"The shipment is blocked until a compliance officer clears it. Reasons: %s.",
		role, partyName, matched, hit.EntityID, strings.Join(hit.Programs, ", "), hit.Score, strings.Join(hit.Reasons, "; "))
	return Alert{Kind: ScreeningMatch, ShipmentID: shipmentID, Start: at, End: at, Value: hit.Score,
		Rule: fmt.Sprintf("sdn-entry-%d", hit.EntityID), Subject: partyName, Message: msg}
}
