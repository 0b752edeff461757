package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"

	"github.com/yizhan-hub/yizhan/hub"
)

// Defaults for the zero values of hub.HTMLRules. The configuration normally
// fills them in; these keep a hand-built Source working and bounded.
const (
	DefaultMaxArticles = 20 // article pages fetched per run
	maxListingPages    = 100
)

// HTMLRuleProblem is one problem of a source's [source.html] rules: the
// key (links, next, title, …) and what is wrong with its value.
type HTMLRuleProblem struct {
	Key string
	Err error
}

// HTMLRuleProblems returns the problems of rules: no links selector, and
// each selector that does not compile. The configuration reports them by
// key and line; CheckHTMLRules joins them.
func HTMLRuleProblems(r *hub.HTMLRules) []HTMLRuleProblem {
	var out []HTMLRuleProblem
	if strings.TrimSpace(r.Links) == "" {
		out = append(out, HTMLRuleProblem{"links", fmt.Errorf("required for kind = %q", hub.KindHTML)})
	}
	for _, s := range []struct{ key, sel string }{
		{"links", r.Links}, {"next", r.Next}, {"title", r.Title}, {"date", r.Date},
		{"body", r.Body}, {"credit", r.Credit}, {"author", r.Author},
	} {
		if s.sel == "" {
			continue
		}
		if _, err := cascadia.ParseGroup(s.sel); err != nil {
			out = append(out, HTMLRuleProblem{s.key, fmt.Errorf("bad CSS selector %q: %w", s.sel, err)})
		}
	}
	return out
}

// CheckHTMLRules reports the problems of rules (HTMLRuleProblems), so that
// an operator learns of a typo instead of getting the heuristics silently.
func CheckHTMLRules(r *hub.HTMLRules) error {
	if r == nil {
		return errors.New("no [source.html] rules")
	}
	var errs []error
	for _, p := range HTMLRuleProblems(r) {
		errs = append(errs, fmt.Errorf("html.%s: %w", p.Key, p.Err))
	}
	return errors.Join(errs...)
}

// fetchHTML fetches an HTML source: the listing page at src.URL (and its
// next pages, up to MaxPages), the article links on it that are not stored
// yet (all of them with Refetch), at most MaxArticles of those, one request
// at a time with Delay between two requests to a host. Each article becomes
// an item by ExtractArticle and Attribute, its continuation pages appended
// (see followPages). An article that cannot be fetched or read is skipped and
// reported in Skipped, as is a continuation page that fails (the article is
// then stored as far as it was read, or, when the failure may pass, not
// stored, to be read whole by the next run); when every article fails, the
// fetch fails. A 304 for the listing means nothing new.
//
// The listing's validators and body hash are returned only after a complete
// run (every new article fetched and read, none left over by the cap), so
// that a capped or partly failed run lists again next time instead of being
// answered 304 and forgetting what it left behind.
func (f *Fetcher) fetchHTML(ctx context.Context, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	if err := CheckHTMLRules(src.HTML); err != nil {
		return hub.FetchResult{}, err
	}
	rules := *src.HTML
	if rules.MaxPages <= 0 {
		rules.MaxPages = 1
	}
	rules.MaxPages = min(rules.MaxPages, maxListingPages)
	if rules.MaxArticles <= 0 {
		rules.MaxArticles = DefaultMaxArticles
	}
	loc := src.Timezone
	if loc == nil {
		loc = time.UTC
	}
	// One gate per run keeps this run polite. A gate shared by every
	// run of the Fetcher would keep sources on one host apart too.
	gate := &f.hosts
	get := func(req Request) (*Response, error) { return gate.get(ctx, f.client, req, rules.Delay) }

	resp, res, hash, err := getStart(get, src, prev, rules.Refetch)
	if err != nil {
		return hub.FetchResult{}, fmt.Errorf("listing: %w", err)
	}
	if res.NotModified {
		return res, nil
	}

	// The listing and its next pages.
	var (
		links   []string
		seen    = map[string]bool{}
		skipped []error
		visited = map[string]bool{}
	)
	page := resp
	for n := 1; ; n++ {
		visited[page.URL] = true
		found, next, err := listingLinks(page, &rules, src.Encoding)
		if err != nil {
			if n == 1 {
				return hub.FetchResult{}, fmt.Errorf("listing: %w", err)
			}
			skipped = append(skipped, fmt.Errorf("listing page %d: %w", n, err))
			break
		}
		for _, l := range found {
			if !seen[l] {
				seen[l] = true
				links = append(links, l)
			}
		}
		if next == "" || visited[next] || n >= rules.MaxPages {
			break
		}
		if page, err = get(Request{URL: next}); err != nil {
			if ctx.Err() != nil {
				return hub.FetchResult{}, ctx.Err()
			}
			skipped = append(skipped, fmt.Errorf("listing page %d: %w", n+1, err))
			break
		}
	}
	if len(links) == 0 {
		return hub.FetchResult{}, fmt.Errorf("listing: html.links %q selects no article links on %s", rules.Links, resp.URL)
	}

	links = dropContinuations(links)
	res.Listed = len(links)
	items, more, capped, err := f.readArticles(ctx, get, links, nil, &rules, src, loc)
	if err != nil {
		return hub.FetchResult{}, err
	}
	res.Items = items
	skipped = append(skipped, more...)
	res.Skipped = skipped
	if !capped && len(skipped) == 0 && !rules.Refetch {
		res.ETag = resp.Header.Get("ETag")
		res.LastModified = resp.Header.Get("Last-Modified")
		res.BodyHash = hash
	}
	return res, nil
}

