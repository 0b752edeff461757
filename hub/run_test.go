package hub

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memStore is the smallest Store the runner tests need.
type memStore struct {
	mu     sync.Mutex
	items  map[string]Item
	states map[string]FetchState
	leases map[string]memLease
}

type memLease struct {
	holder string
	until  time.Time
}

func newMemStore() *memStore {
	return &memStore{items: map[string]Item{}, states: map[string]FetchState{}}
}

func (m *memStore) SaveItems(_ context.Context, sourceID string, items []Item, now time.Time) (SaveResult, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var r SaveResult
	for _, it := range items {
		k := sourceID + "\x00" + it.Key
		old, ok := m.items[k]
		switch {
		case !ok:
			it.FirstSeen = now
			r.New++
		case old.Title != it.Title:
			it.FirstSeen = old.FirstSeen
			r.Updated++
		default:
			r.Unchanged++
			continue
		}
		m.items[k] = it
	}
	return r, nil
}
func (m *memStore) Items(context.Context, Query) ([]Item, error)           { return nil, nil }
func (m *memStore) SyncSources(context.Context, map[string][]string) error { return nil }
func (m *memStore) KnownURLs(context.Context, string, []string) (map[string]bool, error) {
	return nil, nil
}
func (m *memStore) FetchState(_ context.Context, id string) (FetchState, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := m.states[id]
	st.SourceID = id
	return st, nil
}
func (m *memStore) SaveFetchState(_ context.Context, st FetchState) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.states[st.SourceID] = st
	return nil
}
func (m *memStore) SourceStats(context.Context) ([]SourceStat, error) { return nil, nil }
func (m *memStore) Ping(context.Context) error                        { return nil }
func (m *memStore) Close() error                                      { return nil }
func (m *memStore) Prune(context.Context, []Channel, int, time.Time) (PruneResult, error) {
	return PruneResult{}, nil
}
func (m *memStore) Changes(context.Context, int64) (ChangeSet, error) { return ChangeSet{}, nil }
func (m *memStore) Lease(_ context.Context, id, holder string, now, until time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.leases == nil {
		m.leases = make(map[string]memLease)
	}
	if l, ok := m.leases[id]; ok && l.holder != holder && l.until.After(now) {
		return false, nil
	}
	m.leases[id] = memLease{holder, until}
	return true, nil
}

func (m *memStore) count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items)
}

// fetchFunc adapts a function to Fetcher.
type fetchFunc func(ctx context.Context, src Source, prev FetchState) (FetchResult, error)

func (f fetchFunc) Fetch(ctx context.Context, src Source, prev FetchState) (FetchResult, error) {
	return f(ctx, src, prev)
}

type hintErr struct{ d time.Duration }

func (e hintErr) Error() string            { return "429 too many requests" }
func (e hintErr) RetryHint() time.Duration { return e.d }

func TestRunnerRun(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	src := Source{ID: "s", Channels: []string{"c"}}
	items := []Item{{SourceID: "s", Key: "1", Title: "一"}, {SourceID: "s", Key: "2", Title: "二"}}

	tests := []struct {
		name        string
		fetch       func(prev FetchState) (FetchResult, error)
		wantOutcome string
		wantItems   int
		wantFails   int
		wantETag    string
		minNextTry  time.Duration // NextTry - now at least this
	}{
		{"new", func(FetchState) (FetchResult, error) {
			return FetchResult{Items: items, ETag: `"a"`}, nil
		}, "new", 2, 0, `"a"`, 0},
		{"not modified keeps validators", func(prev FetchState) (FetchResult, error) {
			return FetchResult{NotModified: true}, nil
		}, "not_modified", 0, 0, `"old"`, 0},
		{"error", func(FetchState) (FetchResult, error) {
			return FetchResult{}, errors.New("500 internal server error")
		}, "error", 0, 1, `"old"`, 45 * time.Second},
		{"retry-after beyond backoff", func(FetchState) (FetchResult, error) {
			return FetchResult{}, fmt.Errorf("get: %w", hintErr{2 * time.Hour})
		}, "error", 0, 1, `"old"`, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newMemStore()
			st.states["s"] = FetchState{SourceID: "s", ETag: `"old"`}
			changed := 0
			r := NewRunner(RunnerOptions{
				Store:    st,
				Fetcher:  fetchFunc(func(_ context.Context, _ Source, prev FetchState) (FetchResult, error) { return tt.fetch(prev) }),
				Now:      func() time.Time { return now },
				OnChange: func(Source, SaveResult) { changed++ },
			})
			rep := r.Run(t.Context(), src)
			if got := rep.Outcome(); got != tt.wantOutcome {
				t.Errorf("Outcome = %q, want %q (err %v)", got, tt.wantOutcome, rep.Err)
			}
			if got := st.count(); got != tt.wantItems {
				t.Errorf("stored items = %d, want %d", got, tt.wantItems)
			}
			if (changed > 0) != (tt.wantItems > 0) {
				t.Errorf("OnChange called %d times with %d items stored", changed, tt.wantItems)
			}
			fs := st.states["s"]
			if fs.Failures != tt.wantFails {
				t.Errorf("Failures = %d, want %d", fs.Failures, tt.wantFails)
			}
			if fs.ETag != tt.wantETag {
				t.Errorf("ETag = %q, want %q", fs.ETag, tt.wantETag)
			}
			if !fs.LastTry.Equal(now) {
				t.Errorf("LastTry = %v, want %v", fs.LastTry, now)
			}
			if tt.wantFails > 0 {
				if fs.LastError == "" || !fs.LastSuccess.IsZero() {
					t.Errorf("after failure LastError = %q, LastSuccess = %v", fs.LastError, fs.LastSuccess)
				}
				if d := fs.NextTry.Sub(now); d < tt.minNextTry || d > 2*BackoffMax {
					t.Errorf("NextTry = now+%v, want at least %v", d, tt.minNextTry)
				}
			} else if !fs.LastSuccess.Equal(now) || fs.LastError != "" || !fs.NextTry.IsZero() {
				t.Errorf("after success state = %+v", fs)
			}
		})
	}
}

