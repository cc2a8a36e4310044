package trace_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/trace"
)

func TestTraceKindsTakeOneID(t *testing.T) {
	cases := []struct {
		kind    string
		args    []string
		wantErr string
	}{
		{kind: trace.KindShipment, args: []string{"SHP-1", "--json"}},
		{kind: trace.KindContainer, args: []string{"MSCU1234566"}},
		{kind: trace.KindSeal, args: []string{"H-0042-7788"}},
		{kind: trace.KindSeal, args: nil, wantErr: "expects a seal number"},
		{kind: trace.KindContainer, args: []string{"a", "b"}, wantErr: "expects an ISO 6346 container number (got 2"},
	}
	for _, tc := range cases {
		t.Run(tc.kind+" "+tc.wantErr, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *trace.Options
			err := cmdtest.Exec(trace.NewCmdTraceKind(f, tc.kind, func(_ context.Context, o *trace.Options) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.kind, got.Kind)
			assert.Equal(t, tc.args[0], got.ID)
			assert.Equal(t, len(tc.args) > 1, got.JSON)
		})
	}
}