// readArticles reads the article pages at links that the source has not
// stored yet (all of them with Refetch), at most MaxArticles of them (capped
// says some were left for the next run), through get. An article that
// cannot be fetched or read is skipped and reported; when every one of
// links was new and every article failed, the whole read fails. dates, when
// not nil, gives a publication time for an article whose page shows none
// (a sitemap's news:publication_date).
func (f *Fetcher) readArticles(ctx context.Context, get func(Request) (*Response, error), links []string,
	dates map[string]time.Time, rules *hub.HTMLRules, src hub.Source, loc *time.Location) (items []hub.Item, skipped []error, capped bool, err error) {
	todo := links
	if !rules.Refetch {
		known, err := f.known.KnownURLs(ctx, src.ID, links)
		if err != nil {
			return nil, nil, false, fmt.Errorf("known urls: %w", err)
		}
		todo = todo[:0:0]
		for _, l := range links {
			if !known[l] {
				todo = append(todo, l)
			}
		}
	}
	// Only a listing whose every link failed is a failed fetch: links already
	// stored count as read, so one broken new link beside them is skipped.
	noneKnown := len(todo) == len(links)
	capped = len(todo) > rules.MaxArticles
	if capped {
		todo = todo[:rules.MaxArticles]
	}

	for _, link := range todo {
		if err := ctx.Err(); err != nil {
			return nil, nil, false, err
		}
		it, pageErr, err := f.fetchArticle(ctx, get, link, rules, src, loc)
		if err != nil {
			if ctx.Err() != nil {
				return nil, nil, false, ctx.Err()
			}
			if !strings.Contains(err.Error(), link) {
				err = fmt.Errorf("%s: %w", link, err)
			}
			skipped = append(skipped, fmt.Errorf("article %w", err))
			continue
		}
		if pageErr != nil {
			if ctx.Err() != nil {
				return nil, nil, false, ctx.Err()
			}
			skipped = append(skipped, fmt.Errorf("article %w", pageErr))
			if errors.Is(pageErr, errPageLater) {
				continue // stored whole by a later run, not cut short now
			}
		}
		if it.Published.IsZero() {
			it.Published = dates[link]
		}
		items = append(items, it)
	}
	if noneKnown && len(todo) > 0 && len(items) == 0 {
		return nil, nil, false, fmt.Errorf("every article page failed (%d): %w", len(todo), errors.Join(skipped...))
	}
	return items, skipped, capped, nil
}

// fetchArticle fetches and reads one article, following its continuation
// pages (see followPages). A continuation page that fails is returned as
// pageErr beside the article read so far, to be reported.
func (f *Fetcher) fetchArticle(ctx context.Context, get func(Request) (*Response, error), link string, rules *hub.HTMLRules, src hub.Source, loc *time.Location) (it hub.Item, pageErr, err error) {
	resp, err := get(Request{URL: link})
	if err != nil {
		return hub.Item{}, nil, err
	}
	doc, final, err := readPage(resp, src.Encoding)
	if err != nil {
		return hub.Item{}, nil, err
	}
	// Found before extraction, which takes the pager out of the body.
	next := continuationLinks(doc, final, final)
	it, err = extractArticle(doc, final, rules, loc, true)
	if err != nil {
		return hub.Item{}, nil, err
	}
	// The listing's link, not where it redirected to, is what the store
	// is asked about next time.
	it.URL = link
	Attribute(&it, src)
	pageErr = followPages(ctx, get, &it, final, next, rules, src.Encoding, loc)
	return it, pageErr, nil
}

