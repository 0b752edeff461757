package feeds

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
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

// webSubMemStore is a memStore that keeps WebSub figures.
type webSubMemStore struct {
	*memStore
	stats hub.WebSubStats
	ups   []hub.UpstreamSubscription
}

func (s *webSubMemStore) WebSubStats(context.Context, time.Time) (hub.WebSubStats, error) {
	return s.stats, nil
}

func (s *webSubMemStore) Upstreams(context.Context) ([]hub.UpstreamSubscription, error) {
	return s.ups, nil
}

// TestStatusWebSub: /status shows subscriptions per topic, deliveries,
// and the upstream subscriptions with their lease ends.
func TestStatusWebSub(t *testing.T) {
	store := &webSubMemStore{
		memStore: newMemStore(testConfig(), testItems()...),
		stats:    hub.WebSubStats{Topics: map[string]int{"http://hub.example/feeds/theory.rss": 3}, Pending: 2, Failing: 1},
		ups: []hub.UpstreamSubscription{{SourceID: "people-theory", Hub: "https://pubsub.example/", State: hub.UpstreamActive,
			Expires: time.Date(2025, 3, 12, 4, 0, 0, 0, time.UTC)}},
	}
	h := newTestHandler(t, store)
	body := get(t, h, "GET", "/status").Body.String()
	for _, want := range []string{
		"<code>http://hub.example/feeds/theory.rss</code></td><td>3</td>",
		"待推送 2 · 其中失败过 1",
		"<td><code>people-theory</code></td><td><code>https://pubsub.example/</code></td><td>active</td><td>2025-03-12 12:00:00 &#43;0800</td>", // html/template escapes the plus
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/status lacks %s", want)
		}
	}
	if !strings.HasSuffix(body, "</table>\n</body>\n</html>\n") {
		t.Errorf("/status does not end as a page: %q", body[max(0, len(body)-60):])
	}
}
