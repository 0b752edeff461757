package scale

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/yizhan-hub/yizhan/feeds"
	"github.com/yizhan-hub/yizhan/hub"
)

// BenchmarkChannelFeed measures building a channel's feed from a database
// of a million items (issue 4: under 5 ms), as the feed cache does after a
// change: the store query alone, then query, rendering and gzip of one
// format (the channel's, and the latest ticker's), and gzip alone.
//
//	go run ./bench/scaledb -db /tmp/scale.db -config /tmp/scale.toml   # once, a minute or two
//	YIZHAN_SCALE_DB=/tmp/scale.db go test ./bench/scale -run '^$' -bench . -benchtime 400x -cpu 1
//
// Without YIZHAN_SCALE_DB it runs on a hub of 20,000 items built in a
// temporary directory: a check that it works, not the scale figure.
func BenchmarkChannelFeed(b *testing.B) {
	// The feed figures are about feeds: no backfill of the search index
	// runs beside them (openScale without search).
	db, h, path := openScale(b, false)
	ctx := context.Background()
	size := fileSize(path) + fileSize(path+"-wal")
	b.Logf("%s: %.0f MB", path, float64(size)/1e6)
	handler := channelPageHandler(db, h)
	b.Run("query", func(b *testing.B) {
		for i := range b.N {
			items, err := db.Items(ctx, hub.Query{Channel: fmt.Sprint("c", i%h.Channels), Limit: 50, Dedup: true})
			if err != nil || len(items) != 50 {
				b.Fatalf("Items = %d, %v", len(items), err)
			}
		}
	})
	// The store's part of a page of the archive: the 51 items after a
	// cursor, walking channels' archives as page-rss does.
	b.Run("page-query", func(b *testing.B) {
		var before *hub.Position
		ch := 0
		cpu := cpuTime()
		for range b.N {
			if before == nil {
				ch = (ch + 1) % h.Channels
			}
			items, err := db.Items(ctx, hub.Query{Channel: fmt.Sprint("c", ch), Limit: 51, Dedup: true, Before: before})
			if err != nil {
				b.Fatal(err)
			}
			before = nil
			if len(items) == 51 {
				p := items[49].Position()
				before = &p
			}
		}
		b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Microsecond)/float64(b.N), "cpu-µs/op")
	})
	for _, f := range []string{"rss", "atom", "json"} {
		b.Run("build-"+f, func(b *testing.B) {
			var bytes int
			for i := range b.N {
				ch := fmt.Sprint("c", i%h.Channels)
				handler.Cache().Invalidate(ch)
				w := httptest.NewRecorder()
				handler.ServeHTTP(w, httptest.NewRequest("GET", "/feeds/"+ch+"."+f, nil))
				if w.Code != 200 {
					b.Fatalf("GET %s.%s: %d", ch, f, w.Code)
				}
				bytes = w.Body.Len()
			}
			b.ReportMetric(float64(bytes), "feed-bytes")
		})
	}
	b.Run("build-latest-rss", func(b *testing.B) {
		for range b.N {
			handler.Cache().Invalidate()
			w := httptest.NewRecorder()
			handler.ServeHTTP(w, httptest.NewRequest("GET", "/feeds/latest.rss", nil))
			if w.Code != 200 {
				b.Fatalf("GET latest.rss: %d", w.Code)
			}
		}
	})
	// Paging through a channel's archive (issue 12): each operation renders
	// the next page from a cache miss, following the feed's next links
	// from the first page to the last, channel after channel. page-rss asks
	// as a client without gzip, page-rss-gzip as aggregators do (with
	// Accept-Encoding: gzip); the -parallel forms page through several
	// channels at once, one walk per goroutine (-cpu sets how many), as an
	// aggregator with several connections would. The collector is paced as
	// serve paces it (GOGC=400 under a soft memory limit,
	// cmd/yizhan/memory.go), unless GOGC is set: Go's default made a page
	// cost 10-30% more CPU than it does in serve.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(400))
	}
	for _, gz := range []bool{false, true} {
		name := "page-rss"
		if gz {
			name += "-gzip"
		}
		b.Run(name, func(b *testing.B) {
			var p pager
			cpu := cpuTime()
			for range b.N {
				p.next(b, handler, h.Channels, gz)
			}
			reportPages(b, cpu)
		})
		b.Run(name+"-parallel", func(b *testing.B) {
			var chans atomic.Int64
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				p := pager{chans: &chans}
				for pb.Next() {
					p.next(b, handler, h.Channels, gz)
				}
			})
			reportPages(b, cpu)
		})
	}
	// What feeds does to make the gzip form (feeds.gzipLevel, with
	// klauspost/compress's gzip).
	b.Run("gzip-rss", func(b *testing.B) {
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, httptest.NewRequest("GET", "/feeds/c0.rss", nil))
		body := w.Body.Bytes()
		for b.Loop() {
			var buf bytes.Buffer
			zw, _ := gzip.NewWriterLevel(&buf, 5)
			zw.Write(body)
			zw.Close()
		}
	})
}

