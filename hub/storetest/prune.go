package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// pruneTests are the cases of Store.Prune; Run runs them with the others.
var pruneTests = []struct {
	name string
	fn   func(t *testing.T, s hub.Store)
}{
	{"PruneByDays", testPruneByDays},
	{"PruneByCount", testPruneByCount},
	{"PruneByDaysAndCount", testPruneByDaysAndCount},
	{"PruneAnyChannelKeeps", testPruneAnyChannelKeeps},
	{"PrunedDoNotReturn", testPrunedDoNotReturn},
	{"PrunedKeysByteForByte", testPrunedKeysByteForByte},
	{"PruneForgetsTombstones", testPruneForgetsTombstones},
	{"PruneInBatches", testPruneInBatches},
	{"PruneBesideReadersAndWriters", testPruneBesideReadersAndWriters},
	{"PruneKeepsFloor", testPruneKeepsFloor},
	{"PruneFloorWithCount", testPruneFloorWithCount},
}

// now is the instant the retention tests prune at.
var now = time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)

// daysAgo returns now minus d days.
func daysAgo(d float64) time.Time { return now.Add(-time.Duration(d * float64(24*time.Hour))) }

func prune(t *testing.T, s hub.Store, channels []hub.Channel, at time.Time) hub.PruneResult {
	t.Helper()
	res, err := s.Prune(t.Context(), channels, 0, at)
	if err != nil {
		t.Fatalf("Prune: %v", err)
	}
	return res
}

func pruneFloor(t *testing.T, s hub.Store, channels []hub.Channel, floor int, at time.Time) hub.PruneResult {
	t.Helper()
	res, err := s.Prune(t.Context(), channels, floor, at)
	if err != nil {
		t.Fatalf("Prune(floor %d): %v", floor, err)
	}
	return res
}

func checkPruned(t *testing.T, got hub.PruneResult, want map[string]int) {
	t.Helper()
	n := 0
	for _, v := range want {
		n += v
	}
	if got.Removed != n || len(got.Sources) != len(want) {
		t.Errorf("Prune = %+v, want %d removed: %v", got, n, want)
		return
	}
	for src, v := range want {
		if got.Sources[src] != v {
			t.Errorf("Prune.Sources[%s] = %d, want %d", src, got.Sources[src], v)
		}
	}
}

func testPruneByDays(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	undatedOld := item("a", "undated-old", time.Time{})   // dated by when the hub first saw it
	updatedOnly := item("a", "updated-only", time.Time{}) // dated by its update time
	updatedOnly.Updated = daysAgo(40)
	save(t, s, "a", []hub.Item{undatedOld, updatedOnly}, daysAgo(45))
	save(t, s, "a", []hub.Item{
		item("a", "40d", daysAgo(40)),
		item("a", "30d+1s", daysAgo(30).Add(-time.Second)),
		item("a", "30d", daysAgo(30)), // exactly keep_days old: kept
		item("a", "29d", daysAgo(29)),
		item("a", "future", now.Add(48*time.Hour)),
		item("a", "undated-new", time.Time{}),
	}, daysAgo(1))

	policy := []hub.Channel{{ID: "c", KeepDays: 30}}
	checkPruned(t, prune(t, s, policy, now), map[string]int{"a": 4})
	checkKeys(t, "Items(c) after Prune", items(t, s, "c", 50), "a/future", "a/undated-new", "a/29d", "a/30d")
	checkCount(t, s, "a", 4)

	// Pruning again removes nothing more; neither does a channel without limits.
	checkPruned(t, prune(t, s, policy, now), nil)
	checkPruned(t, prune(t, s, []hub.Channel{{ID: "c"}}, now.Add(1000*24*time.Hour)), nil)
	checkCount(t, s, "a", 4)
}

