package pipeline_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/blocks/blockstest"
	"github.com/aeoledger/aeoledger/workers/pipeline"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	"github.com/aeoledger/aeoledger/workers/readmodel/pgtest"
	rmt "github.com/aeoledger/aeoledger/workers/readmodel/readmodeltest"
	"github.com/aeoledger/aeoledger/workers/screening"
)

// memLedger stands in for the contract at the pipeline's boundary: it
// checks records as the contract does (validation, deterministic ID,
// DUPLICATE) and keeps them in memory.
type memLedger struct {
	mu      sync.Mutex
	records []schemas.ComplianceRecord
	ids     map[string]bool
}

func (l *memLedger) RecordCompliance(_ context.Context, r schemas.ComplianceRecord) (*schemas.ComplianceRecord, error) {
	if err := r.Validate(); err != nil {
		return nil, &client.ContractError{Code: client.CodeInvalid, Message: err.Error()}
	}
	id, err := schemas.ComplianceID(&r)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ids == nil {
		l.ids = map[string]bool{}
	}
	if l.ids[id] {
		return nil, &client.ContractError{Code: client.CodeDuplicate, Message: "record " + id + " is already on the ledger"}
	}
	l.ids[id] = true
	r.ID = id
	l.records = append(l.records, r)
	return &r, nil
}

func (l *memLedger) AllComplianceBySubject(_ context.Context, subject string) ([]schemas.ComplianceRecord, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []schemas.ComplianceRecord
	for _, r := range l.records {
		if r.SubjectID == subject {
			out = append(out, r)
		}
	}
	return out, nil
}

