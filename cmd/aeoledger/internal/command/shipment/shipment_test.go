package shipment_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/shipment"
)

func TestCreateParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *shipment.CreateOptions)
		wantErr string
	}{
		{
			name: "every field has a flag",
			args: []string{"--id", "S1", "--consignor", "acme", "--consignee", "fresh", "--party", "carrier", "--party", "sensor",
				"--origin", "NLRTM", "--destination", "DEHAM", "--hs-code", "080810", "--route", "NLRTM", "--route", "DEHAM",
				"--temp-min", "2", "--temp-max", "8", "--planned-departure", "2026-12-01T08:00:00Z", "--planned-arrival", "2026-12-03T18:00:00Z"},
			check: func(t *testing.T, o *shipment.CreateOptions) {
				assert.Equal(t, "S1", o.Shipment.ID)
				assert.Equal(t, "acme", o.Consignor)
				assert.Equal(t, []string{"carrier", "sensor"}, o.Shipment.Parties)
				assert.Equal(t, []string{"080810"}, o.Shipment.HSCodes)
				assert.Equal(t, []string{"NLRTM", "DEHAM"}, o.Shipment.Route)
				assert.True(t, o.HasTemp)
				assert.Equal(t, 2.0, o.TempMin)
				assert.Equal(t, 8.0, o.TempMax)
			},
		},
		{name: "no temperature range unless asked", args: []string{"--id", "S1", "--consignor", "a", "--consignee", "b"}, check: func(t *testing.T, o *shipment.CreateOptions) { assert.False(t, o.HasTemp) }},
		{name: "one temperature bound alone is refused", args: []string{"--id", "S1", "--consignor", "a", "--consignee", "b", "--temp-min", "2"}, wantErr: "--temp-min and --temp-max go together"},
		{name: "the parties are required without a file", args: []string{"--id", "S1"}, wantErr: "needs --file, or --id, --consignor and --consignee"},
		{name: "a non-numeric temperature is a usage error", args: []string{"--temp-min", "cold"}, wantErr: `invalid argument "cold"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *shipment.CreateOptions
			err := cmdtest.Exec(shipment.NewCmdCreate(f, func(_ context.Context, o *shipment.CreateOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}

func TestShowAndListParseArguments(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	var id, party string
	require.NoError(t, cmdtest.Exec(shipment.NewCmdShow(f, func(_ context.Context, o *shipment.ShowOptions) error { id = o.ID; return nil }), "S1"))
	assert.Equal(t, "S1", id)
	require.NoError(t, cmdtest.Exec(shipment.NewCmdList(f, func(_ context.Context, o *shipment.ListOptions) error { party = o.Party; return nil }), "--party", "acme"))
	assert.Equal(t, "acme", party)
	assert.ErrorContains(t, cmdtest.Exec(shipment.NewCmdList(f, nil)), "field=--party")
	assert.ErrorContains(t, cmdtest.Exec(shipment.NewCmdShow(f, nil)), "expects a shipment ID")
}
