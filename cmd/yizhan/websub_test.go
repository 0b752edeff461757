package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
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

// TestServeWebSubSubscriber: serve subscribes to the hub its upstream
// advertises, answers the verification, and serves a signed push's new
// item at once, without waiting for the next poll.
func TestServeWebSubSubscriber(t *testing.T) {
	var mu sync.Mutex
	var base string // the app's address, for the hub's requests to callbacks
	var form url.Values
	var verifiedAt time.Time
	hubSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		mu.Lock()
		form = r.PostForm
		cb := strings.Replace(form.Get("hub.callback"), "http://hub.example", base, 1)
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		go func() {
			q := url.Values{"hub.mode": {"subscribe"}, "hub.topic": {form.Get("hub.topic")}, "hub.challenge": {"xyz"}, "hub.lease_seconds": {"3600"}}
			resp, err := http.Get(cb + "?" + q.Encode())
			if err != nil {
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == "xyz" {
				mu.Lock()
				verifiedAt = time.Now()
				mu.Unlock()
			}
		}()
	}))
	defer hubSrv.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/politics.xml" {
			http.NotFound(w, r)
			return
		}
		w.Header().Add("Link", "<"+hubSrv.URL+`>; rel="hub"`)
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		io.WriteString(w, previewFeed)
	}))
	defer up.Close()
	path := writeConfig(t, hubConfig(up.URL))
	mu.Lock()
	ta := startApp(t, path)
	base = ta.base
	mu.Unlock()
	eventually(t, "the subscription to be verified", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return !verifiedAt.IsZero()
	})
	mu.Lock()
	callback := strings.Replace(form.Get("hub.callback"), "http://hub.example", base, 1)
	secret := form.Get("hub.secret")
	mu.Unlock()
	if !strings.Contains(callback, "/websub/people-politics/") || form.Get("hub.topic") != up.URL+"/politics.xml" {
		t.Errorf("subscription request = %v", form)
	}

	pushed := strings.Replace(previewFeed, "<item>", `<item>
  <title>推送来的新条目</title>
  <link>http://example.com/pushed.html</link>
  <guid>pushed</guid>
  <pubDate>Mon, 20 Apr 2020 10:10:00 +0800</pubDate>
  <description>推送</description>
</item>
<item>`, 1)
	send := func(secret string) int {
		req, _ := http.NewRequest(http.MethodPost, callback, strings.NewReader(pushed))
		req.Header.Set("Content-Type", "application/rss+xml; charset=utf-8")
		if secret != "" {
			req.Header.Set("X-Hub-Signature", "sha256="+websub.Sign(secret, []byte(pushed)))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	send("forged")
	if _, body := ta.get(t, "/feeds/politics.rss"); strings.Contains(body, "推送来的新条目") {
		t.Fatal("a forged push was stored")
	}
	start := time.Now()
	if code := send(secret); code != http.StatusAccepted {
		t.Errorf("push = %d, want 202", code)
	}
	eventually(t, "the pushed item to be served", func() bool {
		_, body := ta.get(t, "/feeds/politics.rss")
		return strings.Contains(body, "推送来的新条目") && strings.Contains(body, "人民网")
	})
	t.Logf("push to served: %v", time.Since(start))
}

// TestCopyDBWebSub: copydb copies WebSub subscriptions, with their
// secrets and leases, and upstream subscriptions.
func TestCopyDBWebSub(t *testing.T) {
	from := fillStore(t)
	db, err := sqlite.Open(t.Context(), from)
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	sub := hub.Subscription{Topic: "http://hub.example/feeds/politics.rss", Channel: "politics", Callback: "https://sub.example/cb",
		Host: "sub.example", Secret: "k", Lease: time.Hour, Created: exp.Add(-time.Hour), Expires: exp}
	if _, err := db.SaveSubscription(t.Context(), sub); err != nil {
		t.Fatal(err)
	}
	up := hub.UpstreamSubscription{SourceID: "blog", Hub: "https://hub.example/", Topic: "https://blog.example/feed",
		Callback: "http://hub.example/websub/blog/x", Secret: "s", State: hub.UpstreamActive, Requested: exp.Add(-time.Hour), Expires: exp}
	if err := db.SaveUpstream(t.Context(), up); err != nil {
		t.Fatal(err)
	}
	db.Close()
	to := filepath.Join(t.TempDir(), "to.db")
	code, stdout, stderr := runCmd(t, nil, "copydb", "-from", from, "-to", to)
	if code != 0 || !strings.Contains(stdout, "copied 1 WebSub subscriptions and 1 upstream subscriptions") {
		t.Fatalf("copydb = %d\nstdout: %s\nstderr: %s", code, stdout, stderr)
	}
	db, err = sqlite.Open(t.Context(), to)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	subs, err := db.Subscriptions(t.Context(), time.Now())
	if err != nil || len(subs) != 1 || subs[0].Secret != "k" || !subs[0].Expires.Equal(exp) || subs[0].Callback != sub.Callback {
		t.Errorf("copied subscriptions = %+v, %v", subs, err)
	}
	if got, err := db.Upstream(t.Context(), "blog"); err != nil || got.Secret != "s" || !got.Expires.Equal(exp) {
		t.Errorf("copied upstream = %+v, %v", got, err)
	}
}