func testPruneByCount(t *testing.T, s hub.Store) {
	// c merges two sources with interleaved dates and ties: the newest 5 of
	// c are those Items(c, 5) returns, ties broken by id as there.
	syncSources(t, s, map[string][]string{"a": {"c"}, "b": {"c"}, "solo": {"d"}})
	same := daysAgo(3)
	save(t, s, "a", []hub.Item{item("a", "1", daysAgo(9)), item("a", "2", daysAgo(7)), item("a", "tie1", same)}, now)
	save(t, s, "b", []hub.Item{item("b", "1", daysAgo(8)), item("b", "2", daysAgo(6)), item("b", "tie2", same)}, now)
	save(t, s, "a", []hub.Item{item("a", "tie3", same), item("a", "new", daysAgo(1))}, now)
	var solo []hub.Item
	for i := range 10 {
		solo = append(solo, item("solo", fmt.Sprint(i), daysAgo(float64(20-i))))
	}
	save(t, s, "solo", solo, now)

	want := keys(items(t, s, "c", 5))
	policy := []hub.Channel{{ID: "c", KeepItems: 5}, {ID: "d", KeepItems: 3}}
	checkPruned(t, prune(t, s, policy, now), map[string]int{"a": 2, "b": 1, "solo": 7})
	checkKeys(t, "Items(c) after Prune", items(t, s, "c", 50), want...)
	checkKeys(t, "Items(d) after Prune", items(t, s, "d", 50), "solo/9", "solo/8", "solo/7")

	// A channel with fewer items than keep_items loses none.
	checkPruned(t, prune(t, s, []hub.Channel{{ID: "c", KeepItems: 6}, {ID: "d", KeepItems: 100}}, now), nil)
}

func testPruneByDaysAndCount(t *testing.T, s hub.Store) {
	// An item stays while it is both recent enough and among the newest.
	syncSources(t, s, map[string][]string{"a": {"c"}})
	save(t, s, "a", []hub.Item{
		item("a", "1d", daysAgo(1)), item("a", "2d", daysAgo(2)), item("a", "3d", daysAgo(3)),
		item("a", "20d", daysAgo(20)), item("a", "40d", daysAgo(40)),
	}, now)
	checkPruned(t, prune(t, s, []hub.Channel{{ID: "c", KeepDays: 30, KeepItems: 4}}, now), map[string]int{"a": 1})
	checkKeys(t, "Items(c)", items(t, s, "c", 50), "a/1d", "a/2d", "a/3d", "a/20d")
	checkPruned(t, prune(t, s, []hub.Channel{{ID: "c", KeepDays: 10, KeepItems: 4}}, now), map[string]int{"a": 1})
	checkPruned(t, prune(t, s, []hub.Channel{{ID: "c", KeepDays: 10, KeepItems: 2}}, now), map[string]int{"a": 1})
	checkKeys(t, "Items(c)", items(t, s, "c", 50), "a/1d", "a/2d")
}

func testPruneAnyChannelKeeps(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{
		"both":     {"short", "long"}, // short drops at 10 days, long keeps 100
		"short":    {"short"},
		"unlisted": {"short", "free"}, // free has no policy: it keeps everything
		"nolimit":  {"short", "open"}, // open is listed without limits
		"count":    {"few", "many"},   // few keeps 1 item, many keeps 3 of its two sources
		"other":    {"many"},
	})
	for i, src := range []string{"both", "short", "unlisted", "nolimit"} {
		save(t, s, src, []hub.Item{item(src, "50d", daysAgo(50+float64(i)/10)), item(src, "5d", daysAgo(5+float64(i)/10))}, now)
	}
	save(t, s, "orphan", []hub.Item{item("orphan", "500d", daysAgo(500))}, now) // feeds no channel
	save(t, s, "count", []hub.Item{item("count", "1", daysAgo(9)), item("count", "2", daysAgo(7)), item("count", "3", daysAgo(5)), item("count", "4", daysAgo(3))}, now)
	save(t, s, "other", []hub.Item{item("other", "1", daysAgo(6)), item("other", "2", daysAgo(1))}, now)

	policy := []hub.Channel{
		{ID: "short", KeepDays: 10}, {ID: "long", KeepDays: 100}, {ID: "open"},
		{ID: "few", KeepItems: 1}, {ID: "many", KeepItems: 3},
		{ID: "nobody", KeepDays: 1}, // no source feeds it
	}
	// many's newest 3: other/2, count/4, count/3; few keeps count/4.
	checkPruned(t, prune(t, s, policy, now), map[string]int{"short": 1, "count": 2, "other": 1})
	checkKeys(t, "Items(long)", items(t, s, "long", 50), "both/5d", "both/50d")
	checkKeys(t, "Items(short)", items(t, s, "short", 50),
		"both/5d", "short/5d", "unlisted/5d", "nolimit/5d", "both/50d", "unlisted/50d", "nolimit/50d")
	checkKeys(t, "Items(many)", items(t, s, "many", 50), "other/2", "count/4", "count/3")
	checkCount(t, s, "orphan", 1)

	// Once no channel holds the source back, its old items go.
	syncSources(t, s, map[string][]string{"both": {"short"}, "unlisted": {"short"}, "nolimit": {"short"}})
	checkPruned(t, prune(t, s, policy, now), map[string]int{"both": 1, "unlisted": 1, "nolimit": 1})
	checkCount(t, s, "orphan", 1)
}

