package sources

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// WebSub subscriber limits and timings.
const (
	// MaxPushBytes caps the body of a push an upstream hub sends.
	MaxPushBytes = DefaultMaxBody
	// webSubRetry is how long a subscription request that got no
	// verification, or failed, waits before it is asked again.
	webSubRetry = time.Hour
)

// HubLinks is what a feed advertises of WebSub: its hub and self URLs.
type HubLinks struct {
	Hub  string // the hub's URL; empty when it names none
	Self string // the feed's own URL, the topic to subscribe to
}

// DiscoverHub finds the hub and self URLs of a feed: HTTP Link headers
// first (as the Recommendation orders), then the document's rel="hub" and
// rel="self" links (RSS atom:link, Atom link) or JSON Feed's hubs and
// feed_url. Relative URLs are resolved against feedURL.
func DiscoverHub(header http.Header, body []byte, feedURL string) HubLinks {
	var d HubLinks
	for _, l := range parseLinks(header.Values("Link")) {
		switch {
		case l.rel["hub"] && d.Hub == "":
			d.Hub = l.href
		case l.rel["self"] && d.Self == "":
			d.Self = l.href
		}
	}
	if d.Hub == "" || d.Self == "" {
		var in HubLinks
		if t := bytes.TrimLeft(body, " \t\r\n\uFEFF"); len(t) > 0 && t[0] == '{' {
			in = discoverJSON(body)
		} else {
			in = discoverXML(body)
		}
		if d.Hub == "" {
			d.Hub = in.Hub
		}
		if d.Self == "" {
			d.Self = in.Self
		}
	}
	base, err := url.Parse(feedURL)
	resolve := func(s string) string {
		if s == "" || err != nil {
			return s
		}
		u, perr := base.Parse(strings.TrimSpace(s))
		if perr != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return ""
		}
		return u.String()
	}
	d.Hub, d.Self = resolve(d.Hub), resolve(d.Self)
	return d
}

type link struct {
	href string
	rel  map[string]bool
}

// parseLinks parses RFC 8288 Link field values, enough for rel.
func parseLinks(values []string) []link {
	var out []link
	for _, v := range values {
		for v != "" {
			v = strings.TrimLeft(v, " \t,")
			if !strings.HasPrefix(v, "<") {
				break
			}
			end := strings.IndexByte(v, '>')
			if end < 0 {
				break
			}
			l := link{href: v[1:end], rel: map[string]bool{}}
			v = v[end+1:]
			// Parameters up to the next link (a comma outside quotes).
			var params string
			inQuote := false
			i := 0
			for ; i < len(v); i++ {
				if v[i] == '"' {
					inQuote = !inQuote
				}
				if v[i] == ',' && !inQuote {
					break
				}
			}
			params, v = v[:i], v[i:]
			for p := range strings.SplitSeq(params, ";") {
				name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
					continue
				}
				for r := range strings.FieldsSeq(strings.Trim(strings.TrimSpace(val), `"`)) {
					l.rel[strings.ToLower(r)] = true
				}
			}
			out = append(out, l)
		}
	}
	return out
}

