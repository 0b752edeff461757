package sources

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/mmcdole/gofeed"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/yizhan-hub/yizhan/hub"
)

// ErrNotHTML is returned by Discover for a URL that answers with something
// other than an HTML page or a feed: a PDF, an image, a JSON API.
var ErrNotHTML = errors.New("not an HTML page")

// Discovery is what Discover found on a page.
type Discovery struct {
	URL     string        // the page, after redirects
	Title   string        // the page's <title>
	Feeds   []FoundFeed   // feeds that were fetched and read
	Failed  []FoundFeed   // feeds the page advertises that did not read (Err set)
	Listing *Listing      // when no feed was found: a proposed html source, if the page is a listing
	Sitemap *FoundSitemap // when the URL is an XML sitemap: a sitemap source
}

// FoundSitemap is what Discover read of a URL that is an XML sitemap.
type FoundSitemap struct {
	Index   bool      // a sitemap index
	Entries int       // its URLs, or its sitemaps for an index
	Newest  time.Time // the newest date it gives; zero if none
}

// FoundFeed is a feed a page advertises.
type FoundFeed struct {
	URL    string
	Title  string // the feed's own title
	Format string // "rss", "atom" or "json"
	Items  int    // items the feed lists
	InHead bool   // advertised with <link rel="alternate">, not only linked in the page
	Err    error  // why it did not read, for Discovery.Failed
}

// Listing is a proposed html source for a listing page: the links
// selector and what it reads.
type Listing struct {
	Links    string     // CSS selector, as [source.html] links
	URLs     []string   // the article links it picks, in page order
	Exact    bool       // Links picks the list's links and no link that is not a headline
	Dated    int        // list entries that show a date, in their text or their URL
	Articles []hub.Item // the first articles, read as an html source reads them
	Failed   []error    // those of the first articles that did not read
}

// DiscoverArticles is how many of a proposed listing's articles Discover
// reads.
const DiscoverArticles = 3

// maxFeedCandidates bounds the feeds of one page that Discover fetches.
const maxFeedCandidates = 10

// DiscoverOptions are how Discover reads a page.
type DiscoverOptions struct {
	Encoding string         // charset override, as a source's encoding
	Timezone *time.Location // zone of dates that carry none; nil: UTC
}

// feedTypes are the MIME types of <link rel="alternate"> that name a feed.
var feedTypes = map[string]bool{
	"application/rss+xml": true, "application/atom+xml": true, "application/feed+json": true,
	"application/json": true, "application/rdf+xml": true, "application/xml": true, "text/xml": true,
}

// feedHref matches links in a page's body that look like a feed's address.
var feedHref = regexp.MustCompile(`(?i)(?:\.(?:rss|atom|rdf)$|[./_-](?:rss|atom|feed)\d*(?:\.xml|\.json)?$|/(?:rss|feeds?|atom)(?:/|$)|rss.*\.xml$|feed.*\.(?:xml|json)$|[?&](?:feed|format)=(?:rss|atom|json))`)

// feedText matches the texts of links to feeds.
var feedText = regexp.MustCompile(`(?i)^(?:rss|atom|rss\s*feeds?|feeds?|json\s*feed|订阅|rss\s*订阅|订阅\s*rss)$`)

