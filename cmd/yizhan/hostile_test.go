package main

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// rawGet sends a request line and headers, as written, on a new connection
// to addr and returns the response, its body and how long it took.
func rawGet(t *testing.T, addr, target, headers string) (*http.Response, string, time.Duration) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	start := time.Now()
	// The server may answer and close before it has read everything
	// (431): write beside reading, and ignore a failed write.
	go io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: hub.example\r\nConnection: close\r\n"+headers+"\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("GET %.80s: %v", target, err)
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp, string(body), time.Since(start)
}

// TestServeHostileRequests sends what scanners and broken clients send to a
// public server: traversal in every spelling, a megabyte of query string, a
// 64 KB path, oversized headers. Each is a 4xx within a second; nothing is
// a 5xx or reads a file.
func TestServeHostileRequests(t *testing.T) {
	t.Parallel()
	up, _ := upstream(t)
	ta := startApp(t, writeConfig(t, hubConfig(up.URL)))
	addr := strings.TrimPrefix(ta.base, "http://")
	for _, tt := range []struct {
		name, target, headers string
		want                  int
	}{
		{"traversal", "/feeds/../../etc/passwd", "", 400},
		{"encoded traversal", "/feeds/%2e%2e/x", "", 400},
		{"encoded traversal to passwd", "/%2e%2e/%2e%2e/etc/passwd", "", 400},
		{"up from a feed", "/feeds/politics.rss/../../", "", 400},
		{"absolute form traversal", "http://hub.example/feeds/../../etc/passwd", "", 400},
		{"encoded slashes", "/feeds/..%2f..%2fetc%2fpasswd", "", 404},
		{"backslashes", `/feeds/politics.rss\..\..\x`, "", 404},
		{"NUL", "/feeds/politics.rss%00.txt", "", 404},
		{"traversal in limit", "/feeds/politics.rss?limit=../../etc/passwd", "", 400},
		{"1 MB query string", "/feeds/politics.rss?q=" + strings.Repeat("a", 1<<20), "", 431},
		{"64 KB path", "/feeds/" + strings.Repeat("a", 64<<10) + ".rss", "", 431},
		{"16 KB path", "/feeds/" + strings.Repeat("a", 16<<10) + ".rss", "", 404},
		{"40 KB header", "/feeds/politics.rss", "X-Big: " + strings.Repeat("a", 40<<10) + "\r\n", 431},
		{"4,000 headers", "/feeds/politics.rss", strings.Repeat("X-Many: a\r\n", 4000), 431},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, body, took := rawGet(t, addr, tt.target, tt.headers)
			if resp.StatusCode != tt.want {
				t.Errorf("status %d, want %d: %.200s", resp.StatusCode, tt.want, body)
			}
			if strings.Contains(body, "root:") || strings.Contains(body, "goroutine ") {
				t.Errorf("body gives away a file or a stack: %.200s", body)
			}
			// 431 comes after net/http's 500 ms wait for the client to stop
			// sending, so that the client sees the answer and not a reset.
			if took > time.Second {
				t.Errorf("answered in %v, want under a second", took)
			}
		})
	}
	if code, _ := ta.get(t, "/healthz"); code != 200 {
		t.Errorf("GET /healthz after the hostile requests = %d, want 200", code)
	}
}

