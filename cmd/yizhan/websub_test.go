package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/websub"
)

// TestServeWebSub: serve advertises its hub, takes a subscription, and
// pushes a channel's feed, signed, after another process (a `yizhan
// fetch` beside it) stored an item of the channel.
func TestServeWebSub(t *testing.T) {
	up, _ := upstream(t)
	path := writeConfig(t, hubConfig(up.URL)+"\n[websub]\nallow_private_callbacks = true\n")
	ta := startApp(t, path)
	eventually(t, "the first fetch to reach the feed", func() bool {
		code, body := ta.get(t, "/feeds/politics.rss")
		return code == 200 && strings.Contains(body, "国务院常务会议部署稳就业举措")
	})
	resp, err := http.Get(ta.base + "/feeds/politics.rss")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	const topic = "http://hub.example/feeds/politics.rss"
	if got := resp.Header.Values("Link"); len(got) != 2 || got[0] != `<http://hub.example/websub>; rel="hub"` || got[1] != "<"+topic+`>; rel="self"` {
		t.Errorf("Link = %q", got)
	}

	var mu sync.Mutex
	var verified bool
	var pushes []*http.Request
	var bodies []string
	sub := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		if r.Method == http.MethodGet {
			verified = r.URL.Query().Get("hub.topic") == topic
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
			return
		}
		b, _ := io.ReadAll(r.Body)
		pushes, bodies = append(pushes, r), append(bodies, string(b))
	}))
	defer sub.Close()
	form := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {topic}, "hub.callback": {sub.URL + "/cb"}, "hub.secret": {"秘密"}}
	resp, err = http.PostForm(ta.base+"/websub", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST /websub = %d, want 202", resp.StatusCode)
	}
	eventually(t, "the subscription to be verified and stored", func() bool {
		mu.Lock()
		v := verified
		mu.Unlock()
		subs, _ := ta.app.store.(hub.SubscriptionStore).Subscriptions(t.Context(), time.Now())
		return v && len(subs) == 1
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
	eventually(t, "the push of the other process's item", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(bodies) > 0 && strings.Contains(bodies[len(bodies)-1], "定时任务抓取的新条目")
	})
	mu.Lock()
	p, body := pushes[len(pushes)-1], bodies[len(bodies)-1]
	mu.Unlock()
	if got := p.Header.Get("X-Hub-Signature"); got != "sha256="+websub.Sign("秘密", []byte(body)) {
		t.Errorf("X-Hub-Signature = %q, want the body's HMAC", got)
	}
	if got := p.Header.Get("Content-Type"); got != "application/rss+xml; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if _, served := ta.get(t, "/feeds/politics.rss"); served != body {
		t.Error("the push is not the feed as served")
	}
	if _, metrics := ta.get(t, "/metrics"); !strings.Contains(metrics, `yizhan_websub_subscriptions{topic="`+topic+`"} 1`) ||
		!strings.Contains(metrics, `yizhan_websub_deliveries_total{result="delivered"}`) {
		t.Errorf("/metrics lacks the WebSub figures")
	}
}

func TestWebSubConfig(t *testing.T) {
	base := "[hub]\nbase_url = \"http://hub.example\"\n[[channel]]\nid = \"c\"\n[[source]]\nid = \"s\"\nurl = \"http://up.example/\"\nchannels = [\"c\"]\nwebsub = false\n"
	cfg, err := parseConfig("config.toml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	want := WebSubSettings{Enabled: true, Lease: 864000 * time.Second, MaxLease: 2592000 * time.Second}
	if cfg.WebSub != want || !cfg.NoWebSub["s"] {
		t.Errorf("defaults = %+v, NoWebSub %v; want %+v and s", cfg.WebSub, cfg.NoWebSub, want)
	}
	cfg, err = parseConfig("config.toml", []byte(base+"[websub]\nenabled = false\nlease_seconds = 3600\nmax_lease_seconds = 7200\nallow_private_callbacks = true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (WebSubSettings{Lease: time.Hour, MaxLease: 2 * time.Hour, AllowPrivate: true}); cfg.WebSub != want {
		t.Errorf("[websub] = %+v, want %+v", cfg.WebSub, want)
	}
	for _, bad := range []string{"lease_seconds = 10", "max_lease_seconds = 999999999", "lease_seconds = 7200\nmax_lease_seconds = 3600", "lease = 1"} {
		if _, err := parseConfig("config.toml", []byte(base+"[websub]\n"+bad+"\n")); err == nil || !strings.Contains(err.Error(), "websub.") {
			t.Errorf("[websub] %s: %v, want an error naming the key", bad, err)
		}
	}
}
