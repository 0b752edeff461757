package websub

import (
	"context"
	"crypto/sha256"
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

// clock is a settable time for leases and retries.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// topics is a fake of feeds.Handler.Render: the hub's feeds are
// http://hub.example/feeds/{channel}.{rss,json}, any query.
type topics struct {
	mu      sync.Mutex
	version map[string]int // per channel
}

func (tp *topics) Render(_ context.Context, topic string) (Content, error) {
	rest, ok := strings.CutPrefix(topic, "http://hub.example/feeds/")
	if !ok {
		return Content{}, fmt.Errorf("%w: %s", ErrNotTopic, topic)
	}
	file, _, _ := strings.Cut(rest, "?")
	channel, ext, _ := strings.Cut(file, ".")
	tp.mu.Lock()
	v, known := tp.version[channel]
	tp.mu.Unlock()
	if !known {
		return Content{}, fmt.Errorf("%w: %s", ErrNotTopic, topic)
	}
	body := fmt.Sprintf("<rss><channel><title>%s</title><item><title>第%d条</title></item></channel></rss>", channel, v)
	ctype := "application/rss+xml; charset=utf-8"
	if ext == "json" {
		body = fmt.Sprintf(`{"version":"https://jsonfeed.org/version/1.1","title":%q,"items":[{"id":"%d"}]}`, channel, v)
		ctype = "application/feed+json; charset=utf-8"
	}
	return Content{Body: []byte(body), Type: ctype, Channel: channel, Self: topic, Version: fmt.Sprint(v)}, nil
}

// change makes a channel's content new.
func (tp *topics) change(channel string) {
	tp.mu.Lock()
	tp.version[channel]++
	tp.mu.Unlock()
}

// push is one POST a subscriber received.
type push struct {
	header http.Header
	body   string
}

// subscriber is an httptest WebSub subscriber: it echoes challenges unless
// told to refuse, records what it is sent, and answers pushes with the
// statuses queued in codes (then 200).
type subscriber struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	gets     []url.Values
	pushes   []push
	codes    []int
	refuse   bool
	received chan struct{}
}

func newSubscriber(t *testing.T) *subscriber {
	s := &subscriber{t: t, received: make(chan struct{}, 100)}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *subscriber) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer func() {
		select {
		case s.received <- struct{}{}:
		default:
		}
	}()
	if r.Method == http.MethodGet {
		q := r.URL.Query()
		s.gets = append(s.gets, q)
		if s.refuse || q.Get("hub.mode") == ModeDenied {
			http.NotFound(w, r)
			return
		}
		io.WriteString(w, q.Get("hub.challenge"))
		return
	}
	body, _ := io.ReadAll(r.Body)
	s.pushes = append(s.pushes, push{header: r.Header.Clone(), body: string(body)})
	code := http.StatusOK
	if len(s.codes) > 0 {
		code, s.codes = s.codes[0], s.codes[1:]
	}
	w.WriteHeader(code)
}

func (s *subscriber) url(path string) string { return s.srv.URL + path }

func (s *subscriber) snapshot() ([]url.Values, []push) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.gets...), append([]push(nil), s.pushes...)
}

// wait waits until ok holds of what the subscriber received.
func (s *subscriber) wait(what string, ok func(gets []url.Values, pushes []push) bool) ([]url.Values, []push) {
	s.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		gets, pushes := s.snapshot()
		if ok(gets, pushes) {
			return gets, pushes
		}
		select {
		case <-s.received:
		case <-time.After(5 * time.Millisecond):
		case <-deadline:
			s.t.Fatalf("timed out waiting for %s; got %d GETs %v, %d pushes", what, len(gets), gets, len(pushes))
		}
	}
}

// fixture is a running Hub over an SQLite store.
type fixture struct {
	t      *testing.T
	hub    *Hub
	store  *sqlite.DB
	clock  *clock
	topics *topics
	srv    *httptest.Server
	stop   func()
}

