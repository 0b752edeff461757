// Package storetest is the conformance suite of hub.Store: every storage
// backend (hub/sqlite today, hub/postgres one day) runs it from its own tests
// against a real database.
//
// storetest imports hub and the standard library only.
package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// Run runs the conformance suite. open must return a new, empty store each
// time it is called; Run closes it at the end of the test that opened it.
//
// The suite's times have whole-microsecond precision, which every SQL
// database keeps; it compares instants with time.Time.Equal, not zones.
func Run(t *testing.T, open func(t *testing.T) hub.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s hub.Store)
	}{
		{"FieldsRoundTrip", testFieldsRoundTrip},
		{"LongTextRoundTrip", testLongTextRoundTrip},
		{"InvalidUTF8", testInvalidUTF8},
		{"UpsertIdempotent", testUpsertIdempotent},
		{"UpdateInPlace", testUpdateInPlace},
		{"ZeroPublishedKeepsFirstSeen", testZeroPublishedKeepsFirstSeen},
		{"DroppedPublishedKeepsDate", testDroppedPublishedKeepsDate},
		{"OrderNewestFirst", testOrderNewestFirst},
		{"EqualDatesByIDDesc", testEqualDatesByIDDesc},
		{"ChannelOnlyItsSources", testChannelOnlyItsSources},
		{"LatestEachItemOnce", testLatestEachItemOnce},
		{"Limit", testLimit},
		{"KnownURLs", testKnownURLs},
		{"FetchState", testFetchState},
		{"SourceStats", testSourceStats},
		{"PartialFetchRemovesNothing", testPartialFetchRemovesNothing},
		{"FailedSaveChangesNothing", testFailedSaveChangesNothing},
		{"DuplicateKeysInBatch", testDuplicateKeysInBatch},
		{"Concurrent", testConcurrent},
		{"Changes", testChanges},
		{"Ping", testPing},
		{"Lease", testLease},
	}
	tests = append(tests, pruneTests...)
	tests = append(tests, storyTests...)
	tests = append(tests, searchTests...)
	tests = append(tests, websubTests...)
	tests = append(tests, struct {
		name string
		fn   func(t *testing.T, s hub.Store)
	}{"Copy", func(t *testing.T, s hub.Store) { testCopy(t, s, open) }})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tt.fn(t, s)
		})
	}
}

// cst is China Standard Time, where most upstreams write their dates.
var cst = time.FixedZone("CST", 8*60*60)

// base is an instant the tests count from.
var base = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

// at returns base plus h hours.
func at(h int) time.Time { return base.Add(time.Duration(h) * time.Hour) }

// item returns an item of src with every text field derived from key, published at pub.
func item(src, key string, pub time.Time) hub.Item {
	return hub.Item{
		SourceID:  src,
		Key:       key,
		URL:       "https://example.com/" + src + "/" + key + ".html",
		Title:     "标题 " + key,
		Summary:   "<p>摘要 " + key + "</p>",
		Content:   "<p>正文 " + key + "</p>",
		Published: pub,
		Attribution: hub.Attribution{
			Credit:    "人民日报",
			Copyright: "© 人民网",
		},
	}
}

func save(t *testing.T, s hub.Store, src string, items []hub.Item, now time.Time) hub.SaveResult {
	t.Helper()
	res, err := s.SaveItems(t.Context(), src, items, now)
	if err != nil {
		t.Fatalf("SaveItems(%s): %v", src, err)
	}
	return res
}

func checkResult(t *testing.T, got hub.SaveResult, want hub.SaveResult) {
	t.Helper()
	if got != want {
		t.Errorf("SaveItems = %+v, want %+v", got, want)
	}
}

func syncSources(t *testing.T, s hub.Store, channels map[string][]string) {
	t.Helper()
	if err := s.SyncSources(t.Context(), channels); err != nil {
		t.Fatalf("SyncSources: %v", err)
	}
}

func items(t *testing.T, s hub.Store, channel string, limit int) []hub.Item {
	t.Helper()
	got, err := s.Items(t.Context(), hub.Query{Channel: channel, Limit: limit})
	if err != nil {
		t.Fatalf("Items(%q, %d): %v", channel, limit, err)
	}
	return got
}

// keys returns the "source/key" of each item.
func keys(items []hub.Item) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.SourceID + "/" + it.Key
	}
	return out
}

func checkKeys(t *testing.T, what string, got []hub.Item, want ...string) {
	t.Helper()
	if g := keys(got); !slices.Equal(g, want) {
		t.Errorf("%s = %q, want %q", what, g, want)
	}
}

func byKey(t *testing.T, items []hub.Item, key string) hub.Item {
	t.Helper()
	for _, it := range items {
		if it.Key == key {
			return it
		}
	}
	t.Fatalf("no item %q among %q", key, keys(items))
	return hub.Item{}
}

