package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
)

func TestSources(t *testing.T) {
	up, _ := upstream(t)
	cfg := writeConfig(t, hubConfig(up.URL))

	code, stdout, stderr := runCmd(t, nil, "sources", "-config", cfg)
	if code != 0 {
		t.Fatalf("sources = %d, stderr %s", code, stderr)
	}
	for _, want := range []string{
		"SOURCE           STATE          LAST TRY",
		"people-politics  never fetched  -",
		"off              disabled       -",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("sources output lacks %q:\n%s", want, stdout)
		}
	}

	runCmd(t, nil, "fetch", "-config", cfg)
	_, stdout, _ = runCmd(t, nil, "sources", "-config", cfg)
	lines := strings.Split(stdout, "\n")
	if len(lines) < 4 {
		t.Fatalf("sources printed:\n%s", stdout)
	}
	for _, tt := range []struct {
		line int
		re   string
	}{
		{1, `^people-politics  ok  +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  1  +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d  -$`},
		{2, `^broken  +backing off \(1×\)  \d{4}-\d\d-\d\d \d\d:\d\d:\d\d  -  +0  +\d{4}-.*404`},
		{3, `^off  +disabled  +-  +-  +0  +-  +-$`},
	} {
		if !regexp.MustCompile(tt.re).MatchString(lines[tt.line]) {
			t.Errorf("line %d = %q, want it to match %s", tt.line, lines[tt.line], tt.re)
		}
	}

	// A source removed from the configuration still shows, with its items.
	path := otherConfig(t, up.URL, filepath.Join(filepath.Dir(cfg), "yizhan.db"))
	_, stdout, _ = runCmd(t, nil, "sources", "-config", path)
	if !regexp.MustCompile(`(?m)^people-politics  +not configured  .*  1  +-  +-$`).MatchString(stdout) {
		t.Errorf("sources after removing people-politics:\n%s", stdout)
	}
}

// otherConfig writes hubConfig on upstream up with people-politics renamed
// people-politics-2, on the database db, and returns its path: a second
// configuration for a store that has a source it does not name.
func otherConfig(t *testing.T, up, db string) string {
	t.Helper()
	text := strings.Replace(hubConfig(up), `id = "people-politics"`, `id = "people-politics-2"`, 1)
	return writeConfig(t, strings.Replace(text, "[hub]", fmt.Sprintf("[hub]\ndatabase = %q", db), 1))
}

func TestStatusRows(t *testing.T) {
	cfg, err := parseConfig("config.toml", []byte(`
[[channel]]
id = "c"
[[source]]
id = "ok"
url = "http://example.com/"
channels = ["c"]
schedule = "0 8 * * *"
[[source]]
id = "failing"
url = "http://example.com/"
channels = ["c"]
[[source]]
id = "backing-off"
url = "http://example.com/"
channels = ["c"]
schedule = "0 8 * * *"
[[source]]
id = "suspect"
url = "http://example.com/"
channels = ["c"]
[[source]]
id = "gone"
url = "http://example.com/"
channels = ["c"]
[[source]]
id = "off"
url = "http://example.com/"
channels = ["c"]
enabled = false
[[source]]
id = "new"
url = "http://example.com/"
channels = ["c"]
[[source]]
id = "ttl"
url = "http://example.com/"
channels = ["c"]
[[source]]
id = "moved-on"
url = "http://example.org/"
channels = ["c"]
`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, cfg.Hub.Timezone)
	before := now.Add(-time.Hour)
	stats := []hub.SourceStat{
		{FetchState: hub.FetchState{SourceID: "removed", LastTry: before}, Items: 4},
		{FetchState: hub.FetchState{SourceID: "ok", LastTry: before, LastSuccess: before}, Items: 3},
		{FetchState: hub.FetchState{SourceID: "failing", LastTry: before, Failures: 2, LastError: "fetch failing: HTTP 500", NextTry: before}},
		{FetchState: hub.FetchState{SourceID: "backing-off", LastTry: before, Failures: 1, LastError: "timeout", NextTry: now.Add(48 * time.Hour)}},
		{FetchState: hub.FetchState{SourceID: "suspect", LastTry: before, LastSuccess: before, Suspect: "no items where there were 50"}},
		{FetchState: hub.FetchState{SourceID: "gone", LastTry: before, Failures: 1, LastError: "HTTP 410 Gone", Disabled: "HTTP 410 Gone"}},
		{FetchState: hub.FetchState{SourceID: "off", LastTry: before, LastSuccess: before}, Items: 9},
		{FetchState: hub.FetchState{SourceID: "ttl", LastTry: before, LastSuccess: before, NextTry: now.Add(2 * time.Hour)}},
		{FetchState: hub.FetchState{SourceID: "moved-on", ConfigURL: "http://example.com/", LastTry: before, Failures: 1,
			LastError: "HTTP 410 Gone", Disabled: "HTTP 410 Gone"}},
	}
	tomorrow8 := time.Date(2026, 11, 27, 8, 0, 0, 0, cfg.Hub.Timezone)
	want := []hub.SourceRow{
		{ID: "ok", State: "ok", LastTry: before, LastSuccess: before, Items: 3, NextRun: tomorrow8},
		{ID: "failing", State: "failing", Failures: 2, LastTry: before, LastError: "fetch failing: HTTP 500", NextRun: now.Add(30 * time.Minute)},
		{ID: "backing-off", State: "backing off", Failures: 1, LastTry: before, LastError: "timeout", NextRun: now.Add(48 * time.Hour)},
		{ID: "suspect", State: "suspect", LastTry: before, LastSuccess: before, Note: "suspect: no items where there were 50", NextRun: now.Add(30 * time.Minute)},
		{ID: "gone", State: "disabled", Failures: 1, LastTry: before, LastError: "HTTP 410 Gone", Note: "disabled: HTTP 410 Gone"},
		{ID: "off", State: "disabled", LastTry: before, LastSuccess: before, Items: 9},
		{ID: "new", State: "never fetched", NextRun: now.Add(30 * time.Minute)},
		// The upstream's ttl holds the schedule back.
		{ID: "ttl", State: "ok", LastTry: before, LastSuccess: before, NextRun: now.Add(2 * time.Hour)},
		// The 410 was the previous URL's.
		{ID: "moved-on", State: "never fetched", LastTry: before, LastError: "HTTP 410 Gone", NextRun: now.Add(30 * time.Minute)},
		{ID: "removed", State: "not configured", LastTry: before, Items: 4},
	}
	got := hub.SourceRows(cfg.Sources, stats, now, nil)
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.ID != w.ID || g.State != w.State || g.Failures != w.Failures || g.Items != w.Items ||
			g.Note != w.Note || g.LastError != w.LastError || !g.LastTry.Equal(w.LastTry) ||
			!g.LastSuccess.Equal(w.LastSuccess) || !g.NextRun.Equal(w.NextRun) {
			t.Errorf("row %d = %+v\nwant %+v", i, g, w)
		}
	}

	// A running scheduler's next run wins over the computed one.
	sched := now.Add(7 * time.Minute)
	got = hub.SourceRows(cfg.Sources, stats, now, func(string) time.Time { return sched })
	if !got[0].NextRun.Equal(sched) {
		t.Errorf("NextRun = %v, want the scheduler's %v", got[0].NextRun, sched)
	}
}

