package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// syncBuffer is a log a child process writes while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is a running `yizhan serve`.
type server struct {
	cmd  *exec.Cmd
	log  *syncBuffer
	base string
}

// startServe runs `yizhan serve -config cfg` and waits until it answers on
// listen. It is killed when the test ends, if still running.
func startServe(t *testing.T, cfg, listen string) *server {
	t.Helper()
	s := &server{cmd: exec.Command(yizhan(t), "serve", "-config", cfg), log: &syncBuffer{}, base: "http://" + listen}
	s.cmd.Stdout, s.cmd.Stderr = s.log, s.log
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if s.cmd.ProcessState == nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("serve log:\n%s", s.log)
		}
	})
	waitFor(t, "serve to answer /healthz", func() bool {
		res, err := http.Get(s.base + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	return s
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve exited with %v after SIGTERM", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of SIGTERM")
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// jsonFeed is the part of a JSON Feed the lifecycle test follows.
type jsonFeed struct {
	Title   string `json:"title"`
	FeedURL string `json:"feed_url"`
	Items   []struct {
		ID            string `json:"id"`
		Title         string `json:"title"`
		DatePublished string `json:"date_published"`
	} `json:"items"`
}

func readJSONFeed(t *testing.T, url string) jsonFeed {
	t.Helper()
	res := get(t, url, nil)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d, %v: %s", url, res.StatusCode, err, body)
	}
	var f jsonFeed
	if err := json.Unmarshal(body, &f); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
	return f
}

// ids maps each item's title to its id.
func (f jsonFeed) ids() map[string]string {
	m := make(map[string]string)
	for _, it := range f.Items {
		m[it.Title] = it.ID
	}
	return m
}

func lifecycleFeed(secondTitle string) string {
	return `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>时政</title><link>http://politics.people.com.cn/</link><description>d</description>
<item><title>全国秋粮收购进度过半</title><link>http://politics.people.com.cn/n1/2026/1126/c1001-1.html</link>
<guid isPermaLink="false">people-1001-1</guid><pubDate>Thu, 26 Nov 2026 08:30:00 +0800</pubDate>
<description>记者从国家粮食和物资储备局获悉，全国秋粮收购进度过半。</description></item>
<item><title>` + secondTitle + `</title><link>http://politics.people.com.cn/n1/2026/1126/c1001-2.html</link>
<pubDate>2026-11-26 09:15:00</pubDate><description>长江流域重点水域禁渔以来，水生生物资源逐步恢复。</description></item>
</channel></rss>`
}

// TestLifecycle follows one hub through what its operator does to it, with
// the real binary and the promises README.md makes about each step: an
// upstream item that changes is updated in place, under the same id, even
// when `yizhan fetch` stores it beside a running `serve`; a configuration
// saved with a mistake is refused and the running one keeps serving; SIGHUP
// applies a valid one, base_url and titles included, and item ids do not
// change with base_url; ids survive a restart.
func TestLifecycle(t *testing.T) {
	var feed atomic.Value
	feed.Store(lifecycleFeed("长江流域禁渔效果显现"))
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, feed.Load().(string))
	}))
	defer up.Close()

	dir := t.TempDir()
	listen := freePort(t)
	cfg := filepath.Join(dir, "config.toml")
	writeCfg := func(baseURL, title, schedule string) {
		t.Helper()
		text := fmt.Sprintf(`[hub]
base_url = %q
listen   = %q
database = "hub.db"

[[channel]]
id        = "politics"
title     = %q
keep_days = 0

[[source]]
id          = "people-politics"
name        = "人民网 · 时政"
url         = "%s/politics.xml"
channels    = ["politics"]
schedule    = %q
attribution = "人民网"
`, baseURL, listen, title, up.URL, schedule)
		if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeCfg("http://"+listen, "时政", "@every 1h")

	if out, code := run(t, "fetch", "-config", cfg); code != 0 || !strings.Contains(out, "new 2  updated 0  unchanged 0") {
		t.Fatalf("first fetch = %d:\n%s", code, out)
	}
	srv := startServe(t, cfg, listen)
	feedURL := srv.base + "/feeds/politics.json"
	first := readJSONFeed(t, feedURL)
	ids := first.ids()
	if len(ids) != 2 || ids["长江流域禁渔效果显现"] == "" {
		t.Fatalf("politics.json items = %+v, want the two upstream items", first.Items)
	}

	// The upstream corrects a headline; cron's `yizhan fetch` stores it
	// while serve runs. Same item, same id, no duplicate, served at once.
	feed.Store(lifecycleFeed("长江流域禁渔效果显著"))
	if out, code := run(t, "fetch", "-config", cfg); code != 0 || !strings.Contains(out, "new 0  updated 1  unchanged 1") {
		t.Fatalf("fetch after the upstream changed = %d:\n%s", code, out)
	}
	var now jsonFeed
	waitFor(t, "serve to show the corrected headline", func() bool {
		now = readJSONFeed(t, feedURL)
		return now.ids()["长江流域禁渔效果显著"] != ""
	})
	if len(now.Items) != 2 || now.ids()["长江流域禁渔效果显著"] != ids["长江流域禁渔效果显现"] {
		t.Errorf("after the update: %+v; want 2 items, the corrected one with id %s", now.Items, ids["长江流域禁渔效果显现"])
	}
	ids = now.ids()

	// A mistake saved into the file: refused, logged, the old one serves on.
	writeCfg("https://news.example.org/hub", "时政要闻", "@evry 1h")
	waitFor(t, "the refused reload to be logged", func() bool {
		return strings.Contains(srv.log.String(), "config reload refused")
	})
	if !strings.Contains(srv.log.String(), `source[0].schedule: parse schedule \"@evry 1h\"`) {
		t.Errorf("the log does not name the problem:\n%s", srv.log)
	}
	if f := readJSONFeed(t, feedURL); f.Title != "时政" || f.FeedURL != feedURL {
		t.Errorf("after a refused reload: title %q, feed_url %q; want the running configuration's", f.Title, f.FeedURL)
	}

	// Fixed, and SIGHUP: new base_url and title everywhere, ids unchanged.
	writeCfg("https://news.example.org/hub", "时政要闻", "@every 1h")
	if err := srv.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload to take effect", func() bool {
		return readJSONFeed(t, feedURL).Title == "时政要闻"
	})
	f := readJSONFeed(t, feedURL)
	if f.FeedURL != "https://news.example.org/hub/feeds/politics.json" {
		t.Errorf("feed_url = %q, want it built from the new base_url", f.FeedURL)
	}
	for title, id := range f.ids() {
		if ids[title] != id {
			t.Errorf("%s: id %s after the base_url changed, was %s", title, id, ids[title])
		}
	}

	// A restart keeps every id.
	srv.stop(t)
	srv = startServe(t, cfg, listen)
	f = readJSONFeed(t, feedURL)
	if len(f.Items) != 2 {
		t.Errorf("after a restart: %d items, want 2", len(f.Items))
	}
	for title, id := range f.ids() {
		if ids[title] != id {
			t.Errorf("%s: id %s after a restart, was %s", title, id, ids[title])
		}
	}
	srv.stop(t)
}
