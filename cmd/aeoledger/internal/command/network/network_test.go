package network_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/network"
)

func TestInitParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		want    network.InitOptions
		wantErr string
	}{
		{name: "the default folder is aeonet", args: nil, want: network.InitOptions{Dir: "aeonet"}},
		{name: "orgs, users, keys and address", args: []string{"pilot", "--org", "AMSP,BMSP", "--user", "clerk", "--key", "a=AMSP", "--address", "127.0.0.1:17051"},
			want: network.InitOptions{Dir: "pilot", Orgs: []string{"AMSP", "BMSP"}, Users: []string{"clerk"}, Keys: []string{"a=AMSP"}, Address: "127.0.0.1:17051"}},
		{name: "a key without its MSP is refused", args: []string{"--key", "carrier"}, wantErr: `field=--key value="carrier" rule=must be name=MSPID`},
		{name: "two folders are refused", args: []string{"a", "b"}, wantErr: "at most one directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(nil)
			var got *network.InitOptions
			err := cmdtest.Exec(network.NewCmdInit(f, func(o *network.InitOptions) error { got = o; return nil }), tc.args...)
			if tc.wantErr != "" {
				require.ErrorContains(t, err, tc.wantErr)
				assert.Nil(t, got)
				return
			}
			require.NoError(t, err)
			got.IO = nil
			assert.Equal(t, tc.want, *got)
		})
	}
}
