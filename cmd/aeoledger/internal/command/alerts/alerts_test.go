package alerts_test

import (
	"context"
	"encoding/json"
	"github.com/aeoledger/aeoledger/internal/shareddata"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/client"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/alerts"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/screen"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/worker"
	"github.com/aeoledger/aeoledger/schemas"
	"github.com/aeoledger/aeoledger/workers/screening"
)

var alertID = strings.Repeat("ab", 32)

func TestListAndAckParseFlags(t *testing.T) {
	cases := []struct {
		name    string
		list    bool
		args    []string
		want    any
		wantErr string
	}{
		{name: "list reads open alerts of a subject from the given SQLite file", list: true,
			args: []string{"--open", "--subject", "SHP-1", "--severity", "high", "--db", "rm.db", "--json"},
			want: alerts.ListOptions{DSN: "sqlite:rm.db", Open: true, Subject: "SHP-1", Severity: "high", JSON: true}},
		{name: "list refuses an unknown severity", list: true, args: []string{"--severity", "urgent"},
			wantErr: `field=--severity value="urgent" rule=must be one of info, low, medium, high, critical`},
		{name: "ack takes the alert ID, the response and the officer",
			args: []string{alertID, "--response", "cargo inspected", "--officer", "K. Kim"},
			want: []string{alertID, "cargo inspected", "K. Kim"}},
		{name: "ack refuses an ID that is no compliance ID", args: []string{"ALERT-1", "--response", "x"},
			wantErr: `field=alert-id value="ALERT-1" rule=SHA-256 must be 64 lowercase hex digits`},
		{name: "ack needs a response", args: []string{alertID}, wantErr: `field=--response value="" rule=say what was done about the alert`},
		{name: "ack needs the alert", args: []string{"--response", "x"}, wantErr: "expects the compliance ID of an alert (got 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got any
			var err error
			if tc.list {
				err = cmdtest.Exec(alerts.NewCmdList(f, func(_ context.Context, o *alerts.ListOptions) error { o.IO = nil; got = *o; return nil }), tc.args...)
			} else {
				err = cmdtest.Exec(alerts.NewCmdAck(f, func(_ context.Context, o *alerts.AckOptions) error {
					got = []string{o.ID, o.Response, o.Officer}
					return nil
				}), tc.args...)
			}
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				var fe *cmdutil.FlagError
				assert.ErrorAs(t, err, &fe)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func sanctionsDir(t *testing.T) string {
	return shareddata.Path(t, "sanctions")
}

// TestWorkerScreenClearAndAck runs the commands a compliance team uses, on
// a real embedded peer: the worker screens a shipment whose consignee is
// on the SDN list and raises a hit and an alert; the alert shows in
// `alerts list`; an officer clears the hit and acknowledges the alert on
// the ledger; a second worker pass records nothing twice and the alert is
// closed in the read model.
func TestWorkerScreenClearAndAck(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an embedded peer; skipped with -short")
	}
	ctx := context.Background()
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
	_, err = admin.RegisterPartner(ctx, schemas.Partner{ID: "customs-nl", MSPID: "CustomsMSP", LegalName: "Douane Rotterdam", Country: "NL",
		Roles: []string{schemas.RoleCustoms}, Keys: []schemas.SigningKey{schemas.NewSigningKey(key, "main")}})
	require.NoError(t, err)
	now := time.Now().UTC()
	_, err = admin.CreateShipment(ctx, schemas.Shipment{ID: "SHP-1", Consignor: schemas.Party{Name: "Acme Flowers BV", Country: "NL"},
		Consignee: schemas.Party{Name: listed.Name, Country: "CU"}, Origin: "NLRTM", Destination: "CUHAV", HSCodes: []string{"060311"},
		PlannedDeparture: now.Format(time.RFC3339), PlannedArrival: now.Add(240 * time.Hour).Format(time.RFC3339)})
	require.NoError(t, err)

	db := filepath.Join(t.TempDir(), "rm.db")
	env := net.Env("CustomsMSP")
	run := func(t *testing.T, cmd func(f *cmdutil.Factory) error) string {
		t.Helper()
		f, out, _ := cmdtest.Factory(env)
		require.NoError(t, cmd(f))
		return out.String()
	}
	pass := func(t *testing.T) worker.Report {
		out := run(t, func(f *cmdutil.Factory) error {
			return cmdtest.Exec(worker.NewCmdRun(f, nil), "--once", "--json", "--db", db, "--sanctions", sdn, "--log-level", "error")
		})
		var rep worker.Report
		require.NoError(t, json.Unmarshal([]byte(out), &rep))
		return rep
	}
	listAlerts := func(t *testing.T, args ...string) []alerts.Item {
		out := run(t, func(f *cmdutil.Factory) error {
			return cmdtest.Exec(alerts.NewCmdList(f, nil), append(args, "--json", "--db", db)...)
		})
		var items []alerts.Item
		require.NoError(t, json.Unmarshal([]byte(out), &items))
		return items
	}

	first := pass(t)
	assert.Equal(t, 1, first.Stats.Hits, "the consignee is a hit: %+v", first.Stats)
	assert.Equal(t, 1, first.Stats.Alerts)
	assert.Equal(t, "sqlite", first.ReadModel)
	second := pass(t)
	assert.Zero(t, second.Stats.Recorded, "the second pass only projects the first pass's records: %+v", second.Stats)

	open := listAlerts(t, "--open")
	require.Len(t, open, 1)
	assert.Equal(t, "SHP-1", open[0].Alert.SubjectID)
	assert.Equal(t, "critical", open[0].Alert.Severity)
	assert.True(t, strings.HasPrefix(open[0].Alert.Rule, "screening-hit: sdn-entry-306"), open[0].Alert.Rule)

	out := run(t, func(f *cmdutil.Factory) error {
		return cmdtest.Exec(screen.NewCmdClear(f, nil), "--subject", "SHP-1", "--reason", "consignee is a German importer", "--officer", "J. Jansen", "--json")
	})
	var cleared []schemas.ComplianceRecord
	require.NoError(t, json.Unmarshal([]byte(out), &cleared))
	require.Len(t, cleared, 1)
	assert.Equal(t, "J. Jansen", cleared[0].Officer)
	assert.Equal(t, "CustomsMSP", cleared[0].RecordedBy.MSPID, "the ledger records who submitted it")
	view, err := admin.Shipment(ctx, "SHP-1")
	require.NoError(t, err)
	assert.Empty(t, view.State.OpenHits, "the shipment is no longer blocked")

	out = run(t, func(f *cmdutil.Factory) error {
		return cmdtest.Exec(alerts.NewCmdAck(f, nil), open[0].Alert.ID, "--response", "hit cleared after checking the registry", "--json")
	})
	var ack schemas.ComplianceRecord
	require.NoError(t, json.Unmarshal([]byte(out), &ack))
	assert.Equal(t, open[0].Alert.ID, ack.RefersTo)
	assert.Equal(t, "user1@CustomsMSP", ack.Officer, "the officer defaults to the acting identity")

	t.Run("clearing again finds no open hit", func(t *testing.T) {
		f, _, _ := cmdtest.Factory(env)
		err := cmdtest.Exec(screen.NewCmdClear(f, nil), "--subject", "SHP-1", "--reason", "again")
		require.Error(t, err)
		assert.Equal(t, cmdutil.ExitNotFound, cmdutil.ExitCodeFor(err))
		assert.ErrorContains(t, err, `field=--subject value="SHP-1" rule=must be a screening-hit ID or a subject with an open screening-hit`)
	})
	t.Run("acknowledging again is a conflict", func(t *testing.T) {
		f, _, _ := cmdtest.Factory(env)
		err := cmdtest.Exec(alerts.NewCmdAck(f, nil), open[0].Alert.ID, "--response", "again")
		require.Error(t, err)
		assert.Equal(t, cmdutil.ExitConflict, cmdutil.ExitCodeFor(err))
	})

	pass(t)
	assert.Empty(t, listAlerts(t, "--open"), "the acknowledged alert is closed")
	all := listAlerts(t)
	require.Len(t, all, 1)
	require.NotNil(t, all[0].Ack)
	assert.Equal(t, "hit cleared after checking the registry", all[0].Ack.Response)
}
