package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
)

// Issue 5's fetch-side hostile upstreams. Each answers a feed source's GET;
// TestFetchHostile checks what the Fetcher makes of it, in bounded time and
// memory, and TestRunnerHostileKeepsItems (hostile_store_test.go) that none
// of them loses what a good fetch stored.

// hostileTimeout is the whole-request timeout of the hostile tests' client.
const hostileTimeout = 2 * time.Second

// hostileCap is the body cap of the hostile tests' client: the default, so
// that the 10 MB line and the 100,000 items fit under it.
const hostileCap = DefaultMaxBody

type hostileCase struct {
	name    string
	handler http.HandlerFunc
	// check judges the fetch: an error of the right kind, or a bounded result.
	check func(t *testing.T, res hub.FetchResult, err error)
	fails bool // the runner must record a failure
	// maxHeap bounds the heap's growth during the fetch, above what the
	// test built beforehand, garbage not yet collected included; maxTime
	// bounds its duration (times raceSlowdown under -race).
	maxHeap uint64
	maxTime time.Duration
}

// rssDoc wraps items in an RSS 2.0 document.
func rssDoc(items string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>hostile</title><link>http://example.com/</link>` + items + `</channel></rss>`)
}

func serveBytes(b []byte, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Write(b)
	}
}

func errorIsKind(target error) func(*testing.T, hub.FetchResult, error) {
	return func(t *testing.T, _ hub.FetchResult, err error) {
		t.Helper()
		if !errors.Is(err, target) {
			t.Errorf("error = %v, want %v", err, target)
		}
	}
}

// cleanItems checks a bounded result: at most want items (exactly, if
// exact), every field valid UTF-8 without characters XML forbids, no field
// beyond its limit.
func cleanItems(want int, exact bool) func(*testing.T, hub.FetchResult, error) {
	return func(t *testing.T, res hub.FetchResult, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("error %v, want a bounded result", err)
		}
		if n := len(res.Items); n > want || exact && n != want {
			t.Errorf("%d items, want %d", n, want)
		}
		for _, it := range res.Items {
			checkItemText(t, "item", it)
			if utf8.RuneCountInString(it.Title) > maxTitle || len(it.Content) > maxContent || len(it.Summary) > maxContent {
				t.Errorf("item %q: a field beyond its limit (title %d runes, content %d, summary %d bytes)",
					it.Key, utf8.RuneCountInString(it.Title), len(it.Content), len(it.Summary))
			}
		}
	}
}

