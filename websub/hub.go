// Package websub is yizhan's W3C WebSub hub for its own feeds (SPEC.md
// "WebSub"): it takes subscription requests at POST /websub, verifies the
// subscriber's intent asynchronously, keeps subscriptions and pending
// deliveries in the store (hub.SubscriptionStore), and after every change
// of a topic pushes its content to each subscriber, signed when a secret
// was given, retrying with backoff.
//
// websub imports hub only. It does not render feeds: Options.Render, which
// cmd wires to feeds.Handler.Render, gives a topic's content. Imports stay
// pointing inward (websub → hub, feeds → hub, cmd → all), so feeds and
// websub never import each other.
package websub

import (
	"bytes"
	"context"
	"crypto/hmac"
	crand "crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// Defaults of Options left zero.
const (
	DefaultLease         = 864000 * time.Second  // 10 days
	DefaultMaxLease      = 2592000 * time.Second // 30 days
	DefaultMaxPerHost    = 1000
	DefaultMaxTotal      = 100000
	DefaultWorkers       = 64
	DefaultTimeout       = 10 * time.Second
	DefaultRetryFor      = 2 * time.Hour
	DefaultPollInterval  = 5 * time.Second
	DefaultCoalesce      = time.Second
	DefaultMaxVerifying  = 1000
	minLease             = time.Minute
	maxResponseBytes     = 64 << 10 // what is read of a callback's answer
	claimBatch           = 256
	expireEvery          = 10 * time.Minute
	verificationParallel = 16
)

// ErrNotTopic is what Options.Render returns for a URL that is not one of
// the hub's feeds.
var ErrNotTopic = errors.New("websub: not a topic of this hub")

// Content is a topic's content as a subscriber receives it.
type Content struct {
	Body    []byte // shared: never modified
	Type    string // Content-Type
	Channel string // the channel whose changes concern it; "latest" for the ticker; "" for any
	Self    string // the topic's canonical URL
	Version string // changes whenever Body does (the ETag)
}

// Options configure a Hub.
type Options struct {
	Store hub.SubscriptionStore // required

	// Render returns the current content of a topic, or an error wrapping
	// ErrNotTopic for a URL that is not one of the hub's feeds. Required.
	Render func(ctx context.Context, topic string) (Content, error)

	HubURL string // {base_url}/websub, sent in every push's Link header

	Lease        time.Duration // given when the subscriber asks none; DefaultLease if 0
	MaxLease     time.Duration // the longest granted; DefaultMaxLease if 0
	AllowPrivate bool          // callbacks may be loopback, private, link-local addresses
	MaxPerHost   int           // subscriptions per callback host; DefaultMaxPerHost if 0
	MaxTotal     int           // subscriptions in all; DefaultMaxTotal if 0

	Workers      int           // deliveries at once; DefaultWorkers if 0
	Timeout      time.Duration // of one request to a callback; DefaultTimeout if 0
	RetryFor     time.Duration // a failing delivery is retried this long; DefaultRetryFor if 0
	PollInterval time.Duration // how often due retries are looked for; DefaultPollInterval if 0

	// Coalesce is the least time between two passes that queue changes:
	// the commits of a burst (a sweep of fetches) become one push per
	// subscriber, not one per commit. DefaultCoalesce if 0; negative: none.
	Coalesce time.Duration

	// Backoff returns how long to wait before the attempt-th retry (from
	// 1); nil means exponential from 10 s, doubling to 10 min, with jitter.
	Backoff func(attempt int) time.Duration

	Client *http.Client     // nil: NewClient(Timeout, AllowPrivate)
	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger     // nil: slog.Default()
}

// Hub is the WebSub hub. ServeHTTP answers POST /websub; Run distributes.
type Hub struct {
	opts   Options
	client *http.Client
	log    *slog.Logger
	now    func() time.Time

	verifying chan struct{} // a slot per verification in flight
	parallel  chan struct{} // verifications running at once

	mu      sync.Mutex
	changed map[string]bool // channels changed since the last pass; "" means all
	wake    chan struct{}

	done chan hub.Done // deliveries ended, written to the store in batches (complete)

	stats Counters
}

// Counters are what a Hub did since it started, for /metrics.
type Counters struct {
	mu                                      sync.Mutex
	Delivered, Retried, Failed, Gone        int64
	Verified, Unsubscribed, Denied, Refused int64
}

func (c *Counters) add(p *int64) {
	c.mu.Lock()
	*p++
	c.mu.Unlock()
}

// Snapshot returns a copy of the counters.
func (c *Counters) Snapshot() (delivered, retried, failed, gone, verified, unsubscribed, denied, refused int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.Delivered, c.Retried, c.Failed, c.Gone, c.Verified, c.Unsubscribed, c.Denied, c.Refused
}

// New returns a Hub; nothing runs until Run.
func New(opts Options) *Hub {
	if opts.Store == nil || opts.Render == nil {
		panic("websub: New without a Store or Render")
	}
	if opts.Lease <= 0 {
		opts.Lease = DefaultLease
	}
	if opts.MaxLease <= 0 {
		opts.MaxLease = DefaultMaxLease
	}
	opts.Lease = min(opts.Lease, opts.MaxLease)
	if opts.MaxPerHost <= 0 {
		opts.MaxPerHost = DefaultMaxPerHost
	}
	if opts.MaxTotal <= 0 {
		opts.MaxTotal = DefaultMaxTotal
	}
	if opts.Workers <= 0 {
		opts.Workers = DefaultWorkers
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = DefaultRetryFor
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = DefaultPollInterval
	}
	if opts.Coalesce == 0 {
		opts.Coalesce = DefaultCoalesce
	}
	if opts.Backoff == nil {
		opts.Backoff = Backoff
	}
	h := &Hub{
		opts:      opts,
		client:    opts.Client,
		log:       opts.Logger,
		now:       opts.Now,
		verifying: make(chan struct{}, DefaultMaxVerifying),
		parallel:  make(chan struct{}, verificationParallel),
		changed:   make(map[string]bool),
		wake:      make(chan struct{}, 1),
		done:      make(chan hub.Done, claimBatch),
	}
	if h.client == nil {
		h.client = NewClient(opts.Timeout, opts.AllowPrivate)
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// Stats returns the hub's counters.
func (h *Hub) Stats() *Counters { return &h.stats }

// Backoff is the default wait before the attempt-th retry: 10 s doubling
// to at most 10 min, each between half and all of it at random, so that
// callbacks failing together are not retried together.
func Backoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < 10*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 10*time.Minute)
	return d/2 + rand.N(d/2+1)
}

// ServeHTTP answers POST /websub: 202 Accepted for a well-formed request,
// whose verification of intent (or denial) follows asynchronously; 400 in
// plain text for a malformed one; 429 when the callback's host, or the hub,
// has as many subscriptions as it takes, or too many verifications wait.
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "405 method not allowed: POST a subscription request", http.StatusMethodNotAllowed)
		return
	}
	req, err := ReadRequest(w, r)
	if err != nil {
		var re *RequestError
		if errors.As(err, &re) {
			http.Error(w, "400 bad request: "+re.Reason, http.StatusBadRequest)
			return
		}
		http.Error(w, "400 bad request", http.StatusBadRequest)
		return
	}
	cb, _ := url.Parse(req.Callback) // ParseForm checked it
	host := strings.ToLower(cb.Hostname())
	if ip, err := netip.ParseAddr(host); err == nil && !h.opts.AllowPrivate && Denied(ip) {
		h.stats.add(&h.stats.Refused)
		http.Error(w, "400 bad request: hub.callback's address is not public", http.StatusBadRequest)
		return
	}
	if req.Mode == ModeSubscribe {
		if code, why := h.capped(r.Context(), req, host); code != 0 {
			h.stats.add(&h.stats.Refused)
			if code == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "3600")
			}
			http.Error(w, strconv.Itoa(code)+" "+why, code)
			return
		}
	}
	select {
	case h.verifying <- struct{}{}:
	default:
		h.stats.add(&h.stats.Refused)
		w.Header().Set("Retry-After", "60")
		http.Error(w, "429 too many requests: too many verifications pending; try again later", http.StatusTooManyRequests)
		return
	}
	go func() {
		defer func() { <-h.verifying }()
		h.parallel <- struct{}{}
		defer func() { <-h.parallel }()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), 4*h.opts.Timeout)
		defer cancel()
		h.verify(ctx, req, host)
	}()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusAccepted)
	io.WriteString(w, "202 accepted: the callback will be asked to verify\n")
}

