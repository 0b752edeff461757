package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) hub.Store {
		return openTest(t)
	})
}

// openTest opens a new database file in t.TempDir and closes it at the end of t.
func openTest(tb testing.TB) *DB {
	tb.Helper()
	db, err := Open(context.Background(), filepath.Join(tb.TempDir(), "yizhan.db"))
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func TestOpenRefusesNonFiles(t *testing.T) {
	for _, path := range []string{"", ":memory:", "x.db?mode=ro", "file:x.db"} {
		if db, err := Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%q): nil error, want an error", path)
		}
	}
	if _, err := Open(t.Context(), filepath.Join(t.TempDir(), "missing", "dir", "yizhan.db")); err == nil {
		t.Errorf("Open in a missing directory: nil error, want an error")
	}
}

// TestPragmas checks that the DSN keys really reach every connection: WAL
// is a property of the file, so the readers must see it too.
func TestPragmas(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	pragma := func(c *sql.Conn, name string) string {
		t.Helper()
		var v string
		if err := c.QueryRowContext(ctx, "PRAGMA "+name).Scan(&v); err != nil {
			t.Fatalf("PRAGMA %s: %v", name, err)
		}
		return v
	}

	w, err := db.w.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"journal_mode": "wal", "synchronous": "1", "busy_timeout": "10000",
		"foreign_keys": "1", "query_only": "0", "page_size": "8192", "temp_store": "2",
	} {
		if got := pragma(w, name); got != want {
			t.Errorf("writer: PRAGMA %s = %s, want %s", name, got, want)
		}
	}
	w.Close()

	// Hold several reader connections at once so that they are distinct.
	var readers []*sql.Conn
	for range 3 {
		c, err := db.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		readers = append(readers, c)
	}
	for i, c := range readers {
		for name, want := range map[string]string{
			"journal_mode": "wal", "busy_timeout": "10000", "query_only": "1",
		} {
			if got := pragma(c, name); got != want {
				t.Errorf("reader %d: PRAGMA %s = %s, want %s", i, name, got, want)
			}
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM items"); err == nil {
			t.Errorf("reader %d: DELETE succeeded, want a query-only connection", i)
		}
		c.Close()
	}
}

