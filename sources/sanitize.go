package sources

import (
	"net/url"
	"regexp"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// policy is the one sanitizing policy for upstream HTML: text structure,
// images, links, tables, lists, headings, quotes and figures; no script,
// style, iframe, form, event handler, inline style or javascript:/data: URL.
// A bluemonday policy is safe for concurrent use once built.
var policy = newPolicy()

func newPolicy() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowStandardURLs() // parseable URLs; http, https, mailto and relative ones
	p.AllowURLSchemes("http", "https", "mailto", "ftp")
	p.AllowElements("p", "br", "hr", "div", "span", "section", "article", "header", "footer",
		"h1", "h2", "h3", "h4", "h5", "h6", "pre", "code", "kbd", "samp", "var",
		"em", "strong", "b", "i", "u", "s", "strike", "sub", "sup", "small", "big", "mark",
		"abbr", "acronym", "cite", "dfn", "time", "address", "center", "font",
		"figure", "figcaption", "picture", "details", "summary", "ruby", "rt", "rp", "wbr")
	p.AllowAttrs("title").Globally()
	p.AllowAttrs("lang", "dir").Globally()
	p.AllowAttrs("href").OnElements("a")
	p.AllowAttrs("name").Matching(bluemonday.Paragraph).OnElements("a")
	p.AllowAttrs("cite").OnElements("blockquote", "q", "del", "ins")
	p.AllowElements("blockquote", "q", "del", "ins")
	p.AllowAttrs("datetime").OnElements("time", "del", "ins")
	p.AllowImages()
	p.AllowAttrs("srcset").Matching(regexp.MustCompile(`^[^"<>]*$`)).OnElements("img", "source")
	p.AllowAttrs("src", "type").OnElements("source")
	p.AllowAttrs("src", "poster").OnElements("video", "audio")
	p.AllowAttrs("controls", "preload", "loop", "muted").Matching(regexp.MustCompile(`^[a-z]*$`)).OnElements("video", "audio")
	p.AllowAttrs("width", "height").Matching(bluemonday.NumberOrPercent).OnElements("video")
	p.AllowLists()
	p.AllowTables()
	p.AllowAttrs("colspan", "rowspan").Matching(bluemonday.Integer).OnElements("td", "th")
	p.AllowAttrs("align").Matching(bluemonday.CellAlign).OnElements("td", "th", "tr", "p", "div")
	p.AddSpaceWhenStrippingTag(true)
	// Last: AllowImages turned nofollow on again. These are publishers'
	// articles, not user comments.
	p.RequireNoFollowOnLinks(false)
	return p
}

// lazySrcAttrs are the attributes lazy-loading scripts read the real image URL
// from, in order of preference.
var lazySrcAttrs = []string{"data-src", "data-original", "data-original-src", "data-lazy-src", "data-actualsrc", "data-url", "file"}

// urlAttrs are the attributes whose relative URLs are resolved against the base.
var urlAttrs = map[string]bool{"href": true, "src": true, "cite": true, "poster": true}

// Sanitize returns html made safe to store and publish (see policy), with
// lazy-loaded images given their real src and relative URLs resolved against
// base (when base is not nil). Characters XML forbids are removed.
func Sanitize(s string, base *url.URL) string {
	s = cleanText(s)
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if needsRewrite(s, base != nil) {
		s = rewriteURLs(s, base)
	}
	// Character references such as &#2; come out of the policy as raw characters.
	return strings.TrimSpace(cleanText(policy.Sanitize(s)))
}

// rewriteURLs resolves relative URLs and promotes lazy-load attributes,
// rewriting only the tags that need it: every other token is copied as it
// came, without building a Token.
func rewriteURLs(s string, base *url.URL) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s) + len(s)/8)
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			break
		}
		raw := z.Raw()
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			b.Write(raw)
			continue
		}
		name, hasAttr := z.TagName()
		if !hasAttr || !urlTags[atom.Lookup(name)] {
			b.Write(raw)
			continue
		}
		// z.Token would re-read the tag name already consumed; rebuild it.
		tok := html.Token{Type: tt, DataAtom: atom.Lookup(name), Data: string(name)}
		for more := true; more; {
			var k, v []byte
			k, v, more = z.TagAttr()
			tok.Attr = append(tok.Attr, html.Attribute{Key: string(k), Val: string(v)})
		}
		if !fixTag(&tok, base) {
			b.Write(raw)
			continue
		}
		b.WriteString(tok.String())
	}
	return b.String()
}

// needsRewrite reports, by a quick scan, whether s may hold a lazy-loaded
// image or (when resolving) a relative URL: most feeds hold neither, and the
// tokenizing pass of rewriteURLs costs a third of sanitizing. It may say
// yes needlessly, never no wrongly.
func needsRewrite(s string, resolving bool) bool {
	if strings.IndexByte(s, '<') < 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			continue
		}
		name := strings.TrimRight(s[max(0, i-24):i], " \t\n\r\f")
		switch {
		case hasSuffixFold(name, "data-src"), hasSuffixFold(name, "data-original"), hasSuffixFold(name, "data-original-src"),
			hasSuffixFold(name, "data-lazy-src"), hasSuffixFold(name, "data-actualsrc"), hasSuffixFold(name, "data-url"),
			hasSuffixFold(name, " file"):
			return true
		case !resolving:
		case hasSuffixFold(name, "src"), hasSuffixFold(name, "href"), hasSuffixFold(name, "cite"), hasSuffixFold(name, "poster"):
			v := strings.TrimLeft(s[i+1:], "\"' \t\n\r\f")
			if !hasPrefixFold(v, "http://") && !hasPrefixFold(v, "https://") {
				return true
			}
		}
	}
	return false
}

