package feeds

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
)

// longArticle is the text of variantItems' long article: more than brief's
// smallest N, with markup.
const longArticle = "全面推进乡村振兴，是新时代建设农业强国的重要任务。" +
	"各地坚持农业农村优先发展，巩固拓展脱贫攻坚成果，着力发展乡村产业、建设宜居宜业和美乡村。" +
	"实践表明，只有把农民的获得感放在首位，乡村振兴才有持久的动力。" +
	"我们要在理论上回答好为什么振兴、振兴什么、怎样振兴的问题，在实践中走出一条具有中国特色的乡村振兴道路。"

// variantItems are testItems and two more: a long article of the theory
// channel with two authors, and a bureau notice in politics (the second
// source of that channel).
func variantItems() []hub.Item {
	return append(testItems(),
		hub.Item{
			ID:         5,
			SourceID:   "people-theory",
			Key:        "guid-40428005",
			URL:        "http://theory.people.com.cn/n1/2025/0301/c40531-40428005.html",
			Title:      "全面推进乡村振兴的理论思考",
			Content:    "<p>" + longArticle + `</p><p><a href="http://theory.people.com.cn/rural/振兴.html">延伸阅读：乡村振兴</a></p>`,
			Categories: []string{"乡村振兴"},
			Published:  time.Date(2025, 3, 1, 6, 0, 0, 0, shanghai),
			FirstSeen:  time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC),
			Attribution: hub.Attribution{
				Credit:    "求是",
				CreditURL: "http://www.qstheory.cn/",
				Via:       "人民网 · 理论",
				Author:    "张三、李四",
				Copyright: "求是杂志社版权所有",
			},
		},
		hub.Item{
			ID:        6,
			SourceID:  "bureau-notices",
			Key:       "http://tjj.example.gov.cn/tzgg/2025/0302-1.html",
			URL:       "http://tjj.example.gov.cn/tzgg/2025/0302-1.html",
			Title:     "关于开展2025年统计调查的通知",
			Content:   "<p>各有关单位：现将统计调查有关事项通知如下。</p>",
			Published: time.Date(2025, 3, 2, 10, 0, 0, 0, shanghai),
			FirstSeen: time.Date(2025, 3, 2, 2, 10, 0, 0, time.UTC),
			Attribution: hub.Attribution{
				Credit:    "市统计局",
				Via:       "市统计局 · 通知公告",
				Copyright: "市统计局版权所有",
			},
		},
	)
}

// guids maps the variant items' ids to their GUIDs.
func guids() map[int64]string {
	m := map[int64]string{}
	for _, it := range variantItems() {
		m[it.ID] = it.FeedGUID()
	}
	return m
}

// served is what a test reads of a feed in any format.
type served struct {
	ids, titles, descriptions []string
	self                      string
}

