package storetest

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/encoding/htmlindex"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/fold"
	"github.com/yizhan-hub/yizhan/internal/testenv"
)

// searchTests hold a hub.Searcher to SPEC.md "Search and pages for people".
var searchTests = []struct {
	name string
	fn   func(t *testing.T, s hub.Store)
}{
	{"SearchCorpus", testSearchCorpus},
	{"SearchCases", testSearchCases},
	{"SearchPaging", testSearchPaging},
	{"SearchUpdateAndPrune", testSearchUpdateAndPrune},
	{"SearchDedup", testSearchDedup},
}

func searcher(t *testing.T, s hub.Store) hub.Searcher {
	t.Helper()
	se, ok := s.(hub.Searcher)
	if !ok {
		t.Fatalf("%T is not a hub.Searcher", s)
	}
	return se
}

// flushSearch waits, on a store that indexes behind the commit, until what
// was saved is searchable.
func flushSearch(t *testing.T, s any) {
	t.Helper()
	if x, ok := s.(hub.SearchIndexer); ok {
		if err := x.FlushSearch(t.Context()); err != nil {
			t.Fatalf("FlushSearch: %v", err)
		}
	}
}

func search(t *testing.T, se hub.Searcher, q hub.SearchQuery) []hub.Item {
	t.Helper()
	if q.Limit == 0 {
		q.Limit = 1000
	}
	flushSearch(t, se)
	got, err := se.Search(t.Context(), q)
	if err != nil {
		t.Fatalf("Search(%+v): %v", q, err)
	}
	return got
}

// corpusItems reads the labelled Chinese pages of the shared corpus
// (../shared/corpora/cn-html/labelled) as items of src: each page's
// labelled title and date, and its HTML, decoded, as content. It skips
// t when the corpus is missing (fails it under CI).
func corpusItems(t *testing.T, src string) []hub.Item {
	t.Helper()
	dir := testenv.Corpora(t, "cn-html/labelled")
	b, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []struct {
		File, Title, Date, Encoding, URL string
	}
	if err := json.Unmarshal(b, &labels); err != nil {
		t.Fatalf("labels.json: %v", err)
	}
	var out []hub.Item
	for i, l := range labels {
		enc, err := htmlindex.Get(l.Encoding)
		if err != nil {
			t.Fatalf("%s: %v", l.File, err)
		}
		f, err := os.Open(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(enc.NewDecoder().Reader(f))
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", l.File, err)
		}
		pub, err := time.Parse("2006-01-02T15:04Z07:00", l.Date)
		if err != nil {
			pub = at(-i) // some pages have only a day, or none
		}
		out = append(out, hub.Item{
			SourceID:  src,
			Key:       l.File,
			URL:       fmt.Sprintf("https://example.com/%d.html", i),
			Title:     l.Title,
			Content:   bodyOf(string(body)),
			Published: pub.Add(time.Duration(i) * time.Second), // distinct dates
		})
	}
	return out
}

var (
	bodyRE   = regexp.MustCompile(`(?is)<body[^>]*>(.*)</body>`)
	scriptRE = regexp.MustCompile(`(?is)<(script|style)[^>]*>.*?</(script|style)>|<!--.*?-->`)
	tagRE    = regexp.MustCompile(`<[^>]*>`)
)

// bodyOf is a page's body without scripts, styles and comments, as the
// sources keep an article's text.
func bodyOf(page string) string {
	if m := bodyRE.FindStringSubmatch(page); m != nil {
		page = m[1]
	}
	return scriptRE.ReplaceAllString(page, "")
}

// plain is what the search's meaning is worked out from, the slow way: the
// item's title and texts, without tags and white space, folded, in a line
// each.
func plain(it *hub.Item) string {
	var b strings.Builder
	for _, s := range []string{it.Title, it.Summary, it.Content} {
		s = html.UnescapeString(tagRE.ReplaceAllString(s, ""))
		b.WriteString(strings.Map(func(r rune) rune {
			if unicode.IsSpace(r) {
				return -1
			}
			return fold.Rune(r)
		}, s))
		b.WriteByte('\n')
	}
	return b.String()
}

// contains reports whether word, a run of Han characters, occurs in a plain
// text.
func contains(plain, word string) bool {
	return strings.Contains(plain, fold.String(word))
}

func ids(items []hub.Item) []string {
	out := make([]string, len(items))
	for i := range items {
		out[i] = items[i].Key
	}
	return out
}

