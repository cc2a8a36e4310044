package demo_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/demo"
	"github.com/aeoledger/aeoledger/workers/audit/bundle"
)

func TestDemoParsesFlags(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	var got *demo.Options
	require.NoError(t, cmdtest.Exec(demo.NewCmdDemo(f, func(_ context.Context, o *demo.Options) error { got = o; return nil }), "--dir", "d", "--keep"))
	assert.Equal(t, "d", got.Dir)
	assert.True(t, got.Keep)
	assert.ErrorContains(t, cmdtest.Exec(demo.NewCmdDemo(f, nil), "now"), "takes no arguments")
}

func TestDemoEndsWithAnEvidenceBundleVerifiedOfflineAndAMockAudit(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole demo on an embedded peer")
	}
	f, out, _ := cmdtest.Factory(nil)
	dir := filepath.Join(t.TempDir(), "net")
	require.NoError(t, demo.Run(context.Background(), &demo.Options{IO: f.IOStreams, Dir: dir, Keep: true, Now: time.Now}))
	text := out.String()
	bundles, err := filepath.Glob(filepath.Join(dir, "evidence-SHP-*.json"))
	require.NoError(t, err)
	require.Len(t, bundles, 1, "the bundle is written into the demo folder")
	raw, err := os.ReadFile(bundles[0])
	require.NoError(t, err)
	sum := bundle.FileHash(raw)
	v := bundle.VerifyBytes(raw, bundle.TrustAnchor{})
	require.True(t, v.OK, "%v", v.Failures())

	for _, want := range []string{
		"An auditor asks for the evidence of SHP-",
		"sha256       " + sum,
		fmt.Sprintf("evidence bundle %s: %d records VERIFIED offline (sha256 %s…)", filepath.Base(bundles[0]), len(v.Items), sum[:16]),
		"a copy with one byte changed (excursion 5.8 °C → 5.9 °C): FAILED, failed: bundle, record, signature",
		"record: value in the write set",
		"the archive's hash-chained access log (1 entry) is anchored on the ledger",
		"and the document archive: 9 of 9 checks ran, 1 finding(s)",
		"incident-without-response",
		"aeoledger audit verify " + bundles[0] + " --trust-anchor ",
	} {
		assert.Contains(t, text, want)
	}
	assert.Less(t, strings.Index(text, "The node is stopped"), strings.Index(text, "VERIFIED offline"), "the bundle is verified with no node running")
}
