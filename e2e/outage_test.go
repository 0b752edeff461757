package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// cutProxy forwards TCP connections to a server until cut, which closes
// them all and refuses new ones until mend: a database that goes away and
// comes back, as the process that uses it sees it.
type cutProxy struct {
	l      net.Listener
	target string
	down   atomic.Bool
	mu     sync.Mutex
	conns  []net.Conn
}

func newCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{l: l, target: target}
	t.Cleanup(func() { l.Close(); p.cut() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if p.down.Load() {
				c.Close()
				continue
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
	return p
}

func (p *cutProxy) cut() {
	p.down.Store(true)
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *cutProxy) mend() { p.down.Store(false) }

// TestPostgresOutage: while PostgreSQL cannot be reached, /healthz answers
// 503 and the feeds are still served from memory, under the same ETag; when
// it is back, /healthz answers 200 and what is stored meanwhile is served,
// without a restart.
func TestPostgresOutage(t *testing.T) {
	u := postgresSchema(t, "outage")
	proxy := newCutProxy(t, u.Host)
	u.Host = proxy.l.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	t.Setenv("YIZHAN_DATABASE", u.String())

	var second atomic.Bool
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		body, _ := os.ReadFile("testdata/upstream/opinion.rss")
		if second.Load() {
			body = []byte(strings.Replace(string(body), "以高质量发展推进中国式现代化", "停电之后的新文章", 1))
		}
		w.Write(body)
	}))
	t.Cleanup(up.Close)
	dir := t.TempDir()
	listen := freePort(t)
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`[hub]
base_url = "http://%[1]s"
listen   = %[1]q

[[channel]]
id = "opinion"

[[source]]
id          = "people-opinion"
name        = "人民网 · 观点"
url         = %[2]q
channels    = ["opinion"]
schedule    = "@every 1h"
attribution = "人民日报"
`, listen, up.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "fetch", "-config", cfg); code != 0 {
		t.Fatalf("fetch = %d\n%s", code, out)
	}
	s := startServe(t, cfg, listen)
	status := func(path string) (int, string) {
		res, err := http.Get(s.base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer res.Body.Close()
		io.Copy(io.Discard, res.Body)
		return res.StatusCode, res.Header.Get("ETag")
	}
	_, etag := status("/feeds/opinion.json")

	proxy.cut()
	waitFor(t, "/healthz to answer 503 with the database gone", func() bool {
		code, _ := status("/healthz")
		return code == http.StatusServiceUnavailable
	})
	if code, e := status("/feeds/opinion.json"); code != 200 || e != etag {
		t.Errorf("feed during the outage = %d %s, want 200 from memory under %s", code, e, etag)
	}
	if out, code := run(t, "fetch", "-config", cfg); code == 0 {
		t.Errorf("fetch during the outage = 0, want a failure:\n%s", out)
	}

	proxy.mend()
	waitFor(t, "/healthz to answer 200 again", func() bool {
		code, _ := status("/healthz")
		return code == http.StatusOK
	})
	second.Store(true)
	if out, code := run(t, "fetch", "-config", cfg); code != 0 {
		t.Fatalf("fetch after the outage = %d\n%s", code, out)
	}
	waitFor(t, "serve to publish what was stored after the outage", func() bool {
		f := readJSONFeed(t, s.base+"/feeds/opinion.json")
		for _, it := range f.Items {
			if it.Title == "停电之后的新文章" {
				return true
			}
		}
		return false
	})
	s.stop(t)
}
