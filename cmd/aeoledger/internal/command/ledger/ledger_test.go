package ledger_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/cmdtest"
	"github.com/aeoledger/aeoledger/cmd/aeoledger/internal/command/ledger"
)

func TestVerifyParsesFlags(t *testing.T) {
	f, _, _ := cmdtest.Factory(nil)
	var got *ledger.VerifyOptions
	require.NoError(t, cmdtest.Exec(ledger.NewCmdVerify(f, func(_ context.Context, o *ledger.VerifyOptions) error { got = o; return nil }), "--unsigned-genesis", "--json"))
	assert.True(t, got.Genesis)
	assert.True(t, got.JSON)
	assert.ErrorContains(t, cmdtest.Exec(ledger.NewCmdVerify(f, nil), "extra"), "takes no arguments")
}
