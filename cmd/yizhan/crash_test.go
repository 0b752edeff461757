package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The crash tests run yizhan in a child process, the test binary itself
// re-executed as the program: TestHelperYizhan runs main's run with the
// arguments after "--" when YIZHAN_TEST_HELPER is set, so that the child
// can be killed like the real binary.
const helperEnv = "YIZHAN_TEST_HELPER"

func TestHelperYizhan(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("the yizhan child process of the crash tests")
	}
	args := os.Args
	for i, a := range args {
		if a == "--" {
			args = args[i+1:]
			break
		}
	}
	os.Exit(run(context.Background(), args, os.Stdout, os.Stderr, os.Getenv))
}

// child is a running yizhan child process.
type child struct {
	cmd  *exec.Cmd
	out  *logBuffer
	done chan error
}

func startChild(t *testing.T, args ...string) *child {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-test.run=^TestHelperYizhan$", "--"}, args...)...)
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	c := &child{cmd: cmd, out: &logBuffer{}, done: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = c.out, c.out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-c.done
		}
		if t.Failed() {
			t.Logf("yizhan %s output:\n%s", strings.Join(args, " "), c.out)
		}
	})
	return c
}

// wait waits up to d for the child to exit and returns its exit code, or -1
// if it was killed by a signal.
func (c *child) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case err := <-c.done:
		var ee *exec.ExitError
		if err != nil && !errors.As(err, &ee) {
			t.Fatal(err)
		}
		return c.cmd.ProcessState.ExitCode()
	case <-time.After(d):
		t.Fatalf("yizhan did not exit within %v", d)
		return 0
	}
}

// bulkFeed is an RSS feed of n recent items of source src, each with about
// 2 KB of content, like a portal's full-text feed.
func bulkFeed(src string, n int) []byte {
	var b bytes.Buffer
	now := time.Now()
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>` + src + `</title><link>http://example.com/</link><description>d</description>`)
	para := strings.Repeat("新华社北京电 国务院新闻办公室举行新闻发布会，介绍推动高质量发展的有关情况。", 8)
	for i := range n {
		fmt.Fprintf(&b, `<item><title>%s 第%d条</title><link>http://example.com/%s/%d.html</link><guid>%s-%d</guid>`+
			`<pubDate>%s</pubDate><description><![CDATA[<p>%s</p><p>%d</p><p>%s</p>]]></description></item>`,
			src, i, src, i, src, i, now.Add(-time.Duration(i)*time.Minute).Format(time.RFC1123Z), para, i, para)
	}
	b.WriteString(`</channel></rss>`)
	return b.Bytes()
}

// crashConfig is a config.toml whose sources are /bulk/N.xml (bulk of them)
// and /slow/N.xml (slow of them) on upstream up.
func crashConfig(t *testing.T, up, listen string, bulk, slow int) (path, db string) {
	t.Helper()
	dir := t.TempDir()
	db = filepath.Join(dir, "hub.db")
	var b strings.Builder
	fmt.Fprintf(&b, "[hub]\nlisten = %q\nbase_url = \"http://hub.example\"\ndatabase = %q\n\n[[channel]]\nid = \"all\"\ntitle = \"全部\"\n", listen, db)
	for i := range bulk {
		fmt.Fprintf(&b, "\n[[source]]\nid = \"bulk-%d\"\nurl = \"%s/bulk/%d.xml\"\nchannels = [\"all\"]\nschedule = \"@every 1h\"\n", i, up, i)
	}
	for i := range slow {
		fmt.Fprintf(&b, "\n[[source]]\nid = \"slow-%d\"\nurl = \"%s/slow/%d.xml\"\nchannels = [\"all\"]\nschedule = \"@every 1h\"\n", i, up, i)
	}
	path = filepath.Join(dir, "config.toml")
	writeFile(t, path, b.String())
	return path, db
}

