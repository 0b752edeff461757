package websub

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
)

// benchFanOut measures the time from a change (Notify) to the last of n
// loopback subscribers of one topic receiving its push, with the default
// workers, the production client and an SQLite store; and the heap the
// hub's process grew by at its peak over the baseline before the
// subscriptions existed (the subscribers' server is in the same process,
// and counted).
func benchFanOut(b *testing.B, n int) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "yizhan.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	runtime.GC()
	var base runtime.MemStats
	runtime.ReadMemStats(&base)

	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
	}))
	defer srv.Close()
	now := time.Now()
	for i := range n {
		_, err := db.SaveSubscription(ctx, hub.Subscription{
			Topic: theory, Channel: "theory", Callback: fmt.Sprintf("%s/cb/%d", srv.URL, i), Host: "127.0.0.1",
			Secret: "s3cret", Lease: DefaultLease, Created: now, Expires: now.Add(DefaultLease),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	tp := &topics{version: map[string]int{"theory": 1}}
	h := New(Options{Store: db, Render: tp.Render, HubURL: "http://hub.example/websub", AllowPrivate: true,
		MaxPerHost: n + 1, Logger: slog.New(slog.DiscardHandler)})
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { h.Run(rctx) })
	defer func() { cancel(); wg.Wait() }()

	var peak atomic.Uint64
	stop := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		// runtime/metrics, unlike ReadMemStats, does not stop the world.
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/heap/unused:bytes"}}
		for {
			metrics.Read(sample)
			if inuse := sample[0].Value.Uint64() + sample[1].Value.Uint64(); inuse > peak.Load() {
				peak.Store(inuse)
			}
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	var worst time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		tp.change("theory")
		h.Notify("theory")
		want := int64(n) * int64(i+1)
		for got.Load() < want {
			time.Sleep(time.Millisecond)
		}
		worst = max(worst, time.Since(start))
	}
	b.StopTimer()
	close(stop)
	sampler.Wait()
	_, retried, _, _, _, _, _, _ := h.Stats().Snapshot()
	b.ReportMetric(float64(retried), "retries")
	b.ReportMetric(worst.Seconds(), "worst-s")
	b.ReportMetric(float64(peak.Load()-min(peak.Load(), base.HeapInuse))/(1<<20), "peak-heap-MB")
}

func BenchmarkFanOut1000(b *testing.B)  { benchFanOut(b, 1000) }
func BenchmarkFanOut10000(b *testing.B) { benchFanOut(b, 10000) }