func (l *memLedger) kind(kind string) []schemas.ComplianceRecord {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []schemas.ComplianceRecord
	for _, r := range l.records {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

// backends are the read models the block-driven tests run on: both, as
// `worker run --db` and `--pg` use them.
var backends = []struct {
	name string
	open func(t testing.TB) *readmodel.Store
}{
	{"sqlite", openStore},
	{"postgres", func(t testing.TB) *readmodel.Store {
		s, err := readmodel.Open(context.Background(), pgtest.DSN(t))
		require.NoError(t, err)
		t.Cleanup(func() { s.Close() })
		return s
	}},
}

func openStore(t testing.TB) *readmodel.Store {
	t.Helper()
	s, err := readmodel.Open(context.Background(), filepath.Join(t.TempDir(), "rm.db"))
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// apply projects raw blocks into the store and hands them to p (when not nil).
func apply(t testing.TB, s *readmodel.Store, p *pipeline.Pipeline, raw ...*common.Block) {
	t.Helper()
	ctx := context.Background()
	for _, r := range raw {
		b, err := blocks.Parse(r)
		require.NoError(t, err)
		_, err = s.Apply(ctx, b)
		require.NoError(t, err)
		if p != nil {
			require.NoError(t, p.HandleBlock(ctx, b))
		}
	}
}

func TestNewRefusesABadConfiguration(t *testing.T) {
	cases := []struct {
		name    string
		cfg     pipeline.Config
		wantErr string
	}{
		{"a threshold above 100 is refused", pipeline.Config{ReviewThreshold: 120},
			`creating pipeline: field=reviewThreshold value="120" rule=must be a compliance score from 0 to 100`},
		{"a negative threshold is refused", pipeline.Config{ReviewThreshold: -1},
			`creating pipeline: field=reviewThreshold value="-1" rule=must be a compliance score from 0 to 100`},
		{"a model name longer than 64 bytes is refused", pipeline.Config{ModelName: strings.Repeat("m", 65)},
			`creating pipeline: field=modelName value="` + strings.Repeat("m", 64) + `..." rule=must be at most 64 bytes`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := openStore(t)
			_, err := pipeline.New(context.Background(), s, &memLedger{}, tc.cfg)
			require.EqualError(t, err, tc.wantErr)
			var n int
			require.NoError(t, s.DB().QueryRow(`SELECT count(*) FROM sqlite_master WHERE name = 'pipeline_checkpoint'`).Scan(&n))
			assert.Zero(t, n, "no checkpoint table was created")
		})
	}
}

func TestClearanceAndAckCheckTheirTarget(t *testing.T) {
	hit := schemas.ComplianceRecord{ID: strings.Repeat("a", 64), Kind: schemas.KindScreeningHit, SubjectType: "shipment", SubjectID: "SHP-1"}
	alert := schemas.ComplianceRecord{ID: strings.Repeat("b", 64), Kind: schemas.KindAlert, SubjectType: "declaration", SubjectID: "D1"}
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		name    string
		build   func() (schemas.ComplianceRecord, error)
		want    schemas.ComplianceRecord
		wantErr string
	}{
		{name: "a clearance refers to the hit and keeps its subject",
			build: func() (schemas.ComplianceRecord, error) {
				return pipeline.ClearanceRecord(hit, "J. Jansen", "other entity", at)
			},
			want: schemas.ComplianceRecord{Kind: schemas.KindScreeningClearance, SubjectType: "shipment", SubjectID: "SHP-1",
				CreatedAt: "2026-11-27T10:00:00Z", RefersTo: hit.ID, Officer: "J. Jansen", Reason: "other entity"}},
		{name: "a clearance of an alert is refused",
			build:   func() (schemas.ComplianceRecord, error) { return pipeline.ClearanceRecord(alert, "J. Jansen", "x", at) },
			wantErr: `field=refersTo value="` + alert.ID + `" rule=must be a screening-hit record, not alert`},
		{name: "a clearance without a reason is refused",
			build:   func() (schemas.ComplianceRecord, error) { return pipeline.ClearanceRecord(hit, "J. Jansen", "", at) },
			wantErr: `field=reason value="" rule=a clearance needs a reason`},
		{name: "an ack refers to the alert and keeps its subject",
			build: func() (schemas.ComplianceRecord, error) {
				return pipeline.AckRecord(alert, "K. Kim", "cargo inspected", at)
			},
			want: schemas.ComplianceRecord{Kind: schemas.KindAlertAck, SubjectType: "declaration", SubjectID: "D1",
				CreatedAt: "2026-11-27T10:00:00Z", RefersTo: alert.ID, Officer: "K. Kim", Response: "cargo inspected"}},
		{name: "an ack without an officer is refused",
			build:   func() (schemas.ComplianceRecord, error) { return pipeline.AckRecord(alert, "", "cargo inspected", at) },
			wantErr: `field=officer value="" rule=an acknowledgement names the officer who acted`},
		{name: "an ack of a screening hit is refused",
			build:   func() (schemas.ComplianceRecord, error) { return pipeline.AckRecord(hit, "K. Kim", "x", at) },
			wantErr: `field=refersTo value="` + hit.ID + `" rule=must be an alert record, not screening-hit`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.build()
			if tc.wantErr != "" {
				require.EqualError(t, err, tc.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestOpenHitsLeaveOutClearedOnes(t *testing.T) {
	recs := []schemas.ComplianceRecord{
		{ID: "h1", Kind: schemas.KindScreeningHit}, {ID: "h2", Kind: schemas.KindScreeningHit},
		{ID: "c1", Kind: schemas.KindScreeningClearance, RefersTo: "h1"}, {ID: "a1", Kind: schemas.KindAlert},
	}
	open := pipeline.OpenHits(recs)
	require.Len(t, open, 1)
	assert.Equal(t, "h2", open[0].ID)
}

func TestProfileFollowsTheShipment(t *testing.T) {
	cases := []struct {
		name      string
		shipment  schemas.Shipment
		shock     float64
		lux       float64
		wantRules []string
	}{
		{"a reefer gets three temperature rules and the shock rule",
			schemas.Shipment{ID: "S", TemperatureRange: &schemas.TemperatureRange{Min: 2, Max: 8}}, 10, 0,
			[]string{"above-8C-30min", "above-8C-60min-total", "below-2C-30min", "shock-above-10g"}},
		{"a dry box gets only the shock and light rules", schemas.Shipment{ID: "S"}, 5, 50,
			[]string{"shock-above-5g", "light-above-50lux"}},
		{"no limits give no rules", schemas.Shipment{ID: "S"}, -1, 0, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := pipeline.Profile(&tc.shipment, tc.shock, tc.lux)
			var names []string
			for _, r := range p.Rules {
				names = append(names, r.Name)
			}
			assert.Equal(t, tc.wantRules, names)
			if len(p.Rules) > 0 {
				assert.NoError(t, p.Validate())
			}
		})
	}
}

func TestToAnomalyRefusesABadDate(t *testing.T) {
	d := rmt.Declaration(1)
	d.Date = "27/11/2026"
	_, err := pipeline.ToAnomaly(&d)
	require.EqualError(t, err, `converting declaration D00000001: field=date value="27/11/2026" rule=must be a date like 2021-01-02 or an RFC 3339 time`)
	d.Date = "2026-11-27T10:00:00Z"
	got, err := pipeline.ToAnomaly(&d)
	require.NoError(t, err)
	assert.Equal(t, time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC), got.Date)
}

// customsRows reads the first n declarations of train.csv whose HS6 code
// is hs (or, with hs empty, any code but other).
func customsRows(t testing.TB, n int, keep func(*schemas.Declaration) bool) []schemas.Declaration {
	t.Helper()
	f, err := os.Open(filepath.Join(dataDir(t), "customs", "train.csv"))
	require.NoError(t, err)
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	require.NoError(t, err)
	var out []schemas.Declaration
	for len(out) < n {
		row, err := r.Read()
		require.NoError(t, err)
		d, err := schemas.DeclarationFromCSV(header, row)
		require.NoError(t, err)
		if keep(d) {
			out = append(out, *d)
		}
	}
	return out
}

// TestNoModelBaselinesJudgeByTheChainsOwnHistory runs the pipeline without
// a model file: the first declaration has no history and stays unscored,
// later ones are judged by baselines fitted on the declarations before
// them, a planted low unit value is flagged with its reason, and handling
// the same block again (a restart) yields the same records.
func TestNoModelBaselinesJudgeByTheChainsOwnHistory(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			const hs = "392690" // the most common HS6 code of train.csv
			same := customsRows(t, 80, func(d *schemas.Declaration) bool { return d.HSCode == hs && d.NetMass >= 1 })
			other := customsRows(t, 40, func(d *schemas.Declaration) bool { return d.HSCode != hs })
			planted := same[len(same)-1]
			planted.ItemPrice = planted.NetMass * 0.6 / 12 // the code's median is about 0.6 per kg
			history := append(append([]schemas.Declaration{}, same[:len(same)-1]...), other...)

			chain := blockstest.NewChain()
			first := chain.MustAdd(blockstest.Tx{Config: true}, rmt.SubmitDeclaration("CustomsMSP", history[0]))
			var txs []blockstest.Tx
			for _, d := range history[1:] {
				txs = append(txs, rmt.SubmitDeclaration("CustomsMSP", d))
			}
			bulk := chain.MustAdd(txs...)
			last := chain.MustAdd(rmt.SubmitDeclaration("CustomsMSP", planted))

			s := be.open(t)
			ledger := &memLedger{}
			p, err := pipeline.New(context.Background(), s, ledger, pipeline.Config{})
			require.NoError(t, err)
			apply(t, s, p, first, bulk, last)

			st := p.Stats()
			assert.Equal(t, 1, st.Unscored, "the first declaration had no history")
			assert.Equal(t, len(history), st.Scored)
			var score *schemas.ComplianceRecord
			for _, r := range ledger.kind(schemas.KindAnomalyScore) {
				if r.SubjectID == planted.ID {
					score = &r
				}
			}
			require.NotNil(t, score, "the planted declaration was scored")
			t.Logf("planted: score %.1f by %s, reasons %q", *score.Score, score.Model, score.Reasons)
			assert.Less(t, *score.Score, 80.0)
			assert.Equal(t, "anomaly-baselines@96", score.Model, "fitted on the ladder prefix of the 118 earlier declarations")
			assert.Contains(t, strings.Join(score.Reasons, "\n"), "below the median")

			// A restart handles the last block again with a fresh pipeline.
			again, err := pipeline.New(context.Background(), s, ledger, pipeline.Config{})
			require.NoError(t, err)
			b, err := blocks.Parse(last)
			require.NoError(t, err)
			require.NoError(t, again.HandleBlock(context.Background(), b))
			assert.Zero(t, again.Stats().Recorded)
			assert.Equal(t, 2, again.Stats().Duplicates, "the score and its alert are the same records")
		})
	}
}

// TestScreeningAndSealsFromTheBlocks follows a chain built like the
// contract's: a partner registered under a listed name is a hit on the
// partner; a declaration whose importer is that partner is a hit on the
// declaration's shipment (role importer); key changes are not screened
// again; a broken seal raises an alert on its shipment.
func TestScreeningAndSealsFromTheBlocks(t *testing.T) {
	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			list, err := screening.Load(filepath.Join(dataDir(t), "sanctions"))
			require.NoError(t, err)
			listed, ok := list.Entry(306)
			require.True(t, ok)
			front := schemas.Partner{ID: "P-FRONT", MSPID: "ImporterMSP", LegalName: listed.Name, Country: "CU", Roles: []string{schemas.RoleImporter},
				Status: schemas.PartnerActive, Keys: []schemas.SigningKey{{Address: "0x00000000000000000000000000000000000000aa", PublicKey: "0x04aa"}}}
			rekeyed := front
			rekeyed.Keys = append(rekeyed.Keys, schemas.SigningKey{Address: "0x00000000000000000000000000000000000000bb", PublicKey: "0x04bb"})
			addKey := rmt.RegisterPartner(rekeyed)
			addKey.Args[0] = "AddKey"
			decl := rmt.Declaration(7)
			decl.ImporterID, decl.ShipmentID = front.ID, rmt.ShipmentID

			chain := blockstest.NewChain()
			raw := []*common.Block{chain.MustAdd(blockstest.Tx{Config: true}), chain.MustAdd(rmt.RegisterPartner(front)), chain.MustAdd(addKey)}
			journey, err := rmt.Build(chain, rmt.Journey())
			require.NoError(t, err)
			raw = append(raw, journey...)
			raw = append(raw, chain.MustAdd(rmt.SubmitDeclaration("ImporterMSP", decl)))

			s := be.open(t)
			ledger := &memLedger{}
			p, err := pipeline.New(context.Background(), s, ledger, pipeline.Config{Sanctions: list, ListVersion: "2021"})
			require.NoError(t, err)
			apply(t, s, p, raw...)

			type hit struct{ subject, role, entry string }
			var hits []hit
			for _, r := range ledger.kind(schemas.KindScreeningHit) {
				hits = append(hits, hit{r.SubjectID, r.Screening.PartyRole, r.Screening.EntryID})
				assert.Equal(t, "2021", r.Screening.ListVersion)
			}
			assert.Equal(t, []hit{{"P-FRONT", "partner", "306"}, {rmt.ShipmentID, "importer", "306"}}, hits,
				"the registration and the declaration's importer are hits; the key change and the journey's parties are not")

			var sealAlerts []schemas.ComplianceRecord
			for _, r := range ledger.kind(schemas.KindAlert) {
				if strings.HasPrefix(r.Rule, "seal-broken") {
					sealAlerts = append(sealAlerts, r)
				}
			}
			require.Len(t, sealAlerts, 1)
			assert.Equal(t, rmt.ShipmentID, sealAlerts[0].SubjectID)
			assert.Equal(t, "high", sealAlerts[0].Severity)
			assert.Contains(t, sealAlerts[0].Message, rmt.SealNumber)
			done, ok, err := p.Checkpoint(context.Background())
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, uint64(len(raw)-1), done)
		})
	}
}

