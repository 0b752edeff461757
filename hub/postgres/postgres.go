// Package postgres is the PostgreSQL hub.Store, for several yizhan
// processes sharing one database (SPEC.md "Several machines"). It passes the
// same conformance suite as hub/sqlite (hub/storetest), runs its embedded,
// numbered migrations at open, and keeps times as BIGINT unix nanoseconds
// as hub/sqlite does, so that both order and compare alike.
//
// It uses github.com/jackc/pgx/v5 (pure Go). The pool's size and timeouts
// come from the URL's parameters (pool_max_conns, pool_max_conn_lifetime,
// connect_timeout, statement_timeout …), as pgxpool reads them.
//
// postgres imports hub and hub/story only; only cmd/yizhan and tests
// import it.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math"
	neturl "net/url"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/yizhan-hub/yizhan/hub"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the PostgreSQL hub.Store. Its methods are safe for concurrent use,
// and several processes may share one database.
type DB struct {
	pool *pgxpool.Pool

	stopBackfill func()        // stops the backfill of the search index (search.go)
	noSearch     bool          // DisableSearch: SaveItems indexes nothing
	backfilled   chan struct{} // closed when the backfill ends
	closeOnce    sync.Once
}

var _ hub.Store = (*DB)(nil)

// IsURL reports whether a database setting names a PostgreSQL database
// rather than an SQLite file.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at url (postgres://user:pass@host/db?…)
// and brings its schema up to date.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db := &DB{pool: pool}
	if err := migrate(ctx, pool, migrations); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres %s@%s/%s: %w", cfg.ConnConfig.User, cfg.ConnConfig.Host, cfg.ConnConfig.Database, err)
	}
	if _, err := pool.Exec(ctx, resumeSearchSQL); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres: resume search: %w", err)
	}
	db.startBackfill()
	return db, nil
}

// migrationLock is the advisory lock key under which one process migrates
// while the others wait ("yizhan" in ASCII).
const migrationLock = 0x79697a68616e

// migrate applies, in one transaction, the migrations of fsys
// (migrations/NNNN_name.sql, numbered from 1 without gaps) that the
// schema_version table says the database lacks. Processes starting together
// take turns under an advisory lock.
func migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for i, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		if n, err := strconv.Atoi(num); err != nil || n != i+1 {
			return fmt.Errorf("migrate: %s: want number %04d", name, i+1)
		}
	}
	tx, err := pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(migrationLock)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var version int
	err = tx.QueryRow(ctx, `SELECT version FROM schema_version`).Scan(&version)
	if errors.Is(err, pgx.ErrNoRows) {
		_, err = tx.Exec(ctx, `INSERT INTO schema_version (version) VALUES (0)`)
	}
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if version > len(names) {
		return fmt.Errorf("migrate: database schema version %d is newer than this program's %d", version, len(names))
	}
	for _, name := range names[version:] {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate %s: %w", path.Base(name), err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE schema_version SET version = $1`, len(names)); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}

// Ping reports whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close closes the pool. Calls after the first do nothing.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		if db.stopBackfill != nil {
			db.stopBackfill()
		}
		db.pool.Close()
	})
	return nil
}

// Times are stored as UTC unix nanoseconds (hub.UnixNanos), which order
// correctly whatever zone they came in.
func nanos(t time.Time) int64 { return hub.UnixNanos(t) }

// nullNanos stores the zero time as NULL: 0 is 1970-01-01, a real instant.
func nullNanos(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := nanos(t)
	return &n
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullNanos(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return fromNanos(*n)
}

// position is a place in the order of Items: (sort_date, id).
type position struct{ date, id int64 }

// top is the position before every item: walks start there.
var top = position{math.MaxInt64, math.MaxInt64}

// Redact returns a database URL with its password replaced by "xxxxx", for
// logs and messages.
func Redact(database string) string {
	u, err := neturl.Parse(database)
	if err != nil {
		return "postgres://(unparsable URL)"
	}
	return u.Redacted()
}