func newFixture(t *testing.T, path string, opts Options) *fixture {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "yizhan.db")
	}
	db, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, store: db, clock: &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		topics: &topics{version: map[string]int{"theory": 1, "politics": 1, "latest": 1}}}
	if opts.Client == nil {
		// The subscribers of the tests are on loopback; TestPrivateCallbacks
		// brings the client that denies it.
		opts.AllowPrivate = true
	}
	opts.Store = db
	opts.Render = f.topics.Render
	opts.HubURL = "http://hub.example/websub"
	opts.Now = f.clock.Now
	if opts.Backoff == nil {
		opts.Backoff = func(int) time.Duration { return 0 }
	}
	opts.PollInterval = 5 * time.Millisecond
	opts.Coalesce = -1
	opts.Timeout = 2 * time.Second
	opts.Logger = slog.New(slog.DiscardHandler)
	f.hub = New(opts)
	f.srv = httptest.NewServer(f.hub)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.hub.Run(ctx); close(done) }()
	var once sync.Once
	f.stop = func() {
		once.Do(func() {
			cancel()
			<-done
			f.srv.Close()
			db.Close()
		})
	}
	t.Cleanup(f.stop)
	return f
}

// post sends a subscription request and returns the status and body.
func (f *fixture) post(form url.Values) (int, string) {
	f.t.Helper()
	resp, err := http.Post(f.srv.URL, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// idle waits until no verification is in flight.
func (f *fixture) idle() {
	f.t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if len(f.hub.verifying) == 0 {
			return
		}
	}
	f.t.Fatal("verifications still running")
}

func (f *fixture) subs() []hub.Subscription {
	f.t.Helper()
	subs, err := f.store.Subscriptions(f.t.Context(), f.clock.Now())
	if err != nil {
		f.t.Fatal(err)
	}
	return subs
}

func subscribe(topic, callback string, extra ...string) url.Values {
	v := url.Values{"hub.mode": {ModeSubscribe}, "hub.topic": {topic}, "hub.callback": {callback}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

const theory = "http://hub.example/feeds/theory.rss"

// TestDance is the whole of a subscription, as websub.rocks hub tests 100
// (typical request), 101 (with a secret), 102 (unknown parameters), 103
// (re-subscribing) and 104 (unsubscribing) run it: 202, verification of
// intent, pushes of the topic's content with Link headers and a signature
// that checks, a renewal, and an unsubscription after which nothing comes.
func TestDance(t *testing.T) {
	f := newFixture(t, "", Options{})
	sub := newSubscriber(t)
	plain := newSubscriber(t)

	code, body := f.post(subscribe(theory, sub.url("/cb?id=7"), "hub.secret", "s3cret", "hub.unknown", "ignored"))
	if code != http.StatusAccepted {
		t.Fatalf("subscribe = %d %s, want 202", code, body)
	}
	gets, _ := sub.wait("verification", func(g []url.Values, _ []push) bool { return len(g) == 1 })
	q := gets[0]
	if q.Get("hub.mode") != "subscribe" || q.Get("hub.topic") != theory || len(q.Get("hub.challenge")) < 16 ||
		q.Get("hub.lease_seconds") != "864000" || q.Get("id") != "7" {
		t.Errorf("verification query = %v, want mode, topic, a challenge, lease 864000 and the callback's own id=7", q)
	}
	f.idle()
	if code, _ := f.post(subscribe("http://hub.example/feeds/theory.json", plain.url("/"))); code != http.StatusAccepted {
		t.Fatalf("second subscribe = %d", code)
	}
	plain.wait("verification", func(g []url.Values, _ []push) bool { return len(g) == 1 })
	f.idle()
	subs := f.subs()
	if len(subs) != 2 || subs[0].Secret != "s3cret" || subs[0].Channel != "theory" || !subs[0].Expires.Equal(f.clock.Now().Add(DefaultLease)) {
		t.Fatalf("subscriptions = %+v", subs)
	}

	// A change of the topic reaches both, once, in its format.
	f.topics.change("theory")
	f.hub.Notify("theory")
	f.hub.Notify("theory")
	_, pushes := sub.wait("a push", func(_ []url.Values, p []push) bool { return len(p) == 1 })
	p := pushes[0]
	want, _ := f.topics.Render(t.Context(), theory)
	if p.body != string(want.Body) || p.header.Get("Content-Type") != "application/rss+xml; charset=utf-8" {
		t.Errorf("push = %s %q, want the topic's content", p.header.Get("Content-Type"), p.body)
	}
	links := p.header.Values("Link")
	if len(links) != 2 || links[0] != `<http://hub.example/websub>; rel="hub"` || links[1] != "<"+theory+`>; rel="self"` {
		t.Errorf("Link = %q", links)
	}
	if got := p.header.Get("X-Hub-Signature"); got != "sha256="+Sign("s3cret", []byte(p.body)) || !verifySignature("s3cret", got, []byte(p.body)) {
		t.Errorf("X-Hub-Signature = %q, want the HMAC-SHA256 of the body", got)
	}
	_, plainPushes := plain.wait("a push without secret", func(_ []url.Values, p []push) bool { return len(p) == 1 })
	if plainPushes[0].header.Get("X-Hub-Signature") != "" || plainPushes[0].header.Get("Content-Type") != "application/feed+json; charset=utf-8" {
		t.Errorf("push without a secret: signature %q, type %q", plainPushes[0].header.Get("X-Hub-Signature"), plainPushes[0].header.Get("Content-Type"))
	}
	// Another channel's change pushes nothing; the same content is not pushed twice.
	f.topics.change("politics")
	f.hub.Notify("politics", "theory")
	time.Sleep(50 * time.Millisecond)
	if _, pushes := sub.snapshot(); len(pushes) != 1 {
		t.Errorf("%d pushes after a change of another channel, want 1", len(pushes))
	}

	// 103: re-subscribing renews the lease, clamped to the maximum.
	f.clock.Add(24 * time.Hour)
	f.post(subscribe(theory, sub.url("/cb?id=7"), "hub.secret", "s3cret", "hub.lease_seconds", "99999999"))
	gets, _ = sub.wait("renewal", func(g []url.Values, _ []push) bool { return len(g) == 2 })
	if got := gets[1].Get("hub.lease_seconds"); got != "2592000" {
		t.Errorf("renewal lease_seconds = %s, want the maximum 2592000", got)
	}
	f.idle()
	if subs := f.subs(); len(subs) != 2 || subs[0].ID != 1 || !subs[0].Expires.Equal(f.clock.Now().Add(DefaultMaxLease)) {
		t.Errorf("after renewal: %+v", subs)
	}

	// 104: unsubscribing, verified, ends the pushes.
	if code, _ := f.post(url.Values{"hub.mode": {"unsubscribe"}, "hub.topic": {theory}, "hub.callback": {sub.url("/cb?id=7")}}); code != http.StatusAccepted {
		t.Fatalf("unsubscribe = %d", code)
	}
	gets, _ = sub.wait("unsubscribe verification", func(g []url.Values, _ []push) bool { return len(g) == 3 })
	if gets[2].Get("hub.mode") != "unsubscribe" || gets[2].Get("hub.challenge") == "" || gets[2].Has("hub.lease_seconds") {
		t.Errorf("unsubscribe verification = %v", gets[2])
	}
	f.idle()
	if subs := f.subs(); len(subs) != 1 {
		t.Errorf("after unsubscribe: %d subscriptions, want 1", len(subs))
	}
	f.topics.change("theory")
	f.hub.Notify("theory")
	plain.wait("the other subscriber's second push", func(_ []url.Values, p []push) bool { return len(p) == 2 })
	if _, pushes := sub.snapshot(); len(pushes) != 1 {
		t.Errorf("%d pushes after unsubscribing, want still 1", len(pushes))
	}
}

// verifySignature is what a subscriber does with X-Hub-Signature.
func verifySignature(secret, header string, body []byte) bool {
	alg, sig, ok := strings.Cut(header, "=")
	return ok && alg == "sha256" && sig == Sign(secret, body) && len(sig) == 2*sha256.Size
}

// TestRefusedVerification: a callback that does not echo the challenge is
// not subscribed.
func TestRefusedVerification(t *testing.T) {
	f := newFixture(t, "", Options{})
	sub := newSubscriber(t)
	sub.refuse = true
	f.post(subscribe(theory, sub.url("/")))
	sub.wait("verification", func(g []url.Values, _ []push) bool { return len(g) == 1 })
	f.idle()
	if subs := f.subs(); len(subs) != 0 {
		t.Errorf("subscriptions = %+v, want none", subs)
	}
}

// TestDeniedTopic: a topic that is not one of the hub's feeds is denied
// with hub.mode=denied and a reason, and nothing is stored.
func TestDeniedTopic(t *testing.T) {
	f := newFixture(t, "", Options{})
	sub := newSubscriber(t)
	for _, topic := range []string{"http://elsewhere.example/feed.xml", "http://hub.example/feeds/nosuch.rss"} {
		if code, _ := f.post(subscribe(topic, sub.url("/"))); code != http.StatusAccepted {
			t.Errorf("subscribe to %s = %d, want 202", topic, code)
		}
	}
	gets, _ := sub.wait("denials", func(g []url.Values, _ []push) bool { return len(g) == 2 })
	for _, q := range gets {
		if q.Get("hub.mode") != "denied" || q.Get("hub.reason") == "" || q.Has("hub.challenge") {
			t.Errorf("denial = %v, want hub.mode=denied with a reason", q)
		}
	}
	f.idle()
	if subs := f.subs(); len(subs) != 0 {
		t.Errorf("subscriptions = %+v, want none", subs)
	}
}

// TestLeaseExpiry: past its lease a subscription gets nothing and is removed.
func TestLeaseExpiry(t *testing.T) {
	f := newFixture(t, "", Options{})
	sub := newSubscriber(t)
	f.post(subscribe(theory, sub.url("/"), "hub.lease_seconds", "3600"))
	sub.wait("verification", func(g []url.Values, _ []push) bool { return len(g) == 1 })
	f.idle()
	if len(f.subs()) != 1 {
		t.Fatal("not subscribed")
	}
	f.clock.Add(time.Hour)
	f.topics.change("theory")
	f.hub.Notify("theory")
	time.Sleep(50 * time.Millisecond)
	if _, pushes := sub.snapshot(); len(pushes) != 0 {
		t.Errorf("%d pushes past the lease, want none", len(pushes))
	}
	// The hub removes it.
	waitUntil(t, "the expired subscription to be removed", func() bool {
		_, n, err := f.store.CountSubscriptions(t.Context(), "", f.clock.Now().Add(-2*time.Hour))
		return err == nil && n == 0
	})
}

// TestGone: a callback answering 410 ends its subscription.
func TestGone(t *testing.T) {
	f := newFixture(t, "", Options{})
	sub := newSubscriber(t)
	sub.codes = []int{http.StatusGone}
	f.post(subscribe(theory, sub.url("/")))
	sub.wait("verification", func(g []url.Values, _ []push) bool { return len(g) == 1 })
	f.idle()
	f.topics.change("theory")
	f.hub.Notify("theory")
	sub.wait("a push", func(_ []url.Values, p []push) bool { return len(p) == 1 })
	waitUntil(t, "the subscription to end", func() bool { return len(f.subs()) == 0 })
	f.topics.change("theory")
	f.hub.Notify("theory")
	time.Sleep(50 * time.Millisecond)
	if _, pushes := sub.snapshot(); len(pushes) != 1 {
		t.Errorf("%d pushes after 410, want 1", len(pushes))
	}
}

// TestRetry: a failing callback is tried again, with the backoff, until it
// takes the push; one failing past RetryFor is given up.
func TestRetry(t *testing.T) {
	var mu sync.Mutex
	var attempts []int
	f := newFixture(t, "", Options{RetryFor: time.Hour, Backoff: func(n int) time.Duration {
		mu.Lock()
		attempts = append(attempts, n)
		mu.Unlock()
		return time.Minute
	}})
	sub := newSubscriber(t)
	sub.codes = []int{500, 503, 200}
	f.post(subscribe(theory, sub.url("/")))
	sub.wait("verification", func(g []url.Values, _ []push) bool { return len(g) == 1 })
	f.idle()
	f.topics.change("theory")
	f.hub.Notify("theory")
	sub.wait("the first attempt", func(_ []url.Values, p []push) bool { return len(p) == 1 })
	time.Sleep(30 * time.Millisecond)
	if _, pushes := sub.snapshot(); len(pushes) != 1 {
		t.Fatalf("%d attempts before the backoff ended, want 1", len(pushes))
	}
	f.clock.Add(time.Minute)
	sub.wait("the second attempt", func(_ []url.Values, p []push) bool { return len(p) == 2 })
	waitUntil(t, "the second failure to be recorded", func() bool { _, r, _, _, _, _, _, _ := f.hub.Stats().Snapshot(); return r == 2 })
	f.clock.Add(time.Minute)
	_, pushes := sub.wait("the third attempt", func(_ []url.Values, p []push) bool { return len(p) == 3 })
	if pushes[0].body != pushes[2].body {
		t.Errorf("a retry sent other content")
	}
	waitUntil(t, "delivered", func() bool { d, _, _, _, _, _, _, _ := f.hub.Stats().Snapshot(); return d == 1 })
	mu.Lock()
	if fmt.Sprint(attempts) != "[1 2]" {
		t.Errorf("backoff asked for attempts %v, want [1 2]", attempts)
	}
	mu.Unlock()
	pending := func() int {
		st, err := f.store.WebSubStats(t.Context(), f.clock.Now())
		if err != nil {
			t.Fatal(err)
		}
		return st.Pending
	}
	waitUntil(t, "nothing pending after delivery", func() bool { return pending() == 0 })

	// Past RetryFor, a failing delivery is given up; the subscription stays.
	sub.mu.Lock()
	sub.codes = []int{500, 500, 500, 500}
	sub.mu.Unlock()
	f.topics.change("theory")
	f.hub.Notify("theory")
	sub.wait("a failing attempt", func(_ []url.Values, p []push) bool { return len(p) == 4 })
	waitUntil(t, "the failure to be recorded", func() bool { _, r, _, _, _, _, _, _ := f.hub.Stats().Snapshot(); return r == 3 })
	f.clock.Add(time.Hour)
	sub.wait("the last attempt", func(_ []url.Values, p []push) bool { return len(p) == 5 })
	waitUntil(t, "given up", func() bool { _, _, failed, _, _, _, _, _ := f.hub.Stats().Snapshot(); return failed == 1 })
	waitUntil(t, "nothing pending after giving up", func() bool { return pending() == 0 })
	if len(f.subs()) != 1 {
		t.Errorf("after giving up: %d subscriptions, want 1", len(f.subs()))
	}
}

// TestRestartKeepsSubscriptionsAndDeliveries: a delivery pending when the
// hub stops is sent by the next one, without another change.
func TestRestartKeepsSubscriptionsAndDeliveries(t *testing.T) {
	path := filepath.Join(t.TempDir(), "yizhan.db")
	f := newFixture(t, path, Options{Backoff: func(int) time.Duration { return time.Hour }})
	sub := newSubscriber(t)
	sub.codes = []int{500}
	f.post(subscribe(theory, sub.url("/"), "hub.secret", "k"))
	sub.wait("verification", func(g []url.Values, _ []push) bool { return len(g) == 1 })
	f.idle()
	f.topics.change("theory")
	f.hub.Notify("theory")
	sub.wait("the failed push", func(_ []url.Values, p []push) bool { return len(p) == 1 })
	waitUntil(t, "the retry to be recorded", func() bool { _, r, _, _, _, _, _, _ := f.hub.Stats().Snapshot(); return r == 1 })
	f.stop()

	g := newFixture(t, path, Options{})
	g.clock.Add(2 * time.Hour)
	if subs := g.subs(); len(subs) != 1 || subs[0].Secret != "k" {
		t.Fatalf("after restart: %+v", subs)
	}
	g.topics.change("theory")
	_, pushes := sub.wait("the retried push", func(_ []url.Values, p []push) bool { return len(p) == 2 })
	if !verifySignature("k", pushes[1].header.Get("X-Hub-Signature"), []byte(pushes[1].body)) {
		t.Error("the push after restart is not signed with the subscription's secret")
	}
}

// TestPrivateCallbacks: without allow_private_callbacks a loopback
// callback is refused at once when written as an address, and at the
// connection when a name resolves to it; nothing reaches it.
func TestPrivateCallbacks(t *testing.T) {
	f := newFixture(t, "", Options{AllowPrivate: false, Client: NewClient(2*time.Second, false)})
	sub := newSubscriber(t)
	code, body := f.post(subscribe(theory, sub.url("/")))
	if code != http.StatusBadRequest || !strings.Contains(body, "not public") {
		t.Errorf("loopback address callback = %d %q, want 400", code, body)
	}
	u, _ := url.Parse(sub.url("/"))
	byName := "http://localhost:" + u.Port() + "/"
	if code, _ := f.post(subscribe(theory, byName)); code != http.StatusAccepted {
		t.Errorf("callback by name = %d, want 202 (checked when dialled)", code)
	}
	f.idle()
	if gets, _ := sub.snapshot(); len(gets) != 0 || len(f.subs()) != 0 {
		t.Errorf("the private callback got %d requests and %d subscriptions were stored, want none", len(gets), len(f.subs()))
	}
	// The client itself refuses a denied address, whatever asks.
	resp, err := NewClient(time.Second, false).Get(sub.url("/"))
	if err == nil {
		resp.Body.Close()
		t.Error("the callback client reached a loopback address")
	}
}

func TestDenied(t *testing.T) {
	for _, tc := range []struct {
		addr   string
		denied bool
	}{
		{"127.0.0.1", true}, {"::1", true}, {"10.1.2.3", true}, {"172.16.0.1", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"fe80::1", true}, {"224.0.0.1", true}, {"ff02::1", true}, {"0.0.0.0", true},
		{"::", true}, {"100.64.0.1", true}, {"fd00::1", true}, {"::ffff:127.0.0.1", true}, {"255.255.255.255", true},
		{"64:ff9b::a00:1", true}, {"198.18.0.1", true},
		{"93.184.216.34", false}, {"2606:2800:220:1:248:1893:25c8:1946", false}, {"8.8.8.8", false},
	} {
		ip, err := netipParse(tc.addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := Denied(ip); got != tc.denied {
			t.Errorf("Denied(%s) = %v, want %v", tc.addr, got, tc.denied)
		}
	}
}

// TestCaps: a host with as many subscriptions as it may have gets 429, but
// may renew.
func TestCaps(t *testing.T) {
	f := newFixture(t, "", Options{MaxPerHost: 1, AllowPrivate: true})
	sub := newSubscriber(t)
	f.post(subscribe(theory, sub.url("/a")))
	sub.wait("verification", func(g []url.Values, _ []push) bool { return len(g) == 1 })
	f.idle()
	code, body := f.post(subscribe(theory, sub.url("/b")))
	if code != http.StatusTooManyRequests || !strings.Contains(body, "127.0.0.1") {
		t.Errorf("second subscription of the host = %d %q, want 429 naming the host", code, body)
	}
	if code, _ := f.post(subscribe(theory, sub.url("/a"))); code != http.StatusAccepted {
		t.Errorf("renewal at the cap = %d, want 202", code)
	}
}

// TestBadRequests: a malformed request is 400 with a plain-text reason.
func TestBadRequests(t *testing.T) {
	f := newFixture(t, "", Options{})
	ok := subscribe(theory, "http://sub.example/cb")
	with := func(k, v string) string {
		q := url.Values{}
		for key, vals := range ok {
			q[key] = vals
		}
		if v == "" {
			q.Del(k)
		} else {
			q.Set(k, v)
		}
		return q.Encode()
	}
	for _, tc := range []struct{ name, body, ctype, reason string }{
		{"no mode", with("hub.mode", ""), "", "hub.mode"},
		{"bad mode", with("hub.mode", "publish"), "", "hub.mode"},
		{"no topic", with("hub.topic", ""), "", "hub.topic is missing"},
		{"relative callback", with("hub.callback", "/cb"), "", "hub.callback must be an absolute"},
		{"ftp callback", with("hub.callback", "ftp://sub.example/"), "", "hub.callback"},
		{"lease", with("hub.lease_seconds", "soon"), "", "hub.lease_seconds"},
		{"zero lease", with("hub.lease_seconds", "0"), "", "hub.lease_seconds"},
		{"long secret", with("hub.secret", strings.Repeat("x", 200)), "", "hub.secret"},
		{"twice", ok.Encode() + "&hub.mode=subscribe", "", "more than once"},
		{"not a form", `{"hub.mode":"subscribe"}`, "application/json", "form-urlencoded"},
		{"too big", with("hub.junk", strings.Repeat("x", MaxFormBytes)), "", "larger than"},
		{"bad escape", "hub.mode=%zz", "", "not a valid form"},
	} {
		ctype := tc.ctype
		if ctype == "" {
			ctype = "application/x-www-form-urlencoded"
		}
		resp, err := http.Post(f.srv.URL, ctype, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), tc.reason) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
			t.Errorf("%s: %d %s %q, want 400 text/plain naming %q", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"), b, tc.reason)
		}
	}
	resp, err := http.Get(f.srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET /websub = %d, want 405", resp.StatusCode)
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(2 * time.Millisecond) {
		if ok() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
