package sources

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/mmcdole/gofeed"
	"github.com/mmcdole/gofeed/atom"
	jsonfeed "github.com/mmcdole/gofeed/json"
	"github.com/mmcdole/gofeed/rss"

	"github.com/yizhan-hub/yizhan/hub"
)

// ErrNotFeed is returned for a body that is none of RSS, Atom or JSON Feed,
// such as an HTML error page served where a feed should be.
var ErrNotFeed = errors.New("sources: not a feed")

// errParserPanic marks a panic inside gofeed, recovered.
var errParserPanic = errors.New("parser panic")

// feedParser is shared by every fetch: a gofeed.Parser is safe for concurrent
// use. The original feed is kept because RSS <source>, Atom entry <rights>
// and <source>, and JSON Feed's content_text and external_url are only there.
// The RSS image scan is off: it parses every item's HTML a second time, and
// we find the lead image in the sanitized content ourselves.
var feedParser = func() *gofeed.Parser {
	p := gofeed.NewParser()
	p.KeepOriginalFeed = true
	p.RSSTranslator = &gofeed.DefaultRSSTranslator{DisableContentImageScan: true}
	return p
}()

// Limits on a single item's text, so that one hostile field cannot grow the
// store without bound.
const (
	maxTitle   = 1000      // runes
	maxField   = 500       // runes: credit, author, copyright, category
	maxContent = 512 << 10 // bytes of sanitized HTML
)

func (f *Fetcher) fetchFeed(ctx context.Context, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	resp, err := f.client.Get(ctx, Request{URL: sourceURL(src, prev), ETag: prev.ETag, LastModified: prev.LastModified})
	if err != nil {
		return hub.FetchResult{}, err
	}
	res := hub.FetchResult{
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		MovedTo:      resp.MovedTo,
		MinInterval:  max(resp.MaxAge, rssTTL(resp.Body)),
	}
	if f.onFeed != nil {
		if d := DiscoverHub(resp.Header, resp.Body, resp.URL); d.Hub != "" || !resp.NotModified {
			f.onFeed(src, d)
		}
	}
	if resp.NotModified {
		// A 304 may omit the validators; keep sending the old ones.
		res.NotModified = true
		res.ETag = cmp.Or(res.ETag, prev.ETag)
		res.LastModified = cmp.Or(res.LastModified, prev.LastModified)
		res.BodyHash = prev.BodyHash
		return res, nil
	}
	read, err := ReadFeed(resp.Body, resp.Header.Get("Content-Type"), resp.URL, src, prev)
	if err != nil {
		return hub.FetchResult{}, err
	}
	read.ETag, read.LastModified, read.MovedTo, read.MinInterval = res.ETag, res.LastModified, res.MovedTo, res.MinInterval
	return read, nil
}

// ReadFeed is what a fetch of a feed source makes of a body the upstream
// sent (a 200): the items of ParseFeed, except what prev shows to be stored
// already. A body identical to the last one read for the same source
// configuration is a result with NotModified set. Of a changed body, the
// items whose bytes (and everything outside the items that could change how
// they read) are as in the last body are counted in Unchanged, not parsed;
// the result's ItemHashes records this body's items for the next fetch.
func ReadFeed(body []byte, contentType, feedURL string, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	fp := fingerprint(src, feedURL)
	h := sha256.New()
	h.Write(fp)
	h.Write(body)
	res := hub.FetchResult{BodyHash: hex.EncodeToString(h.Sum(nil))}
	if res.BodyHash == prev.BodyHash {
		res.NotModified = true
		return res, nil
	}
	r, err := parseFeed(body, contentType, feedURL, src, fp, prev.ItemHashes)
	if err != nil {
		return hub.FetchResult{}, err
	}
	res.Items, res.Listed, res.Unchanged, res.ItemHashes = r.items, r.listed, r.unchanged, r.memo
	if r.listed > MaxFeedItems {
		res.Skipped = append(res.Skipped, fmt.Errorf("the feed lists %d items: kept the newest %d", r.listed, MaxFeedItems))
	}
	return res, nil
}

// ParseFeed turns a feed body (RSS 0.9x/1.0/2.0, Atom 1.0 or JSON Feed
// 1.0/1.1, in any charset DecodeXML knows) into attributed, sanitized items.
// feedURL is where the body came from: relative links are resolved against
// it (after xml:base). contentType is the response's Content-Type header.
// An empty body, or one that is not a feed, is an error. Of a feed listing
// more than MaxFeedItems items, the newest MaxFeedItems are returned.
func ParseFeed(body []byte, contentType, feedURL string, src hub.Source) ([]hub.Item, error) {
	r, err := parseFeed(body, contentType, feedURL, src, fingerprint(src, feedURL), "")
	return r.items, err
}

