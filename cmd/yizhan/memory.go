package main

import (
	"context"
	"os"
	"runtime/debug"
	runtimemetrics "runtime/metrics"
	"time"
)

// Memory pacing of serve. serve holds every rendering in memory, a few
// hundred KB per feed, and makes garbage with every request; at Go's
// default pace (GOGC=100) the heap grows to twice what it holds: 237 MB
// resident for a million items in 100 channels, where issue 4 asks under
// 200 MB. GOGC=50 gave 184 MB but cost a small hub 15% of its 304s (twice
// the collections at 100,000 requests a second), so serve sets a soft
// memory limit instead: half again what the heap holds, never below
// memoryFloor. Under that limit it collects at GOGC=400, not 100: a small
// hub collects a quarter as often, for 1 to 4% more requests a second on
// every line of bench/serve.sh (30 -> 42 MB resident); a large one
// collects when it reaches the limit. GOMEMLIMIT or GOGC in the
// environment turn it all off.
const (
	memoryFloor    = 160 << 20
	memoryHeadroom = 16 << 20 // for stacks and the runtime's own
	memoryInterval = 5 * time.Second
	gcPercent      = 400
)

// paceMemory sets the soft memory limit every interval, and the collector's
// pace, until ctx is done.
func paceMemory(ctx context.Context, interval time.Duration) {
	if os.Getenv("GOMEMLIMIT") != "" || os.Getenv("GOGC") != "" {
		return
	}
	defer debug.SetMemoryLimit(-1) // unlimited again, as at start
	defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	live := []runtimemetrics.Sample{{Name: "/gc/heap/live:bytes"}}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		runtimemetrics.Read(live)
		if live[0].Value.Kind() == runtimemetrics.KindUint64 {
			debug.SetMemoryLimit(memoryLimit(live[0].Value.Uint64()))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// memoryLimit is the soft limit for a heap holding live bytes.
func memoryLimit(live uint64) int64 {
	return int64(max(memoryFloor, live+live/2+memoryHeadroom))
}
