package sources

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// Bounds of a sitemap source's run. A news site's sitemap index may list
// years of monthly sitemaps; only the newest are read, and of their URLs
// only the newest window is a "listing" whose unknown articles are fetched,
// so that a source never crawls an archive page by page.
const (
	// MaxChildSitemaps is how many sitemaps of a sitemap index one run
	// reads: the newest by lastmod, else the first in the index.
	MaxChildSitemaps = 3
	// SitemapWindow is how many of the newest matching article URLs one run
	// considers (at least max_articles): the sitemap's "listing page".
	SitemapWindow = 100

	maxSitemapBytes = 50 << 20 // the sitemap protocol's limit for one file, uncompressed
	maxSitemapURLs  = 50_000   // the protocol's limit of entries in one file
)

// sitemapEntry is one <url> of a urlset or one <sitemap> of an index.
type sitemapEntry struct {
	Loc   string
	Date  time.Time // news:publication_date, else lastmod; zero if neither
	Title string    // news:title, if any
}

// sitemapDoc is a parsed sitemap file.
type sitemapDoc struct {
	Index   bool // a sitemapindex: Entries are sitemaps, not pages
	Entries []sitemapEntry
}

// CheckSitemapRules reports a match pattern that does not compile, so that
// the configuration rejects it by key and line.
func CheckSitemapRules(r *hub.SitemapRules) error {
	if r == nil || r.Match == "" {
		return nil
	}
	if _, err := regexp.Compile(r.Match); err != nil {
		return fmt.Errorf("bad RE2 pattern %q: %w", r.Match, err)
	}
	return nil
}

// fetchSitemap fetches a sitemap source: the sitemap or sitemap index at
// src.URL (conditional GET, gzip whether served as an encoding or as a .gz
// file), for an index its MaxChildSitemaps newest sitemaps, the article URLs
// that match src.Sitemap.Match, newest first by news:publication_date, else
// lastmod, else in document order, and of those the SitemapWindow newest,
// read as an HTML source reads its listing's links (readArticles): only the
// ones not stored yet, at most MaxArticles a run, politely, src.HTML's
// overrides applied. A page that shows no date takes the sitemap's.
//
// As with an HTML source, validators are kept only after a complete run;
// an index whose sitemaps do not all carry lastmod keeps none, since its
// own bytes need not change when theirs do.
func (f *Fetcher) fetchSitemap(ctx context.Context, src hub.Source, prev hub.FetchState) (hub.FetchResult, error) {
	rules := hub.HTMLRules{}
	if src.HTML != nil {
		rules = *src.HTML
	}
	if rules.MaxArticles <= 0 {
		rules.MaxArticles = DefaultMaxArticles
	}
	var match *regexp.Regexp
	if src.Sitemap != nil && src.Sitemap.Match != "" {
		if err := CheckSitemapRules(src.Sitemap); err != nil {
			return hub.FetchResult{}, fmt.Errorf("sitemap.match: %w", err)
		}
		match = regexp.MustCompile(src.Sitemap.Match)
	}
	loc := src.Timezone
	if loc == nil {
		loc = time.UTC
	}
	gate := &f.hosts
	get := func(req Request) (*Response, error) { return gate.get(ctx, f.client, req, rules.Delay) }

	resp, res, hash, err := getStart(get, src, prev, rules.Refetch)
	if err != nil {
		return hub.FetchResult{}, fmt.Errorf("sitemap: %w", err)
	}
	if res.NotModified {
		return res, nil
	}
	doc, err := readSitemap(resp, src.Encoding, loc)
	if err != nil {
		return hub.FetchResult{}, fmt.Errorf("sitemap %s: %w", resp.URL, err)
	}

	var skipped []error
	entries := doc.Entries
	keep := true // validators may be kept
	if doc.Index {
		children := newestEntries(doc.Entries, MaxChildSitemaps)
		keep = !slices.ContainsFunc(doc.Entries, func(e sitemapEntry) bool { return e.Date.IsZero() })
		entries = nil
		read := 0
		for _, c := range children {
			u, ok := resolveLoc(resp.URL, c.Loc)
			if !ok {
				skipped = append(skipped, fmt.Errorf("sitemap %q: not an http(s) URL", c.Loc))
				continue
			}
			cresp, err := get(Request{URL: u})
			if err == nil {
				var cdoc sitemapDoc
				if cdoc, err = readSitemap(cresp, src.Encoding, loc); err == nil && cdoc.Index {
					err = errors.New("a sitemap index inside a sitemap index")
				}
				if err == nil {
					read++
					entries = append(entries, cdoc.Entries...)
					continue
				}
			}
			if ctx.Err() != nil {
				return hub.FetchResult{}, ctx.Err()
			}
			if !strings.Contains(err.Error(), u) {
				err = fmt.Errorf("%s: %w", u, err)
			}
			skipped = append(skipped, fmt.Errorf("sitemap %w", err))
		}
		if read == 0 && len(children) > 0 {
			return hub.FetchResult{}, fmt.Errorf("every sitemap of the index failed: %w", errors.Join(skipped...))
		}
	}

	// The articles: matching http(s) URLs, each once, newest first.
	var (
		links []string
		dates = map[string]time.Time{}
		pages []sitemapEntry
	)
	for _, e := range entries {
		u, ok := resolveLoc(resp.URL, e.Loc)
		if !ok || match != nil && !match.MatchString(u) {
			continue
		}
		if _, dup := dates[u]; dup {
			continue
		}
		dates[u] = e.Date
		e.Loc = u
		pages = append(pages, e)
	}
	if len(pages) == 0 {
		what := "no article URLs"
		if match != nil {
			what = fmt.Sprintf("no article URLs that match %q", match)
		}
		return hub.FetchResult{}, fmt.Errorf("sitemap %s: %s", resp.URL, what)
	}
	for _, e := range newestEntries(pages, max(SitemapWindow, rules.MaxArticles)) {
		links = append(links, e.Loc)
	}
	res.Listed = len(links)
	items, more, capped, err := f.readArticles(ctx, get, links, dates, &rules, src, loc)
	if err != nil {
		return hub.FetchResult{}, err
	}
	res.Items = items
	res.Skipped = append(skipped, more...)
	if keep && !capped && len(res.Skipped) == 0 && !rules.Refetch {
		res.ETag = resp.Header.Get("ETag")
		res.LastModified = resp.Header.Get("Last-Modified")
		res.BodyHash = hash
	}
	return res, nil
}