func testPrunedDoNotReturn(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	old, kept := item("a", "old", daysAgo(40)), item("a", "kept", daysAgo(1))
	save(t, s, "a", []hub.Item{old, kept}, daysAgo(40))
	checkPruned(t, prune(t, s, []hub.Channel{{ID: "c", KeepDays: 30}}, now), map[string]int{"a": 1})

	// The next fetch carries the removed item again, changed even: it stays out.
	changed := old
	changed.Title = "更正:" + old.Title
	checkResult(t, save(t, s, "a", []hub.Item{kept, old, item("a", "new", daysAgo(0))}, now), hub.SaveResult{New: 1, Unchanged: 1, Pruned: 1})
	checkResult(t, save(t, s, "a", []hub.Item{changed}, now.Add(time.Hour)), hub.SaveResult{Pruned: 1})
	checkKeys(t, "Items(c)", items(t, s, "c", 50), "a/new", "a/kept")
	checkCount(t, s, "a", 2)

	// Another source may have the same key.
	checkResult(t, save(t, s, "b", []hub.Item{item("b", "old", daysAgo(40))}, now), hub.SaveResult{New: 1})

	// An HTML source does not fetch a removed article again.
	known, err := s.KnownURLs(t.Context(), "a", []string{old.URL, kept.URL, "https://example.com/a/other.html"})
	if err != nil {
		t.Fatalf("KnownURLs: %v", err)
	}
	if !known[old.URL] || !known[kept.URL] || len(known) != 2 {
		t.Errorf("KnownURLs(a) = %v, want the pruned %s and the stored %s", known, old.URL, kept.URL)
	}
	if known, _ := s.KnownURLs(t.Context(), "b", []string{kept.URL}); len(known) != 0 {
		t.Errorf("KnownURLs(b) = %v, want none: a's tombstones leaked", known)
	}
}

// testPrunedKeysByteForByte: a tombstone keeps the key and URL it was given,
// even bytes that are not UTF-8, so that the item still stays out.
func testPrunedKeysByteForByte(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	old := item("a", "old\xff", daysAgo(40))
	old.URL = "https://example.com/a/\xfe.html"
	save(t, s, "a", []hub.Item{old}, daysAgo(40))
	checkPruned(t, prune(t, s, []hub.Channel{{ID: "c", KeepDays: 30}}, now), map[string]int{"a": 1})
	checkResult(t, save(t, s, "a", []hub.Item{old}, now), hub.SaveResult{Pruned: 1})
	known, err := s.KnownURLs(t.Context(), "a", []string{old.URL})
	if err != nil {
		t.Fatalf("KnownURLs: %v", err)
	}
	if !known[old.URL] {
		t.Errorf("KnownURLs(a) = %v, want the pruned %q", known, old.URL)
	}
}