func readServed(t *testing.T, ext string, body []byte) served {
	t.Helper()
	var s served
	switch ext {
	case "rss":
		wellFormed(t, body)
		var doc rssT
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, it := range doc.Channel.Items {
			s.ids = append(s.ids, it.GUID.ID)
			s.titles = append(s.titles, it.Title)
			s.descriptions = append(s.descriptions, it.Description)
		}
		for _, l := range doc.Channel.SelfLinks {
			if l.Rel == "self" {
				s.self = l.Href
			}
		}
	case "atom":
		wellFormed(t, body)
		var doc struct {
			atomT
			Entries []struct {
				ID      string `xml:"id"`
				Title   string `xml:"title"`
				Summary string `xml:"summary"`
				Content string `xml:"content"`
			} `xml:"entry"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatal(err)
		}
		for _, e := range doc.Entries {
			s.ids = append(s.ids, e.ID)
			s.titles = append(s.titles, e.Title)
			s.descriptions = append(s.descriptions, cmpOr(e.Summary, e.Content))
		}
		for _, l := range doc.Links {
			if l.Rel == "self" {
				s.self = l.Href
			}
		}
	case "json":
		var doc struct {
			FeedURL string `json:"feed_url"`
			Items   []struct {
				ID      string `json:"id"`
				Title   string `json:"title"`
				Summary string `json:"summary"`
				Content string `json:"content_html"`
			} `json:"items"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			t.Fatalf("%v\n%s", err, body)
		}
		for _, it := range doc.Items {
			s.ids = append(s.ids, it.ID)
			s.titles = append(s.titles, it.Title)
			s.descriptions = append(s.descriptions, cmpOr(it.Summary, it.Content))
		}
		s.self = doc.FeedURL
	}
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

var allExts = []string{"rss", "atom", "json"}

// TestVariantItems: every parameter, alone and together, keeps the items it
// should, in every format, newest first. The theory channel is, newest
// first, items 3 and 1 (the same minute), 5 and 2; politics is 6 and 4.
func TestVariantItems(t *testing.T) {
	tests := []struct {
		name, path string
		want       []int64
	}{
		{"base", "theory?utm_source=x", []int64{3, 1, 5, 2}},
		{"filter title", "theory?filter=%E6%9E%AB%E6%A1%A5", []int64{1}},                                // 枫桥
		{"filter description", "theory?filter=%E6%AD%A3%E6%96%87%E7%AC%AC", []int64{1}},                 // 正文第 (content)
		{"filter alternatives", "theory?filter=%E6%9E%AB%E6%A1%A5%7C%E5%90%8C%E4%B8%80", []int64{3, 1}}, // 枫桥|同一
		{"filter not the footer", "theory?filter=%E7%89%88%E6%9D%83", nil},                              // 版权 is in every footer only
		{"filter not markup", "theory?filter=href", nil},
		{"filter_title", "theory?filter_title=AT%26T", []int64{2}},
		{"filter_title case", "theory?filter_title=at%26t", nil},
		{"filter_case_sensitive=false", "theory?filter_title=at%26t&filter_case_sensitive=false", []int64{2}},
		{"filter_description", "theory?filter_description=%E5%9F%BA%E5%B1%82%E6%B2%BB%E7%90%86", []int64{1}}, // 基层治理 (summary)
		{"filter_description not title", "theory?filter_description=%E6%9E%AB%E6%A1%A5", nil},
		{"filter_author", "theory?filter_author=%E7%8E%8B%E6%99%93", []int64{3}},                                            // 王晓
		{"filter_author of two", "theory?filter_author=%5E%E6%9D%8E%E5%9B%9B%24%7C%E3%80%81%E6%9D%8E%E5%9B%9B", []int64{5}}, // ^李四$|、李四
		{"filter_category", "theory?filter_category=%5E%E5%9F%BA%E5%B1%82%E6%B2%BB%E7%90%86%24", []int64{1}},                // ^基层治理$
		{"filter_category any", "theory?filter_category=%E6%8C%AF%E5%85%B4", []int64{5}},                                    // 振兴
		{"filter fields or", "theory?filter_author=%E7%8E%8B%E6%99%93&filter_category=%E6%8C%AF%E5%85%B4", []int64{3, 5}},
		{"filterout", "theory?filterout=%E6%9E%AB%E6%A1%A5", []int64{3, 5, 2}},
		{"filterout_title", "theory?filterout_title=%5E%E5%90%8C%E4%B8%80", []int64{1, 5, 2}},
		{"filterout_description", "theory?filterout_description=%E6%AD%A3%E6%96%87", []int64{3, 5}},
		{"filterout_author", "theory?filterout_author=.", []int64{2}},
		{"filterout_category", "theory?filterout_category=.", []int64{3, 2}},
		{"filter and filterout", "theory?filter=%E6%9E%AB%E6%A1%A5%7C%E5%90%8C%E4%B8%80&filterout=%E6%9E%AB%E6%A1%A5", []int64{3}},
		{"filterout case", "theory?filterout_title=at%26t&filter_case_sensitive=false", []int64{3, 1, 5}},
		{"credit", "theory?credit=%E5%85%89%E6%98%8E%E6%97%A5%E6%8A%A5", []int64{3}}, // 光明日报
		{"credit exact", "theory?credit=%E5%85%89%E6%98%8E", nil},
		{"source", "politics?source=bureau-notices", []int64{6}},
		{"sources", "politics?source=people-politics,bureau-notices", []int64{6, 4}},
		{"source of another channel", "politics?source=people-theory", nil},
		{"filter_time", "politics?filter_time=36000", []int64{6}},
		{"filter_time edge", "politics?filter_time=39600", []int64{6, 4}},
		{"limit after filters", "theory?filterout=%E6%9E%AB%E6%A1%A5&limit=2", []int64{3, 5}},
		{"limit alone", "theory?limit=2", []int64{3, 1}},
		{"brief keeps items", "theory?brief=100", []int64{3, 1, 5, 2}},
		{"opencc keeps items", "theory?opencc=s2tw", []int64{3, 1, 5, 2}},
		{"everything", "theory?filter_category=.&filterout_author=%E7%8E%8B&credit=%E4%BA%BA%E6%B0%91%E6%97%A5%E6%8A%A5&source=people-theory&brief=120&opencc=s2t&filter_time=172800&limit=1", []int64{1}},
		// The ticker's snapshot is its newest latest_size items: 6, 4, 3.
		{"latest", "latest?filter=%E9%80%9A%E7%9F%A5%7C%E8%A6%81%E9%97%BB", []int64{6, 4}},
		{"latest snapshot", "latest?filter=%E6%9E%AB%E6%A1%A5", nil},
		{"latest source", "latest?source=people-theory&opencc=t2s", []int64{3}},
	}
	h := newTestHandler(t, newMemStore(testConfig(), variantItems()...))
	ids := guids()
	for _, tt := range tests {
		for _, ext := range allExts {
			t.Run(tt.name+"/"+ext, func(t *testing.T) {
				path, query, _ := strings.Cut(tt.path, "?")
				w := get(t, h, "GET", "/feeds/"+path+"."+ext+"?"+query)
				if w.Code != 200 {
					t.Fatalf("status = %d, want 200: %s", w.Code, w.Body)
				}
				var want []string
				for _, id := range tt.want {
					want = append(want, ids[id])
				}
				if got := readServed(t, ext, w.Body.Bytes()).ids; !slices.Equal(got, want) {
					t.Errorf("ids = %q, want %q", got, want)
				}
			})
		}
	}
}

// TestVariantSelfLink: a variant links to itself with its canonical query;
// a feed's identity does not depend on it.
func TestVariantSelfLink(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), variantItems()...))
	for _, ext := range allExts {
		w := get(t, h, "GET", "/feeds/theory."+ext+"?opencc=s2t&utm_source=x&filter=%E6%9E%AB")
		want := "http://hub.example/feeds/theory." + ext + "?filter=%E6%9E%AB&opencc=s2t"
		if got := readServed(t, ext, w.Body.Bytes()).self; got != want {
			t.Errorf("%s: self = %q, want %q", ext, got, want)
		}
		if ext == "atom" && !bytes.Contains(w.Body.Bytes(), []byte("<id>http://hub.example/feeds/theory.atom</id>")) {
			t.Errorf("atom feed id is not the base feed's:\n%s", w.Body)
		}
	}
}