// Discover reads the page at pageURL: the feeds it advertises (in <link
// rel="alternate">, and links in the page that look like feeds), each
// fetched and read; when none reads, a proposed html source for the page
// as a listing (ProposeListing), with its first DiscoverArticles articles
// read as an html source reads them. A URL that is itself a feed is
// reported as one, and one that is an XML sitemap as a sitemap. Errors:
// the fetch's (a *StatusError for an HTTP error), and ErrNotHTML.
func (f *Fetcher) Discover(ctx context.Context, pageURL string, opts DiscoverOptions) (*Discovery, error) {
	encoding, loc := opts.Encoding, opts.Timezone
	if loc == nil {
		loc = time.UTC
	}
	get := func(req Request) (*Response, error) { return f.hosts.get(ctx, f.client, req, 0) }
	resp, err := get(Request{URL: pageURL})
	if err != nil {
		return nil, err
	}
	d := &Discovery{URL: resp.URL}
	ct := resp.Header.Get("Content-Type")
	if !htmlType(ct) || !looksLikeHTML(resp.Body) && !bytes.Contains(bytes.ToLower(resp.Body[:min(len(resp.Body), 4096)]), []byte("<a ")) {
		if ff := probeFeed(resp, encoding, loc); ff.Err == nil {
			ff.InHead = true
			d.Feeds = append(d.Feeds, ff)
			d.Title = ff.Title
			return d, nil
		}
		if sm, err := readSitemap(resp, encoding, loc); err == nil {
			d.Sitemap = &FoundSitemap{Index: sm.Index, Entries: len(sm.Entries)}
			if e := newestEntries(sm.Entries, 1); len(e) > 0 {
				d.Sitemap.Newest = e[0].Date
			}
			return d, nil
		}
		if !htmlType(ct) {
			return nil, fmt.Errorf("%s is %w (Content-Type %s)", resp.URL, ErrNotHTML, ct)
		}
	}
	doc, base, err := parsePage(resp, encoding)
	if err != nil {
		return nil, err
	}
	d.Title = oneLine(doc.Find("title").First().Text())

	cands := feedCandidates(doc, base)
	for _, c := range cands[:min(len(cands), maxFeedCandidates)] {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fresp, err := get(Request{URL: c.URL})
		if err != nil {
			c.Err = err
			d.Failed = append(d.Failed, c)
			continue
		}
		ff := probeFeed(fresp, "", loc)
		ff.URL, ff.InHead = c.URL, c.InHead
		if ff.Err != nil {
			d.Failed = append(d.Failed, ff)
			continue
		}
		d.Feeds = append(d.Feeds, ff)
	}
	if len(d.Feeds) > 0 {
		return d, nil
	}

	l := ProposeListing(doc, base)
	if l == nil {
		return d, nil
	}
	src := hub.Source{ID: "discover", Name: d.Title, Kind: hub.KindHTML, URL: d.URL, Timezone: loc, Encoding: encoding}
	rules := &hub.HTMLRules{Links: l.Links}
	for _, link := range l.URLs[:min(len(l.URLs), DiscoverArticles)] {
		it, _, err := f.fetchArticle(ctx, get, link, rules, src, loc)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if !strings.Contains(err.Error(), link) {
				err = fmt.Errorf("%s: %w", link, err)
			}
			l.Failed = append(l.Failed, err)
			continue
		}
		l.Articles = append(l.Articles, it)
	}
	d.Listing = l
	return d, nil
}

// feedCandidates returns the feeds a page advertises: <link rel="alternate">
// with a feed type, then links in the page whose address or text says feed,
// absolute, each once.
func feedCandidates(doc *goquery.Document, pageURL *url.URL) []FoundFeed {
	base := documentBase(doc, pageURL)
	var out []FoundFeed
	seen := map[string]bool{}
	add := func(href string, head bool) {
		u := pageLink(base, href)
		if u == "" || seen[u] || u == pageURL.String() {
			return
		}
		seen[u] = true
		out = append(out, FoundFeed{URL: u, InHead: head})
	}
	doc.Find("link[href]").Each(func(_ int, s *goquery.Selection) {
		rels := strings.Fields(strings.ToLower(s.AttrOr("rel", "")))
		if !slices.Contains(rels, "alternate") && !slices.Contains(rels, "feed") {
			return
		}
		mt, _, _ := mime.ParseMediaType(s.AttrOr("type", ""))
		if feedTypes[strings.ToLower(mt)] || mt == "" && feedHref.MatchString(s.AttrOr("href", "")) {
			add(s.AttrOr("href", ""), true)
		}
	})
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		href := strings.TrimSpace(s.AttrOr("href", ""))
		u, err := url.Parse(href)
		if err != nil {
			return
		}
		text := oneLine(s.Text())
		if feedHref.MatchString(u.Path) || feedHref.MatchString("?"+u.RawQuery) || feedText.MatchString(text) ||
			strings.EqualFold(u.Scheme, "feed") {
			add(strings.TrimPrefix(href, "feed:"), false)
		}
	})
	return out
}

// probeFeed reads a fetched body as a feed: its title, format and items.
func probeFeed(resp *Response, encoding string, loc *time.Location) FoundFeed {
	ff := FoundFeed{URL: resp.URL}
	doc, err := DecodeXML(resp.Body, resp.Header.Get("Content-Type"), encoding)
	if err != nil {
		ff.Err = err
		return ff
	}
	kind := gofeed.DetectFeedType(bytes.NewReader(doc[:min(len(doc), 4096)]))
	if kind == gofeed.FeedTypeUnknown {
		ff.Err = fmt.Errorf("%w: %s", ErrNotFeed, resp.Header.Get("Content-Type"))
		return ff
	}
	ff.Format = map[gofeed.FeedType]string{gofeed.FeedTypeRSS: "rss", gofeed.FeedTypeAtom: "atom", gofeed.FeedTypeJSON: "json"}[kind]
	doc, listed, err := boundFeed(doc, kind, loc)
	if err != nil {
		ff.Err = err
		return ff
	}
	feed, err := parseSafely(doc)
	if err != nil {
		ff.Err = fmt.Errorf("parse %s: %w", ff.Format, err)
		return ff
	}
	ff.Title = oneLine(feed.Title)
	ff.Items = max(listed, len(feed.Items))
	return ff
}

