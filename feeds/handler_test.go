package feeds

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yizhan-hub/yizhan/hub"
)

func TestRoutes(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	tests := []struct {
		method, target string
		code           int
		contentType    string
		cacheControl   string // checked when not empty
	}{
		{"GET", "/feeds/theory.rss", 200, "application/rss+xml; charset=utf-8", "public, max-age=900"},
		{"GET", "/feeds/theory.atom", 200, "application/atom+xml; charset=utf-8", "public, max-age=900"},
		{"GET", "/feeds/theory.json", 200, "application/feed+json; charset=utf-8", "public, max-age=900"},
		{"GET", "/feeds/politics.rss", 200, "application/rss+xml; charset=utf-8", "public, max-age=600"},
		{"GET", "/feeds/latest.rss", 200, "application/rss+xml; charset=utf-8", "public, max-age=600"},
		{"GET", "/feeds/latest.atom", 200, "application/atom+xml; charset=utf-8", ""},
		{"GET", "/feeds/latest.json", 200, "application/feed+json; charset=utf-8", ""},
		{"HEAD", "/feeds/theory.rss", 200, "application/rss+xml; charset=utf-8", ""},
		{"GET", "/", 200, "text/html; charset=utf-8", ""},
		{"GET", "/opml", 200, "text/x-opml; charset=utf-8", ""},
		{"GET", "/status", 200, "text/html; charset=utf-8", "no-store"},
		{"GET", "/healthz", 200, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/nosuch.rss", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/theory.xml", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/theory", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/theory.rss.rss", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/THEORY.rss", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/theory%2F..%2Flatest.rss", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/" + strings.Repeat("a", 100000) + ".rss", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/..%2F..%2Fetc%2Fpasswd", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/../../etc/passwd", 400, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/%2e%2e/x", 400, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/theory.rss/../../", 400, "text/plain; charset=utf-8", ""},
		{"GET", "/./feeds/theory.rss", 400, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/%2E./theory.rss", 400, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/..theory.rss", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/nosuch", 404, "text/plain; charset=utf-8", ""},
		{"GET", "/metrics", 404, "text/plain; charset=utf-8", ""}, // no Gatherer given
		{"POST", "/feeds/theory.rss", 405, "text/plain; charset=utf-8", ""},
		{"GET", "/feeds/theory.rss?limit=2", 200, "application/rss+xml; charset=utf-8", ""},
		{"GET", "/feeds/theory.rss?limit=0", 400, "text/plain; charset=utf-8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.target, func(t *testing.T) {
			w := get(t, h, tt.method, tt.target)
			if w.Code != tt.code {
				t.Fatalf("status = %d, want %d; body %q", w.Code, tt.code, w.Body)
			}
			if got := w.Header().Get("Content-Type"); got != tt.contentType {
				t.Errorf("Content-Type = %q, want %q", got, tt.contentType)
			}
			if tt.cacheControl != "" {
				if got := w.Header().Get("Cache-Control"); got != tt.cacheControl {
					t.Errorf("Cache-Control = %q, want %q", got, tt.cacheControl)
				}
			}
			if tt.method == "HEAD" && w.Body.Len() != 0 {
				t.Errorf("HEAD sent a body of %d bytes", w.Body.Len())
			}
			if tt.code >= 400 && (strings.Contains(w.Body.String(), "goroutine") || strings.Contains(w.Body.String(), "<")) {
				t.Errorf("error body is not short plain text: %q", w.Body)
			}
		})
	}
}

// TestFeedHeaders checks the validators and caching headers of a feed, and
// that HEAD sends the same headers as GET without a body.
func TestFeedHeaders(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	g := get(t, h, "GET", "/feeds/theory.atom")
	hd := get(t, h, "HEAD", "/feeds/theory.atom")
	etag := g.Header().Get("ETag")
	if len(etag) < 3 || etag[0] != '"' || etag[len(etag)-1] != '"' || strings.HasPrefix(etag, "W/") {
		t.Errorf("ETag = %q, want a strong quoted tag", etag)
	}
	// The newest of the items' dates, update times and first-seen times.
	if got, want := g.Header().Get("Last-Modified"), "Sat, 01 Mar 2025 02:00:00 GMT"; got != want {
		t.Errorf("Last-Modified = %q, want %q", got, want)
	}
	if got := g.Header().Get("Vary"); got != "Accept-Encoding" {
		t.Errorf("Vary = %q, want Accept-Encoding", got)
	}
	if got, want := g.Header().Get("Content-Length"), strconv.Itoa(g.Body.Len()); got != want {
		t.Errorf("Content-Length = %q, want %q", got, want)
	}
	for _, k := range []string{"ETag", "Last-Modified", "Cache-Control", "Content-Type", "Content-Length", "Vary"} {
		if hd.Header().Get(k) != g.Header().Get(k) {
			t.Errorf("HEAD %s = %q, GET %s = %q", k, hd.Header().Get(k), k, g.Header().Get(k))
		}
	}
	if hd.Body.Len() != 0 {
		t.Errorf("HEAD body has %d bytes", hd.Body.Len())
	}
	// The ETag comes from the content: another handler on the same data agrees.
	h2 := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	if got := get(t, h2, "GET", "/feeds/theory.atom").Header().Get("ETag"); got != etag {
		t.Errorf("ETag differs between two handlers on the same items: %q, %q", got, etag)
	}
}

func TestConditional(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	plain := get(t, h, "GET", "/feeds/theory.rss")
	zipped := get(t, h, "GET", "/feeds/theory.rss", "Accept-Encoding", "gzip")
	etag, gzETag := plain.Header().Get("ETag"), zipped.Header().Get("ETag")
	lastMod := plain.Header().Get("Last-Modified")
	lm, _ := http.ParseTime(lastMod)
	before := lm.Add(-time.Second).Format(http.TimeFormat)
	after := lm.Add(time.Hour).Format(http.TimeFormat)
	tests := []struct {
		name   string
		header []string
		code   int
	}{
		{"no validators", nil, 200},
		{"etag", []string{"If-None-Match", etag}, 304},
		{"weak form of the etag", []string{"If-None-Match", "W/" + etag}, 304},
		{"in a list", []string{"If-None-Match", `"other", ` + etag + `, "more"`}, 304},
		{"in a second field line", []string{"If-None-Match", `"other"`, "If-None-Match", etag}, 304},
		{"star", []string{"If-None-Match", "*"}, 304},
		{"other etag", []string{"If-None-Match", `"other"`}, 200},
		{"unquoted", []string{"If-None-Match", strings.Trim(etag, `"`)}, 200},
		{"gzip etag without gzip", []string{"If-None-Match", gzETag}, 200},
		{"gzip etag with gzip", []string{"If-None-Match", gzETag, "Accept-Encoding", "gzip"}, 304},
		{"plain etag with gzip", []string{"If-None-Match", etag, "Accept-Encoding", "gzip"}, 200},
		{"garbage", []string{"If-None-Match", `W/"unterminated`}, 200},
		{"modified since: same time", []string{"If-Modified-Since", lastMod}, 304},
		{"modified since: later", []string{"If-Modified-Since", after}, 304},
		{"modified since: earlier", []string{"If-Modified-Since", before}, 200},
		{"modified since: invalid", []string{"If-Modified-Since", "yesterday"}, 200},
		{"etag mismatch wins over date", []string{"If-None-Match", `"other"`, "If-Modified-Since", after}, 200},
		{"etag match wins over date", []string{"If-None-Match", etag, "If-Modified-Since", before}, 304},
	}
	for _, tt := range tests {
		for _, method := range []string{"GET", "HEAD"} {
			t.Run(method+" "+tt.name, func(t *testing.T) {
				w := get(t, h, method, "/feeds/theory.rss", tt.header...)
				if w.Code != tt.code {
					t.Fatalf("status = %d, want %d", w.Code, tt.code)
				}
				if tt.code == 304 {
					if w.Body.Len() != 0 {
						t.Errorf("304 with a body of %d bytes", w.Body.Len())
					}
					for _, k := range []string{"ETag", "Cache-Control", "Vary"} {
						if w.Header().Get(k) == "" {
							t.Errorf("304 without %s", k)
						}
					}
					if got := w.Header().Get("Last-Modified"); got != lastMod {
						t.Errorf("304 Last-Modified = %q, want the 200's %q", got, lastMod)
					}
				}
			})
		}
	}
}

func TestGzip(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	plain := get(t, h, "GET", "/feeds/theory.json")
	tests := []struct {
		acceptEncoding string
		gzip           bool
	}{
		{"gzip", true},
		{"gzip, deflate, br", true},
		{"br;q=1.0, GZIP;q=0.5", true},
		{"x-gzip", true},
		{"*", true},
		{"gzip;q=0", false},
		{"gzip;q=0.000, *", false},
		{"*;q=0", false},
		{"deflate", false},
		{"identity", false},
		{"", false},
	}
	for _, tt := range tests {
		t.Run(tt.acceptEncoding, func(t *testing.T) {
			w := get(t, h, "GET", "/feeds/theory.json", "Accept-Encoding", tt.acceptEncoding)
			if got := w.Header().Get("Content-Encoding") == "gzip"; got != tt.gzip {
				t.Fatalf("gzip = %v, want %v", got, tt.gzip)
			}
			if w.Header().Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary = %q", w.Header().Get("Vary"))
			}
			if !tt.gzip {
				if w.Header().Get("ETag") != plain.Header().Get("ETag") {
					t.Errorf("identity ETag %q differs from %q", w.Header().Get("ETag"), plain.Header().Get("ETag"))
				}
				return
			}
			if got, want := w.Header().Get("ETag"), strings.TrimSuffix(plain.Header().Get("ETag"), `"`)+`-gz"`; got != want {
				t.Errorf("gzip ETag = %q, want %q", got, want)
			}
			if got, want := w.Header().Get("Content-Length"), strconv.Itoa(w.Body.Len()); got != want {
				t.Errorf("Content-Length = %q, want %q", got, want)
			}
			zr, err := gzip.NewReader(w.Body)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(zr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(body, plain.Body.Bytes()) {
				t.Errorf("gunzipped body differs from the identity body")
			}
		})
	}
}

func TestLimit(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...)) // feed_size 5, latest_size 3
	tests := []struct {
		target string
		code   int
		items  int // when 200
	}{
		{"/feeds/theory.json?limit=1", 200, 1},
		{"/feeds/theory.json?limit=2", 200, 2},
		{"/feeds/theory.json?limit=5", 200, 3},
		{"/feeds/theory.json?limit=05", 200, 3},
		{"/feeds/theory.json?limit=2&_=1700000000", 200, 2},
		{"/feeds/theory.json?_=1700000000&limit=1", 200, 1},
		{"/feeds/theory.json?utm_source=x", 200, 3},
		{"/feeds/theory.json?%6Cimit=1", 200, 1},
		{"/feeds/theory.json?", 200, 3},
		{"/feeds/latest.json?limit=3", 200, 3},
		{"/feeds/latest.json?limit=2", 200, 2},
		{"/feeds/theory.json?limit=0", 400, 0},
		{"/feeds/theory.json?limit=6", 400, 0},
		{"/feeds/latest.json?limit=4", 400, 0},
		{"/feeds/theory.json?limit=-1", 400, 0},
		{"/feeds/theory.json?limit=+1", 400, 0},
		{"/feeds/theory.json?limit=1.5", 400, 0},
		{"/feeds/theory.json?limit=", 400, 0},
		{"/feeds/theory.json?limit", 400, 0},
		{"/feeds/theory.json?limit=abc", 400, 0},
		{"/feeds/theory.json?limit=99999999999999999999", 400, 0},
		{"/feeds/theory.json?limit=1&limit=2", 400, 0},
		{"/feeds/theory.json?limit=1&limit=1", 400, 0},
		{"/feeds/theory.json?limit=%zz", 400, 0},
		{"/feeds/theory.json?limit=1;x=2", 400, 0},
		{"/feeds/theory.json?x=" + strings.Repeat("a", maxQuery), 400, 0},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			w := get(t, h, "GET", tt.target)
			if w.Code != tt.code {
				t.Fatalf("status = %d, want %d; body %q", w.Code, tt.code, w.Body)
			}
			if tt.code != 200 {
				if ct := w.Header().Get("Content-Type"); ct != "text/plain; charset=utf-8" {
					t.Errorf("Content-Type = %q, want plain text", ct)
				}
				return
			}
			var doc jsonT
			if err := json.Unmarshal(w.Body.Bytes(), &doc); err != nil {
				t.Fatal(err)
			}
			if len(doc.Items) != tt.items {
				t.Errorf("%d items, want %d", len(doc.Items), tt.items)
			}
		})
	}
	// A limited feed names itself with its limit; its ETag is its own.
	a := get(t, h, "GET", "/feeds/theory.json?limit=2")
	b := get(t, h, "GET", "/feeds/theory.json")
	if !strings.Contains(a.Body.String(), `"feed_url": "http://hub.example/feeds/theory.json?limit=2"`) {
		t.Errorf("limited feed's feed_url lacks its limit")
	}
	if a.Header().Get("ETag") == b.Header().Get("ETag") {
		t.Errorf("limited and full feed share an ETag")
	}
	// limit=feed_size is the full feed.
	if c := get(t, h, "GET", "/feeds/theory.json?limit=5"); c.Header().Get("ETag") != b.Header().Get("ETag") {
		t.Errorf("limit=feed_size ETag %q, full feed %q", c.Header().Get("ETag"), b.Header().Get("ETag"))
	}
}

