package pipeline

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/alerts"
	"github.com/aeoledger/aeoledger/workers/anomaly"
	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// minHistoryLadder is the history size from which the no-model baselines
// are refitted only at sizes of a geometric ladder (32, 40, 50, 62, ...):
// each declaration is judged by the baselines fitted on the oldest
// ladder-size declarations before it. Refitting at every declaration would
// cost O(n²) over a chain of n declarations; the ladder costs O(n) in
// total, and since the size depends only on the chain, a replayed block
// gets the very same score (and so the same compliance ID).
const minHistoryLadder = 32

// ladderSize is the number of past declarations the baselines are fitted
// on when n are known.
func ladderSize(n int) int {
	if n < minHistoryLadder {
		return n
	}
	m := minHistoryLadder
	for next := m + m/4; next <= n; next = m + m/4 {
		m = next
	}
	return m
}

// historyModel caches the no-model baselines of one ladder size.
type historyModel struct {
	size  int
	model *anomaly.Model
}

// scoreStream is the anomaly stream of the model in use: the declarations
// it has seen count towards the importer volume windows of the later ones.
type scoreStream struct {
	model  *anomaly.Model
	stream *anomaly.Stream
}

// streamFor returns m's stream, starting it when m is new (the first
// declaration, or a refit of the no-model baselines) with every
// declaration the chain holds before ev, so that a replayed block sees the
// same volume windows as the live one.
func (p *Pipeline) streamFor(ctx context.Context, ev event, m *anomaly.Model) (*anomaly.Stream, error) {
	if p.stream.model == m && p.stream.stream != nil {
		return p.stream.stream, nil
	}
	rows, err := p.historyBefore(ctx, ev)
	if err != nil {
		return nil, err
	}
	s := m.NewStream()
	for i := range rows {
		d, err := ToAnomaly(&rows[i].Declaration)
		if err != nil {
			return nil, err
		}
		s.Observe(&d)
	}
	p.stream = scoreStream{model: m, stream: s}
	return s, nil
}