// checkNewestFirst checks that items come in the order of Search.
func checkNewestFirst(t *testing.T, what string, items []hub.Item) {
	t.Helper()
	for i := 1; i < len(items); i++ {
		if hub.SearchKey(items[i].Position()) >= hub.SearchKey(items[i-1].Position()) {
			t.Errorf("%s: %q comes after %q but is not older", what, items[i].Key, items[i-1].Key)
		}
	}
}

func testSearchCorpus(t *testing.T, s hub.Store) {
	se := searcher(t, s)
	corpus := corpusItems(t, "s1")
	syncSources(t, s, map[string][]string{"s1": {"c1"}})
	save(t, s, "s1", corpus, at(0))
	plains := make([]string, len(corpus))
	for i := range corpus {
		plains[i] = plain(&corpus[i])
	}

	// Words of two to four characters from the corpus's titles, and
	// common ones: each must find exactly the items holding it.
	words := []string{"中国", "经济", "记者", "北京", "发展", "公司", "会议", "现代汽车", "洛阳", "普京"}
	for _, it := range corpus[:20] {
		var han []rune
		for _, r := range it.Title {
			if !unicode.Is(unicode.Han, r) {
				break
			}
			han = append(han, r)
		}
		if len(han) >= 2 {
			words = append(words, string(han[:min(len(han), 2+len(words)%3)]))
		}
	}
	found := 0
	for _, w := range words {
		var want []string
		for i := range corpus {
			if contains(plains[i], w) {
				want = append(want, corpus[i].Key)
			}
		}
		got := search(t, se, hub.SearchQuery{Words: w})
		checkNewestFirst(t, w, got)
		g := ids(got)
		slices.Sort(g)
		slices.Sort(want)
		if !slices.Equal(g, want) {
			t.Errorf("Search(%q) = %d items %q, want %d %q", w, len(g), g, len(want), want)
		}
		found += len(want)
	}
	if found == 0 {
		t.Fatal("no word found anything: the corpus is not what the test expects")
	}

	// Every word must occur: two words find what both find.
	both := search(t, se, hub.SearchQuery{Words: "中国 经济"})
	var want []string
	for i := range corpus {
		if contains(plains[i], "中国") && contains(plains[i], "经济") {
			want = append(want, corpus[i].Key)
		}
	}
	g := ids(both)
	slices.Sort(g)
	slices.Sort(want)
	if !slices.Equal(g, want) || len(want) == 0 {
		t.Errorf("Search(中国 经济) = %q, want %q (not empty)", g, want)
	}
}

func testSearchCases(t *testing.T, s hub.Store) {
	se := searcher(t, s)
	syncSources(t, s, map[string][]string{"s1": {"c1"}, "s3": {"c2"}})
	mk := func(src, key, title, content string, h int) hub.Item {
		it := item(src, key, at(h))
		it.Title, it.Summary, it.Content = title, "", content
		return it
	}
	save(t, s, "s1", []hub.Item{
		mk("s1", "simplified", "国务院：基层减负见成效", "<p>进一步为基层减负。</p>", 1),
		mk("s1", "traditional", "國務院：基層減負見成效", "<p>進一步為基層減負。</p>", 2),
		mk("s1", "markup", "乡村新貌", "<p>全面推进乡村<b>振</b>\n兴，建设<a href=\"x\">美丽</a>乡村</p>", 3),
		mk("s1", "latin", "APEC Leaders Meet", "<p>The apec summit opened in Lima.</p>", 4),
		mk("s1", "injection", `<script>alert(1)</script>" OR 1=1 --`, `<p>NEAR(减负 "x") * AND</p>`, 5),
	}, at(10))
	save(t, s, "s2", []hub.Item{mk("s2", "unpublished", "基层减负", "", 6)}, at(10))
	save(t, s, "s3", []hub.Item{mk("s3", "other-channel", "减负", "<p>减负</p>", 7)}, at(10))

	for _, tc := range []struct {
		name, q, channel string
		want             []string
	}{
		{"two characters", "减负", "", []string{"other-channel", "injection", "traditional", "simplified"}},
		{"traditional finds simplified", "減負", "c1", []string{"injection", "traditional", "simplified"}},
		{"longer word", "基层减负", "", []string{"traditional", "simplified"}},
		{"not a word of the text", "层见", "", nil},
		{"across markup and a line break", "乡村振兴", "", []string{"markup"}},
		{"across a link", "美丽乡村", "", []string{"markup"}},
		{"punctuation ends a word", "兴建", "", nil},
		{"Latin in any case", "APEC", "", []string{"latin"}},
		{"Latin lower case", "apec lima", "", []string{"latin"}},
		{"Latin whole words", "ape", "", nil},
		{"every word", "基层 成效", "", []string{"traditional", "simplified"}},
		{"every word, one missing", "基层 乡村", "", nil},
		{"no match", "量子纠缠", "", nil},
		{"channel", "减负", "c2", []string{"other-channel"}},
		{"unknown channel", "减负", "nope", nil},
		{"nothing to look for", " ，。！ ", "", nil},
		{"empty", "", "", nil},
		{"FTS syntax is text", `NEAR(减负 "x") * AND`, "", []string{"injection"}},
		{"quotes", `"减负`, "c1", []string{"injection", "traditional", "simplified"}},
		{"SQL", `' OR 1=1 --`, "", []string{"injection"}},
	} {
		got := search(t, se, hub.SearchQuery{Words: tc.q, Channel: tc.channel})
		if g := ids(got); !slices.Equal(g, tc.want) {
			t.Errorf("%s: Search(%q, channel %q) = %q, want %q", tc.name, tc.q, tc.channel, g, tc.want)
		}
	}
	// Items come whole, as Items returns them.
	got := search(t, se, hub.SearchQuery{Words: "APEC"})
	if len(got) == 1 && (got[0].Content != "<p>The apec summit opened in Lima.</p>" || got[0].URL == "" || got[0].ID == 0) {
		t.Errorf("Search(APEC) = %+v, want the item as stored", got[0])
	}
	if _, err := se.Search(t.Context(), hub.SearchQuery{Words: "减负"}); err == nil {
		t.Error("Search with no limit: nil error")
	}
}

