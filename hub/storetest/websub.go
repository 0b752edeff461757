package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// websubTests are the cases of hub.SubscriptionStore, which every store
// implements beside hub.Store.
var websubTests = []struct {
	name string
	fn   func(t *testing.T, s hub.Store)
}{
	{"WebSubSubscriptions", testWebSubSubscriptions},
	{"WebSubDeliveries", testWebSubDeliveries},
	{"WebSubExpiry", testWebSubExpiry},
	{"WebSubUpstreams", testWebSubUpstreams},
}

func subStore(t *testing.T, s hub.Store) hub.SubscriptionStore {
	t.Helper()
	ss, ok := s.(hub.SubscriptionStore)
	if !ok {
		t.Fatalf("%T is not a hub.SubscriptionStore", s)
	}
	return ss
}

func subscription(topic, callback, host string, expires time.Time) hub.Subscription {
	return hub.Subscription{
		Topic: topic, Channel: "theory", Callback: callback, Host: host,
		Secret: "s3cret", Lease: 10 * 24 * time.Hour, Created: at(0), Expires: expires,
	}
}

func saveSub(t *testing.T, s hub.SubscriptionStore, sub hub.Subscription) hub.Subscription {
	t.Helper()
	got, err := s.SaveSubscription(t.Context(), sub)
	if err != nil {
		t.Fatalf("SaveSubscription: %v", err)
	}
	return got
}

func testWebSubSubscriptions(t *testing.T, st hub.Store) {
	s, ctx := subStore(t, st), t.Context()
	const topic = "https://hub.example/feeds/theory.rss"
	a := saveSub(t, s, subscription(topic, "https://a.example/cb", "a.example", at(240)))
	if a.ID == 0 || a.Secret != "s3cret" || !a.Expires.Equal(at(240)) || a.Lease != 10*24*time.Hour || a.Channel != "theory" {
		t.Errorf("SaveSubscription = %+v", a)
	}
	b := saveSub(t, s, subscription(topic, "https://a.example/cb2", "a.example", at(240)))
	saveSub(t, s, subscription(topic+"?limit=5", "https://b.example/cb", "b.example", at(240)))

	// A renewal keeps the ID and Created, and replaces the rest.
	renew := subscription(topic, "https://a.example/cb", "a.example", at(480))
	renew.Created, renew.Secret = at(100), ""
	r := saveSub(t, s, renew)
	if r.ID != a.ID || !r.Created.Equal(a.Created) || r.Secret != "" || !r.Expires.Equal(at(480)) {
		t.Errorf("renewal = %+v, want ID %d, Created %v, no secret, Expires %v", r, a.ID, a.Created, at(480))
	}

	subs, err := s.Subscriptions(ctx, at(1))
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 3 || subs[0].ID != a.ID || subs[1].ID != b.ID {
		t.Errorf("Subscriptions = %+v, want 3 by ID", subs)
	}
	ofHost, total, err := s.CountSubscriptions(ctx, "a.example", at(1))
	if err != nil || ofHost != 2 || total != 3 {
		t.Errorf("CountSubscriptions(a.example) = %d, %d, %v; want 2, 3", ofHost, total, err)
	}
	// Past b's lease only a's renewal counts.
	ofHost, total, err = s.CountSubscriptions(ctx, "a.example", at(300))
	if err != nil || ofHost != 1 || total != 1 {
		t.Errorf("CountSubscriptions at 300h = %d, %d, %v; want 1, 1", ofHost, total, err)
	}
	ok, err := s.DeleteSubscription(ctx, topic, "https://a.example/cb2")
	if err != nil || !ok {
		t.Errorf("DeleteSubscription = %v, %v; want true", ok, err)
	}
	ok, err = s.DeleteSubscription(ctx, topic, "https://a.example/cb2")
	if err != nil || ok {
		t.Errorf("DeleteSubscription again = %v, %v; want false", ok, err)
	}
	st2, err := s.WebSubStats(ctx, at(1))
	if err != nil {
		t.Fatal(err)
	}
	if st2.Topics[topic] != 1 || st2.Topics[topic+"?limit=5"] != 1 || len(st2.Topics) != 2 {
		t.Errorf("WebSubStats.Topics = %v", st2.Topics)
	}
}

