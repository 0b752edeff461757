package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/yizhan-hub/yizhan/feeds"
	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/sources"
	"github.com/yizhan-hub/yizhan/websub"
)

// WebSubSettings is the [websub] table (SPEC.md "WebSub").
type WebSubSettings struct {
	Enabled      bool
	Lease        time.Duration // lease_seconds: given when a subscriber asks none
	MaxLease     time.Duration // max_lease_seconds: the longest granted
	AllowPrivate bool          // allow_private_callbacks
}

// webSubFile mirrors [websub].
type webSubFile struct {
	Enabled               *bool `toml:"enabled"`
	LeaseSeconds          *int  `toml:"lease_seconds"`
	MaxLeaseSeconds       *int  `toml:"max_lease_seconds"`
	AllowPrivateCallbacks bool  `toml:"allow_private_callbacks"`
}

// Bounds of [websub] leases: a minute, a year.
const (
	minLeaseSeconds = 60
	maxLeaseSeconds = 365 * 24 * 3600
)

func (v *validator) websub(w *webSubFile) WebSubSettings {
	s := WebSubSettings{
		Enabled:      w.Enabled == nil || *w.Enabled,
		Lease:        time.Duration(intOr(w.LeaseSeconds, int(websub.DefaultLease/time.Second))) * time.Second,
		MaxLease:     time.Duration(intOr(w.MaxLeaseSeconds, int(websub.DefaultMaxLease/time.Second))) * time.Second,
		AllowPrivate: w.AllowPrivateCallbacks,
	}
	for _, k := range []struct {
		key string
		d   time.Duration
	}{{"websub.lease_seconds", s.Lease}, {"websub.max_lease_seconds", s.MaxLease}} {
		if n := int(k.d / time.Second); n < minLeaseSeconds || n > maxLeaseSeconds {
			v.errorf(k.key, "%d is out of range %d..%d", n, minLeaseSeconds, maxLeaseSeconds)
		}
	}
	if s.Lease > s.MaxLease {
		v.errorf("websub.lease_seconds", "%d is more than max_lease_seconds %d", int(s.Lease/time.Second), int(s.MaxLease/time.Second))
	}
	return s
}

// newWebSub returns the WebSub hub of the app, or nil when [websub] is
// off or the store keeps no subscriptions.
func newWebSub(cfg *Config, store hub.Store, handler func() *feeds.Handler, logger *slog.Logger) *websub.Hub {
	ss, ok := store.(hub.SubscriptionStore)
	if !cfg.WebSub.Enabled || !ok {
		return nil
	}
	return websub.New(websub.Options{
		Store:        ss,
		Render:       renderTopic(handler),
		HubURL:       cfg.Hub.BaseURL + "/websub",
		Lease:        cfg.WebSub.Lease,
		MaxLease:     cfg.WebSub.MaxLease,
		AllowPrivate: cfg.WebSub.AllowPrivate,
		Logger:       logger,
	})
}

// renderTopic adapts feeds.Handler.Render to websub.Options.Render.
func renderTopic(handler func() *feeds.Handler) func(ctx context.Context, topic string) (websub.Content, error) {
	return func(ctx context.Context, topic string) (websub.Content, error) {
		r, err := handler().Render(ctx, topic)
		if errors.Is(err, feeds.ErrNotFeed) {
			return websub.Content{}, errors.Join(websub.ErrNotTopic, err)
		}
		if err != nil {
			return websub.Content{}, err
		}
		return websub.Content{Body: r.Body, Type: r.ContentType, Channel: r.Channel, Self: r.Self, Version: r.ETag}, nil
	}
}

