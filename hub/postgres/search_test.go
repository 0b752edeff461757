package postgres

import (
	"fmt"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/storetest"
)

// TestSearchBackfill indexes items stored before the search index (as 0004
// finds them) and finds them; long texts keep their phrases past the
// tsvector's last position.
func TestSearchBackfill(t *testing.T) {
	ctx := t.Context()
	db := openTest(t)
	if err := db.SyncSources(ctx, map[string][]string{"s": {"c"}}); err != nil {
		t.Fatal(err)
	}
	var items []hub.Item
	for i := range backfillBatch + 7 {
		items = append(items, hub.Item{Key: fmt.Sprint(i), Title: fmt.Sprint("基层减负 ", i),
			URL: fmt.Sprint("https://example.com/", i), Published: time.Unix(int64(1e9+i), 0)})
	}
	// 30,000 tokens before the phrase: past 16383 positions.
	long := hub.Item{Key: "long", URL: "https://example.com/long", Title: "长文",
		Content: "<p>" + repeat("甲乙，", 30000) + "劳伦斯的乡村振兴</p>", Published: time.Unix(1e9, 0)}
	items = append(items, long)
	if _, err := db.SaveItems(ctx, "s", items, time.Unix(2e9, 0)); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"劳伦斯 振兴", "乡村振兴"} {
		if got, err := db.Search(ctx, hub.SearchQuery{Words: q, Limit: 10}); err != nil || len(got) != 1 {
			t.Errorf("Search(%q) = %d items, %v; want the long one", q, len(got), err)
		}
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM search; UPDATE search_backfill SET below = (SELECT max(id) + 1 FROM items)`); err != nil {
		t.Fatal(err)
	}
	if got, err := db.Search(ctx, hub.SearchQuery{Words: "减负", Limit: 5000}); err != nil || len(got) != 0 {
		t.Fatalf("Search before the backfill = %d items, %v; want none", len(got), err)
	}
	if err := db.backfill(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := db.Search(ctx, hub.SearchQuery{Words: "减负", Limit: 5000})
	if err != nil || len(got) != len(items)-1 {
		t.Fatalf("Search after the backfill = %d items, %v; want %d", len(got), err, len(items)-1)
	}
}

func repeat(s string, n int) string {
	b := make([]byte, 0, len(s)*n)
	for range n {
		b = append(b, s...)
	}
	return string(b)
}

// TestSearchSwitch: [hub] search = false, then on again.
func TestSearchSwitch(t *testing.T) {
	db := openTest(t)
	url := db.pool.Config().ConnString()
	storetest.SearchSwitch(t, db, func(t *testing.T) hub.Store {
		db, err := Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		return db
	}, func(s hub.Store) { <-s.(*DB).backfilled })
}
