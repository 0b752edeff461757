package sources

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
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
)

func TestDiscoverHub(t *testing.T) {
	const feedURL = "http://up.example/feed.xml"
	for _, tc := range []struct {
		name string
		link []string
		body string
		want HubLinks
	}{
		{"link header", []string{`<https://hub.example/>; rel="hub", </feed.xml>; rel="self"`}, "<rss/>",
			HubLinks{"https://hub.example/", "http://up.example/feed.xml"}},
		{"link header over body", []string{`<https://a.example/hub>; rel=hub`}, `<rss><channel><atom:link xmlns:atom="http://www.w3.org/2005/Atom" rel="hub" href="https://b.example/"/></channel></rss>`,
			HubLinks{"https://a.example/hub", ""}},
		{"rss atom:link", nil, `<?xml version="1.0" encoding="GB2312"?><rss xmlns:atom="http://www.w3.org/2005/Atom"><channel><atom:link rel="self" href="http://up.example/self.xml"/><atom:link rel="hub" href="https://pubsubhubbub.appspot.com/"/><item><atom:link rel="hub" href="http://wrong.example/"/></item></channel></rss>`,
			HubLinks{"https://pubsubhubbub.appspot.com/", "http://up.example/self.xml"}},
		{"atom", nil, `<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="https://hub.example/"/><link rel="alternate" href="/"/><entry/></feed>`,
			HubLinks{"https://hub.example/", ""}},
		{"json feed", nil, `{"version":"https://jsonfeed.org/version/1.1","feed_url":"http://up.example/feed.json","hubs":[{"type":"rssCloud","url":"http://x/"},{"type":"WebSub","url":"https://hub.example/ws"}]}`,
			HubLinks{"https://hub.example/ws", "http://up.example/feed.json"}},
		{"none", nil, `<rss><channel><link>http://up.example/</link></channel></rss>`, HubLinks{}},
		{"not http", []string{`<javascript:alert(1)>; rel="hub"`}, "", HubLinks{}},
	} {
		h := http.Header{}
		for _, l := range tc.link {
			h.Add("Link", l)
		}
		if got := DiscoverHub(h, []byte(tc.body), feedURL); got != tc.want {
			t.Errorf("%s: DiscoverHub = %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestCheckSignature(t *testing.T) {
	body := []byte("<rss/>")
	mac := func(h func() []byte) string { return hex.EncodeToString(h()) }
	s256 := mac(func() []byte { m := hmac.New(sha256.New, []byte("k")); m.Write(body); return m.Sum(nil) })
	s1 := mac(func() []byte { m := hmac.New(sha1.New, []byte("k")); m.Write(body); return m.Sum(nil) })
	for _, tc := range []struct {
		header string
		ok     bool
	}{
		{"sha256=" + s256, true}, {"sha1=" + s1, true}, {"SHA256=" + s256, true},
		{"sha256=" + s1, false}, {"", false}, {"sha256=", false}, {"md5=" + s256, false}, {"sha256=zz", false},
	} {
		if got := CheckSignature("k", tc.header, body); got != tc.ok {
			t.Errorf("CheckSignature(%q) = %v, want %v", tc.header, got, tc.ok)
		}
	}
	if CheckSignature("other", "sha256="+s256, body) {
		t.Error("a signature under another secret checked")
	}
}

// upstreamHub is an httptest WebSub hub: it records subscription requests
// and verifies each with the callback at once, as a real hub would.
type upstreamHub struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	requests []url.Values
	answers  []string // the callback's answers to verifications: "200 <body>" or "404"
}

func newUpstreamHub(t *testing.T) *upstreamHub {
	h := &upstreamHub{t: t}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		form := r.PostForm
		h.mu.Lock()
		h.requests = append(h.requests, form)
		h.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		go h.verify(form)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *upstreamHub) verify(form url.Values) {
	q := url.Values{"hub.mode": {form.Get("hub.mode")}, "hub.topic": {form.Get("hub.topic")}, "hub.challenge": {"c-" + form.Get("hub.mode")}}
	if form.Get("hub.mode") == "subscribe" {
		q.Set("hub.lease_seconds", "86400")
	}
	h.answer(form.Get("hub.callback") + "?" + q.Encode())
}

func (h *upstreamHub) answer(u string) {
	resp, err := http.Get(u)
	a := "error"
	if err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		a = fmt.Sprintf("%d %s", resp.StatusCode, b)
	}
	h.mu.Lock()
	h.answers = append(h.answers, a)
	h.mu.Unlock()
}

func (h *upstreamHub) snapshot() ([]url.Values, []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]url.Values(nil), h.requests...), append([]string(nil), h.answers...)
}

func (h *upstreamHub) wait(what string, ok func(reqs []url.Values, answers []string) bool) ([]url.Values, []string) {
	h.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if r, a := h.snapshot(); ok(r, a) {
			return r, a
		}
	}
	r, a := h.snapshot()
	h.t.Fatalf("timed out waiting for %s: requests %v, answers %v", what, r, a)
	return nil, nil
}

