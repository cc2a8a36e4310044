package anomaly

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
)

// BoostConfig holds the gradient-boosting hyper-parameters.
type BoostConfig struct {
	Rounds         int     `json:"rounds"`           // maximum number of trees
	LearningRate   float64 `json:"learning_rate"`    // shrinkage applied to every leaf
	MaxDepth       int     `json:"max_depth"`        // 0 means unlimited (MaxLeaves still binds)
	MaxLeaves      int     `json:"max_leaves"`       // leaves per tree, grown best-first
	MinSamplesLeaf int     `json:"min_samples_leaf"` // fewest training rows in a leaf
	MinHessian     float64 `json:"min_hessian"`      // smallest hessian sum in a leaf
	L2             float64 `json:"l2"`               // L2 penalty on leaf values
	RowSample      float64 `json:"row_sample"`       // fraction of rows drawn per tree (0 or 1: all)
	ColSample      float64 `json:"col_sample"`       // fraction of features drawn per tree (0 or 1: all)
	MaxBins        int     `json:"max_bins"`         // histogram bins per feature, at most 256
	EarlyStop      int     `json:"early_stop"`       // stop after this many rounds without a better validation loss
	Seed           uint64  `json:"seed"`
}

// DefaultBoostConfig returns the tree settings used by default. They are
// common LightGBM-style starting values (31 leaves, learning rate 0.05,
// 80% row and feature sampling), fixed before any look at valid.csv; the
// validation split, when given, only chooses where to stop adding trees.
func DefaultBoostConfig() BoostConfig {
	return BoostConfig{
		Rounds:         400,
		LearningRate:   0.05,
		MaxDepth:       8,
		MaxLeaves:      31,
		MinSamplesLeaf: 20,
		MinHessian:     1e-3,
		L2:             1,
		RowSample:      0.8,
		ColSample:      0.8,
		MaxBins:        255,
		EarlyStop:      50,
		Seed:           1,
	}
}

func (c BoostConfig) validate() error {
	switch {
	case c.Rounds <= 0:
		return fmt.Errorf("%w: rounds %d must be positive", ErrBadConfig, c.Rounds)
	case c.LearningRate <= 0 || c.LearningRate > 1:
		return fmt.Errorf("%w: learning rate %g must be in (0, 1]", ErrBadConfig, c.LearningRate)
	case c.MaxLeaves < 2:
		return fmt.Errorf("%w: max leaves %d must be at least 2", ErrBadConfig, c.MaxLeaves)
	case c.MaxDepth < 0:
		return fmt.Errorf("%w: max depth %d must not be negative", ErrBadConfig, c.MaxDepth)
	case c.MinSamplesLeaf < 1:
		return fmt.Errorf("%w: min samples per leaf %d must be at least 1", ErrBadConfig, c.MinSamplesLeaf)
	case c.L2 < 0:
		return fmt.Errorf("%w: l2 %g must not be negative", ErrBadConfig, c.L2)
	case c.RowSample < 0 || c.RowSample > 1:
		return fmt.Errorf("%w: row sample %g must be in [0, 1]", ErrBadConfig, c.RowSample)
	case c.ColSample < 0 || c.ColSample > 1:
		return fmt.Errorf("%w: col sample %g must be in [0, 1]", ErrBadConfig, c.ColSample)
	case c.MaxBins < 2 || c.MaxBins > 256:
		return fmt.Errorf("%w: max bins %d must be in [2, 256]", ErrBadConfig, c.MaxBins)
	case c.EarlyStop < 0:
		return fmt.Errorf("%w: early stop %d must not be negative", ErrBadConfig, c.EarlyStop)
	}
	return nil
}

// ErrBadConfig is wrapped by every configuration error.
var ErrBadConfig = errors.New("bad anomaly configuration")

// tree is one regression tree in flat arrays. Node 0 is the root. A leaf has
// Feature -1. Value holds the shrunken output of every node, internal nodes
// included, so that a prediction can be attributed to the features on its path.
type tree struct {
	Feature   []int32   `json:"feature"`
	Threshold []float64 `json:"threshold"` // go left when x <= Threshold
	Left      []int32   `json:"left"`
	Right     []int32   `json:"right"`
	Value     []float64 `json:"value"`
	cutBin    []int     // split bin per node, only while training
}

func (t *tree) leaf(x []float64) int32 {
	n := int32(0)
	for t.Feature[n] >= 0 {
		if x[t.Feature[n]] <= t.Threshold[n] {
			n = t.Left[n]
		} else {
			n = t.Right[n]
		}
	}
	return n
}