// TestLimitVariantsBounded: walking through every limit does not keep every
// rendering, and needs no store read beyond the first.
func TestLimitVariantsBounded(t *testing.T) {
	cfg := testConfig()
	cfg.Settings.FeedSize = 50
	store := newMemStore(cfg, testItems()...)
	h := NewHandler(Options{Config: cfg, Store: store, Now: fixedNow})
	for n := 1; n <= 50; n++ {
		if w := get(t, h, "GET", "/feeds/theory.rss?limit="+strconv.Itoa(n)); w.Code != 200 {
			t.Fatalf("limit=%d: status %d", n, w.Code)
		}
	}
	c := h.Cache()
	n := len(*c.entries.Load())
	if n > 1+maxLimitVariants {
		t.Errorf("%d renderings kept, want at most %d", n, 1+maxLimitVariants)
	}
	if got := store.calls.Load(); got != 1 {
		t.Errorf("Store.Items called %d times, want 1", got)
	}
}

func TestInvalidate(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	h := newTestHandler(t, store)
	paths := []string{"/feeds/theory.rss", "/feeds/theory.json?limit=1", "/feeds/politics.atom", "/feeds/latest.json", "/"}
	first := map[string]*http.Response{}
	for _, p := range paths {
		first[p] = get(t, h, "GET", p).Result()
	}
	calls := store.calls.Load()
	if calls != 3 {
		t.Fatalf("Store.Items called %d times for 3 feeds, want 3", calls)
	}

	// A new theory item, published later than every other: not visible
	// until the runner invalidates the channel.
	store.add(hub.Item{
		SourceID: "people-theory", Key: "new", URL: "http://theory.people.com.cn/new.html", Title: "新条目",
		Published: time.Date(2025, 3, 2, 10, 0, 0, 0, shanghai), FirstSeen: clock,
		Attribution: hub.Attribution{Credit: "人民日报"},
	})
	for _, p := range paths {
		if got, want := get(t, h, "GET", p).Header().Get("ETag"), first[p].Header.Get("ETag"); got != want {
			t.Errorf("%s: ETag changed to %q before Invalidate", p, got)
		}
	}
	if store.calls.Load() != calls {
		t.Fatalf("cached requests read the store")
	}

	h.Cache().Invalidate("theory")
	changed := map[string]bool{"/feeds/theory.rss": true, "/feeds/theory.json?limit=1": true, "/feeds/latest.json": true, "/": true}
	for _, p := range paths {
		w := get(t, h, "GET", p)
		etag := w.Header().Get("ETag")
		if changed[p] == (etag == first[p].Header.Get("ETag")) {
			t.Errorf("%s: ETag changed = %v, want %v", p, !changed[p], changed[p])
		}
		if changed[p] && p != "/" {
			if got, want := w.Header().Get("Last-Modified"), "Sun, 02 Mar 2025 12:00:00 GMT"; got != want {
				t.Errorf("%s: Last-Modified = %q, want %q (the new item's)", p, got, want)
			}
		}
		// A client holding the old ETag gets the new feed.
		if c := get(t, h, "GET", p, "If-None-Match", first[p].Header.Get("ETag")); changed[p] != (c.Code == 200) {
			t.Errorf("%s: conditional GET with the old ETag = %d", p, c.Code)
		}
	}
	if got := store.calls.Load() - calls; got != 2 {
		t.Errorf("Store.Items called %d times after Invalidate(theory), want 2 (theory, latest)", got)
	}
}