// feedRead is what parseFeed read of a feed.
type feedRead struct {
	items     []hub.Item
	listed    int    // items the feed listed: more than items when it had over MaxFeedItems, or some were unchanged
	unchanged int    // items skipped as unchanged by the memo
	memo      string // the memo of this body's items (hub.FetchResult.ItemHashes), if any
}

// parseFeed is ParseFeed, skipping the items that memo (the last body's
// hub.FetchState.ItemHashes) shows unchanged; fp is the fingerprint of src
// and feedURL.
func parseFeed(body []byte, contentType, feedURL string, src hub.Source, fp []byte, memo string) (feedRead, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return feedRead{}, fmt.Errorf("parse feed: %w: empty body", ErrNotFeed)
	}
	doc, err := DecodeXML(body, contentType, src.Encoding)
	if err != nil {
		return feedRead{}, fmt.Errorf("parse feed: %w", err)
	}
	kind := gofeed.DetectFeedType(bytes.NewReader(doc[:min(len(doc), 4096)]))
	if kind == gofeed.FeedTypeUnknown {
		if looksLikeHTML(doc) {
			return feedRead{}, fmt.Errorf("parse feed: %w: got an HTML page", ErrNotFeed)
		}
		return feedRead{}, fmt.Errorf("parse feed: %w: no RSS, Atom or JSON Feed root", ErrNotFeed)
	}
	name := map[gofeed.FeedType]string{gofeed.FeedTypeRSS: "rss", gofeed.FeedTypeAtom: "atom", gofeed.FeedTypeJSON: "json feed"}[kind]
	doc, listed, err := boundFeed(doc, kind, src.Timezone)
	if err != nil {
		return feedRead{}, fmt.Errorf("parse %s: %w", name, err)
	}
	base, _ := url.Parse(feedURL)
	if base != nil && !base.IsAbs() {
		base = nil
	}
	var r feedRead
	if l, ok := scanXML(doc, kind); ok {
		r, err = readItems(doc, l, kind, base, src, fp, memo)
	} else {
		var feed *gofeed.Feed
		if kind == gofeed.FeedTypeRSS {
			doc = cstToOffset(doc)
		}
		if feed, err = parseSafely(doc); err == nil {
			r.items, _ = feedItems(feed, base, src, nil)
		}
	}
	if err != nil {
		return feedRead{}, fmt.Errorf("parse %s: %w", name, err)
	}
	r.listed = max(listed, r.listed, len(r.items))
	return r, nil
}

// scanXML is scanLayout for RSS and Atom documents.
func scanXML(doc []byte, kind gofeed.FeedType) (layout, bool) {
	if kind != gofeed.FeedTypeRSS && kind != gofeed.FeedTypeAtom {
		return layout{}, false
	}
	return scanLayout(doc)
}

// readItems reads the items of an RSS or Atom document whose layout the
// scan found: only those whose hash is not in memo, unless a parsed item
// turns out to share its key with a skipped one (a feed's duplicate keys
// are told apart by their order, so it needs them all), or gofeed does not
// see the items the scan saw.
func readItems(doc []byte, l layout, kind gofeed.FeedType, base *url.URL, src hub.Source, fp []byte, memo string) (feedRead, error) {
	hashes := itemHashes(doc, l, fp)
	known := decodeMemo([]byte(memo))
	keep := make([]bool, len(hashes))
	skipped := make(map[keyHash]bool)
	unchanged := 0
	for i, h := range hashes {
		k, ok := known[h]
		keep[i] = !ok
		if ok {
			skipped[k] = true
			unchanged++
		}
	}
	entries := make([]memoEntry, len(hashes))
	for i, h := range hashes {
		entries[i] = memoEntry{item: h, key: known[h]}
	}
	if len(hashes) > 0 && unchanged == len(hashes) {
		return feedRead{listed: len(hashes), unchanged: unchanged, memo: string(encodeMemo(entries))}, nil
	}
	if unchanged == 0 {
		keep = nil
	}
	for {
		out, v := rebuild(doc, l, keep)
		if kind == gofeed.FeedTypeRSS {
			out = cstToOffset(out)
		}
		feed, err := parseSafely(out)
		if err != nil && keep != nil {
			keep = nil // let the whole document say what is wrong
			continue
		}
		if err != nil {
			return feedRead{}, err
		}
		items, keys := feedItems(feed, base, src, v)
		kept := len(hashes) - unchanged
		if keep == nil {
			kept = len(hashes)
		}
		if len(keys) != kept {
			if keep != nil {
				keep = nil
				continue
			}
			// gofeed saw other items than the scan: keep no memo.
			return feedRead{items: items, listed: len(hashes)}, nil
		}
		if keep != nil && slices.ContainsFunc(keys, func(k string) bool { return skipped[hashKey(k)] }) {
			keep = nil
			continue
		}
		r := feedRead{items: items, listed: len(hashes)}
		if keep != nil {
			r.unchanged = unchanged
		}
		j := 0
		for i := range entries {
			if keep != nil && !keep[i] {
				continue
			}
			entries[i].key = hashKey(keys[j])
			j++
		}
		r.memo = string(encodeMemo(entries))
		return r, nil
	}
}