// booster is a trained ensemble: logit = Base + sum of tree outputs.
type booster struct {
	Base  float64 `json:"base"`
	Trees []tree  `json:"trees"`
	// ValidLoss is the validation log loss at the kept round, when early
	// stopping ran; NaN otherwise.
	ValidLoss float64 `json:"-"`
}

func (b *booster) logit(x []float64) float64 {
	s := b.Base
	for i := range b.Trees {
		t := &b.Trees[i]
		s += t.Value[t.leaf(x)]
	}
	return s
}

// contributions adds, for each feature, the change in logit caused by the
// splits on that feature along x's path (the Saabas attribution).
func (b *booster) contributions(x []float64, out []float64) {
	for i := range b.Trees {
		t := &b.Trees[i]
		n := int32(0)
		for t.Feature[n] >= 0 {
			f := t.Feature[n]
			next := t.Right[n]
			if x[f] <= t.Threshold[n] {
				next = t.Left[n]
			}
			out[f] += t.Value[next] - t.Value[n]
			n = next
		}
	}
}

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

// binner maps each feature to at most MaxBins ordered bins.
type binner struct {
	cuts [][]float64 // per feature, ascending; bin(x) = first i with x <= cuts[i], or len(cuts)
}

func newBinner(x [][]float64, nFeat, maxBins int) *binner {
	b := &binner{cuts: make([][]float64, nFeat)}
	col := make([]float64, len(x))
	for f := 0; f < nFeat; f++ {
		for i := range x {
			col[i] = x[i][f]
		}
		sorted := slices.Clone(col)
		slices.Sort(sorted)
		// distinct values and their counts
		var vals []float64
		var counts []int
		for i, v := range sorted {
			if i == 0 || v != sorted[i-1] {
				vals = append(vals, v)
				counts = append(counts, 0)
			}
			counts[len(counts)-1]++
		}
		var cuts []float64
		if len(vals) <= maxBins {
			for i := 0; i+1 < len(vals); i++ {
				cuts = append(cuts, (vals[i]+vals[i+1])/2)
			}
		} else {
			// equal-frequency cuts on the distinct values
			per := float64(len(sorted)) / float64(maxBins)
			acc := 0
			next := per
			for i := 0; i+1 < len(vals); i++ {
				acc += counts[i]
				if float64(acc) >= next {
					cuts = append(cuts, (vals[i]+vals[i+1])/2)
					for next <= float64(acc) {
						next += per
					}
					if len(cuts) == maxBins-1 {
						break
					}
				}
			}
		}
		b.cuts[f] = cuts
	}
	return b
}

func (b *binner) bin(f int, v float64) uint8 {
	return uint8(sort.SearchFloat64s(b.cuts[f], v))
}

type histBin struct {
	g, h float64
	n    int32
}

type growNode struct {
	id       int32
	rows     []int32
	g, h     float64
	depth    int
	hist     [][]histBin
	bestGain float64
	bestFeat int
	bestBin  int
}

type trainer struct {
	cfg      BoostConfig
	bins     [][]uint8 // feature-major
	binner   *binner
	nFeat    int
	grad     []float64
	hess     []float64
	features []int // features drawn for the current tree
	pool     [][][]histBin
	scratch  []int32
}

// getHist returns a zeroed histogram for the current tree's features,
// reusing a released one when possible: allocating one per node would
// dominate training's memory traffic.
func (t *trainer) getHist() [][]histBin {
	if n := len(t.pool); n > 0 {
		h := t.pool[n-1]
		t.pool = t.pool[:n-1]
		for _, f := range t.features {
			clear(h[f])
		}
		return h
	}
	h := make([][]histBin, t.nFeat)
	for f := range h {
		h[f] = make([]histBin, len(t.binner.cuts[f])+1)
	}
	return h
}

func (t *trainer) putHist(h [][]histBin) {
	if h != nil {
		t.pool = append(t.pool, h)
	}
}

