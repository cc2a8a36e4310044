package anomaly_test

import (
	"bufio"
	"context"
	"encoding/json"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/anomaly"
	"github.com/aeoledger/aeoledger/schemas"
	model "github.com/aeoledger/aeoledger/workers/anomaly"
)

// customsDir is ../shared/data/customs beside the repository.
func customsDir(t *testing.T) string {
	return shareddata.Path(t, "customs")
}

// head copies the header and the first n rows of a CSV file to a temporary
// file, so that tests train in seconds.
func head(t *testing.T, src string, n int) string {
	t.Helper()
	in, err := os.Open(src)
	require.NoError(t, err)
	defer in.Close()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	out, err := os.Create(dst)
	require.NoError(t, err)
	defer out.Close()
	sc := bufio.NewScanner(in)
	for i := 0; i <= n && sc.Scan(); i++ {
		_, err := out.WriteString(sc.Text() + "\n")
		require.NoError(t, err)
	}
	require.NoError(t, sc.Err())
	return dst
}

func TestCommandsParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		run     func(f *cmdutil.Factory, got *any) error
		want    any
		wantErr string
	}{
		{name: "eval takes the three files, the mode and the seed",
			run: func(f *cmdutil.Factory, got *any) error {
				return cmdtest.Exec(anomaly.NewCmdEval(f, func(_ context.Context, o *anomaly.EvalOptions) error { o.IO = nil; *got = *o; return nil }),
					"--train", "a.csv", "--valid", "b.csv", "--test", "c.csv", "--unsupervised", "--seed", "7", "--json")
			},
			want: anomaly.EvalOptions{Train: "a.csv", Valid: "b.csv", Test: "c.csv", Unsupervised: true, Seed: 7, JSON: true}},
		{name: "eval needs a test file",
			run: func(f *cmdutil.Factory, got *any) error {
				return cmdtest.Exec(anomaly.NewCmdEval(f, func(context.Context, *anomaly.EvalOptions) error { return nil }), "--train", "a.csv")
			},
			wantErr: `field=--train,--test value="a.csv," rule=both the training and the test CSV are required`},
		{name: "train takes its files and keeps the default seed",
			run: func(f *cmdutil.Factory, got *any) error {
				return cmdtest.Exec(anomaly.NewCmdTrain(f, func(_ context.Context, o *anomaly.TrainOptions) error { o.IO = nil; *got = *o; return nil }),
					"--train", "a.csv", "--out", "m.gz")
			},
			want: anomaly.TrainOptions{Train: "a.csv", Out: "m.gz", Seed: model.DefaultBoostConfig().Seed}},
		{name: "train needs a model file to write",
			run: func(f *cmdutil.Factory, got *any) error {
				return cmdtest.Exec(anomaly.NewCmdTrain(f, func(context.Context, *anomaly.TrainOptions) error { return nil }), "--train", "a.csv")
			},
			wantErr: `field=--train,--out value="a.csv," rule=both the training CSV and the model file are required`},
		{name: "score takes the file as its argument",
			run: func(f *cmdutil.Factory, got *any) error {
				return cmdtest.Exec(anomaly.NewCmdScore(f, func(_ context.Context, o *anomaly.ScoreOptions) error { o.IO = nil; *got = *o; return nil }),
					"new.csv", "--model", "m.gz", "--review-only")
			},
			want: anomaly.ScoreOptions{File: "new.csv", Model: "m.gz", ReviewOnly: true}},
		{name: "score needs a model",
			run: func(f *cmdutil.Factory, got *any) error {
				return cmdtest.Exec(anomaly.NewCmdScore(f, func(context.Context, *anomaly.ScoreOptions) error { return nil }), "new.csv")
			},
			wantErr: `field=--model value="" rule=a model file`},
		{name: "explain takes the declaration ID",
			run: func(f *cmdutil.Factory, got *any) error {
				return cmdtest.Exec(anomaly.NewCmdExplain(f, func(_ context.Context, o *anomaly.ExplainOptions) error {
					*got = []string{o.ID, o.Model, o.File}
					return nil
				}), "97061800", "--model", "m.gz", "--file", "v.csv")
			},
			want: []string{"97061800", "m.gz", "v.csv"}},
		{name: "explain needs exactly one declaration",
			run: func(f *cmdutil.Factory, got *any) error {
				return cmdtest.Exec(anomaly.NewCmdExplain(f, func(context.Context, *anomaly.ExplainOptions) error { return nil }), "--model", "m.gz")
			},
			wantErr: "expects a declaration ID (got 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got any
			err := tc.run(f, &got)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				var fe *cmdutil.FlagError
				assert.ErrorAs(t, err, &fe)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

// TestTrainScoreExplainEval runs the commands on slices of the customs data:
// train a supervised model, score and explain with it, and evaluate.
func TestTrainScoreExplainEval(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on the customs data; skipped with -short")
	}
	dir := customsDir(t)
	train := head(t, filepath.Join(dir, "train.csv"), 4000)
	valid := head(t, filepath.Join(dir, "valid.csv"), 1500)
	modelPath := filepath.Join(t.TempDir(), "model.json.gz")

	f, out, _ := cmdtest.Factory(nil)
	require.NoError(t, cmdtest.Exec(anomaly.NewCmdTrain(f, nil), "--train", train, "--out", modelPath, "--json"))
	var tr anomaly.TrainResult
	require.NoError(t, json.Unmarshal([]byte(out.String()), &tr))
	assert.Equal(t, "supervised", tr.Mode)
	assert.Equal(t, 4000, tr.TrainRows)
	assert.Positive(t, tr.Trees)
	_, err := model.Load(modelPath)
	require.NoError(t, err, "the saved model loads")

	out.Reset()
	require.NoError(t, cmdtest.Exec(anomaly.NewCmdScore(f, nil), valid, "--model", modelPath, "--json"))
	var scored []model.Result
	require.NoError(t, json.Unmarshal([]byte(out.String()), &scored))
	require.Len(t, scored, 1500)
	review := 0
	for _, r := range scored {
		assert.True(t, r.Score >= 0 && r.Score <= 100)
		if r.Review {
			review++
			assert.NotEmpty(t, r.Reasons, "a declaration sent to review has reasons")
		}
	}
	assert.Positive(t, review)

	out.Reset()
	id := scored[0].DeclarationID
	require.NoError(t, cmdtest.Exec(anomaly.NewCmdExplain(f, nil), id, "--model", modelPath, "--file", valid, "--json"))
	var ex model.Result
	require.NoError(t, json.Unmarshal([]byte(out.String()), &ex))
	assert.Equal(t, scored[0].Score, ex.Score, "explain and score agree")
	assert.NotEmpty(t, ex.Reasons)
	assert.LessOrEqual(t, len(ex.Reasons), 5)

	err = cmdtest.Exec(anomaly.NewCmdExplain(f, nil), "00000000", "--model", modelPath, "--file", valid)
	require.Error(t, err)
	assert.Equal(t, cmdutil.ExitNotFound, cmdutil.ExitCodeFor(err))

	out.Reset()
	require.NoError(t, cmdtest.Exec(anomaly.NewCmdEval(f, nil), "--train", train, "--test", valid, "--json"))
	var rep map[string]any
	require.NoError(t, json.Unmarshal([]byte(out.String()), &rep))
	for _, k := range []string{"precision_at", "recall_at"} {
		m, ok := rep[k].(map[string]any)
		require.True(t, ok, "%s is an object", k)
		for _, p := range []string{"1", "2", "5", "10", "20"} {
			assert.Contains(t, m, p)
		}
	}
	auc, ok := rep["auc"].(float64)
	require.True(t, ok)
	assert.Greater(t, auc, 0.5, "the model ranks better than chance")

	err = cmdtest.Exec(anomaly.NewCmdEval(f, nil), "--train", filepath.Join(t.TempDir(), "missing.csv"), "--test", valid)
	require.ErrorContains(t, err, "loading training declarations: opening declarations")
}

// TestExplainReadsTheLedger explains a declaration read from a real
// embedded peer, as it was submitted there.
func TestExplainReadsTheLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded peer; skipped with -short")
	}
	dir := customsDir(t)
	train := head(t, filepath.Join(dir, "train.csv"), 2000)
	modelPath := filepath.Join(t.TempDir(), "model.json.gz")
	f, out, _ := cmdtest.Factory(nil)
	require.NoError(t, cmdtest.Exec(anomaly.NewCmdTrain(f, nil), "--train", train, "--unsupervised", "--out", modelPath))
	assert.Contains(t, out.String(), "unsupervised model trained on 2000 declarations")

	net := cmdtest.StartNetwork(t)
	admin, err := client.Connect(net.Profile, "CustomsMSP", "admin")
	require.NoError(t, err)
	defer admin.Close()
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	ctx := context.Background()
	_, err = admin.RegisterPartner(ctx, schemas.Partner{ID: "customs-nl", MSPID: "CustomsMSP", LegalName: "Douane Rotterdam", Country: "NL",
		Roles: []string{schemas.RoleCustoms}, Keys: []schemas.SigningKey{schemas.NewSigningKey(key, "main")}})
	require.NoError(t, err)
	rows, err := model.ReadCSVFile(head(t, filepath.Join(dir, "valid.csv"), 1))
	require.NoError(t, err)
	d := rows[0]
	_, err = admin.SubmitDeclaration(ctx, schemas.Declaration{ID: d.ID, Date: d.Date.Format("2006-01-02"), OfficeID: d.Office,
		ProcessType: d.ProcessType, ImportType: d.ImportType, ImportUse: d.ImportUse, PaymentType: d.PaymentType,
		ModeOfTransport: d.Transport, DeclarantID: d.Declarant, ImporterID: d.Importer, SellerID: d.Seller, CourierID: d.Courier,
		HSCode: d.HS6, CountryOfDeparture: d.Departure, CountryOfOrigin: d.Origin, TaxRate: d.TaxRate, TaxType: d.TaxType,
		OriginIndicator: d.OriginIndicator, NetMass: d.NetMass, ItemPrice: d.ItemPrice})
	require.NoError(t, err)

	m, err := model.Load(modelPath)
	require.NoError(t, err)
	want := m.Explain(&d)
	f, out, _ = cmdtest.Factory(net.Env("CustomsMSP"))
	require.NoError(t, cmdtest.Exec(anomaly.NewCmdExplain(f, nil), d.ID, "--model", modelPath, "--json"))
	var got model.Result
	require.NoError(t, json.Unmarshal([]byte(out.String()), &got))
	assert.Equal(t, d.ID, got.DeclarationID)
	assert.Equal(t, want.Score, got.Score, "the ledger's copy scores like the file's row")

	err = cmdtest.Exec(anomaly.NewCmdExplain(f, nil), "99999999", "--model", modelPath)
	require.Error(t, err)
	assert.Equal(t, cmdutil.ExitNotFound, cmdutil.ExitCodeFor(err))
}