// capped returns 429 and why when the subscription would pass a cap (a
// renewal never does), 503 when the store cannot tell, else 0.
func (h *Hub) capped(ctx context.Context, req Request, host string) (int, string) {
	now := h.now()
	ofHost, total, err := h.opts.Store.CountSubscriptions(ctx, host, now)
	if err != nil {
		h.log.Error("websub count subscriptions", "err", err)
		return http.StatusServiceUnavailable, "service unavailable: try again later"
	}
	if ofHost < h.opts.MaxPerHost && total < h.opts.MaxTotal {
		return 0, ""
	}
	subs, err := h.opts.Store.Subscriptions(ctx, now)
	if err != nil {
		h.log.Error("websub subscriptions", "err", err)
		return http.StatusServiceUnavailable, "service unavailable: try again later"
	}
	for _, s := range subs {
		if s.Topic == req.Topic && s.Callback == req.Callback {
			return 0, "" // a renewal
		}
	}
	if ofHost >= h.opts.MaxPerHost {
		return http.StatusTooManyRequests, fmt.Sprintf("too many requests: the callback's host %s has %d subscriptions, the most this hub takes", host, ofHost)
	}
	return http.StatusTooManyRequests, fmt.Sprintf("too many requests: this hub has %d subscriptions, the most it takes", total)
}