func hasSuffixFold(s, suffix string) bool {
	return len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// urlTags are the elements whose attributes rewriteURLs may change.
var urlTags = map[atom.Atom]bool{
	atom.A: true, atom.Img: true, atom.Blockquote: true, atom.Q: true, atom.Del: true, atom.Ins: true,
	atom.Video: true, atom.Audio: true, atom.Source: true,
}

// fixTag rewrites a start tag's URLs and reports whether it changed anything.
func fixTag(t *html.Token, base *url.URL) bool {
	changed := false
	if t.DataAtom == atom.Img {
		src, srcAt := "", -1
		for i, a := range t.Attr {
			if a.Key == "src" {
				src, srcAt = strings.TrimSpace(a.Val), i
			}
		}
		if src == "" || placeholderSrc(src) {
			for _, name := range lazySrcAttrs {
				if v := tokenAttr(t, name); v != "" && !strings.HasPrefix(v, "data:") {
					if srcAt >= 0 {
						t.Attr[srcAt].Val = v
					} else {
						t.Attr = append(t.Attr, html.Attribute{Key: "src", Val: v})
					}
					changed = true
					break
				}
			}
		}
	}
	if base == nil {
		return changed
	}
	for i, a := range t.Attr {
		if !urlAttrs[a.Key] {
			continue
		}
		v := strings.TrimSpace(a.Val)
		if v == "" || strings.HasPrefix(v, "#") || hasScheme(v) {
			continue
		}
		u, err := base.Parse(v)
		if err != nil {
			continue
		}
		t.Attr[i].Val = u.String()
		changed = true
	}
	return changed
}

func tokenAttr(t *html.Token, key string) string {
	for _, a := range t.Attr {
		if a.Key == key {
			return strings.TrimSpace(a.Val)
		}
	}
	return ""
}

// placeholderSrc recognises the spacer images lazy-loading pages put in src.
func placeholderSrc(src string) bool {
	if strings.HasPrefix(src, "data:") {
		return true
	}
	l := strings.ToLower(src)
	for _, w := range []string{"blank.", "placeholder", "loading.", "lazy.", "grey.gif", "spacer.gif", "pixel.gif", "1x1."} {
		if strings.Contains(l, w) {
			return true
		}
	}
	return false
}

// hasScheme reports whether a URL reference starts with a scheme (http:,
// javascript:, data: …), so that it is left for the policy to judge.
func hasScheme(v string) bool {
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
		case '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.':
			if i == 0 {
				return false
			}
		case c == ':':
			return i > 0
		default:
			return false
		}
	}
	return false
}

// PlainText returns the text of an HTML fragment, for titles: HTML tags
// removed (script and style with their content), entities decoded,
// whitespace collapsed, and characters XML forbids removed. Angle brackets
// that do not make an HTML tag, as in "History of the <vector> type", stay.
func PlainText(s string) string {
	if strings.IndexByte(s, '<') < 0 && strings.IndexByte(s, '&') < 0 {
		return strings.Join(strings.Fields(cleanText(s)), " ")
	}
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	skip := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return strings.Join(strings.Fields(cleanText(b.String())), " ")
		case html.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			if a == 0 || !titleTags[a] {
				if skip == 0 {
					b.WriteString(html.UnescapeString(string(z.Raw())))
				}
				continue
			}
			switch {
			case a == atom.Script || a == atom.Style:
				if tt == html.StartTagToken {
					skip++
				} else if tt == html.EndTagToken && skip > 0 {
					skip--
				}
			case a == atom.Br || a == atom.P || a == atom.Div || a == atom.Li:
				b.WriteByte(' ')
			}
		}
	}
}

// titleTags are the elements PlainText strips: the HTML that upstreams put
// in titles. Other tag-like text is kept as written.
var titleTags = func() map[atom.Atom]bool {
	m := map[atom.Atom]bool{}
	for _, a := range []atom.Atom{atom.A, atom.Abbr, atom.Acronym, atom.B, atom.Big, atom.Br, atom.Cite, atom.Code,
		atom.Del, atom.Dfn, atom.Div, atom.Em, atom.Font, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.I, atom.Img, atom.Ins, atom.Kbd, atom.Li, atom.Mark, atom.Nobr, atom.P, atom.Q, atom.S, atom.Samp,
		atom.Script, atom.Small, atom.Span, atom.Strike, atom.Strong, atom.Style, atom.Sub, atom.Sup, atom.Time,
		atom.Tt, atom.U, atom.Ul, atom.Ol, atom.Var, atom.Wbr, atom.Iframe, atom.Object, atom.Embed, atom.Applet,
		atom.Frame, atom.Frameset, atom.Form, atom.Input, atom.Button, atom.Select, atom.Textarea, atom.Svg, atom.Math,
		atom.Table, atom.Tr, atom.Td, atom.Th, atom.Tbody, atom.Thead, atom.Center, atom.Blockquote, atom.Pre,
		atom.Link, atom.Meta, atom.Base, atom.Noscript, atom.Label, atom.Section, atom.Article, atom.Header, atom.Footer} {
		m[a] = true
	}
	return m
}()
