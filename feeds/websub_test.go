package feeds

import (
	"errors"
	"strings"
	"testing"
)

// TestRender: the hub's own feeds, with any query, render as GET serves
// them; anything else is ErrNotFeed.
func TestRender(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	for _, tc := range []struct{ topic, channel, ctype string }{
		{"http://hub.example/feeds/theory.rss", "theory", "application/rss+xml; charset=utf-8"},
		{"http://hub.example/feeds/theory.atom?limit=1", "theory", "application/atom+xml; charset=utf-8"},
		{"http://hub.example/feeds/latest.json?opencc=s2t", LatestID, "application/feed+json; charset=utf-8"},
	} {
		r, err := h.Render(t.Context(), tc.topic)
		if err != nil {
			t.Errorf("Render(%s): %v", tc.topic, err)
			continue
		}
		w := get(t, h, "GET", strings.TrimPrefix(tc.topic, "http://hub.example"))
		if r.Channel != tc.channel || r.ContentType != tc.ctype || string(r.Body) != w.Body.String() || r.ETag != w.Header().Get("ETag") {
			t.Errorf("Render(%s) = channel %q, type %q, ETag %s; want %q, %q and the body GET serves (%s)", tc.topic, r.Channel, r.ContentType, r.ETag, tc.channel, tc.ctype, w.Header().Get("ETag"))
		}
	}
	for _, topic := range []string{
		"http://other.example/feeds/theory.rss",
		"http://hub.example/feeds/nosuch.rss",
		"http://hub.example/feeds/theory.xml",
		"http://hub.example/feeds/theory.rss?limit=x",
		"http://hub.example/feeds/theory.rss?filter=(",
		"http://hub.example/opml",
		"http://hub.example/feeds/../opml",
	} {
		if _, err := h.Render(t.Context(), topic); !errors.Is(err, ErrNotFeed) {
			t.Errorf("Render(%s): %v, want ErrNotFeed", topic, err)
		}
	}
}
