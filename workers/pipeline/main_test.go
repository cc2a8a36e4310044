package pipeline_test

import (
	"os"
	"testing"

	"github.com/aeoledger/aeoledger/workers/readmodel/pgtest"
)

// TestMain stops the private PostgreSQL server pgtest may have started.
func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }
