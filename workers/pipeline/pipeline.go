package pipeline

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/aeoledger/aeoledger/chaincode"
	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/alerts"
	"github.com/aeoledger/aeoledger/workers/anomaly"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	"github.com/aeoledger/aeoledger/workers/screening"
)

// Ledger is where the pipeline writes its conclusions: *client.Client
// satisfies it. It is the pipeline's only boundary to the contract.
type Ledger interface {
	RecordCompliance(ctx context.Context, r schemas.ComplianceRecord) (*schemas.ComplianceRecord, error)
	AllComplianceBySubject(ctx context.Context, subjectID string) ([]schemas.ComplianceRecord, error)
}

// Notifier posts alerts to a webhook: *alerts.Notifier satisfies it.
type Notifier interface {
	Notify(ctx context.Context, a alerts.Alert) error
}

// Default limits of the sensor alert profile.
const (
	// DefaultShockLimitG fires an alert on any reading above 10 g.
	DefaultShockLimitG = 10.0
	// DefaultExcursion is how long a temperature may stay outside the
	// shipment's range without interruption before an alert fires.
	DefaultExcursion = 30 * time.Minute
	// DefaultCumulativeExcursion is how long it may be outside in total.
	DefaultCumulativeExcursion = 60 * time.Minute
	// ListName names the sanctions list in screening-hit records.
	ListName = "OFAC-SDN"
	// MaxHitsPerParty caps the screening-hit records written per screened
	// name: the best matches only.
	MaxHitsPerParty = 3
)

// Config configures a Pipeline. The zero value scores with no-model
// baselines, skips screening and sends no webhooks.
type Config struct {
	// Model scores declarations. Nil fits unsupervised baselines on the
	// declarations already in the read model.
	Model *anomaly.Model
	// ModelName is written in score records (at most 64 bytes); default
	// "anomaly-gbdt" or "anomaly-baselines" after the model's kind.
	ModelName string
	// ReviewThreshold is the compliance score below which a declaration
	// gets an alert; default anomaly.DefaultReviewThreshold (80).
	ReviewThreshold float64
	// Baselines configures the no-model baselines; default
	// anomaly.DefaultBaselineConfig().
	Baselines *anomaly.BaselineConfig
	// Sanctions screens party names; nil disables screening.
	Sanctions *screening.List
	// ListVersion is written in screening-hit records (e.g. the list's date).
	ListVersion string
	// Notifier receives every alert; nil sends none.
	Notifier Notifier
	// ShockLimitG and LightLimitLux add shock and light rules to every
	// shipment's profile; 0 means DefaultShockLimitG for shock and no light
	// rule; a negative value disables the rule.
	ShockLimitG   float64
	LightLimitLux float64
	// Logger receives the pipeline's log (default: discard).
	Logger *slog.Logger
}

// Stats counts what the pipeline did since it was created.
type Stats struct {
	Blocks        int `json:"blocks"`
	Scored        int `json:"scored"`
	Unscored      int `json:"unscored"` // declarations without history to judge them by
	Screened      int `json:"screened"`
	Hits          int `json:"hits"`
	Alerts        int `json:"alerts"`
	Recorded      int `json:"recorded"`
	Duplicates    int `json:"duplicates"`
	Refused       int `json:"refused"` // records the contract refused (logged, not retried)
	Notified      int `json:"notified"`
	NotifyFailed  int `json:"notifyFailed"`
	SensorBatches int `json:"sensorBatches"`
}

// Pipeline handles committed blocks. It is not safe for concurrent
// HandleBlock calls; Stats may be read concurrently.
type Pipeline struct {
	store  *readmodel.Store
	ledger Ledger
	cfg    Config
	log    *slog.Logger

	history historyModel // no-model baselines, cached per history size
	stream  scoreStream  // the stream of the model in use

	mu    sync.Mutex
	stats Stats
}

