package feeds

import (
	"bufio"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// FuzzServe sends arbitrary request targets and validator headers through
// the server's own request parser and the handler: nothing panics and
// nothing answers 5xx.
func FuzzServe(f *testing.F) {
	for _, seed := range [][3]string{
		{"/feeds/theory.rss", "", ""},
		{"/feeds/theory.atom?limit=2", "gzip", `"abc"`},
		{"/feeds/latest.json?limit=3&_=1", "gzip;q=0, *", `W/"x", *`},
		{"/feeds/theory.json?limit=%zz", "", ""},
		{"/feeds/theory.rss?limit=1;limit=2", "", ""},
		{"/feeds/theory.rss?filter=%E6%9E%AB&opencc=s2t&brief=100&limit=2", "gzip", ""},
		{"/feeds/latest.json?filter_time=60&source=people-theory,people-politics&credit=x", "", ""},
		{"/feeds/theory.atom?filterout_category=(&filter_case_sensitive=false", "", ""},
		{"/feeds/../../etc/passwd", "", ""},
		{"/feeds/%2e%2e%2fetc%2fpasswd.rss", "", ""},
		{"/feeds/theory%00.rss", "", ""},
		{"/feeds/.rss", "", ""},
		{"/feeds/latest.", "", ""},
		{"//feeds//theory.rss", "", ""},
		{"/?x=" + strings.Repeat("%", 300), "", ""},
		{"/opml", "x-gzip;q=0.5", ""},
		{"/status", "", ""},
		{"/healthz", "", ""},
		{"*", "", ""},
		{"http://other.example/feeds/theory.rss", "", ""},
	} {
		f.Add(seed[0], seed[1], seed[2])
	}
	h := newTestHandler(f, newMemStore(testConfig(), testItems()...))
	f.Fuzz(func(t *testing.T, target, acceptEncoding, ifNoneMatch string) {
		raw := "GET " + target + " HTTP/1.1\r\nHost: hub.example\r\nAccept-Encoding: " + acceptEncoding +
			"\r\nIf-None-Match: " + ifNoneMatch + "\r\n\r\n"
		r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
		if err != nil {
			return // the server would have refused it before the handler
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("GET %q: status %d: %s", target, w.Code, w.Body)
		}
	})
}

// benchItems are n items the size of a People's Daily article.
func benchItems(n int) []hub.Item {
	body := "<p>" + strings.Repeat("新时代基层治理的生动实践，人民群众的获得感、幸福感、安全感持续增强。", 20) + "</p>"
	items := make([]hub.Item, n)
	for i := range items {
		items[i] = hub.Item{
			ID:         int64(i + 1),
			SourceID:   "people-theory",
			Key:        fmt.Sprintf("http://theory.people.com.cn/n1/2025/0301/c40531-%d.html", i),
			URL:        fmt.Sprintf("http://theory.people.com.cn/n1/2025/0301/c40531-%d.html", i),
			Title:      fmt.Sprintf("坚持和发展新时代“枫桥经验”（第%d篇）", i),
			Summary:    "基层治理的生动实践。",
			Content:    body,
			Categories: []string{"理论"},
			Published:  time.Date(2025, 3, 1, 8, 0, 0, 0, shanghai).Add(-time.Duration(i) * time.Hour),
			Attribution: hub.Attribution{
				Credit: "人民日报", CreditURL: "http://paper.people.com.cn/", Via: "人民网 · 理论",
				Author: "李红军", Copyright: "人民日报社版权所有",
			},
		}
	}
	return items
}

// benchWriter is a ResponseWriter that keeps nothing, so that a benchmark
// counts the handler's allocations only.
type benchWriter struct {
	h    http.Header
	code int
	n    int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) WriteHeader(code int)        { w.code = code }
func (w *benchWriter) Write(b []byte) (int, error) { w.n += len(b); return len(b), nil }

// BenchmarkServeCached serves a cached 50-item channel feed: a plain GET, a
// gzip GET and a conditional GET answered 304, through the whole Handler
// (ServeMux included) and through the feed handler alone.
//
//	go test ./feeds -run '^$' -bench ServeCached -benchmem
func BenchmarkServeCached(b *testing.B) {
	cfg := testConfig()
	cfg.Settings.FeedSize = 50
	h := NewHandler(Options{Config: cfg, Store: newMemStore(cfg, benchItems(50)...), Now: fixedNow})
	warm := httptest.NewRecorder()
	h.ServeHTTP(warm, httptest.NewRequest("GET", "/feeds/theory.rss", nil))
	etag := warm.Header().Get("ETag")
	cases := []struct {
		name   string
		header []string
		code   int
	}{
		{"GET", nil, 200},
		{"GET gzip", []string{"Accept-Encoding", "gzip, deflate, br"}, 200},
		{"304", []string{"If-None-Match", etag}, 304},
	}
	for _, path := range []string{"mux", "feed handler"} {
		for _, tc := range cases {
			b.Run(path+"/"+tc.name, func(b *testing.B) {
				r := httptest.NewRequest("GET", "/feeds/theory.rss", nil)
				for i := 0; i+1 < len(tc.header); i += 2 {
					r.Header.Set(tc.header[i], tc.header[i+1])
				}
				serve := h.ServeHTTP
				if path == "feed handler" {
					r.SetPathValue("file", "theory.rss")
					serve = h.serveFeed
				}
				w := &benchWriter{h: make(http.Header)}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					serve(w, r)
				}
				if w.code != tc.code {
					b.Fatalf("status %d, want %d", w.code, tc.code)
				}
			})
		}
	}
	b.Run("mux/GET gzip parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			r := httptest.NewRequest("GET", "/feeds/theory.rss", nil)
			r.Header.Set("Accept-Encoding", "gzip")
			w := &benchWriter{h: make(http.Header)}
			for pb.Next() {
				clear(w.h)
				h.ServeHTTP(w, r)
			}
		})
	})
}

