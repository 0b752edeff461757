package hub

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestFetchStateStatus(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		st   FetchState
		want string
	}{
		{FetchState{}, StateNever},
		{FetchState{LastTry: now, LastSuccess: now}, StateOK},
		{FetchState{LastTry: now, LastSuccess: now, NextTry: now.Add(time.Hour)}, StateOK}, // the upstream's ttl
		{FetchState{LastTry: now, Failures: 2, NextTry: now.Add(time.Minute)}, StateBackingOff},
		{FetchState{LastTry: now, Failures: 2, NextTry: now.Add(-time.Minute)}, StateFailing},
		{FetchState{LastTry: now, LastSuccess: now, Suspect: "no items"}, StateSuspect},
		{FetchState{LastTry: now, Failures: 1, Suspect: "no items"}, StateFailing},
		{FetchState{LastTry: now, Failures: 1, NextTry: now.Add(time.Hour), Disabled: "HTTP 410 Gone"}, StateDisabled},
	}
	for _, tt := range tests {
		if got := tt.st.Status(now); got != tt.want {
			t.Errorf("Status(%+v) = %q, want %q", tt.st, got, tt.want)
		}
	}
}

func TestFetchStateNextRun(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	sched := now.Add(15 * time.Minute)
	for _, tt := range []struct {
		st   FetchState
		want time.Time
	}{
		{FetchState{}, sched},
		{FetchState{NextTry: now.Add(time.Hour)}, now.Add(time.Hour)},
		{FetchState{NextTry: now.Add(time.Minute)}, sched},
		{FetchState{Disabled: "HTTP 410 Gone"}, time.Time{}},
	} {
		if got := tt.st.NextRun(sched); !got.Equal(tt.want) {
			t.Errorf("NextRun(%+v) = %v, want %v", tt.st, got, tt.want)
		}
	}
}

func TestJudge(t *testing.T) {
	titled := func(titles ...string) []Item {
		var items []Item
		for i, title := range titles {
			items = append(items, Item{Key: string(rune('a' + i)), Title: title, Content: "<p>正文正文正文正文正文正文正文正文</p>"})
		}
		return items
	}
	mojibake := strings.Repeat("\uFFFD", 10)
	tests := []struct {
		name      string
		items     []Item
		listed    int // zero: len(items)
		lastCount int
		wantKeep  int
		suspect   string // part of the reason; empty: not suspect
	}{
		{"sound", titled("一", "二", "三"), 0, 3, 3, ""},
		{"none after many", nil, 0, 40, 0, "no items, where the last sound fetch had 40"},
		{"none new, many listed", nil, 40, 40, 0, ""},
		{"none after few", nil, 0, 4, 0, ""},
		{"none ever", nil, 0, 0, 0, ""},
		{"most titles empty", titled("一", "", " ", ""), 0, 4, 1, "3 of 4 items have no title; 3 items held back"},
		{"some titles empty", titled("一", "二", "", ""), 0, 4, 4, ""},
		{"two items, both untitled", titled("", ""), 0, 2, 2, ""},
		{"mojibake", titled("一", "二"+mojibake, "三"+mojibake), 0, 3, 1, "U+FFFD"},
		{"one stray U+FFFD", titled("一\uFFFD", "二", "三", "四", "五"), 0, 5, 5, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keep, suspect := judge(tt.items, max(tt.listed, len(tt.items)), tt.lastCount)
			if len(keep) != tt.wantKeep {
				t.Errorf("kept %d items, want %d", len(keep), tt.wantKeep)
			}
			if (suspect == "") != (tt.suspect == "") || !strings.Contains(suspect, tt.suspect) {
				t.Errorf("suspect = %q, want %q", suspect, tt.suspect)
			}
		})
	}
}

// goneErr is an upstream's 410.
type goneErr struct{}

func (goneErr) Error() string { return "http://example.com/feed: HTTP 410 Gone" }
func (goneErr) Gone() bool    { return true }

// testRunner is a runner over a memStore with a clock the test moves, and a
// fetcher the test swaps; calls counts fetches and prevs records what each saw.
type testRunner struct {
	*Runner
	store *memStore
	now   time.Time
	fetch func(prev FetchState) (FetchResult, error)
	prevs []FetchState
}

func newTestRunner(t *testing.T) *testRunner {
	tr := &testRunner{store: newMemStore(), now: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)}
	tr.Runner = NewRunner(RunnerOptions{
		Store: tr.store,
		Fetcher: fetchFunc(func(_ context.Context, _ Source, prev FetchState) (FetchResult, error) {
			tr.prevs = append(tr.prevs, prev)
			return tr.fetch(prev)
		}),
		Now: func() time.Time { return tr.now },
	})
	return tr
}

func (tr *testRunner) state() FetchState {
	st, _ := tr.store.FetchState(context.Background(), "s")
	return st
}