// withWebSub routes /websub to the hub and /websub/… to the subscriber's
// callbacks (either nil: 404), everything else to next.
func withWebSub(next http.Handler, hubH, callbacks http.Handler) http.Handler {
	if hubH == nil && callbacks == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		switch {
		case p == "/websub" && hubH != nil:
			hubH.ServeHTTP(w, r)
		case strings.HasPrefix(p, "/websub/") && callbacks != nil:
			callbacks.ServeHTTP(w, r)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// webSubCollector reports the hub's subscriptions and deliveries at each
// scrape, read from the store as /status reads them.
type webSubCollector struct {
	hub    *websub.Hub
	store  hub.SubscriptionStore
	logger *slog.Logger
}

var (
	descWebSubSubscriptions = prometheus.NewDesc("yizhan_websub_subscriptions",
		"Verified WebSub subscriptions whose lease runs, by topic.", []string{"topic"}, nil)
	descWebSubPending = prometheus.NewDesc("yizhan_websub_deliveries_pending",
		"WebSub deliveries waiting to be sent (all processes sharing the store).", nil, nil)
	descWebSubFailing = prometheus.NewDesc("yizhan_websub_deliveries_failing",
		"Pending WebSub deliveries that failed at least once.", nil, nil)
	descWebSubDeliveries = prometheus.NewDesc("yizhan_websub_deliveries_total",
		"WebSub delivery attempts of this process by result: delivered, retried, failed (given up) or gone (410).", []string{"result"}, nil)
	descWebSubRequests = prometheus.NewDesc("yizhan_websub_requests_total",
		"WebSub subscription requests of this process by outcome: verified, unsubscribed, denied or refused.", []string{"result"}, nil)
	descWebSubUpstream = prometheus.NewDesc("yizhan_websub_upstream_lease_end_seconds",
		"When yizhan's subscription to a source's upstream hub ends (unix time; 0 until verified), by source and state.", []string{"source", "state"}, nil)
)

func (c *webSubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descWebSubSubscriptions, descWebSubPending, descWebSubFailing, descWebSubDeliveries, descWebSubRequests, descWebSubUpstream} {
		ch <- d
	}
}

func (c *webSubCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if c.hub != nil {
		st, err := c.store.WebSubStats(ctx, time.Now())
		if err != nil {
			c.logger.Warn("websub metrics", "err", err)
		} else {
			for topic, n := range st.Topics {
				ch <- prometheus.MustNewConstMetric(descWebSubSubscriptions, prometheus.GaugeValue, float64(n), topic)
			}
			ch <- prometheus.MustNewConstMetric(descWebSubPending, prometheus.GaugeValue, float64(st.Pending))
			ch <- prometheus.MustNewConstMetric(descWebSubFailing, prometheus.GaugeValue, float64(st.Failing))
		}
		delivered, retried, failed, gone, verified, unsubscribed, denied, refused := c.hub.Stats().Snapshot()
		for _, m := range []struct {
			desc  *prometheus.Desc
			label string
			n     int64
		}{
			{descWebSubDeliveries, "delivered", delivered}, {descWebSubDeliveries, "retried", retried},
			{descWebSubDeliveries, "failed", failed}, {descWebSubDeliveries, "gone", gone},
			{descWebSubRequests, "verified", verified}, {descWebSubRequests, "unsubscribed", unsubscribed},
			{descWebSubRequests, "denied", denied}, {descWebSubRequests, "refused", refused},
		} {
			ch <- prometheus.MustNewConstMetric(m.desc, prometheus.CounterValue, float64(m.n), m.label)
		}
	}
	ups, err := c.store.Upstreams(ctx)
	if err != nil {
		c.logger.Warn("websub metrics", "err", err)
		return
	}
	for _, u := range ups {
		end := 0.0
		if !u.Expires.IsZero() {
			end = float64(u.Expires.Unix())
		}
		ch <- prometheus.MustNewConstMetric(descWebSubUpstream, prometheus.GaugeValue, end, u.SourceID, u.State)
	}
}

// webSubSyncInterval is how often serve looks at its upstream
// subscriptions: new sources, renewals, removals.
const webSubSyncInterval = 10 * time.Minute

// newSubscriber returns the WebSub subscriber of the app, or nil when
// [websub] is off or the store keeps no subscriptions.
func newSubscriber(cfg *Config, store hub.Store, ingest func(context.Context, hub.Source, []byte, string, string) error, logger *slog.Logger) *sources.Subscriber {
	ss, ok := store.(hub.SubscriptionStore)
	if !cfg.WebSub.Enabled || !ok {
		return nil
	}
	return sources.NewSubscriber(sources.SubscriberOptions{
		Store:        ss,
		UserAgent:    cfg.Hub.UserAgent,
		CallbackBase: cfg.Hub.BaseURL + "/websub/",
		Ingest:       ingest,
		Logger:       logger,
	})
}

// observeFeed passes what a fetch read of WebSub to the subscriber.
func (a *app) observeFeed(src hub.Source, d sources.HubLinks) {
	if a.upstream != nil {
		a.upstream.Observe(src, d)
	}
}

// webSubSources is what the subscriber keeps subscribed: the configured
// sources but those with websub = false.
func (a *app) webSubSources() ([]hub.Source, map[string]bool) {
	cfg := a.config()
	return cfg.Sources, cfg.NoWebSub
}

// pushKey is the context key of content a hub pushed: the runner's fetch
// of a source reads it instead of the upstream (swapFetcher.Fetch), so a
// push is stored exactly as a fetch is, under the runner's per-source lock.
type pushKey struct{}

type pushed struct {
	body           []byte
	ctype, feedURL string
}

func readPushed(p pushed, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	res, err := sources.ReadPush(p.body, p.ctype, p.feedURL, src, prev)
	if err != nil {
		return hub.FetchResult{}, fmt.Errorf("push %s: %w", src.ID, err)
	}
	return res, nil
}

// ingestPush stores content a hub pushed for src through the runner, as a
// manual fetch; a source busy with a fetch is waited for a little.
func (a *app) ingestPush(ctx context.Context, src hub.Source, body []byte, ctype, feedURL string) error {
	ctx = context.WithValue(ctx, pushKey{}, pushed{body: body, ctype: ctype, feedURL: feedURL})
	for range 20 {
		rep := a.runner.Run(ctx, src)
		if !rep.Busy {
			return rep.Err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("push %s: the source stayed busy", src.ID)
}

// copyWebSub copies the WebSub subscriptions of our feeds (leases running
// or not) and our upstream subscriptions from src to dst, for copydb.
// Pending deliveries are not copied: the next change of each topic queues
// them again.
func copyWebSub(ctx context.Context, src, dst hub.Store) (subs, ups int, err error) {
	from, ok1 := src.(hub.SubscriptionStore)
	to, ok2 := dst.(hub.SubscriptionStore)
	if !ok1 || !ok2 {
		return 0, 0, nil
	}
	all, err := from.Subscriptions(ctx, time.Unix(0, 0))
	if err != nil {
		return 0, 0, fmt.Errorf("-from: %w", err)
	}
	for _, s := range all {
		if _, err := to.SaveSubscription(ctx, s); err != nil {
			return subs, ups, fmt.Errorf("-to: %w", err)
		}
		subs++
	}
	us, err := from.Upstreams(ctx)
	if err != nil {
		return subs, 0, fmt.Errorf("-from: %w", err)
	}
	for _, u := range us {
		if err := to.SaveUpstream(ctx, u); err != nil {
			return subs, ups, fmt.Errorf("-to: %w", err)
		}
		ups++
	}
	return subs, ups, nil
}
