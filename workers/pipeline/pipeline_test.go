package pipeline_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/anomaly"
	"github.com/aeoledger/aeoledger/workers/pipeline"
	"github.com/aeoledger/aeoledger/workers/readmodel"
	"github.com/aeoledger/aeoledger/workers/screening"
)

func f64(v float64) *float64 { return &v }

// records reads a subject's compliance records of one kind from the ledger.
func records(t *testing.T, c *client.Client, subject, kind string) []schemas.ComplianceRecord {
	t.Helper()
	all, err := c.AllComplianceBySubject(context.Background(), subject)
	require.NoError(t, err)
	var out []schemas.ComplianceRecord
	for _, r := range all {
		if r.Kind == kind {
			out = append(out, r)
		}
	}
	return out
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	require.Eventually(t, cond, 60*time.Second, 20*time.Millisecond, what)
}

// TestWorkerConcludesOnTheLedger runs `aeoledger worker run`'s worker
// against a real embedded peer and a SQLite read model: a declaration with
// a planted anomaly is scored with reasons, a sanctioned consignee blocks
// its shipment until an officer clears it, a temperature excursion raises
// an alert that reaches the webhook and the read model, and a restart that
// replays every block writes nothing twice.
func TestWorkerConcludesOnTheLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded peer and trains on the customs data; skipped with -short")
	}
	ctx := context.Background()
	data := dataDir(t)

	// The model file, as `aeoledger anomaly train --unsupervised` writes it.
	train, err := anomaly.ReadCSVFile(filepath.Join(data, "customs", "train.csv"))
	require.NoError(t, err)
	cfg := anomaly.DefaultConfig()
	cfg.Unsupervised = true
	m, err := anomaly.Train(train, cfg)
	require.NoError(t, err)
	modelPath := filepath.Join(t.TempDir(), "model.json.gz")
	require.NoError(t, m.Save(modelPath))
	model, err := anomaly.Load(modelPath)
	require.NoError(t, err)

	list, err := screening.Load(filepath.Join(data, "sanctions"))
	require.NoError(t, err)
	listed, ok := list.Entry(306) // BANCO NACIONAL DE CUBA in the 2021 snapshot
	require.True(t, ok, "SDN entry 306 is in the list")

	n := startLedger(t)
	hook := newWebhook(t)
	dbPath := filepath.Join(t.TempDir(), "readmodel.db")
	w := newWorker(t, n, dbPath, pipeline.Config{Model: model, Sanctions: list, ListVersion: "ofac-2021", Notifier: hook.notifier(t)})
	stop := w.start(t)

	decl := plantedDeclaration(t, train)
	_, err = n.customs.SubmitDeclaration(ctx, decl)
	require.NoError(t, err)
	n.shipment(t, "SHP-SANCTIONED", schemas.Party{Name: listed.Name, Country: "CU"})
	n.shipment(t, "SHP-COLD", schemas.Party{Name: "Fresh Market Handels GmbH", Country: "DE"})
	// 45 minutes above 8 °C in a 2-8 °C reefer, read every 5 minutes.
	start := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Minute)
	var readings []schemas.SensorReading
	for i, temp := range []float64{5, 5, 9, 10, 11, 12, 12, 11, 10, 9, 9, 6, 5} {
		readings = append(readings, schemas.SensorReading{Time: start.Add(time.Duration(i) * 5 * time.Minute).Format(time.RFC3339), Temperature: f64(temp)})
	}
	_, err = n.carrier.RecordTouchpoint(ctx, n.carrierKey, client.SensorTouchpoint("SHP-COLD", start.Add(time.Hour), "NLRTM", "reefer-7", readings))
	require.NoError(t, err)

	t.Run("the planted declaration gets a score below the threshold with its reasons", func(t *testing.T) {
		var scores []schemas.ComplianceRecord
		waitFor(t, "score record", func() bool { scores = records(t, n.customs, decl.ID, schemas.KindAnomalyScore); return len(scores) > 0 })
		require.Len(t, scores, 1)
		s := scores[0]
		t.Logf("score %.1f, reasons %q", *s.Score, s.Reasons)
		assert.Less(t, *s.Score, 80.0)
		assert.Equal(t, 80.0, *s.Threshold)
		assert.Equal(t, "anomaly-baselines", s.Model)
		assert.Contains(t, strings.Join(s.Reasons, "\n"), "below the median", "the reasons name the low unit value")
		var flagged []schemas.ComplianceRecord
		waitFor(t, "score alert", func() bool { flagged = records(t, n.customs, decl.ID, schemas.KindAlert); return len(flagged) > 0 })
		assert.Equal(t, "compliance-score-below-threshold: score < 80", flagged[0].Rule)
	})

	t.Run("a sanctioned consignee blocks loading until an officer clears the hit", func(t *testing.T) {
		var hits []schemas.ComplianceRecord
		waitFor(t, "screening hit", func() bool {
			hits = records(t, n.customs, "SHP-SANCTIONED", schemas.KindScreeningHit)
			return len(hits) > 0
		})
		hit := hits[0]
		assert.Equal(t, "consignee", hit.Screening.PartyRole)
		assert.Equal(t, "306", hit.Screening.EntryID)
		assert.Equal(t, listed.Name, hit.Screening.MatchedName)
		assert.NotEmpty(t, hit.Reasons)
		waitFor(t, "hit alert", func() bool { return len(records(t, n.customs, "SHP-SANCTIONED", schemas.KindAlert)) > 0 })

		load := func() error {
			_, err := n.carrier.RecordTouchpoint(ctx, n.carrierKey, client.ContainerTouchpoint("SHP-SANCTIONED", time.Now(), "NLRTM",
				schemas.ContainerEvent{Number: "CSQU3054383", Action: schemas.ContainerLoaded}))
			return err
		}
		err := load()
		require.Error(t, err)
		assert.True(t, errors.Is(err, client.ErrConflict), "loading is refused while the hit is open: %v", err)

		clearance, err := pipeline.ClearanceRecord(hit, "J. Jansen", "consignee is a German importer, not the Cuban bank", time.Now())
		require.NoError(t, err)
		_, err = n.customs.RecordCompliance(ctx, clearance)
		require.NoError(t, err)
		require.NoError(t, load(), "loading is accepted once the hit is cleared")
		assert.Empty(t, records(t, n.customs, "SHP-COLD", schemas.KindScreeningHit), "an unlisted consignee is not a hit")
	})

	t.Run("a temperature excursion raises an alert on the ledger, the webhook and the read model", func(t *testing.T) {
		var found []schemas.ComplianceRecord
		waitFor(t, "sensor alert", func() bool { found = records(t, n.customs, "SHP-COLD", schemas.KindAlert); return len(found) >= 2 })
		var rules []string
		for _, a := range found {
			rules = append(rules, a.Rule)
		}
		assert.Contains(t, rules, "temperature-high: above-8C-30min")
		assert.Contains(t, rules, "temperature-high: "+pipeline.RuleMKT)
		waitFor(t, "alerts in the read model", func() bool {
			open := 0
			err := w.store.Alerts(ctx, readmodel.FollowUpFilter{State: readmodel.StateOpen, SubjectID: "SHP-COLD"}, func(readmodel.FollowUpRow) error { open++; return nil })
			require.NoError(t, err)
			return open == len(found)
		})
		ids, bad := hook.deliveries()
		assert.Zero(t, bad, "every webhook call is signed with the secret")
		assert.GreaterOrEqual(t, len(ids), 4, "score, screening and two sensor alerts were posted")
	})
	stop()

	t.Run("a restart that replays every block records nothing twice", func(t *testing.T) {
		count := func() int {
			total := 0
			for _, s := range []string{decl.ID, "SHP-SANCTIONED", "SHP-COLD"} {
				all, err := n.customs.AllComplianceBySubject(ctx, s)
				require.NoError(t, err)
				total += len(all)
			}
			return total
		}
		before, height := count(), n.node.Ledger().Height()
		// A crash before the pipeline moved its checkpoint: it handled nothing.
		_, err := w.store.DB().ExecContext(ctx, "UPDATE pipeline_checkpoint SET block_num = -1")
		require.NoError(t, err)
		again := newWorker(t, n, dbPath, pipeline.Config{Model: model, Sanctions: list, ListVersion: "ofac-2021", Notifier: hook.notifier(t)})
		require.NoError(t, again.run.CatchUp(ctx, n.lastBlock()))
		st := again.pipeline.Stats()
		t.Logf("replay: %+v", st)
		assert.Zero(t, st.Recorded, "nothing new was recorded: %+v", st)
		assert.Positive(t, st.Duplicates, "the contract answered DUPLICATE for the replayed conclusions")
		assert.Equal(t, before, count())
		assert.Equal(t, height, n.node.Ledger().Height(), "no transaction was committed")
		done, ok, err := again.pipeline.Checkpoint(ctx)
		require.NoError(t, err)
		assert.True(t, ok)
		assert.Equal(t, n.lastBlock(), done)
	})
}
