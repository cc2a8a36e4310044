package anomaly

import (
	"fmt"
	"math"
)

// DefaultReviewThreshold is the compliance score below which a declaration
// goes to an officer for review.
const DefaultReviewThreshold = 80

// Config controls training.
type Config struct {
	// Unsupervised ignores the Fraud labels: only the baselines are fitted.
	Unsupervised bool `json:"unsupervised"`
	// Boost holds the tree hyper-parameters of the supervised model.
	Boost BoostConfig `json:"boost"`
	// Folds is the number of folds for out-of-fold target encoding.
	Folds int `json:"folds"`
	// Smoothing is the prior weight m in (positives + m*prior) / (n + m).
	Smoothing float64 `json:"smoothing"`
	// Baselines configures the unsupervised detectors.
	Baselines BaselineConfig `json:"baselines"`
	// ReviewThreshold is the compliance score below which Result.Review is set.
	ReviewThreshold float64 `json:"review_threshold"`
}

// DefaultConfig returns the configuration used by the eval command.
func DefaultConfig() Config {
	return Config{
		Boost:           DefaultBoostConfig(),
		Folds:           5,
		Smoothing:       2,
		Baselines:       DefaultBaselineConfig(),
		ReviewThreshold: DefaultReviewThreshold,
	}
}

func (c Config) validate() error {
	if c.Folds < 2 {
		return fmt.Errorf("%w: folds %d must be at least 2", ErrBadConfig, c.Folds)
	}
	if c.Smoothing < 0 {
		return fmt.Errorf("%w: smoothing %g must not be negative", ErrBadConfig, c.Smoothing)
	}
	if c.ReviewThreshold < 0 || c.ReviewThreshold > 100 {
		return fmt.Errorf("%w: review threshold %g must be in [0, 100]", ErrBadConfig, c.ReviewThreshold)
	}
	if !c.Unsupervised {
		if err := c.Boost.validate(); err != nil {
			return err
		}
	}
	return c.Baselines.validate()
}

// Model is a trained anomaly model: the unsupervised baselines always, and the
// supervised trees when it was trained on labels.
type Model struct {
	Version   int       `json:"version"`
	Config    Config    `json:"config"`
	Features  []string  `json:"features,omitempty"`
	Encoder   *encoder  `json:"encoder,omitempty"`
	Booster   *booster  `json:"booster,omitempty"`
	Baselines *baseline `json:"baselines"`
}

// modelVersion 2 added the volume history; 3 the origins per HS6 code and
// the corroboration settings, which change the baseline risk.
const modelVersion = 3

// Supervised reports whether the model has trees trained on labels.
func (m *Model) Supervised() bool { return m.Booster != nil }

// Train fits a model on rows. Unless cfg.Unsupervised is set, every row must
// carry a Fraud label. It returns an error wrapping [ErrBadConfig] or
// [ErrBadInput].
func Train(rows []Declaration, cfg Config) (*Model, error) {
	return TrainWithValidation(rows, nil, cfg)
}

// TrainWithValidation is [Train] with a labelled validation split used only
// to stop adding trees once its log loss stops improving.
func TrainWithValidation(rows, valid []Declaration, cfg Config) (*Model, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("%w: no training declarations", ErrBadInput)
	}
	m := &Model{Version: modelVersion, Config: cfg}
	m.Baselines = fitBaselines(rows, cfg.Baselines)
	if cfg.Unsupervised {
		return m, nil
	}
	for _, set := range []struct {
		name string
		rows []Declaration
	}{{"training", rows}, {"validation", valid}} {
		for i := range set.rows {
			if !set.rows[i].Labelled {
				return nil, fmt.Errorf("%w: %s declaration %s has no Fraud label; use unsupervised training", ErrBadInput, set.name, set.rows[i].ID)
			}
		}
	}
	m.Features = featureNames()
	m.Encoder = newEncoder(rows, cfg.Smoothing)
	x := m.Encoder.trainingFeatures(rows, cfg.Folds, cfg.Boost.Seed)
	y := make([]bool, len(rows))
	for i := range rows {
		y[i] = rows[i].Fraud
	}
	var vx [][]float64
	var vy []bool
	for i := range valid {
		f := make([]float64, len(m.Features))
		m.Encoder.features(&valid[i], f)
		vx = append(vx, f)
		vy = append(vy, valid[i].Fraud)
	}
	b, err := trainBooster(x, y, vx, vy, cfg.Boost)
	if err != nil {
		return nil, fmt.Errorf("training trees: %w", err)
	}
	m.Booster = b
	return m, nil
}