func TestRunnerBackoffDefersScheduledRuns(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	st := newMemStore()
	var calls atomic.Int32
	fail := true
	r := NewRunner(RunnerOptions{
		Store: st,
		Fetcher: fetchFunc(func(context.Context, Source, FetchState) (FetchResult, error) {
			calls.Add(1)
			if fail {
				return FetchResult{}, errors.New("boom")
			}
			return FetchResult{Items: []Item{{Key: "k", Title: "t"}}}, nil
		}),
		Now: func() time.Time { return now },
	})
	src := Source{ID: "s"}
	for i := 1; i <= 3; i++ {
		r.Run(t.Context(), src)
		if got := st.states["s"].Failures; got != i {
			t.Fatalf("Failures after %d runs = %d", i, got)
		}
	}
	// The third consecutive failure waits about 4 minutes (±25%).
	if d := st.states["s"].NextTry.Sub(now); d < 3*time.Minute || d > 5*time.Minute {
		t.Errorf("backoff after 3 failures = %v, want 3m..5m", d)
	}
	if rep := r.RunScheduled(t.Context(), src); rep.Deferred.IsZero() || calls.Load() != 3 {
		t.Errorf("scheduled run during backoff: %+v, fetches %d; want deferred", rep, calls.Load())
	}
	fail = false
	if rep := r.Run(t.Context(), src); rep.Err != nil || rep.Result.New != 1 {
		t.Errorf("manual run during backoff = %+v, want a fetch", rep)
	}
	if got := st.states["s"]; got.Failures != 0 || !got.NextTry.IsZero() {
		t.Errorf("state after success = %+v, want reset", got)
	}
}

func TestBackoffCapped(t *testing.T) {
	for _, n := range []int{1, 5, 10, 19, 20, 64, 1000} {
		d := backoff(n, errors.New("x"))
		if d <= 0 || d > BackoffMax*5/4 {
			t.Errorf("backoff(%d) = %v, want in (0, %v]", n, d, BackoffMax*5/4)
		}
	}
}

func TestRunnerOneAtATimeAndGlobalLimit(t *testing.T) {
	st := newMemStore()
	var inFlight, peak atomic.Int32
	release := make(chan struct{})
	r := NewRunner(RunnerOptions{
		Store:       st,
		Concurrency: 2,
		Fetcher: fetchFunc(func(ctx context.Context, src Source, _ FetchState) (FetchResult, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for {
				p := peak.Load()
				if n <= p || peak.CompareAndSwap(p, n) {
					break
				}
			}
			<-release
			return FetchResult{NotModified: true}, nil
		}),
	})
	var wg sync.WaitGroup
	reps := make([]Report, 8)
	for i := range reps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			reps[i] = r.Run(t.Context(), Source{ID: fmt.Sprintf("s%d", i%4)})
		}()
	}
	time.Sleep(100 * time.Millisecond)
	close(release)
	wg.Wait()
	busy := 0
	for _, rep := range reps {
		if rep.Busy {
			busy++
		}
	}
	if p := peak.Load(); p > 2 {
		t.Errorf("peak concurrent fetches = %d, want at most 2", p)
	}
	// Each of the 4 sources was asked twice while its first run was blocked:
	// at least 4 of the 8 requests must have found it busy. (Some may start
	// after the first finished; none may run twice at once.)
	if busy < 4 {
		t.Errorf("busy reports = %d, want at least 4", busy)
	}
}