// newestEntries returns the n newest of entries: dated ones newest first,
// then the undated ones in their order.
func newestEntries(entries []sitemapEntry, n int) []sitemapEntry {
	out := slices.Clone(entries)
	slices.SortStableFunc(out, func(a, b sitemapEntry) int {
		switch {
		case a.Date.IsZero() && b.Date.IsZero():
			return 0
		case a.Date.IsZero():
			return 1
		case b.Date.IsZero():
			return -1
		}
		return b.Date.Compare(a.Date)
	})
	return out[:min(n, len(out))]
}

// resolveLoc returns a sitemap's loc as an absolute http(s) URL without a
// fragment, resolved against the sitemap's own URL (the protocol wants
// absolute ones, but relative ones are met).
func resolveLoc(base, loc string) (string, bool) {
	b, err := url.Parse(base)
	if err != nil {
		return "", false
	}
	u, err := b.Parse(strings.TrimSpace(loc))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", false
	}
	u.Fragment, u.RawFragment = "", ""
	return u.String(), true
}

// readSitemap decodes a fetched sitemap: gunzipped when its bytes are gzip
// (a .xml.gz file served as itself, not as a Content-Encoding), converted
// to UTF-8, parsed.
func readSitemap(resp *Response, encoding string, loc *time.Location) (sitemapDoc, error) {
	body := resp.Body
	if len(body) >= 2 && body[0] == 0x1f && body[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return sitemapDoc{}, fmt.Errorf("gzip: %w", err)
		}
		body, err = io.ReadAll(io.LimitReader(zr, maxSitemapBytes+1))
		if err != nil {
			return sitemapDoc{}, fmt.Errorf("gzip: %w", err)
		}
		if len(body) > maxSitemapBytes {
			return sitemapDoc{}, fmt.Errorf("%w (more than %d bytes unpacked)", ErrTooLarge, maxSitemapBytes)
		}
	}
	if ct := resp.Header.Get("Content-Type"); strings.Contains(strings.ToLower(ct), "html") && !bytes.Contains(body[:min(len(body), 1024)], []byte("<?xml")) {
		return sitemapDoc{}, fmt.Errorf("not a sitemap: %s", ct)
	}
	doc, err := DecodeXML(body, resp.Header.Get("Content-Type"), encoding)
	if err != nil {
		return sitemapDoc{}, err
	}
	return parseSitemap(doc, loc)
}

// parseSitemap reads a UTF-8 sitemap document: a urlset of url entries
// (loc, lastmod, and a Google News sitemap's news:news with
// publication_date and title) or a sitemapindex of sitemap entries (loc,
// lastmod). Elements are matched by local name, so any namespace prefix
// works; dates without a zone are read in loc. At most maxSitemapURLs
// entries are read.
func parseSitemap(doc []byte, loc *time.Location) (sitemapDoc, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var (
		out      sitemapDoc
		root     string
		path     []string
		cur      *sitemapEntry
		lastmod  string
		pubDate  string
		text     strings.Builder
		overflow bool
	)
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if root != "" && len(out.Entries) > 0 {
				break // a truncated file: keep the entries read
			}
			return sitemapDoc{}, fmt.Errorf("parse sitemap: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if root == "" {
				root = name
				if name != "urlset" && name != "sitemapindex" {
					return sitemapDoc{}, fmt.Errorf("parse sitemap: root element <%s>, want <urlset> or <sitemapindex>", name)
				}
				out.Index = name == "sitemapindex"
			}
			if len(path) == 1 && (name == "url" || name == "sitemap") {
				if len(out.Entries) >= maxSitemapURLs {
					overflow = true
				} else {
					cur = &sitemapEntry{}
					lastmod, pubDate = "", ""
				}
			}
			path = append(path, name)
			text.Reset()
		case xml.CharData:
			if cur != nil && text.Len() < 4096 {
				text.Write(t)
			}
		case xml.EndElement:
			name := t.Name.Local
			if len(path) > 0 {
				path = path[:len(path)-1]
			}
			if cur == nil {
				continue
			}
			v := strings.TrimSpace(text.String())
			text.Reset()
			switch {
			case len(path) == 2 && name == "loc":
				cur.Loc = v
			case len(path) == 2 && name == "lastmod":
				lastmod = v
			case name == "publication_date":
				pubDate = v
			case name == "title" && len(path) >= 3:
				cur.Title = v
			case len(path) == 1 && (name == "url" || name == "sitemap"):
				if t, ok := ParseTime(pubDate, loc); ok {
					cur.Date = t
				} else if t, ok := ParseTime(lastmod, loc); ok {
					cur.Date = t
				}
				if cur.Loc != "" {
					out.Entries = append(out.Entries, *cur)
				}
				cur = nil
			}
		}
		if overflow {
			break
		}
	}
	if root == "" {
		return sitemapDoc{}, errors.New("parse sitemap: no XML elements")
	}
	return out, nil
}