// verify runs the verification of intent of req, or its denial, and
// stores the outcome.
func (h *Hub) verify(ctx context.Context, req Request, host string) {
	log := h.log.With("url", req.Callback, "topic", req.Topic)
	var content Content
	if req.Mode == ModeSubscribe {
		var err error
		content, err = h.opts.Render(ctx, req.Topic)
		if errors.Is(err, ErrNotTopic) {
			h.deny(ctx, req, "the topic is not a feed of this hub", log)
			return
		}
		if err != nil {
			// Not a denial: the subscriber, unanswered, asks again.
			log.Error("websub render topic", "err", err)
			return
		}
	}
	lease := req.Lease
	if lease <= 0 {
		lease = h.opts.Lease
	}
	lease = max(min(lease, h.opts.MaxLease), minLease)
	challenge := newChallenge()
	q := url.Values{
		"hub.mode":      {req.Mode},
		"hub.topic":     {req.Topic},
		"hub.challenge": {challenge},
	}
	if req.Mode == ModeSubscribe {
		q.Set("hub.lease_seconds", strconv.FormatInt(int64(lease/time.Second), 10))
	}
	body, code, err := h.get(ctx, req.Callback, q)
	switch {
	case err != nil:
		log.Info("websub verification failed", "err", err)
		return
	case code < 200 || code > 299:
		log.Info("websub verification refused", "status", code)
		return
	case strings.TrimSpace(string(body)) != challenge:
		log.Info("websub verification refused", "err", "the callback did not echo the challenge")
		return
	}
	now := h.now()
	if req.Mode == ModeUnsubscribe {
		if _, err := h.opts.Store.DeleteSubscription(ctx, req.Topic, req.Callback); err != nil {
			log.Error("websub unsubscribe", "err", err)
			return
		}
		h.stats.add(&h.stats.Unsubscribed)
		log.Info("websub unsubscribed")
		return
	}
	sub, err := h.opts.Store.SaveSubscription(ctx, hub.Subscription{
		Topic:    req.Topic,
		Channel:  content.Channel,
		Callback: req.Callback,
		Host:     host,
		Secret:   req.Secret,
		Lease:    lease,
		Created:  now,
		Expires:  now.Add(lease),
	})
	if err != nil {
		log.Error("websub subscribe", "err", err)
		return
	}
	h.stats.add(&h.stats.Verified)
	log.Info("websub subscribed", "channel", sub.Channel, "lease", lease.String())
}

// deny tells the callback its subscription was refused.
func (h *Hub) deny(ctx context.Context, req Request, reason string, log *slog.Logger) {
	h.stats.add(&h.stats.Denied)
	q := url.Values{"hub.mode": {ModeDenied}, "hub.topic": {req.Topic}, "hub.reason": {reason}}
	if _, _, err := h.get(ctx, req.Callback, q); err != nil {
		log.Info("websub denial not delivered", "err", err)
		return
	}
	log.Info("websub subscription denied", "err", reason)
}

