// Package sqlite is the hub.Store on SQLite, through modernc.org/sqlite (pure
// Go, no cgo). All of yizhan's SQL lives here; the schema comes from numbered
// migrations embedded in the binary.
//
// One writer connection runs immediate transactions; a separate pool of
// query-only connections serves reads, which WAL mode never blocks behind the
// writer. sqlite imports hub only: never sources, feeds or cmd.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/yizhan-hub/yizhan/hub"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (search.go names it too, for its connection hook)
)

// DSN parameters, read by modernc.org/sqlite on every new connection. Its
// shorthand keys (_journal_mode, _synchronous, …) are validated, so a typo
// fails Open, and are applied after the _pragma values whatever their order
// here; the _pragma values run sorted by name.
const (
	// The writer. WAL, so that readers never wait for it. synchronous=NORMAL
	// survives a crash of the process in WAL mode and loses only the last
	// transactions on power loss. Immediate transactions take the write lock
	// at BEGIN, so a read-then-write never fails with SQLITE_BUSY half-way,
	// as a deferred one can whatever the busy timeout.
	//
	// page_size(8192) only counts when the file is created, and works because
	// _pragma values run before _journal_mode: with 4 KB pages a row of 2 to
	// 3 KB (a Chinese article) fills a page alone, and a million items take
	// 4.2 GB instead of 2.9 GB. temp_store(memory) keeps the statement
	// journal of each INSERT (it fires a trigger) out of a temporary file:
	// 20% fewer syscalls per saved item.
	writerParams = "_journal_mode=WAL&_synchronous=NORMAL&_busy_timeout=10000" +
		"&_foreign_keys=on&_txlock=immediate&_time_format=sqlite" +
		"&_pragma=page_size(8192)&_pragma=temp_store(memory)"

	// The readers. journal_mode is a property of the file, set by the writer
	// before any reader connects (TestPragmas checks that they see WAL);
	// query_only makes a stray write an error.
	readerParams = "_busy_timeout=10000&_foreign_keys=on&_query_only=on&_time_format=sqlite"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite hub.Store. Its methods are safe for concurrent use.
type DB struct {
	w *sql.DB // the single writer connection
	r *sql.DB // the read pool

	// Prepared once: on the writer, used inside each SaveItems transaction,
	// and on the readers.
	insertItem, updateItem, candidatesStmt                   *sql.Stmt
	channelSources, sourceItems, sourceNewest, latest, byIDs *sql.Stmt
	stmts                                                    []*sql.Stmt // all of the above, to close

	noStories bool // SaveItems links no stories: the baseline of the ingest benchmarks

	idx         *searchIndex // the search index and its indexer (search.go)
	searchQuery *sql.Stmt    // on the readers

	closeOnce sync.Once
	closeErr  error
}

var _ hub.Store = (*DB)(nil)

// Open opens the SQLite database at path, creating it if absent, and brings
// its schema up to date. path is a file name; ":memory:" and names holding
// '?' are refused, since the writer and the readers must share one file.
func Open(ctx context.Context, path string) (*DB, error) {
	if path == "" || path == ":memory:" || strings.ContainsRune(path, '?') || strings.HasPrefix(path, "file:") {
		return nil, fmt.Errorf("open sqlite %q: want a plain file name", path)
	}
	db, err := open(ctx, path, migrations)
	if err == nil {
		err = db.prepare(ctx)
	}
	if err == nil {
		err = db.prepareSearch(ctx)
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.startIndexer()
	return db, nil
}

// open opens the writer and the readers after applying the migrations of fsys.
func open(ctx context.Context, path string, fsys fs.FS) (_ *DB, err error) {
	db := &DB{}
	defer func() {
		if err != nil {
			db.Close()
		}
	}()

	if db.w, err = openWriter(path); err != nil {
		return nil, err
	}
	if err := migrate(ctx, db.w, fsys); err != nil {
		return nil, err
	}
	// The search index, before the readers that attach it (when fsys has
	// its migration: tests migrate old schemas).
	var hasSearch bool
	if err := db.w.QueryRowContext(ctx, `SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'search_meta'`).Scan(&hasSearch); err != nil {
		return nil, err
	}
	db.idx = newSearchIndex(path)
	if hasSearch {
		if err := db.openSearch(ctx, path); err != nil {
			return nil, err
		}
	}

	db.r, err = sql.Open("sqlite", path+"?"+readerParams)
	if err != nil {
		return nil, err
	}
	n := max(4, 2*runtime.GOMAXPROCS(0))
	db.r.SetMaxOpenConns(n)
	db.r.SetMaxIdleConns(n)
	db.r.SetConnMaxLifetime(0)
	db.r.SetConnMaxIdleTime(0)
	if err := db.r.PingContext(ctx); err != nil {
		return nil, fmt.Errorf("readers: %w", err)
	}
	return db, nil
}

// openWriter opens the one writer connection of the file at path: SQLite
// allows one writer at a time anyway, and queueing in database/sql is
// cheaper and fairer than spinning on the busy handler.
func openWriter(path string) (*sql.DB, error) {
	w, err := sql.Open("sqlite", path+"?"+writerParams)
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	return w, nil
}

// prepare prepares the statements run on every fetch and every feed.
func (db *DB) prepare(ctx context.Context) error {
	for _, p := range []struct {
		pool  *sql.DB
		stmt  **sql.Stmt
		query string
	}{
		{db.w, &db.insertItem, insertItemSQL},
		{db.w, &db.updateItem, updateItemSQL},
		{db.w, &db.candidatesStmt, candidatesSQL},
		{db.r, &db.channelSources, channelSourcesSQL},
		{db.r, &db.sourceItems, sourceItemsSQL},
		{db.r, &db.sourceNewest, sourceNewestSQL},
		{db.r, &db.latest, latestSQL},
		{db.r, &db.byIDs, byIDsSQL},
	} {
		st, err := p.pool.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.query, err)
		}
		*p.stmt = st
		db.stmts = append(db.stmts, st)
	}
	return nil
}

