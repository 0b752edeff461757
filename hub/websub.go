package hub

import (
	"context"
	"time"
)

// Subscription is a verified WebSub subscription to one of the hub's feeds
// (SPEC.md "WebSub"): a subscriber's callback, told of every change of the
// topic until the lease expires.
type Subscription struct {
	ID       int64  // the store's; zero before the first SaveSubscription
	Topic    string // the feed URL as subscribed, query included
	Channel  string // the channel whose changes concern the topic; "latest" for the ticker, "" for any change
	Callback string
	Host     string // the callback's host, lower case: the unit of the per-host cap
	Secret   string // empty: pushes are not signed
	Lease    time.Duration
	Created  time.Time // when first verified
	Expires  time.Time // when the lease runs out
}

// Delivery is a pending push of a subscription's topic: the topic changed
// after the subscriber last received it.
type Delivery struct {
	Subscription
	Attempts   int       // failed attempts so far
	Generation int64     // grows with every change queued on it (QueueDeliveries): DoneDeliveries tells by it
	FirstTry   time.Time // when the change was queued: retries stop some time after it
	NextTry    time.Time
	LastError  string
}

// Done names a delivery that ended (SubscriptionStore.DoneDeliveries): its
// subscription and the Generation it was claimed at.
type Done struct {
	SubscriptionID, Generation int64
}

// UpstreamSubscription is yizhan's subscription, as a subscriber, to the
// hub an upstream feed advertises.
type UpstreamSubscription struct {
	SourceID  string
	Hub       string // the upstream's hub URL
	Topic     string // the upstream's self URL
	Callback  string // our callback URL the hub pushes to
	Secret    string // ours, per subscription: pushes must be signed with it
	State     string // UpstreamRequested, UpstreamActive or UpstreamUnsubscribing
	Requested time.Time
	Expires   time.Time // lease end; zero until the hub verified
	LastError string
}

// States of an UpstreamSubscription.
const (
	UpstreamRequested     = "requested"     // asked; waiting for the hub's verification
	UpstreamActive        = "active"        // verified; the lease runs to Expires
	UpstreamUnsubscribing = "unsubscribing" // asked to end; waiting for the hub's verification
)

// WebSubStats is what /status and /metrics show of WebSub.
type WebSubStats struct {
	Topics  map[string]int // active subscriptions per topic
	Pending int            // deliveries waiting
	Failing int            // of which have failed at least once
}

// SubscriptionStore keeps WebSub state: the subscriptions of the hub's own
// feeds, their pending deliveries, and yizhan's subscriptions to upstream
// hubs. Both stores implement it beside Store; whatever one process writes,
// every process sharing the database sees. Times are kept to the
// microsecond or better.
type SubscriptionStore interface {
	// SaveSubscription stores a verified subscription, replacing the one of
	// the same topic and callback (a renewal keeps its ID and Created), and
	// returns it as stored.
	SaveSubscription(ctx context.Context, s Subscription) (Subscription, error)

	// DeleteSubscription removes the subscription of topic and callback and
	// its pending delivery, reporting whether there was one.
	DeleteSubscription(ctx context.Context, topic, callback string) (bool, error)

	// Subscriptions returns the subscriptions whose lease runs past now,
	// by ID.
	Subscriptions(ctx context.Context, now time.Time) ([]Subscription, error)

	// CountSubscriptions counts the subscriptions whose lease runs past
	// now: those of callback host host, and all.
	CountSubscriptions(ctx context.Context, host string, now time.Time) (ofHost, total int, err error)

	// ExpireSubscriptions removes the subscriptions whose lease ended at or
	// before now, with their deliveries, and reports how many.
	ExpireSubscriptions(ctx context.Context, now time.Time) (int, error)

	// QueueDeliveries records that topic's content is now content (an
	// opaque version, such as a hash of the rendering): each subscription
	// of topic whose lease runs past now and whose last queued content
	// differs gets a delivery due at now, or, when one is pending already,
	// the pending one's Generation grows (it is sent with the content
	// current when it is sent). It returns how many subscriptions it
	// queued for. Several processes may call it for the same change: only
	// the first queues.
	QueueDeliveries(ctx context.Context, topic, content string, now time.Time) (int, error)

	// ClaimDeliveries returns at most limit deliveries due at now, oldest
	// first, and holds them until until: no other claim returns them
	// meanwhile.
	ClaimDeliveries(ctx context.Context, now, until time.Time, limit int) ([]Delivery, error)

	// RetryDelivery records a failed attempt of a subscription's delivery:
	// one more Attempts, the error, and when to try again.
	RetryDelivery(ctx context.Context, subscriptionID int64, next time.Time, lastErr string) error

	// DoneDeliveries ends deliveries, each claimed at a generation, in one
	// transaction: they arrived, or retries gave up. If a change was queued
	// on one since (its Generation grew), that change has not been sent:
	// the delivery stays, due at now, its attempts and FirstTry starting
	// afresh.
	DoneDeliveries(ctx context.Context, done []Done, now time.Time) error

	// WebSubStats counts subscriptions per topic (leases running past now)
	// and pending deliveries.
	WebSubStats(ctx context.Context, now time.Time) (WebSubStats, error)

	// SaveUpstream stores yizhan's subscription to a source's upstream hub,
	// replacing the source's previous one.
	SaveUpstream(ctx context.Context, u UpstreamSubscription) error

	// Upstream returns the upstream subscription of a source, or
	// ErrNotFound.
	Upstream(ctx context.Context, sourceID string) (UpstreamSubscription, error)

	// Upstreams returns every upstream subscription, by source.
	Upstreams(ctx context.Context) ([]UpstreamSubscription, error)

	// DeleteUpstream forgets a source's upstream subscription.
	DeleteUpstream(ctx context.Context, sourceID string) error
}