func testFieldsRoundTrip(t *testing.T, s hub.Store) {
	now := at(100)
	want := hub.Item{
		SourceID:   "people",
		Key:        "guid-1",
		URL:        "http://politics.people.com.cn/n1/2025/0301/c1001-1.html",
		Title:      "习近平主持召开会议 <强调>",
		Summary:    "<p>摘要 & “引号”</p>",
		Content:    "<p>正文 " + strings.Repeat("中华人民共和国", 300) + "</p>\n<img src=\"https://example.com/a.jpg\">",
		Image:      "https://example.com/a.jpg",
		Categories: []string{"时政", "要闻"},
		Published:  time.Date(2025, 3, 1, 10, 30, 15, 123456000, cst),
		Updated:    time.Date(2025, 3, 1, 11, 0, 0, 0, cst),
		Attribution: hub.Attribution{
			Credit:    "人民日报",
			CreditURL: "http://paper.people.com.cn/",
			Via:       "人民网 · 时政",
			Author:    "张三、李四",
			Editor:    "王五",
			Copyright: "人民网版权所有,未经书面授权禁止使用",
		},
	}
	bare := hub.Item{SourceID: "people", Key: "bare"} // every optional field empty
	syncSources(t, s, map[string][]string{"people": {"politics"}})
	checkResult(t, save(t, s, "people", []hub.Item{want, bare}, now), hub.SaveResult{New: 2})

	got := items(t, s, "politics", 10)
	if len(got) != 2 {
		t.Fatalf("Items = %q, want 2 items", keys(got))
	}
	it := byKey(t, got, "guid-1")
	if it.ID == 0 {
		t.Errorf("ID = 0, want the stored row's id")
	}
	for _, f := range []struct{ name, got, want string }{
		{"SourceID", it.SourceID, want.SourceID},
		{"URL", it.URL, want.URL},
		{"Title", it.Title, want.Title},
		{"Summary", it.Summary, want.Summary},
		{"Content", it.Content, want.Content},
		{"Image", it.Image, want.Image},
		{"Credit", it.Credit, want.Credit},
		{"CreditURL", it.CreditURL, want.CreditURL},
		{"Via", it.Via, want.Via},
		{"Author", it.Author, want.Author},
		{"Editor", it.Editor, want.Editor},
		{"Copyright", it.Copyright, want.Copyright},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	if !slices.Equal(it.Categories, want.Categories) {
		t.Errorf("Categories = %q, want %q", it.Categories, want.Categories)
	}
	for _, f := range []struct {
		name      string
		got, want time.Time
	}{
		{"Published", it.Published, want.Published},
		{"Updated", it.Updated, want.Updated},
		{"FirstSeen", it.FirstSeen, now},
		{"Date()", it.Date(), want.Published},
	} {
		if !f.got.Equal(f.want) {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}

	b := byKey(t, got, "bare")
	if !b.Published.IsZero() || !b.Updated.IsZero() {
		t.Errorf("bare item Published, Updated = %v, %v, want zero times", b.Published, b.Updated)
	}
	if len(b.Categories) != 0 || b.Title != "" || b.Credit != "" {
		t.Errorf("bare item = %+v, want empty fields", b)
	}
	if !b.Date().Equal(now) {
		t.Errorf("bare item Date() = %v, want first seen %v", b.Date(), now)
	}
}

// testLongTextRoundTrip stores summaries and contents of every size a store
// may keep differently (SQLite packs long ones), and rewrites them from long
// testInvalidUTF8 saves an item whose key and URL hold bytes that are not
// UTF-8 (a GBK page's link read as bytes) and whose text does too: the key
// and URL come back byte for byte, each bad sequence of the text as U+FFFD,
// the same in every store. Saving it again changes nothing.
func testInvalidUTF8(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	it := item("a", "k\xff\xfe", at(1))
	it.URL = "https://example.com/\xd6\xd0.html"
	it.Title = "标题\xff"
	it.Content = "<p>\xfe正文</p>"
	it.Credit = "人民\xc0日报"
	it.Categories = []string{"要闻\xff"}
	checkResult(t, save(t, s, "a", []hub.Item{it}, at(1)), hub.SaveResult{New: 1})
	checkResult(t, save(t, s, "a", []hub.Item{it}, at(2)), hub.SaveResult{Unchanged: 1})
	got := items(t, s, "c", 10)
	if len(got) != 1 {
		t.Fatalf("Items = %q, want one", keys(got))
	}
	g := got[0]
	if g.Key != "k\xff\xfe" || g.URL != "https://example.com/\xd6\xd0.html" {
		t.Errorf("key, URL = %q, %q; want them byte for byte", g.Key, g.URL)
	}
	if g.Title != "标题\uFFFD" || g.Content != "<p>\uFFFD正文</p>" || g.Credit != "人民\uFFFD日报" ||
		!slices.Equal(g.Categories, []string{"要闻\uFFFD"}) {
		t.Errorf("text = %q, %q, %q, %q; want each bad byte as U+FFFD", g.Title, g.Content, g.Credit, g.Categories)
	}
}

// to short and back: each reads back byte for byte.
func testLongTextRoundTrip(t *testing.T, s hub.Store) {
	article := strings.Repeat("<p>国务院常务会议部署推进高质量发展，强调稳就业、促消费。</p>\n", 60)
	// Printable ASCII from a xorshift generator: long, yet it does not
	// compress, so a store that packs long texts keeps it as text. (A
	// formula of i repeats every few dozen bytes and compresses well.)
	noise := make([]byte, 4000)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range noise {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		noise[i] = byte('!' + x%90)
	}
	cases := []struct{ key, summary, content string }{
		{"empty", "", ""},
		{"short", "摘要", "<p>正文</p>"},
		{"summary-only", article, ""},
		{"content-only", "", article},
		{"both", "<p>导语：" + article[:300] + "</p>", article},
		{"noise", "", string(noise)},
		{"edge", strings.Repeat("a", 127), strings.Repeat("b", 129)},
	}
	syncSources(t, s, map[string][]string{"people": {"politics"}})
	check := func(round int, swap bool) {
		t.Helper()
		got := items(t, s, "politics", 50)
		for _, c := range cases {
			it := byKey(t, got, c.key)
			summary, content := c.summary, c.content
			if swap {
				summary, content = content, summary
			}
			if it.Summary != summary || it.Content != content {
				t.Errorf("round %d, %s: summary %d bytes, content %d bytes; want %d and %d, equal",
					round, c.key, len(it.Summary), len(it.Content), len(summary), len(content))
			}
		}
	}
	batch := func(swap bool) []hub.Item {
		var out []hub.Item
		for i, c := range cases {
			it := item("people", c.key, at(i))
			it.Summary, it.Content = c.summary, c.content
			if swap {
				it.Summary, it.Content = c.content, c.summary
			}
			out = append(out, it)
		}
		return out
	}
	checkResult(t, save(t, s, "people", batch(false), at(10)), hub.SaveResult{New: len(cases)})
	check(1, false)
	// Swapping summary and content turns long fields short and short long;
	// "empty" does not change.
	checkResult(t, save(t, s, "people", batch(true), at(11)), hub.SaveResult{Updated: len(cases) - 1, Unchanged: 1})
	check(2, true)
	checkResult(t, save(t, s, "people", batch(false), at(12)), hub.SaveResult{Updated: len(cases) - 1, Unchanged: 1})
	check(3, false)
}

func testUpsertIdempotent(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	batch := []hub.Item{item("a", "1", at(1)), item("a", "2", at(2)), item("a", "3", time.Time{})}
	checkResult(t, save(t, s, "a", batch, at(10)), hub.SaveResult{New: 3})
	first := items(t, s, "c", 10)

	res := save(t, s, "a", batch, at(11))
	checkResult(t, res, hub.SaveResult{Unchanged: 3})
	if res.Changed() {
		t.Errorf("Changed() = true after saving the same items again")
	}
	second := items(t, s, "c", 10)
	if len(second) != 3 {
		t.Fatalf("Items after the second save = %q, want 3 items", keys(second))
	}
	for i := range first {
		if first[i].ID != second[i].ID || !first[i].FirstSeen.Equal(second[i].FirstSeen) || !first[i].Date().Equal(second[i].Date()) {
			t.Errorf("item %q: ID, FirstSeen, Date() = %d, %v, %v after the second save, want %d, %v, %v",
				second[i].Key, second[i].ID, second[i].FirstSeen, second[i].Date(), first[i].ID, first[i].FirstSeen, first[i].Date())
		}
	}
	checkCount(t, s, "a", 3)
}

func testUpdateInPlace(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	orig := item("a", "1", at(1))
	save(t, s, "a", []hub.Item{orig, item("a", "2", at(2))}, at(10))
	before := byKey(t, items(t, s, "c", 10), "1")

	changed := orig
	changed.Title = "更正:" + orig.Title
	changed.Categories = []string{"更正"}
	checkResult(t, save(t, s, "a", []hub.Item{changed, item("a", "2", at(2))}, at(20)), hub.SaveResult{Updated: 1, Unchanged: 1})

	got := items(t, s, "c", 10)
	if len(got) != 2 {
		t.Fatalf("Items = %q, want 2 items (updated in place, not duplicated)", keys(got))
	}
	after := byKey(t, got, "1")
	if after.ID != before.ID {
		t.Errorf("ID = %d after update, want %d", after.ID, before.ID)
	}
	if !after.FirstSeen.Equal(at(10)) {
		t.Errorf("FirstSeen = %v after update, want %v", after.FirstSeen, at(10))
	}
	if after.Title != changed.Title || !slices.Equal(after.Categories, changed.Categories) {
		t.Errorf("Title, Categories = %q, %q after update, want %q, %q", after.Title, after.Categories, changed.Title, changed.Categories)
	}

	// An update is visible to the next save as the new state.
	checkResult(t, save(t, s, "a", []hub.Item{changed}, at(30)), hub.SaveResult{Unchanged: 1})
	checkCount(t, s, "a", 2)
}

func testZeroPublishedKeepsFirstSeen(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	undated := item("a", "undated", time.Time{})
	// mid sits between the first fetch and the later ones: an undated item
	// whose date moved to a later fetch would jump ahead of it.
	save(t, s, "a", []hub.Item{undated, item("a", "mid", at(2)), item("a", "old", at(-100))}, at(1))
	check := func(when string) {
		t.Helper()
		got := items(t, s, "c", 10)
		it := byKey(t, got, "undated")
		if !it.FirstSeen.Equal(at(1)) || !it.Date().Equal(at(1)) {
			t.Errorf("%s: FirstSeen, Date() = %v, %v, want both %v", when, it.FirstSeen, it.Date(), at(1))
		}
		if !it.Published.IsZero() {
			t.Errorf("%s: Published = %v, want zero", when, it.Published)
		}
		checkKeys(t, when+": Items", got, "a/mid", "a/undated", "a/old")
	}
	check("first fetch")

	checkResult(t, save(t, s, "a", []hub.Item{undated}, at(3)), hub.SaveResult{Unchanged: 1})
	check("unchanged refetch")

	undated.Content = "<p>正文已修改</p>"
	checkResult(t, save(t, s, "a", []hub.Item{undated}, at(4)), hub.SaveResult{Updated: 1})
	check("changed refetch")

	// With an update time and no publication time, the update time is the date.
	undated.Updated = at(5)
	save(t, s, "a", []hub.Item{undated}, at(6))
	if it := byKey(t, items(t, s, "c", 10), "undated"); !it.Date().Equal(at(5)) || !it.FirstSeen.Equal(at(1)) {
		t.Errorf("with Updated: Date(), FirstSeen = %v, %v, want %v, %v", it.Date(), it.FirstSeen, at(5), at(1))
	}
}

func testDroppedPublishedKeepsDate(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	it := item("a", "1", at(-50))
	save(t, s, "a", []hub.Item{it, item("a", "2", at(-10))}, at(1))

	// The upstream loses the item's date on a later fetch.
	it.Published = time.Time{}
	it.Title = "新标题"
	save(t, s, "a", []hub.Item{it}, at(2))
	got := items(t, s, "c", 10)
	stored := byKey(t, got, "1")
	if !stored.Published.Equal(at(-50)) || !stored.Date().Equal(at(-50)) {
		t.Errorf("Published, Date() = %v, %v after the upstream dropped the date, want both %v", stored.Published, stored.Date(), at(-50))
	}
	if stored.Title != "新标题" {
		t.Errorf("Title = %q, want %q", stored.Title, "新标题")
	}
	checkKeys(t, "Items", got, "a/2", "a/1")

	// The same with an update time only.
	upd := item("a", "3", time.Time{})
	upd.Updated = at(-20)
	save(t, s, "a", []hub.Item{upd}, at(3))
	upd.Updated = time.Time{}
	upd.Title = "又一个新标题"
	save(t, s, "a", []hub.Item{upd}, at(4))
	stored = byKey(t, items(t, s, "c", 10), "3")
	if !stored.Updated.Equal(at(-20)) || !stored.Date().Equal(at(-20)) {
		t.Errorf("Updated, Date() = %v, %v after the upstream dropped the date, want both %v", stored.Updated, stored.Date(), at(-20))
	}
}

func testOrderNewestFirst(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}, "b": {"c"}})
	// 10:00 in Beijing is 02:00 UTC: older than 03:00 UTC although its wall
	// clock reads later; dates must order as instants.
	beijing := item("a", "beijing-1000", time.Date(2025, 3, 1, 10, 0, 0, 0, cst))
	utc := item("b", "utc-0300", time.Date(2025, 3, 1, 3, 0, 0, 0, time.UTC))
	updatedOnly := item("a", "updated-0400", time.Time{})
	updatedOnly.Updated = time.Date(2025, 3, 1, 4, 0, 0, 0, time.UTC)
	undated := item("b", "undated", time.Time{}) // first seen at now
	old := item("a", "2024", time.Date(2024, 12, 31, 23, 59, 59, 0, cst))
	future := item("b", "2030", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))

	now := time.Date(2025, 3, 1, 5, 0, 0, 0, time.UTC)
	save(t, s, "a", []hub.Item{old, beijing, updatedOnly}, now)
	save(t, s, "b", []hub.Item{utc, undated, future}, now)

	want := []string{"b/2030", "b/undated", "a/updated-0400", "b/utc-0300", "a/beijing-1000", "a/2024"}
	checkKeys(t, "Items(c)", items(t, s, "c", 10), want...)
	checkKeys(t, "Items(latest)", items(t, s, "", 10), want...)
}