// hostileCases builds the upstreams. Bodies are built here, before any
// measurement, so that only the fetch's own memory is counted.
func hostileCases(tb testing.TB) []hostileCase {
	tb.Helper()
	const mb = 1 << 20

	var many bytes.Buffer // 100,000 dated items, the newest last
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 100_000 {
		fmt.Fprintf(&many, "<item><title>第%d条</title><link>http://example.com/%d</link><pubDate>%s</pubDate></item>",
			i, i, base.Add(time.Duration(i)*time.Minute).Format(time.RFC1123Z))
	}
	manyDoc := rssDoc(many.String())
	if len(manyDoc) > hostileCap {
		tb.Fatalf("100,000 items take %d bytes, over the %d cap", len(manyDoc), hostileCap)
	}

	laughs := `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol "lol">`
	for i := 1; i <= 10; i++ {
		prev := "lol"
		if i > 1 {
			prev = fmt.Sprintf("lol%d", i-1)
		}
		laughs += fmt.Sprintf(`<!ENTITY lol%d "%s">`, i, strings.Repeat("&"+prev+";", 10))
	}
	laughs += `]><rss version="2.0"><channel><title>t</title><item><title>&lol10;</title><link>http://example.com/lol</link><description>&lol10;</description></item></channel></rss>`

	nestedXML := rssDoc(`<item><title>nested</title><link>http://example.com/n</link>` + strings.Repeat("<x:a>", 1_000_000) + strings.Repeat("</x:a>", 1_000_000) + `</item>`)
	nestedXML = bytes.Replace(nestedXML, []byte(`<rss version="2.0">`), []byte(`<rss version="2.0" xmlns:x="http://x/">`), 1)
	flatXML := rssDoc(`<item><title>flat</title><link>http://example.com/f</link>` + strings.Repeat("<x:a/>", 2_000_000) + `</item>`)
	flatXML = bytes.Replace(flatXML, []byte(`<rss version="2.0">`), []byte(`<rss version="2.0" xmlns:x="http://x/">`), 1)
	nestedHTML := rssDoc(`<item><title>nested html</title><link>http://example.com/h</link><description><![CDATA[` + strings.Repeat("<div><span>", 500_000) + `深处]]></description></item>`)

	line := rssDoc(`<item><title>` + strings.Repeat("长", 2*mb) + `</title><link>http://example.com/line</link><description>` + strings.Repeat("文", 5*mb/3) + `</description></item>`)

	var controls strings.Builder
	for r := rune(0); r < 0x20; r++ {
		if r != '\t' && r != '\n' && r != '\r' {
			controls.WriteRune(r)
		}
	}
	controlDoc := rssDoc(`<item><title>控制` + controls.String() + `字符</title><link>http://example.com/c` + "\x01" + `</link><description>正文` + controls.String() + "\x7f\u0085\ufffe" + `</description></item>`)

	// Mostly UTF-8, then bytes no charset reads as text.
	invalid := rssDoc(`<item><title>标题` + "\xff\xfe\xc3\x28\xa0\xa1\xe2\x82" + `</title><link>http://example.com/u</link><description>` + strings.Repeat("\x80\xbf\xc0\xc1", 64) + `正文</description></item>`)

	truncated := rssDoc(strings.Repeat("<item><title>好</title><link>http://example.com/t</link></item>", 3))
	truncated = truncated[:len(truncated)*2/3]

	return []hostileCase{
		{
			name: "body far beyond the cap",
			handler: func(w http.ResponseWriter, r *http.Request) {
				// 1 GB, unless the client hangs up first: it must, after the cap.
				chunk := bytes.Repeat([]byte("<item><title>x</title></item>"), 32<<10/29)
				w.Write(rssDoc("")[:60])
				for sent := 0; sent < 1<<30; sent += len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
				}
			},
			check:   errorIsKind(ErrTooLarge),
			fails:   true,
			maxHeap: 4 * hostileCap, // 64 MB for a 1 GB body
			maxTime: 5 * time.Second,
		},
		{
			name: "body trickling a byte a second",
			handler: func(w http.ResponseWriter, r *http.Request) {
				for _, b := range rssDoc("<item><title>slow</title></item>") {
					if _, err := w.Write([]byte{b}); err != nil {
						return
					}
					w.(http.Flusher).Flush()
					select {
					case <-time.After(time.Second):
					case <-r.Context().Done():
						return
					}
				}
			},
			check:   errorIsKind(context.DeadlineExceeded),
			fails:   true,
			maxHeap: 4 * mb,
			maxTime: hostileTimeout + 3*time.Second, // the whole body would take minutes
		},
		{
			name: "redirect loop",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
			},
			check:   errorIsKind(ErrTooManyRedirects),
			fails:   true,
			maxHeap: 4 * mb,
			maxTime: 5 * time.Second,
		},
		{
			name: "500",
			handler: func(w http.ResponseWriter, r *http.Request) {
				http.Error(w, "Internal Server Error: stack trace …", 500)
			},
			check: func(t *testing.T, _ hub.FetchResult, err error) {
				if se := (*StatusError)(nil); !errors.As(err, &se) || se.Code != 500 || se.Gone() {
					t.Errorf("error = %v, want a 500 StatusError", err)
				}
			},
			fails:   true,
			maxHeap: 4 * mb,
			maxTime: 5 * time.Second,
		},
		{
			name:    "truncated XML",
			handler: serveBytes(truncated, "application/rss+xml"),
			check: func(t *testing.T, _ hub.FetchResult, err error) {
				if err == nil || !strings.Contains(err.Error(), "parse rss: ") {
					t.Errorf("error = %v, want a parse error", err)
				}
			},
			fails:   true,
			maxHeap: 4 * mb,
			maxTime: 5 * time.Second,
		},
		{
			name:    "HTML error page where the feed should be",
			handler: serveBytes(readFixture(tb, "html_error_page.html"), "text/html; charset=utf-8"),
			check:   errorIsKind(ErrNotFeed),
			fails:   true,
			maxHeap: 4 * mb,
			maxTime: 5 * time.Second,
		},
		{
			name:    "invalid UTF-8",
			handler: serveBytes(invalid, "application/rss+xml; charset=utf-8"),
			check:   cleanItems(1, true),
			maxHeap: 8 * mb,
			maxTime: 5 * time.Second,
		},
		{
			name:    "entity expansion (billion laughs)",
			handler: serveBytes([]byte(laughs), "application/rss+xml"),
			check: func(t *testing.T, res hub.FetchResult, err error) {
				// encoding/xml, under gofeed, expands no entity a document
				// declares: &lol10; stays a reference or fails the parse,
				// never 10^10 bytes.
				for _, it := range res.Items {
					if n := strings.Count(it.Title+it.Summary+it.Content, "lol"); n > 10 {
						t.Errorf("item %q: %d times lol: entities expanded", it.Key, n)
					}
				}
				if len(res.Items) > 0 {
					t.Logf("billion laughs: title %q, err %v", res.Items[0].Title, err)
				}
			},
			maxHeap: 8 * mb,
			maxTime: 5 * time.Second,
		},
		{
			name:    "deeply nested markup (a million elements)",
			handler: serveBytes(nestedXML, "application/rss+xml"),
			check:   errorIsKind(ErrTooComplex),
			fails:   true,
			maxHeap: 100 * mb,
			maxTime: 5 * time.Second,
		},
		{
			name:    "two million empty extension elements",
			handler: serveBytes(flatXML, "application/rss+xml"),
			check:   errorIsKind(ErrTooComplex),
			fails:   true,
			maxHeap: 100 * mb,
			maxTime: 5 * time.Second,
		},
		{
			name:    "deeply nested HTML in a description",
			handler: serveBytes(nestedHTML, "application/rss+xml"),
			check:   cleanItems(1, true),
			maxHeap: 150 * mb,
			maxTime: 30 * time.Second,
		},
		{
			name:    "a single 10 MB line",
			handler: serveBytes(line, "application/rss+xml"),
			check:   cleanItems(1, true),
			maxHeap: 150 * mb,
			maxTime: 30 * time.Second,
		},
		{
			name:    "control characters",
			handler: serveBytes(controlDoc, "application/rss+xml"),
			check:   cleanItems(1, true),
			maxHeap: 4 * mb,
			maxTime: 5 * time.Second,
		},
		{
			name:    "100,000 items",
			handler: serveBytes(manyDoc, "application/rss+xml"),
			check: func(t *testing.T, res hub.FetchResult, err error) {
				cleanItems(MaxFeedItems, true)(t, res, err)
				if res.Listed != 100_000 || len(res.Skipped) != 1 {
					t.Errorf("Listed = %d, Skipped = %v; want 100000 and the cut reported", res.Listed, res.Skipped)
				}
				if len(res.Items) > 0 {
					if first, last := res.Items[0].Title, res.Items[len(res.Items)-1].Title; first != "第99000条" || last != "第99999条" {
						t.Errorf("kept %s … %s, want the newest: 第99000条 … 第99999条", first, last)
					}
				}
			},
			maxHeap: 150 * mb,
			maxTime: 30 * time.Second,
		},
	}
}