// TestLastModifiedMovesWithContent: an item edited in place keeps its date,
// yet If-Modified-Since must not answer 304 for the changed feed.
func TestLastModifiedMovesWithContent(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	now := clock
	h := NewHandler(Options{Config: testConfig(), Store: store, Now: func() time.Time { return now }})
	w1 := get(t, h, "GET", "/feeds/theory.rss")
	lm1 := w1.Header().Get("Last-Modified")

	// Invalidated with nothing changed: same bytes, same validators.
	h.Cache().Invalidate("theory")
	w2 := get(t, h, "GET", "/feeds/theory.rss")
	if w2.Header().Get("ETag") != w1.Header().Get("ETag") || w2.Header().Get("Last-Modified") != lm1 {
		t.Errorf("validators changed without a change of content")
	}

	store.mu.Lock()
	store.items[0].Title = "标题改了"
	store.mu.Unlock()
	now = now.Add(time.Hour)
	h.Cache().Invalidate("theory")
	w3 := get(t, h, "GET", "/feeds/theory.rss", "If-Modified-Since", lm1)
	if w3.Code != 200 {
		t.Fatalf("If-Modified-Since after an edit in place: status %d, want 200", w3.Code)
	}
	lm3, _ := http.ParseTime(w3.Header().Get("Last-Modified"))
	if !lm3.Equal(now) {
		t.Errorf("Last-Modified = %v, want the time the change was seen, %v", lm3, now)
	}
}