// Ping reports whether the database answers reads. It does not wait for the
// writer, which a long transaction may hold: a health check must not hang
// behind an ingest.
func (db *DB) Ping(ctx context.Context) error {
	var n int
	if err := db.r.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema").Scan(&n); err != nil {
		return fmt.Errorf("ping sqlite: %w", err)
	}
	return nil
}

// Close closes the database. Calls after the first return the first's result.
func (db *DB) Close() error {
	db.closeOnce.Do(func() {
		var errs []error
		if db.idx != nil {
			db.idx.halt()
			if db.idx.w != nil {
				errs = append(errs, db.idx.w.Close())
			}
		}
		for _, st := range db.stmts {
			errs = append(errs, st.Close())
		}
		for _, c := range []*sql.DB{db.r, db.w} {
			if c != nil {
				errs = append(errs, c.Close())
			}
		}
		if err := errors.Join(errs...); err != nil {
			db.closeErr = fmt.Errorf("close sqlite: %w", err)
		}
	})
	return db.closeErr
}

// migrate applies, in one immediate transaction, the migrations of fsys
// (migrations/NNNN_name.sql, numbered from 1 without gaps) that the
// database's user_version says it lacks.
func migrate(ctx context.Context, w *sql.DB, fsys fs.FS) error {
	names, err := fs.Glob(fsys, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// fs.Glob returns names sorted, and the numbers are zero-padded.
	for i, name := range names {
		num, _, _ := strings.Cut(path.Base(name), "_")
		if n, err := strconv.Atoi(num); err != nil || n != i+1 {
			return fmt.Errorf("migrate: %s: want number %04d", name, i+1)
		}
	}

	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if version > len(names) {
		return fmt.Errorf("migrate: database schema version %d is newer than this program's %d", version, len(names))
	}
	if version == len(names) {
		return nil
	}
	for _, name := range names[version:] {
		body, err := fs.ReadFile(fsys, name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate %s: %w", path.Base(name), err)
		}
	}
	// user_version lives in the database header, which the transaction
	// covers: a failed migration leaves the old number.
	if _, err := tx.ExecContext(ctx, "PRAGMA user_version = "+strconv.Itoa(len(names))); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return nil
}
