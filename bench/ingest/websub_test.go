package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/bench/feedgen"
	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
	"github.com/yizhan-hub/yizhan/websub"
)

// BenchmarkIngestWebSub is BenchmarkIngest's "new" case with WebSub at
// work on the same database and in the same process: every commit
// notifies a websub.Hub whose topic has subs loopback subscribers, so
// deliveries (claims, pushes, completions on SQLite's one writer) run
// throughout; subs=0 is the baseline. Issue 10 wants ingest within 5% of
// it while deliveries run.
//
//	go test ./bench/ingest -run '^$' -bench IngestWebSub -benchtime 400x -cpu 1
func BenchmarkIngestWebSub(b *testing.B) {
	for _, subs := range []int{0, 1000} {
		b.Run("subs="+strconv.Itoa(subs), func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "hub.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			src := hub.Source{
				ID: "people-politics", Name: "人民网 · 时政", Kind: hub.KindFeed,
				URL: "http://www.people.com.cn/rss/politics.xml", Channels: []string{"politics"},
				Attribution: "人民日报", Enabled: true, Timezone: time.FixedZone("CST", 8*3600),
			}
			if err := db.SyncSources(ctx, map[string][]string{src.ID: src.Channels}); err != nil {
				b.Fatal(err)
			}
			var pushes atomic.Int64
			sink := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { pushes.Add(1) }))
			defer sink.Close()
			const topic = "http://hub.example/feeds/politics.rss"
			now := time.Now()
			for i := range subs {
				if _, err := db.SaveSubscription(ctx, hub.Subscription{Topic: topic, Channel: "politics",
					Callback: fmt.Sprintf("%s/%d", sink.URL, i), Host: "127.0.0.1", Secret: "k",
					Lease: time.Hour, Created: now, Expires: now.Add(time.Hour)}); err != nil {
					b.Fatal(err)
				}
			}
			var version atomic.Int64
			body := []byte("<rss/>") // what is pushed does not matter here; rendering is the feeds' benchmark
			h := websub.New(websub.Options{Store: db, AllowPrivate: true, MaxPerHost: subs + 1,
				Logger: slog.New(slog.DiscardHandler),
				Render: func(context.Context, string) (websub.Content, error) {
					return websub.Content{Body: body, Type: "application/rss+xml", Channel: "politics",
						Version: strconv.FormatInt(version.Load(), 10)}, nil
				}})
			hctx, cancel := context.WithCancel(ctx)
			var wg sync.WaitGroup
			wg.Go(func() { h.Run(hctx) })
			defer func() { cancel(); wg.Wait() }()

			f := &memFetcher{}
			r := hub.NewRunner(hub.RunnerOptions{Store: db, Fetcher: f, OnChange: func(src hub.Source, _ hub.SaveResult) {
				version.Add(1)
				h.Notify(src.Channels...)
			}})
			f.body = feedgen.RSS(0, 0, feedItems, built(0))
			if rep := r.Run(ctx, src); rep.Err != nil {
				b.Fatal(rep.Err)
			}
			bodies := make([][]byte, b.N)
			for i := range bodies {
				bodies[i] = feedgen.RSS(0, (i+1)*feedItems, feedItems, built(i+1))
			}
			b.ResetTimer()
			for i := range b.N {
				f.body = bodies[i]
				if rep := r.Run(ctx, src); rep.Err != nil || rep.Result.New != feedItems {
					b.Fatalf("fetch %d: %+v", i+1, rep)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*feedItems)/b.Elapsed().Seconds(), "items/s")
			b.ReportMetric(float64(pushes.Load()), "pushes")
		})
	}
}