func testSearchPaging(t *testing.T, s hub.Store) {
	se := searcher(t, s)
	syncSources(t, s, map[string][]string{"s1": {"c1"}})
	var all []hub.Item
	for i := range 23 {
		it := item("s1", fmt.Sprint("k", i), at(i%7)) // equal dates too
		it.Title = "乡村振兴第" + fmt.Sprint(i) + "期"
		all = append(all, it)
	}
	save(t, s, "s1", all, at(10))
	full := search(t, se, hub.SearchQuery{Words: "振兴"})
	if len(full) != 23 {
		t.Fatalf("Search = %d items, want 23", len(full))
	}
	checkNewestFirst(t, "振兴", full)
	var paged []string
	var before *hub.Position
	for range 10 {
		page := search(t, se, hub.SearchQuery{Words: "振兴", Limit: 5, Before: before})
		if len(page) == 0 {
			break
		}
		paged = append(paged, ids(page)...)
		p := page[len(page)-1].Position()
		before = &p
	}
	if want := ids(full); !slices.Equal(paged, want) {
		t.Errorf("pages = %q, want %q", paged, want)
	}
}

func testSearchUpdateAndPrune(t *testing.T, s hub.Store) {
	se := searcher(t, s)
	syncSources(t, s, map[string][]string{"s1": {"c1"}})
	var batch []hub.Item
	for i := range 6 {
		it := item("s1", fmt.Sprint("k", i), at(i))
		it.Title = "疫情通报"
		batch = append(batch, it)
	}
	save(t, s, "s1", batch, at(10))
	// An item whose text changes is found by its new words only.
	changed := batch[5]
	changed.Title = "減負通报"
	save(t, s, "s1", []hub.Item{changed}, at(11))
	checkKeys(t, "疫情 after the update", search(t, se, hub.SearchQuery{Words: "疫情"}), "s1/k4", "s1/k3", "s1/k2", "s1/k1", "s1/k0")
	checkKeys(t, "减负 after the update", search(t, se, hub.SearchQuery{Words: "减负"}), "s1/k5")
	// An item Prune removes is found no more.
	if _, err := s.Prune(t.Context(), []hub.Channel{{ID: "c1", KeepItems: 3}}, 0, at(12)); err != nil {
		t.Fatalf("Prune: %v", err)
	}
	checkKeys(t, "疫情 after Prune", search(t, se, hub.SearchQuery{Words: "疫情"}), "s1/k4", "s1/k3")
	checkKeys(t, "通报 after Prune", search(t, se, hub.SearchQuery{Words: "通报"}), "s1/k5", "s1/k4", "s1/k3")
}