// failingLedger refuses or fails every record with err.
type failingLedger struct{ err error }

func (l failingLedger) RecordCompliance(context.Context, schemas.ComplianceRecord) (*schemas.ComplianceRecord, error) {
	return nil, l.err
}

func (l failingLedger) AllComplianceBySubject(context.Context, string) ([]schemas.ComplianceRecord, error) {
	return nil, nil
}

func TestRefusalsAreSkippedAndOutagesStopTheBlock(t *testing.T) {
	seal := rmt.Journey()
	cases := []struct {
		name        string
		err         error
		wantErr     string
		wantRefused int
	}{
		{name: "a refusal by the contract is logged and the block is done",
			err: &client.ContractError{Code: client.CodeNotFound, Message: "recording compliance: shipment missing"}, wantRefused: 2},
		{name: "an unreachable ledger leaves the block to be handled again",
			err: fmt.Errorf("submitting RecordCompliance: %w", client.ErrUnavailable), wantErr: "ledger unavailable"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chain := blockstest.NewChain()
			raw, err := rmt.Build(chain, seal)
			require.NoError(t, err)
			s := openStore(t)
			p, err := pipeline.New(context.Background(), s, failingLedger{tc.err}, pipeline.Config{})
			require.NoError(t, err)
			var handleErr error
			for _, r := range raw {
				b, err := blocks.Parse(r)
				require.NoError(t, err)
				_, err = s.Apply(context.Background(), b)
				require.NoError(t, err)
				if handleErr = p.HandleBlock(context.Background(), b); handleErr != nil {
					break
				}
			}
			done, ok, err := p.Checkpoint(context.Background())
			require.NoError(t, err)
			if tc.wantErr != "" {
				require.ErrorContains(t, handleErr, tc.wantErr)
				assert.ErrorIs(t, handleErr, client.ErrUnavailable)
				assert.True(t, !ok || done < uint64(len(raw)-1), "the failed block is not checkpointed")
				return
			}
			require.NoError(t, handleErr)
			assert.Equal(t, tc.wantRefused, p.Stats().Refused, "the second declaration's score and the broken-seal alert were refused")
			assert.True(t, ok)
			assert.Equal(t, uint64(len(raw)-1), done)
		})
	}
}