// BenchmarkRender renders a 50-item channel in each format from items in
// memory: the cost of one cache miss, gzip included.
func BenchmarkRender(b *testing.B) {
	cfg := testConfig()
	cfg.Settings.FeedSize = 50
	c := newConfig(cfg)
	ch := c.channels["theory"]
	s := newSnapshot(benchItems(50), ch, c)
	for _, f := range feedFormats {
		b.Run(f.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				body, err := render(f, newFeedView(c, ch, s, 0))
				if err != nil {
					b.Fatal(err)
				}
				newEntry(body, f.contentType(), ch.cacheControl, s.lastMod)
			}
		})
	}
}

// BenchmarkServeVariant serves a cached variant of a 50-item channel feed
// (?filter=…&opencc=s2t), beside the base feed, through the whole Handler:
// what a variant adds to a request the cache answers.
//
//	go test ./feeds -run '^$' -bench ServeVariant -benchmem
func BenchmarkServeVariant(b *testing.B) {
	cfg := testConfig()
	cfg.Settings.FeedSize = 50
	h := NewHandler(Options{Config: cfg, Store: newMemStore(cfg, benchItems(50)...), Now: fixedNow})
	for _, target := range []struct{ name, url string }{
		{"base", "/feeds/theory.rss"},
		{"variant", "/feeds/theory.rss?filter=%E6%9E%AB%E6%A1%A5&opencc=s2t"},
	} {
		warm := httptest.NewRecorder()
		h.ServeHTTP(warm, httptest.NewRequest("GET", target.url, nil))
		if warm.Code != 200 {
			b.Fatalf("%s: status %d", target.url, warm.Code)
		}
		etag := warm.Header().Get("ETag")
		for _, tc := range []struct {
			name   string
			header []string
			code   int
		}{
			{"GET", nil, 200},
			{"GET gzip", []string{"Accept-Encoding", "gzip, deflate, br"}, 200},
			{"304", []string{"If-None-Match", etag}, 304},
		} {
			b.Run(target.name+"/"+tc.name, func(b *testing.B) {
				r := httptest.NewRequest("GET", target.url, nil)
				for i := 0; i+1 < len(tc.header); i += 2 {
					r.Header.Set(tc.header[i], tc.header[i+1])
				}
				w := &benchWriter{h: make(http.Header)}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					h.ServeHTTP(w, r)
				}
				if w.code != tc.code {
					b.Fatalf("status %d, want %d", w.code, tc.code)
				}
			})
		}
	}
}

// BenchmarkRenderVariant is the first request of a variant of a 50-item
// channel whose snapshot is in memory (the base feed was served): compiling
// its patterns, filtering, converting and rendering the items kept, gzip
// included. "filtered" keeps 10 of 50 items; "all" keeps every item. "after
// a change" is the first request of the variant after its channel changed:
// it also reads the (in-memory) store and prepares the snapshot and its
// plain text, which the base feeds and all other variants then share.
//
//	go test ./feeds -run '^$' -bench RenderVariant -benchmem
func BenchmarkRenderVariant(b *testing.B) {
	cfg := testConfig()
	cfg.Settings.FeedSize = 50
	h := NewHandler(Options{Config: cfg, Store: newMemStore(cfg, benchItems(50)...), Now: fixedNow})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/feeds/theory.rss", nil))
	if _, err := converterFor("s2t"); err != nil { // loaded once per process, not per variant
		b.Fatal(err)
	}
	for _, tc := range []struct{ name, query string }{
		{"filtered+s2t", "filter_title=" + url.QueryEscape("第[0-9]*[05]篇") + "&opencc=s2t"},
		{"filtered", "filter_title=" + url.QueryEscape("第[0-9]*[05]篇")},
		{"all+s2t", "opencc=s2t"},
		{"filtered+s2t after a change", "filter_title=" + url.QueryEscape("第[0-9]*[05]篇") + "&opencc=s2t"},
	} {
		for _, f := range []string{"rss", "json"} {
			b.Run(tc.name+"/"+f, func(b *testing.B) {
				target := "/feeds/theory." + f + "?" + tc.query
				r := httptest.NewRequest("GET", target, nil)
				w := &benchWriter{h: make(http.Header)}
				changed := strings.HasSuffix(tc.name, "after a change")
				b.ReportAllocs()
				for b.Loop() {
					h.cache.vars.clear()
					if changed {
						h.cache.Invalidate("theory")
					}
					clear(w.h)
					h.ServeHTTP(w, r)
				}
				if w.code != 200 {
					b.Fatalf("status %d", w.code)
				}
			})
		}
	}
}
