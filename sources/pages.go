package sources

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/yizhan-hub/yizhan/hub"
)

// maxArticlePages bounds the pages one article is read from: its first page
// and up to nine continuation pages.
const maxArticlePages = 10

// continuation is a link to a later page of an article and its number.
type continuation struct {
	n   int
	url string
}

// continuationLinks returns the links on a parsed page that continue the
// article first published at article (see continuationOf), one for each
// page number (the first link to it on the page), ordered by that number.
// Links that differ only in their query lead to one page, and a page of
// them costs no more than a page of distinct ones.
func continuationLinks(doc *goquery.Document, pageURL, article *url.URL) []continuation {
	base := documentBase(doc, pageURL)
	var out []continuation
	have := map[int]bool{}
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		l := pageLink(base, s.AttrOr("href", ""))
		if l == "" {
			return
		}
		u, err := url.Parse(l)
		if err != nil {
			return
		}
		if n, ok := continuationOf(article, u); ok && !have[n] {
			have[n] = true
			out = append(out, continuation{n, l})
		}
	})
	slices.SortFunc(out, func(a, b continuation) int { return a.n - b.n })
	return out
}

// continuationOf reports whether u looks like a later page of the article
// at article, and which: on the same host, in the same directory, named as
// the article with a page number appended — c1001-31234567.html continues
// as c1001-31234567-2.html, t20200401_123.html as t20200401_123_2.html,
// index.html (or a directory's /) as index_1.html. The query is not
// compared: pagers add and drop tracking parameters.
func continuationOf(article, u *url.URL) (int, bool) {
	if !strings.EqualFold(u.Host, article.Host) {
		return 0, false
	}
	dir, name := path.Split(article.Path)
	udir, uname := path.Split(u.Path)
	if udir != dir || uname == name {
		return 0, false
	}
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	if name == "" {
		stem, ext = "index", path.Ext(uname)
	}
	rest, ok := strings.CutPrefix(uname, stem)
	if !ok {
		return 0, false
	}
	if rest, ok = strings.CutSuffix(rest, ext); !ok || len(rest) < 2 || len(rest) > 4 || (rest[0] != '-' && rest[0] != '_') {
		return 0, false
	}
	digits := rest[1:]
	if digits[0] == '0' || strings.ContainsFunc(digits, func(r rune) bool { return r < '0' || r > '9' }) {
		return 0, false
	}
	n, err := strconv.Atoi(digits)
	if err != nil {
		return 0, false
	}
	return n, true
}

// followPages appends to it the body of each continuation page of the
// article read at article, as continuationLinks finds them on that page
// and on each page after it: at most maxArticlePages pages in all, no page
// number or URL twice, each fetched through get (and so as politely as
// the article).
// A page that fails ends the article there: what was read is kept, and the
// failure is returned to be reported. A failure a later run may not meet
// (a network error, a timeout, HTTP 408, 429 or 5xx) wraps errPageLater:
// the caller then stores nothing, so that the next run reads the article
// whole; one that will recur (404, 410, a page that is not an article)
// leaves the article shorter for good.
func followPages(ctx context.Context, get func(Request) (*Response, error), it *hub.Item, article *url.URL,
	next []continuation, rules *hub.HTMLRules, encoding string, loc *time.Location) error {
	seen := map[string]bool{article.String(): true, it.URL: true}
	queued := map[int]bool{} // page numbers read or in next
	for _, c := range next {
		queued[c.n] = true
	}
	var b strings.Builder
	b.WriteString(it.Content)
	// Bodies read so far: a pager whose "page 1" link is a copy of the
	// article under another name (…-1.html, …_1.html on some sites) adds
	// nothing.
	bodies := map[string]bool{it.Content: true}
	for pages := 1; len(next) > 0 && pages < maxArticlePages && b.Len() < maxContent; {
		c := next[0]
		next = next[1:]
		if seen[c.url] {
			continue
		}
		seen[c.url] = true
		content, more, err := readContinuation(get, c.url, article, rules, encoding, loc, seen)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			it.Content = truncateHTML(b.String())
			return fmt.Errorf("%s page %d: %w", it.URL, pages+1, err)
		}
		pages++
		if content != "" && !bodies[content] {
			bodies[content] = true
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(content)
		}
		for _, m := range more {
			if !queued[m.n] && !seen[m.url] {
				queued[m.n] = true
				next = append(next, m)
			}
		}
		slices.SortFunc(next, func(a, b continuation) int { return a.n - b.n })
	}
	it.Content = truncateHTML(b.String())
	return nil
}