func testPruneForgetsTombstones(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	gone, carried := item("a", "gone", daysAgo(40)), item("a", "carried", daysAgo(40))
	save(t, s, "a", []hub.Item{gone, carried}, daysAgo(40))
	checkPruned(t, prune(t, s, []hub.Channel{{ID: "c", KeepDays: 30}}, now), map[string]int{"a": 2})

	// The upstream carries one key on: its tombstone lives on from then.
	later := now.Add(hub.TombstoneTTL - 24*time.Hour)
	checkResult(t, save(t, s, "a", []hub.Item{carried}, later), hub.SaveResult{Pruned: 1})

	after := now.Add(hub.TombstoneTTL + time.Hour)
	if res := prune(t, s, nil, after); res.Forgotten != 1 || res.Removed != 0 {
		t.Errorf("Prune after TombstoneTTL = %+v, want 1 tombstone forgotten and nothing removed", res)
	}
	// The forgotten key may come back; the carried one may not.
	checkResult(t, save(t, s, "a", []hub.Item{gone, carried}, after), hub.SaveResult{New: 1, Pruned: 1})
	if res := prune(t, s, nil, after.Add(hub.TombstoneTTL+time.Hour)); res.Forgotten != 1 {
		t.Errorf("Prune after the carried key's TombstoneTTL = %+v, want 1 tombstone forgotten", res)
	}
}

func testPruneInBatches(t *testing.T, s hub.Store) {
	const old = 2*hub.PruneBatch + 17
	syncSources(t, s, map[string][]string{"a": {"c"}})
	var batch []hub.Item
	for i := range old {
		batch = append(batch, item("a", fmt.Sprint("old-", i), daysAgo(100+float64(i)/1000)))
	}
	batch = append(batch, item("a", "new", daysAgo(1)))
	save(t, s, "a", batch, now)

	// A cancelled prune stops between batches and keeps those done.
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	res, err := s.Prune(ctx, []hub.Channel{{ID: "c", KeepDays: 30}}, 0, now)
	if !errors.Is(err, context.Canceled) || res.Removed != 0 {
		t.Errorf("Prune with a cancelled context = %+v, %v; want nothing removed and context.Canceled", res, err)
	}
	checkCount(t, s, "a", old+1)

	checkPruned(t, prune(t, s, []hub.Channel{{ID: "c", KeepDays: 30}}, now), map[string]int{"a": old})
	checkKeys(t, "Items(c)", items(t, s, "c", 50), "a/new")
	checkCount(t, s, "a", 1)
}

// testPruneBesideReadersAndWriters prunes thousands of items while readers
// read a channel and a writer saves: nobody fails, and readers always see
// the items retention keeps.
func testPruneBesideReadersAndWriters(t *testing.T, s hub.Store) {
	const old, recent = 6 * hub.PruneBatch, 20
	syncSources(t, s, map[string][]string{"a": {"c"}, "w": {"c"}})
	var batch []hub.Item
	for i := range old {
		batch = append(batch, item("a", fmt.Sprint("old-", i), daysAgo(100+float64(i)/1000)))
	}
	for i := range recent {
		batch = append(batch, item("a", fmt.Sprint("recent-", i), daysAgo(float64(i)/100)))
	}
	save(t, s, "a", batch, now)
	want := keys(items(t, s, "c", recent))

	ctx := t.Context()
	done := make(chan struct{})
	errc := make(chan error, 8)
	var wg sync.WaitGroup
	reads, saves := 0, 0
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			got, err := s.Items(ctx, hub.Query{Channel: "c", Limit: recent})
			if err != nil {
				errc <- err
				return
			}
			if g := keys(got); len(g) != recent || g[0] != want[0] || g[recent-1] != want[recent-1] {
				errc <- fmt.Errorf("Items(c) during Prune = %q, want %q", g, want)
				return
			}
			reads++
		}
	})
	wg.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-done:
				return
			default:
			}
			// Dated before the recent items, so readers' view stays the same.
			it := item("w", fmt.Sprint(i), daysAgo(20))
			if _, err := s.SaveItems(ctx, "w", []hub.Item{it}, now); err != nil {
				errc <- err
				return
			}
			saves++
		}
	})
	res, err := s.Prune(ctx, []hub.Channel{{ID: "c", KeepDays: 30}}, 0, now)
	close(done)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if err != nil || res.Removed != old {
		t.Errorf("Prune = %+v, %v; want %d removed", res, err, old)
	}
	t.Logf("during Prune of %d items: %d reads, %d saves", old, reads, saves)
	checkCount(t, s, "a", recent)
	checkCount(t, s, "w", saves)
}

