package storetest

import (
	"slices"
	"testing"

	"github.com/yizhan-hub/yizhan/hub"
)

// testCopy dumps a store with items, a story, fetch states and a tombstone
// and loads the dump, in small batches, into a second, empty store of the
// same kind: everything reads back the same, and the next new item gets an
// id after the copied ones. cmd/yizhan copies between kinds.
func testCopy(t *testing.T, s hub.Store, open func(t *testing.T) hub.Store) {
	src, ok := s.(hub.Copier)
	if !ok {
		t.Fatalf("%T does not implement hub.Copier", s)
	}
	syncSources(t, s, map[string][]string{"people": {"opinion", "all"}, "prov": {"theory", "all"}, "a": {"c"}})
	save(t, s, "people", []hub.Item{ownCopy(daysAgo(3))}, daysAgo(3))
	save(t, s, "prov", []hub.Item{repost("prov", daysAgo(2.9))}, daysAgo(2.9))
	var many []hub.Item
	for i := range 7 {
		many = append(many, item("a", string(rune('k'+i)), daysAgo(float64(40-i))))
	}
	save(t, s, "a", many, daysAgo(30))
	prune(t, s, []hub.Channel{{ID: "c", KeepDays: 35}}, now)
	st := hub.FetchState{SourceID: "a", ETag: `"e"`, LastTry: at(5), LastSuccess: at(5), LastCount: 7, ItemHashes: "\x00\x01"}
	if err := s.SaveFetchState(t.Context(), st); err != nil {
		t.Fatal(err)
	}

	dst := open(t)
	t.Cleanup(func() { dst.Close() })
	to := dst.(hub.Copier)
	batches := 0
	if err := src.Dump(t.Context(), 2, func(d hub.Dump) error {
		batches++
		return to.Load(t.Context(), d)
	}); err != nil {
		t.Fatalf("Dump and Load: %v", err)
	}
	want, err := src.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	got, err := to.Counts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Retention kept 2 of a's 7 items: 4 items and 5 tombstones.
	if got != want || want.Items != 4 || want.States != 1 || want.Tombstones != 5 {
		t.Errorf("Counts of the copy = %+v, of the original %+v; want 4 items, 1 state, 5 tombstones in both", got, want)
	}
	if batches < 3 {
		t.Errorf("%d batches of at most 2 items, want at least 3", batches)
	}
	var maxID int64
	for _, it := range items(t, s, "", 50) {
		maxID = max(maxID, it.ID)
	}
	for _, ch := range []string{"", "all", "theory", "c"} {
		for _, dedup := range []bool{false, true} {
			q := hub.Query{Channel: ch, Limit: 50, Dedup: dedup}
			a, err := s.Items(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			b, err := dst.Items(t.Context(), q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(keys(a), keys(b)) {
				t.Errorf("Items(%+v): copy %q, original %q", q, keys(b), keys(a))
				continue
			}
			for i := range a {
				if a[i].ID != b[i].ID || a[i].FeedGUID() != b[i].FeedGUID() || !a[i].FirstSeen.Equal(b[i].FirstSeen) ||
					a[i].Content != b[i].Content || !slices.Equal(carriers(a[i]), carriers(b[i])) {
					t.Errorf("Items(%+v)[%d]: copy %+v, original %+v", q, i, b[i], a[i])
				}
			}
		}
	}
	checkFetchState(t, dst, st)
	checkResult(t, save(t, dst, "a", many[:1], now), hub.SaveResult{Pruned: 1})
	res := save(t, dst, "a", []hub.Item{item("a", "new", now)}, now)
	checkResult(t, res, hub.SaveResult{New: 1})
	if got := items(t, dst, "c", 1); len(got) != 1 || got[0].Key != "new" || got[0].ID <= maxID {
		t.Errorf("new item after the copy = %q, want a/new with an id after the copied ones' %d", keys(got), maxID)
	}
}