// push POSTs body to callback signed with secret ("" sends no signature).
func push(t *testing.T, callback, secret, body string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, callback, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/rss+xml; charset=utf-8")
	if secret != "" {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(body))
		req.Header.Set("X-Hub-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

type ingested struct {
	source, body, ctype, feedURL string
}

// TestSubscriber: a feed source whose upstream advertises a hub is
// subscribed; only our subscription's verification is answered; signed
// pushes are ingested and forged or unsigned ones dropped; the lease is
// renewed before it ends; removing the source unsubscribes.
func TestSubscriber(t *testing.T) {
	h := newUpstreamHub(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Link", "<"+h.srv.URL+`>; rel="hub"`)
		w.Header().Set("Content-Type", "application/rss+xml")
		io.WriteString(w, `<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom"><channel><title>t</title><atom:link rel="self" href="http://up.example/feed.xml"/></channel></rss>`)
	}))
	defer up.Close()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "yizhan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	var got []ingested
	sub := NewSubscriber(SubscriberOptions{
		Store:  db,
		Now:    func() time.Time { mu.Lock(); defer mu.Unlock(); return now },
		Logger: slog.New(slog.DiscardHandler),
		Ingest: func(_ context.Context, src hub.Source, body []byte, ctype, feedURL string) error {
			mu.Lock()
			got = append(got, ingested{src.ID, string(body), ctype, feedURL})
			mu.Unlock()
			return nil
		},
	})
	cb := httptest.NewServer(sub)
	defer cb.Close()
	sub.opts.CallbackBase = cb.URL + "/websub/"
	srcs := []hub.Source{
		{ID: "blog", Kind: hub.KindFeed, URL: up.URL + "/feed.xml", Enabled: true},
		{ID: "optout", Kind: hub.KindFeed, URL: up.URL + "/feed.xml", Enabled: true},
		{ID: "off", Kind: hub.KindFeed, URL: up.URL + "/feed.xml", Enabled: false},
		{ID: "page", Kind: hub.KindHTML, URL: up.URL + "/", Enabled: true},
	}
	off := map[string]bool{"optout": true}
	// Nothing is known of a source's hub before a fetch of it.
	if err := sub.Sync(t.Context(), srcs, off); err != nil {
		t.Fatal(err)
	}
	if reqs, _ := h.snapshot(); len(reqs) != 0 {
		t.Fatalf("%d subscription requests before any fetch", len(reqs))
	}
	// The fetcher tells the subscriber what each fetch read.
	f := New(Options{OnFeed: sub.Observe})
	for _, src := range srcs[:2] {
		f.Fetch(t.Context(), src, hub.FetchState{})
	}
	select {
	case <-sub.wake:
	default:
		t.Error("a new hub did not wake the subscriber")
	}
	if err := sub.Sync(t.Context(), srcs, off); err != nil {
		t.Fatal(err)
	}
	reqs, answers := h.wait("the verification", func(r []url.Values, a []string) bool { return len(a) == 1 })
	if len(reqs) != 1 {
		t.Fatalf("%d subscription requests, want 1 (blog only): %v", len(reqs), reqs)
	}
	req := reqs[0]
	callback, secret := req.Get("hub.callback"), req.Get("hub.secret")
	if req.Get("hub.mode") != "subscribe" || req.Get("hub.topic") != "http://up.example/feed.xml" ||
		!strings.HasPrefix(callback, cb.URL+"/websub/blog/") || len(secret) < 32 {
		t.Errorf("subscription request = %v", req)
	}
	if answers[0] != "200 c-subscribe" {
		t.Errorf("verification answered %q, want the challenge", answers[0])
	}
	u, err := db.Upstream(t.Context(), "blog")
	if err != nil || u.State != hub.UpstreamActive || !u.Expires.Equal(now.Add(24*time.Hour)) {
		t.Errorf("upstream subscription = %+v, %v; want active for the lease", u, err)
	}

	// Verifications we did not ask for are refused.
	for _, bad := range []string{
		callback + "?hub.mode=subscribe&hub.topic=http://other.example/&hub.challenge=x&hub.lease_seconds=60",
		cb.URL + "/websub/blog/wrongtoken?hub.mode=subscribe&hub.topic=http://up.example/feed.xml&hub.challenge=x&hub.lease_seconds=60",
		cb.URL + "/websub/optout/x?hub.mode=subscribe&hub.topic=http://up.example/feed.xml&hub.challenge=x&hub.lease_seconds=60",
		callback + "?hub.mode=unsubscribe&hub.topic=http://up.example/feed.xml&hub.challenge=x",
	} {
		h.answer(bad)
	}
	_, answers = h.snapshot()
	for i, a := range answers[1:] {
		if !strings.HasPrefix(a, "404") {
			t.Errorf("unrequested verification %d answered %q, want 404", i, a)
		}
	}

	// Pushes: signed with our secret, ingested; forged or unsigned, dropped.
	const body = `<rss version="2.0"><channel><title>t</title><item><title>新</title><link>http://up.example/1</link></item></channel></rss>`
	if code := push(t, callback, secret, body); code != http.StatusAccepted {
		t.Errorf("signed push = %d, want 202", code)
	}
	push(t, callback, "forged", body)
	push(t, callback, "", body)
	push(t, cb.URL+"/websub/optout/x", secret, body)
	mu.Lock()
	if len(got) != 1 || got[0] != (ingested{"blog", body, "application/rss+xml; charset=utf-8", "http://up.example/feed.xml"}) {
		t.Errorf("ingested %+v, want the signed push only", got)
	}
	mu.Unlock()
	if rec, drop := sub.Counts(); rec != 1 || drop != 2 {
		t.Errorf("Counts = %d received, %d dropped; want 1, 2", rec, drop)
	}

	// Nothing to do while the lease runs; renewed before it ends, with the same callback.
	sub.Sync(t.Context(), srcs, off)
	if reqs, _ := h.snapshot(); len(reqs) != 1 {
		t.Errorf("%d requests after a Sync within the lease, want 1", len(reqs))
	}
	mu.Lock()
	now = now.Add(22 * time.Hour)
	mu.Unlock()
	sub.Sync(t.Context(), srcs, off)
	reqs, _ = h.wait("the renewal", func(r []url.Values, a []string) bool { return len(a) == 6 })
	if len(reqs) != 2 || reqs[1].Get("hub.mode") != "subscribe" || reqs[1].Get("hub.callback") != callback || reqs[1].Get("hub.secret") != secret {
		t.Errorf("renewal = %v, want a subscribe with the same callback and secret", reqs[1:])
	}
	if u, _ := db.Upstream(t.Context(), "blog"); !u.Expires.Equal(now.Add(24 * time.Hour)) {
		t.Errorf("lease after renewal ends %v, want %v", u.Expires, now.Add(24*time.Hour))
	}

	// Removing the source unsubscribes.
	sub.Sync(t.Context(), srcs[1:], off)
	reqs, answers = h.wait("the unsubscription", func(r []url.Values, a []string) bool { return len(a) == 7 })
	if reqs[2].Get("hub.mode") != "unsubscribe" || reqs[2].Get("hub.callback") != callback || answers[6] != "200 c-unsubscribe" {
		t.Errorf("unsubscription = %v answered %q", reqs[2], answers[6])
	}
	if _, err := db.Upstream(t.Context(), "blog"); err == nil {
		t.Error("the upstream subscription is still stored")
	}
	if code := push(t, callback, secret, body); code != http.StatusNotFound {
		t.Errorf("push after unsubscribing = %d, want 404", code)
	}
}