// TestReadsDuringWriteTransaction holds the writer inside an open write
// transaction, as a long SaveItems would, and reads through the store.
func TestReadsDuringWriteTransaction(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	if err := db.SyncSources(ctx, map[string][]string{"a": {"c"}}); err != nil {
		t.Fatal(err)
	}
	committed := hub.Item{Key: "committed", Title: "已提交", Published: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)}
	if _, err := db.SaveItems(ctx, "a", []hub.Item{committed}, time.Now()); err != nil {
		t.Fatal(err)
	}

	tx, err := db.w.BeginTx(ctx, nil) // BEGIN IMMEDIATE: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `UPDATE items SET title = 'uncommitted'`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO items (source_id, key, hash, first_seen, sort_date, url, title,
		image, categories, credit, credit_url, via, author, copyright, summary, content)
		VALUES ('a', 'uncommitted', x'00', 0, 0, '', '', '', '[]', '', '', '', '', '', '', '')`); err != nil {
		t.Fatal(err)
	}

	// The readers must answer at once, not after busy_timeout (10 s).
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			start := time.Now()
			got, err := db.Items(rctx, hub.Query{Channel: []string{"c", ""}[i%2], Limit: 10})
			if err != nil {
				t.Errorf("Items during a write transaction: %v", err)
				return
			}
			if len(got) != 1 || got[0].Title != committed.Title {
				t.Errorf("Items during a write transaction = %+v, want only the committed item", got)
			}
			if _, err := db.SourceStats(rctx); err != nil {
				t.Errorf("SourceStats during a write transaction: %v", err)
			}
			if _, err := db.KnownURLs(rctx, "a", []string{""}); err != nil {
				t.Errorf("KnownURLs during a write transaction: %v", err)
			}
			if _, err := db.FetchState(rctx, "a"); err != nil {
				t.Errorf("FetchState during a write transaction: %v", err)
			}
			if err := db.Ping(rctx); err != nil {
				t.Errorf("Ping during a write transaction: %v", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("reads took %v during a write transaction, want no waiting", d)
			}
		})
	}
	wg.Wait()

	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err := db.Items(ctx, hub.Query{Channel: "c", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Errorf("Items after commit = %d items, want 2", len(got))
	}
}

// TestTwoProcesses opens the file twice, as `yizhan fetch` beside a running
// `yizhan serve` does, and writes through both at once.
func TestTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "yizhan.db")
	var dbs []*DB
	for range 2 {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		dbs = append(dbs, db)
	}
	var wg sync.WaitGroup
	for i, db := range dbs {
		for g := range 3 {
			src := fmt.Sprintf("s%d-%d", i, g)
			wg.Go(func() {
				for b := range 20 {
					items := []hub.Item{{Key: fmt.Sprint(b), Title: "x"}, {Key: "same", Title: fmt.Sprint(b)}}
					if _, err := db.SaveItems(t.Context(), src, items, time.Now()); err != nil {
						t.Errorf("SaveItems through handle %d: %v", i, err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	stats, err := dbs[0].SourceStats(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 6 {
		t.Fatalf("SourceStats = %d sources, want 6", len(stats))
	}
	for _, st := range stats {
		if st.Items != 21 {
			t.Errorf("SourceStats[%s].Items = %d, want 21", st.SourceID, st.Items)
		}
	}
}

func TestMigrate(t *testing.T) {
	ctx := t.Context()
	userVersion := func(db *sql.DB) int {
		t.Helper()
		var v int
		if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	tables := func(db *sql.DB) string {
		t.Helper()
		rows, err := db.QueryContext(ctx, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var names []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			names = append(names, n)
		}
		return strings.Join(names, " ")
	}
	m := func(files ...string) fstest.MapFS {
		fsys := fstest.MapFS{}
		for i := 0; i < len(files); i += 2 {
			fsys["migrations/"+files[i]] = &fstest.MapFile{Data: []byte(files[i+1])}
		}
		return fsys
	}
	one := m("0001_a.sql", "CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);")
	two := m("0001_a.sql", "CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);",
		"0002_c.sql", "CREATE TABLE c (z INTEGER); INSERT INTO a VALUES (1);")

	path := filepath.Join(t.TempDir(), "m.db")
	db, err := open(ctx, path, one)
	if err != nil {
		t.Fatalf("open with one migration: %v", err)
	}
	if v, tb := userVersion(db.w), tables(db.w); v != 1 || tb != "a b" {
		t.Errorf("after 0001: user_version %d, tables %q; want 1, %q", v, tb, "a b")
	}
	db.Close()

	// Reopening applies only what is missing.
	db, err = open(ctx, path, two)
	if err != nil {
		t.Fatalf("open with two migrations: %v", err)
	}
	var rows int
	db.w.QueryRowContext(ctx, "SELECT count(*) FROM a").Scan(&rows)
	if v := userVersion(db.w); v != 2 || rows != 1 {
		t.Errorf("after 0002: user_version %d, rows of a %d; want 2, 1", v, rows)
	}
	db.Close()
	db, err = open(ctx, path, two)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	db.w.QueryRowContext(ctx, "SELECT count(*) FROM a").Scan(&rows)
	if rows != 1 {
		t.Errorf("reopen ran 0002 again: %d rows in a, want 1", rows)
	}
	db.Close()

	// A newer database is refused, rather than used with the wrong schema.
	if db, err := open(ctx, path, one); err == nil {
		db.Close()
		t.Errorf("open of a version-2 database with one migration: nil error, want an error")
	}

	// A failing migration leaves nothing behind, the version included.
	fresh := filepath.Join(t.TempDir(), "f.db")
	broken := m("0001_a.sql", "CREATE TABLE a (x INTEGER);", "0002_bad.sql", "CREATE TABLE c (z INTEGER); SELEKT 1;")
	if db, err := open(ctx, fresh, broken); err == nil {
		db.Close()
		t.Fatalf("open with a broken migration: nil error, want an error")
	} else if !strings.Contains(err.Error(), "0002_bad.sql") {
		t.Errorf("error %q does not name the broken migration", err)
	}
	db, err = open(ctx, fresh, fstest.MapFS{})
	if err != nil {
		t.Fatal(err)
	}
	if v, tb := userVersion(db.w), tables(db.w); v != 0 || tb != "" {
		t.Errorf("after a failed migration: user_version %d, tables %q; want 0 and none", v, tb)
	}
	db.Close()

	if db, err := open(ctx, filepath.Join(t.TempDir(), "g.db"), m("0001_a.sql", "", "0003_c.sql", "")); err == nil {
		db.Close()
		t.Errorf("open with migrations 0001 and 0003: nil error, want an error about the gap")
	}
}

// queryPlan returns the details of query's plan on conn, joined by "; ".
func queryPlan(t *testing.T, conn *sql.DB, name, query string, args ...any) string {
	t.Helper()
	rows, err := conn.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return strings.Join(plan, "; ")
}

// TestQueryPlans holds the hot queries to index scans without a sort step:
// at a million items, a sort reads every row of the channel.
func TestQueryPlans(t *testing.T) {
	db := openTest(t)
	for _, tt := range []struct {
		name, query string
		args        []any
		want        string
	}{
		{"source items", sourceItemsSQL, []any{"a", top.date, top.id, 50}, "USING INDEX items_source_date (source_id=? AND sort_date<?)"},
		{"source newest", sourceNewestSQL, []any{"a", top.date, top.id, 50}, "USING COVERING INDEX items_source_date (source_id=? AND sort_date<?)"},
		{"latest", latestSQL, []any{top.date, top.id, 50}, "USING INDEX items_date (sort_date<?)"},
		{"candidates by url", candidatesSQL, []any{"[1]", "[]", 0, 1, "[]", "[]", "[5,6]"}, "USING COVERING INDEX items_url_key (day=? AND url_key=?)"},
		{"candidates by title", candidatesSQL, []any{"[]", "[1]", 0, 1, "[]", "[5,6]", "[]"}, "USING INDEX items_title_key (day=? AND title_key=?)"},
		{"candidates by 原标题", candidatesSQL, []any{"[]", "[1]", 0, 1, "[]", "[5,6]", "[]"}, "USING INDEX items_orig_key (day=? AND orig_key=?)"},
		{"story members", storyMembersSQL, []any{"[1]"}, "USING INDEX items_story (story=?)"},
		{"stored", storedSQL(2), []any{"a", "k1", "k2"}, "USING INDEX sqlite_autoindex_items_1 (source_id=? AND key=?)"},
		{"by id", byIDsSQL, []any{"[1,2]"}, "USING INTEGER PRIMARY KEY (rowid=?)"},
		{"source stats", sourceStatsSQL, nil, "SEARCH items USING COVERING INDEX items_source_date (source_id=?)"},
	} {
		p := queryPlan(t, db.r, tt.name, tt.query, tt.args...)
		if !strings.Contains(p, tt.want) {
			t.Errorf("%s: plan %q, want %q", tt.name, p, tt.want)
		}
		// Sorting the handful of rows fetched by id is fine; nothing else may sort.
		if tt.name != "by id" && !strings.HasPrefix(tt.name, "candidates") && strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: plan %q sorts, want an index walk", tt.name, p)
		}
	}
}

// TestTimesOutOfRange stores dates beyond what unix nanoseconds hold.
func TestTimesOutOfRange(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	db.SyncSources(ctx, map[string][]string{"a": {"c"}})
	now := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	items := []hub.Item{
		{Key: "year1", Published: time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)},
		{Key: "year9999", Published: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)},
		{Key: "now", Published: now},
	}
	if _, err := db.SaveItems(ctx, "a", items, now); err != nil {
		t.Fatal(err)
	}
	got, err := db.Items(ctx, hub.Query{Channel: "c", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, it := range got {
		order = append(order, it.Key)
	}
	if strings.Join(order, " ") != "year9999 now year1" {
		t.Errorf("Items = %q, want year9999 now year1", order)
	}
	if res, err := db.SaveItems(ctx, "a", items, now); err != nil || res.Unchanged != 3 {
		t.Errorf("saving them again = %+v, %v; want 3 unchanged", res, err)
	}
}

func TestCloseTwice(t *testing.T) {
	db := openTest(t)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := db.Ping(t.Context()); err == nil {
		t.Errorf("Ping after Close: nil error, want an error")
	}
}

// TestMigrateKeepsFetchState upgrades a database made by 0001 alone: the
// fetch state already stored survives 0002, which adds columns with
// neutral values.
func TestMigrateKeepsFetchState(t *testing.T) {
	ctx := t.Context()
	first, err := migrations.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := open(ctx, path, fstest.MapFS{"migrations/0001_init.sql": {Data: first}})
	if err != nil {
		t.Fatal(err)
	}
	old := hub.FetchState{SourceID: "a", ETag: `"e"`, URL: "http://example.com/new", LastTry: time.Unix(100, 0), Failures: 2, LastError: "boom"}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO fetch_state (source_id, etag, last_modified, body_hash, url, last_try, last_error, failures)
		VALUES (?, ?, '', '', ?, ?, ?, ?)`, old.SourceID, old.ETag, old.URL, old.LastTry.UnixNano(), old.LastError, old.Failures); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatalf("open with every migration: %v", err)
	}
	defer db.Close()
	got, err := db.FetchState(ctx, "a")
	if err != nil {
		t.Fatal(err)
	}
	if got.ETag != old.ETag || got.URL != old.URL || !got.LastTry.Equal(old.LastTry) || got.Failures != 2 ||
		got.ConfigURL != "" || got.Disabled != "" || got.Suspect != "" || got.LastCount != 0 {
		t.Errorf("FetchState after migrating = %+v, want %+v", got, old)
	}
}