// supervisedRisk is the trees' fraud probability for d.
func (m *Model) supervisedRisk(d *Declaration, x []float64) float64 {
	m.Encoder.features(d, x)
	return sigmoid(m.Booster.logit(x))
}

// Result is the judgement on one declaration.
type Result struct {
	DeclarationID string `json:"declaration_id"`
	// Score is the compliance score, 0 to 100: 100 means nothing looks
	// wrong. Below the review threshold the declaration needs review.
	Score float64 `json:"score"`
	// Risk is 1 - Score/100: the combined risk in [0, 1], higher is riskier.
	Risk float64 `json:"risk"`
	// SupervisedRisk is the trees' fraud probability, NaN when the model
	// has no trees. It is left out of JSON, which cannot hold NaN.
	SupervisedRisk float64 `json:"-"`
	// UnsupervisedRisk is the strongest baseline signal in [0, 1].
	UnsupervisedRisk float64  `json:"unsupervised_risk"`
	Review           bool     `json:"review"`
	Reasons          []Reason `json:"reasons"`
}

// Reason is one cause of a low score, in words an officer understands.
type Reason struct {
	// Code is a stable identifier such as "unit_value_low" or "history:price_hs6".
	Code string `json:"code"`
	Text string `json:"text"`
	// Weight is how much the reason raised the risk, for ordering.
	Weight float64 `json:"weight"`
}

// combine merges the two risks: the trees decide when they exist, and a
// baseline signal adds the part of its strength the trees left unclaimed
// (a noisy-or), so a strong planted-style anomaly surfaces even when the
// trees have never seen its pattern.
func (m *Model) combine(sup, unsup float64) float64 {
	if math.IsNaN(sup) {
		return unsup
	}
	w := m.Config.Baselines.Weight
	return 1 - (1-sup)*(1-w*unsup)
}

// Score judges one declaration against the training history alone: its
// volume window holds only training declarations (and d). Use a [Stream] or
// [Model.ScoreAll] to count the declarations scored before it as well.
// Score does not change the model and is safe to call from several
// goroutines.
func (m *Model) Score(d *Declaration) Result {
	return m.score(d, false, nil)
}

// Explain judges one declaration like [Model.Score] and returns up to five
// reasons, including those below the review threshold.
func (m *Model) Explain(d *Declaration) Result {
	return m.score(d, true, nil)
}

func (m *Model) score(d *Declaration, explain bool, recent *volumeLog) Result {
	sup := math.NaN()
	var x []float64
	if m.Supervised() {
		x = make([]float64, len(m.Features))
		sup = m.supervisedRisk(d, x)
	}
	unsup, _ := m.Baselines.judge(d, false, recent)
	risk := m.combine(sup, unsup)
	score := math.Round(1000*(1-risk)) / 10
	r := Result{
		DeclarationID:    d.ID,
		Score:            score,
		Risk:             risk,
		SupervisedRisk:   sup,
		UnsupervisedRisk: unsup,
		Review:           score < m.Config.ReviewThreshold,
	}
	if r.Review || explain {
		_, reasons := m.Baselines.judge(d, true, recent)
		if m.Supervised() {
			reasons = append(reasons, m.supervisedReasons(d, x, sup)...)
		}
		r.Reasons = topReasons(reasons, 5)
	}
	return r
}
