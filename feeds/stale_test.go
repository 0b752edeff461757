package feeds

import (
	"errors"
	"testing"
)

// TestServeStaleWhileStoreFails: a feed invalidated while the store cannot
// be read is served as last rendered, under its ETag, not as a 500; once the
// store answers, the next request renders it anew. A ?limit= rendering has
// no stale copy and fails.
func TestServeStaleWhileStoreFails(t *testing.T) {
	store := newMemStore(testConfig(), testItems()...)
	h := newTestHandler(t, store)
	first := get(t, h, "GET", "/feeds/theory.rss")
	get(t, h, "GET", "/feeds/theory.rss?limit=1")

	store.mu.Lock()
	store.err = errors.New("database is down")
	store.mu.Unlock()
	h.Cache().InvalidateAll()
	w := get(t, h, "GET", "/feeds/theory.rss")
	if w.Code != 200 || w.Header().Get("ETag") != first.Header().Get("ETag") {
		t.Errorf("during the outage: %d %s, want 200 under %s", w.Code, w.Header().Get("ETag"), first.Header().Get("ETag"))
	}
	if w := get(t, h, "GET", "/feeds/theory.rss?limit=1"); w.Code != 500 {
		t.Errorf("?limit=1 during the outage = %d, want 500", w.Code)
	}

	store.mu.Lock()
	store.err = nil
	store.mu.Unlock()
	store.add(testItems()[0]) // a change, so that the new rendering differs
	h.Cache().InvalidateAll()
	if w := get(t, h, "GET", "/feeds/theory.rss"); w.Code != 200 || w.Header().Get("ETag") == first.Header().Get("ETag") {
		t.Errorf("after the outage: %d %s, want a new rendering", w.Code, w.Header().Get("ETag"))
	}
}
