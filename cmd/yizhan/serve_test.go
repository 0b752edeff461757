package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// logBuffer is a log destination safe for the app's goroutines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testApp is an app serving on a loopback port until the test ends.
type testApp struct {
	*app
	base string
	logs *logBuffer
	done chan error
}

func startApp(t *testing.T, configPath string) *testApp {
	t.Helper()
	cfg, err := loadConfig(configPath)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := newApp(ctx, cfg, logger)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	ta := &testApp{app: a, base: "http://" + ln.Addr().String(), logs: logs, done: make(chan error, 1)}
	go func() { ta.done <- a.serve(ctx, ln, nil) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-ta.done:
			if err != nil {
				t.Errorf("serve returned %v", err)
			}
		case <-time.After(shutdownTimeout + 5*time.Second):
			t.Error("serve did not return after cancel")
		}
		a.close()
		if t.Failed() {
			t.Logf("app log:\n%s", logs)
		}
	})
	return ta
}

// get returns the status and body of a GET on the app.
func (ta *testApp) get(t *testing.T, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(ta.base + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, string(body)
}

// eventually retries cond for up to 10 seconds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestServe(t *testing.T) {
	up, _ := upstream(t)
	ta := startApp(t, writeConfig(t, hubConfig(up.URL)))

	// Never-fetched sources run soon after start; the feed then carries the item.
	eventually(t, "the first fetch to reach the feed", func() bool {
		code, body := ta.get(t, "/feeds/politics.rss")
		return code == 200 && strings.Contains(body, "国务院常务会议部署稳就业举措")
	})
	for path, want := range map[string]string{
		"/healthz":             "",
		"/feeds/politics.atom": "<source>",
		"/feeds/politics.json": `"credit": "人民日报"`,
		"/feeds/latest.rss":    "国务院常务会议部署稳就业举措",
		"/opml":                "http://hub.example/feeds/politics.rss",
	} {
		code, body := ta.get(t, path)
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d, want 200 with %q:\n%.500s", path, code, want, body)
		}
	}
	if code, _ := ta.get(t, "/feeds/nope.rss"); code != 404 {
		t.Errorf("GET /feeds/nope.rss = %d, want 404", code)
	}

	eventually(t, "the broken source's first run", func() bool {
		_, body := ta.get(t, "/metrics")
		return strings.Contains(body, `yizhan_fetches_total{result="error",source="broken"} 1`)
	})
	_, metrics := ta.get(t, "/metrics")
	for _, want := range []string{
		`yizhan_fetches_total{result="new",source="people-politics"} 1`,
		`yizhan_items_saved_total{change="new",source="people-politics"} 1`,
		`yizhan_source_items{source="people-politics"} 1`,
		`yizhan_source_state{source="broken",state="backing_off"} 1`,
		`yizhan_source_state{source="off",state="disabled"} 1`,
		`yizhan_feed_requests_total{channel="politics",format="rss",status="200"}`,
		`yizhan_fetch_duration_seconds_count{source="people-politics"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}

func TestReload(t *testing.T) {
	up, _ := upstream(t)
	path := writeConfig(t, hubConfig(up.URL))
	ta := startApp(t, path)
	ctx := t.Context()

	added := hubConfig(up.URL) + `
[[channel]]
id = "world"
title = "国际"

[[source]]
id = "people-world"
url = "` + up.URL + `/politics.xml"
channels = ["world"]
`
	writeFile(t, path, added)
	if !ta.reload(ctx, "test") {
		t.Fatalf("reload of a valid config failed:\n%s", ta.logs)
	}
	eventually(t, "the added source to be fetched into the added channel", func() bool {
		code, body := ta.get(t, "/feeds/world.rss")
		return code == 200 && strings.Contains(body, "国务院常务会议部署稳就业举措")
	})
	if next := ta.sched.NextRun("people-world"); next.IsZero() {
		t.Error("the added source is not scheduled")
	}

	// An invalid file is refused with its problems logged; the old one serves on.
	writeFile(t, path, added+"\n[[source]]\nid = \"Bad\"\n")
	if ta.reload(ctx, "test") {
		t.Fatal("reload of an invalid config succeeded")
	}
	for _, want := range []string{`source[4].id: \"Bad\" is not a valid id`, "config reload refused"} {
		if !strings.Contains(ta.logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, ta.logs)
		}
	}
	if code, _ := ta.get(t, "/feeds/world.rss"); code != 200 {
		t.Errorf("after a refused reload /feeds/world.rss = %d, want 200", code)
	}

	// Removing a channel and its source takes effect.
	writeFile(t, path, hubConfig(up.URL))
	if !ta.reload(ctx, "test") {
		t.Fatalf("reload failed:\n%s", ta.logs)
	}
	if code, _ := ta.get(t, "/feeds/world.rss"); code != 404 {
		t.Errorf("after removing the channel /feeds/world.rss = %d, want 404", code)
	}
	if next := ta.sched.NextRun("people-world"); !next.IsZero() {
		t.Errorf("removed source still scheduled at %v", next)
	}
}

