package keys_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/keys"
)

func TestNewParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    keys.NewOptions
		wantErr string
	}{
		{name: "a name is enough", args: []string{"sensor-7"}, want: keys.NewOptions{Name: "sensor-7"}},
		{name: "light scrypt and JSON output", args: []string{"sensor-7", "--light", "--json"}, want: keys.NewOptions{Name: "sensor-7", Light: true, JSON: true}},
		{name: "no name is a usage error", args: nil, wantErr: "expects a key name"},
		{name: "two names are a usage error", args: []string{"a", "b"}, wantErr: "expects a key name (got 2"},
		{name: "an unknown flag is a usage error", args: []string{"a", "--weak"}, wantErr: "unknown flag: --weak"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *keys.NewOptions
			cmd := keys.NewCmdNew(f, func(o *keys.NewOptions) error { got = o; return nil })
			err := cmdtest.Exec(cmd, tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				var fe *cmdutil.FlagError
				assert.True(t, errors.As(err, &fe), "a usage error must be a FlagError")
				assert.Nil(t, got, "the run function must not be called")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want.Name, got.Name)
			assert.Equal(t, tc.want.Light, got.Light)
			assert.Equal(t, tc.want.JSON, got.JSON)
		})
	}
}

func TestListAndAddressTakeTheRightArguments(t *testing.T) {
	cases := []struct {
		name    string
		list    bool
		args    []string
		wantRef string
		wantErr string
	}{
		{name: "list takes no argument", list: true, args: nil},
		{name: "list refuses an argument", list: true, args: []string{"x"}, wantErr: "takes no arguments"},
		{name: "address takes a name", args: []string{"carrier"}, wantRef: "carrier"},
		{name: "address needs a name", args: nil, wantErr: "expects a key name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			called := false
			var ref string
			var err error
			if tc.list {
				err = cmdtest.Exec(keys.NewCmdList(f, func(o *keys.ListOptions) error { called = true; return nil }), tc.args...)
			} else {
				err = cmdtest.Exec(keys.NewCmdAddress(f, func(o *keys.AddressOptions) error { called, ref = true, o.Ref; return nil }), tc.args...)
			}
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.False(t, called)
				return
			}
			require.NoError(t, err)
			assert.True(t, called)
			assert.Equal(t, tc.wantRef, ref)
		})
	}
}
