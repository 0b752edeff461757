package sqlite

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/storetest"
)

// TestSearchBackfill opens a database whose items were stored before the
// search index (as 0010 finds them): they are indexed in the background,
// newest first, and found.
func TestSearchBackfill(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	db.noSearch = true // as before 0010
	if err := db.SyncSources(ctx, map[string][]string{"s": {"c"}}); err != nil {
		t.Fatal(err)
	}
	var items []hub.Item
	for i := range 2*backfillBatch + 7 {
		items = append(items, hub.Item{Key: fmt.Sprint(i), Title: fmt.Sprint("基层减负 ", i),
			URL: fmt.Sprint("https://example.com/", i), Published: time.Unix(int64(1e9+i), 0)})
	}
	if _, err := db.SaveItems(ctx, "s", items, time.Unix(2e9, 0)); err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `UPDATE search_backfill SET below = (SELECT max(id) + 1 FROM items)`); err != nil {
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
	<-db.backfilled
	got, err := db.Search(ctx, hub.SearchQuery{Words: "减负", Limit: 5000})
	if err != nil || len(got) != len(items) {
		t.Fatalf("Search after the backfill = %d items, %v; want %d", len(got), err, len(items))
	}
}

// TestSearchPlan holds the search to a backward walk of the FTS index
// (rowid, the key) joined by primary keys: no sort of all the matches.
func TestSearchPlan(t *testing.T) {
	db := openTest(t)
	query := strings.Replace(searchSQL, "%s", "i.id", 1)
	p := queryPlan(t, db.r, "search", query, `"减负"`, int64(1<<62), "", 50)
	for _, want := range []string{"SCAN search VIRTUAL TABLE", "k USING COVERING INDEX search_keys_key (key=?)", "i USING INTEGER PRIMARY KEY (rowid=?)"} {
		if !strings.Contains(p, want) {
			t.Errorf("plan %q, want %q", p, want)
		}
	}
	if strings.Contains(p, "TEMP B-TREE") {
		t.Errorf("plan %q sorts, want an index walk", p)
	}
}

// BenchmarkSaveItemsIndexing saves 50-item batches of new items, as one
// fetch of a feed does, with the search index kept in the transaction and
// without it (the store before issue 13): the cost of indexing at ingest.
//
//	go test ./hub/sqlite -run '^$' -bench SaveItemsIndexing -benchtime 400x -cpu 1 -count 3
func BenchmarkSaveItemsIndexing(b *testing.B) {
	const batchSize = 50
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	for _, bc := range []struct {
		name     string
		noSearch bool
	}{{"indexed", false}, {"not-indexed", true}} {
		b.Run(bc.name, func(b *testing.B) {
			db := openTest(b)
			db.noSearch = bc.noSearch
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
			b.ReportMetric(float64(b.N*batchSize)/b.Elapsed().Seconds(), "items/s")
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
	}, func(s hub.Store) { <-s.(*DB).backfilled })
}