func TestWatch(t *testing.T) {
	up, _ := upstream(t)
	path := writeConfig(t, hubConfig(up.URL))
	ta := startApp(t, path)
	ctx, cancel := context.WithCancel(t.Context())
	hup := make(chan os.Signal, 1)
	stopped := make(chan struct{})
	go func() { ta.watch(ctx, hup, 20*time.Millisecond); close(stopped) }()
	defer func() { cancel(); <-stopped }()

	// A touch without a change reloads nothing.
	now := time.Now().Add(time.Second)
	if err := os.Chtimes(path, now, now); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if strings.Contains(ta.logs.String(), "config reloaded") {
		t.Errorf("a touch reloaded the config:\n%s", ta.logs)
	}

	writeFile(t, path, strings.Replace(hubConfig(up.URL), `title = "时政"`, `title = "时政新闻"`, 1))
	eventually(t, "the changed file to be reloaded", func() bool {
		_, body := ta.get(t, "/opml")
		return strings.Contains(body, "时政新闻")
	})
	if !strings.Contains(ta.logs.String(), `trigger="file changed"`) {
		t.Errorf("log lacks the file-change reload:\n%s", ta.logs)
	}
	// A reload caused by the touch, however late after the sleep above it
	// came, shows here as a second one.
	if n := strings.Count(ta.logs.String(), "config reloaded"); n != 1 {
		t.Errorf("%d reloads after a touch and one change, want 1:\n%s", n, ta.logs)
	}

	hup <- os.Interrupt // any signal value: the channel is the trigger
	eventually(t, "the SIGHUP reload", func() bool {
		return strings.Contains(ta.logs.String(), "trigger=SIGHUP")
	})
}

// startServe runs the serve command on the config at path until cancel,
// once it logs that it serves; done gets its exit code, errb its log.
func startServe(t *testing.T, path string) (errb *logBuffer, cancel context.CancelFunc, done chan int) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	var out logBuffer
	errb = &logBuffer{}
	done = make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"serve", "-config", path}, &out, errb, func(string) string { return "" })
	}()
	eventually(t, "serve to log that it serves", func() bool { return strings.Contains(errb.String(), "msg=serving") })
	return errb, cancel, done
}

func TestServeCommand(t *testing.T) {
	up, _ := upstream(t)
	path := writeConfig(t, hubConfig(up.URL))
	errb, cancel, done := startServe(t, path)
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve = %d after cancel, want 0:\n%s", code, errb.String())
		}
	case <-time.After(shutdownTimeout + 5*time.Second):
		t.Fatal("serve did not stop")
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	writeFile(t, path, strings.Replace(hubConfig(up.URL), `listen = "127.0.0.1:0"`, `listen = "`+busy.Addr().String()+`"`, 1))
	code, _, stderr := runCmd(t, nil, "serve", "-config", path)
	if code != 1 || !strings.Contains(stderr, "address already in use") {
		t.Errorf("serve on a busy port = %d, %q; want 1 and the error", code, stderr)
	}
}

