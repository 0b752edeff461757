package feeds

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/fold"
)

// Search makes memStore a hub.Searcher: what the stores' index does, the
// slow way (hub/storetest holds the stores to the same meaning).
func (s *memStore) Search(_ context.Context, q hub.SearchQuery) ([]hub.Item, error) {
	s.searchDedup.Store(q.Dedup)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	if q.Limit <= 0 {
		return nil, errors.New("memstore: limit must be positive")
	}
	fq := fold.Parse(q.Words)
	if len(fq) == 0 {
		return nil, nil
	}
	var out []hub.Item
	var tk fold.Tokenizer
	for _, it := range s.items {
		chans := s.channels[it.SourceID]
		if len(chans) == 0 || q.Channel != "" && !slices.Contains(chans, q.Channel) {
			continue
		}
		if q.Before != nil && hub.SearchKey(it.Position()) >= hub.SearchKey(*q.Before) {
			continue
		}
		tk.Tokens(it.Title, it.Summary, it.Content)
		text := " " + tk.Joined() + " "
		if !slices.ContainsFunc(fq, func(p fold.Phrase) bool {
			if p.Prefix {
				return !strings.Contains(text, " "+p.Tokens[0])
			}
			return !strings.Contains(text, " "+strings.Join(p.Tokens, " ")+" ")
		}) {
			out = append(out, it)
		}
	}
	slices.SortFunc(out, func(a, b hub.Item) int {
		return cmp.Compare(hub.SearchKey(b.Position()), hub.SearchKey(a.Position()))
	})
	return out[:min(len(out), q.Limit)], nil
}

var _ hub.Searcher = (*memStore)(nil)

func TestSearchFeedBadQuery(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	for _, target := range []string{
		"/feeds/search.rss",
		"/feeds/search.rss?q=",
		"/feeds/search.atom?q=+++",
		"/feeds/search.json?q=a&q=b",
		"/feeds/search.rss?q=枫桥&channel=nope",
		"/feeds/search.rss?q=枫桥&limit=0",
		"/feeds/search.rss?q=枫桥&filter=(",
		"/feeds/search.rss?q=枫桥&before=xyz",
	} {
		w := get(t, h, "GET", target)
		if w.Code != 400 || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("GET %s = %d %s, want 400 text/plain", target, w.Code, w.Header().Get("Content-Type"))
		}
	}
	if w := get(t, h, "GET", "/feeds/search.html?q=枫桥"); w.Code != 404 {
		t.Errorf("GET /feeds/search.html = %d, want 404", w.Code)
	}
}

// searchJSON fetches a search feed as JSON and returns its titles and its
// feed_url and next_url.
func searchJSON(t *testing.T, h *Handler, target string) (titles []string, self, next string) {
	t.Helper()
	w := get(t, h, "GET", target)
	if w.Code != 200 {
		t.Fatalf("GET %s = %d %s", target, w.Code, w.Body)
	}
	var doc struct {
		FeedURL string `json:"feed_url"`
		NextURL string `json:"next_url"`
		Items   []struct {
			Title string `json:"title"`
		} `json:"items"`
	}
	if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatalf("GET %s: %v", target, err)
	}
	for _, it := range doc.Items {
		titles = append(titles, it.Title)
	}
	return titles, doc.FeedURL, doc.NextURL
}

