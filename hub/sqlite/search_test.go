package sqlite

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/bench/feedgen"
	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/storetest"
)

// TestSearchBackfill opens a database whose items were stored while no
// index was kept (DisableSearch, or before 0010): they are indexed in the
// background, newest first, and found.
func TestSearchBackfill(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DisableSearch(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.SyncSources(ctx, map[string][]string{"s": {"c"}}); err != nil {
		t.Fatal(err)
	}
	items := backfillItems(2*backfillBatch + 7)
	if _, err := db.SaveItems(ctx, "s", items, time.Unix(2e9, 0)); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Search(ctx, hub.SearchQuery{Words: "减负", Limit: 5000}); err != nil || len(got) != 0 {
		t.Fatalf("Search before the backfill = %d items, %v; want none", len(got), err)
	}
	db.Close()

	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	waitBackfill(t, db)
	got, err := db.Search(ctx, hub.SearchQuery{Words: "减负", Limit: 5000})
	if err != nil || len(got) != len(items) {
		t.Fatalf("Search after the backfill = %d items, %v; want %d", len(got), err, len(items))
	}
}

func backfillItems(n int) []hub.Item {
	var items []hub.Item
	for i := range n {
		items = append(items, hub.Item{Key: fmt.Sprint(i), Title: fmt.Sprint("基层减负 ", i),
			URL: fmt.Sprint("https://example.com/", i), Published: time.Unix(int64(1e9+i), 0)})
	}
	return items
}

// waitBackfill waits until db's index holds every item stored before it.
func waitBackfill(t testing.TB, db *DB) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		var below int64
		if err := db.r.QueryRowContext(t.Context(), `SELECT below FROM fts.search_state`).Scan(&below); err != nil {
			t.Fatal(err)
		}
		if below <= 1 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("backfill: items below %d still to index after 30 s", below)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestSearchFileRemade: the index's file is derived data. Deleted,
// damaged, or older than the database (restored from a backup: it has
// indexed past the database's queue), it is made again at Open from the
// items, and Open does not fail.
func TestSearchFileRemade(t *testing.T) {
	ctx := t.Context()
	for _, tt := range []struct {
		name  string
		spoil func(t *testing.T, path string)
	}{
		{"deleted", func(t *testing.T, path string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + SearchSuffix + suffix)
			}
		}},
		{"damaged", func(t *testing.T, path string) {
			os.Remove(path + SearchSuffix + "-wal")
			os.Remove(path + SearchSuffix + "-shm")
			if err := os.WriteFile(path+SearchSuffix, []byte(strings.Repeat("not a database ", 1000)), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"ahead of the database", func(t *testing.T, path string) {
			x, err := sql.Open("sqlite", path+SearchSuffix)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if _, err := x.Exec(`UPDATE search_state SET done = done + 1000`); err != nil {
				t.Fatal(err)
			}
		}},
		{"of another database", func(t *testing.T, path string) {
			x, err := sql.Open("sqlite", path+SearchSuffix)
			if err != nil {
				t.Fatal(err)
			}
			defer x.Close()
			if _, err := x.Exec(`UPDATE search_state SET main = randomblob(16)`); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "hub.db")
			db, err := Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.SyncSources(ctx, map[string][]string{"s": {"c"}}); err != nil {
				t.Fatal(err)
			}
			items := backfillItems(30)
			if _, err := db.SaveItems(ctx, "s", items, time.Unix(2e9, 0)); err != nil {
				t.Fatal(err)
			}
			if err := db.FlushSearch(ctx); err != nil {
				t.Fatal(err)
			}
			db.Close()
			tt.spoil(t, path)

			db, err = Open(ctx, path)
			if err != nil {
				t.Fatalf("Open with the search file %s: %v", tt.name, err)
			}
			defer db.Close()
			waitBackfill(t, db)
			got, err := db.Search(ctx, hub.SearchQuery{Words: "减负", Limit: 100})
			if err != nil || len(got) != len(items) {
				t.Fatalf("Search = %d items, %v; want %d", len(got), err, len(items))
			}
		})
	}
}

// TestSearchBehindCommit: the index follows the saves of this process and
// of another one on the same files (a `yizhan fetch` beside serve), and
// drops what Prune deletes; SearchLag accounts for every change.
func TestSearchBehindCommit(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "hub.db")
	serve, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	if err := serve.SyncSources(ctx, map[string][]string{"s": {"c"}}); err != nil {
		t.Fatal(err)
	}
	fetch, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	fetch.idx.halt() // only serve's indexer runs
	items := backfillItems(40)
	if _, err := fetch.SaveItems(ctx, "s", items, time.Unix(2e9, 0)); err != nil {
		t.Fatal(err)
	}
	fetch.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		lag, err := serve.SearchLag(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if lag.Waiting == 0 && lag.Indexed == int64(len(items)) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve's index after another process saved: %+v, want %d indexed, none waiting", lag, len(items))
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err := serve.Search(ctx, hub.SearchQuery{Words: "减负", Limit: 100})
	if err != nil || len(got) != len(items) {
		t.Fatalf("Search = %d items, %v; want %d", len(got), err, len(items))
	}
	var queued int
	if err := serve.r.QueryRowContext(ctx, `SELECT count(*) FROM search_queue`).Scan(&queued); err != nil {
		t.Fatal(err)
	}
	if queued != 0 {
		t.Errorf("%d rows left in the queue once indexed, want it trimmed", queued)
	}
}