// Reading a listing.

// minListLinks is the fewest article links a proposed listing has.
const minListLinks = 4

// datedURL matches the dates article URLs carry: /2026/0409/, t20260409_,
// /2025/08-08/, /20260916/.
var datedURL = regexp.MustCompile(`(?:^|[/_t-])20\d{2}[-/_]?[01]\d[-/_]?[0-3]\d(?:[/_.-]|$)|/20\d{2}/[01]\d-[0-3]\d/|/20\d{2}[01]\d/`)

// listLink is a headline link of a page, the list entry it heads (its
// highest ancestor holding no other headline) and the group it belongs to.
type listLink struct {
	a, item *html.Node
	url     string
	text    string
	key     string
}

// ProposeListing reads a page as a listing, the way an html source's
// operator would: it finds the page's headline links (texts long enough
// for a headline, outside navigation, headers, footers, sidebars, hot
// lists and hidden elements), groups them by where they repeat (the same
// markup path to the same kind of list), takes the group with the most
// headline text — more when its entries show dates and point into the
// site — and writes the simplest CSS selector that picks its links. It
// returns nil for a page without such a group.
func ProposeListing(doc *goquery.Document, pageURL *url.URL) *Listing {
	base := documentBase(doc, pageURL)
	var links []*listLink
	heads := map[*html.Node]int{} // element → headline links under it
	doc.Find("body a[href]").Each(func(_ int, s *goquery.Selection) {
		a := s.Get(0)
		u := pageLink(base, s.AttrOr("href", ""))
		if u == "" || hiddenIn(a) || inFurniture(a.Parent) {
			return
		}
		text := oneLine(nodeText(a))
		if !headlineText(text) {
			return
		}
		links = append(links, &listLink{a: a, url: u, text: text})
		for p := a; p != nil; p = p.Parent {
			heads[p]++
		}
	})
	groups := map[string][]*listLink{}
	var order []string
	for _, l := range links {
		l.item = l.a
		for p := l.a.Parent; p != nil && p.DataAtom != atom.Body && heads[p] == 1; p = p.Parent {
			l.item = p
		}
		if l.item.Parent == nil {
			continue
		}
		l.key = containerPath(l.item.Parent) + " | " + innerSelector(l.item, l.a, false)
		if groups[l.key] == nil {
			order = append(order, l.key)
		}
		groups[l.key] = append(groups[l.key], l)
	}

	var (
		best      []*listLink
		bestScore float64
	)
	for _, k := range order {
		g := groups[k]
		if s := groupScore(g, pageURL); s > bestScore {
			best, bestScore = g, s
		}
	}
	if best == nil {
		return nil
	}
	want := make([]string, 0, len(best))
	seen := map[string]bool{}
	dated := 0
	for _, l := range best {
		if !seen[l.url] {
			seen[l.url] = true
			want = append(want, l.url)
		}
		if entryDated(l) {
			dated++
		}
	}
	headlines := map[string]bool{}
	for _, l := range links {
		headlines[l.url] = true
	}
	sel, exact := writeSelector(doc, base, best, want, headlines)
	if !exact {
		if narrow, ok := narrowByPath(doc, base, sel, want, headlines); ok {
			sel, exact = narrow, true
		}
	}
	got, _ := selectLinks(doc, pageURL, sel, "")
	if len(got) == 0 {
		return nil
	}
	return &Listing{Links: sel, URLs: got, Exact: exact, Dated: dated}
}

// pathWord matches a path segment that a selector may quote as it is.
var pathWord = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

