package sqlite

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// TestPruneQueryPlans holds retention's statements to index walks: a
// prune of a million-item database must not sort or scan all of it.
func TestPruneQueryPlans(t *testing.T) {
	db := openTest(t)
	for _, tt := range []struct {
		name, query string
		args        []any
		want        []string
	}{
		{"prune items", pruneItemsSQL, []any{"a", 1, 2, 500}, []string{"USING COVERING INDEX items_source_date (source_id=? AND sort_date<?)"}},
		{"forget", forgetSQL, []any{1, 500}, []string{"USING COVERING INDEX pruned_items_seen (seen_at<?)"}},
		{"pruned keys", prunedKeysSQL(2), []any{"a", "k1", "k2"}, []string{"USING PRIMARY KEY (source_id=? AND key=?)"}},
		{"known urls", knownURLsSQL(2), []any{"a", "u1", "u2"}, []string{
			"USING COVERING INDEX items_source_url (source_id=? AND url=?)",
			"USING COVERING INDEX pruned_items_source_url (source_id=? AND url=?)",
		}},
	} {
		p := queryPlan(t, db.w, tt.name, tt.query, tt.args...)
		for _, want := range tt.want {
			if !strings.Contains(p, want) {
				t.Errorf("%s: plan %q, want %q", tt.name, p, want)
			}
		}
		if strings.Contains(p, "TEMP B-TREE") {
			t.Errorf("%s: plan %q sorts, want an index walk", tt.name, p)
		}
	}
}

// TestPruneSeenOncePerDay: a fetch carrying a pruned key moves its
// tombstone's seen_at, but not more than once a day, so that every fetch of
// an unchanged feed does not write.
func TestPruneSeenOncePerDay(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	day0 := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	db.SyncSources(ctx, map[string][]string{"a": {"c"}})
	old := hub.Item{Key: "old", URL: "https://example.com/old", Published: day0.AddDate(0, 0, -40)}
	if _, err := db.SaveItems(ctx, "a", []hub.Item{old}, day0); err != nil {
		t.Fatal(err)
	}
	if res, err := db.Prune(ctx, []hub.Channel{{ID: "c", KeepDays: 30}}, 0, day0); err != nil || res.Removed != 1 {
		t.Fatalf("Prune = %+v, %v; want 1 removed", res, err)
	}
	seen := func() time.Time {
		t.Helper()
		var n int64
		if err := db.r.QueryRowContext(ctx, `SELECT seen_at FROM pruned_items WHERE source_id = 'a' AND key = 'old'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return fromNanos(n)
	}
	for _, tt := range []struct {
		fetch, want time.Time
	}{
		{day0.Add(23 * time.Hour), day0},
		{day0.Add(25 * time.Hour), day0.Add(25 * time.Hour)},
		{day0.Add(30 * time.Hour), day0.Add(25 * time.Hour)},
		{day0.Add(50 * time.Hour), day0.Add(50 * time.Hour)},
	} {
		res, err := db.SaveItems(ctx, "a", []hub.Item{old}, tt.fetch)
		if err != nil || res != (hub.SaveResult{Pruned: 1}) {
			t.Errorf("SaveItems at %v = %+v, %v; want Pruned 1", tt.fetch, res, err)
		}
		if got := seen(); !got.Equal(tt.want) {
			t.Errorf("after a fetch at %v, seen_at = %v, want %v", tt.fetch, got, tt.want)
		}
	}
}

// TestPruneMigrates opens a database made before tombstones existed and
// prunes it.
func TestPruneMigrates(t *testing.T) {
	ctx := t.Context()
	old := fstest.MapFS{}
	for _, name := range []string{"0001_init.sql", "0002_fetch_state_health.sql"} {
		b, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			t.Fatal(err)
		}
		old["migrations/"+name] = &fstest.MapFile{Data: b}
	}
	path := filepath.Join(t.TempDir(), "old.db")
	db, err := open(ctx, path, old)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.ExecContext(ctx, `INSERT INTO items (source_id, key, hash, first_seen, sort_date, url, title,
		image, categories, credit, credit_url, via, author, copyright, summary, content)
		VALUES ('a', 'k', x'00', 0, 0, 'https://example.com/k', '', '', '[]', '', '', '', '', '', '', '');
		INSERT INTO source_channels VALUES ('c', 'a')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	db2, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	res, err := db2.Prune(ctx, []hub.Channel{{ID: "c", KeepDays: 1}}, 0, time.Now())
	if err != nil || res.Removed != 1 {
		t.Errorf("Prune after migrating = %+v, %v; want the 1970 item removed", res, err)
	}
}

// TestPruneDoesNotHoldTheWriter prunes 10,000 realistic items while an
// ingest saves and a reader reads, and measures how long each waited. A
// prune in one transaction would make the ingest wait for all of it; in
// batches it waits for about one batch.
func TestPruneDoesNotHoldTheWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: builds 10,000 items")
	}
	const old = 20 * hub.PruneBatch
	db := openTest(t)
	ctx := t.Context()
	// What is measured is the write lock. With the search index on, the
	// prune's 10,000 deletions would also queue for the indexer, and the
	// saves wait for it (throttle), which is another matter.
	if err := db.DisableSearch(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	db.SyncSources(ctx, map[string][]string{"a": {"c"}, "w": {"c"}})
	var batch []hub.Item
	for i := range old {
		batch = append(batch, newsItem("a", i, now.AddDate(-2, 0, 0).Add(time.Duration(i)*time.Minute)))
		if len(batch) == 1000 {
			if _, err := db.SaveItems(ctx, "a", batch, now); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}

	var mu sync.Mutex
	var maxSave, maxRead time.Duration
	saves, reads := 0, 0
	done := make(chan struct{})
	var wg sync.WaitGroup
	// busy runs op until done, counting its runs and keeping the longest.
	busy := func(longest *time.Duration, runs *int, op func(i int) error) {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				start := time.Now()
				if err := op(i); err != nil {
					t.Error(err)
					return
				}
				d := time.Since(start)
				mu.Lock()
				*longest, *runs = max(*longest, d), *runs+1
				mu.Unlock()
			}
		})
	}
	busy(&maxSave, &saves, func(i int) error {
		_, err := db.SaveItems(ctx, "w", []hub.Item{newsItem("w", i, now)}, now)
		return err
	})
	busy(&maxRead, &reads, func(int) error {
		_, err := db.Items(ctx, hub.Query{Channel: "c", Limit: 50})
		return err
	})
	start := time.Now()
	res, err := db.Prune(ctx, []hub.Channel{{ID: "c", KeepDays: 365}}, 0, now)
	total := time.Since(start)
	mu.Lock()
	savesDuring := saves
	mu.Unlock()
	close(done)
	wg.Wait()
	if err != nil || res.Removed != old {
		t.Fatalf("Prune = %d removed, %v; want %d", res.Removed, err, old)
	}
	t.Logf("Prune of %d items in %d batches: %v; beside it %d saves (longest %v), %d reads (longest %v)",
		old, old/hub.PruneBatch, total, saves, maxSave, reads, maxRead)
	if saves == 0 || reads == 0 {
		t.Fatalf("%d saves and %d reads ran beside Prune, want some of each", saves, reads)
	}
	// Structural, not timed: a prune that held the single writer for its
	// whole run would let at most the one save already waiting through; in
	// batches, the waiting save gets the writer between every two batches.
	if want := old / hub.PruneBatch / 4; savesDuring < want {
		t.Errorf("%d saves completed during a prune of %d batches, want at least %d: the writer is held across batches", savesDuring, old/hub.PruneBatch, want)
	}
}