// TestOpenCCVariant: titles, texts, attribution and the feed's own texts
// are converted in every format; links, ids and markup are not.
func TestOpenCCVariant(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), variantItems()...))
	for _, ext := range allExts {
		t.Run(ext, func(t *testing.T) {
			body := get(t, h, "GET", "/feeds/theory."+ext+"?opencc=s2t").Body.String()
			for _, want := range []string{"理論頻道", "堅持和發展新時代“楓橋經驗”", "基層治理", "人民日報社版權所有", "張三、李四", "求是雜誌社版權所有",
				"來源：", "經由：人民網 · 理論", "全面推進鄉村振興", "延伸閱讀", "http://theory.people.com.cn/rural/振兴.html",
				"編輯：張偉、陳靜", "某省網 · 理論"} {
				if !strings.Contains(body, want) {
					t.Errorf("no %q in\n%s", want, body)
				}
			}
			for _, unwanted := range []string{"坚持", "人民日报", "全面推进", "乡村振兴的理论", "来源：", "编辑", "张伟", "某省网"} {
				if strings.Contains(body, unwanted) {
					t.Errorf("%q left unconverted", unwanted)
				}
			}
			ids := readServed(t, ext, []byte(body)).ids
			if len(ids) != 4 || ids[1] != guids()[1] {
				t.Errorf("ids = %q", ids)
			}
		})
	}
}