func testEqualDatesByIDDesc(t *testing.T, s hub.Store) {
	// c merges two sources; solo has one, which a store may read differently.
	syncSources(t, s, map[string][]string{"a": {"c", "solo"}, "b": {"c"}})
	same := at(5)
	save(t, s, "a", []hub.Item{item("a", "1", same), item("a", "2", same), item("a", "3", same), item("a", "newer", at(6))}, at(10))
	save(t, s, "b", []hub.Item{item("b", "1", same), item("b", "older", at(4))}, at(11))
	save(t, s, "a", []hub.Item{item("a", "4", same)}, at(12))

	for _, tt := range []struct {
		channel       string
		n             int
		newest, older string
	}{{"c", 7, "newer", "older"}, {"", 7, "newer", "older"}, {"solo", 5, "newer", "1"}} {
		channel := tt.channel
		first := items(t, s, channel, 10)
		if len(first) != tt.n {
			t.Fatalf("Items(%q) = %q, want %d items", channel, keys(first), tt.n)
		}
		for i := 1; i < len(first); i++ {
			p, c := first[i-1], first[i]
			if p.Date().Before(c.Date()) || p.Date().Equal(c.Date()) && p.ID <= c.ID {
				t.Errorf("Items(%q): %s (date %v, id %d) before %s (date %v, id %d), want newest first, then higher id first",
					channel, p.Key, p.Date(), p.ID, c.Key, c.Date(), c.ID)
			}
		}
		if first[0].Key != tt.newest || first[len(first)-1].Key != tt.older {
			t.Errorf("Items(%q) = %q, want %s first and %s last", channel, keys(first), tt.newest, tt.older)
		}
		// Stable: the same order every time, and after an unchanged refetch.
		save(t, s, "a", []hub.Item{item("a", "3", same), item("a", "1", same)}, at(20))
		for range 3 {
			if again := items(t, s, channel, 10); !slices.Equal(keys(again), keys(first)) {
				t.Errorf("Items(%q) = %q, then %q, want the same order", channel, keys(first), keys(again))
			}
		}
	}
}