// readPage decodes and parses a fetched article page, and returns it with
// its final URL.
func readPage(resp *Response, encoding string) (*goquery.Document, *url.URL, error) {
	if ct := resp.Header.Get("Content-Type"); !htmlType(ct) {
		return nil, nil, fmt.Errorf("not an HTML page: %s", ct)
	}
	return parsePage(resp, encoding)
}

// parsePage decodes and parses a fetched HTML page, whatever its
// Content-Type says, and returns it with its final URL.
func parsePage(resp *Response, encoding string) (*goquery.Document, *url.URL, error) {
	body, err := DecodeHTML(resp.Body, resp.Header.Get("Content-Type"), encoding)
	if err != nil {
		return nil, nil, err
	}
	final, err := url.Parse(resp.URL)
	if err != nil {
		return nil, nil, err
	}
	root, err := html.Parse(bytes.NewReader(body))
	if err != nil {
		return nil, nil, fmt.Errorf("parse html: %w", err)
	}
	return goquery.NewDocumentFromNode(root), final, nil
}

// htmlType reports whether a Content-Type may be an HTML page: text/html,
// XHTML, or nothing at all (many portals send none); not a PDF or an image
// a listing links to.
func htmlType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return strings.TrimSpace(ct) == "" || strings.Contains(strings.ToLower(ct), "html")
	}
	return mt == "text/html" || mt == "application/xhtml+xml" || mt == "text/plain" || mt == "application/octet-stream"
}

// listingLinks reads a listing page: the absolute URLs of the links rules
// select, in page order, without fragments, duplicates or non-HTTP links,
// and the next page's URL, if rules name one and the page has it.
func listingLinks(resp *Response, rules *hub.HTMLRules, encoding string) (links []string, next string, err error) {
	doc, base, err := parsePage(resp, encoding)
	if err != nil {
		return nil, "", err
	}
	links, next = selectLinks(doc, base, rules.Links, rules.Next)
	return links, next, nil
}

// selectLinks returns the links that sel picks on a parsed listing page
// (the <a> elements it selects, or those inside the elements it selects)
// and the first link nextSel picks.
func selectLinks(doc *goquery.Document, pageURL *url.URL, sel, nextSel string) (links []string, next string) {
	base := documentBase(doc, pageURL)
	seen := map[string]bool{}
	doc.Find(sel).Each(func(_ int, s *goquery.Selection) {
		if !s.Is("a[href]") {
			s = s.Find("a[href]")
		}
		s.Each(func(_ int, a *goquery.Selection) {
			if u := pageLink(base, a.AttrOr("href", "")); u != "" && !seen[u] {
				seen[u] = true
				links = append(links, u)
			}
		})
	})
	if nextSel != "" {
		doc.Find(nextSel).EachWithBreak(func(_ int, s *goquery.Selection) bool {
			if !s.Is("a[href]") {
				s = s.Find("a[href]").First()
			}
			next = pageLink(base, s.AttrOr("href", ""))
			return next == ""
		})
	}
	return links, next
}

// hostGate keeps requests polite: one at a time to a host, and a pause
// between the end of one and the start of the next. Its zero value is ready
// to use; it is safe for concurrent use.
type hostGate struct {
	mu    sync.Mutex
	hosts map[string]*hostSlot
}

type hostSlot struct {
	busy chan struct{} // holds a token while a request is in flight
	next time.Time     // earliest start of the next request; guarded by busy
}

// get performs req through c once the host of req.URL is free and has
// rested, and makes the next request to it wait delay after this one ends.
func (g *hostGate) get(ctx context.Context, c *Client, req Request, delay time.Duration) (*Response, error) {
	u, err := url.Parse(req.URL)
	if err != nil {
		return nil, err
	}
	release, err := g.acquire(ctx, strings.ToLower(u.Host))
	if err != nil {
		return nil, err
	}
	defer release(delay)
	return c.Get(ctx, req)
}

// acquire waits until host is free and rested; release frees it, asking
// the next request to wait delay.
func (g *hostGate) acquire(ctx context.Context, host string) (release func(delay time.Duration), err error) {
	g.mu.Lock()
	if g.hosts == nil {
		g.hosts = map[string]*hostSlot{}
	}
	slot := g.hosts[host]
	if slot == nil {
		slot = &hostSlot{busy: make(chan struct{}, 1)}
		g.hosts[host] = slot
	}
	g.mu.Unlock()

	select {
	case slot.busy <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if wait := time.Until(slot.next); wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			<-slot.busy
			return nil, ctx.Err()
		}
	}
	return func(delay time.Duration) {
		slot.next = time.Now().Add(delay)
		<-slot.busy
	}, nil
}
