package demo_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/demo"
)

func TestDemoParsesFlags(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	var got *demo.Options
	require.NoError(t, cmdtest.Exec(demo.NewCmdDemo(f, func(_ context.Context, o *demo.Options) error { got = o; return nil }), "--dir", "d", "--keep"))
	assert.Equal(t, "d", got.Dir)
	assert.True(t, got.Keep)
	assert.ErrorContains(t, cmdtest.Exec(demo.NewCmdDemo(f, nil), "now"), "takes no arguments")
}