// TestServeSlowloris sends request headers one byte every 500 ms, forever.
// The header timeout cuts the connection off, and meanwhile other clients
// are served.
func TestServeSlowloris(t *testing.T) {
	t.Parallel()
	up, _ := upstream(t)
	ta := startApp(t, writeConfig(t, hubConfig(up.URL)))
	conn, err := net.Dial("tcp", strings.TrimPrefix(ta.base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	closed := make(chan time.Duration, 1)
	go func() {
		// The server sends nothing before it closes.
		io.Copy(io.Discard, conn)
		closed <- time.Since(start)
	}()
	header := "GET /feeds/politics.rss HTTP/1.1\r\nHost: hub.example\r\nX-Slow: " + strings.Repeat("a", 1000)
	var took time.Duration
	served := false
loop:
	for i := 0; ; i++ {
		if _, err := conn.Write([]byte{header[i%len(header)]}); err != nil {
			took = time.Since(start)
			break
		}
		if !served {
			if code, _ := ta.get(t, "/healthz"); code != 200 {
				t.Errorf("GET /healthz beside the slow client = %d, want 200", code)
			}
			served = true
		}
		select {
		case took = <-closed:
			break loop
		case <-time.After(500 * time.Millisecond):
		}
		if time.Since(start) > readHeaderTimeout+10*time.Second {
			t.Fatalf("a client sending a byte every 500 ms is still connected after %v", time.Since(start))
		}
	}
	if took < readHeaderTimeout-time.Second || took > readHeaderTimeout+3*time.Second {
		t.Errorf("slow client cut off after %v, want about readHeaderTimeout (%v)", took, readHeaderTimeout)
	}
	t.Logf("a byte every 500 ms: cut off after %v (readHeaderTimeout %v)", took.Round(time.Millisecond), readHeaderTimeout)
}

// TestServeConnectionLimit holds maxConnections connections open without a
// request: one more connection waits for a free slot, and is served as soon
// as one is closed, instead of the server taking file descriptors and
// goroutines without bound.
func TestServeConnectionLimit(t *testing.T) {
	t.Parallel()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil || lim.Cur < 2*maxConnections+200 {
		t.Skipf("needs %d open files (both ends of %d connections), have %d", 2*maxConnections+200, maxConnections, lim.Cur)
	}
	up, _ := upstream(t)
	ta := startApp(t, writeConfig(t, hubConfig(up.URL)))
	addr := strings.TrimPrefix(ta.base, "http://")
	idle := make([]net.Conn, 0, maxConnections)
	defer func() {
		for _, c := range idle {
			c.Close()
		}
	}()
	start := time.Now()
	for range maxConnections {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial %d: %v", len(idle), err)
		}
		idle = append(idle, c)
	}
	// Held connections are cut after readHeaderTimeout; the checks below
	// must be done well before.
	if time.Since(start) > readHeaderTimeout/3 {
		t.Skipf("opening %d connections took %v: too slow to test the limit", maxConnections, time.Since(start))
	}

	extra, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial beyond the limit: %v (the kernel should queue it)", err)
	}
	defer extra.Close()
	if _, err := io.WriteString(extra, "GET /healthz HTTP/1.1\r\nHost: hub.example\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(extra)
	extra.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatalf("a connection beyond %d was served at once: no limit", maxConnections)
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("a connection beyond the limit got %v, want it to wait", err)
	}

	idle[0].Close()
	freed := time.Now()
	extra.SetReadDeadline(time.Now().Add(3 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("after a slot was freed: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET /healthz after a slot was freed = %d, want 200", resp.StatusCode)
	}
	t.Logf("%d idle connections held: the next one waited, and was served %v after one closed",
		maxConnections, time.Since(freed).Round(time.Microsecond))
}

// TestServeTimeouts holds the server to limits that the tests above do not
// wait out: idle keep-alive connections, slow request bodies and slow
// readers of a response.
func TestServeTimeouts(t *testing.T) {
	up, _ := upstream(t)
	ta := startApp(t, writeConfig(t, hubConfig(up.URL)))
	s := ta.http
	for _, tt := range []struct {
		name      string
		got, want time.Duration
	}{
		{"ReadHeaderTimeout", s.ReadHeaderTimeout, readHeaderTimeout},
		{"ReadTimeout", s.ReadTimeout, readTimeout},
		{"WriteTimeout", s.WriteTimeout, writeTimeout},
		{"IdleTimeout", s.IdleTimeout, idleTimeout},
	} {
		if tt.got != tt.want || tt.got <= 0 || tt.got > 2*time.Minute {
			t.Errorf("%s = %v, want %v, positive and at most 2 minutes", tt.name, tt.got, tt.want)
		}
	}
	if s.MaxHeaderBytes != maxHeaderBytes || maxHeaderBytes > 64<<10 {
		t.Errorf("MaxHeaderBytes = %d, want %d, at most 64 KB", s.MaxHeaderBytes, maxHeaderBytes)
	}
}
