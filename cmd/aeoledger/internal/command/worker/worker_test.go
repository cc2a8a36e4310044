package worker_test

import (
	"context"
	"encoding/json"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/screening"
)

func TestRunParsesFlags(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "hook.secret")
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		check   func(t *testing.T, o *worker.RunOptions)
		wantErr string
	}{
		{name: "the read model defaults to SQLite beside the profile", env: map[string]string{cmdutil.EnvProfile: "/n/connection.yaml"},
			check: func(t *testing.T, o *worker.RunOptions) {
				assert.Equal(t, "sqlite:/n/readmodel.db", o.DSN)
				assert.Equal(t, 80.0, o.Threshold)
				assert.False(t, o.Once)
			}},
		{name: "--pg selects PostgreSQL", args: []string{"--pg", "postgres://aeo@127.0.0.1/aeo"},
			check: func(t *testing.T, o *worker.RunOptions) { assert.Equal(t, "postgres://aeo@127.0.0.1/aeo", o.DSN) }},
		{name: "the environment selects the read model", env: map[string]string{worker.EnvDB: "/var/rm.db"},
			check: func(t *testing.T, o *worker.RunOptions) { assert.Equal(t, "sqlite:/var/rm.db", o.DSN) }},
		{name: "model, sanctions, webhook and limits are taken",
			args: []string{"--db", "rm.db", "--model", "m.gz", "--sanctions", "/sdn", "--webhook", "http://127.0.0.1:9/h", "--webhook-secret-file", secret,
				"--threshold", "70", "--shock-limit", "-1", "--light-limit", "50", "--once", "--json", "--list-version", "2021-06"},
			check: func(t *testing.T, o *worker.RunOptions) {
				assert.Equal(t, worker.RunOptions{DSN: "sqlite:rm.db", Model: "m.gz", Sanctions: "/sdn", ListVersion: "2021-06",
					Webhook: "http://127.0.0.1:9/h", WebhookSecretFile: secret, Threshold: 70, ShockG: -1, LightLux: 50,
					Once: true, LogLevel: "info", JSON: true}, *o)
			}},
		{name: "--db and --pg together are refused", args: []string{"--db", "a.db", "--pg", "postgres://x"}, wantErr: `field=--pg value="postgres://x" rule=give --db or --pg, not both`},
		{name: "a --pg that is no DSN is refused", args: []string{"--pg", "aeo.db"}, wantErr: `field=--pg value="aeo.db" rule=must be a postgres:// URL`},
		{name: "a webhook needs its secret", args: []string{"--webhook", "http://127.0.0.1:9/h"}, wantErr: `field=--webhook-secret-file value="" rule=--webhook and --webhook-secret-file go together`},
		{name: "a threshold above 100 is refused", args: []string{"--threshold", "120"}, wantErr: `field=--threshold value="120" rule=must be a compliance score from 0 to 100`},
		{name: "an unknown log level is refused", args: []string{"--log-level", "loud"}, wantErr: `field=--log-level value="loud"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(tc.env)
			var got *worker.RunOptions
			err := cmdtest.Exec(worker.NewCmdRun(f, func(_ context.Context, o *worker.RunOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				var fe *cmdutil.FlagError
				assert.ErrorAs(t, err, &fe)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			got.IO, got.Client = nil, nil
			tc.check(t, got)
		})
	}
}

func sanctionsDir(t *testing.T) string {
	return shareddata.Path(t, "sanctions")
}

// TestRunFollowsTheLedgerUntilStopped runs `worker run` live against a real
// embedded peer: a shipment created while it runs is screened and its hit
// recorded, and stopping the command (as Ctrl-C does) prints the report.
func TestRunFollowsTheLedgerUntilStopped(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded peer; skipped with -short")
	}
	sdn := sanctionsDir(t)
	list, err := screening.Load(sdn)
	require.NoError(t, err)
	listed, ok := list.Entry(306)
	require.True(t, ok)
	net := cmdtest.StartNetwork(t)
	admin, err := client.Connect(net.Profile, "CustomsMSP", "admin")
	require.NoError(t, err)
	defer admin.Close()
	key, err := crypto.GenerateKey()
	require.NoError(t, err)
	bg := context.Background()
	_, err = admin.RegisterPartner(bg, schemas.Partner{ID: "customs-nl", MSPID: "CustomsMSP", LegalName: "Douane Rotterdam", Country: "NL",
		Roles: []string{schemas.RoleCustoms}, Keys: []schemas.SigningKey{schemas.NewSigningKey(key, "main")}})
	require.NoError(t, err)

	f, out, _ := cmdtest.Factory(net.Env("CustomsMSP"))
	cmd := worker.NewCmdRun(f, nil)
	cmd.SetArgs([]string{"--json", "--db", filepath.Join(t.TempDir(), "rm.db"), "--sanctions", sdn, "--log-level", "error"})
	cmd.SetOut(io.Discard)
	cmd.SetErr(io.Discard)
	ctx, cancel := context.WithCancel(bg)
	done := make(chan error, 1)
	go func() { done <- cmd.ExecuteContext(ctx) }()

	now := time.Now().UTC()
	_, err = admin.CreateShipment(bg, schemas.Shipment{ID: "SHP-LIVE", Consignor: schemas.Party{Name: "Acme Flowers BV", Country: "NL"},
		Consignee: schemas.Party{Name: listed.Name, Country: "CU"}, Origin: "NLRTM", Destination: "CUHAV", HSCodes: []string{"060311"},
		PlannedDeparture: now.Format(time.RFC3339), PlannedArrival: now.Add(240 * time.Hour).Format(time.RFC3339)})
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		view, err := admin.Shipment(bg, "SHP-LIVE")
		return err == nil && len(view.State.OpenHits) == 1
	}, 60*time.Second, 20*time.Millisecond, "the worker blocks the shipment with a hit")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("worker run did not stop")
	}
	var rep worker.Report
	require.NoError(t, json.Unmarshal([]byte(out.String()), &rep))
	assert.Equal(t, 1, rep.Stats.Hits)
	assert.Positive(t, rep.Block)
}