// TestSingleflight: many concurrent requests for feeds of a channel that is
// not cached read the store once, and render each feed once.
func TestSingleflight(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	store.gate = make(chan struct{})
	reg := prometheus.NewRegistry()
	h := NewHandler(Options{Config: testConfig(), Store: store, Now: fixedNow, Registerer: reg})
	paths := []string{"/feeds/theory.rss", "/feeds/theory.atom", "/feeds/theory.json", "/feeds/theory.rss?limit=2"}
	const n = 40
	var started, done sync.WaitGroup
	started.Add(n)
	done.Add(n)
	codes := make([]int, n)
	etags := make([]string, n)
	for i := range n {
		go func() {
			defer done.Done()
			started.Done()
			w := get(t, h, "GET", paths[i%len(paths)])
			codes[i], etags[i] = w.Code, w.Header().Get("ETag")
		}()
	}
	started.Wait()
	for store.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // let the others pile up behind the first
	close(store.gate)
	done.Wait()
	if got := store.calls.Load(); got != 1 {
		t.Errorf("Store.Items called %d times, want 1", got)
	}
	for i := range n {
		if want := etags[i%len(paths)]; codes[i] != 200 || etags[i] != want {
			t.Errorf("request %d: %d %q, want 200 %q", i, codes[i], etags[i], want)
		}
	}
	for _, f := range []string{"atom", "json"} {
		if got := counterValue(t, reg, "yizhan_feed_renders_total", "channel", "theory", "format", f); got != 1 {
			t.Errorf("%s renders = %v, want 1", f, got)
		}
	}
	if got := counterValue(t, reg, "yizhan_feed_renders_total", "channel", "theory", "format", "rss"); got != 2 {
		t.Errorf("rss renders = %v, want 2 (full and limit=2)", got)
	}
}