// cstToOffset rewrites RSS dates that end in "CST" to end in "+0800".
// Both read the same to ParseTime (CST is China Standard Time here), but
// gofeed tries some hundred layouts before it gives up on CST, which took
// 15% of ingesting a typical Chinese feed; and it reads CST as US Central.
func cstToOffset(doc []byte) []byte {
	const cst = " CST</pubDate>"
	if !bytes.Contains(doc, []byte(cst)) {
		return doc
	}
	return bytes.ReplaceAll(doc, []byte(cst), []byte(" +0800</pubDate>"))
}

// parseSafely runs gofeed, turning a panic on hostile input into an error:
// one bad upstream must not take the hub down.
func parseSafely(doc []byte) (feed *gofeed.Feed, err error) {
	defer func() {
		if r := recover(); r != nil {
			feed, err = nil, fmt.Errorf("%w: %v", errParserPanic, r)
		}
	}()
	return feedParser.Parse(bytes.NewReader(doc))
}

var htmlStart = regexp.MustCompile(`(?i)^\s*(<!--.*?-->\s*)*(<!doctype\s+html|<html|<head|<body)`)

func looksLikeHTML(doc []byte) bool {
	return htmlStart.Match(doc[:min(len(doc), 1024)])
}

// feedItems translates a parsed feed into items, in the feed's order, each
// key once, restoring the texts v kept. keys are the keys of the feed's
// items, in the feed's order, before duplicates among them were told apart
// or dropped; "" for an item gofeed gave as nil.
func feedItems(feed *gofeed.Feed, base *url.URL, src hub.Source, v *vault) (items []hub.Item, keys []string) {
	orig := feed.OriginalFeed()
	var (
		rssItems  []*rss.Item
		atomFeed  *atom.Feed
		jsonFeed  *jsonfeed.Feed
		feedAuthr string
	)
	switch o := orig.(type) {
	case *rss.Feed:
		rssItems = o.Items
	case *atom.Feed:
		atomFeed = o
		feedAuthr = personNames(feed.Authors, feed.Author)
	case *jsonfeed.Feed:
		jsonFeed = o
		feedAuthr = personNames(feed.Authors, feed.Author)
	}
	loc := src.Timezone
	if loc == nil {
		loc = time.UTC
	}
	items = make([]hub.Item, 0, len(feed.Items))
	keys = make([]string, len(feed.Items))
	seen := make(map[string]*itemText, len(feed.Items))
	for i, fi := range feed.Items {
		if fi == nil {
			continue
		}
		it := hub.Item{}
		it.URL = feedRef(base, firstSet(fi.Link, firstOfList(fi.Links)))
		pageBase := base
		if u, err := url.Parse(it.URL); err == nil && u.IsAbs() {
			pageBase = u
		}
		it.Title = truncateRunes(PlainText(firstSet(fi.Title, mediaTitle(fi))), maxTitle)
		content, summary := v.restore(fi.Content), v.restore(fi.Description)
		it.Published = itemTime(fi.Published, fi.PublishedParsed, loc)
		it.Updated = itemTime(fi.Updated, fi.UpdatedParsed, loc)
		it.Author = personNames(fi.Authors, fi.Author)
		// dc:creator names the author better than RSS <author>, an e-mail
		// address; an Atom <author><name> is already a name.
		if v := dublinCore(fi, "creator"); v != "" && (atomFeed == nil || it.Author == "") {
			it.Author = v
		}
		// dc:contributor is who else worked on it: the editors (SPEC's
		// editor travels out as dc:contributor too).
		it.Editor = strings.Join(dublinCoreAll(fi, "contributor"), "、")
		if v := dublinCore(fi, "rights"); v != "" {
			it.Copyright = v
		}
		if v := dublinCore(fi, "source"); v != "" {
			setCredit(&it, v, "")
		}
		switch {
		case rssItems != nil && i < len(rssItems) && rssItems[i] != nil:
			ri := rssItems[i]
			if s := ri.Source; s != nil {
				setCredit(&it, s.Title, feedRef(base, s.URL))
			}
			// A permalink guid is the item's link when it has no <link>.
			if g := ri.GUID; it.URL == "" && g != nil && !strings.EqualFold(strings.TrimSpace(g.IsPermalink), "false") {
				it.URL = resolveHTTP(nil, g.Value)
			}
		case atomFeed != nil && i < len(atomFeed.Entries) && atomFeed.Entries[i] != nil:
			e := atomFeed.Entries[i]
			if e.Rights != "" {
				it.Copyright = e.Rights
			}
			if s := e.Source; s != nil {
				setCredit(&it, s.Title, feedRef(base, atomLink(s.Links)))
			}
		case jsonFeed != nil && i < len(jsonFeed.Items) && jsonFeed.Items[i] != nil:
			ji := jsonFeed.Items[i]
			// JSON Feed's summary and content_text are plain text.
			summary = textToHTML(ji.Summary)
			if ji.ContentHTML == "" {
				content = textToHTML(ji.ContentText)
			}
			if ji.ExternalURL != "" && ji.ExternalURL != ji.URL {
				it.CreditURL = feedRef(base, ji.ExternalURL)
			}
		}
		if it.Author == "" {
			it.Author = feedAuthr
		}
		it.Content = truncateHTML(Sanitize(content, pageBase))
		it.Summary = truncateHTML(Sanitize(summary, pageBase))
		if it.Content == it.Summary {
			it.Summary = ""
		}
		it.Author = truncateRunes(PlainText(it.Author), maxField)
		it.Editor = truncateRunes(PlainText(it.Editor), maxField)
		it.Credit = truncateRunes(PlainText(it.Credit), maxField)
		it.Copyright = truncateRunes(PlainText(it.Copyright), maxField)
		it.Categories = feedCategories(fi.Categories)
		it.Image = leadImage(fi, it.Content, it.Summary, pageBase)
		text := &itemText{title: it.Title, content: content, summary: summary}
		it.Key = itemKey(fi.GUID, it.URL, text)
		keys[i] = it.Key
		// Items sharing a key are one item listed twice when their text is
		// the same, else distinct items under a careless guid or link: the
		// later ones get a key of their own, stable while their text is.
		if prev, dup := seen[it.Key]; dup {
			if prev.hash() == text.hash() {
				continue
			}
			it.Key += "#" + text.hash()[:16]
			if _, dup := seen[it.Key]; dup {
				continue
			}
		}
		seen[it.Key] = text
		Attribute(&it, src)
		items = append(items, it)
	}
	return items, keys
}

