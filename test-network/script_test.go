package testnetwork

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUpRefusesABusyPortAndStartsNothing runs network.sh up on a second
// port range while one of its ports is taken: it must name the port, exit
// non-zero and create no runtime folder (so nothing was started).
func TestUpRefusesABusyPortAndStartsNothing(t *testing.T) {
	if os.Getenv("AEOLEDGER_FABRIC") != "1" {
		t.Skip("needs the built Fabric binaries: run test-network/network.sh build, then set AEOLEDGER_FABRIC=1")
	}
	const base = 29500
	tests := []struct {
		name string
		port int
	}{
		{name: "the Carrier peer's port is taken", port: base + 251},
		{name: "the orderer's admin port is taken", port: base + 51},
		{name: "the chaincode server's port is taken", port: base + 900},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(tt.port))
			require.NoError(t, err)
			defer l.Close()
			run := filepath.Join(t.TempDir(), "run")

			cmd := exec.Command("./network.sh", "up")
			cmd.Env = append(os.Environ(), "AEO_FABRIC_RUN="+run, "AEO_FABRIC_PORT_BASE="+strconv.Itoa(base))
			out, err := cmd.CombinedOutput()

			require.Error(t, err)
			assert.Contains(t, string(out), "port(s) "+strconv.Itoa(tt.port)+" on 127.0.0.1 already in use")
			assert.Contains(t, string(out), "Nothing was started.")
			_, statErr := os.Stat(run)
			assert.True(t, os.IsNotExist(statErr), "the runtime folder must not be created: %v", statErr)
		})
	}
}

// TestUpRefusesABadGOMAXPROCSAndStartsNothing: an AEO_FABRIC_GOMAXPROCS
// that is neither a positive number nor "go" is named in the error, and no
// runtime folder is created.
func TestUpRefusesABadGOMAXPROCSAndStartsNothing(t *testing.T) {
	if os.Getenv("AEOLEDGER_FABRIC") != "1" {
		t.Skip("needs the built Fabric binaries: run test-network/network.sh build, then set AEOLEDGER_FABRIC=1")
	}
	for _, bad := range []string{"0", "-1", "two", "1; rm -rf /"} {
		t.Run(bad, func(t *testing.T) {
			run := filepath.Join(t.TempDir(), "run")
			cmd := exec.Command("./network.sh", "up")
			cmd.Env = append(os.Environ(), "AEO_FABRIC_RUN="+run, "AEO_FABRIC_PORT_BASE=29600", "AEO_FABRIC_GOMAXPROCS="+bad)
			out, err := cmd.CombinedOutput()

			require.Error(t, err)
			assert.Contains(t, string(out), "AEO_FABRIC_GOMAXPROCS="+bad+": must be a number of at least 1, or go")
			_, statErr := os.Stat(run)
			assert.True(t, os.IsNotExist(statErr), "the runtime folder must not be created: %v", statErr)
		})
	}
}
