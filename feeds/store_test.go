package feeds

import (
	"cmp"
	"context"
	"errors"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// memStore is an in-memory Store for tests: items belong to the channels
// their source feeds, as the real store's SyncSources arranges.
type memStore struct {
	mu       sync.Mutex
	items    []hub.Item
	channels map[string][]string // source id -> channel ids
	stats    []hub.SourceStat
	err      error // returned by Items and SourceStats when set
	pingErr  error

	calls       atomic.Int64  // Items calls
	searchDedup atomic.Bool   // the Dedup of the last Search
	gate        chan struct{} // when set, Items waits for it to close

	version    int64            // grows with every add
	changed    map[string]int64 // source id -> version of its last add
	changesErr error            // returned by Changes when set
	looks      atomic.Int64     // Changes calls
}

func newMemStore(cfg Config, items ...hub.Item) *memStore {
	s := &memStore{channels: make(map[string][]string)}
	for _, src := range cfg.Sources {
		s.channels[src.ID] = src.Channels
	}
	s.add(items...)
	return s
}

func (s *memStore) add(items ...hub.Item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.version++
	if s.changed == nil {
		s.changed = make(map[string]int64)
	}
	for _, it := range items {
		if it.ID == 0 {
			it.ID = int64(len(s.items) + 1)
		}
		s.items = append(s.items, it)
		s.changed[it.SourceID] = s.version
	}
}

func (s *memStore) Changes(_ context.Context, since int64) (hub.ChangeSet, error) {
	s.looks.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.changesErr != nil {
		return hub.ChangeSet{}, s.changesErr
	}
	cs := hub.ChangeSet{Version: s.version}
	for _, src := range slices.Sorted(maps.Keys(s.changed)) {
		if s.changed[src] > since {
			cs.Sources = append(cs.Sources, src)
		}
	}
	return cs, nil
}

func (s *memStore) Items(ctx context.Context, q hub.Query) ([]hub.Item, error) {
	s.calls.Add(1)
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	if q.Limit <= 0 {
		return nil, errors.New("memstore: limit must be positive")
	}
	var out []hub.Item
	for _, it := range s.items {
		if q.Channel == "" && len(s.channels[it.SourceID]) > 0 || slices.Contains(s.channels[it.SourceID], q.Channel) {
			out = append(out, it)
		}
	}
	slices.SortStableFunc(out, func(a, b hub.Item) int {
		if c := b.Date().Compare(a.Date()); c != 0 {
			return c
		}
		return cmp.Compare(b.ID, a.ID)
	})
	if q.Before != nil {
		out = slices.DeleteFunc(out, func(it hub.Item) bool {
			d := it.Date().Compare(q.Before.Date)
			return d > 0 || d == 0 && it.ID >= q.Before.ID
		})
	}
	if len(out) > q.Limit {
		out = out[:q.Limit]
	}
	return out, nil
}

func (s *memStore) Ping(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pingErr
}

func (s *memStore) SourceStats(context.Context) ([]hub.SourceStat, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return nil, s.err
	}
	return s.stats, nil
}

// shanghai is Asia/Shanghai without depending on the machine's zone files.
var shanghai = time.FixedZone("CST", 8*60*60)

// clock is the fixed time of every test.
var clock = time.Date(2025, 3, 2, 12, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return clock }

// testConfig is a small hub: two channels, three sources.
func testConfig() Config {
	return Config{
		Settings: hub.Settings{
			Title:      "驿站测试",
			BaseURL:    "http://hub.example/",
			Timezone:   shanghai,
			FeedSize:   5,
			LatestSize: 3,
		},
		Channels: []hub.Channel{
			{ID: "theory", Title: "理论频道", Description: "理论与评论", Copyright: "本频道条目版权归原作者及原发媒体所有"},
			{ID: "politics", Title: "时政频道", Description: "时政要闻"},
		},
		Sources: []hub.Source{
			{ID: "people-theory", Name: "人民网 · 理论", Kind: hub.KindFeed, URL: "http://www.people.com.cn/rss/theory.xml",
				Channels: []string{"theory"}, Schedule: "@every 15m", Attribution: "人民日报", Enabled: true},
			{ID: "people-politics", Name: "人民网 · 时政", Kind: hub.KindFeed, URL: "http://www.people.com.cn/rss/politics.xml",
				Channels: []string{"politics"}, Schedule: "@every 10m", Attribution: "人民日报", Enabled: true},
			{ID: "bureau-notices", Name: "市统计局 · 通知公告", Kind: hub.KindHTML, URL: "http://tjj.example.gov.cn/tzgg/",
				Channels: []string{"politics"}, Schedule: "@hourly", Enabled: false},
		},
		WebSub: true,
		MaxAge: func(channel string) time.Duration {
			if channel == "politics" {
				return 10 * time.Minute
			}
			return 15 * time.Minute
		},
	}
}

