package node_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdutil"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/node"
)

func TestStartParsesFlags(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		args    []string
		want    node.StartOptions
		wantErr string
	}{
		{name: "the network defaults to the profile's folder", env: map[string]string{cmdutil.EnvProfile: "/srv/net/connection.yaml"},
			want: node.StartOptions{Network: "/srv/net", LogLevel: "info"}},
		{name: "without a profile the default is ./aeonet", want: node.StartOptions{Network: filepath.Dir(cmdutil.DefaultProfile), LogLevel: "info"}},
		{name: "listen, data and log level", args: []string{"--network", "n", "--listen", "127.0.0.1:0", "--data", "d", "--log-level", "warn"},
			want: node.StartOptions{Network: "n", Listen: "127.0.0.1:0", DataDir: "d", LogLevel: "warn"}},
		{name: "a bad log level is refused", args: []string{"--log-level", "chatty"}, wantErr: `field=--log-level value="chatty"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, _, _ := cmdtest.Factory(tc.env)
			var got *node.StartOptions
			err := cmdtest.Exec(node.NewCmdStart(f, func(_ context.Context, o *node.StartOptions) error { got = o; return nil }), tc.args...)
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