func testChannelOnlyItsSources(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{
		"s1": {"c1"},
		"s2": {"c2"},
		"s3": {"c1", "c2"},
	})
	for i, src := range []string{"s1", "s2", "s3", "s4"} {
		save(t, s, src, []hub.Item{item(src, "x", at(i)), item(src, "y", at(10+i))}, at(100))
	}
	checkKeys(t, "Items(c1)", items(t, s, "c1", 10), "s3/y", "s1/y", "s3/x", "s1/x")
	checkKeys(t, "Items(c2)", items(t, s, "c2", 10), "s3/y", "s2/y", "s3/x", "s2/x")
	if got := items(t, s, "unknown", 10); len(got) != 0 {
		t.Errorf("Items(unknown) = %q, want none", keys(got))
	}

	// SyncSources replaces the previous record: s1 moves to c2, s3 leaves c1,
	// s2 feeds nothing any more. Items stay stored but unpublished.
	syncSources(t, s, map[string][]string{"s1": {"c2"}, "s3": {"c2"}, "s4": {"c1"}})
	checkKeys(t, "Items(c1) after resync", items(t, s, "c1", 10), "s4/y", "s4/x")
	checkKeys(t, "Items(c2) after resync", items(t, s, "c2", 10), "s3/y", "s1/y", "s3/x", "s1/x")
	checkCount(t, s, "s2", 2)

	syncSources(t, s, map[string][]string{})
	for _, ch := range []string{"c1", "c2", ""} {
		if got := items(t, s, ch, 10); len(got) != 0 {
			t.Errorf("Items(%q) after SyncSources(empty) = %q, want none", ch, keys(got))
		}
	}
}

