// Package readmodel is the off-chain read model of the aeoledger ledger: SQL
// tables of partners, signing keys, shipments, touchpoints, incidents,
// declarations, amendments, documents and compliance records, projected
// from committed blocks, with a checkpoint that moves in the same database
// transaction as the projection of each block.
//
// One Store type serves two backends through database/sql: SQLite
// (modernc.org/sqlite, pure Go, the default) and PostgreSQL (pgx/v5 through
// its database/sql driver), chosen by the DSN given to Open. The SQL is
// written once, in the subset both understand.
//
// Queries stream: each takes a callback that receives one row at a time, so
// an export of a million declarations holds one row in memory, not a
// million.
package readmodel

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Backend names.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// DefaultChaincode is the chaincode whose writes are projected.
const DefaultChaincode = "aeoledger"

// ErrNotFound is returned by single-row lookups that match nothing.
var ErrNotFound = errors.New("not found")

// Store is the read model over one database.
type Store struct {
	db        *sql.DB
	backend   string
	chaincode string

	// cacheStmts is false for in-memory SQLite, whose single connection
	// is busy with the block's transaction when a statement would be
	// prepared on the pool.
	cacheStmts bool
	stmtMu     sync.Mutex
	stmts      map[string]*sql.Stmt
}

// Option configures Open.
type Option func(*Store) error

// WithChaincode projects the writes of another chaincode name than
// "aeoledger" (the namespace of the write set).
func WithChaincode(name string) Option {
	return func(s *Store) error {
		if name == "" {
			return errors.New("field=chaincode value=\"\" rule=must not be empty")
		}
		s.chaincode = name
		return nil
	}
}

// Open opens (creating if needed) the read model at dsn and brings its
// schema up to date. A DSN starting with postgres:// or postgresql:// (or
// holding "host=") selects PostgreSQL; anything else is a SQLite file path,
// optionally prefixed with "sqlite:" or given as a "file:" URI. ":memory:"
// opens a private in-memory SQLite database on a single connection (tests
// and one-off tools; a query's callback must not run another query there).
func Open(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	backend, conn := backendOf(dsn)
	s := &Store{backend: backend, chaincode: DefaultChaincode, stmts: map[string]*sql.Stmt{},
		cacheStmts: backend == Postgres || !isMemory(conn)}
	for _, opt := range opts {
		if err := opt(s); err != nil {
			return nil, fmt.Errorf("opening read model: %w", err)
		}
	}
	var err error
	switch backend {
	case Postgres:
		s.db, err = openPostgres(conn)
	default:
		s.db, err = openSQLite(conn)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s read model: %w", backend, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func backendOf(dsn string) (backend, conn string) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"), strings.Contains(dsn, "host="):
		return Postgres, dsn
	case strings.HasPrefix(dsn, "sqlite:"):
		return SQLite, strings.TrimPrefix(dsn, "sqlite:")
	default:
		return SQLite, dsn
	}
}

// openPostgres opens a PostgreSQL pool whose sessions commit with
// synchronous_commit off: a crash may lose the last few commits, never
// half of one, and since each commit holds a block together with the
// checkpoint, the listener simply re-applies the lost blocks from the
// ledger. Waiting for the WAL flush on every block would cost more than
// the projection itself.
func openPostgres(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parsing PostgreSQL DSN: %w", err)
	}
	if _, set := cfg.RuntimeParams["synchronous_commit"]; !set {
		cfg.RuntimeParams["synchronous_commit"] = "off"
	}
	return stdlib.OpenDB(*cfg), nil
}

// openSQLite opens a SQLite database in WAL mode, so readers (exports,
// dashboards) do not block the listener's writes, with immediate write
// transactions and a busy timeout so concurrent writers wait instead of
// failing. synchronous=NORMAL has the same trade-off as PostgreSQL's
// synchronous_commit=off (see openPostgres).
func isMemory(path string) bool { return path == ":memory:" || path == "" }

func openSQLite(path string) (*sql.DB, error) {
	memory := isMemory(path)
	dsn := path
	switch {
	case memory:
		dsn = "file::memory:"
	case !strings.HasPrefix(dsn, "file:"):
		dsn = "file:" + (&url.URL{Path: path}).EscapedPath()
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	dsn += sep + "_pragma=busy_timeout(10000)&_pragma=synchronous(NORMAL)&_pragma=cache_size(-32768)&_pragma=mmap_size(268435456)&_txlock=immediate"
	if !memory {
		dsn += "&_pragma=journal_mode(WAL)"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	if memory {
		// Every connection to ":memory:" would be a different database.
		db.SetMaxOpenConns(1)
	}
	return db, nil
}

// Backend returns SQLite or Postgres.
func (s *Store) Backend() string { return s.backend }

// DB returns the underlying database, for queries this package does not
// offer. The schema is documented in schema.go.
func (s *Store) DB() *sql.DB { return s.db }

// Close closes the prepared statements and the database.
func (s *Store) Close() error {
	s.stmtMu.Lock()
	for _, st := range s.stmts {
		st.Close()
	}
	s.stmts = map[string]*sql.Stmt{}
	s.stmtMu.Unlock()
	return s.db.Close()
}

// q rewrites a query written with ? placeholders for the backend.
func (s *Store) q(query string) string {
	if s.backend != Postgres {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func (s *Store) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrating read model: %w", err)
	}
	defer tx.Rollback()
	for _, stmt := range schema {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("migrating read model: %w (in %q)", err, firstLine(stmt))
		}
	}
	var version int
	err = tx.QueryRowContext(ctx, "SELECT version FROM schema_version WHERE id = 1").Scan(&version)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		if _, err := tx.ExecContext(ctx, s.q("INSERT INTO schema_version (id, version) VALUES (1, ?)"), schemaVersion); err != nil {
			return fmt.Errorf("migrating read model: recording schema version: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO checkpoint (id, block_num, tx_index, block_hash) VALUES (1, -1, -1, '')"); err != nil {
			return fmt.Errorf("migrating read model: creating checkpoint: %w", err)
		}
	case err != nil:
		return fmt.Errorf("migrating read model: reading schema version: %w", err)
	case version != schemaVersion:
		return fmt.Errorf("migrating read model: field=schema_version value=%q rule=must be %d; rebuild the read model from block 0", strconv.Itoa(version), schemaVersion)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrating read model: %w", err)
	}
	return nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// Reset empties every table and the checkpoint, in one transaction, so the
// next block applied must be block 0. Rebuilding from block 0 starts here.
func (s *Store) Reset(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("resetting read model: %w", err)
	}
	defer tx.Rollback()
	for _, t := range tables {
		if _, err := tx.ExecContext(ctx, "DELETE FROM "+t.name); err != nil {
			return fmt.Errorf("resetting read model: emptying %s: %w", t.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, "UPDATE checkpoint SET block_num = -1, tx_index = -1, block_hash = '' WHERE id = 1"); err != nil {
		return fmt.Errorf("resetting read model: clearing checkpoint: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("resetting read model: %w", err)
	}
	return nil
}