func TestRunnerGoneDisables(t *testing.T) {
	tr := newTestRunner(t)
	src := Source{ID: "s", URL: "http://example.com/feed"}
	tr.fetch = func(FetchState) (FetchResult, error) { return FetchResult{}, goneErr{} }
	rep := tr.Run(t.Context(), src)
	st := tr.state()
	if rep.Err == nil || rep.Disabled == "" || !strings.Contains(st.Disabled, "410 Gone") || st.Status(tr.now) != StateDisabled {
		t.Fatalf("after a 410: report %+v, state %+v; want the source disabled", rep, st)
	}
	// Scheduled runs leave it alone, even long after any backoff.
	tr.now = tr.now.Add(30 * 24 * time.Hour)
	if rep := tr.RunScheduled(t.Context(), src); rep.Outcome() != "disabled" || len(tr.prevs) != 1 {
		t.Errorf("scheduled run of a disabled source: outcome %q after %d fetches, want disabled after 1", rep.Outcome(), len(tr.prevs))
	}
	if got := tr.state().NextRun(tr.now); !got.IsZero() {
		t.Errorf("NextRun of a disabled source = %v, want never", got)
	}
	// A run by hand still tries; a success re-enables.
	tr.fetch = func(FetchState) (FetchResult, error) { return FetchResult{Items: []Item{{Key: "k", Title: "t"}}}, nil }
	if rep := tr.Run(t.Context(), src); rep.Err != nil || rep.Result.New != 1 {
		t.Fatalf("manual run: %+v", rep)
	}
	if st := tr.state(); st.Disabled != "" || st.Status(tr.now) != StateOK {
		t.Errorf("after a manual success: state %+v, want ok", st)
	}
}

func TestRunnerRemembersMoveUntilURLChanges(t *testing.T) {
	tr := newTestRunner(t)
	src := Source{ID: "s", URL: "http://example.com/old"}
	tr.fetch = func(FetchState) (FetchResult, error) {
		return FetchResult{Items: []Item{{Key: "k", Title: "t"}}, ETag: `"1"`, MovedTo: "http://example.com/new"}, nil
	}
	tr.Run(t.Context(), src)
	tr.fetch = func(FetchState) (FetchResult, error) { return FetchResult{NotModified: true}, nil }
	tr.Run(t.Context(), src)
	if got := tr.prevs[1]; got.URL != "http://example.com/new" || got.ETag != `"1"` {
		t.Errorf("second fetch saw URL %q, ETag %q; want the remembered redirect and validator", got.URL, got.ETag)
	}
	if st := tr.state(); st.URL != "http://example.com/new" || st.ConfigURL != src.URL {
		t.Errorf("state = %+v, want URL remembered under ConfigURL %q", st, src.URL)
	}

	// The operator points the source elsewhere: the old redirect, validators
	// and a disabled state belong to the old URL.
	st := tr.state()
	st.Disabled, st.Failures, st.NextTry = "HTTP 410 Gone", 3, tr.now.Add(time.Hour)
	tr.store.SaveFetchState(t.Context(), st)
	src.URL = "http://example.org/feed"
	rep := tr.RunScheduled(t.Context(), src)
	if rep.Err != nil || len(tr.prevs) != 3 {
		t.Fatalf("scheduled run after the URL changed: %+v after %d fetches, want a fetch", rep, len(tr.prevs))
	}
	if got := tr.prevs[2]; got.URL != "" || got.ETag != "" || got.Disabled != "" {
		t.Errorf("fetch after the URL changed saw %+v, want no redirect, validators or Disabled", got)
	}
	if st := tr.state(); st.ConfigURL != src.URL || st.URL != "" || st.Status(tr.now) != StateOK {
		t.Errorf("state = %+v, want ok under the new URL", st)
	}
}

func TestRunnerMinInterval(t *testing.T) {
	tr := newTestRunner(t)
	src := Source{ID: "s"}
	start := tr.now
	tr.fetch = func(FetchState) (FetchResult, error) {
		return FetchResult{NotModified: true, MinInterval: time.Hour}, nil
	}
	tr.Run(t.Context(), src)
	if st := tr.state(); !st.NextTry.Equal(start.Add(time.Hour)) || st.Status(tr.now) != StateOK {
		t.Errorf("after a success asking for 1h: NextTry = %v, status %q; want %v, ok", st.NextTry, st.Status(tr.now), start.Add(time.Hour))
	}
	tr.now = start.Add(59 * time.Minute)
	if rep := tr.RunScheduled(t.Context(), src); rep.Deferred.IsZero() || len(tr.prevs) != 1 {
		t.Errorf("scheduled run within the ttl: %+v, want deferred", rep)
	}
	tr.now = start.Add(61 * time.Minute)
	if rep := tr.RunScheduled(t.Context(), src); !rep.Deferred.IsZero() || len(tr.prevs) != 2 {
		t.Errorf("scheduled run after the ttl: %+v, want a fetch", rep)
	}
	// An upstream asking for a week gets a day.
	tr.fetch = func(FetchState) (FetchResult, error) {
		return FetchResult{NotModified: true, MinInterval: 7 * 24 * time.Hour}, nil
	}
	tr.Run(t.Context(), src)
	if got, want := tr.state().NextTry, tr.now.Add(MaxMinInterval); !got.Equal(want) {
		t.Errorf("NextTry = %v, want %v (capped)", got, want)
	}
}