// bulkUpstream serves bulk feeds of perSource items at /bulk/N.xml, and at
// /slow/N.xml a feed that starts and then stalls until the client leaves;
// inFlight counts the stalled requests.
func bulkUpstream(t *testing.T, bulk, perSource int) (srv *httptest.Server, inFlight *atomic.Int32) {
	t.Helper()
	feeds := make([][]byte, bulk)
	for i := range feeds {
		feeds[i] = bulkFeed(fmt.Sprint("bulk-", i), perSource)
	}
	inFlight = &atomic.Int32{}
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var n int
		switch {
		case sscan(r.URL.Path, "/bulk/%d.xml", &n) && n < len(feeds):
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			w.Write(feeds[n])
		case sscan(r.URL.Path, "/slow/%d.xml", &n):
			w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
			w.Write([]byte(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>slow</title>`))
			w.(http.Flusher).Flush()
			inFlight.Add(1)
			defer inFlight.Add(-1)
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Minute):
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv, inFlight
}

func sscan(s, format string, n *int) bool {
	_, err := fmt.Sscanf(s, format, n)
	return err == nil
}

// storedKeys reads "source/key" of every item through a read-only
// connection, as another process would while yizhan writes.
func storedKeys(t *testing.T, db string) map[string]bool {
	t.Helper()
	keys := make(map[string]bool)
	if _, err := os.Stat(db); err != nil {
		return keys // yizhan has not created it yet
	}
	ro, err := sql.Open("sqlite", "file:"+db+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	rows, err := ro.Query(`SELECT source_id || '/' || key FROM items`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return keys // the schema is not there yet
		}
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		keys[k] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return keys
}

// checkDatabase opens the database as the next yizhan would, recovering
// the WAL a crash left, and checks PRAGMA integrity_check, that the
// trigger-kept item counts agree with the rows, and that every source's
// items are all there or none (each SaveItems is one transaction). It
// returns the items by source.
func checkDatabase(t *testing.T, db string) map[string]int {
	t.Helper()
	conn, err := sql.Open("sqlite", db+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var integrity string
	if err := conn.QueryRow(`PRAGMA integrity_check`).Scan(&integrity); err != nil {
		t.Fatal(err)
	}
	if integrity != "ok" {
		t.Errorf("PRAGMA integrity_check = %q, want ok", integrity)
	}
	var mismatched int
	if err := conn.QueryRow(`SELECT count(*) FROM source_items AS s
		WHERE s.items != (SELECT count(*) FROM items WHERE source_id = s.source_id)`).Scan(&mismatched); err != nil {
		t.Fatal(err)
	}
	if mismatched > 0 {
		t.Errorf("%d sources have a stored item count that differs from their rows", mismatched)
	}
	bySource := make(map[string]int)
	rows, err := conn.Query(`SELECT source_id, count(*) FROM items GROUP BY source_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var src string
		var n int
		if err := rows.Scan(&src, &n); err != nil {
			t.Fatal(err)
		}
		bySource[src] = n
	}
	return bySource
}

// TestCrashDuringIngest kills `yizhan fetch` with SIGKILL in the middle of
// storing 9,600 items, twice, and finds after each kill an intact database
// holding every item committed before it; a third fetch completes the
// ingest.
func TestCrashDuringIngest(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: ingests 9,600 items three times")
	}
	t.Parallel()
	const bulk, perSource = 24, 400
	const total = bulk * perSource
	up, _ := bulkUpstream(t, bulk, perSource)
	cfg, db := crashConfig(t, up.URL, "127.0.0.1:0", bulk, 0)

	have := 0
	for round := 1; round <= 2; round++ {
		c := startChild(t, "fetch", "-config", cfg)
		began := time.Now()
		// Kill once a few more sources are in, the writer still busy.
		var before map[string]bool
		deadline := time.Now().Add(2 * time.Minute)
		for {
			before = storedKeys(t, db)
			if len(before) >= have+3*perSource {
				break
			}
			select {
			case err := <-c.done:
				t.Fatalf("round %d: fetch ended (%v) before the kill, with %d of %d items: make the ingest bigger", round, err, len(before), total)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("round %d: %d items after 2 minutes", round, len(before))
			}
			time.Sleep(2 * time.Millisecond)
		}
		wal, _ := os.Stat(db + "-wal")
		if err := c.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		if code := c.wait(t, 10*time.Second); code != -1 {
			t.Fatalf("round %d: fetch exited %d, want killed", round, code)
		}

		bySource := checkDatabase(t, db)
		after := storedKeys(t, db)
		missing := 0
		for k := range before {
			if !after[k] {
				missing++
			}
		}
		if missing > 0 {
			t.Errorf("round %d: %d of the %d items committed before SIGKILL are gone", round, missing, len(before))
		}
		for src, n := range bySource {
			if n != perSource {
				t.Errorf("round %d: %s has %d items, want all %d or none: a transaction was torn", round, src, n, perSource)
			}
		}
		walSize := int64(0)
		if wal != nil {
			walSize = wal.Size()
		}
		t.Logf("round %d: SIGKILL %v after start, %d items read as committed (WAL %d KB); after restart %d items, integrity ok, none lost",
			round, time.Since(began).Round(time.Millisecond), len(before), walSize>>10, len(after))
		have = len(after)
	}

	c := startChild(t, "fetch", "-config", cfg)
	began := time.Now()
	if code := c.wait(t, 3*time.Minute); code != 0 {
		t.Fatalf("fetch after two crashes = %d, want 0:\n%s", code, c.out)
	}
	bySource := checkDatabase(t, db)
	got := len(storedKeys(t, db))
	if got != total || len(bySource) != bulk {
		t.Errorf("after the last fetch: %d items of %d sources, want %d of %d", got, len(bySource), total, bulk)
	}
	t.Logf("third fetch: exit 0 in %v, %d items of %d sources, integrity ok", time.Since(began).Round(time.Millisecond), got, len(bySource))
}

// TestServeSIGTERMBound sends SIGTERM to `yizhan serve` while it stores
// bulk feeds, waits on stalled upstreams and holds a half-sent request, and
// measures how long it takes to stop: within shutdownTimeout, with every
// source's items all stored or none, and no fetch failure recorded for the
// shutdown.
func TestServeSIGTERMBound(t *testing.T) {
	if testing.Short() {
		t.Skip("slow: serves until the first fetches are in")
	}
	t.Parallel()
	const bulk, slow, perSource = 6, 3, 400
	up, inFlight := bulkUpstream(t, bulk, perSource)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	listen := l.Addr().String()
	l.Close()
	cfg, db := crashConfig(t, up.URL, listen, bulk, slow)

	c := startChild(t, "serve", "-config", cfg)
	// Never-fetched sources start at once, a quarter of StartDelay apart.
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(time.Minute)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor("a bulk source stored and two slow ones in flight", func() bool {
		return len(storedKeys(t, db)) >= perSource && inFlight.Load() >= 2
	})

	// A client that never finishes its request headers.
	slowloris, err := net.Dial("tcp", listen)
	if err != nil {
		t.Fatal(err)
	}
	defer slowloris.Close()
	if _, err := slowloris.Write([]byte("GET /feeds/all.rss HTTP/1.1\r\nHost: hub.example\r\nX-Slow: a")); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code := c.wait(t, shutdownTimeout+10*time.Second)
	took := time.Since(start)
	if code != 0 {
		t.Errorf("serve exited %d after SIGTERM, want 0", code)
	}
	if took > shutdownTimeout {
		t.Errorf("serve took %v to stop after SIGTERM, want at most %v", took, shutdownTimeout)
	}

	bySource := checkDatabase(t, db)
	for src, n := range bySource {
		if n != perSource {
			t.Errorf("%s has %d items after SIGTERM, want all %d or none", src, n, perSource)
		}
	}
	conn, err := sql.Open("sqlite", "file:"+db+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var failures int
	if err := conn.QueryRow(`SELECT count(*) FROM fetch_state WHERE failures > 0 OR last_error != ''`).Scan(&failures); err != nil {
		t.Fatal(err)
	}
	if failures > 0 {
		t.Errorf("%d sources have a failure recorded after SIGTERM, want none: stopping is not the upstream's fault", failures)
	}
	t.Logf("SIGTERM with %d slow fetches in flight and a half-sent request: stopped in %v (bound %v); %d bulk sources stored whole",
		slow, took.Round(time.Millisecond), shutdownTimeout, len(bySource))
}