// TestServeWarnsOfFastSchedules: serve logs the warnings check prints, at
// start and on every reload, and starts all the same.
func TestServeWarnsOfFastSchedules(t *testing.T) {
	up, _ := upstream(t)
	fast := strings.Replace(hubConfig(up.URL), `schedule = "@every 15m"`, `schedule = "@every 1s"`, 1)
	path := writeConfig(t, fast)
	want := path + `:17: source[0].schedule: warning: \"@every 1s\" runs source people-politics every 1s`

	errb, cancel, done := startServe(t, path)
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve = %d, want 0", code)
	}
	if log := errb.String(); !strings.Contains(log, `level=WARN msg="config warning"`) || !strings.Contains(log, want) {
		t.Errorf("serve's log at start lacks the warning %s:\n%s", want, log)
	}

	writeFile(t, path, hubConfig(up.URL))
	ta := startApp(t, path)
	if !ta.reload(t.Context(), "test") || strings.Contains(ta.logs.String(), "config warning") {
		t.Fatalf("reload of a config without warnings:\n%s", ta.logs)
	}
	writeFile(t, path, fast)
	if !ta.reload(t.Context(), "test") {
		t.Fatalf("reload of a valid config with a warning failed:\n%s", ta.logs)
	}
	if !strings.Contains(ta.logs.String(), want) {
		t.Errorf("log after the reload lacks the warning %s:\n%s", want, ta.logs)
	}
}

// TestServeRetention: both items of the upstream are years old, far beyond
// keep_days. Retention never empties the source: the newest feed_size items
// stay, and only items beyond them go.
func TestServeRetention(t *testing.T) {
	feed := strings.Replace(previewFeed, "</channel>", `<item>
  <title>旧闻一则</title>
  <link>http://example.com/old.html</link>
  <guid>old</guid>
  <pubDate>Mon, 20 Apr 2020 08:00:00 +0800</pubDate>
</item>
</channel>`, 1)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, feed)
	}))
	defer up.Close()
	for _, tt := range []struct {
		name    string
		hub     string
		removed int
		stored  int
	}{
		{"default feed_size keeps both", "", 0, 2},
		{"feed_size 1 keeps the newest", "[hub]\nfeed_size = 1\n", 1, 1},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := writeConfig(t, tt.hub+`
[[channel]]
id = "politics"
keep_days = 30

[[source]]
id = "people-politics"
url = "`+up.URL+`/politics.xml"
channels = ["politics"]
`)
			ta := startApp(t, path)
			eventually(t, "the first fetch", func() bool {
				got, err := ta.store.Items(t.Context(), hub.Query{Channel: "politics", Limit: 10})
				return err == nil && len(got) == 2
			})
			res, err := ta.pruner.Prune(t.Context())
			if err != nil || res.Removed != tt.removed {
				t.Fatalf("Prune = %+v, %v; want %d removed", res, err, tt.removed)
			}
			if got, err := ta.store.Items(t.Context(), hub.Query{Channel: "politics", Limit: 10}); err != nil || len(got) != tt.stored {
				t.Errorf("after retention %d items stored (%v), want %d", len(got), err, tt.stored)
			}
			_, body := ta.get(t, "/feeds/politics.rss")
			if strings.Contains(body, "旧闻一则") != (tt.stored == 2) || !strings.Contains(body, "国务院常务会议部署稳就业举措") {
				t.Errorf("after retention the feed is:\n%s", body)
			}
			_, metrics := ta.get(t, "/metrics")
			if want := fmt.Sprintf(`yizhan_items_pruned_total{source="people-politics"} %d`, tt.removed); tt.removed > 0 && !strings.Contains(metrics, want) {
				t.Errorf("/metrics lacks %s", want)
			}
		})
	}
}

// TestServeSeesOtherWriters: an item stored by another process on the same
// database, as `yizhan fetch` from cron does, reaches the served feed
// without a restart.
func TestServeSeesOtherWriters(t *testing.T) {
	up, _ := upstream(t)
	path := writeConfig(t, hubConfig(up.URL))
	ta := startApp(t, path)
	eventually(t, "the first fetch to reach the feed", func() bool {
		code, body := ta.get(t, "/feeds/politics.rss")
		return code == 200 && strings.Contains(body, "国务院常务会议部署稳就业举措")
	})

	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	other, err := openStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	item := hub.Item{Key: "cron-1", URL: "http://www.people.com.cn/n1/cron-1.html", Title: "定时任务抓取的新条目",
		Published: time.Now().Add(time.Hour)}
	if _, err := other.SaveItems(t.Context(), "people-politics", []hub.Item{item}, time.Now()); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the other process's item to reach the feed", func() bool {
		_, body := ta.get(t, "/feeds/politics.rss")
		return strings.Contains(body, "定时任务抓取的新条目")
	})
}