// TestBriefVariant: the description is the first N characters of the
// article's text, without markup; shorter texts whole; the footer stays
// in the content.
func TestBriefVariant(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), variantItems()...))
	text := htmlText("<p>" + longArticle + "</p><p>延伸阅读：乡村振兴</p>")
	for _, n := range []int{100, 120} {
		for _, ext := range allExts {
			w := get(t, h, "GET", "/feeds/theory."+ext+"?brief="+strconv.Itoa(n))
			s := readServed(t, ext, w.Body.Bytes())
			if len(s.descriptions) != 4 {
				t.Fatalf("%s: %d items", ext, len(s.descriptions))
			}
			got := s.descriptions[2] // item 5
			if want := firstRunes(text, n); got != want || utf8.RuneCountInString(got) != n {
				t.Errorf("%s brief=%d: description = %q (%d characters), want %q", ext, n, got, utf8.RuneCountInString(got), want)
			}
			if strings.Contains(got, "<") {
				t.Errorf("%s: markup in %q", ext, got)
			}
			if got := s.descriptions[1]; got != "正文第一段。" {
				t.Errorf("%s: short description = %q, want the whole text", ext, got)
			}
			if ext != "rss" && !strings.Contains(w.Body.String(), "yizhan-attribution") {
				t.Errorf("%s: the attribution footer is gone", ext)
			}
		}
	}
}

// TestVariantBadQuery: every bad parameter is a 400 in plain text naming
// it, in every format, and is not cached.
func TestVariantBadQuery(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), variantItems()...))
	for _, tt := range badQueries {
		for _, ext := range allExts {
			w := get(t, h, "GET", "/feeds/theory."+ext+"?"+tt.raw)
			if w.Code != 400 {
				t.Errorf("%s?%.60s: status = %d, want 400", ext, tt.raw, w.Code)
				continue
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
				t.Errorf("%s?%.60s: Content-Type = %q", ext, tt.raw, ct)
			}
			if body := w.Body.String(); !strings.HasPrefix(body, "400 bad request: "+tt.param+": ") {
				t.Errorf("%s?%.60s: body = %q, want it to name %s", ext, tt.raw, body, tt.param)
			}
		}
	}
	if n, _ := h.cache.vars.stats(); n != 0 {
		t.Errorf("%d bad variants cached", n)
	}
}