// heapPeak samples the heap until stop is called, and returns its peak
// growth over the heap at the start.
func heapPeak() (stop func() uint64) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	base := ms.HeapAlloc
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var ms runtime.MemStats
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > base && ms.HeapAlloc-base > peak.Load() {
				peak.Store(ms.HeapAlloc - base)
			}
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		wg.Wait()
		return peak.Load()
	}
}

func hostileFetcher() *Fetcher {
	return New(Options{Client: NewClient(ClientOptions{Timeout: hostileTimeout, MaxBody: hostileCap, MaxRedirects: 3})})
}

// TestFetchHostile fetches each hostile upstream once and checks the answer,
// the time it took and the heap it grew by. Run with -v for the figures.
func TestFetchHostile(t *testing.T) {
	f := hostileFetcher()
	for _, tc := range hostileCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			src := testSource(t, srv.URL+"/feed.xml")
			stop := heapPeak()
			start := time.Now()
			res, err := f.Fetch(t.Context(), src, hub.FetchState{SourceID: src.ID})
			took := time.Since(start)
			peak := stop()
			t.Logf("%v, heap +%.1f MB, %d items, err: %.120v", took.Round(time.Millisecond), float64(peak)/(1<<20), len(res.Items), err)
			tc.check(t, res, err)
			if err != nil && (len(res.Items) > 0 || res.NotModified) {
				t.Errorf("an error came with a result: %d items", len(res.Items))
			}
			if err != nil && !strings.HasPrefix(err.Error(), "fetch "+src.ID+": ") {
				t.Errorf("error %q does not name the source", err)
			}
			if (err != nil) != tc.fails && tc.name != "entity expansion (billion laughs)" {
				t.Errorf("error = %v, want failure %v", err, tc.fails)
			}
			if took > tc.maxTime*raceSlowdown {
				t.Errorf("took %v, want at most %v", took, tc.maxTime*raceSlowdown)
			}
			if peak > tc.maxHeap {
				t.Errorf("heap grew by %d MB, want at most %d MB", peak>>20, tc.maxHeap>>20)
			}
		})
	}
}