// testItems are the theory channel's items: one with every attribution
// field, one without credit_url and author (and with characters that need
// escaping), one tied in date with the first, and a politics item.
func testItems() []hub.Item {
	published := time.Date(2025, 3, 1, 8, 30, 0, 0, shanghai)
	return []hub.Item{
		{
			ID:         1,
			SourceID:   "people-theory",
			Key:        "http://theory.people.com.cn/n1/2025/0301/c40531-40428001.html",
			URL:        "http://theory.people.com.cn/n1/2025/0301/c40531-40428001.html",
			Title:      "坚持和发展新时代“枫桥经验”",
			Summary:    "<p>基层治理的生动实践 &amp; 经验总结。</p>",
			Content:    `<p>正文第一段。</p><p><img src="http://theory.people.com.cn/img/40428001.jpg" alt="配图"/></p>`,
			Image:      "http://theory.people.com.cn/img/40428001.jpg",
			Categories: []string{"理论", "基层治理"},
			Published:  published,
			Updated:    published.Add(90 * time.Minute),
			FirstSeen:  time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC),
			Attribution: hub.Attribution{
				Credit:    "人民日报",
				CreditURL: "http://paper.people.com.cn/rmrb/html/2025-03/01/nw.D110000renmrb_20250301_1-09.htm",
				Via:       "人民网 · 理论",
				Author:    "李红军",
				Editor:    "张伟、陈静",
				Copyright: "人民日报社版权所有，未经书面授权禁止转载",
			},
		},
		{
			ID:        2,
			SourceID:  "people-theory",
			Key:       "http://theory.people.com.cn/n1/2025/0228/c40531-40427002.html?from=rss&id=2",
			URL:       "http://theory.people.com.cn/n1/2025/0228/c40531-40427002.html?from=rss&id=2",
			Title:     `AT&T 与 <标签> 的 "引号"`,
			Content:   `<p>没有摘要的条目，正文含 a[b[0]]>c 与 &lt;script&gt;。</p>`,
			FirstSeen: time.Date(2025, 2, 28, 12, 0, 0, 0, time.UTC),
			Attribution: hub.Attribution{
				Credit:    "人民网 · 理论",
				Copyright: "人民网版权所有",
			},
		},
		{
			ID:        3,
			SourceID:  "people-theory",
			Key:       "guid-40428003",
			URL:       "http://theory.people.com.cn/n1/2025/0301/c40531-40428003.html",
			Title:     "同一时刻发布的另一篇",
			Summary:   "同一时刻",
			Published: published,
			FirstSeen: time.Date(2025, 3, 1, 1, 0, 0, 0, time.UTC),
			Attribution: hub.Attribution{
				Credit:    "光明日报",
				CreditURL: "https://epaper.gmw.cn/gmrb/html/2025-03/01/nw.D110000gmrb_20250301_2-11.htm",
				Via:       "人民网 · 理论",
				Author:    "王晓",
				Copyright: "光明日报版权所有",
			},
			// As Store.Items shows a story of three copies, this one stored second.
			StoryGUID: "urn:uuid:0b8a3a64-6c47-5e0b-9d8e-7c1f5a3e2d10",
			Carriers: []hub.Carrier{
				{Name: "某省网 · 理论", URL: "http://www.example.gov.cn/theory/2025-03/01/c_1.htm?a=1&b=2"},
				{Name: "某县融媒", URL: "http://news.example.cn/a/2.html"},
			},
		},
		{
			ID:         4,
			SourceID:   "people-politics",
			Key:        "guid-politics-1",
			URL:        "http://politics.people.com.cn/n1/2025/0302/c1001-1.html",
			Title:      "时政要闻一则",
			Summary:    "要闻",
			Categories: []string{"时政"},
			Published:  time.Date(2025, 3, 2, 9, 0, 0, 0, shanghai),
			FirstSeen:  time.Date(2025, 3, 2, 1, 5, 0, 0, time.UTC),
			Attribution: hub.Attribution{
				Credit:    "新华社",
				Via:       "人民网 · 时政",
				Copyright: "新华社版权所有",
			},
		},
	}
}

// newTestHandler returns a handler over store with testConfig and the fixed clock.
func newTestHandler(t testing.TB, store Store) *Handler {
	t.Helper()
	return NewHandler(Options{
		Config: testConfig(),
		Store:  store,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now:    fixedNow,
	})
}

// get serves one request through h and returns the recorded response.
func get(t testing.TB, h http.Handler, method, target string, header ...string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Add(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}