// TestVariantServed: a variant is served like a base feed: strong ETag,
// Last-Modified, 304, gzip with its own ETag, HEAD, Cache-Control; an
// unknown parameter gets the base feed and its ETag; one rendering per
// canonical query.
func TestVariantServed(t *testing.T) {
	store := newMemStore(testConfig(), variantItems()...)
	h := newTestHandler(t, store)
	base := get(t, h, "GET", "/feeds/theory.rss")
	tracked := get(t, h, "GET", "/feeds/theory.rss?utm_source=weixin&utm_medium=x")
	if tracked.Header().Get("ETag") != base.Header().Get("ETag") || tracked.Body.String() != base.Body.String() {
		t.Errorf("?utm_source= got ETag %s, the base feed %s", tracked.Header().Get("ETag"), base.Header().Get("ETag"))
	}
	if n, _ := h.cache.vars.stats(); n != 0 {
		t.Errorf("an unknown parameter made %d variants", n)
	}

	const q = "/feeds/theory.rss?filter=%E6%9E%AB%E6%A1%A5&opencc=s2t"
	w := get(t, h, "GET", q)
	etag := w.Header().Get("ETag")
	if w.Code != 200 || !strings.HasPrefix(etag, `"`) || etag == base.Header().Get("ETag") {
		t.Fatalf("status %d, ETag %s (base %s)", w.Code, etag, base.Header().Get("ETag"))
	}
	if got := w.Header().Get("Cache-Control"); got != "public, max-age=900" {
		t.Errorf("Cache-Control = %q", got)
	}
	if got := w.Header().Get("Content-Type"); got != "application/rss+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := w.Header().Get("Last-Modified"); got != "Sat, 01 Mar 2025 02:00:00 GMT" {
		t.Errorf("Last-Modified = %q, want the snapshot's", got)
	}
	same := get(t, h, "GET", "/feeds/theory.rss?opencc=s2t&utm_source=x&filter=%E6%9E%AB%E6%A1%A5&filter_case_sensitive=true")
	if same.Header().Get("ETag") != etag {
		t.Errorf("the same variant in another order: ETag %s, want %s", same.Header().Get("ETag"), etag)
	}
	if n, _ := h.cache.vars.stats(); n != 1 {
		t.Errorf("%d variants cached, want 1", n)
	}
	if w := get(t, h, "GET", q, "If-None-Match", etag); w.Code != 304 || w.Body.Len() != 0 {
		t.Errorf("If-None-Match: status %d, %d bytes", w.Code, w.Body.Len())
	}
	if w := get(t, h, "GET", q, "If-Modified-Since", "Sat, 01 Mar 2025 02:00:00 GMT"); w.Code != 304 {
		t.Errorf("If-Modified-Since: status %d", w.Code)
	}
	gz := get(t, h, "GET", q, "Accept-Encoding", "gzip")
	if gz.Header().Get("Content-Encoding") != "gzip" || gz.Header().Get("ETag") == etag {
		t.Errorf("gzip: Content-Encoding %q, ETag %s", gz.Header().Get("Content-Encoding"), gz.Header().Get("ETag"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	if plain, _ := io.ReadAll(zr); !bytes.Equal(plain, w.Body.Bytes()) {
		t.Errorf("gzip body differs from the plain one")
	}
	head := get(t, h, "HEAD", q)
	if head.Code != 200 || head.Body.Len() != 0 || head.Header().Get("Content-Length") != strconv.Itoa(w.Body.Len()) {
		t.Errorf("HEAD: status %d, %d bytes, Content-Length %s", head.Code, head.Body.Len(), head.Header().Get("Content-Length"))
	}
}

// TestVariantRenders: a variant is rendered once per change, from the
// snapshot the base feeds read (no store read of its own), once for many
// concurrent requests, and again after its channel changes.
func TestVariantRenders(t *testing.T) {
	store := newMemStore(testConfig(), variantItems()...)
	h := newTestHandler(t, store)
	var renders atomic.Int64
	h.cache.onRender = func(string, format) { renders.Add(1) }
	get(t, h, "GET", "/feeds/theory.rss")
	reads := store.calls.Load()

	const q = "/feeds/theory.atom?filterout=%E6%9E%AB%E6%A1%A5"
	get(t, h, "GET", q)
	get(t, h, "GET", q)
	if got := store.calls.Load(); got != reads {
		t.Errorf("the variant read the store %d times, want none (the base feed's snapshot)", got-reads)
	}
	if got := renders.Load(); got != 2 {
		t.Errorf("%d renderings, want 2 (the base feed and the variant, once)", got)
	}

	store.add(hub.Item{ID: 7, SourceID: "people-theory", Key: "new", Title: "新的一篇", Summary: "新",
		Published: time.Date(2025, 3, 2, 8, 0, 0, 0, shanghai), Attribution: hub.Attribution{Credit: "人民日报"}})
	h.Cache().Invalidate("theory")
	store.gate = make(chan struct{})
	renders.Store(0)
	var wg sync.WaitGroup
	bodies := make([]string, 8)
	for i := range bodies {
		wg.Go(func() { bodies[i] = get(t, h, "GET", q).Body.String() })
	}
	time.Sleep(50 * time.Millisecond)
	close(store.gate)
	wg.Wait()
	if got := renders.Load(); got != 1 {
		t.Errorf("%d renderings for 8 concurrent requests, want 1", got)
	}
	for _, b := range bodies {
		if !strings.Contains(b, "新的一篇") {
			t.Fatalf("after the change the variant lacks the new item:\n%s", b)
		}
	}
}

// TestVariantCacheBounded: the variants' renderings stay within the
// budget, evicting the least recently used.
func TestVariantCacheBounded(t *testing.T) {
	cfg := testConfig()
	h := NewHandler(Options{Config: cfg, Store: newMemStore(cfg, variantItems()...), Now: fixedNow})
	size := func(q string) int64 {
		h.cache.vars.clear()
		get(t, h, "GET", "/feeds/theory.rss?"+q)
		_, n := h.cache.vars.stats()
		return n
	}
	one := size("filter=zz0")             // matching nothing, as the others: the same size
	cfg.VariantCacheBytes = 3*one + one/2 // three variants of this size, not four
	h.SetConfig(cfg)
	queries := []string{"filter=zz1", "filter=zz2", "filter=zz3", "filter=zz4", "filter=zz5"}
	for _, q := range queries[:3] {
		get(t, h, "GET", "/feeds/theory.rss?"+q)
	}
	get(t, h, "GET", "/feeds/theory.rss?filter=zz1") // now the most recently used
	for _, q := range queries[3:] {
		get(t, h, "GET", "/feeds/theory.rss?"+q)
	}
	n, bytes := h.cache.vars.stats()
	if n != 3 || bytes > cfg.VariantCacheBytes {
		t.Errorf("%d variants in %d bytes, want 3 within %d", n, bytes, cfg.VariantCacheBytes)
	}
	for _, q := range []string{"filter=zz1", "filter=zz4", "filter=zz5"} {
		if h.cache.vars.get(queryKey{"theory", formatRSS, q}, fixedNow) == nil {
			t.Errorf("%s was evicted; zz2 and zz3 were used less recently", q)
		}
	}
	cfg.VariantCacheBytes = one / 2
	h.SetConfig(cfg)
	if w := get(t, h, "GET", "/feeds/theory.rss?filter=a"); w.Code != 200 {
		t.Errorf("a variant larger than the budget: status %d", w.Code)
	}
	if n, _ := h.cache.vars.stats(); n != 0 {
		t.Errorf("%d variants kept beyond the budget", n)
	}
}

// TestFilterTimeExpires: a filter_time variant is made again when an item
// leaves the window, and its Last-Modified moves to that moment.
func TestFilterTimeExpires(t *testing.T) {
	var now atomic.Pointer[time.Time]
	set := func(t time.Time) { now.Store(&t) }
	set(clock)
	cfg := testConfig()
	h := NewHandler(Options{Config: cfg, Store: newMemStore(cfg, variantItems()...), Now: func() time.Time { return *now.Load() }})
	const q = "/feeds/politics.json?filter_time=39600" // 11 hours: items 6 and 4
	w := get(t, h, "GET", q)
	if got := len(readServed(t, "json", w.Body.Bytes()).ids); got != 2 {
		t.Fatalf("%d items, want 2", got)
	}
	set(clock.Add(30 * time.Minute)) // item 4 (09:00 +08:00) left at 20:00 +08:00, the clock
	w2 := get(t, h, "GET", q)
	if got := readServed(t, "json", w2.Body.Bytes()).ids; len(got) != 1 || got[0] != guids()[6] {
		t.Errorf("after item 4 left the window: ids %q, want item 6 only", got)
	}
	if got, want := w2.Header().Get("Last-Modified"), "Sun, 02 Mar 2025 12:00:00 GMT"; got != want {
		t.Errorf("Last-Modified = %q, want %q (when item 4 left)", got, want)
	}
	if w2.Header().Get("ETag") == w.Header().Get("ETag") {
		t.Errorf("same ETag for different items")
	}
}

// TestVariantGolden compares a filtered, a converted and a brief variant
// with testdata/*.golden.*; rewrite them with go test ./feeds -update.
func TestVariantGolden(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), variantItems()...))
	for _, tt := range []struct{ name, target string }{
		{"theory_filter.golden.rss", "/feeds/theory.rss?filter=%E6%8C%AF%E5%85%B4%7C%E6%9E%AB%E6%A1%A5&filterout_author=%E7%8E%8B"},
		{"theory_opencc.golden.atom", "/feeds/theory.atom?opencc=s2tw&limit=3"},
		{"theory_brief.golden.json", "/feeds/theory.json?brief=100"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			w := get(t, h, "GET", tt.target)
			if w.Code != 200 {
				t.Fatalf("status = %d: %s", w.Code, w.Body)
			}
			got := w.Body.Bytes()
			path := filepath.Join("testdata", tt.name)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./feeds -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the output; review and run go test ./feeds -update\n%s", path, firstDiff(got, want))
			}
		})
	}
}

// TestVariantReload: what a query means follows the configuration: a
// source a reload removed is a 400, not a variant remembered from before.
func TestVariantReload(t *testing.T) {
	cfg := testConfig()
	h := NewHandler(Options{Config: cfg, Store: newMemStore(cfg, variantItems()...), Now: fixedNow})
	const q = "/feeds/politics.rss?source=bureau-notices"
	if w := get(t, h, "GET", q); w.Code != 200 {
		t.Fatalf("status = %d, want 200", w.Code)
	}
	cfg.Sources = cfg.Sources[:2]
	h.SetConfig(cfg)
	if w := get(t, h, "GET", q); w.Code != 400 || !strings.Contains(w.Body.String(), "source") {
		t.Errorf("after the source was removed: status %d, %q; want a 400 naming source", w.Code, w.Body)
	}
}
