package main

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// upstream serves previewFeed at /politics.xml with an ETag (answering 304
// to it), and 404 elsewhere. It counts the feed requests.
func upstream(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/politics.xml" {
			http.NotFound(w, r)
			return
		}
		hits.Add(1)
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, previewFeed)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// hubConfig is a config.toml with a working source, a broken one and a
// disabled one, all on upstream up.
func hubConfig(up string) string {
	return fmt.Sprintf(`
[hub]
listen = "127.0.0.1:0"
base_url = "http://hub.example"

[[channel]]
id = "politics"
title = "时政"
keep_days = 0 # the fixtures date from 2020

[[source]]
id = "people-politics"
name = "人民网 · 时政"
url = "%[1]s/politics.xml"
channels = ["politics"]
attribution = "人民网"
schedule = "@every 15m"
stale_days = 0 # the fixtures date from 2020

[[source]]
id = "broken"
url = "%[1]s/absent.xml"
channels = ["politics"]

[[source]]
id = "off"
url = "%[1]s/politics.xml"
channels = ["politics"]
enabled = false
`, up)
}

func TestFetch(t *testing.T) {
	up, hits := upstream(t)
	cfg := writeConfig(t, hubConfig(up.URL))

	code, stdout, stderr := runCmd(t, nil, "fetch", "-config", cfg)
	if code != 1 {
		t.Errorf("fetch with a broken source = %d, want 1; stderr %s", code, stderr)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^people-politics  new 1  updated 0  unchanged 0  \(\d+(\.\d+)?m?s\)$`),
		regexp.MustCompile(`^broken           error: .*404`),
	}
	lines := strings.Split(strings.TrimSpace(stdout), "\n")
	if len(lines) != len(want) {
		t.Fatalf("fetch printed %d lines, want %d (the disabled source is skipped):\n%s", len(lines), len(want), stdout)
	}
	for i, re := range want {
		if !re.MatchString(lines[i]) {
			t.Errorf("line %d = %q, want it to match %s", i, lines[i], re)
		}
	}

	code, stdout, _ = runCmd(t, nil, "fetch", "people-politics", "-config", cfg)
	if code != 0 || !strings.HasPrefix(stdout, "people-politics  not modified  (") {
		t.Errorf("second fetch = %d, %q; want 0 and not modified", code, stdout)
	}

	// A named disabled source is fetched; it stores the same item again
	// under its own id.
	code, stdout, _ = runCmd(t, nil, "fetch", "-config", cfg, "off")
	if code != 0 || !strings.HasPrefix(stdout, "off  new 1  updated 0  unchanged 0") {
		t.Errorf("fetch off = %d, %q; want 0 and one new item", code, stdout)
	}
	if got := hits.Load(); got != 3 {
		t.Errorf("upstream saw %d feed requests, want 3", got)
	}

	code, _, stderr = runCmd(t, nil, "fetch", "-config", cfg, "people-politics", "nope")
	if code != 2 || !strings.Contains(stderr, `unknown source "nope"`) {
		t.Errorf("fetch nope = %d, stderr %q; want 2 and the unknown id", code, stderr)
	}
	if got := hits.Load(); got != 3 {
		t.Errorf("fetch with an unknown id fetched anyway (%d requests)", got)
	}
}

// TestSummary: a fetch line says what an operator must know of a run
// besides its counts — that it looks wrong, that parts of it failed, that
// it disabled the source — and does not leave it to a log line.
func TestSummary(t *testing.T) {
	tests := []struct {
		name string
		rep  hub.Report
		want string
	}{
		{"counts", hub.Report{Duration: 5 * time.Millisecond, Result: hub.SaveResult{New: 2, Unchanged: 1}},
			"new 2  updated 0  unchanged 1  (5ms)"},
		{"not modified", hub.Report{Duration: 2 * time.Millisecond, NotModified: true}, "not modified  (2ms)"},
		{"suspect", hub.Report{Duration: time.Millisecond, Suspect: "no items, where the last sound fetch had 7"},
			"new 0  updated 0  unchanged 0  (1ms)  suspect: no items, where the last sound fetch had 7"},
		{"skipped", hub.Report{Duration: 14 * time.Millisecond, Result: hub.SaveResult{New: 9}, Skipped: 1},
			"new 9  updated 0  unchanged 0  (14ms)  1 part skipped (logged)"},
		{"skipped many", hub.Report{Duration: 14 * time.Millisecond, Result: hub.SaveResult{New: 9}, Skipped: 3},
			"new 9  updated 0  unchanged 0  (14ms)  3 parts skipped (logged)"},
		{"error", hub.Report{SourceID: "s", Err: errors.New("fetch s: http://x.example/: HTTP 404 Not Found")},
			"error: http://x.example/: HTTP 404 Not Found"},
		{"disabled", hub.Report{SourceID: "s", Err: errors.New("fetch s: http://x.example/: HTTP 410 Gone"),
			Disabled: "HTTP 410 Gone: the upstream removed it"},
			"error: http://x.example/: HTTP 410 Gone (now disabled: not fetched on schedule until a fetch succeeds)"},
	}
	for _, tt := range tests {
		if got := summary(tt.rep); got != tt.want {
			t.Errorf("%s: summary = %q\nwant %q", tt.name, got, tt.want)
		}
	}
}

// TestOneLineDropsControls: upstream titles and errors reach the terminal
// through oneLine, so an escape sequence in them must not.
func TestOneLineDropsControls(t *testing.T) {
	for in, want := range map[string]string{
		"a\x1b]0;pwned\x07b": "a]0;pwnedb",
		"red \x1b[31mtitle":  "red [31mtitle",
		"c1\u009b31m csi":    "c131m csi",
		" 标题\t\n第二行 ":        "标题 第二行",
		"plain":              "plain",
	} {
		if got := oneLine(in, 0); got != want {
			t.Errorf("oneLine(%q) = %q, want %q", in, got, want)
		}
	}
	if got := oneLine("\x1b[1m一二三四", 3); got != "[1m…" {
		t.Errorf("oneLine cut = %q", got)
	}
}

// TestPickSources: fetch runs the enabled sources, or the named ones, in
// configuration order whatever order they are named in, each once.
func TestPickSources(t *testing.T) {
	cfg, err := parseConfig("config.toml", []byte(hubConfig("http://up.example")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ids  []string
		want string // ids picked, space-separated; or the error
	}{
		{nil, "people-politics broken"},
		{[]string{"off", "people-politics"}, "people-politics off"},
		{[]string{"broken", "broken"}, "broken"},
		{[]string{"nope", "broken", "gone"}, `unknown sources "nope", "gone" (yizhan sources lists them)`},
	}
	for _, tt := range tests {
		srcs, err := pickSources(cfg, tt.ids)
		var got []string
		for _, s := range srcs {
			got = append(got, s.ID)
		}
		if err != nil {
			got = []string{err.Error()}
		}
		if strings.Join(got, " ") != tt.want {
			t.Errorf("pickSources(%q) = %q, want %q", tt.ids, strings.Join(got, " "), tt.want)
		}
	}
}