func testLatestEachItemOnce(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{
		"s1": {"c1"},
		"s2": {"c1", "c2", "c3"}, // in three channels, yet once in the ticker
		"s3": {"c3"},
	})
	save(t, s, "s1", []hub.Item{item("s1", "a", at(1))}, at(100))
	save(t, s, "s2", []hub.Item{item("s2", "a", at(2)), item("s2", "b", at(4))}, at(100))
	save(t, s, "s3", []hub.Item{item("s3", "a", at(3))}, at(100))
	save(t, s, "unpublished", []hub.Item{item("unpublished", "a", at(5))}, at(100))

	checkKeys(t, "Items(latest)", items(t, s, "", 10), "s2/b", "s3/a", "s2/a", "s1/a")
	checkKeys(t, "Items(latest, 2)", items(t, s, "", 2), "s2/b", "s3/a")
}

func testLimit(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"even": {"c"}, "odd": {"c"}, "alone": {"d"}})
	var even, odd, alone []hub.Item
	for h := range 20 {
		if h%2 == 0 {
			even = append(even, item("even", fmt.Sprint(h), at(h)))
		} else {
			odd = append(odd, item("odd", fmt.Sprint(h), at(h)))
		}
		alone = append(alone, item("alone", fmt.Sprint(h), at(h)))
	}
	save(t, s, "even", even, at(100))
	save(t, s, "odd", odd, at(100))
	save(t, s, "alone", alone, at(100))

	// The newest of a channel interleave its sources.
	checkKeys(t, "Items(c, 5)", items(t, s, "c", 5), "odd/19", "even/18", "odd/17", "even/16", "odd/15")
	checkKeys(t, "Items(d, 3)", items(t, s, "d", 3), "alone/19", "alone/18", "alone/17")
	checkKeys(t, "Items(c, 1)", items(t, s, "c", 1), "odd/19")
	if got := items(t, s, "", 4); len(got) != 4 {
		t.Errorf("Items(latest, 4) = %q, want 4 items", keys(got))
	}
	if got := items(t, s, "c", 1000); len(got) != 20 {
		t.Errorf("Items(c, 1000) = %d items, want all 20", len(got))
	}
	for _, limit := range []int{0, -1} {
		for _, ch := range []string{"c", ""} {
			if got, err := s.Items(t.Context(), hub.Query{Channel: ch, Limit: limit}); err == nil {
				t.Errorf("Items(%q, %d) = %d items, nil error; want an error", ch, limit, len(got))
			}
		}
	}
}

func testKnownURLs(t *testing.T, s hub.Store) {
	u := func(n int) string { return fmt.Sprintf("https://example.com/a/%d.html", n) }
	a1, a2 := item("a", "1", at(1)), item("a", "2", at(2))
	a1.URL, a2.URL = u(1), u(2)
	b3 := item("b", "3", at(3))
	b3.URL = u(3)
	save(t, s, "a", []hub.Item{a1, a2}, at(10))
	save(t, s, "b", []hub.Item{b3}, at(10))

	got, err := s.KnownURLs(t.Context(), "a", []string{u(1), u(3), u(4), u(2)})
	if err != nil {
		t.Fatalf("KnownURLs: %v", err)
	}
	for _, tt := range []struct {
		url  string
		want bool
	}{{u(1), true}, {u(2), true}, {u(3), false}, {u(4), false}} {
		if got[tt.url] != tt.want {
			t.Errorf("KnownURLs(a)[%s] = %v, want %v", tt.url, got[tt.url], tt.want)
		}
	}
	if got, err := s.KnownURLs(t.Context(), "a", nil); err != nil || len(got) != 0 {
		t.Errorf("KnownURLs(a, nil) = %v, %v; want none, nil", got, err)
	}

	many := make([]string, 2000) // more than any one SQL statement should bind
	for i := range many {
		many[i] = u(i)
	}
	got, err = s.KnownURLs(t.Context(), "a", many)
	if err != nil {
		t.Fatalf("KnownURLs(2000 urls): %v", err)
	}
	if len(got) != 2 || !got[u(1)] || !got[u(2)] {
		t.Errorf("KnownURLs(a, 2000 urls) = %v, want %s and %s", got, u(1), u(2))
	}
}

