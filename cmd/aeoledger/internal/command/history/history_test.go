package history_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/history"
)

func TestHistoryParsesKindAndID(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    history.Options
		wantErr string
	}{
		{name: "a known kind and an id", args: []string{"declaration", "D1", "--full"}, want: history.Options{Kind: "declaration", ID: "D1", Full: true}},
		{name: "an amendment id has a slash", args: []string{"amendment", "D1/A1", "--json"}, want: history.Options{Kind: "amendment", ID: "D1/A1", JSON: true}},
		{name: "an unknown kind is refused with the list", args: []string{"invoice", "X"}, wantErr: `field=kind value="invoice" rule=must be one of partner, shipment`},
		{name: "the id is required", args: []string{"partner"}, wantErr: "expects a kind and an id"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *history.Options
			err := cmdtest.Exec(history.NewCmdHistory(f, func(_ context.Context, o *history.Options) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want.Kind, got.Kind)
			assert.Equal(t, tc.want.ID, got.ID)
			assert.Equal(t, tc.want.Full, got.Full)
			assert.Equal(t, tc.want.JSON, got.JSON)
		})
	}
}