// narrowByPath narrows a selector that picks links beyond the page's
// headlines (a column's link among the articles) by the first segments of
// the articles' paths, when they are few and no other link shares them:
// "li > a" becomes `li > a[href*="/n1/"], li > a[href*="/n2/"]`.
func narrowByPath(doc *goquery.Document, base *url.URL, sel string, want []string, headlines map[string]bool) (string, bool) {
	var segs []string
	for _, w := range want {
		u, err := url.Parse(w)
		if err != nil {
			return "", false
		}
		rest := strings.TrimPrefix(u.EscapedPath(), "/")
		i := strings.IndexByte(rest, '/')
		if i <= 0 || !pathWord.MatchString(rest[:i]) {
			return "", false
		}
		if seg := "/" + rest[:i] + "/"; !slices.Contains(segs, seg) {
			segs = append(segs, seg)
		}
	}
	if len(segs) == 0 || len(segs) > 3 {
		return "", false
	}
	parts := make([]string, len(segs))
	for i, seg := range segs {
		parts[i] = sel + `[href*="` + seg + `"]`
	}
	narrow := strings.Join(parts, ", ")
	got, _ := selectLinks(doc, base, narrow, "")
	gotSet := map[string]bool{}
	for _, u := range got {
		if !headlines[u] {
			return "", false
		}
		gotSet[u] = true
	}
	if slices.ContainsFunc(want, func(u string) bool { return !gotSet[u] }) {
		return "", false
	}
	return narrow, true
}

// headlineText reports whether a link's text may be a headline: six
// characters or more, not a "more" link.
func headlineText(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < 6 {
		return false
	}
	return !moreLink.MatchString(s)
}

var moreLink = regexp.MustCompile(`(?i)^(?:更多|查看更多|more|阅读全文|详细|详情|下一页|上一页|首页|尾页|返回).{0,4}$`)

// groupScore weighs a group of links as the page's listing: its distinct
// links times their mean headline length, up to twice as much when every
// entry shows a date, less for links off the site.
func groupScore(g []*listLink, pageURL *url.URL) float64 {
	urls := map[string]bool{}
	chars, dated, onSite := 0, 0, 0
	for _, l := range g {
		if urls[l.url] {
			continue
		}
		urls[l.url] = true
		chars += min(utf8.RuneCountInString(l.text), 40)
		if entryDated(l) {
			dated++
		}
		if u, err := url.Parse(l.url); err == nil && sameSite(u.Hostname(), pageURL.Hostname()) {
			onSite++
		}
	}
	n := len(urls)
	if n < minListLinks {
		return 0
	}
	return float64(chars) * (1 + float64(dated)/float64(n)) * (0.5 + 0.5*float64(onSite)/float64(n))
}

// entryDated reports whether a list entry shows a date: in its text
// (beside the headline) or in its link.
func entryDated(l *listLink) bool {
	if datedURL.MatchString(l.url) {
		return true
	}
	_, ok := FindTime(oneLine(nodeText(l.item)), time.UTC)
	return ok
}

// containerPath names the element that holds a list's entries by its own
// tag and classes and those of its ancestors up to the nearest with an id
// (at most four): lists of one kind in several blocks share it.
func containerPath(n *html.Node) string {
	var parts []string
	for p := n; p != nil && p.Type == html.ElementNode && len(parts) < 5; p = p.Parent {
		parts = append(parts, p.Data+classPart(p))
		if nodeAttr(p, "id") != "" {
			parts[len(parts)-1] += "#" + nodeAttr(p, "id")
			break
		}
	}
	slices.Reverse(parts)
	return strings.Join(parts, " > ")
}

// utilityClass matches classes that style an element rather than name
// it (clearfix, float, margins, states): no selector is built on them alone.
var utilityClass = regexp.MustCompile(`(?i)^(?:cf|clearfix|clear|fix|fl|fr|left|right|l|r|[mp][tblrxy]?\d+|w\d+|h\d+|hide|hidden|show|on|active|current|cur|first|last|odd|even|bg|border)$`)

// cssIdent matches class names and ids that need no escaping in a selector.
var cssIdent = regexp.MustCompile(`^-?[_a-zA-Z][_a-zA-Z0-9-]*$`)

// classPart is an element's classes as a selector part (".a.b"), those that
// need escaping left out.
func classPart(n *html.Node) string {
	var b strings.Builder
	for _, c := range strings.Fields(nodeAttr(n, "class")) {
		if cssIdent.MatchString(c) {
			b.WriteString("." + c)
		}
	}
	return b.String()
}

