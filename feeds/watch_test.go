package feeds

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// syncBuffer is a log destination safe for the watcher's goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestWatch: an item another process stores reaches the feeds of its
// source's channels within a poll or two, without anyone invalidating the
// cache; a source that feeds no channel re-renders nothing.
func TestWatch(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	var logs syncBuffer
	h := NewHandler(Options{Config: testConfig(), Store: store, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: fixedNow})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { h.Watch(ctx, 5*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()

	// lookedTwice waits until the watcher has finished a look begun after
	// now: sleeping instead let the checks below pass before it looked.
	lookedTwice := func() {
		t.Helper()
		n := store.looks.Load()
		waitFor(t, "the watcher to look", func() bool { return store.looks.Load() >= n+2 })
	}

	// Past the first look, which drops whatever was rendered before it.
	lookedTwice()
	before := get(t, h, "GET", "/feeds/theory.rss").Header().Get("ETag")
	politics := get(t, h, "GET", "/feeds/politics.rss").Header().Get("ETag")
	calls := store.calls.Load()

	store.add(hub.Item{SourceID: "not-configured", Key: "x", Title: "无频道", FirstSeen: clock})
	lookedTwice()
	get(t, h, "GET", "/feeds/theory.rss")
	get(t, h, "GET", "/feeds/politics.rss")
	if got := store.calls.Load(); got != calls {
		t.Errorf("a source that feeds no channel made %d store reads, want none", got-calls)
	}

	store.add(hub.Item{
		SourceID: "people-theory", Key: "cron", URL: "http://theory.people.com.cn/cron.html", Title: "另一进程写入的条目",
		Published: time.Date(2025, 3, 2, 10, 0, 0, 0, shanghai), FirstSeen: clock,
		Attribution: hub.Attribution{Credit: "人民日报"},
	})
	waitFor(t, "the theory feed to change", func() bool {
		return get(t, h, "GET", "/feeds/theory.rss").Header().Get("ETag") != before
	})
	if !strings.Contains(get(t, h, "GET", "/feeds/theory.rss").Body.String(), "另一进程写入的条目") {
		t.Error("the new item is not in the theory feed")
	}
	if got := get(t, h, "GET", "/feeds/politics.rss").Header().Get("ETag"); got != politics {
		t.Errorf("politics ETag changed to %q: a channel without changes was rendered again", got)
	}

	// A store that cannot tell is logged once, and the feeds stay served.
	store.mu.Lock()
	store.changesErr = errors.New("disk I/O error")
	store.mu.Unlock()
	lookedTwice()
	lookedTwice()
	if w := get(t, h, "GET", "/feeds/theory.rss"); w.Code != 200 {
		t.Errorf("GET while the store fails its Changes: %d", w.Code)
	}
	if n := strings.Count(logs.String(), "store changes"); n != 1 {
		t.Errorf("%d log lines about the failing store, want 1:\n%s", n, logs.String())
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// TestWatchOnChange: Watch tells OnChange which channels another process
// changed, and only those.
func TestWatchOnChange(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	var mu sync.Mutex
	var got [][]string
	h := NewHandler(Options{Config: testConfig(), Store: store, Now: fixedNow,
		Logger: slog.New(slog.DiscardHandler),
		OnChange: func(channels ...string) {
			mu.Lock()
			got = append(got, channels)
			mu.Unlock()
		}})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { h.Watch(ctx, 5*time.Millisecond); close(done) }()
	defer func() { cancel(); <-done }()
	n := store.looks.Load()
	waitFor(t, "the watcher to look", func() bool { return store.looks.Load() >= n+2 })
	store.add(hub.Item{SourceID: "not-configured", Key: "x", Title: "无频道", FirstSeen: clock})
	store.add(hub.Item{SourceID: "people-theory", Key: "cron", Title: "另一进程写入的条目", FirstSeen: clock})
	waitFor(t, "OnChange", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(got) > 0
	})
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0]) != 1 || got[0][0] != "theory" {
		t.Errorf("OnChange calls = %q, want one with theory", got)
	}
}