// itemTime re-reads the raw date string in the source's zone: gofeed reads
// zoneless dates as UTC and "CST" as US Central. gofeed's own reading is
// kept only when ours finds no date at all.
func itemTime(raw string, parsed *time.Time, loc *time.Location) time.Time {
	if t, ok := ParseTime(raw, loc); ok {
		return t
	}
	if parsed != nil && !parsed.IsZero() && parsed.Year() > 1 && parsed.Year() < 10000 {
		return *parsed
	}
	return time.Time{}
}

// itemKey is an item's identity within its source: guid (or Atom id, JSON
// id), else link, else a hash of title and content.
func itemKey(guid, link string, text *itemText) string {
	if k := strings.TrimSpace(guid); k != "" {
		return cleanText(k)
	}
	if link != "" {
		return link
	}
	return "sha256:" + text.hash()
}

// itemText is an item's upstream title and texts, hashed only when needed:
// for an item without guid or link, or one repeating another's key.
type itemText struct {
	title, content, summary string
	sum                     string
}

// hash is the hex SHA-256 of title, a zero byte, content and summary.
func (t *itemText) hash() string {
	if t.sum == "" {
		h := sha256.New()
		for _, s := range []string{t.title, "\x00", t.content, "\x00", t.summary} {
			h.Write([]byte(s))
		}
		t.sum = hex.EncodeToString(h.Sum(nil))
	}
	return t.sum
}

// dublinCore is an item's first dc:name value. gofeed fills DublinCoreExt
// for RSS only; Atom entries keep theirs among the extensions.
func dublinCore(fi *gofeed.Item, name string) string {
	if dc := fi.DublinCoreExt; dc != nil {
		var vs []string
		switch name {
		case "creator":
			vs = dc.Creator
		case "rights":
			vs = dc.Rights
		case "source":
			vs = dc.Source
		}
		if v := firstOfList(vs); v != "" {
			return v
		}
	}
	for _, e := range fi.Extensions["dc"][name] {
		if v := strings.TrimSpace(e.Value); v != "" {
			return v
		}
	}
	return ""
}