// get sends a GET to callback with q added to its query, and returns at
// most maxResponseBytes of the answer.
func (h *Hub) get(ctx context.Context, callback string, q url.Values) ([]byte, int, error) {
	u, err := url.Parse(callback)
	if err != nil {
		return nil, 0, err
	}
	if u.RawQuery != "" {
		u.RawQuery += "&" + q.Encode()
	} else {
		u.RawQuery = q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("User-Agent", "yizhan-websub")
	resp, err := h.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
	return body, resp.StatusCode, err
}

func newChallenge() string {
	var b [24]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Notify tells the hub that the named channels changed (a commit that
// added or changed items); naming none means any may have. It never
// blocks: the work is Run's, which queues a delivery for each subscription
// of the topics whose content changed. Any process may call it for any
// commit, and several may for the same: a change is queued once.
func (h *Hub) Notify(channels ...string) {
	h.mu.Lock()
	if len(channels) == 0 {
		h.changed[""] = true
	}
	for _, c := range channels {
		h.changed[c] = true
	}
	h.mu.Unlock()
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Run distributes until ctx is done: it queues deliveries after Notify,
// sends due deliveries with at most Options.Workers at once, and removes
// expired subscriptions. Deliveries queued by any process sharing the store
// are sent by whichever claims them first.
func (h *Hub) Run(ctx context.Context) {
	tick := time.NewTicker(h.opts.PollInterval)
	defer tick.Stop()
	completed := make(chan struct{})
	go func() { h.complete(); close(completed) }()
	sem := make(chan struct{}, h.opts.Workers)
	var wg sync.WaitGroup
	defer func() {
		wg.Wait()
		close(h.done)
		<-completed
	}()
	lastExpire, lastQueue := time.Time{}, time.Time{}
	for {
		if now := h.now(); now.Sub(lastExpire) >= expireEvery {
			if n, err := h.opts.Store.ExpireSubscriptions(ctx, now); err != nil && ctx.Err() == nil {
				h.log.Warn("websub expire subscriptions", "err", err)
			} else if n > 0 {
				h.log.Info("websub leases expired", "items", n)
			}
			lastExpire = now
		}
		if wait := h.opts.Coalesce - time.Since(lastQueue); wait > 0 && h.pendingChanges() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
		if h.queue(ctx) {
			lastQueue = time.Now()
		}
		h.dispatch(ctx, sem, &wg)
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-h.wake:
		}
	}
}

// completeEvery is how long an ended delivery may wait to be written with
// others: one transaction for a batch instead of one per push, so that
// deliveries leave SQLite's single writer to ingest.
const completeEvery = 50 * time.Millisecond

// complete writes ended deliveries to the store, at most claimBatch at a
// time or every completeEvery, until h.done is closed.
func (h *Hub) complete() {
	batch := make([]hub.Done, 0, claimBatch)
	flush := func() {
		if len(batch) == 0 {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), h.opts.Timeout)
		defer cancel()
		if err := h.opts.Store.DoneDeliveries(ctx, batch, h.now()); err != nil {
			// The claims run out and the deliveries are sent again.
			h.log.Warn("websub delivered", "err", err, "items", len(batch))
		}
		batch = batch[:0]
	}
	tick := time.NewTicker(completeEvery)
	defer tick.Stop()
	for {
		select {
		case d, ok := <-h.done:
			if !ok {
				flush()
				return
			}
			if batch = append(batch, d); len(batch) == cap(batch) {
				flush()
			}
		case <-tick.C:
			flush()
		}
	}
}

// pendingChanges reports whether Notify named channels not yet queued.
func (h *Hub) pendingChanges() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.changed) > 0
}

// queue queues deliveries for the topics of the channels Notify named, and
// reports whether there were any.
func (h *Hub) queue(ctx context.Context) bool {
	h.mu.Lock()
	changed := h.changed
	if len(changed) == 0 {
		h.mu.Unlock()
		return false
	}
	h.changed = make(map[string]bool)
	h.mu.Unlock()
	now := h.now()
	subs, err := h.opts.Store.Subscriptions(ctx, now)
	if err != nil {
		h.requeue(changed)
		if ctx.Err() == nil {
			h.log.Warn("websub subscriptions", "err", err)
		}
		return true
	}
	done := make(map[string]bool)
	for _, s := range subs {
		if done[s.Topic] || !(changed[""] || changed[s.Channel] || s.Channel == "" || s.Channel == "latest") {
			continue
		}
		done[s.Topic] = true
		c, err := h.opts.Render(ctx, s.Topic)
		if err != nil {
			if !errors.Is(err, ErrNotTopic) {
				h.requeue(map[string]bool{s.Channel: true})
				h.log.Warn("websub render topic", "url", s.Topic, "err", err)
			}
			continue
		}
		if _, err := h.opts.Store.QueueDeliveries(ctx, s.Topic, c.Version, now); err != nil {
			h.requeue(map[string]bool{s.Channel: true})
			if ctx.Err() == nil {
				h.log.Warn("websub queue deliveries", "url", s.Topic, "err", err)
			}
		}
	}
	return true
}