// TestSearchPlan holds the search to a backward walk of the FTS index
// (rowid, the key) joined by primary keys: no sort of all the matches.
func TestSearchPlan(t *testing.T) {
	db := openTest(t)
	query := strings.Replace(searchSQL, "%s", "i.id", 1)
	p := queryPlan(t, db.r, "search", query, `"减负"`, int64(1<<62), "", 50)
	for _, want := range []string{"SCAN fts.search VIRTUAL TABLE", "k USING COVERING INDEX search_keys_key (key=?)", "i USING INTEGER PRIMARY KEY (rowid=?)"} {
		if !strings.Contains(p, want) {
			t.Errorf("plan %q, want %q", p, want)
		}
	}
	if strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("plan %q sorts, want an index walk", p)
	}
}

// BenchmarkSaveItemsIndexing saves 50-item batches of new items, as one
// fetch of a feed does: with the indexer taking them into the search file
// behind the commits, with the queue filled and nothing draining it (what a
// save itself pays), and with no index kept (DisableSearch). items/s is the
// saves' rate; s-to-searchable is how long the index then takes to catch up.
//
//	go test ./hub/sqlite -run '^$' -bench SaveItemsIndexing -benchtime 400x -cpu 1 -count 3
func BenchmarkSaveItemsIndexing(b *testing.B) {
	const batchSize = 50
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name           string
		noSearch, halt bool
	}{{"indexed", false, false}, {"queued-only", false, true}, {"not-indexed", true, false}} {
		b.Run(bc.name, func(b *testing.B) {
			db := openTest(b)
			if bc.halt {
				db.idx.halt() // the queue fills, nothing drains it
			}
			if bc.noSearch {
				if err := db.DisableSearch(b.Context()); err != nil {
					b.Fatal(err)
				}
			}
			batches := make([][]hub.Item, b.N)
			for i := range batches {
				for j := range batchSize {
					n := i*batchSize + j
					batches[i] = append(batches[i], newsItem("s", n, base.Add(time.Duration(n)*time.Minute)))
				}
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := db.SaveItems(b.Context(), "s", batches[i], base); err != nil {
					b.Fatal(err)
				}
			}
			saved := b.Elapsed()
			// The index catches up: its freshness at the end of the run.
			if err := db.FlushSearch(b.Context()); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N*batchSize)/saved.Seconds(), "items/s")
			b.ReportMetric((b.Elapsed() - saved).Seconds(), "s-to-searchable")
		})
	}
}

// TestSearchSwitch: [hub] search = false, then on again.
func TestSearchSwitch(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switch.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	storetest.SearchSwitch(t, db, func(t *testing.T) hub.Store {
		db, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}, func(s hub.Store) { waitBackfill(t, s.(*DB)) })
}

// BenchmarkIndexQueue measures the indexer alone: b.N articles of
// bench/feedgen's random news prose (about 2,600 characters each, as
// bench/ingest.sh's feeds carry) saved with no indexer running, then taken
// into the index from the queue.
//
//	go test ./hub/sqlite -run '^$' -bench IndexQueue -benchtime 20000x -cpu 1
func BenchmarkIndexQueue(b *testing.B) {
	const batchSize = 50
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	db := openTest(b)
	db.idx.halt()
	var batch []hub.Item
	for n := range b.N {
		a := feedgen.NewArticle(n/batchSize, n)
		batch = append(batch, hub.Item{Key: a.GUID, URL: a.Link, Title: a.Title, Content: a.HTML, Published: a.Published})
		if len(batch) == batchSize || n == b.N-1 {
			if _, err := db.SaveItems(b.Context(), "s", batch, base); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	b.ResetTimer()
	cpu := cpuTime()
	db.startIndexer()
	if err := db.FlushSearch(b.Context()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "items/s")
	// CPU time is steadier than the wall clock on a shared machine.
	b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/float64(b.N), "cpu-µs/item")
	b.StopTimer()
	if _, err := db.idx.w.ExecContext(b.Context(), `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		b.Fatal(err)
	}
	if fi, err := os.Stat(db.idx.path); err == nil {
		b.ReportMetric(float64(fi.Size())/float64(b.N), "index-B/item")
	}
}

// cpuTime is the CPU time, user and system, this process has used.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// TestSaveWaitsForABackloggedIndex: a save made while the index is more
// than maxBacklog changes behind returns only once it is within that, so
// that a burst of saves is searchable within seconds.
func TestSaveWaitsForABackloggedIndex(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	if err := db.SyncSources(ctx, map[string][]string{"s": {"c"}}); err != nil {
		t.Fatal(err)
	}
	db.idx.halt() // the queue fills
	items := backfillItems(maxBacklog + 2*queueBatch)
	for chunk := range slices.Chunk(items, 500) {
		if _, err := db.SaveItems(ctx, "s", chunk, time.Unix(2e9, 0)); err != nil {
			t.Fatal(err)
		}
	}
	var end int64
	if err := db.r.QueryRowContext(ctx, queueEndSQL).Scan(&end); err != nil {
		t.Fatal(err)
	}
	db.startIndexer()
	one := hub.Item{Key: "one more", Title: "减负", URL: "https://example.com/one"}
	if _, err := db.SaveItems(ctx, "s", []hub.Item{one}, time.Unix(2e9, 0)); err != nil {
		t.Fatal(err)
	}
	if behind := end - db.idx.done.Load(); behind > maxBacklog {
		t.Errorf("the save returned with the index %d changes behind, want at most %d", behind, maxBacklog)
	}
}