// dublinCoreAll is every dc:name value of an item, each once.
func dublinCoreAll(fi *gofeed.Item, name string) []string {
	var vs []string
	if dc := fi.DublinCoreExt; dc != nil && name == "contributor" {
		vs = append(vs, dc.Contributor...)
	}
	for _, e := range fi.Extensions["dc"][name] {
		vs = append(vs, e.Value)
	}
	var out []string
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	return out
}

// mediaTitle is an item's Media RSS title, the fallback for a missing <title>.
func mediaTitle(fi *gofeed.Item) string {
	for _, e := range fi.Extensions["media"]["title"] {
		if v := strings.TrimSpace(e.Value); v != "" {
			return v
		}
	}
	return ""
}

// setCredit records a claimed publisher. Some feeds put a URL where the name
// should be (dc:source, an RSS <source> with only a url): the URL is then
// the credit URL and its host stands in for the name.
func setCredit(it *hub.Item, name, link string) {
	name = strings.TrimSpace(name)
	link = strings.TrimSpace(link)
	if resolveHTTP(nil, name) != "" {
		if link == "" {
			link = name
		}
		name = ""
	}
	if name == "" && link != "" {
		if u, err := url.Parse(link); err == nil {
			name = strings.TrimPrefix(u.Hostname(), "www.")
		}
	}
	if name == "" {
		return
	}
	it.Credit, it.CreditURL = name, link
}

func atomLink(links []*atom.Link) string {
	var first string
	for _, l := range links {
		if l == nil || l.Href == "" {
			continue
		}
		if l.Rel == "" || l.Rel == "alternate" {
			return l.Href
		}
		if first == "" && l.Rel != "self" {
			first = l.Href
		}
	}
	return first
}

// personNames joins the names of ps, or of one when ps is empty, as gofeed
// translated them from any format: a person without a name is named by
// their e-mail address.
func personNames(ps []*gofeed.Person, one *gofeed.Person) string {
	if len(ps) == 0 && one != nil {
		ps = []*gofeed.Person{one}
	}
	var names []string
	for _, p := range ps {
		if p != nil {
			if n := firstSet(p.Name, p.Email); n != "" {
				names = append(names, n)
			}
		}
	}
	return strings.Join(names, ", ")
}

func feedCategories(cs []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cs {
		c = truncateRunes(PlainText(c), maxField)
		if c != "" && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

var firstImgRe = regexp.MustCompile(`<img\s[^>]*?src="([^"]+)"`)

// leadImage is the item's declared image (itunes, media, an image
// enclosure, JSON image) or else the first image of its content.
func leadImage(fi *gofeed.Item, content, summary string, base *url.URL) string {
	if fi.Image != nil && fi.Image.URL != "" {
		return feedRef(base, fi.Image.URL)
	}
	for _, e := range fi.Enclosures {
		if e != nil && e.URL != "" && strings.HasPrefix(e.Type, "image/") {
			return feedRef(base, e.URL)
		}
	}
	for _, s := range []string{content, summary} {
		if m := firstImgRe.FindStringSubmatch(s); m != nil {
			return html.UnescapeString(m[1])
		}
	}
	return ""
}

// textToHTML turns plain text into paragraphs of escaped HTML.
func textToHTML(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	var b strings.Builder
	for _, para := range strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n\n") {
		if para = strings.TrimSpace(para); para == "" {
			continue
		}
		b.WriteString("<p>")
		b.WriteString(strings.ReplaceAll(html.EscapeString(para), "\n", "<br>"))
		b.WriteString("</p>")
	}
	return b.String()
}

// truncateHTML cuts oversized sanitized HTML and sanitizes the cut again so
// that no tag is left open or broken.
func truncateHTML(s string) string {
	if len(s) <= maxContent {
		return s
	}
	// A rune cut in two becomes invalid UTF-8 and is dropped. Sanitizing
	// closes the elements left open, which may take the cut past the limit
	// again: cut shorter until it fits.
	for n := maxContent; ; n -= n / 8 {
		if cut := strings.TrimSpace(policy.Sanitize(strings.ToValidUTF8(s[:n], ""))); len(cut) <= maxContent {
			return cut
		}
	}
}

func firstSet(ss ...string) string {
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

func firstOfList(ss []string) string { return firstSet(ss...) }