func testFetchState(t *testing.T, s hub.Store) {
	ctx := t.Context()
	got, err := s.FetchState(ctx, "never")
	if err != nil {
		t.Fatalf("FetchState(never): %v", err)
	}
	if (got != hub.FetchState{SourceID: "never"}) {
		t.Errorf("FetchState(never) = %+v, want the zero state with SourceID", got)
	}

	failing := hub.FetchState{
		SourceID:     "a",
		ETag:         `W/"abc"`,
		LastModified: "Sat, 01 Mar 2025 08:00:00 GMT",
		BodyHash:     "sha256:0123",
		URL:          "https://example.com/moved.xml",
		LastTry:      time.Date(2025, 3, 1, 10, 0, 0, 123000, cst),
		LastSuccess:  at(-1),
		LastError:    "fetch a: 503 Service Unavailable",
		Failures:     3,
		NextTry:      at(6),
		ConfigURL:    "https://example.com/feed.xml",
		Disabled:     "HTTP 410 Gone",
		Suspect:      "no items, where the last fetch had 40",
		LastCount:    40,
		ItemHashes:   "m\x00\xff\x01 not text",
	}
	if err := s.SaveFetchState(ctx, failing); err != nil {
		t.Fatalf("SaveFetchState: %v", err)
	}
	checkFetchState(t, s, failing)

	recovered := hub.FetchState{SourceID: "a", ETag: `"def"`, LastTry: at(7), LastSuccess: at(7)}
	if err := s.SaveFetchState(ctx, recovered); err != nil {
		t.Fatalf("SaveFetchState: %v", err)
	}
	checkFetchState(t, s, recovered)
	if got, _ := s.FetchState(ctx, "b"); (got != hub.FetchState{SourceID: "b"}) {
		t.Errorf("FetchState(b) = %+v, want the zero state: another source's state leaked", got)
	}
}

func checkFetchState(t *testing.T, s hub.Store, want hub.FetchState) {
	t.Helper()
	got, err := s.FetchState(t.Context(), want.SourceID)
	if err != nil {
		t.Fatalf("FetchState(%s): %v", want.SourceID, err)
	}
	if !sameFetchState(got, want) {
		t.Errorf("FetchState(%s) = %+v, want %+v", want.SourceID, got, want)
	}
}

// sameFetchState compares states field by field, their times as instants,
// so that a field added to hub.FetchState is compared without being listed.
func sameFetchState(a, b hub.FetchState) bool {
	return inUTC(a) == inUTC(b)
}

// inUTC returns st with its times in UTC and without monotonic readings, so
// that == compares them as instants.
func inUTC(st hub.FetchState) hub.FetchState {
	for _, t := range []*time.Time{&st.LastTry, &st.LastSuccess, &st.NextTry} {
		*t = t.UTC()
	}
	return st
}

func testSourceStats(t *testing.T, s hub.Store) {
	ctx := t.Context()
	stats, err := s.SourceStats(ctx)
	if err != nil || len(stats) != 0 {
		t.Fatalf("SourceStats of an empty store = %+v, %v; want none", stats, err)
	}

	save(t, s, "with-both", []hub.Item{item("with-both", "1", at(1)), item("with-both", "2", at(2))}, at(10))
	save(t, s, "items-only", []hub.Item{item("items-only", "1", at(1))}, at(10))
	// An undated item is dated by when it was first stored.
	save(t, s, "undated", []hub.Item{item("undated", "1", at(-100)), item("undated", "2", time.Time{})}, at(3))
	both := hub.FetchState{SourceID: "with-both", ETag: `"e"`, LastTry: at(10), LastSuccess: at(10)}
	stateOnly := hub.FetchState{SourceID: "state-only", LastTry: at(10), LastError: "HTTP 410 Gone", Failures: 1,
		Disabled: "HTTP 410 Gone", Suspect: "most titles empty", LastCount: 7, ConfigURL: "http://example.com/"}
	for _, st := range []hub.FetchState{both, stateOnly} {
		if err := s.SaveFetchState(ctx, st); err != nil {
			t.Fatalf("SaveFetchState: %v", err)
		}
	}
	// Unchanged and updated items do not count twice.
	changed := item("with-both", "2", at(2))
	changed.Title = "改"
	save(t, s, "with-both", []hub.Item{item("with-both", "1", at(1)), changed}, at(11))

	want := map[string]hub.SourceStat{
		"with-both":  {FetchState: both, Items: 2, Newest: at(2)},
		"items-only": {FetchState: hub.FetchState{SourceID: "items-only"}, Items: 1, Newest: at(1)},
		"undated":    {FetchState: hub.FetchState{SourceID: "undated"}, Items: 2, Newest: at(3)},
		"state-only": {FetchState: stateOnly, Items: 0},
	}
	stats, err = s.SourceStats(ctx)
	if err != nil {
		t.Fatalf("SourceStats: %v", err)
	}
	if len(stats) != len(want) {
		t.Errorf("SourceStats = %+v, want %d sources", stats, len(want))
	}
	for _, got := range stats {
		w, ok := want[got.SourceID]
		if !ok {
			t.Errorf("SourceStats has %q, want only %v", got.SourceID, slices.Sorted(maps.Keys(want)))
			continue
		}
		if got.Items != w.Items || !got.Newest.Equal(w.Newest) || !sameFetchState(got.FetchState, w.FetchState) {
			t.Errorf("SourceStats[%s] = %+v, want %+v", got.SourceID, got, w)
		}
	}
}