// readContinuation fetches one continuation page and returns its extracted
// body and the continuation links on it. A page that redirects to one
// already read adds nothing.
func readContinuation(get func(Request) (*Response, error), link string, article *url.URL, rules *hub.HTMLRules,
	encoding string, loc *time.Location, seen map[string]bool) (string, []continuation, error) {
	resp, err := get(Request{URL: link})
	if err != nil {
		if passing(err) {
			err = fmt.Errorf("%w (%w)", err, errPageLater)
		}
		return "", nil, err
	}
	if resp.URL != link {
		if seen[resp.URL] {
			return "", nil, nil
		}
		seen[resp.URL] = true
	}
	doc, final, err := readPage(resp, encoding)
	if err != nil {
		return "", nil, err
	}
	more := continuationLinks(doc, final, article)
	it, err := extractArticle(doc, final, rules, loc, true)
	if err != nil {
		return "", nil, err
	}
	return it.Content, more, nil
}

// errPageLater marks a continuation page that failed in a way that may pass.
var errPageLater = errors.New("may pass: the article is read again next run")

// passing reports whether a failed request may succeed later: anything but
// an HTTP status other than 408, 429 or 5xx, or a body over the limit.
func passing(err error) bool {
	if errors.Is(err, ErrTooLarge) || errors.Is(err, ErrTooManyRedirects) {
		return false
	}
	var se *StatusError
	if errors.As(err, &se) {
		return se.Code == http.StatusRequestTimeout || se.Code == http.StatusTooManyRequests || se.Code >= 500
	}
	return true
}

// dropContinuations returns links without those that continue another of
// them (see continuationOf): a listing that links an article's page 2
// beside its page 1 has one article, read from page 1 on.
func dropContinuations(links []string) []string {
	key := func(u *url.URL) string { return strings.ToLower(u.Host) + u.EscapedPath() }
	parsed := make([]*url.URL, len(links))
	have := make(map[string]*url.URL, len(links))
	for i, l := range links {
		if u, err := url.Parse(l); err == nil {
			parsed[i] = u
			have[key(u)] = u
		}
	}
	out := links[:0:0]
	for i, l := range links {
		if u := parsed[i]; u != nil {
			if first := firstPageOf(u, func(p string) *url.URL { return have[strings.ToLower(u.Host)+p] }); first != nil {
				continue
			}
		}
		out = append(out, l)
	}
	return out
}

// firstPageOf returns the article u continues, looked up by escaped path
// with lookup, or nil: c1-2.html continues c1.html, t1_2.html t1.html,
// index_1.html index.html or its directory.
func firstPageOf(u *url.URL, lookup func(path string) *url.URL) *url.URL {
	p := u.EscapedPath()
	dir, name := path.Split(p)
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	i := strings.LastIndexAny(stem, "-_")
	if i <= 0 || len(stem)-i < 2 || len(stem)-i > 4 {
		return nil
	}
	var cands []string
	if stem[:i] == "index" {
		cands = append(cands, dir)
	}
	cands = append(cands, dir+stem[:i]+ext)
	for _, c := range cands {
		if first := lookup(c); first != nil {
			if _, ok := continuationOf(first, u); ok {
				return first
			}
		}
	}
	return nil
}
