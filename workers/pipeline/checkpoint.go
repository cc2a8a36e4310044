package pipeline

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/aeoledger/aeoledger/workers/readmodel"
)

// The pipeline's checkpoint lives beside the read model's, in its own
// table, so that rebuilding the read model (readmodel.Store.Reset) does not
// make the workers judge the whole chain again. block_num is the last block
// whose events were all handled, -1 before block 0. The statements take no
// placeholders (the block number is formatted as an integer), so the same
// SQL serves SQLite and PostgreSQL.
const (
	createCheckpointSQL = `CREATE TABLE IF NOT EXISTS pipeline_checkpoint (
		id INTEGER PRIMARY KEY,
		block_num BIGINT NOT NULL
	)`
	seedCheckpointSQL = `INSERT INTO pipeline_checkpoint (id, block_num)
		SELECT 1, -1 WHERE NOT EXISTS (SELECT 1 FROM pipeline_checkpoint WHERE id = 1)`
)

func createCheckpoint(ctx context.Context, store *readmodel.Store) error {
	for _, stmt := range []string{createCheckpointSQL, seedCheckpointSQL} {
		if _, err := store.DB().ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("creating pipeline checkpoint: %w", err)
		}
	}
	return nil
}

// Checkpoint returns the last block the pipeline handled, and false before
// block 0.
func (p *Pipeline) Checkpoint(ctx context.Context) (uint64, bool, error) {
	return readCheckpoint(ctx, p.store)
}

func readCheckpoint(ctx context.Context, store *readmodel.Store) (uint64, bool, error) {
	var n int64
	err := store.DB().QueryRowContext(ctx, "SELECT block_num FROM pipeline_checkpoint WHERE id = 1").Scan(&n)
	if errors.Is(err, sql.ErrNoRows) || n < 0 {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("reading pipeline checkpoint: %w", err)
	}
	return uint64(n), true, nil
}

func setCheckpoint(ctx context.Context, store *readmodel.Store, block uint64) error {
	stmt := "UPDATE pipeline_checkpoint SET block_num = " + strconv.FormatUint(block, 10) + " WHERE id = 1"
	if _, err := store.DB().ExecContext(ctx, stmt); err != nil {
		return fmt.Errorf("moving pipeline checkpoint to block %d: %w", block, err)
	}
	return nil
}
