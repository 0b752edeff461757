package sources

import (
	"net/url"
	"strings"

	"github.com/PuerkitoBio/goquery"
)

// resolveHTTP is the one way sources turns a URL reference found upstream
// (a feed's link, an href, a lazy image's data-src) into a URL worth
// storing: ref resolved against base, returned only when the result is an
// absolute http or https URL with a host, else "".
//
// ref is read as a browser reads an attribute: spaces and control
// characters around it are trimmed, and control characters inside it (line
// breaks in a wrapped href) are dropped. An empty ref is "", not base
// itself. base is the absolute URL of the document, or nil when there is
// none; without one, only absolute refs resolve, so a relative or
// protocol-relative (//host/x) ref is "". Schemes such as javascript:,
// data:, mailto: and an unparseable ref are "". A fragment is kept: feeds
// give items on one page their own #anchors. pageLink drops it.
func resolveHTTP(base *url.URL, ref string) string {
	ref = strings.TrimFunc(ref, func(r rune) bool { return r <= ' ' || r == 0x7f })
	if strings.ContainsFunc(ref, isControl) {
		ref = strings.Map(func(r rune) rune {
			if isControl(r) {
				return -1
			}
			return r
		}, ref)
	}
	if ref == "" {
		return ""
	}
	u, err := url.Parse(ref)
	if err != nil {
		return ""
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.String()
}

func isControl(r rune) bool { return r < ' ' || r == 0x7f }

// pageLink is resolveHTTP for a link to another page — an article on a
// listing, a listing's next page, a canonical URL, an article's continuation
// page — whose fragment names no other page: it is dropped, and a ref that
// is only a fragment ("#", "#top") is "".
func pageLink(base *url.URL, ref string) string {
	if strings.HasPrefix(strings.TrimSpace(ref), "#") {
		return ""
	}
	s := resolveHTTP(base, ref)
	if i := strings.IndexByte(s, '#'); i >= 0 {
		s = s[:i]
	}
	return s
}

// documentBase is the URL that relative references on a page resolve
// against: its <base href> when that names an http(s) URL, else pageURL.
func documentBase(doc *goquery.Document, pageURL *url.URL) *url.URL {
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok {
		if s := resolveHTTP(pageURL, href); s != "" {
			if b, err := url.Parse(s); err == nil {
				return b
			}
		}
	}
	return pageURL
}

// feedRef is resolveHTTP for a feed's own references (an item's link, its
// source, its image). A feed parsed without the URL it came from (ParseFeed
// given none, as when reading a file) has nothing to resolve against: a
// reference without a scheme is then kept as written instead of lost, while
// one with a scheme must still be http(s).
func feedRef(base *url.URL, ref string) string {
	if u := resolveHTTP(base, ref); u != "" || base != nil {
		return u
	}
	ref = strings.TrimSpace(cleanText(ref))
	if hasScheme(ref) {
		return ""
	}
	return ref
}
