package event_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/event"
)

func TestRecordParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		typ     string
		args    []string
		check   func(t *testing.T, o *event.RecordOptions)
		wantErr string
	}{
		{
			name: "container flags fill the record's fields",
			typ:  "container",
			args: []string{"--key", "exporter", "--shipment", "S1", "--number", "MSCU1234566", "--action", "gate-in", "--location", "NLRTM", "--at", "2026-11-27T10:00:00Z", "--size-type", "45R1"},
			check: func(t *testing.T, o *event.RecordOptions) {
				assert.Equal(t, "exporter", o.Key)
				for k, v := range map[string]string{"shipmentId": "S1", "number": "MSCU1234566", "action": "gate-in", "location": "NLRTM", "eventTime": "2026-11-27T10:00:00Z", "sizeType": "45R1"} {
					assert.Equal(t, v, o.Fields[k], k)
				}
				assert.Equal(t, "auto", o.Progress)
			},
		},
		{
			name: "the VVTT steps that passed become true, the others false",
			typ:  "seal",
			args: []string{"--key", "carrier", "--action", "verified", "--vvtt", "view,Tug"},
			check: func(t *testing.T, o *event.RecordOptions) {
				assert.Equal(t, "true", o.Fields["view"])
				assert.Equal(t, "false", o.Fields["verify"])
				assert.Equal(t, "true", o.Fields["tug"])
				assert.Equal(t, "false", o.Fields["twist"])
			},
		},
		{
			name: "sensor readings and file options are kept",
			typ:  "sensor",
			args: []string{"--key", "s", "--device", "d1", "--reading", "2026-11-27T10:00:00Z=4.5", "--reading", "5", "--batch-size", "10"},
			check: func(t *testing.T, o *event.RecordOptions) {
				assert.Equal(t, []string{"2026-11-27T10:00:00Z=4.5", "5"}, o.Readings)
				assert.Equal(t, 10, o.BatchSize)
				assert.Equal(t, "d1", o.Fields["deviceId"])
			},
		},
		{
			name: "POD exceptions are joined with semicolons",
			typ:  "pod",
			args: []string{"--key", "k", "--exception", "one pallet wet", "--exception", "seal photo missing", "--condition", "damaged"},
			check: func(t *testing.T, o *event.RecordOptions) {
				assert.Equal(t, "one pallet wet;seal photo missing", o.Fields["exceptions"])
				assert.Equal(t, "damaged", o.Fields["condition"])
			},
		},
		{
			name: "origin takes a document to hash and an anchor owner",
			typ:  "origin",
			args: []string{"--key", "issuer", "--document", "co.pdf", "--anchor-owner", "chamber", "--certificate", "CO-1"},
			check: func(t *testing.T, o *event.RecordOptions) {
				assert.Equal(t, "co.pdf", o.Document)
				assert.Equal(t, "chamber", o.AnchorAs)
				assert.Equal(t, "CO-1", o.Fields["certificateNumber"])
			},
		},
		{name: "the signing key is required", typ: "container", args: []string{"--shipment", "S1"}, wantErr: "field=--key"},
		{name: "an unknown VVTT step is refused", typ: "seal", args: []string{"--key", "k", "--vvtt", "view,shake"}, wantErr: `field=--vvtt value="view,shake"`},
		{name: "a sensor record needs readings", typ: "sensor", args: []string{"--key", "k"}, wantErr: "needs --reading or --file"},
		{name: "a bad progress mode is refused", typ: "container", args: []string{"--key", "k", "--progress", "sometimes"}, wantErr: `field=--progress value="sometimes"`},
		{name: "a flag of another type is unknown", typ: "container", args: []string{"--key", "k", "--vvtt", "view"}, wantErr: "unknown flag: --vvtt"},
		{name: "positional arguments are refused", typ: "pod", args: []string{"--key", "k", "extra"}, wantErr: "takes no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *event.RecordOptions
			cmd := event.NewCmdRecord(f, tc.typ, func(_ context.Context, o *event.RecordOptions) error { got = o; return nil })
			err := cmdtest.Exec(cmd, tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				var fe *cmdutil.FlagError
				assert.True(t, errors.As(err, &fe))
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			tc.check(t, got)
		})
	}
}