// SearchSwitch checks a hub.SearchSwitch store: items saved after
// DisableSearch are not found, and once the store is opened again (reopen
// returns a second store on the same database; the first is closed) every
// item is indexed again in the background and found. wait waits for the
// reopened store's backfill to end.
func SearchSwitch(t *testing.T, s hub.Store, reopen func(t *testing.T) hub.Store, wait func(hub.Store)) {
	ctx := t.Context()
	sw, ok := s.(hub.SearchSwitch)
	if !ok {
		t.Fatalf("%T does not implement hub.SearchSwitch", s)
	}
	syncSources(t, s, map[string][]string{"a": {"c"}})
	find := func(s hub.Store, words string) []string {
		t.Helper()
		flushSearch(t, s)
		got, err := s.(hub.Searcher).Search(ctx, hub.SearchQuery{Words: words, Limit: 10})
		if err != nil {
			t.Fatalf("Search(%q): %v", words, err)
		}
		return keys(got)
	}
	before := item("a", "before", at(1))
	before.Title = "持之以恒为基层减负"
	save(t, s, "a", []hub.Item{before}, at(1))
	if err := sw.DisableSearch(ctx); err != nil {
		t.Fatalf("DisableSearch: %v", err)
	}
	after := item("a", "after", at(2))
	after.Title = "基层减负再出发"
	save(t, s, "a", []hub.Item{after}, at(2))
	if got := find(s, "减负"); !slices.Equal(got, []string{"a/before"}) {
		t.Errorf("Search with the index off = %q, want only the item saved before", got)
	}
	s.Close()

	again := reopen(t)
	defer again.Close()
	wait(again)
	if got := find(again, "减负"); !slices.Equal(got, []string{"a/after", "a/before"}) {
		t.Errorf("Search after reopening with search on = %q, want both, newest first", got)
	}
	// Indexing goes on as usual.
	third := item("a", "third", at(3))
	third.Title = "减负增效"
	save(t, again, "a", []hub.Item{third}, at(3))
	if got := find(again, "减负"); len(got) != 3 || got[0] != "a/third" {
		t.Errorf("Search after a new save = %q, want a/third first of three", got)
	}
}

// testSearchDedup: with Dedup, a story whose copies both match is found
// once, as the copy the feed shows (the publisher's own on the ticker, the
// portal's in a channel of the portal alone), with its carriers; paging
// through the results visits each story once.
func testSearchDedup(t *testing.T, s hub.Store) {
	se := searcher(t, s)
	syncSources(t, s, map[string][]string{"people": {"opinion"}, "prov": {"theory"}, "x": {"misc"}})
	save(t, s, "people", []hub.Item{ownCopy(daysAgo(3))}, daysAgo(3))
	save(t, s, "prov", []hub.Item{repost("prov", daysAgo(2.9))}, daysAgo(2.9))
	var others []hub.Item
	for i := range 3 {
		it := item("x", fmt.Sprint("o", i), daysAgo(2-float64(i)*0.1))
		it.Title = fmt.Sprint("减负增效第", i, "期")
		others = append(others, it)
	}
	save(t, s, "x", others, daysAgo(1))

	if got := keys(search(t, se, hub.SearchQuery{Words: "减负"})); len(got) != 5 {
		t.Errorf("Search without Dedup = %q, want both copies and the 3 others", got)
	}
	want := []string{"x/o2", "x/o1", "x/o0", "people/people-1"}
	got := search(t, se, hub.SearchQuery{Words: "减负", Dedup: true})
	if !slices.Equal(keys(got), want) {
		t.Fatalf("Search with Dedup = %q, want %q", keys(got), want)
	}
	if c := carriers(got[3]); len(c) != 1 || !strings.Contains(c[0], "prov") {
		t.Errorf("the story's carriers = %q, want the portal's copy", c)
	}
	if got := keys(search(t, se, hub.SearchQuery{Words: "减负", Channel: "theory", Dedup: true})); !slices.Equal(got, []string{"prov/prov-art-1"}) {
		t.Errorf("Search of theory with Dedup = %q, want the portal's copy", got)
	}
	var paged []string
	var before *hub.Position
	for range 10 {
		page := search(t, se, hub.SearchQuery{Words: "减负", Dedup: true, Limit: 2, Before: before})
		paged = append(paged, keys(page)...)
		if len(page) < 2 {
			break
		}
		p := page[len(page)-1].Position()
		before = &p
	}
	if !slices.Equal(paged, want) {
		t.Errorf("pages of 2 with Dedup = %q, want %q", paged, want)
	}
}