// trainBooster fits a booster on x (rows of features) and labels y. When vx
// is not empty it is used for early stopping on log loss.
func trainBooster(x [][]float64, y []bool, vx [][]float64, vy []bool, cfg BoostConfig) (*booster, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(x) == 0 {
		return nil, fmt.Errorf("%w: no training rows", ErrBadInput)
	}
	pos := 0
	for _, v := range y {
		if v {
			pos++
		}
	}
	if pos == 0 || pos == len(y) {
		return nil, fmt.Errorf("%w: the Fraud labels are all %v; training needs both outcomes", ErrBadInput, y[0])
	}
	nFeat := len(x[0])
	t := &trainer{cfg: cfg, nFeat: nFeat, binner: newBinner(x, nFeat, cfg.MaxBins)}
	t.bins = make([][]uint8, nFeat)
	for f := 0; f < nFeat; f++ {
		col := make([]uint8, len(x))
		for i := range x {
			col[i] = t.binner.bin(f, x[i][f])
		}
		t.bins[f] = col
	}
	n := len(x)
	prior := float64(pos) / float64(n)
	b := &booster{Base: math.Log(prior / (1 - prior)), ValidLoss: math.NaN()}
	raw := make([]float64, n)
	for i := range raw {
		raw[i] = b.Base
	}
	vraw := make([]float64, len(vx))
	for i := range vraw {
		vraw[i] = b.Base
	}
	t.grad = make([]float64, n)
	t.hess = make([]float64, n)
	rng := rand.New(rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15))
	bestLoss, bestRound := math.Inf(1), 0
	allRows := make([]int32, n)
	for i := range allRows {
		allRows[i] = int32(i)
	}
	allFeat := make([]int, nFeat)
	for i := range allFeat {
		allFeat[i] = i
	}
	for round := 0; round < cfg.Rounds; round++ {
		for i := range raw {
			p := sigmoid(raw[i])
			yi := 0.0
			if y[i] {
				yi = 1
			}
			t.grad[i] = p - yi
			t.hess[i] = math.Max(p*(1-p), 1e-12)
		}
		rows := allRows
		if cfg.RowSample > 0 && cfg.RowSample < 1 {
			rows = make([]int32, 0, int(float64(n)*cfg.RowSample)+1)
			for i := 0; i < n; i++ {
				if rng.Float64() < cfg.RowSample {
					rows = append(rows, int32(i))
				}
			}
		}
		t.features = allFeat
		if cfg.ColSample > 0 && cfg.ColSample < 1 {
			k := max(1, int(math.Round(float64(nFeat)*cfg.ColSample)))
			perm := rng.Perm(nFeat)[:k]
			slices.Sort(perm)
			t.features = perm
		}
		tr := t.grow(rows)
		// Update the training scores through the bins (same decisions as
		// the thresholds, without float comparisons per row).
		for i := 0; i < n; i++ {
			raw[i] += tr.Value[t.leafBinned(&tr, i)]
		}
		tr.cutBin = nil
		b.Trees = append(b.Trees, tr)
		if len(vx) > 0 {
			loss := 0.0
			for i := range vx {
				vraw[i] += tr.Value[tr.leaf(vx[i])]
				loss += logLoss(vraw[i], vy[i])
			}
			loss /= float64(len(vx))
			if loss < bestLoss-1e-12 {
				bestLoss, bestRound = loss, round+1
			} else if cfg.EarlyStop > 0 && round+1-bestRound >= cfg.EarlyStop {
				break
			}
		}
	}
	if len(vx) > 0 {
		b.Trees = b.Trees[:bestRound]
		b.ValidLoss = bestLoss
	}
	return b, nil
}

func logLoss(logit float64, y bool) float64 {
	// log(1+exp(-z)) for y, log(1+exp(z)) otherwise, computed stably.
	z := logit
	if !y {
		z = -z
	}
	if z > 0 {
		return math.Log1p(math.Exp(-z))
	}
	return -z + math.Log1p(math.Exp(z))
}

// leafBinned finds row i's leaf using the training bins. A split's threshold
// is cuts[bin], so x <= threshold exactly when the row's bin <= that bin.
func (t *trainer) leafBinned(tr *tree, i int) int32 {
	n := int32(0)
	for tr.Feature[n] >= 0 {
		f := tr.Feature[n]
		if tr.cutBin[n] >= int(t.bins[f][i]) {
			n = tr.Left[n]
		} else {
			n = tr.Right[n]
		}
	}
	return n
}

func (t *trainer) leafValue(g, h float64) float64 {
	return -g / (h + t.cfg.L2) * t.cfg.LearningRate
}

func (t *trainer) score(g, h float64) float64 { return g * g / (h + t.cfg.L2) }

func (t *trainer) buildHist(rows []int32) [][]histBin {
	hist := t.getHist()
	for _, f := range t.features {
		hf := hist[f]
		col := t.bins[f]
		for _, r := range rows {
			b := &hf[col[r]]
			b.g += t.grad[r]
			b.h += t.hess[r]
			b.n++
		}
	}
	return hist
}