func checkCount(t *testing.T, s hub.Store, src string, want int) {
	t.Helper()
	stats, err := s.SourceStats(t.Context())
	if err != nil {
		t.Fatalf("SourceStats: %v", err)
	}
	for _, st := range stats {
		if st.SourceID == src {
			if st.Items != want {
				t.Errorf("SourceStats[%s].Items = %d, want %d", src, st.Items, want)
			}
			return
		}
	}
	t.Errorf("SourceStats has no %s, want %d items", src, want)
}

func testPartialFetchRemovesNothing(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	var full []hub.Item
	for h := range 5 {
		full = append(full, item("a", fmt.Sprint(h), at(h)))
	}
	save(t, s, "a", full, at(10))

	partial := []hub.Item{full[4], full[3]}
	partial[1].Title = "改"
	checkResult(t, save(t, s, "a", partial, at(11)), hub.SaveResult{Updated: 1, Unchanged: 1})
	checkResult(t, save(t, s, "a", nil, at(12)), hub.SaveResult{})
	checkKeys(t, "Items after a partial and an empty fetch", items(t, s, "c", 10), "a/4", "a/3", "a/2", "a/1", "a/0")
	checkCount(t, s, "a", 5)
}

func testFailedSaveChangesNothing(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	save(t, s, "a", []hub.Item{item("a", "kept", at(1))}, at(10))

	changed := item("a", "kept", at(1))
	changed.Title = "不应写入"
	bad := []hub.Item{item("a", "new", at(2)), changed, {SourceID: "a", Title: "no key"}}
	if _, err := s.SaveItems(t.Context(), "a", bad, at(11)); err == nil {
		t.Errorf("SaveItems with an item without Key: nil error, want an error")
	}
	wrong := []hub.Item{item("a", "new", at(2)), item("b", "other", at(3))}
	if _, err := s.SaveItems(t.Context(), "a", wrong, at(11)); err == nil {
		t.Errorf("SaveItems(a) with an item of source b: nil error, want an error")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.SaveItems(ctx, "a", []hub.Item{item("a", "new", at(2)), changed}, at(11)); err == nil {
		t.Errorf("SaveItems with a cancelled context: nil error, want an error")
	}

	got := items(t, s, "c", 10)
	checkKeys(t, "Items after failed saves", got, "a/kept")
	if len(got) == 1 && got[0].Title != item("a", "kept", at(1)).Title {
		t.Errorf("Title = %q after failed saves, want it unchanged", got[0].Title)
	}
	checkCount(t, s, "a", 1)
}

func testDuplicateKeysInBatch(t *testing.T, s hub.Store) {
	syncSources(t, s, map[string][]string{"a": {"c"}})
	first, dup := item("a", "1", at(1)), item("a", "1", at(1))
	dup.Title = "重复"
	res := save(t, s, "a", []hub.Item{first, dup, item("a", "2", at(2))}, at(10))
	if res.New != 2 || res.New+res.Updated+res.Unchanged != 3 {
		t.Errorf("SaveItems = %+v, want New 2 and every item counted once", res)
	}
	checkKeys(t, "Items", items(t, s, "c", 10), "a/2", "a/1")
}

// testConcurrent saves and reads from several goroutines at once; run under
// -race, and with the store's own locking, nothing may fail or race.
func testConcurrent(t *testing.T, s hub.Store) {
	const writers, readers, batches, perBatch = 4, 4, 15, 20
	channels := map[string][]string{}
	for w := range writers {
		channels[fmt.Sprint("w", w)] = []string{"c", fmt.Sprint("c", w)}
	}
	syncSources(t, s, channels)

	ctx := t.Context()
	errc := make(chan error, writers+readers+1)
	var writing, reading sync.WaitGroup
	done := make(chan struct{})
	for w := range writers {
		src := fmt.Sprint("w", w)
		writing.Go(func() {
			for b := range batches {
				var batch []hub.Item
				for i := range perBatch {
					// Half the batch is new, half repeats the last batch with a change.
					n := b*perBatch/2 + i
					it := item(src, fmt.Sprint(n), at(n))
					it.Title = fmt.Sprint("batch ", b)
					batch = append(batch, it)
				}
				if _, err := s.SaveItems(ctx, src, batch, at(1000+b)); err != nil {
					errc <- err
					return
				}
				st := hub.FetchState{SourceID: src, LastTry: at(b), LastSuccess: at(b)}
				if err := s.SaveFetchState(ctx, st); err != nil {
					errc <- err
					return
				}
			}
		})
	}
	writing.Go(func() {
		// SyncSources with the same map runs beside the other writers.
		for range 5 {
			if err := s.SyncSources(ctx, channels); err != nil {
				errc <- err
				return
			}
		}
	})
	for r := range readers {
		ch := []string{"c", "", fmt.Sprint("c", r)}[r%3]
		reading.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := s.Items(ctx, hub.Query{Channel: ch, Limit: 50}); err != nil {
					errc <- err
					return
				}
				if _, err := s.SourceStats(ctx); err != nil {
					errc <- err
					return
				}
				if _, err := s.FetchState(ctx, "w0"); err != nil {
					errc <- err
					return
				}
				// Leave the writers some CPU: the race detector slows
				// every call tenfold and more.
				time.Sleep(time.Millisecond)
			}
		})
	}
	writing.Wait()
	close(done)
	reading.Wait()
	close(errc)
	for err := range errc {
		t.Errorf("concurrent use: %v", err)
	}
	want := (batches-1)*perBatch/2 + perBatch
	for w := range writers {
		checkCount(t, s, fmt.Sprint("w", w), want)
	}
	if got := items(t, s, "c", 1000); len(got) != writers*want {
		t.Errorf("Items(c) = %d items, want %d", len(got), writers*want)
	}
}