// idPart is an element's id as a selector ("#main"), or "".
func idPart(n *html.Node) string {
	id := nodeAttr(n, "id")
	switch {
	case id == "":
		return ""
	case cssIdent.MatchString(id):
		return "#" + id
	case !strings.ContainsAny(id, `"\`):
		return `[id="` + id + `"]`
	}
	return ""
}

// writeSelector returns a selector, of a few shapes from the most general
// to the most specific, that picks every link of want on the page, and
// whether it picks no link beyond the page's headlines.
func writeSelector(doc *goquery.Document, base *url.URL, group []*listLink, want []string, headlines map[string]bool) (string, bool) {
	l := group[0]
	container := l.item.Parent
	var inners []string
	for _, withClass := range []bool{false, true} {
		if s := innerSelector(l.item, l.a, withClass); !slices.Contains(inners, s) {
			inners = append(inners, s)
		}
	}
	// The container by its tag and one class, all its classes, its id.
	var own []string
	for _, c := range strings.Split(strings.TrimPrefix(classPart(container), "."), ".") {
		if c != "" && !utilityClass.MatchString(c) {
			own = append(own, container.Data+"."+c)
		}
	}
	if cp := classPart(container); strings.Count(cp, ".") > 1 {
		own = append(own, container.Data+cp)
	}
	if id := idPart(container); id != "" {
		own = append(own, id)
	}
	// The nearest ancestors with an id or a class, as a context: the
	// container's parent as its parent ("ul.list > li"), the others as
	// ancestors ("div.main li").
	var context []string
	for p, steps := container.Parent, 0; p != nil && p.Type == html.ElementNode && p.DataAtom != atom.Body && steps < 4; p, steps = p.Parent, steps+1 {
		comb := " "
		if steps == 0 {
			comb = " > "
		}
		if id := idPart(p); id != "" {
			context = append(context, id+comb)
			break
		}
		for _, c := range strings.Split(strings.TrimPrefix(classPart(p), "."), ".") {
			if c != "" && !utilityClass.MatchString(c) {
				context = append(context, p.Data+"."+c+comb)
			}
		}
	}
	var cands []string
	add := func(s string) {
		if !slices.Contains(cands, s) {
			cands = append(cands, s)
		}
	}
	for _, in := range inners {
		for _, c := range own {
			add(c + " > " + in)
		}
		for _, ctx := range context {
			for _, c := range append([]string{container.Data}, own...) {
				add(ctx + c + " > " + in)
			}
		}
	}
	wantSet := map[string]bool{}
	for _, u := range want {
		wantSet[u] = true
	}
	// The best picks every link of the list and, first, no link that is no
	// headline at all (a menu's, a "more" link), then the fewest headlines
	// of other lists; the earliest, simplest shape among equals.
	bestSel, bestOther, bestExtra := "", 0, 0
	for _, c := range cands {
		got, _ := selectLinks(doc, base, c, "")
		gotSet := map[string]bool{}
		other, extra := 0, 0
		for _, u := range got {
			gotSet[u] = true
			switch {
			case !headlines[u]:
				other++
			case !wantSet[u]:
				extra++
			}
		}
		if slices.ContainsFunc(want, func(u string) bool { return !gotSet[u] }) {
			continue
		}
		if bestSel == "" || other < bestOther || other == bestOther && extra < bestExtra {
			bestSel, bestOther, bestExtra = c, other, extra
		}
	}
	if bestSel != "" {
		return bestSel, bestOther == 0
	}
	// No shape picks every link of the list: its own markup path does.
	var path []string
	for p, steps := container, 0; p != nil && p.Type == html.ElementNode && steps < 4; p, steps = p.Parent, steps+1 {
		path = append(path, p.Data+classPart(p))
		if p.DataAtom == atom.Body {
			break
		}
	}
	slices.Reverse(path)
	return strings.Join(path, " > ") + " > " + inners[0], false
}

// innerSelector is the path from a list entry down to its headline link as
// child steps: the entry's tag (with its classes if withClass), then each
// element's tag and classes, then the link (with its classes if
// withClass).
func innerSelector(item, a *html.Node, withClass bool) string {
	if item == a {
		if withClass {
			return "a" + classPart(a)
		}
		return "a"
	}
	var parts []string
	for p := a; p != nil && p != item; p = p.Parent {
		switch {
		case p == a && withClass:
			parts = append(parts, "a"+classPart(a))
		case p == a:
			parts = append(parts, "a")
		default:
			parts = append(parts, p.Data+classPart(p))
		}
	}
	it := item.Data
	if withClass {
		it += classPart(item)
	}
	parts = append(parts, it)
	slices.Reverse(parts)
	return strings.Join(parts, " > ")
}
