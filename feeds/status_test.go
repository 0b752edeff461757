package feeds

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// TestSourceRows: the one builder of the rows /status and yizhan sources
// show, source by source.
func TestSourceRows(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, shanghai)
	before := now.Add(-time.Hour)
	scheduled := now.Add(7 * time.Minute)
	src := func(id string) hub.Source {
		return hub.Source{ID: id, Name: "名称 " + id, Kind: hub.KindFeed, URL: "http://example.com/" + id,
			Channels: []string{"c"}, Schedule: "0 8 * * *", Enabled: true}
	}
	off := src("off")
	off.Enabled = false
	quiet := src("quiet") // its upstream answers, but published last 200 days ago
	quiet.StaleDays = 30
	patient := src("patient")
	patient.StaleDays = 365
	unchecked := src("unchecked")
	old := now.Add(-200 * 24 * time.Hour)
	fresh := now.Add(-29 * 24 * time.Hour)
	fine := hub.FetchState{LastTry: before, LastSuccess: before}
	recent := src("recent")
	recent.StaleDays = 30
	failingQuiet := src("failing-quiet")
	failingQuiet.StaleDays = 30
	tests := []struct {
		name    string
		src     *hub.Source // nil: not configured
		stat    *hub.SourceStat
		nextRun func(string) time.Time
		want    hub.SourceRow // ID, Name, Kind and Channels are filled in from src
		problem string
	}{
		{
			name: "never fetched, next run from the schedule",
			src:  ptr(src("new")),
			want: hub.SourceRow{State: hub.StateNever, NextRun: time.Date(2026, 11, 27, 8, 0, 0, 0, shanghai)},
		},
		{
			name:    "ok, next run from the scheduler",
			src:     ptr(src("ok")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, LastSuccess: before}, Items: 3},
			nextRun: func(string) time.Time { return scheduled },
			want:    hub.SourceRow{State: hub.StateOK, LastTry: before, LastSuccess: before, Items: 3, NextRun: scheduled},
		},
		{
			name:    "failing: the prefix naming the source is not shown",
			src:     ptr(src("failing")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, Failures: 2, LastError: "fetch failing: HTTP 500", NextTry: before}},
			nextRun: func(string) time.Time { return scheduled },
			want: hub.SourceRow{State: hub.StateFailing, Failures: 2, LastTry: before,
				LastError: "fetch failing: HTTP 500", NextRun: scheduled},
			problem: "HTTP 500",
		},
		{
			name:    "backing off: NextTry holds the schedule back",
			src:     ptr(src("slow")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, Failures: 1, LastError: "timeout", NextTry: now.Add(2 * time.Hour)}},
			nextRun: func(string) time.Time { return scheduled },
			want: hub.SourceRow{State: hub.StateBackingOff, Failures: 1, LastTry: before, LastError: "timeout",
				NextRun: now.Add(2 * time.Hour)},
			problem: "timeout",
		},
		{
			name:    "suspect says why",
			src:     ptr(src("odd")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, LastSuccess: before, Suspect: "no items"}},
			nextRun: func(string) time.Time { return scheduled },
			want: hub.SourceRow{State: hub.StateSuspect, Note: "suspect: no items", LastTry: before, LastSuccess: before,
				NextRun: scheduled},
			problem: "suspect: no items",
		},
		{
			name:    "stale: the newest item is 200 days old",
			src:     &quiet,
			stat:    &hub.SourceStat{FetchState: fine, Items: 5, Newest: old},
			nextRun: func(string) time.Time { return scheduled },
			want: hub.SourceRow{State: hub.StateStale, Note: "stale: newest item 2026-05-10, 200 days old",
				LastTry: before, LastSuccess: before, Items: 5, Newest: old, NextRun: scheduled},
			problem: "stale: newest item 2026-05-10, 200 days old",
		},
		{
			name:    "stale_days 365: 200 days is not stale",
			src:     &patient,
			stat:    &hub.SourceStat{FetchState: fine, Items: 5, Newest: old},
			nextRun: func(string) time.Time { return scheduled },
			want:    hub.SourceRow{State: hub.StateOK, LastTry: before, LastSuccess: before, Items: 5, Newest: old, NextRun: scheduled},
		},
		{
			name:    "stale_days 0 never is",
			src:     &unchecked,
			stat:    &hub.SourceStat{FetchState: fine, Items: 5, Newest: old},
			nextRun: func(string) time.Time { return scheduled },
			want:    hub.SourceRow{State: hub.StateOK, LastTry: before, LastSuccess: before, Items: 5, Newest: old, NextRun: scheduled},
		},
		{
			name:    "29 days under stale_days 30 is not stale",
			src:     &recent,
			stat:    &hub.SourceStat{FetchState: fine, Items: 5, Newest: fresh},
			nextRun: func(string) time.Time { return scheduled },
			want:    hub.SourceRow{State: hub.StateOK, LastTry: before, LastSuccess: before, Items: 5, Newest: fresh, NextRun: scheduled},
		},
		{
			name: "failing wins over stale",
			src:  &failingQuiet,
			stat: &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, Failures: 1, LastError: "HTTP 500", NextTry: before},
				Items: 5, Newest: old},
			nextRun: func(string) time.Time { return scheduled },
			want: hub.SourceRow{State: hub.StateFailing, Failures: 1, LastTry: before, LastError: "HTTP 500",
				Items: 5, Newest: old, NextRun: scheduled},
			problem: "HTTP 500",
		},
		{
			name:    "disabled by the hub: why, and no next run",
			src:     ptr(src("gone")),
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, Failures: 1, LastError: "fetch gone: HTTP 410 Gone", Disabled: "HTTP 410 Gone"}},
			nextRun: func(string) time.Time { return scheduled },
			want: hub.SourceRow{State: hub.StateDisabled, Note: "disabled: HTTP 410 Gone", Failures: 1, LastTry: before,
				LastError: "fetch gone: HTTP 410 Gone"},
			problem: "disabled: HTTP 410 Gone",
		},
		{
			name:    "disabled by the configuration: no next run",
			src:     &off,
			stat:    &hub.SourceStat{FetchState: hub.FetchState{LastTry: before, LastSuccess: before}, Items: 9},
			nextRun: func(string) time.Time { return scheduled },
			want:    hub.SourceRow{State: hub.StateDisabled, LastTry: before, LastSuccess: before, Items: 9},
		},
		{
			name: "a new URL forgets the old one's failures",
			src:  ptr(src("moved")),
			stat: &hub.SourceStat{FetchState: hub.FetchState{ConfigURL: "http://example.org/old", LastTry: before, Failures: 3,
				LastError: "HTTP 410 Gone", Disabled: "HTTP 410 Gone"}},
			nextRun: func(string) time.Time { return scheduled },
			want:    hub.SourceRow{State: hub.StateNever, LastTry: before, LastError: "HTTP 410 Gone", NextRun: scheduled},
			problem: "HTTP 410 Gone",
		},
		{
			name:    "not configured",
			stat:    &hub.SourceStat{FetchState: hub.FetchState{SourceID: "removed", LastTry: before, Failures: 1, LastError: "fetch removed: run removed: HTTP 404"}, Items: 4},
			nextRun: func(string) time.Time { return scheduled },
			want:    hub.SourceRow{ID: "removed", State: hub.StateNotConfigured, Failures: 1, LastTry: before, LastError: "fetch removed: run removed: HTTP 404", Items: 4},
			problem: "HTTP 404",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var srcs []hub.Source
			var stats []hub.SourceStat
			want := tt.want
			if tt.src != nil {
				srcs = append(srcs, *tt.src)
				want.ID, want.Name, want.Kind, want.Channels = tt.src.ID, tt.src.Name, tt.src.Kind, tt.src.Channels
			}
			if tt.stat != nil {
				st := *tt.stat
				if tt.src != nil {
					st.SourceID = tt.src.ID
				}
				stats = append(stats, st)
			}
			rows := hub.SourceRows(srcs, stats, now, tt.nextRun)
			if len(rows) != 1 {
				t.Fatalf("got %d rows, want 1: %+v", len(rows), rows)
			}
			got := rows[0]
			if got.ID != want.ID || got.Name != want.Name || got.Kind != want.Kind || !slices.Equal(got.Channels, want.Channels) ||
				got.State != want.State || got.Note != want.Note || got.Failures != want.Failures ||
				!got.LastTry.Equal(want.LastTry) || !got.LastSuccess.Equal(want.LastSuccess) ||
				got.LastError != want.LastError || got.Items != want.Items || !got.Newest.Equal(want.Newest) ||
				!got.NextRun.Equal(want.NextRun) {
				t.Errorf("row = %+v\nwant  %+v", got, want)
			}
			if p := got.Problem(); p != tt.problem {
				t.Errorf("Problem() = %q, want %q", p, tt.problem)
			}
		})
	}
}