func testWebSubDeliveries(t *testing.T, st hub.Store) {
	s, ctx := subStore(t, st), t.Context()
	const topic = "https://hub.example/feeds/theory.atom"
	a := saveSub(t, s, subscription(topic, "https://a.example/cb", "a.example", at(240)))
	b := saveSub(t, s, subscription(topic, "https://b.example/cb", "b.example", at(240)))
	saveSub(t, s, subscription(topic, "https://c.example/cb", "c.example", at(2))) // expires first
	saveSub(t, s, subscription("https://hub.example/feeds/other.atom", "https://a.example/cb", "a.example", at(240)))

	queue := func(content string, now time.Time, want int) {
		t.Helper()
		n, err := s.QueueDeliveries(ctx, topic, content, now)
		if err != nil || n != want {
			t.Errorf("QueueDeliveries(%q) = %d, %v; want %d", content, n, err, want)
		}
	}
	queue("v1", at(3), 2)
	queue("v1", at(3), 0) // another process, the same change
	queue("v2", at(3), 2) // pending already: a change queued on the pending delivery

	ds, err := s.ClaimDeliveries(ctx, at(3), at(3).Add(time.Minute), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(ds) != 2 || ds[0].Callback == ds[1].Callback || ds[0].Attempts != 0 || !ds[0].FirstTry.Equal(at(3)) || ds[0].Secret != "s3cret" || ds[0].Generation != 1 {
		t.Fatalf("ClaimDeliveries = %+v, want a's and b's at generation 1", ds)
	}
	gen := map[int64]int64{ds[0].ID: ds[0].Generation, ds[1].ID: ds[1].Generation}
	// Claimed: nobody else gets them until the claim ends.
	if again, err := s.ClaimDeliveries(ctx, at(3), at(3).Add(time.Minute), 10); err != nil || len(again) != 0 {
		t.Errorf("ClaimDeliveries while claimed = %d, %v; want none", len(again), err)
	}
	if err := s.DoneDeliveries(ctx, []hub.Done{{SubscriptionID: a.ID, Generation: gen[a.ID]}}, at(3)); err != nil {
		t.Fatal(err)
	}
	if err := s.RetryDelivery(ctx, b.ID, at(4), "HTTP 500"); err != nil {
		t.Fatal(err)
	}
	stats, err := s.WebSubStats(ctx, at(3))
	if err != nil || stats.Pending != 1 || stats.Failing != 1 {
		t.Errorf("WebSubStats = %+v, %v; want 1 pending, 1 failing", stats, err)
	}
	if ds, err := s.ClaimDeliveries(ctx, at(3).Add(30*time.Minute), at(5), 10); err != nil || len(ds) != 0 {
		t.Errorf("ClaimDeliveries before NextTry = %d, %v; want none", len(ds), err)
	}
	ds, err = s.ClaimDeliveries(ctx, at(4), at(5), 10)
	if err != nil || len(ds) != 1 || ds[0].ID != b.ID || ds[0].Attempts != 1 || ds[0].LastError != "HTTP 500" || !ds[0].FirstTry.Equal(at(3)) {
		t.Fatalf("ClaimDeliveries after NextTry = %+v, %v; want b's, 1 attempt", ds, err)
	}
	if err := s.DoneDeliveries(ctx, []hub.Done{{SubscriptionID: b.ID, Generation: ds[0].Generation}}, at(4)); err != nil {
		t.Fatal(err)
	}
	queue("v2", at(5), 0) // v2 was recorded while pending: sent already
	queue("v3", at(5), 2)
	// A change queued while a delivery is out is not lost when it arrives:
	// the delivery is due again, afresh.
	out, err := s.ClaimDeliveries(ctx, at(5), at(6), 10)
	if err != nil || len(out) != 2 {
		t.Fatalf("ClaimDeliveries = %d, %v; want 2", len(out), err)
	}
	if err := s.RetryDelivery(ctx, out[0].ID, at(6), "HTTP 500"); err != nil {
		t.Fatal(err)
	}
	queue("v4", at(5), 2)
	// Both in one call: the batch ends none of them.
	if err := s.DoneDeliveries(ctx, []hub.Done{{SubscriptionID: out[0].ID, Generation: out[0].Generation},
		{SubscriptionID: out[1].ID, Generation: out[1].Generation}}, at(5).Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	again, err := s.ClaimDeliveries(ctx, at(5).Add(time.Minute), at(6), 10)
	if err != nil || len(again) != 2 || again[0].Attempts != 0 || again[1].Attempts != 0 || !again[0].FirstTry.Equal(at(5).Add(time.Minute)) {
		t.Fatalf("after a change during delivery: %+v, %v; want both due afresh", again, err)
	}
	if err := s.DoneDeliveries(ctx, []hub.Done{{SubscriptionID: again[0].ID, Generation: again[0].Generation},
		{SubscriptionID: again[1].ID, Generation: again[1].Generation}}, at(6)); err != nil {
		t.Fatal(err)
	}
	if st, err := s.WebSubStats(ctx, at(6)); err != nil || st.Pending != 0 {
		t.Fatalf("WebSubStats = %+v, %v; want nothing pending", st, err)
	}
	queue("v5", at(5), 2)
	// A limit claims the oldest first, and the rest later.
	first, err := s.ClaimDeliveries(ctx, at(5), at(6), 1)
	if err != nil || len(first) != 1 {
		t.Fatalf("ClaimDeliveries limit 1 = %d, %v", len(first), err)
	}
	rest, err := s.ClaimDeliveries(ctx, at(5), at(6), 10)
	if err != nil || len(rest) != 1 || rest[0].ID == first[0].ID {
		t.Errorf("ClaimDeliveries after limit = %+v, %v; want the other one", rest, err)
	}
	// Removing a subscription removes its delivery.
	if _, err := s.DeleteSubscription(ctx, topic, "https://a.example/cb"); err != nil {
		t.Fatal(err)
	}
	if stats, err := s.WebSubStats(ctx, at(5)); err != nil || stats.Pending != 1 {
		t.Errorf("WebSubStats after unsubscribe = %+v, %v; want 1 pending", stats, err)
	}
}

func testWebSubExpiry(t *testing.T, st hub.Store) {
	s, ctx := subStore(t, st), t.Context()
	const topic = "https://hub.example/feeds/theory.json"
	saveSub(t, s, subscription(topic, "https://a.example/cb", "a.example", at(2)))
	saveSub(t, s, subscription(topic, "https://b.example/cb", "b.example", at(20)))
	if n, err := s.QueueDeliveries(ctx, topic, "v1", at(1)); err != nil || n != 2 {
		t.Fatalf("QueueDeliveries = %d, %v; want 2", n, err)
	}
	if subs, err := s.Subscriptions(ctx, at(2)); err != nil || len(subs) != 1 || subs[0].Host != "b.example" {
		t.Errorf("Subscriptions at a's expiry = %+v, %v; want b's only", subs, err)
	}
	n, err := s.ExpireSubscriptions(ctx, at(2))
	if err != nil || n != 1 {
		t.Errorf("ExpireSubscriptions = %d, %v; want 1", n, err)
	}
	stats, err := s.WebSubStats(ctx, at(2))
	if err != nil || stats.Pending != 1 || len(stats.Topics) != 1 {
		t.Errorf("WebSubStats after expiry = %+v, %v; want b's delivery only", stats, err)
	}
}

func testWebSubUpstreams(t *testing.T, st hub.Store) {
	s, ctx := subStore(t, st), t.Context()
	if _, err := s.Upstream(ctx, "blog"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("Upstream of nothing: %v, want hub.ErrNotFound", err)
	}
	u := hub.UpstreamSubscription{
		SourceID: "blog", Hub: "https://pubsub.example/", Topic: "https://blog.example/feed",
		Callback: "https://yizhan.example/websub/blog", Secret: "x", State: hub.UpstreamRequested, Requested: at(1),
	}
	if err := s.SaveUpstream(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, err := s.Upstream(ctx, "blog")
	if err != nil || got.Hub != u.Hub || got.Topic != u.Topic || got.Secret != "x" || got.State != hub.UpstreamRequested ||
		!got.Requested.Equal(at(1)) || !got.Expires.IsZero() {
		t.Errorf("Upstream = %+v, %v; want %+v", got, err, u)
	}
	u.State, u.Expires, u.LastError = hub.UpstreamActive, at(100), "x"
	if err := s.SaveUpstream(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveUpstream(ctx, hub.UpstreamSubscription{SourceID: "alpha", Hub: "h", Topic: "t", State: hub.UpstreamRequested}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Upstreams(ctx)
	if err != nil || len(all) != 2 || all[0].SourceID != "alpha" || all[1].State != hub.UpstreamActive || !all[1].Expires.Equal(at(100)) {
		t.Errorf("Upstreams = %+v, %v", all, err)
	}
	if err := s.DeleteUpstream(ctx, "blog"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Upstream(ctx, "blog"); !errors.Is(err, hub.ErrNotFound) {
		t.Errorf("Upstream after DeleteUpstream: %v, want hub.ErrNotFound", err)
	}
}
