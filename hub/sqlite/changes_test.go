package sqlite

import (
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// TestChangesAcrossConnections: what another *DB on the same file writes,
// as a `yizhan fetch` from cron does beside a running `yizhan serve`, shows
// in this one's Changes, and so does a change of memberships.
func TestChangesAcrossConnections(t *testing.T) {
	path := filepath.Join(t.TempDir(), "yizhan.db")
	serve, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	fetch, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer fetch.Close()

	cs, err := serve.Changes(t.Context(), 0)
	if err != nil {
		t.Fatal(err)
	}
	v := cs.Version
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	if _, err := fetch.SaveItems(t.Context(), "people-politics", []hub.Item{newsItem("people-politics", 1, base)}, base); err != nil {
		t.Fatal(err)
	}
	cs, err = serve.Changes(t.Context(), v)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Version <= v || !slices.Equal(cs.Sources, []string{"people-politics"}) || cs.All {
		t.Errorf("after another connection saved an item: Changes(%d) = %+v, want a later version and people-politics", v, cs)
	}
	v = cs.Version

	if err := fetch.SyncSources(t.Context(), map[string][]string{"people-politics": {"politics"}}); err != nil {
		t.Fatal(err)
	}
	if cs, err = serve.Changes(t.Context(), v); err != nil || !cs.All || cs.Version <= v {
		t.Errorf("after another connection changed memberships: Changes(%d) = %+v, %v; want All", v, cs, err)
	}
}

// BenchmarkChanges is the cost of one poll with nothing changed, with 1,000
// sources on record.
func BenchmarkChanges(b *testing.B) {
	db := openTest(b)
	base := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	for i := range 1000 {
		src := "s" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		if _, err := db.SaveItems(b.Context(), src, []hub.Item{newsItem(src, i, base)}, base); err != nil {
			b.Fatal(err)
		}
	}
	cs, err := db.Changes(b.Context(), 0)
	if err != nil || len(cs.Sources) != 1000 {
		b.Fatalf("Changes(0) = %d sources, %v", len(cs.Sources), err)
	}
	for b.Loop() {
		if _, err := db.Changes(b.Context(), cs.Version); err != nil {
			b.Fatal(err)
		}
	}
}