// TestSourceRowsOrder: configured sources in configuration order, then
// those no longer configured by id.
func TestSourceRowsOrder(t *testing.T) {
	srcs := []hub.Source{{ID: "b", Enabled: true}, {ID: "a", Enabled: true}}
	stats := []hub.SourceStat{
		{FetchState: hub.FetchState{SourceID: "z"}},
		{FetchState: hub.FetchState{SourceID: "a"}},
		{FetchState: hub.FetchState{SourceID: "y"}},
	}
	var ids []string
	for _, r := range hub.SourceRows(srcs, stats, clock, nil) {
		ids = append(ids, r.ID)
	}
	if want := []string{"b", "a", "y", "z"}; !slices.Equal(ids, want) {
		t.Errorf("rows = %v, want %v", ids, want)
	}
}

func ptr[T any](v T) *T { return &v }

// countingStore counts the store reads /status makes; while gate is open
// (not nil and not closed) they wait for it.
type countingStore struct {
	Store
	reads   atomic.Int64
	entered chan struct{} // gets a value when a read begins, if not nil
	gate    chan struct{}
}

func (s *countingStore) SourceStats(ctx context.Context) ([]hub.SourceStat, error) {
	s.reads.Add(1)
	if s.entered != nil {
		s.entered <- struct{}{}
	}
	if s.gate != nil {
		<-s.gate
	}
	return s.Store.SourceStats(ctx)
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// TestStatusSharesReads: concurrent requests for /status wait for one store
// read, and requests within statusTTL of it reuse its rows.
func TestStatusSharesReads(t *testing.T) {
	const n = 20
	mem := newMemStore(testConfig())
	store := &countingStore{Store: mem, entered: make(chan struct{}, n), gate: make(chan struct{})}
	clk := &testClock{t: clock}
	h := NewHandler(Options{Config: testConfig(), Store: store, Now: clk.now,
		Logger: slog.New(slog.DiscardHandler)})

	var wg sync.WaitGroup
	codes := make(chan int, n)
	for range n {
		wg.Go(func() { codes <- get(t, h, "GET", "/status").Code })
	}
	<-store.entered
	// Let the other requests arrive while the first read is under way:
	// without single flight, each would start a read of its own.
	time.Sleep(50 * time.Millisecond)
	close(store.gate)
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != http.StatusOK {
			t.Errorf("GET /status = %d, want 200", code)
		}
	}
	if got := store.reads.Load(); got != 1 {
		t.Errorf("%d concurrent requests read the store %d times, want 1", n, got)
	}
}