// TestStoreError: a store failure is a plain 500 that says nothing of the
// cause, is logged, and is not cached.
func TestStoreError(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	store.err = errors.New("database is locked (517)")
	var logs bytes.Buffer
	h := NewHandler(Options{
		Config: testConfig(), Store: store, Now: fixedNow,
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
	})
	for _, p := range []string{"/feeds/theory.rss", "/", "/status"} {
		w := get(t, h, "GET", p)
		if w.Code != 500 {
			t.Fatalf("%s: status = %d, want 500", p, w.Code)
		}
		if strings.Contains(w.Body.String(), "locked") {
			t.Errorf("%s: error body shows the cause: %q", p, w.Body)
		}
		if w.Header().Get("Content-Type") != "text/plain; charset=utf-8" {
			t.Errorf("%s: Content-Type = %q", p, w.Header().Get("Content-Type"))
		}
	}
	if !strings.Contains(logs.String(), "database is locked") || !strings.Contains(logs.String(), "level=ERROR") {
		t.Errorf("500 not logged with its cause: %q", logs.String())
	}
	store.mu.Lock()
	store.err = nil
	store.mu.Unlock()
	if w := get(t, h, "GET", "/feeds/theory.rss"); w.Code != 200 {
		t.Errorf("after the store recovered: status = %d, want 200", w.Code)
	}
}

func TestHealthz(t *testing.T) {
	store := newMemStore(testConfig())
	h := newTestHandler(t, store)
	if w := get(t, h, "GET", "/healthz"); w.Code != 200 {
		t.Errorf("status = %d, want 200", w.Code)
	}
	store.mu.Lock()
	store.pingErr = errors.New("disk I/O error")
	store.mu.Unlock()
	w := get(t, h, "GET", "/healthz")
	if w.Code != 503 {
		t.Errorf("status = %d, want 503", w.Code)
	}
	if strings.Contains(w.Body.String(), "disk") {
		t.Errorf("body shows the cause: %q", w.Body)
	}
}