// TestPrintSourcesDisabled: a source the hub stopped fetching says why in
// LAST ERROR, as README.md shows ("disabled: HTTP 410 Gone"), rather than
// the bare error of its last try.
func TestPrintSourcesDisabled(t *testing.T) {
	cfg, err := parseConfig("config.toml", []byte("[[channel]]\nid = \"c\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, cfg.Hub.Timezone)
	var b strings.Builder
	printSources(&b, cfg, []hub.SourceRow{
		{ID: "gone", State: hub.StateDisabled, Failures: 1, LastTry: at,
			LastError: "fetch gone: http://example.com/feed.xml: HTTP 410 Gone",
			Note:      "disabled: HTTP 410 Gone: the upstream removed it"},
		{ID: "broken", State: hub.StateFailing, Failures: 2, LastTry: at, NextRun: at,
			LastError: "fetch broken: http://example.com/b.xml: HTTP 500 Internal Server Error"},
		{ID: "odd", State: hub.StateSuspect, LastTry: at, LastSuccess: at, NextRun: at,
			Note: "suspect: no items, where the last sound fetch had 7"},
	})
	lines := strings.Split(b.String(), "\n")
	for i, want := range []string{
		"disabled: HTTP 410 Gone: the upstream removed it",
		"http://example.com/b.xml: HTTP 500 Internal Server Error",
		"suspect: no items, where the last sound fetch had 7",
	} {
		if !strings.HasSuffix(lines[i+1], "  "+want) {
			t.Errorf("line %d = %q, want LAST ERROR %q", i+1, lines[i+1], want)
		}
	}
}

// TestSourcesChangesNothing: yizhan sources reports and does nothing else.
// It used to record the channels of the configuration it was given, so
// running it with another config.toml on a live database (one that lacks a
// source, say) took that source's items out of the feeds serve publishes;
// and on a fresh configuration it created the database.
func TestSourcesChangesNothing(t *testing.T) {
	up, _ := upstream(t)
	cfg := writeConfig(t, hubConfig(up.URL))
	db := filepath.Join(filepath.Dir(cfg), "yizhan.db")

	if code, _, stderr := runCmd(t, nil, "sources", "-config", cfg); code != 0 {
		t.Fatalf("sources = %d, stderr %s", code, stderr)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Errorf("sources created the database (stat: %v)", err)
	}

	runCmd(t, nil, "fetch", "-config", cfg, "people-politics")
	other := otherConfig(t, up.URL, db)
	code, stdout, stderr := runCmd(t, nil, "sources", "-config", other)
	if code != 0 || !strings.Contains(stdout, "people-politics    not configured") {
		t.Fatalf("sources with the other config = %d:\n%s%s", code, stdout, stderr)
	}

	store, err := sqlite.Open(t.Context(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	items, err := store.Items(t.Context(), hub.Query{Channel: "politics", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(items) != 1 {
		t.Errorf("channel politics publishes %d items after yizhan sources, want the 1 fetched", len(items))
	}
}
