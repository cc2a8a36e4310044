package pgtest_test

import (
	"context"
	"database/sql"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aeoledger/aeoledger/workers/readmodel/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.RunMain(m)) }

func TestEachDSNIsAFreshWorkingDatabase(t *testing.T) {
	ctx := context.Background()
	first, err := sql.Open("pgx", pgtest.DSN(t))
	require.NoError(t, err)
	defer first.Close()
	_, err = first.ExecContext(ctx, "CREATE TABLE seen (n int)")
	require.NoError(t, err)
	_, err = first.ExecContext(ctx, "INSERT INTO seen VALUES (42)")
	require.NoError(t, err)
	var n int
	require.NoError(t, first.QueryRowContext(ctx, "SELECT n FROM seen").Scan(&n))
	require.Equal(t, 42, n)

	second, err := sql.Open("pgx", pgtest.DSN(t))
	require.NoError(t, err)
	defer second.Close()
	var tables int
	require.NoError(t, second.QueryRowContext(ctx, "SELECT count(*) FROM information_schema.tables WHERE table_name = 'seen'").Scan(&tables))
	require.Equal(t, 0, tables, "a second database must not see the first one's tables")
}