// discoverXML reads the feed-level <link rel="hub|self" href> of RSS
// (atom:link) and Atom, stopping at the first item or entry.
func discoverXML(body []byte) HubLinks {
	var d HubLinks
	dec := xml.NewDecoder(bytes.NewReader(body))
	dec.Strict = false
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // only ASCII attributes matter
	for i := 0; i < 10000; i++ {
		tok, err := dec.Token()
		if err != nil {
			break
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		if se.Name.Local == "item" || se.Name.Local == "entry" {
			break
		}
		if se.Name.Local != "link" {
			continue
		}
		var rel, href string
		for _, a := range se.Attr {
			switch a.Name.Local {
			case "rel":
				rel = strings.ToLower(a.Value)
			case "href":
				href = a.Value
			}
		}
		switch {
		case href == "":
		case rel == "hub" && d.Hub == "":
			d.Hub = href
		case rel == "self" && d.Self == "":
			d.Self = href
		}
	}
	return d
}

// discoverJSON reads JSON Feed's hubs (type WebSub) and feed_url.
func discoverJSON(body []byte) HubLinks {
	var f struct {
		FeedURL string `json:"feed_url"`
		Hubs    []struct {
			Type string `json:"type"`
			URL  string `json:"url"`
		} `json:"hubs"`
	}
	if json.Unmarshal(body, &f) != nil {
		return HubLinks{}
	}
	d := HubLinks{Self: f.FeedURL}
	for _, h := range f.Hubs {
		if strings.EqualFold(h.Type, "WebSub") || strings.EqualFold(h.Type, "PubSubHubbub") {
			d.Hub = h.URL
			break
		}
	}
	return d
}

// CheckSignature reports whether an X-Hub-Signature header value
// (method=hex, method one of sha1, sha256, sha384, sha512) is the HMAC of
// body under secret.
func CheckSignature(secret, header string, body []byte) bool {
	method, sig, ok := strings.Cut(strings.TrimSpace(header), "=")
	if !ok {
		return false
	}
	var h func() hash.Hash
	switch strings.ToLower(method) {
	case "sha1":
		h = sha1.New
	case "sha256":
		h = sha256.New
	case "sha384":
		h = sha512.New384
	case "sha512":
		h = sha512.New
	default:
		return false
	}
	want, err := hex.DecodeString(sig)
	if err != nil {
		return false
	}
	m := hmac.New(h, []byte(secret))
	m.Write(body)
	return hmac.Equal(m.Sum(nil), want)
}

// SubscriberOptions configure a Subscriber.
type SubscriberOptions struct {
	Store hub.SubscriptionStore // required

	// UserAgent is sent to hubs; empty means DefaultUserAgent.
	UserAgent string

	// HTTP sends subscription requests to hubs; nil: a client with a 30 s
	// timeout.
	HTTP *http.Client

	// CallbackBase is {base_url}/websub/: each subscription's callback is
	// CallbackBase + source id + "/" + a random token.
	CallbackBase string

	// Ingest stores what a hub pushed for src, as a fetch of src would
	// (same parsing, attribution, dedup, charset handling). Required.
	Ingest func(ctx context.Context, src hub.Source, body []byte, contentType, feedURL string) error

	// RenewBefore is how long before its lease ends a subscription is
	// renewed: zero means a tenth of the lease, at least an hour.
	RenewBefore time.Duration

	Now    func() time.Time // nil: time.Now
	Logger *slog.Logger     // nil: slog.Default()
}

// Subscriber is yizhan as a WebSub subscriber: it subscribes feed sources
// whose upstream advertises a hub, answers the hubs' verifications of
// intent for the subscriptions it asked for only, and ingests pushed
// content whose signature checks. Polling goes on regardless, as a safety
// net. It is safe for concurrent use.
type Subscriber struct {
	opts SubscriberOptions
	log  *slog.Logger
	now  func() time.Time

	sources atomic.Pointer[map[string]hub.Source] // the configured sources, by id

	mu       sync.Mutex
	seen     map[string]HubLinks // what the last fetch of each source read of WebSub (Observe)
	wake     chan struct{}       // a hub was seen that may want a subscription
	received atomic.Int64        // pushes ingested
	dropped  atomic.Int64        // pushes refused (signature, unknown)
}

// NewSubscriber returns a Subscriber.
func NewSubscriber(opts SubscriberOptions) *Subscriber {
	if opts.Store == nil || opts.Ingest == nil {
		panic("sources: NewSubscriber without a Store or Ingest")
	}
	if opts.UserAgent == "" {
		opts.UserAgent = DefaultUserAgent
	}
	if opts.HTTP == nil {
		opts.HTTP = &http.Client{Timeout: 30 * time.Second}
	}
	s := &Subscriber{opts: opts, log: opts.Logger, now: opts.Now, seen: map[string]HubLinks{}, wake: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	empty := map[string]hub.Source{}
	s.sources.Store(&empty)
	return s
}

// Observe records what a fetch of src read of WebSub (the fetcher's
// Options.OnFeed): Sync subscribes to the hubs it names, so discovery
// costs no request of its own. A hub not seen before wakes Run.
func (s *Subscriber) Observe(src hub.Source, d HubLinks) {
	s.mu.Lock()
	old, known := s.seen[src.ID]
	s.seen[src.ID] = d
	s.mu.Unlock()
	if d.Hub != "" && (!known || old != d) {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}

// Counts returns how many pushes were ingested and dropped.
func (s *Subscriber) Counts() (received, dropped int64) { return s.received.Load(), s.dropped.Load() }

// Sync brings the upstream subscriptions in line with srcs: every enabled
// feed source not in off whose upstream advertises a hub is subscribed (or
// renewed RenewBefore its lease ends); the subscriptions of sources no
// longer wanted are ended. Failures are logged and retried at a later
// Sync; the error is the store's only.
func (s *Subscriber) Sync(ctx context.Context, srcs []hub.Source, off map[string]bool) error {
	wanted := make(map[string]hub.Source, len(srcs))
	for _, src := range srcs {
		if src.Enabled && src.Kind == hub.KindFeed && !off[src.ID] {
			wanted[src.ID] = src
		}
	}
	s.sources.Store(&wanted)
	ups, err := s.opts.Store.Upstreams(ctx)
	if err != nil {
		return fmt.Errorf("websub sync: %w", err)
	}
	now := s.now()
	have := make(map[string]hub.UpstreamSubscription, len(ups))
	for _, u := range ups {
		have[u.SourceID] = u
		if _, ok := wanted[u.SourceID]; ok {
			continue
		}
		if u.State == hub.UpstreamUnsubscribing && now.Sub(u.Requested) < webSubRetry {
			continue
		}
		s.unsubscribe(ctx, u)
	}
	for _, src := range srcs {
		if _, ok := wanted[src.ID]; !ok || ctx.Err() != nil {
			continue
		}
		s.mu.Lock()
		d, fetched := s.seen[src.ID]
		s.mu.Unlock()
		u, ok := have[src.ID]
		switch {
		case !fetched:
			continue // not fetched since the start: nothing known of its hub
		case d.Hub == "":
			if ok && u.State != hub.UpstreamUnsubscribing {
				s.unsubscribe(ctx, u) // the upstream stopped advertising one
			}
			continue
		case ok && u.State == hub.UpstreamActive && u.Hub == d.Hub && u.Expires.Sub(now) > s.renewBefore(u):
			continue
		case ok && u.State != hub.UpstreamActive && u.Hub == d.Hub && now.Sub(u.Requested) < webSubRetry:
			continue // waiting for the hub, or for the retry of a failure
		}
		s.subscribe(ctx, src, d, u)
	}
	return nil
}

func (s *Subscriber) renewBefore(u hub.UpstreamSubscription) time.Duration {
	if s.opts.RenewBefore > 0 {
		return s.opts.RenewBefore
	}
	lease := u.Expires.Sub(u.Requested)
	return max(lease/10, time.Hour)
}

// subscribe asks the hub d names for a subscription of src; prev is the
// source's present subscription, if any.
func (s *Subscriber) subscribe(ctx context.Context, src hub.Source, d HubLinks, prev hub.UpstreamSubscription) {
	log := s.log.With("source", src.ID)
	if d.Self == "" {
		d.Self = src.URL
	}
	u := hub.UpstreamSubscription{
		SourceID:  src.ID,
		Hub:       d.Hub,
		Topic:     d.Self,
		Callback:  strings.TrimSuffix(s.opts.CallbackBase, "/") + "/" + src.ID + "/" + token(12),
		Secret:    token(32),
		State:     hub.UpstreamRequested,
		Requested: s.now(),
	}
	if prev.State == hub.UpstreamActive && prev.Hub == u.Hub && prev.Topic == u.Topic {
		// A renewal keeps the callback and secret: pushes in flight still check.
		u.Callback, u.Secret, u.Expires = prev.Callback, prev.Secret, prev.Expires
		u.State = hub.UpstreamActive
	}
	// Stored before asking: the hub may verify before it answers.
	if err := s.opts.Store.SaveUpstream(ctx, u); err != nil {
		log.Warn("websub subscribe", "err", err)
		return
	}
	if err := s.request(ctx, u, "subscribe"); err != nil {
		u.LastError = err.Error()
		if err := s.opts.Store.SaveUpstream(ctx, u); err != nil {
			log.Warn("websub subscribe", "err", err)
		}
		log.Info("websub subscription request failed", "url", u.Hub, "err", u.LastError)
		return
	}
	log.Info("websub subscription requested", "url", u.Hub, "topic", u.Topic)
}

// unsubscribe asks the hub to end u; the verification removes it. A hub
// that cannot be asked is forgotten.
func (s *Subscriber) unsubscribe(ctx context.Context, u hub.UpstreamSubscription) {
	log := s.log.With("source", u.SourceID)
	u.State, u.Requested = hub.UpstreamUnsubscribing, s.now()
	if err := s.opts.Store.SaveUpstream(ctx, u); err != nil {
		log.Warn("websub unsubscribe", "err", err)
		return
	}
	if err := s.request(ctx, u, "unsubscribe"); err != nil {
		log.Info("websub unsubscription request failed; forgetting the subscription", "url", u.Hub, "err", err)
		if err := s.opts.Store.DeleteUpstream(ctx, u.SourceID); err != nil {
			log.Warn("websub unsubscribe", "err", err)
		}
		return
	}
	log.Info("websub unsubscription requested", "url", u.Hub)
}

// request POSTs a subscription request to u's hub.
func (s *Subscriber) request(ctx context.Context, u hub.UpstreamSubscription, mode string) error {
	form := url.Values{"hub.mode": {mode}, "hub.topic": {u.Topic}, "hub.callback": {u.Callback}}
	if mode == "subscribe" {
		form.Set("hub.secret", u.Secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.Hub, strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", s.opts.UserAgent)
	resp, err := s.opts.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s: HTTP %d %s", u.Hub, resp.StatusCode, strings.TrimSpace(string(msg)))
	}
	return nil
}

func token(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ServeHTTP answers at the callbacks (/websub/{source}/{token}): a hub's
// GET verifying intent is answered with the challenge only for a
// subscription yizhan asked for, at that callback and topic; a POST is
// ingested when its signature checks, and dropped otherwise.
func (s *Subscriber) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, _ := strings.CutPrefix(r.URL.Path, "/websub/")
	id, _, _ := strings.Cut(rest, "/")
	u, err := s.opts.Store.Upstream(r.Context(), id)
	if errors.Is(err, hub.ErrNotFound) || err == nil && !sameCallback(u.Callback, r.URL.Path) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		s.log.Error("websub callback", "source", id, "err", err)
		http.Error(w, "500 internal server error", http.StatusInternalServerError)
		return
	}
	switch r.Method {
	case http.MethodGet:
		s.verify(w, r, u)
	case http.MethodPost:
		s.push(w, r, u)
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "405 method not allowed", http.StatusMethodNotAllowed)
	}
}

func sameCallback(callback, path string) bool {
	u, err := url.Parse(callback)
	return err == nil && u.Path == path
}

func (s *Subscriber) verify(w http.ResponseWriter, r *http.Request, u hub.UpstreamSubscription) {
	q := r.URL.Query()
	log := s.log.With("source", u.SourceID, "url", u.Hub)
	mode, topic, challenge := q.Get("hub.mode"), q.Get("hub.topic"), q.Get("hub.challenge")
	if topic != u.Topic {
		http.NotFound(w, r)
		return
	}
	now := s.now()
	switch {
	case mode == "denied":
		u.LastError = "denied by the hub: " + q.Get("hub.reason")
		if u.State != hub.UpstreamActive {
			u.Requested = now // retried after webSubRetry
		}
		if err := s.opts.Store.SaveUpstream(r.Context(), u); err != nil {
			log.Warn("websub denied", "err", err)
		}
		log.Info("websub subscription denied", "err", u.LastError)
		w.WriteHeader(http.StatusOK)
		return
	case challenge == "":
		http.Error(w, "400 bad request: no hub.challenge", http.StatusBadRequest)
		return
	case mode == "subscribe" && (u.State == hub.UpstreamRequested || u.State == hub.UpstreamActive):
		lease, err := strconv.Atoi(q.Get("hub.lease_seconds"))
		if err != nil || lease <= 0 {
			http.Error(w, "400 bad request: no hub.lease_seconds", http.StatusBadRequest)
			return
		}
		u.State, u.Requested, u.Expires, u.LastError = hub.UpstreamActive, now, now.Add(time.Duration(lease)*time.Second), ""
		if err := s.opts.Store.SaveUpstream(r.Context(), u); err != nil {
			log.Warn("websub verify", "err", err)
			http.Error(w, "500 internal server error", http.StatusInternalServerError)
			return
		}
		log.Info("websub subscribed", "topic", u.Topic, "lease", strconv.Itoa(lease)+"s")
	case mode == "unsubscribe" && u.State == hub.UpstreamUnsubscribing:
		if err := s.opts.Store.DeleteUpstream(r.Context(), u.SourceID); err != nil {
			log.Warn("websub verify", "err", err)
			http.Error(w, "500 internal server error", http.StatusInternalServerError)
			return
		}
		log.Info("websub unsubscribed", "topic", u.Topic)
	default:
		http.NotFound(w, r) // not what we asked for
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, challenge)
}

func (s *Subscriber) push(w http.ResponseWriter, r *http.Request, u hub.UpstreamSubscription) {
	log := s.log.With("source", u.SourceID, "url", u.Hub)
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPushBytes))
	if err != nil {
		s.dropped.Add(1)
		http.Error(w, "413 content too large", http.StatusRequestEntityTooLarge)
		return
	}
	src, known := (*s.sources.Load())[u.SourceID]
	if u.State != hub.UpstreamActive || !known || !CheckSignature(u.Secret, r.Header.Get("X-Hub-Signature"), body) {
		// Acknowledged all the same (the Recommendation allows it), so a
		// forger learns nothing; the content is ignored.
		s.dropped.Add(1)
		log.Warn("websub push dropped: not signed with our secret, or not subscribed")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	feedURL := u.Topic
	for _, l := range parseLinks(r.Header.Values("Link")) {
		if l.rel["self"] {
			feedURL = l.href
		}
	}
	if err := s.opts.Ingest(r.Context(), src, body, r.Header.Get("Content-Type"), feedURL); err != nil {
		log.Warn("websub push not stored", "err", err)
		http.Error(w, "503 service unavailable: try again", http.StatusServiceUnavailable)
		return
	}
	s.received.Add(1)
	w.WriteHeader(http.StatusAccepted)
}

// Run calls Sync with what current returns every interval, and when a
// fetch saw a new hub, until ctx ends.
func (s *Subscriber) Run(ctx context.Context, current func() ([]hub.Source, map[string]bool), interval time.Duration) {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		srcs, off := current()
		if err := s.Sync(ctx, srcs, off); err != nil && ctx.Err() == nil {
			s.log.Warn("websub sync", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		case <-s.wake:
		}
	}
}

// ReadPush is what a fetch of src makes of a feed body its hub pushed
// (ReadFeed: the same parsing, attribution, dedup of what is stored, and
// charset handling), leaving the state of polling as it was: the
// validators, the last body's hash and item record, and the count of items
// the upstream lists, by which a fetch that lost its items is judged. A
// push often carries the new items only.
func ReadPush(body []byte, contentType, feedURL string, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	res, err := ReadFeed(body, contentType, feedURL, src, prev)
	if err != nil {
		return hub.FetchResult{}, err
	}
	res.ETag, res.LastModified = prev.ETag, prev.LastModified
	res.BodyHash, res.ItemHashes = "", prev.ItemHashes
	res.Listed = max(res.Listed, len(res.Items)+res.Unchanged, prev.LastCount)
	return res, nil
}