// pager walks channels' archives by their next links, a page a call.
type pager struct {
	chans *atomic.Int64 // shared by parallel pagers, so that each walks its own channels
	ch    int
	url   string // the next page; "" to start on the next channel
}

func (p *pager) next(b *testing.B, handler *feeds.Handler, channels int, gz bool) {
	if p.url == "" {
		if p.chans != nil {
			p.ch = int(p.chans.Add(1)) % channels
		} else {
			p.ch = (p.ch + 1) % channels
		}
		p.url = fmt.Sprint("/feeds/c", p.ch, ".rss")
	}
	handler.Cache().Invalidate(fmt.Sprint("c", p.ch))
	r := httptest.NewRequest("GET", p.url, nil)
	if gz {
		r.Header.Set("Accept-Encoding", "gzip")
	}
	w := &headWriter{header: http.Header{}}
	handler.ServeHTTP(w, r)
	if w.code != 200 {
		b.Fatalf("GET %s: %d %s", p.url, w.code, w.head)
	}
	if gz {
		if w.header.Get("Content-Encoding") != "gzip" {
			b.Fatalf("GET %s: not gzipped", p.url)
		}
		// The next link is read from the identity form, now in the cache,
		// rather than by gunzipping: what is measured is the server's work.
		w = &headWriter{header: http.Header{}}
		handler.ServeHTTP(w, httptest.NewRequest("GET", p.url, nil))
	}
	body := w.head
	p.url = ""
	if m := nextLink.FindSubmatch(body); m != nil {
		p.url = strings.TrimPrefix(html.UnescapeString(string(m[1])), "http://hub.example")
	}
}

// cpuTime returns the CPU time the process has used, in every thread
// (the garbage collector's too).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportPages reports pages a second, and the CPU time a page took since
// cpuTime returned start: on a shared machine the first depends on what
// else runs, the second much less.
func reportPages(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
	b.ReportMetric(float64(cpuTime()-start)/float64(time.Microsecond)/float64(b.N), "cpu-µs/page")
}

// headWriter is a ResponseWriter that keeps the start of the body, where
// a feed's next link is, and counts the rest as a network connection
// would take it: a recorder's growing buffer would be measured too.
type headWriter struct {
	header http.Header
	code   int
	head   []byte
}

func (w *headWriter) Header() http.Header { return w.header }

func (w *headWriter) WriteHeader(code int) { w.code = code }

func (w *headWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	if n := 8192 - len(w.head); n > 0 {
		w.head = append(w.head, p[:min(n, len(p))]...)
	}
	return len(p), nil
}

// nextLink finds an RSS feed's link to its next page.
var nextLink = regexp.MustCompile(`<atom:link href="([^"]+)" rel="next"`)

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}
