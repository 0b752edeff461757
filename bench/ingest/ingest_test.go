// Package ingest benchmarks yizhan's ingest path as the hub runs it, on one
// core and from memory: a hub.Runner fetches a source whose fetcher hands
// sources the bytes of a 50-item Chinese RSS feed (bench/feedgen), which are
// parsed, sanitized and attributed, then upserted into a real SQLite file
// (hub/sqlite) with the source's fetch state read and written around it.
// Only the HTTP round trip is left out.
//
//	go test ./bench/ingest -run '^$' -bench . -benchtime 400x -cpu 1
//
// Issue 4's targets: at least 10,000 new items/s and 50,000 unchanged items/s.
// docs/performance.md records the figures.
package ingest

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/bench/feedgen"
	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
	"github.com/yizhan-hub/yizhan/sources"
)

const feedItems = 50

// memFetcher hands sources the body it holds, as if an upstream had sent it.
type memFetcher struct{ body []byte }

func (m *memFetcher) Fetch(ctx context.Context, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	return sources.ReadFeed(m.body, "application/rss+xml; charset=utf-8", src.URL, src, prev)
}

// BenchmarkIngest runs one fetch of one 50-item feed per operation, each
// sub-benchmark with a fresh database that already holds the feed once:
//
//	new         all 50 items are new
//	5-new       5 new items on top, the 5 oldest gone, 45 unchanged
//	unchanged   the same 50 items under a new lastBuildDate
//	same-bytes  the very bytes of the last fetch
//	reposts     50 new items, each a copy of an item another source stored
//	            just before (untimed): every one is linked into a story
func BenchmarkIngest(b *testing.B) {
	cases := []struct {
		name string
		// body returns the feed of operation n (counting from 1; 0 is what
		// the database holds before the timer starts) and how many of its
		// items are new to the store.
		body func(n int) ([]byte, int)
	}{
		{"new", func(n int) ([]byte, int) { return feedgen.RSS(0, n*feedItems, feedItems, built(n)), feedItems }},
		{"5-new", func(n int) ([]byte, int) { return feedgen.RSS(0, n*5, feedItems, built(n)), 5 }},
		{"unchanged", func(n int) ([]byte, int) { return feedgen.RSS(0, 0, feedItems, built(n)), 0 }},
		{"same-bytes", func(n int) ([]byte, int) { return feedgen.RSS(0, 0, feedItems, built(0)), 0 }},
		{"reposts", func(n int) ([]byte, int) { return feedgen.RSS(0, n*feedItems, feedItems, built(n)), feedItems }},
	}
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "hub.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			src := hub.Source{
				ID: "people-politics", Name: "人民网 · 时政", Kind: hub.KindFeed,
				URL: "http://www.people.com.cn/rss/politics.xml", Channels: []string{"politics"},
				Attribution: "人民日报", Copyright: "人民网版权所有", Enabled: true,
				Timezone: time.FixedZone("CST", 8*3600),
			}
			// The publisher whose copies the reposts case's source carries.
			pub := src
			pub.ID, pub.Name = "people-paper", "人民日报"
			if err := db.SyncSources(ctx, map[string][]string{src.ID: src.Channels, pub.ID: src.Channels}); err != nil {
				b.Fatal(err)
			}
			f := &memFetcher{}
			r := hub.NewRunner(hub.RunnerOptions{Store: db, Fetcher: f})
			f.body, _ = bc.body(0)
			if rep := r.Run(ctx, src); rep.Err != nil || rep.Result.New != feedItems {
				b.Fatalf("first fetch: %+v", rep)
			}
			// The bodies are made beforehand, so that only ingest is timed.
			bodies := make([][]byte, b.N)
			fresh := make([]int, b.N)
			var size int64
			for i := range bodies {
				bodies[i], fresh[i] = bc.body(i + 1)
				size += int64(len(bodies[i]))
			}
			b.ResetTimer()
			for i := range b.N {
				if bc.name == "reposts" {
					b.StopTimer()
					f.body = bodies[i]
					if rep := r.Run(ctx, pub); rep.Err != nil || rep.Result.New != feedItems {
						b.Fatalf("publisher's fetch %d: %+v", i+1, rep)
					}
					b.StartTimer()
				}
				f.body = bodies[i]
				rep := r.Run(ctx, src)
				if rep.Err != nil {
					b.Fatal(rep.Err)
				}
				if rep.Result.New != fresh[i] {
					b.Fatalf("fetch %d: %d new items, want %d (%+v)", i+1, rep.Result.New, fresh[i], rep)
				}
			}
			n := b.N
			saved := b.Elapsed()
			b.ReportMetric(float64(n*feedItems)/saved.Seconds(), "items/s")
			b.ReportMetric(float64(size)/saved.Seconds()/1e6, "MB/s")
			// The search index follows the commits: the rate at which the
			// items became searchable, the indexer's catching up included.
			if err := db.FlushSearch(ctx); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(n*feedItems)/b.Elapsed().Seconds(), "searchable-items/s")
		})
	}
}

// built is the lastBuildDate of operation n.
func built(n int) time.Time { return feedgen.Base.Add(time.Duration(n) * time.Hour) }
