package render

import (
	"fmt"
	"strings"

	"github.com/aeoledger/aeoledger/schemas"
)

// Summary says in a few words what a touchpoint records (without where
// and when, which timelines show in their own columns).
func Summary(tp *schemas.Touchpoint) string {
	switch {
	case tp.Container != nil:
		c := tp.Container
		s := fmt.Sprintf("container %s %s", c.Number, c.Action)
		if c.Vessel != "" {
			s += " (" + strings.TrimSpace(c.Vessel+" "+c.Voyage) + ")"
		}
		return s
	case tp.Seal != nil:
		s := tp.Seal
		out := fmt.Sprintf("seal %s (class %s) %s", s.Number, s.Class, s.Action)
		if s.ContainerNumber != "" {
			out += " on " + s.ContainerNumber
		}
		if s.VVTT != nil {
			if s.VVTT.Passed() {
				out += ", VVTT passed"
			} else {
				out += fmt.Sprintf(", VVTT FAILED (view %t, verify %t, tug %t, twist %t)", s.VVTT.View, s.VVTT.Verify, s.VVTT.Tug, s.VVTT.Twist)
			}
		}
		return out
	case tp.Origin != nil:
		o := tp.Origin
		return fmt.Sprintf("certificate of origin %s: origin %s, HS %s, by %s, document sha256 %s…",
			o.CertificateNumber, o.CountryOfOrigin, o.HSCode, o.Issuer, short(o.DocumentSHA256, 12))
	case tp.Sensor != nil:
		s := tp.Sensor
		out := fmt.Sprintf("%d sensor readings from %s", len(s.Readings), s.DeviceID)
		if t := s.Summary.Temperature; t != nil {
			out += fmt.Sprintf(", %.1f to %.1f °C (mean %.1f)", t.Min, t.Max, t.Mean)
		}
		return out
	case tp.POD != nil:
		p := tp.POD
		out := fmt.Sprintf("proof of delivery at %s: received by %s, condition %s", p.Place, p.Receiver, p.Condition)
		if len(p.Exceptions) > 0 {
			out += " (" + strings.Join(p.Exceptions, "; ") + ")"
		}
		return out
	case tp.Incident != nil:
		return fmt.Sprintf("INCIDENT %s: %s", tp.Incident.Cause, tp.Incident.Description)
	case tp.Correction != nil:
		return fmt.Sprintf("correction of %s…: %s", short(tp.Correction.Corrects, 12), tp.Correction.Reason)
	}
	return tp.Type
}

func short(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