// TestRunnerItemHashes: the fetcher's record of a body's items is handed
// back on the next fetch after a sound one, kept through a 304, not taken
// from a suspect fetch, and the items it showed unchanged are counted.
func TestRunnerItemHashes(t *testing.T) {
	tr := newTestRunner(t)
	src := Source{ID: "s"}
	items := []Item{{Key: "a", Title: "甲"}, {Key: "b", Title: "乙"}, {Key: "c", Title: "丙"}}
	tr.fetch = func(FetchState) (FetchResult, error) {
		return FetchResult{Items: items, BodyHash: "h1", ItemHashes: "abc"}, nil
	}
	tr.Run(t.Context(), src)
	if got := tr.state().ItemHashes; got != "abc" {
		t.Fatalf("ItemHashes = %q after a sound fetch, want %q", got, "abc")
	}

	tr.fetch = func(FetchState) (FetchResult, error) { return FetchResult{NotModified: true}, nil }
	tr.Run(t.Context(), src)
	if got := tr.prevs[1].ItemHashes; got != "abc" {
		t.Errorf("prev.ItemHashes = %q, want %q", got, "abc")
	}

	// One new item, three known: the report counts all four.
	tr.fetch = func(FetchState) (FetchResult, error) {
		return FetchResult{Items: []Item{{Key: "d", Title: "丁"}}, Unchanged: 3, Listed: 4, BodyHash: "h2", ItemHashes: "abcd"}, nil
	}
	rep := tr.Run(t.Context(), src)
	if want := (SaveResult{New: 1, Unchanged: 3}); rep.Result != want {
		t.Errorf("Result = %+v, want %+v", rep.Result, want)
	}
	if st := tr.state(); st.ItemHashes != "abcd" || st.LastCount != 4 {
		t.Errorf("state = %+v, want ItemHashes abcd, LastCount 4", st)
	}

	// Items held back as suspect were not stored: their record is not kept.
	tr.fetch = func(FetchState) (FetchResult, error) {
		return FetchResult{Items: []Item{{Key: "e", Title: "\uFFFD\uFFFD"}}, Unchanged: 4, Listed: 5, BodyHash: "h3", ItemHashes: "abcde"}, nil
	}
	tr.Run(t.Context(), src)
	if st := tr.state(); st.Suspect == "" || st.ItemHashes != "abcd" {
		t.Errorf("after a suspect fetch: %+v, want suspect with ItemHashes abcd", st)
	}
}

func TestErrorText(t *testing.T) {
	for _, tt := range []struct{ err, want string }{
		{"fetch s1: run s1: http://x/feed: HTTP 503", "http://x/feed: HTTP 503"},
		{"run s1: fetch s1: fetch s1: dial tcp: refused", "dial tcp: refused"},
		{"fetch s2: other source", "fetch s2: other source"},
		{"plain", "plain"},
		{"", ""},
	} {
		if got := ErrorText("s1", tt.err); got != tt.want {
			t.Errorf("ErrorText(s1, %q) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

// TestRunnerLeaseOneProcess: two processes on one store run the same
// schedule; each due run is fetched by exactly one of them, also when their
// schedulers are out of step, and the other takes over once the holder's
// lease has expired.
func TestRunnerLeaseOneProcess(t *testing.T) {
	st := newMemStore()
	var fetches atomic.Int32
	f := fetchFunc(func(context.Context, Source, FetchState) (FetchResult, error) {
		fetches.Add(1)
		return FetchResult{}, nil
	})
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	a := NewRunner(RunnerOptions{Store: st, Fetcher: f, Holder: "a", Now: clock})
	b := NewRunner(RunnerOptions{Store: st, Fetcher: f, Holder: "b", Now: clock})
	src := Source{ID: "s", URL: "http://example.com/feed", Schedule: "@every 10m", Enabled: true}
	ctx := t.Context()

	for i, tt := range []struct {
		name       string
		advance    time.Duration
		runner     *Runner
		wantFetch  bool
		wantReport string
	}{
		{"a first", 0, a, true, "unchanged"},
		{"b at the same moment", time.Second, b, false, "elsewhere"},
		{"b out of step, 4 minutes later", 4 * time.Minute, b, false, "elsewhere"},
		{"b at the next slot: a's lease expired", 6 * time.Minute, b, true, "unchanged"},
		{"a at its next slot, 3 minutes after b", 3 * time.Minute, a, false, "elsewhere"},
		{"a at its slot after", 10 * time.Minute, a, true, "unchanged"},
	} {
		now = now.Add(tt.advance)
		before := fetches.Load()
		rep := tt.runner.RunScheduled(ctx, src)
		if got := fetches.Load() > before; got != tt.wantFetch || rep.Outcome() != tt.wantReport {
			t.Errorf("%d %s: fetched %v, outcome %q; want %v, %q", i, tt.name, got, rep.Outcome(), tt.wantFetch, tt.wantReport)
		}
	}
	// A manual fetch (yizhan fetch) ignores leases.
	before := fetches.Load()
	if rep := b.Run(ctx, src); rep.Err != nil || fetches.Load() == before {
		t.Errorf("Run = %+v, want a fetch whoever holds the lease", rep)
	}
}
