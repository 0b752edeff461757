package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	_ "github.com/yizhan-hub/yizhan/websub" // see the imports of e2e_test.go
)

// TestWebSubPushAfterFetch: a WebSub subscriber of a channel feed of a
// running `yizhan serve` is pushed the feed, signed, after `yizhan fetch`
// stored a change beside it, as SPEC.md "WebSub" promises whichever
// process commits. It logs what the subscriber sees on the wire.
func TestWebSubPushAfterFetch(t *testing.T) {
	var feed atomic.Value
	feed.Store(lifecycleFeed("长江流域禁渔效果显现"))
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, feed.Load().(string))
	}))
	defer up.Close()

	type push struct {
		header http.Header
		body   string
	}
	var mu sync.Mutex
	var verified bool
	var pushes []push
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodGet {
			verified = r.URL.Query().Get("hub.mode") == "subscribe"
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		b, _ := io.ReadAll(r.Body)
		pushes = append(pushes, push{r.Header.Clone(), string(b)})
	}))
	defer sub.Close()

	dir := t.TempDir()
	listen := freePort(t)
	cfg := filepath.Join(dir, "config.toml")
	text := fmt.Sprintf(`[hub]
base_url = "http://%s"
listen   = %q
database = "hub.db"

[websub]
allow_private_callbacks = true # the subscriber is on loopback

[[channel]]
id        = "politics"
title     = "时政"
keep_days = 0

[[source]]
id          = "people-politics"
url         = "%s/politics.xml"
channels    = ["politics"]
schedule    = "@every 1h"
attribution = "人民网"
`, listen, listen, up.URL)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "fetch", "-config", cfg); code != 0 {
		t.Fatalf("first fetch = %d:\n%s", code, out)
	}
	srv := startServe(t, cfg, listen)
	topic := srv.base + "/feeds/politics.rss"
	res, err := http.PostForm(srv.base+"/websub", url.Values{
		"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {sub.URL + "/cb"}, "hub.secret": {"e2e-secret"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /websub = %d, want 202", res.StatusCode)
	}
	waitFor(t, "the verification of intent", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return verified
	})

	feed.Store(lifecycleFeed("长江流域禁渔效果显著"))
	if out, code := run(t, "fetch", "-config", cfg); code != 0 || !strings.Contains(out, "updated 1") {
		t.Fatalf("fetch beside serve = %d:\n%s", code, out)
	}
	var p push
	waitFor(t, "the push after the fetch", func() bool {
		mu.Lock()
		defer mu.Unlock()
		if len(pushes) == 0 {
			return false
		}
		p = pushes[len(pushes)-1]
		return strings.Contains(p.body, "长江流域禁渔效果显著")
	})
	m := hmac.New(sha256.New, []byte("e2e-secret"))
	m.Write([]byte(p.body))
	if got, want := p.header.Get("X-Hub-Signature"), "sha256="+hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("X-Hub-Signature = %q, want %q", got, want)
	}
	links := p.header.Values("Link")
	if len(links) != 2 || links[0] != "<"+srv.base+`/websub>; rel="hub"` || links[1] != "<"+topic+`>; rel="self"` {
		t.Errorf("Link = %q", links)
	}
	if ct := p.header.Get("Content-Type"); ct != "application/rss+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", ct)
	}
	var wire strings.Builder
	for _, k := range []string{"Content-Type", "Content-Length", "Link", "User-Agent", "X-Hub-Signature"} {
		for _, v := range p.header.Values(k) {
			fmt.Fprintf(&wire, "%s: %s\n", k, v)
		}
	}
	t.Logf("a push as the subscriber received it:\n%s\n%s", wire.String(), p.body[:min(len(p.body), 700)])
}
