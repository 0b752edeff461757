package sources

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
)

// TestRunnerHostileKeepsItems runs one source through hub.Runner into a
// real SQLite store: a good fetch, then each hostile upstream of
// hostileCases, then a feed gone empty, mojibake and a 410. After every run
// the good items are all still stored as they were, no error text became an
// item, and the source's state says what happened.
func TestRunnerHostileKeepsItems(t *testing.T) {
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "hub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	var handler atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.HandlerFunc)(w, r)
	}))
	defer srv.Close()
	src := testSource(t, srv.URL+"/feed.xml")
	src.Channels = []string{"politics"}
	if err := db.SyncSources(ctx, map[string][]string{src.ID: src.Channels}); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	r := hub.NewRunner(hub.RunnerOptions{Store: db, Fetcher: hostileFetcher(), Now: func() time.Time { return now },
		Logger: slog.New(slog.DiscardHandler)})

	var good strings.Builder
	for i := range 10 {
		fmt.Fprintf(&good, "<item><title>好条目%d</title><link>http://example.com/good/%d</link><description>正文%d</description></item>", i, i, i)
	}
	handler.Store(serveBytes(rssDoc(good.String()), "application/rss+xml"))
	if rep := r.Run(ctx, src); rep.Err != nil || rep.Result.New != 10 {
		t.Fatalf("good fetch: %+v", rep)
	}
	stored := func() map[string]hub.Item {
		t.Helper()
		items, err := db.Items(ctx, hub.Query{Channel: "politics", Limit: 5000})
		if err != nil {
			t.Fatal(err)
		}
		m := make(map[string]hub.Item, len(items))
		for _, it := range items {
			m[it.URL] = it
		}
		return m
	}
	want := stored()
	state := func() hub.FetchState {
		t.Helper()
		st, err := db.FetchState(ctx, src.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	checkKept := func(t *testing.T) {
		t.Helper()
		got := stored()
		for u, w := range want {
			if g, ok := got[u]; !ok || g.Title != w.Title || g.Content != w.Content || g.Summary != w.Summary {
				t.Errorf("stored item %s = %q, want %q as the good fetch stored it", u, g.Title, w.Title)
			}
		}
		for _, it := range got {
			for _, s := range []string{it.Title, it.Summary, it.Content} {
				for _, bad := range []string{"Internal Server Error", "页面不存在", "HTTP ", "too large", "deadline", "redirect"} {
					if strings.Contains(s, bad) {
						t.Errorf("stored item %s holds %q: an error became an item", it.URL, bad)
					}
				}
			}
		}
	}

	for _, tc := range hostileCases(t) {
		t.Run(tc.name, func(t *testing.T) {
			now = now.Add(time.Minute)
			before := state().Failures
			handler.Store(tc.handler)
			rep := r.Run(ctx, src)
			st := state()
			if tc.fails {
				if rep.Err == nil {
					t.Fatalf("run succeeded: %+v", rep)
				}
				if st.Failures != before+1 || st.LastError == "" || !st.LastTry.Equal(now) {
					t.Errorf("state after the failure = %+v, want one more failure and its error", st)
				}
				if got := st.Status(now); got != hub.StateBackingOff {
					t.Errorf("Status = %q, want %q", got, hub.StateBackingOff)
				}
				if got := st.Status(now.Add(2 * hub.BackoffMax)); got != hub.StateFailing {
					t.Errorf("Status after the backoff = %q, want %q", got, hub.StateFailing)
				}
			} else if rep.Err != nil {
				t.Errorf("run failed: %v", rep.Err)
			}
			checkKept(t)
		})
	}

	// Upstreams that answer, but wrongly.
	now = now.Add(time.Minute)
	handler.Store(serveBytes(rssDoc(good.String()), "application/rss+xml"))
	if rep := r.Run(ctx, src); rep.Err != nil || state().Status(now) != hub.StateOK {
		t.Fatalf("good fetch again: %+v, state %+v", rep, state())
	}
	now = now.Add(time.Minute)
	handler.Store(serveBytes(rssDoc(""), "application/rss+xml"))
	r.Run(ctx, src)
	if st := state(); st.Status(now) != hub.StateSuspect || !strings.Contains(st.Suspect, "no items") {
		t.Errorf("empty feed: state %+v, want suspect", st)
	}
	checkKept(t)

	now = now.Add(time.Minute)
	// The good feed's bytes in GB18030, declared UTF-8 by the source's encoding.
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(rssDoc(good.String()))
	if err != nil {
		t.Fatal(err)
	}
	handler.Store(serveBytes(gb, "application/rss+xml; charset=utf-8"))
	utf8Src := src
	utf8Src.Encoding = "utf-8"
	r.Run(ctx, utf8Src)
	if st := state(); st.Status(now) != hub.StateSuspect || !strings.Contains(st.Suspect, "U+FFFD") {
		t.Errorf("mojibake: state %+v, want suspect", st)
	}
	checkKept(t)

	now = now.Add(time.Minute)
	handler.Store(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "Gone", http.StatusGone) }))
	r.Run(ctx, src)
	if st := state(); st.Status(now.Add(30*24*time.Hour)) != hub.StateDisabled {
		t.Errorf("410: state %+v, want disabled", st)
	}
	if rep := r.RunScheduled(ctx, src); rep.Outcome() != "disabled" {
		t.Errorf("scheduled run after a 410: %q, want disabled", rep.Outcome())
	}
	checkKept(t)
}
