package anomaly

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// supervisedReasons turns the trees' per-feature contributions for d into
// reasons. Only features that raised the risk are reported. A reason's
// Weight is 1 - exp(-c) for a contribution of c to the log-odds.
func (m *Model) supervisedReasons(d *Declaration, x []float64, p float64) []Reason {
	contrib := make([]float64, len(m.Features))
	m.Booster.contributions(x, contrib)
	var out []Reason
	nNum := len(numericNames)
	for f, c := range contrib {
		if c <= 0.05 { // too small to be worth an officer's time
			continue
		}
		var code, text string
		switch {
		case f < nNum:
			code, text = "model:"+numericNames[f], describeNumeric(f, d)
		case f < nNum+len(targetKeys):
			k := f - nNum
			spec := targetKeys[k]
			key := spec.key(d)
			s := m.Encoder.Stats[k][key]
			code = "history:" + spec.name
			if s.N == 0 {
				text = fmt.Sprintf("%s %s has no inspection history", spec.label, showKey(key))
			} else {
				text = fmt.Sprintf("%d of %d earlier declarations with the same %s (%s) were found irregular", s.Pos, s.N, spec.label, showKey(key))
			}
		default:
			k := countKeys[f-nNum-len(targetKeys)]
			spec := targetKeys[k]
			key := spec.key(d)
			code = "frequency:" + spec.name
			if n := m.Encoder.Stats[k][key].N; n == 0 {
				text = fmt.Sprintf("%s %s is new: no earlier declaration has it", spec.label, showKey(key))
			} else {
				text = fmt.Sprintf("%s %s appears in %d earlier declarations", spec.label, showKey(key), n)
			}
		}
		out = append(out, Reason{Code: code, Text: text + fmt.Sprintf(" (model: fraud probability %.0f%%)", 100*p), Weight: 1 - math.Exp(-c)})
	}
	return out
}

func showKey(k string) string {
	if k == "" {
		return "(none)"
	}
	return strings.ReplaceAll(k, "|", " / ")
}

func describeNumeric(f int, d *Declaration) string {
	switch numericNames[f] {
	case "tax_rate_value":
		return fmt.Sprintf("tax rate %s%%", num(d.TaxRate))
	case "log_net_mass":
		return fmt.Sprintf("net mass %s kg", num(d.NetMass))
	case "log_item_price":
		return fmt.Sprintf("declared price %s", num(d.ItemPrice))
	case "log_unit_value":
		if d.NetMass <= 0 {
			return "net mass of zero, so no unit value"
		}
		return fmt.Sprintf("unit value %s per kg", money(d.UnitValue()))
	default:
		return fmt.Sprintf("declared on %s", d.Date.Format("Monday 2 January 2006"))
	}
}

// topReasons orders reasons by weight (then code, for stable output) and
// keeps the first k.
func topReasons(r []Reason, k int) []Reason {
	sort.SliceStable(r, func(a, b int) bool {
		if r[a].Weight != r[b].Weight {
			return r[a].Weight > r[b].Weight
		}
		return r[a].Code < r[b].Code
	})
	if len(r) > k {
		r = r[:k]
	}
	return r
}