func TestSearchFeed(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"q=枫桥", []string{"坚持和发展新时代“枫桥经验”"}},
		{"q=" + url.QueryEscape("楓橋 經驗"), []string{"坚持和发展新时代“枫桥经验”"}},
		{"q=at%26t", []string{`AT&T 与 <标签> 的 "引号"`}},
		{"q=要闻", []string{"时政要闻一则"}},
		{"q=要闻&channel=theory", nil},
		{"q=要闻&channel=politics", []string{"时政要闻一则"}},
		{"q=要闻&channel=latest", []string{"时政要闻一则"}},
		{"q=同一时刻+发布", []string{"同一时刻发布的另一篇"}},
		{"q=量子", nil},
		{"q=" + url.QueryEscape("<script>"), []string{`AT&T 与 <标签> 的 "引号"`}},
		{"q=经验&filter_title=坚持", []string{"坚持和发展新时代“枫桥经验”"}},
		{"q=经验&filterout_title=坚持", nil},
		{"q=经验&opencc=s2t", []string{"堅持和發展新時代“楓橋經驗”"}},
	} {
		got, self, _ := searchJSON(t, h, "/feeds/search.json?"+tc.query)
		if !slices.Equal(got, tc.want) {
			t.Errorf("search %s = %q, want %q", tc.query, got, tc.want)
		}
		if !strings.HasPrefix(self, "http://hub.example/feeds/search.json?q=") {
			t.Errorf("search %s: feed_url %q, want the search's", tc.query, self)
		}
	}
	for _, ext := range []string{"rss", "atom"} {
		w := get(t, h, "GET", "/feeds/search."+ext+"?q=枫桥")
		if w.Code != 200 || !strings.Contains(w.Body.String(), "枫桥经验") {
			t.Errorf("search.%s = %d, want 200 with the item", ext, w.Code)
		}
		wellFormed(t, w.Body.Bytes())
	}
}

func TestSearchFeedPaging(t *testing.T) {
	cfg := testConfig()
	var items []hub.Item
	for i, it := range manyItems(12) {
		it.Title = "乡村振兴 " + it.Title
		it.ID = int64(i + 1)
		items = append(items, it)
	}
	h := newTestHandler(t, newMemStore(cfg, items...))
	var all []string
	target := "/feeds/search.json?q=振兴&limit=5"
	for range 10 {
		titles, _, next := searchJSON(t, h, target)
		all = append(all, titles...)
		if next == "" {
			break
		}
		target = strings.TrimPrefix(next, "http://hub.example")
		if !strings.Contains(target, "q=") {
			t.Fatalf("next_url %q lost the search", next)
		}
	}
	full, _, _ := searchJSON(t, h, "/feeds/search.json?q=振兴")
	if len(all) != 12 || len(full) != cfg.Settings.FeedSize {
		t.Errorf("pages hold %d items, want 12; the full search feed %d, want %d", len(all), len(full), cfg.Settings.FeedSize)
	}
	slices.Sort(all)
	if len(slices.Compact(all)) != 12 {
		t.Errorf("pages repeat items: %q", all)
	}
}

func TestSearchPage(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	w := get(t, h, "GET", "/search")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `<form class="search"`) || strings.Contains(w.Body.String(), `<ol class="items">`) {
		t.Fatalf("GET /search = %d, want the form alone:\n%s", w.Code, w.Body)
	}
	wellFormed(t, w.Body.Bytes())

	w = get(t, h, "GET", "/search?q="+url.QueryEscape("楓橋"))
	body := w.Body.String()
	for _, want := range []string{`<mark>枫桥</mark>`, `lang="zh-CN"`, `value="楓橋"`,
		`<link rel="alternate" type="application/rss&#43;xml"`, `href="http://hub.example/feeds/search.rss?q=%E6%A5%93%E6%A9%8B"`,
		`<a href="http://hub.example/channels/theory">理论频道</a>`} {
		if !strings.Contains(body, want) {
			t.Errorf("search page lacks %s:\n%s", want, body)
		}
	}
	wellFormed(t, w.Body.Bytes())

	w = get(t, h, "GET", "/search?q=nothing-here")
	if !strings.Contains(w.Body.String(), "没有找到") {
		t.Errorf("search page without results:\n%s", w.Body)
	}
	if w := get(t, h, "GET", "/search?q=a&channel=nope"); w.Code != 400 {
		t.Errorf("search page of an unknown channel = %d, want 400", w.Code)
	}
}

