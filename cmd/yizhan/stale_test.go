package main

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// quietFeed is an upstream that answers but last published 200 days
// before now.
func quietFeed(t *testing.T, now time.Time) *httptest.Server {
	t.Helper()
	var items strings.Builder
	for _, days := range []int{200, 210, 220} {
		fmt.Fprintf(&items, `<item><title>旧闻 %d</title><link>http://example.com/%d.html</link><guid>%d</guid><pubDate>%s</pubDate></item>`,
			days, days, days, now.Add(-time.Duration(days)*24*time.Hour).Format(time.RFC1123Z))
	}
	feed := `<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>冻结</title><link>http://example.com/</link><description>d</description>` +
		items.String() + `</channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		fmt.Fprint(w, feed)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// staleConfig has three sources on one quiet upstream: one with the
// default stale_days (30), one that tolerates a year, one that never goes
// stale.
func staleConfig(up string) string {
	return fmt.Sprintf(`
[hub]
listen = "127.0.0.1:0"

[[channel]]
id = "local"

[[source]]
id = "quiet"
url = "%[1]s/feed.xml"
channels = ["local"]

[[source]]
id = "patient"
url = "%[1]s/feed.xml"
channels = ["local"]
stale_days = 365

[[source]]
id = "unchecked"
url = "%[1]s/feed.xml"
channels = ["local"]
stale_days = 0
`, up)
}

// TestStale: a feed whose newest item is 200 days old is stale in yizhan
// sources, /status and /metrics, under the default stale_days; stale_days
// 365 and 0 keep it ok.
func TestStale(t *testing.T) {
	now := time.Now()
	shanghai, err := time.LoadLocation("Asia/Shanghai") // the default hub.timezone
	if err != nil {
		t.Fatal(err)
	}
	path := writeConfig(t, staleConfig(quietFeed(t, now).URL))
	if code, _, stderr := runCmd(t, nil, "fetch", "-config", path); code != 0 {
		t.Fatalf("fetch = %d: %s", code, stderr)
	}
	_, stdout, _ := runCmd(t, nil, "sources", "-config", path)
	day := now.Add(-200 * 24 * time.Hour).In(shanghai).Format("2006-01-02")
	for _, re := range []string{
		`(?m)^quiet  +stale  .*  3  .*  stale: newest item ` + day + `, 200 days old$`,
		`(?m)^patient  +ok  .*  3  .*  -$`,
		`(?m)^unchecked  +ok  .*  3  .*  -$`,
	} {
		if !regexp.MustCompile(re).MatchString(stdout) {
			t.Errorf("sources output does not match %s:\n%s", re, stdout)
		}
	}

	ta := startApp(t, path)
	_, status := ta.get(t, "/status")
	for _, want := range []string{`<tr id="source-quiet">`, ">stale<", "stale: newest item " + day + ", 200 days old"} {
		if !strings.Contains(status, want) {
			t.Errorf("/status lacks %q:\n%s", want, status)
		}
	}
	_, metrics := ta.get(t, "/metrics")
	for _, want := range []string{
		`yizhan_source_state{source="quiet",state="stale"} 1`,
		`yizhan_source_state{source="quiet",state="ok"} 0`,
		`yizhan_source_state{source="patient",state="stale"} 0`,
		`yizhan_source_state{source="patient",state="ok"} 1`,
		`yizhan_source_state{source="unchecked",state="ok"} 1`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	// serve logs a stale source once a day.
	rows, err := ta.rows(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	fresh := slices.Clone(rows)
	for i := range fresh {
		fresh[i].State = hub.StateOK
	}
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	log := make(staleLog)
	for _, tt := range []struct {
		after time.Duration
		rows  []hub.SourceRow
		want  int // lines logged so far
	}{
		{0, rows, 1},
		{time.Hour, rows, 1},
		{23 * time.Hour, rows, 1},
		{24 * time.Hour, rows, 2},
		{25 * time.Hour, rows, 2},
		{26 * time.Hour, fresh, 2}, // it published: forgotten
		{27 * time.Hour, rows, 3},
	} {
		log.note(logger, tt.rows, now.Add(tt.after).In(shanghai))
		if n := strings.Count(logs.String(), `msg="source stale" source=quiet newest=`+day); n != tt.want {
			t.Errorf("after %v: %d lines logged, want %d:\n%s", tt.after, n, tt.want, &logs)
		}
	}
	if !strings.Contains(logs.String(), `msg="source stale" source=quiet newest=`+day+" days=200\n") ||
		strings.Contains(logs.String(), "source=patient") || strings.Contains(logs.String(), "source=unchecked") {
		t.Errorf("stale log:\n%s", &logs)
	}
}