// TestReadPush: a pushed body is read as a fetch reads it, and leaves the
// state of polling as it was.
func TestReadPush(t *testing.T) {
	src := hub.Source{ID: "blog", Kind: hub.KindFeed, URL: "http://up.example/feed.xml", Attribution: "博客"}
	prev := hub.FetchState{ETag: `"e"`, LastModified: "x", BodyHash: "h", LastCount: 20}
	body := `<rss version="2.0"><channel><title>t</title><item><title>新条目</title><link>http://up.example/1</link><guid>1</guid></item></channel></rss>`
	res, err := ReadPush([]byte(body), "application/rss+xml", src.URL, src, prev)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || res.Items[0].Title != "新条目" || res.Items[0].Credit != "博客" {
		t.Errorf("items = %+v", res.Items)
	}
	if res.ETag != `"e"` || res.LastModified != "x" || res.BodyHash != "" || res.Listed != 20 {
		t.Errorf("ReadPush = ETag %s, Last-Modified %s, hash %q, listed %d; want polling's state kept", res.ETag, res.LastModified, res.BodyHash, res.Listed)
	}
	if _, err := ReadPush([]byte("not a feed"), "text/plain", src.URL, src, prev); err == nil {
		t.Error("a body that is no feed was read")
	}
}

// FuzzDiscoverHub: whatever an upstream sends, DiscoverHub returns empty
// strings or absolute http(s) URLs, and never panics.
func FuzzDiscoverHub(f *testing.F) {
	f.Add(`<https://hub.example/>; rel="hub", </self>; rel="self"`, []byte(`<rss/>`))
	f.Add(`<a>; rel="x, y" ; title="a,b", <b>; rel=hub`, []byte(`<feed xmlns="http://www.w3.org/2005/Atom"><link rel="hub" href="//h.example/"/></feed>`))
	f.Add("", []byte(`{"feed_url":"/f.json","hubs":[{"type":"WebSub","url":"https://h.example/"}]}`))
	f.Add("<", []byte("<<<>>>"))
	f.Fuzz(func(t *testing.T, link string, body []byte) {
		d := DiscoverHub(http.Header{"Link": {link}}, body, "http://up.example/feed.xml")
		for _, s := range []string{d.Hub, d.Self} {
			if s == "" {
				continue
			}
			u, err := url.Parse(s)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
				t.Fatalf("DiscoverHub gave %q", s)
			}
		}
	})
}