func TestStatus(t *testing.T) {
	cfg := testConfig()
	cfg.Sources = append(cfg.Sources,
		hub.Source{ID: "failing", Name: "坏掉的<来源>", Kind: hub.KindFeed, Channels: []string{"theory"}, Enabled: true},
		hub.Source{ID: "backoff", Name: "退避中", Kind: hub.KindFeed, Channels: []string{"theory"}, Enabled: true},
		hub.Source{ID: "suspect", Kind: hub.KindFeed, URL: "http://s/", Channels: []string{"theory"}, Enabled: true},
		hub.Source{ID: "gone", Kind: hub.KindFeed, URL: "http://g/", Channels: []string{"theory"}, Enabled: true},
		hub.Source{ID: "ttl", Kind: hub.KindFeed, URL: "http://t/", Channels: []string{"theory"}, Enabled: true},
		hub.Source{ID: "moved-on", Kind: hub.KindFeed, URL: "http://new/", Channels: []string{"theory"}, Enabled: true},
	)
	store := newMemStore(cfg)
	store.stats = []hub.SourceStat{
		{FetchState: hub.FetchState{SourceID: "people-theory", LastTry: clock.Add(-time.Minute), LastSuccess: clock.Add(-time.Minute)}, Items: 42},
		{FetchState: hub.FetchState{SourceID: "failing", LastTry: clock.Add(-time.Minute), LastSuccess: clock.Add(-time.Hour),
			LastError: `fetch failing: status 500 <script>alert(1)</script>`, Failures: 1}, Items: 7},
		{FetchState: hub.FetchState{SourceID: "backoff", LastTry: clock.Add(-time.Minute), LastError: "timeout",
			Failures: 3, NextTry: clock.Add(2 * time.Hour)}},
		{FetchState: hub.FetchState{SourceID: "removed-long-ago", LastTry: clock, LastError: "fetch removed-long-ago: HTTP 404 Not Found"}, Items: 1},
		{FetchState: hub.FetchState{SourceID: "suspect", ConfigURL: "http://s/", LastTry: clock, LastSuccess: clock,
			Suspect: "no items, where the last sound fetch had 40"}, Items: 40},
		{FetchState: hub.FetchState{SourceID: "gone", ConfigURL: "http://g/", LastTry: clock, Failures: 1, NextTry: clock.Add(time.Minute),
			LastError: "fetch gone: http://g/: HTTP 410 Gone", Disabled: "HTTP 410 Gone: the upstream removed it"}},
		{FetchState: hub.FetchState{SourceID: "ttl", ConfigURL: "http://t/", LastTry: clock, LastSuccess: clock, NextTry: clock.Add(3 * time.Hour)}},
		{FetchState: hub.FetchState{SourceID: "moved-on", ConfigURL: "http://old/", LastTry: clock, Failures: 1,
			LastError: "fetch moved-on: http://old/: HTTP 410 Gone", Disabled: "HTTP 410 Gone: the upstream removed it"}},
	}
	h := NewHandler(Options{Config: cfg, Store: store, Now: fixedNow,
		NextRun: func(id string) time.Time { return clock.Add(15 * time.Minute) }})
	w := get(t, h, "GET", "/status")
	if w.Code != 200 {
		t.Fatalf("status = %d", w.Code)
	}
	body := w.Body.String()
	wellFormed(t, w.Body.Bytes())
	rows := map[string]string{}
	for _, row := range strings.Split(body, "<tr id=\"source-")[1:] {
		id, rest, _ := strings.Cut(row, `"`)
		rows[id] = rest
	}
	tests := []struct {
		id, state string
		has       []string
	}{
		{"people-theory", stateOK, []string{"42", "2025-03-02 19:59:00 +0800", "2025-03-02 20:15:00 +0800"}},
		{"people-politics", stateNever, nil},
		{"bureau-notices", stateDisabled, nil},
		{"failing", stateFailing, []string{"&lt;script&gt;", "坏掉的&lt;来源&gt;", "2025-03-02 19:00:00 +0800"}},
		{"backoff", stateBackingOff, []string{"timeout", "2025-03-02 22:00:00 +0800", "连续失败 3 次"}}, // next run held back to NextTry
		{"suspect", stateSuspect, []string{"suspect: no items, where the last sound fetch had 40", "2025-03-02 20:15:00 +0800"}},
		{"gone", stateDisabled, []string{"disabled: HTTP 410 Gone: the upstream removed it", "<td>0</td><td>—</td>"}}, // no next run, and why
		{"ttl", stateOK, []string{"2025-03-02 23:00:00 +0800"}},                                                       // the upstream's ttl holds the schedule back
		{"moved-on", stateNever, []string{"2025-03-02 20:15:00 +0800"}},                                               // the 410 was the old URL's
	}
	for _, tt := range tests {
		row, ok := rows[tt.id]
		if !ok {
			t.Errorf("no row for %s", tt.id)
			continue
		}
		if !strings.Contains(row, ">"+tt.state+"<") {
			t.Errorf("%s: state is not %q: %s", tt.id, tt.state, row)
		}
		for _, s := range tt.has {
			if !strings.Contains(strings.ReplaceAll(row, "&#43;", "+"), s) {
				t.Errorf("%s: row lacks %q: %s", tt.id, s, row)
			}
		}
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("status page is not escaped")
	}
	if row := rows["moved-on"]; strings.Contains(row, "连续失败") {
		t.Errorf("moved-on: failures of the previous URL shown: %s", row)
	}
	if row := rows["removed-long-ago"]; !strings.Contains(row, ">"+stateGone+"<") {
		t.Errorf("a source no longer configured is not listed as such: %q", row)
	}
	if row := rows["removed-long-ago"]; !strings.Contains(row, "<td>HTTP 404 Not Found</td>") {
		t.Errorf("a source no longer configured: the last error does not drop the prefix naming it: %q", row)
	}
}