// historyBefore reads the declarations written before ev, in chain order.
func (p *Pipeline) historyBefore(ctx context.Context, ev event) ([]readmodel.DeclarationRow, error) {
	var rows []readmodel.DeclarationRow
	err := p.store.Declarations(ctx, readmodel.DeclarationFilter{}, func(r readmodel.DeclarationRow) error {
		if ev.before(r.Pos) {
			rows = append(rows, r)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading declaration history: %w", err)
	}
	slices.SortFunc(rows, func(a, b readmodel.DeclarationRow) int {
		return cmp.Or(cmp.Compare(a.Pos.Block, b.Pos.Block), cmp.Compare(a.Pos.TxIndex, b.Pos.TxIndex), cmp.Compare(a.ID, b.ID))
	})
	return rows, nil
}

// modelFor returns the model that judges a declaration of event ev, and
// its name; nil when there is no model and no history yet.
func (p *Pipeline) modelFor(ctx context.Context, ev event) (*anomaly.Model, string, error) {
	if p.cfg.Model != nil {
		return p.cfg.Model, p.cfg.ModelName, nil
	}
	n, err := p.countHistory(ctx, ev)
	if err != nil {
		return nil, "", err
	}
	size := ladderSize(n)
	if size == 0 {
		return nil, "", nil
	}
	name := clip(p.cfg.ModelName+"@"+strconv.Itoa(size), schemas.MaxShortLen)
	if p.history.model != nil && p.history.size == size {
		return p.history.model, name, nil
	}
	rows, err := p.historyBefore(ctx, ev)
	if err != nil {
		return nil, "", err
	}
	rows = rows[:min(size, len(rows))]
	train := make([]anomaly.Declaration, 0, len(rows))
	for i := range rows {
		d, err := ToAnomaly(&rows[i].Declaration)
		if err != nil {
			return nil, "", err
		}
		train = append(train, d)
	}
	cfg := anomaly.DefaultConfig()
	cfg.Unsupervised = true
	cfg.ReviewThreshold = p.cfg.ReviewThreshold
	cfg.Baselines = *p.cfg.Baselines
	m, err := anomaly.Train(train, cfg)
	if err != nil {
		return nil, "", fmt.Errorf("fitting baselines on %d declarations: %w", len(train), err)
	}
	p.history = historyModel{size: size, model: m}
	return m, name, nil
}

// countHistory counts the declarations the read model holds from before
// ev (the declaration itself is written by ev, so it is never counted). It queries the documented schema directly: the read model offers no
// count by position.
func (p *Pipeline) countHistory(ctx context.Context, ev event) (int, error) {
	b, t := strconv.FormatUint(ev.block, 10), strconv.Itoa(ev.tx.Index)
	var n int
	err := p.store.DB().QueryRowContext(ctx, `SELECT count(*) FROM declarations WHERE (block_num < `+b+
		` OR (block_num = `+b+` AND tx_index < `+t+`))`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("counting declaration history: %w", err)
	}
	return n, nil
}

func (p *Pipeline) scoreDeclaration(ctx context.Context, ev event, d *schemas.Declaration) error {
	m, name, err := p.modelFor(ctx, ev)
	if err != nil {
		return err
	}
	if m == nil {
		p.count(func(s *Stats) { s.Unscored++ })
		p.log.Info("no model and no declaration history yet: declaration left unscored", "declaration", d.ID)
		return nil
	}
	ad, err := ToAnomaly(d)
	if err != nil {
		return err
	}
	stream, err := p.streamFor(ctx, ev, m)
	if err != nil {
		return err
	}
	res := stream.Explain(&ad)
	rec := ScoreRecord(d.ID, res, p.cfg.ReviewThreshold, name, ev.at())
	ok, err := p.record(ctx, rec)
	if err != nil || !ok {
		return err
	}
	p.count(func(s *Stats) { s.Scored++ })
	if res.Score >= p.cfg.ReviewThreshold {
		return nil
	}
	a := alerts.ScoreBelowThreshold(d.ShipmentID, d.ID, res.Score, p.cfg.ReviewThreshold, rec.Reasons, ev.at())
	severity := "medium"
	if res.Score < p.cfg.ReviewThreshold/2 {
		severity = "high"
	}
	return p.raise(ctx, a, "declaration", d.ID, severity)
}

// ScoreRecord is the anomaly-score record of a declaration: the compliance
// score (100 = nothing looks wrong) and the threshold below which it goes
// to review, with the model's reasons. The contract requires a reason, so
// a declaration with no risk signal says so.
func ScoreRecord(declarationID string, res anomaly.Result, threshold float64, model string, at time.Time) schemas.ComplianceRecord {
	score, th := res.Score, threshold
	var reasons []string
	for _, r := range res.Reasons {
		if len(reasons) == schemas.MaxReasons {
			break
		}
		reasons = append(reasons, clip(r.Text, schemas.MaxTextLen))
	}
	if len(reasons) == 0 {
		reasons = []string{"no risk signal found"}
	}
	return schemas.ComplianceRecord{
		Kind: schemas.KindAnomalyScore, SubjectType: "declaration", SubjectID: declarationID,
		CreatedAt: stamp(at), Score: &score, Threshold: &th, Reasons: reasons, Model: model,
	}
}

// ToAnomaly converts a ledger declaration to the anomaly model's input.
//
// Errors: a *schemas.FieldError for a date that is neither a date nor an
// RFC 3339 time.
func ToAnomaly(d *schemas.Declaration) (anomaly.Declaration, error) {
	date, err := time.Parse(time.DateOnly, d.Date)
	if err != nil {
		t, err2 := time.Parse(time.RFC3339, d.Date)
		if err2 != nil {
			return anomaly.Declaration{}, fmt.Errorf("converting declaration %s: %w", d.ID,
				&schemas.FieldError{Field: "date", Value: d.Date, Rule: "must be a date like 2021-01-02 or an RFC 3339 time"})
		}
		date = time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	}
	return anomaly.Declaration{
		ID: d.ID, Date: date, Office: d.OfficeID, ProcessType: d.ProcessType, ImportType: d.ImportType,
		ImportUse: d.ImportUse, PaymentType: d.PaymentType, Transport: d.ModeOfTransport, Declarant: d.DeclarantID,
		Importer: d.ImporterID, Seller: d.SellerID, Courier: d.CourierID, HS6: hs6(d.HSCode),
		Departure: d.CountryOfDeparture, Origin: d.CountryOfOrigin, TaxRate: d.TaxRate, TaxType: d.TaxType,
		OriginIndicator: d.OriginIndicator, NetMass: d.NetMass, ItemPrice: d.ItemPrice,
	}, nil
}

// hs6 keeps the first six digits: the model works on HS6 codes, and
// declarations may carry national 8 or 10 digit codes.
func hs6(code string) string {
	if len(code) > 6 {
		return code[:6]
	}
	return code
}