// TestPruneFloorReadAgain: a fetch between the plan and its batch re-dates
// an item of the floor older; the batch still keeps the newest floor items.
func TestPruneFloorReadAgain(t *testing.T) {
	db := openTest(t)
	ctx := t.Context()
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	db.SyncSources(ctx, map[string][]string{"a": {"c"}})
	item := func(key string, days int) hub.Item {
		return hub.Item{Key: key, Title: key, URL: "https://example.com/" + key, Published: now.AddDate(0, 0, -days)}
	}
	if _, err := db.SaveItems(ctx, "a", []hub.Item{item("1", 400), item("2", 401), item("3", 402), item("4", 403)}, now); err != nil {
		t.Fatal(err)
	}
	plans, err := db.prunePlans(ctx, []hub.Channel{{ID: "c", KeepDays: 30}}, 2, now)
	if err != nil || len(plans) != 1 {
		t.Fatalf("prunePlans = %+v, %v; want one plan", plans, err)
	}
	// The upstream corrects the date of the newest item: it is the oldest now.
	if _, err := db.SaveItems(ctx, "a", []hub.Item{item("1", 500)}, now); err != nil {
		t.Fatal(err)
	}
	n, err := db.pruneBatch(ctx, plans[0], now)
	if err != nil || n != 2 {
		t.Errorf("pruneBatch = %d, %v; want 2 removed (items 4 and the re-dated 1)", n, err)
	}
	got, err := db.Items(ctx, hub.Query{Channel: "c", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Key != "2" || got[1].Key != "3" {
		t.Errorf("after prune: %d items %+v, want 2 and 3", len(got), got)
	}
}