func TestIndexPage(t *testing.T) {
	items := testItems()
	items[3].Title = `<script>alert("x")</script>`
	items[3].URL = "javascript:alert(1)"
	h := newTestHandler(t, newMemStore(testConfig(), items...))
	w := get(t, h, "GET", "/")
	body := w.Body.String()
	wellFormed(t, w.Body.Bytes())
	for _, ch := range []string{"latest", "theory", "politics"} {
		for _, f := range []struct{ ext, typ string }{{"rss", "application/rss&#43;xml"}, {"atom", "application/atom&#43;xml"}, {"json", "application/feed&#43;json"}} {
			want := `<link rel="alternate" type="` + f.typ + `"`
			href := `href="http://hub.example/feeds/` + ch + "." + f.ext + `"/>`
			found := false
			for _, line := range strings.Split(body, "\n") {
				if strings.HasPrefix(line, want) && strings.HasSuffix(line, href) {
					found = true
				}
			}
			if !found {
				t.Errorf("no <link rel=alternate> for %s.%s", ch, f.ext)
			}
		}
	}
	// The ticker's headlines, newest first, escaped.
	i1 := strings.Index(body, "&lt;script&gt;")
	i2 := strings.Index(body, "同一时刻发布的另一篇")
	if i1 < 0 || i2 < 0 || i1 > i2 {
		t.Errorf("ticker headlines missing or out of order")
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "javascript:") {
		t.Errorf("index page lets markup or a javascript: URL through")
	}
	if w.Header().Get("ETag") == "" {
		t.Errorf("index page has no ETag")
	}
}

type opmlT struct {
	Version string `xml:"version,attr"`
	Head    struct {
		Title string `xml:"title"`
	} `xml:"head"`
	Outlines []struct {
		Text    string `xml:"text,attr"`
		Type    string `xml:"type,attr"`
		XMLURL  string `xml:"xmlUrl,attr"`
		HTMLURL string `xml:"htmlUrl,attr"`
	} `xml:"body>outline"`
}

func TestOPML(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig()))
	w := get(t, h, "GET", "/opml")
	wellFormed(t, w.Body.Bytes())
	var doc opmlT
	if err := xml.Unmarshal(w.Body.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Version != "2.0" || doc.Head.Title != "驿站测试" {
		t.Errorf("version %q, title %q", doc.Version, doc.Head.Title)
	}
	var urls []string
	for _, o := range doc.Outlines {
		if o.Text == "" || o.Type != "rss" {
			t.Errorf("outline %+v: OPML 2.0 wants text and type=rss", o)
		}
		urls = append(urls, o.XMLURL)
	}
	want := "http://hub.example/feeds/latest.rss http://hub.example/feeds/theory.rss http://hub.example/feeds/politics.rss"
	if got := strings.Join(urls, " "); got != want {
		t.Errorf("xmlUrls = %q, want %q", got, want)
	}
}

