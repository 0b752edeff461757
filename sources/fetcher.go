package sources

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/yizhan-hub/yizhan/hub"
)

// KnownURLs reports which of urls a source has already stored as item URLs.
// hub.Store satisfies it.
type KnownURLs interface {
	// KnownURLs returns the subset of urls already stored for the source; an
	// error means nothing is known.
	KnownURLs(ctx context.Context, sourceID string, urls []string) (map[string]bool, error)
}

// Options configure a Fetcher.
type Options struct {
	Client *Client   // nil: NewClient(ClientOptions{})
	Known  KnownURLs // nil: nothing is known

	// OnFeed, when not nil, is told what each fetch of a feed source read
	// of WebSub (DiscoverHub: Link headers, and the body of a 200), so
	// that the Subscriber needs no request of its own. A 304 tells only
	// what its headers name.
	OnFeed func(src hub.Source, d HubLinks)
}

// Fetcher fetches sources of every kind and turns what they hold into
// attributed, sanitized hub.Items. It is safe for concurrent use.
type Fetcher struct {
	client *Client
	known  KnownURLs
	hosts  hostGate // politeness across every HTML source on one host
	onFeed func(hub.Source, HubLinks)
}

var _ hub.Fetcher = (*Fetcher)(nil)

// New returns a Fetcher.
func New(opts Options) *Fetcher {
	f := &Fetcher{client: opts.Client, known: opts.Known, onFeed: opts.OnFeed}
	if f.client == nil {
		f.client = NewClient(ClientOptions{})
	}
	if f.known == nil {
		f.known = noneKnown{}
	}
	return f
}

// Fetch fetches src once, from prev.URL when an earlier fetch learnt of a
// permanent redirect, sending prev's validators. Errors read
// "fetch SOURCE-ID: …".
func (f *Fetcher) Fetch(ctx context.Context, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	var (
		res hub.FetchResult
		err error
	)
	switch src.Kind {
	case hub.KindFeed:
		res, err = f.fetchFeed(ctx, src, prev)
	case hub.KindHTML:
		res, err = f.fetchHTML(ctx, src, prev)
	case hub.KindSitemap:
		res, err = f.fetchSitemap(ctx, src, prev)
	default:
		err = fmt.Errorf("unknown source kind %q", src.Kind)
	}
	if err != nil {
		return hub.FetchResult{}, fmt.Errorf("fetch %s: %w", src.ID, err)
	}
	return res, nil
}

// getStart fetches the page a source of article links starts from (an html
// source's listing, a sitemap), conditionally unless refetch. res holds
// what the response says of the source, and is the whole result,
// NotModified, when the upstream answered 304 or sent the very bytes of
// the last complete run; hash is the body's, which the result records once
// a run is complete.
func getStart(get func(Request) (*Response, error), src hub.Source, prev hub.FetchState, refetch bool) (resp *Response, res hub.FetchResult, hash string, err error) {
	req := Request{URL: sourceURL(src, prev)}
	if !refetch {
		req.ETag, req.LastModified = prev.ETag, prev.LastModified
	}
	if resp, err = get(req); err != nil {
		return nil, res, "", err
	}
	res = hub.FetchResult{MovedTo: resp.MovedTo, MinInterval: resp.MaxAge}
	sum := sha256.Sum256(resp.Body)
	hash = hex.EncodeToString(sum[:])
	if resp.NotModified || hash == prev.BodyHash && !refetch {
		res.NotModified = true
		res.ETag, res.LastModified, res.BodyHash = prev.ETag, prev.LastModified, prev.BodyHash
	}
	return resp, res, hash, nil
}

// sourceURL is where src is fetched from: its remembered new home, if any.
func sourceURL(src hub.Source, prev hub.FetchState) string {
	if prev.URL != "" {
		return prev.URL
	}
	return src.URL
}

type noneKnown struct{}

func (noneKnown) KnownURLs(context.Context, string, []string) (map[string]bool, error) {
	return nil, nil
}