// TestSearchInjection: neither a query nor an upstream's title can add
// markup to a page or a feed.
func TestSearchInjection(t *testing.T) {
	evil := hub.Item{ID: 9, SourceID: "people-theory", Key: "evil", URL: "javascript:alert(1)",
		Title:   `<script>alert("t")</script><img src=x onerror=alert(2)> 减负`,
		Summary: `<p>减负<script>alert(3)</script></p>`, Published: clock}
	h := newTestHandler(t, newMemStore(testConfig(), append(testItems(), evil)...))
	for _, target := range []string{
		"/search?q=" + url.QueryEscape(`减负 "><script>alert(4)</script>`),
		"/search?q=" + url.QueryEscape(`减负`),
		"/channels/theory",
		"/",
	} {
		w := get(t, h, "GET", target)
		body := w.Body.String()
		for _, bad := range []string{"<script>alert", "<img src=x", `href="javascript:`} {
			if strings.Contains(body, bad) {
				t.Errorf("GET %s holds %s:\n%s", target, bad, body)
			}
		}
		wellFormed(t, w.Body.Bytes())
	}
	w := get(t, h, "GET", "/search?q="+url.QueryEscape(`减负`))
	if !strings.Contains(w.Body.String(), `&lt;script&gt;alert(&#34;t&#34;)&lt;/script&gt;`) {
		t.Errorf("search page does not show the title as text:\n%s", w.Body)
	}
}

// TestSearchOff: with [hub] search = false the hub serves no search, and
// neither its index page nor a channel's offers one.
func TestSearchOff(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	for _, off := range []bool{false, true} {
		cfg := testConfig()
		cfg.Settings.SearchOff = off
		h := NewHandler(Options{Config: cfg, Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: fixedNow})
		want := 200
		if off {
			want = 404
		}
		for _, target := range []string{"/feeds/search.rss?q=枫桥", "/search?q=枫桥"} {
			if w := get(t, h, "GET", target); w.Code != want {
				t.Errorf("search off %v: GET %s = %d, want %d", off, target, w.Code, want)
			}
		}
		for _, page := range []string{"/", "/channels/theory"} {
			body := get(t, h, "GET", page).Body.String()
			if has := strings.Contains(body, `role="search"`); has == off {
				t.Errorf("search off %v: %s has a search form: %v", off, page, has)
			}
		}
	}
}

// TestSearchDedup: the search feed and page ask the store for each story
// once exactly when the hub shows reposts as one story ([hub] dedup).
func TestSearchDedup(t *testing.T) {
	for _, dedup := range []bool{true, false} {
		store := newMemStore(testConfig(), testItems()...)
		cfg := testConfig()
		cfg.Settings.Dedup = dedup
		h := NewHandler(Options{Config: cfg, Store: store, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Now: fixedNow})
		for _, target := range []string{"/feeds/search.rss?q=枫桥", "/search?q=乡村"} {
			store.searchDedup.Store(!dedup)
			if w := get(t, h, "GET", target); w.Code != 200 {
				t.Fatalf("GET %s = %d", target, w.Code)
			}
			if got := store.searchDedup.Load(); got != dedup {
				t.Errorf("dedup %v: GET %s searched with Dedup %v", dedup, target, got)
			}
		}
	}
}

// TestSearchFeedNoHub: a search feed advertises no WebSub hub, in its
// headers or its document, since it is not a topic the hub accepts.
func TestSearchFeedNoHub(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	for _, f := range []string{"rss", "atom", "json"} {
		w := get(t, h, "GET", "/feeds/search."+f+"?q=枫桥")
		if w.Code != 200 {
			t.Fatalf("GET search.%s = %d", f, w.Code)
		}
		if strings.Contains(w.Body.String(), "/websub") || strings.Contains(strings.Join(w.Header().Values("Link"), " "), "hub") {
			t.Errorf("search.%s names a hub: Link %q, body %.300s", f, w.Header().Values("Link"), w.Body)
		}
	}
	// The channel feeds do (the test config advertises WebSub).
	if w := get(t, h, "GET", "/feeds/latest.rss"); !strings.Contains(w.Body.String(), "/websub") {
		t.Errorf("latest.rss names no hub; the test above proves nothing")
	}
}