func TestRunnerSuspectKeepsStoredItems(t *testing.T) {
	tr := newTestRunner(t)
	src := Source{ID: "s"}
	good := make([]Item, 6)
	for i := range good {
		good[i] = Item{Key: string(rune('a' + i)), Title: "标题" + string(rune('一'+i)), Content: "<p>正文</p>"}
	}
	tr.fetch = func(FetchState) (FetchResult, error) {
		return FetchResult{Items: good, ETag: `"good"`, BodyHash: "h1"}, nil
	}
	tr.Run(t.Context(), src)
	if st := tr.state(); st.LastCount != 6 || st.Status(tr.now) != StateOK {
		t.Fatalf("after a good fetch: %+v", st)
	}

	// The upstream empties its feed: suspect, nothing removed.
	tr.fetch = func(FetchState) (FetchResult, error) { return FetchResult{ETag: `"empty"`, BodyHash: "h2"}, nil }
	rep := tr.Run(t.Context(), src)
	st := tr.state()
	if rep.Err != nil || st.Status(tr.now) != StateSuspect || !strings.Contains(st.Suspect, "no items") {
		t.Errorf("after an empty fetch: report %+v, state %+v; want suspect", rep, st)
	}
	if st.ETag != `"good"` || st.BodyHash != "h1" || st.LastCount != 6 {
		t.Errorf("suspect fetch advanced validators or count: %+v", st)
	}
	if got := tr.store.count(); got != 6 {
		t.Errorf("stored items = %d, want 6", got)
	}

	// Mojibake of the same items: held back, the stored titles stay.
	bad := make([]Item, len(good))
	for i, it := range good {
		it.Title = "\uFFFD\uFFFD\uFFFD"
		bad[i] = it
	}
	tr.fetch = func(FetchState) (FetchResult, error) { return FetchResult{Items: bad}, nil }
	rep = tr.Run(t.Context(), src)
	if st := tr.state(); rep.Result.Changed() || st.Status(tr.now) != StateSuspect || !strings.Contains(st.Suspect, "U+FFFD") {
		t.Errorf("after a mojibake fetch: result %+v, state %+v; want suspect and nothing written", rep.Result, st)
	}
	for _, it := range tr.store.items {
		if strings.ContainsRune(it.Title, '\uFFFD') {
			t.Errorf("stored title %q: mojibake replaced a good title", it.Title)
		}
	}

	// A sound fetch clears it.
	tr.fetch = func(FetchState) (FetchResult, error) { return FetchResult{Items: good[:5]}, nil }
	tr.Run(t.Context(), src)
	if st := tr.state(); st.Status(tr.now) != StateOK || st.Suspect != "" || st.LastCount != 5 {
		t.Errorf("after a sound fetch: %+v, want ok with 5", st)
	}
}

func TestRunnerFailureNeverStores(t *testing.T) {
	tr := newTestRunner(t)
	tr.fetch = func(FetchState) (FetchResult, error) {
		// A fetcher breaking its contract: items with an error.
		return FetchResult{Items: []Item{{Key: "err", Title: "500 Internal Server Error"}}}, errors.New("500")
	}
	tr.Run(t.Context(), Source{ID: "s"})
	if n := tr.store.count(); n != 0 {
		t.Errorf("a failed fetch stored %d items", n)
	}
}

func TestFetchStateForURL(t *testing.T) {
	now := time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC)
	old := FetchState{SourceID: "s", ConfigURL: "http://a/", URL: "http://a/moved", ETag: `"1"`, LastTry: now,
		Failures: 1, NextTry: now.Add(time.Hour), Disabled: "HTTP 410 Gone", LastCount: 9}
	if got := old.ForURL("http://a/"); got != old {
		t.Errorf("same URL: ForURL = %+v, want the state unchanged", got)
	}
	legacy := old
	legacy.ConfigURL = ""
	if got := legacy.ForURL("http://b/"); got != legacy {
		t.Errorf("state from before ConfigURL: ForURL = %+v, want it unchanged", got)
	}
	got := old.ForURL("http://b/")
	if want := (FetchState{SourceID: "s", ConfigURL: "http://b/"}); got != want {
		t.Errorf("new URL: ForURL = %+v, want %+v", got, want)
	}
	if got.Status(now) != StateNever {
		t.Errorf("new URL: Status = %q, want %q", got.Status(now), StateNever)
	}
}
