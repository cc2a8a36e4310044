package testnetwork

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runBuilder runs one step of the external builder in builder/bin.
func runBuilder(t *testing.T, step string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.Command(filepath.Join("builder", "bin", step), args...).CombinedOutput()
	return string(out), err
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestBuilderDetect(t *testing.T) {
	tests := []struct {
		name     string
		metadata string // "" = no metadata.json
		claims   bool
	}{
		{name: "a ccaas package is claimed", metadata: `{"type": "ccaas", "label": "aeoledger"}`, claims: true},
		{name: "compact JSON is claimed too", metadata: `{"type":"ccaas","label":"x"}`, claims: true},
		{name: "a Go source package is left to other builders", metadata: `{"type": "golang", "label": "x"}`},
		{name: "a package without metadata is not claimed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, meta := t.TempDir(), t.TempDir()
			if tt.metadata != "" {
				writeFile(t, filepath.Join(meta, "metadata.json"), tt.metadata)
			}
			_, err := runBuilder(t, "detect", src, meta)
			assert.Equal(t, tt.claims, err == nil, "detect error: %v", err)
		})
	}
}

func TestBuilderBuildAndRelease(t *testing.T) {
	const conn = `{"address": "127.0.0.1:27900", "dial_timeout": "10s", "tls_required": false}`
	tests := []struct {
		name       string
		connection string // "" = no connection.json
		index      bool   // package carries META-INF/statedb index metadata
		wantErr    string
	}{
		{name: "the connection file reaches the release folder", connection: conn},
		{name: "index metadata is released for the state database", connection: conn, index: true},
		{name: "a package without connection.json is refused", wantErr: "aeoledger builder: connection.json is missing from the chaincode package\n"},
		{name: "a connection without an address is refused", connection: `{"dial_timeout": "10s"}`,
			wantErr: "aeoledger builder: connection.json has no \"address\" (rule: host:port of the chaincode server)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src, meta, bld, rel := t.TempDir(), t.TempDir(), t.TempDir(), t.TempDir()
			if tt.connection != "" {
				writeFile(t, filepath.Join(src, "connection.json"), tt.connection)
			}
			if tt.index {
				writeFile(t, filepath.Join(src, "META-INF", "statedb", "couchdb", "indexes", "i.json"), `{"index":{}}`)
			}
			out, err := runBuilder(t, "build", src, meta, bld)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Equal(t, tt.wantErr, out)
				entries, readErr := os.ReadDir(bld)
				require.NoError(t, readErr)
				assert.Empty(t, entries, "a failed build must write nothing")
				return
			}
			require.NoError(t, err, out)

			out, err = runBuilder(t, "release", bld, rel)
			require.NoError(t, err, out)
			got, err := os.ReadFile(filepath.Join(rel, "chaincode", "server", "connection.json"))
			require.NoError(t, err)
			assert.Equal(t, tt.connection, string(got))
			_, err = os.Stat(filepath.Join(rel, "statedb", "couchdb", "indexes", "i.json"))
			assert.Equal(t, tt.index, err == nil, "index metadata released: %v", err)
		})
	}
}