// New returns a pipeline that reads store and writes to ledger, and
// creates its checkpoint table in store's database.
//
// Errors: a *schemas.FieldError (wrapped) for a bad configuration value.
func New(ctx context.Context, store *readmodel.Store, ledger Ledger, cfg Config) (*Pipeline, error) {
	if store == nil || ledger == nil {
		return nil, errors.New("creating pipeline: store and ledger must not be nil")
	}
	if cfg.ReviewThreshold == 0 {
		cfg.ReviewThreshold = anomaly.DefaultReviewThreshold
	}
	if cfg.ReviewThreshold < 0 || cfg.ReviewThreshold > 100 {
		return nil, fmt.Errorf("creating pipeline: %w", &schemas.FieldError{Field: "reviewThreshold",
			Value: fmt.Sprint(cfg.ReviewThreshold), Rule: "must be a compliance score from 0 to 100"})
	}
	if len(cfg.ModelName) > schemas.MaxShortLen {
		return nil, fmt.Errorf("creating pipeline: %w", &schemas.FieldError{Field: "modelName",
			Value: cfg.ModelName, Rule: fmt.Sprintf("must be at most %d bytes", schemas.MaxShortLen)})
	}
	if cfg.ModelName == "" {
		cfg.ModelName = "anomaly-baselines"
		if cfg.Model != nil && cfg.Model.Supervised() {
			cfg.ModelName = "anomaly-gbdt"
		}
	}
	if cfg.Baselines == nil {
		b := anomaly.DefaultBaselineConfig()
		cfg.Baselines = &b
	}
	if cfg.ShockLimitG == 0 {
		cfg.ShockLimitG = DefaultShockLimitG
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := createCheckpoint(ctx, store); err != nil {
		return nil, err
	}
	return &Pipeline{store: store, ledger: ledger, cfg: cfg, log: log}, nil
}

// Stats returns the counters so far.
func (p *Pipeline) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

func (p *Pipeline) count(f func(*Stats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}

// HandleBlock runs the workers on the valid transactions of a block the
// read model has applied, then moves the pipeline's checkpoint past it. It
// has the signature of listener.WithOnBlock.
//
// It returns an error (and leaves the checkpoint before the block) only
// when the ledger or the read model cannot be reached; a conclusion the
// contract refuses is logged and counted in Stats.Refused.
func (p *Pipeline) HandleBlock(ctx context.Context, b *blocks.Block) error {
	for i := range b.Transactions {
		tx := &b.Transactions[i]
		if !tx.Valid() || tx.Event == nil {
			continue
		}
		ev := event{block: b.Number, tx: tx}
		if err := p.handle(ctx, ev); err != nil {
			return fmt.Errorf("handling %s event of tx %s (block %d): %w", tx.Event.Name, tx.ID, b.Number, err)
		}
	}
	if err := setCheckpoint(ctx, p.store, b.Number); err != nil {
		return err
	}
	p.count(func(s *Stats) { s.Blocks++ })
	return nil
}

// event is one chaincode event with where it happened.
type event struct {
	block uint64
	tx    *blocks.Transaction
}

// at is the transaction time: the createdAt of conclusions the event causes.
func (e event) at() time.Time { return e.tx.Timestamp.UTC() }

// before reports whether a read-model row was written before this event,
// so that a replayed block sees the history it saw live.
func (e event) before(pos readmodel.Position) bool {
	return pos.Block < e.block || (pos.Block == e.block && pos.TxIndex < e.tx.Index)
}

// upTo reports whether a row was written by this event's transaction or
// before it.
func (e event) upTo(pos readmodel.Position) bool {
	return pos.Block < e.block || (pos.Block == e.block && pos.TxIndex <= e.tx.Index)
}

func (p *Pipeline) handle(ctx context.Context, ev event) error {
	payload := ev.tx.Event.Payload
	switch ev.tx.Event.Name {
	case chaincode.EventDeclaration:
		var d schemas.Declaration
		if err := json.Unmarshal(payload, &d); err != nil {
			return fmt.Errorf("decoding declaration event: %w", err)
		}
		if ev.tx.Function() != "SubmitDeclaration" {
			return nil // amendments re-emit the declaration; it was judged when filed
		}
		if err := p.scoreDeclaration(ctx, ev, &d); err != nil {
			return err
		}
		return p.screenDeclaration(ctx, ev, &d)
	case chaincode.EventPartner:
		if ev.tx.Function() != "RegisterPartner" {
			return nil // key changes and status changes keep the name
		}
		var pt schemas.Partner
		if err := json.Unmarshal(payload, &pt); err != nil {
			return fmt.Errorf("decoding partner event: %w", err)
		}
		return p.screenPartner(ctx, ev, &pt)
	case chaincode.EventShipment:
		var s schemas.Shipment
		if err := json.Unmarshal(payload, &s); err != nil {
			return fmt.Errorf("decoding shipment event: %w", err)
		}
		return p.screenShipment(ctx, ev, &s)
	case chaincode.EventTouchpoint:
		var res schemas.RecordResult
		if err := json.Unmarshal(payload, &res); err != nil {
			return fmt.Errorf("decoding touchpoint event: %w", err)
		}
		if len(res.Records) == 0 {
			return nil
		}
		return p.touchpoint(ctx, ev, &res.Records[0])
	}
	return nil
}

// record writes a conclusion to the ledger. It reports whether the record
// is on the ledger now (new or already there); a refusal other than
// DUPLICATE is logged and reported as false with a nil error. Any other
// failure (ledger unreachable, MVCC retries exhausted) is returned: the
// block stays unhandled and is handled again after a restart.
func (p *Pipeline) record(ctx context.Context, r schemas.ComplianceRecord) (bool, error) {
	_, err := p.ledger.RecordCompliance(ctx, r)
	var refusal *client.ContractError
	switch {
	case err == nil:
		p.count(func(s *Stats) { s.Recorded++ })
		return true, nil
	case errors.Is(err, client.ErrDuplicate):
		p.count(func(s *Stats) { s.Duplicates++ })
		return true, nil
	case errors.As(err, &refusal) && refusal.Code != client.CodeInternal:
		// The contract judged the record (INVALID, NOT_FOUND, FORBIDDEN,
		// CONFLICT): sending it again would get the same answer. A commit
		// that kept losing MVCC races is no refusal and is retried below.
		p.count(func(s *Stats) { s.Refused++ })
		p.log.Error("the contract refused a compliance record", "kind", r.Kind, "subject", r.SubjectID, "err", err)
		return false, nil
	default:
		return false, fmt.Errorf("recording %s for %s %s: %w", r.Kind, r.SubjectType, r.SubjectID, err)
	}
}

// raise records an alert on the ledger and posts it to the webhook.
func (p *Pipeline) raise(ctx context.Context, a alerts.Alert, subjectType, subjectID, severity string) error {
	rec := AlertRecord(a, subjectType, subjectID, severity)
	ok, err := p.record(ctx, rec)
	if err != nil || !ok {
		return err
	}
	p.count(func(s *Stats) { s.Alerts++ })
	if p.cfg.Notifier == nil {
		return nil
	}
	// Delivery is at least once: a replayed block posts again with the same
	// delivery ID (Alert.Key), which receivers use to drop repeats.
	if err := p.cfg.Notifier.Notify(ctx, a); err != nil {
		p.count(func(s *Stats) { s.NotifyFailed++ })
		p.log.Warn("posting alert to the webhook failed", "alert", a.Key(), "err", err)
		return nil
	}
	p.count(func(s *Stats) { s.Notified++ })
	return nil
}

// AlertRecord is the compliance record of an alert about a subject. Its
// createdAt is the alert's start, so the same finding yields the same rule
// and time; the rule names the alert kind and the rule that fired.
func AlertRecord(a alerts.Alert, subjectType, subjectID, severity string) schemas.ComplianceRecord {
	return schemas.ComplianceRecord{
		Kind: schemas.KindAlert, SubjectType: subjectType, SubjectID: subjectID,
		CreatedAt: stamp(a.Start),
		Rule:      clip(string(a.Kind)+": "+a.Rule, schemas.MaxNameLen),
		Severity:  severity,
		Message:   clip(a.Message, schemas.MaxTextLen),
	}
}

// stamp formats a time as createdAt: UTC, RFC 3339 with nanoseconds.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && s[len(s)-1]&0xC0 == 0x80 {
		s = s[:len(s)-1]
	}
	if len(s) > 0 && s[len(s)-1] >= 0xC0 {
		s = s[:len(s)-1]
	}
	return s
}