func (t *trainer) findSplit(nd *growNode) {
	nd.bestGain = 0
	nd.bestFeat = -1
	if t.cfg.MaxDepth > 0 && nd.depth >= t.cfg.MaxDepth {
		return
	}
	if len(nd.rows) < 2*t.cfg.MinSamplesLeaf {
		return
	}
	parent := t.score(nd.g, nd.h)
	total := int32(len(nd.rows))
	for _, f := range t.features {
		hf := nd.hist[f]
		var gl, hl float64
		var nl int32
		for b := 0; b+1 < len(hf); b++ {
			gl += hf[b].g
			hl += hf[b].h
			nl += hf[b].n
			if nl < int32(t.cfg.MinSamplesLeaf) {
				continue
			}
			nr := total - nl
			if nr < int32(t.cfg.MinSamplesLeaf) {
				break
			}
			hr := nd.h - hl
			if hl < t.cfg.MinHessian || hr < t.cfg.MinHessian {
				continue
			}
			gain := t.score(gl, hl) + t.score(nd.g-gl, hr) - parent
			if gain > nd.bestGain+1e-12 {
				nd.bestGain, nd.bestFeat, nd.bestBin = gain, f, b
			}
		}
	}
}

func (t *trainer) grow(rows []int32) tree {
	var tr tree
	addNode := func(g, h float64) int32 {
		tr.Feature = append(tr.Feature, -1)
		tr.Threshold = append(tr.Threshold, 0)
		tr.Left = append(tr.Left, -1)
		tr.Right = append(tr.Right, -1)
		tr.Value = append(tr.Value, t.leafValue(g, h))
		tr.cutBin = append(tr.cutBin, -1)
		return int32(len(tr.Feature) - 1)
	}
	var g, h float64
	for _, r := range rows {
		g += t.grad[r]
		h += t.hess[r]
	}
	root := &growNode{rows: slices.Clone(rows), g: g, h: h, id: addNode(g, h)}
	root.hist = t.buildHist(rows)
	t.findSplit(root)
	open := []*growNode{root}
	leaves := 1
	for leaves < t.cfg.MaxLeaves {
		best := -1
		for i, nd := range open {
			if nd.bestFeat >= 0 && (best < 0 || nd.bestGain > open[best].bestGain) {
				best = i
			}
		}
		if best < 0 {
			break
		}
		nd := open[best]
		open = slices.Delete(open, best, best+1)
		f, cut := nd.bestFeat, nd.bestBin
		// Partition the node's rows in place: left rows first, in order,
		// then right rows, in order.
		col := t.bins[f]
		var gl, hl float64
		nl := 0
		right := t.scratch[:0]
		for _, r := range nd.rows {
			if int(col[r]) <= cut {
				nd.rows[nl] = r
				nl++
				gl += t.grad[r]
				hl += t.hess[r]
			} else {
				right = append(right, r)
			}
		}
		copy(nd.rows[nl:], right)
		t.scratch = right[:0]
		left, right := nd.rows[:nl:nl], nd.rows[nl:]
		ln := &growNode{rows: left, g: gl, h: hl, depth: nd.depth + 1}
		rn := &growNode{rows: right, g: nd.g - gl, h: nd.h - hl, depth: nd.depth + 1}
		ln.id = addNode(ln.g, ln.h)
		rn.id = addNode(rn.g, rn.h)
		tr.Feature[nd.id] = int32(f)
		tr.Threshold[nd.id] = t.binner.cuts[f][cut]
		tr.cutBin[nd.id] = cut
		tr.Left[nd.id] = ln.id
		tr.Right[nd.id] = rn.id
		// Build the smaller child's histogram; the larger one is the
		// parent's minus the smaller's.
		small, large := ln, rn
		if len(right) < len(left) {
			small, large = rn, ln
		}
		small.hist = t.buildHist(small.rows)
		large.hist = nd.hist
		for _, ff := range t.features {
			lh, sh := large.hist[ff], small.hist[ff]
			for b := range lh {
				lh[b].g -= sh[b].g
				lh[b].h -= sh[b].h
				lh[b].n -= sh[b].n
			}
		}
		nd.hist = nil
		t.findSplit(ln)
		t.findSplit(rn)
		open = append(open, ln, rn)
		leaves++
	}
	for _, nd := range open {
		t.putHist(nd.hist)
	}
	return tr
}
