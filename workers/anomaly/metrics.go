package anomaly

import (
	"math"
	"sort"
	"strconv"
)

// InspectionRates are the percentages of declarations inspected, highest
// risk first, at which precision and recall are reported.
var InspectionRates = []int{1, 2, 5, 10, 20}

// Metrics are ranking metrics of risk scores against labels.
type Metrics struct {
	PrecisionAt map[string]float64 `json:"precision_at"`
	RecallAt    map[string]float64 `json:"recall_at"`
	AUC         float64            `json:"auc"`
}

// rankOrder returns row indices by descending risk; ties keep input order so
// the result is deterministic.
func rankOrder(risk []float64) []int {
	order := make([]int, len(risk))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return risk[order[a]] > risk[order[b]] })
	return order
}

// computeMetrics ranks by risk (higher is riskier). Inspecting p% means the
// top ceil(p% of n) declarations.
func computeMetrics(risk []float64, labels []bool) Metrics {
	m := Metrics{PrecisionAt: map[string]float64{}, RecallAt: map[string]float64{}}
	n := len(risk)
	if n == 0 {
		return m
	}
	pos := 0
	for _, l := range labels {
		if l {
			pos++
		}
	}
	order := rankOrder(risk)
	for _, pct := range InspectionRates {
		k := int(math.Ceil(float64(n) * float64(pct) / 100))
		hits := 0
		for _, i := range order[:k] {
			if labels[i] {
				hits++
			}
		}
		key := strconv.Itoa(pct)
		m.PrecisionAt[key] = float64(hits) / float64(k)
		if pos > 0 {
			m.RecallAt[key] = float64(hits) / float64(pos)
		}
	}
	m.AUC = auc(risk, labels)
	return m
}

// auc is the area under the ROC curve (Mann-Whitney U), counting ties as one
// half. It is NaN when only one class is present.
func auc(risk []float64, labels []bool) float64 {
	idx := make([]int, len(risk))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(a, b int) bool { return risk[idx[a]] < risk[idx[b]] })
	var pos, neg float64
	var rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && risk[idx[j]] == risk[idx[i]] {
			j++
		}
		mid := float64(i+j+1) / 2 // average 1-based rank of the tie group
		for k := i; k < j; k++ {
			if labels[idx[k]] {
				rankSum += mid
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}