func testPing(t *testing.T, s hub.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

// testChanges: the version moves with every write that changes what Items
// returns, names the sources whose items changed, and stays put otherwise.
func testChanges(t *testing.T, s hub.Store) {
	ctx := t.Context()
	changes := func(since int64) hub.ChangeSet {
		t.Helper()
		cs, err := s.Changes(ctx, since)
		if err != nil {
			t.Fatalf("Changes(%d): %v", since, err)
		}
		return cs
	}
	check := func(what string, since int64, wantSources []string, wantAll bool) int64 {
		t.Helper()
		cs := changes(since)
		if !slices.Equal(cs.Sources, wantSources) || cs.All != wantAll || (cs.Changed() != (cs.Version != since)) {
			t.Errorf("after %s: Changes(%d) = %+v, want sources %q, all %v", what, since, cs, wantSources, wantAll)
		}
		return cs.Version
	}
	v := check("nothing", 0, nil, false)
	if v != 0 {
		t.Errorf("version of an empty store = %d, want 0", v)
	}

	members := map[string][]string{"a": {"c1"}, "b": {"c2", "c1"}}
	syncSources(t, s, members)
	v1 := check("SyncSources", v, nil, true)
	syncSources(t, s, map[string][]string{"b": {"c1", "c2", "c1"}, "a": {"c1"}})
	check("SyncSources with the same memberships", v1, nil, false)

	a := []hub.Item{item("a", "1", at(1)), item("a", "2", at(2))}
	save(t, s, "a", a, at(3))
	v2 := check("new items of a", v1, []string{"a"}, false)
	save(t, s, "a", a, at(4))
	check("unchanged items of a", v2, nil, false)

	b := item("b", "1", at(1))
	save(t, s, "b", []hub.Item{b}, at(3))
	v3 := check("a new item of b", v2, []string{"b"}, false)
	b.Title += "（更新）"
	save(t, s, "b", []hub.Item{b}, at(4))
	check("an item of b updated", v3, []string{"b"}, false)
	v4 := check("both", v1, []string{"a", "b"}, false)

	res, err := s.Prune(ctx, []hub.Channel{{ID: "c1", KeepItems: 2}, {ID: "c2", KeepItems: 2}}, 0, at(5))
	if err != nil || res.Removed != 1 {
		t.Fatalf("Prune = %+v, %v; want the oldest item of a removed", res, err)
	}
	v5 := check("Prune", v4, []string{"a"}, false)
	if _, err := s.Prune(ctx, []hub.Channel{{ID: "c1", KeepItems: 2}, {ID: "c2", KeepItems: 2}}, 0, at(5)); err != nil {
		t.Fatal(err)
	}
	check("a Prune that removed nothing", v5, nil, false)

	syncSources(t, s, map[string][]string{"a": {"c2"}, "b": {"c2", "c1"}})
	check("a source moved to another channel", v5, nil, true)
}

// testLease: one holder at a time, until its lease expires; renewing and
// taking over; sources are leased apart; Changes sees nothing.
func testLease(t *testing.T, s hub.Store) {
	ctx := t.Context()
	lease := func(src, holder string, now time.Time, ttl time.Duration, want bool) {
		t.Helper()
		got, err := s.Lease(ctx, src, holder, now, now.Add(ttl))
		if err != nil {
			t.Fatalf("Lease(%s, %s): %v", src, holder, err)
		}
		if got != want {
			t.Errorf("Lease(%s, %s, %v) = %v, want %v", src, holder, now.Sub(base), got, want)
		}
	}
	lease("a", "p1", at(0), time.Minute, true)
	lease("a", "p2", at(0).Add(10*time.Second), time.Minute, false)
	lease("b", "p2", at(0).Add(10*time.Second), time.Minute, true) // another source
	lease("a", "p1", at(0).Add(50*time.Second), time.Minute, true) // renewed to 1m50s
	lease("a", "p2", at(0).Add(70*time.Second), time.Minute, false)
	lease("a", "p2", at(0).Add(110*time.Second), time.Minute, true) // expired: taken over
	lease("a", "p1", at(0).Add(120*time.Second), time.Minute, false)
	cs, err := s.Changes(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if cs.Changed() {
		t.Errorf("Changes after leases = %+v, want nothing", cs)
	}

	// Many processes at once: exactly one wins.
	var wins atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			ok, err := s.Lease(ctx, "c", fmt.Sprint("p", i), at(1), at(1).Add(time.Minute))
			if err != nil {
				t.Errorf("Lease: %v", err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if n := wins.Load(); n != 1 {
		t.Errorf("%d of 8 concurrent leases won, want 1", n)
	}
}
