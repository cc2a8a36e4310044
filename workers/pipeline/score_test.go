package pipeline_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hyperledger/fabric-protos-go-apiv2/common"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/anomaly"
	"github.com/aeoledger/aeoledger/workers/blocks"
	"github.com/aeoledger/aeoledger/workers/blocks/blockstest"
	"github.com/aeoledger/aeoledger/workers/pipeline"
	rmt "github.com/aeoledger/aeoledger/workers/readmodel/readmodeltest"
)

// TestAVolumeSpikeBuildsUpOnTheChain gives the pipeline a model trained on
// customs declarations and then, block by block, a burst of declarations
// of one importer and HS code that the training history saw only a few
// times. Every earlier declaration on the chain counts towards the volume
// window, so the last declaration of the burst is reported as a spike,
// which the model alone (trained before the burst) cannot see; a restart
// that handles the last block again records the very same score.
func TestAVolumeSpikeBuildsUpOnTheChain(t *testing.T) {
	const spikeSize = 8
	history := customsRows(t, 3000, func(*schemas.Declaration) bool { return true })
	train := make([]anomaly.Declaration, len(history))
	perImporter := map[string]int{}
	for i := range history {
		d, err := pipeline.ToAnomaly(&history[i])
		require.NoError(t, err)
		train[i] = d
		perImporter[d.Importer]++
	}
	cfg := anomaly.DefaultConfig()
	cfg.Unsupervised = true
	m, err := anomaly.Train(train, cfg)
	require.NoError(t, err)

	// The burst repeats the last declaration of the first importer with
	// three to five declarations in the history, on the days after it.
	var src schemas.Declaration
	for i := len(history) - 1; i >= 0; i-- {
		if n := perImporter[history[i].ImporterID]; n >= 3 && n <= 5 {
			src = history[i]
			break
		}
	}
	require.NotEmpty(t, src.ID, "an importer with three to five declarations")
	last, err := time.Parse(time.DateOnly, history[len(history)-1].Date)
	require.NoError(t, err)
	spike := make([]schemas.Declaration, spikeSize)
	for i := range spike {
		spike[i] = src
		spike[i].ID = fmt.Sprintf("SPIKE%02d", i)
		spike[i].Date = last.AddDate(0, 0, 1+i*3/spikeSize).Format(time.DateOnly)
	}
	alone, err := pipeline.ToAnomaly(&spike[spikeSize-1])
	require.NoError(t, err)
	without := m.Explain(&alone)
	for _, r := range without.Reasons {
		require.NotContains(t, r.Text, "declarations of HS", "the model alone sees no spike")
	}
	// The 30-day window to the burst's last day holds the burst and the
	// importer's declarations of the code in the history since then.
	windowStart := last.AddDate(0, 0, 1+(spikeSize-1)*3/spikeSize-29).Format(time.DateOnly)
	inWindow := spikeSize
	for _, d := range history {
		if d.ImporterID == src.ImporterID && d.HSCode == src.HSCode && d.Date >= windowStart {
			inWindow++
		}
	}
	want := fmt.Sprintf("importer %s lodged %d declarations of HS %s in the 30 days to %s", src.ImporterID, inWindow, src.HSCode, spike[spikeSize-1].Date)

	for _, be := range backends {
		t.Run(be.name, func(t *testing.T) {
			chain := blockstest.NewChain()
			raw := []*common.Block{chain.MustAdd(blockstest.Tx{Config: true}, rmt.SubmitDeclaration("CustomsMSP", spike[0]))}
			for _, d := range spike[1:] {
				raw = append(raw, chain.MustAdd(rmt.SubmitDeclaration("CustomsMSP", d)))
			}
			s := be.open(t)
			ledger := &memLedger{}
			p, err := pipeline.New(context.Background(), s, ledger, pipeline.Config{Model: m})
			require.NoError(t, err)
			apply(t, s, p, raw...)
			require.Equal(t, spikeSize, p.Stats().Scored)

			recs, err := ledger.AllComplianceBySubject(context.Background(), spike[spikeSize-1].ID)
			require.NoError(t, err)
			var score *schemas.ComplianceRecord
			for i := range recs {
				if recs[i].Kind == schemas.KindAnomalyScore {
					score = &recs[i]
				}
			}
			require.NotNil(t, score, "the last declaration of the burst was scored")
			t.Logf("last of the burst: score %.1f on the chain, %.1f by the model alone; reasons %q", *score.Score, without.Score, score.Reasons)
			assert.Contains(t, strings.Join(score.Reasons, "\n"), want)
			assert.Less(t, *score.Score, without.Score, "the spike lowers the score")

			// A restart handles the last block again with a fresh pipeline,
			// whose stream starts from the declarations the chain holds
			// before it: the same records, so all are duplicates.
			again, err := pipeline.New(context.Background(), s, ledger, pipeline.Config{Model: m})
			require.NoError(t, err)
			b, err := blocks.Parse(raw[len(raw)-1])
			require.NoError(t, err)
			require.NoError(t, again.HandleBlock(context.Background(), b))
			assert.Zero(t, again.Stats().Recorded)
			assert.Equal(t, len(recs), again.Stats().Duplicates)
		})
	}
}