// TestStatusTTL: /status shows a change of state once statusTTL has passed
// since the read it was built from, or at once after SetConfig.
func TestStatusTTL(t *testing.T) {
	mem := newMemStore(testConfig())
	store := &countingStore{Store: mem}
	clk := &testClock{t: clock}
	h := NewHandler(Options{Config: testConfig(), Store: store, Now: clk.now,
		Logger:  slog.New(slog.DiscardHandler),
		NextRun: func(string) time.Time { return clk.now().Add(time.Minute) }})
	state := func() string {
		t.Helper()
		w := get(t, h, "GET", "/status")
		if w.Code != http.StatusOK {
			t.Fatalf("GET /status = %d", w.Code)
		}
		_, row, _ := strings.Cut(w.Body.String(), `<tr id="source-people-theory">`)
		row, _, _ = strings.Cut(row, "</tr>")
		for _, s := range hub.States {
			if strings.Contains(row, ">"+s+"<") {
				return s
			}
		}
		t.Fatalf("no state in the row of people-theory: %q", row)
		return ""
	}

	if got := state(); got != hub.StateNever {
		t.Fatalf("state before any fetch = %q, want %q", got, hub.StateNever)
	}
	mem.mu.Lock()
	mem.stats = []hub.SourceStat{{FetchState: hub.FetchState{SourceID: "people-theory", LastTry: clk.now(), LastSuccess: clk.now()}, Items: 3}}
	mem.mu.Unlock()

	steps := []struct {
		name  string
		step  func()
		state string
		reads int64
	}{
		{"at once", func() {}, hub.StateNever, 1},
		{"within the TTL", func() { clk.add(statusTTL - time.Millisecond) }, hub.StateNever, 1},
		{"after the TTL", func() { clk.add(time.Millisecond) }, hub.StateOK, 2},
		{"cached again", func() { clk.add(statusTTL / 2) }, hub.StateOK, 2},
		{"after a reload", func() { h.SetConfig(testConfig()) }, hub.StateOK, 3},
		{"clock set back", func() { clk.add(-time.Hour) }, hub.StateOK, 4},
	}
	for _, s := range steps {
		s.step()
		if got := state(); got != s.state {
			t.Errorf("%s: state = %q, want %q", s.name, got, s.state)
		}
		if got := store.reads.Load(); got != s.reads {
			t.Errorf("%s: %d store reads so far, want %d", s.name, got, s.reads)
		}
	}
}

// TestStatusReloadDuringRead: a request that comes after SetConfig while a
// read begun under the old configuration is under way gets rows of the new
// configuration, not those of the read it could have joined.
func TestStatusReloadDuringRead(t *testing.T) {
	mem := newMemStore(testConfig())
	store := &countingStore{Store: mem, entered: make(chan struct{}, 4), gate: make(chan struct{})}
	h := NewHandler(Options{Config: testConfig(), Store: store, Now: (&testClock{t: clock}).now,
		Logger: slog.New(slog.DiscardHandler)})

	var wg sync.WaitGroup
	wg.Go(func() { get(t, h, "GET", "/status") })
	<-store.entered
	renamed := testConfig()
	renamed.Sources[0].Name = "人民网 · 理论（新名）"
	h.SetConfig(renamed)
	var body string
	wg.Go(func() { body = get(t, h, "GET", "/status").Body.String() })
	// Let the second request reach the store, or the read it would join.
	time.Sleep(50 * time.Millisecond)
	close(store.gate)
	wg.Wait()
	if !strings.Contains(body, renamed.Sources[0].Name) {
		t.Errorf("/status after SetConfig lacks the new name %q", renamed.Sources[0].Name)
	}
}