// requeue puts back channels whose queueing failed, for the next pass.
func (h *Hub) requeue(channels map[string]bool) {
	h.mu.Lock()
	for c := range channels {
		h.changed[c] = true
	}
	h.mu.Unlock()
}

// dispatch claims due deliveries and sends them, at most cap(sem) at once,
// until none is due.
func (h *Hub) dispatch(ctx context.Context, sem chan struct{}, wg *sync.WaitGroup) {
	// A claim outlives the longest wait for a worker and the request.
	hold := 4*h.opts.Timeout + time.Minute
	for ctx.Err() == nil {
		now := h.now()
		ds, err := h.opts.Store.ClaimDeliveries(ctx, now, now.Add(hold), claimBatch)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("websub claim deliveries", "err", err)
			}
			return
		}
		for _, d := range ds {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Go(func() {
				defer func() { <-sem }()
				h.deliver(ctx, d)
			})
		}
		if len(ds) < claimBatch {
			return
		}
	}
}

// deliver sends one delivery and records its outcome.
func (h *Hub) deliver(ctx context.Context, d hub.Delivery) {
	log := h.log.With("url", d.Callback, "topic", d.Topic)
	store := h.opts.Store
	// The outcome is recorded even when ctx ends meanwhile (shutdown).
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), h.opts.Timeout)
	defer cancel()
	code, err := h.push(ctx, d)
	if ctx.Err() != nil && err != nil {
		// Shutting down is not the callback's failure: the claim runs
		// out and the delivery is due again, here or in another process.
		return
	}
	switch {
	case err == nil && code >= 200 && code <= 299:
		h.done <- hub.Done{SubscriptionID: d.ID, Generation: d.Generation}
		h.stats.add(&h.stats.Delivered)
		return
	case err == nil && code == http.StatusGone:
		if _, err := store.DeleteSubscription(sctx, d.Topic, d.Callback); err != nil {
			log.Warn("websub subscription gone", "err", err)
		}
		h.stats.add(&h.stats.Gone)
		log.Info("websub subscription ended by the callback", "status", code)
		return
	case errors.Is(err, ErrNotTopic):
		// The channel was removed from the configuration: nothing to send.
		if _, err := store.DeleteSubscription(sctx, d.Topic, d.Callback); err != nil {
			log.Warn("websub subscription of a removed topic", "err", err)
		}
		return
	}
	why := ""
	if err != nil {
		why = err.Error()
	} else {
		why = "HTTP " + strconv.Itoa(code)
	}
	now := h.now()
	if now.Sub(d.FirstTry) >= h.opts.RetryFor {
		h.done <- hub.Done{SubscriptionID: d.ID, Generation: d.Generation}
		h.stats.add(&h.stats.Failed)
		log.Warn("websub delivery given up", "err", why, "attempts", d.Attempts+1)
		return
	}
	next := now.Add(h.opts.Backoff(d.Attempts + 1))
	if err := store.RetryDelivery(sctx, d.ID, next, why); err != nil {
		log.Warn("websub delivery retry", "err", err)
	}
	h.stats.add(&h.stats.Retried)
	log.Debug("websub delivery failed", "err", why, "attempts", d.Attempts+1)
}

// push POSTs the topic's current content to the callback and returns the
// status.
func (h *Hub) push(ctx context.Context, d hub.Delivery) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, h.opts.Timeout)
	defer cancel()
	c, err := h.opts.Render(ctx, d.Topic)
	if err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.Callback, bytes.NewReader(c.Body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", c.Type)
	req.Header.Set("User-Agent", "yizhan-websub")
	if h.opts.HubURL != "" {
		req.Header.Add("Link", "<"+h.opts.HubURL+`>; rel="hub"`)
	}
	req.Header.Add("Link", "<"+d.Topic+`>; rel="self"`)
	if d.Secret != "" {
		req.Header.Set("X-Hub-Signature", "sha256="+Sign(d.Secret, c.Body))
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxResponseBytes))
	return resp.StatusCode, nil
}

// Sign returns the hex HMAC-SHA256 of body under secret, as X-Hub-Signature
// carries it after "sha256=".
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