// testPruneKeepsFloor: an upstream whose newest items are a year old (a
// frozen feed, a bureau that posts twice a year) keeps its floor newest
// items whatever keep_days says, and only the items beyond the floor leave
// tombstones.
func testPruneKeepsFloor(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"frozen": {"c"}, "few": {"c"}, "mixed": {"c"}})
	var frozen []hub.Item
	for i := range 8 {
		frozen = append(frozen, item("frozen", fmt.Sprint(365+i, "d"), daysAgo(365+float64(i))))
	}
	save(t, s, "frozen", frozen, daysAgo(1))
	save(t, s, "few", []hub.Item{item("few", "400d", daysAgo(400)), item("few", "500d", daysAgo(500))}, daysAgo(1))
	var mixed []hub.Item
	for i := range 3 {
		mixed = append(mixed, item("mixed", fmt.Sprint(i, "d"), daysAgo(float64(i))))
	}
	for i := range 4 {
		mixed = append(mixed, item("mixed", fmt.Sprint(100+i, "d"), daysAgo(100+float64(i))))
	}
	save(t, s, "mixed", mixed, daysAgo(1))

	policy := []hub.Channel{{ID: "c", KeepDays: 30}}
	// frozen keeps its newest 5 of 8; few has fewer than 5 and keeps both;
	// mixed keeps its 3 recent items and the 2 newest old ones.
	checkPruned(t, pruneFloor(t, s, policy, 5, now), map[string]int{"frozen": 3, "mixed": 2})
	checkKeys(t, "Items(c) after Prune", items(t, s, "c", 50),
		"mixed/0d", "mixed/1d", "mixed/2d", "mixed/100d", "mixed/101d",
		"frozen/365d", "frozen/366d", "frozen/367d", "frozen/368d", "frozen/369d",
		"few/400d", "few/500d")

	// Again, a month on: nothing more goes, every source is at its floor.
	checkPruned(t, pruneFloor(t, s, policy, 5, now.Add(30*24*time.Hour)), nil)

	// The next fetch carries every item again: the kept ones are
	// unchanged, and only the three removed have tombstones.
	checkResult(t, save(t, s, "frozen", frozen, now), hub.SaveResult{Unchanged: 5, Pruned: 3})
	var urls []string
	for _, it := range frozen {
		urls = append(urls, it.URL)
	}
	known, err := s.KnownURLs(t.Context(), "frozen", urls)
	if err != nil {
		t.Fatalf("KnownURLs: %v", err)
	}
	if len(known) != len(frozen) {
		t.Errorf("KnownURLs(frozen) = %v, want all %d (5 stored, 3 tombstoned)", known, len(frozen))
	}

	// A lower floor lets keep_days trim further; floor 0 is none.
	checkPruned(t, pruneFloor(t, s, policy, 2, now), map[string]int{"frozen": 3, "mixed": 2})
	checkPruned(t, pruneFloor(t, s, policy, 0, now), map[string]int{"frozen": 2, "few": 2})
	checkKeys(t, "Items(c) with no floor", items(t, s, "c", 50), "mixed/0d", "mixed/1d", "mixed/2d")
}

// testPruneFloorWithCount: keep_items counts the channel's newest items
// across its sources; the floor still keeps each source's newest.
func testPruneFloorWithCount(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}, "b": {"c"}})
	for _, src := range []string{"a", "b"} {
		var batch []hub.Item
		for i := range 4 {
			d := float64(i + 1)
			if src == "b" {
				d += 4
			}
			batch = append(batch, item(src, fmt.Sprint(d, "d"), daysAgo(d)))
		}
		save(t, s, src, batch, now)
	}
	// keep_items 3 keeps a/1d, a/2d, a/3d; the floor of 2 keeps b/5d, b/6d too.
	checkPruned(t, pruneFloor(t, s, []hub.Channel{{ID: "c", KeepItems: 3}}, 2, now), map[string]int{"a": 1, "b": 2})
	checkKeys(t, "Items(c)", items(t, s, "c", 50), "a/1d", "a/2d", "a/3d", "b/5d", "b/6d")
}