func TestSetConfig(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	h := newTestHandler(t, store)
	before := get(t, h, "GET", "/feeds/theory.rss")

	cfg := testConfig()
	cfg.Settings.BaseURL = "https://yizhan.example.cn"
	cfg.Channels = append(cfg.Channels[:1], hub.Channel{ID: "world", Title: "国际频道"})
	h.SetConfig(cfg)

	after := get(t, h, "GET", "/feeds/theory.rss")
	if after.Header().Get("ETag") == before.Header().Get("ETag") {
		t.Errorf("ETag unchanged after the base URL changed")
	}
	if !strings.Contains(after.Body.String(), `href="https://yizhan.example.cn/feeds/theory.rss"`) {
		t.Errorf("self link does not follow the new base URL")
	}
	if w := get(t, h, "GET", "/feeds/politics.rss"); w.Code != 404 {
		t.Errorf("removed channel: status %d, want 404", w.Code)
	}
	if w := get(t, h, "GET", "/feeds/world.atom"); w.Code != 200 {
		t.Errorf("added channel: status %d, want 200", w.Code)
	}
	if !strings.Contains(get(t, h, "GET", "/opml").Body.String(), "国际频道") {
		t.Errorf("OPML does not list the added channel")
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	h := NewHandler(Options{Config: testConfig(), Store: newMemStore(testConfig(), testItems()...),
		Now: fixedNow, Registerer: reg, Gatherer: reg})
	get(t, h, "GET", "/feeds/theory.rss")
	get(t, h, "GET", "/feeds/theory.rss")
	get(t, h, "GET", "/feeds/theory.rss", "If-None-Match", "*")
	get(t, h, "GET", "/feeds/junk-1.rss")
	get(t, h, "GET", "/feeds/junk-2.zip")
	get(t, h, "GET", "/feeds/latest.json?limit=99")
	tests := []struct {
		labels []string
		want   float64
	}{
		{[]string{"channel", "theory", "format", "rss", "status", "200"}, 2},
		{[]string{"channel", "theory", "format", "rss", "status", "304"}, 1},
		{[]string{"channel", "unknown", "format", "rss", "status", "404"}, 1},
		{[]string{"channel", "unknown", "format", "unknown", "status", "404"}, 1},
		{[]string{"channel", "latest", "format", "json", "status", "400"}, 1},
	}
	for _, tt := range tests {
		if got := counterValue(t, reg, "yizhan_feed_requests_total", tt.labels...); got != tt.want {
			t.Errorf("requests%v = %v, want %v", tt.labels, got, tt.want)
		}
	}
	w := get(t, h, "GET", "/metrics")
	if w.Code != 200 || !strings.Contains(w.Body.String(), `yizhan_feed_requests_total{channel="theory",format="rss",status="200"} 2`) {
		t.Errorf("/metrics: %d\n%s", w.Code, w.Body)
	}
	if strings.Contains(w.Body.String(), "junk") {
		t.Errorf("a requested channel name became a label value")
	}
	// A second handler on the same registry (a test, a restart in-process) works.
	NewHandler(Options{Config: testConfig(), Store: newMemStore(testConfig()), Registerer: reg})
}

// counterValue returns the value of the counter of family name with the given
// label pairs, 0 if there is none.
func counterValue(t *testing.T, g prometheus.Gatherer, name string, labels ...string) float64 {
	t.Helper()
	families, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, m := range f.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for i := 0; i+1 < len(labels); i += 2 {
				if have[labels[i]] != labels[i+1] {
					continue metric
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// TestInvalidateDuringFill: a rendering made from items read before an
// Invalidate is served to the requests that waited for it but not kept.
func TestInvalidateDuringFill(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	store.gate = make(chan struct{})
	h := newTestHandler(t, store)
	done := make(chan struct{})
	go func() {
		defer close(done)
		if w := get(t, h, "GET", "/feeds/theory.rss"); w.Code != 200 {
			t.Errorf("status = %d, want 200", w.Code)
		}
	}()
	for store.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	h.Cache().Invalidate("theory")
	close(store.gate)
	<-done
	get(t, h, "GET", "/feeds/theory.rss")
	if got := store.calls.Load(); got != 2 {
		t.Errorf("Store.Items called %d times, want 2: the stale rendering was kept", got)
	}
	get(t, h, "GET", "/feeds/theory.rss")
	if got := store.calls.Load(); got != 2 {
		t.Errorf("Store.Items called %d times, want 2: the fresh rendering was not kept", got)
	}
}

// TestWarm: after Warm, every full feed, the ticker and the index page are
// served without reading the store; Invalidate() alone drops only the ticker.
func TestWarm(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	h := newTestHandler(t, store)
	if err := h.Cache().Warm(t.Context()); err != nil {
		t.Fatal(err)
	}
	calls := store.calls.Load()
	if calls != 3 {
		t.Errorf("Warm read the store %d times, want 3 (latest, theory, politics)", calls)
	}
	for _, p := range []string{"/", "/feeds/latest.rss", "/feeds/theory.atom", "/feeds/politics.json"} {
		get(t, h, "GET", p)
	}
	if got := store.calls.Load(); got != calls {
		t.Errorf("requests after Warm read the store %d times", got-calls)
	}
	h.Cache().Invalidate()
	get(t, h, "GET", "/feeds/theory.atom")
	get(t, h, "GET", "/feeds/latest.atom")
	if got := store.calls.Load() - calls; got != 1 {
		t.Errorf("after Invalidate(): %d store reads, want 1 (the ticker)", got)
	}

	store.err = errors.New("no such table: items")
	h.Cache().InvalidateAll()
	if err := h.Cache().Warm(t.Context()); err == nil || !strings.Contains(err.Error(), "no such table") {
		t.Errorf("Warm with a failing store: %v", err)
	}
}
