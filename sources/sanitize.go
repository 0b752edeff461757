package sources

import (
	"bytes"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

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
	// Kept only until resolveOutput has promoted them to src (and dropped them).
	p.AllowAttrs(lazySrcAttrs...).Matching(regexp.MustCompile(`^[^<>"']+$`)).OnElements("img")
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
// from, in order of preference: the common data-src and jQuery lazyload's
// data-original first, then the site- and plugin-specific ones (Jianshu's
// data-original-src, WordPress's data-lazy-src, Zhihu's data-actualsrc,
// Discuz's file, older CMSs' original and oldsrc). Article extraction and
// Sanitize both read it.
var lazySrcAttrs = []string{
	"data-src", "data-original", "data-original-src", "data-lazy-src", "data-actualsrc",
	"data-url", "file", "original", "oldsrc",
}

// lazyImageURL is the real URL of a lazy-loading image: the first of
// lazySrcAttrs, in their order, whose value attr returns resolves against
// base to an http(s) URL; "" when none does.
func lazyImageURL(attr func(key string) string, base *url.URL) string {
	for _, k := range lazySrcAttrs {
		if v := attr(k); v != "" {
			if u := resolveHTTP(base, v); u != "" {
				return u
			}
		}
	}
	return ""
}

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
	if !strings.ContainsAny(s, "<&") {
		// Plain text, as many summaries are: what the policy would make of it.
		return strings.TrimSpace(textEscaper.Replace(s))
	}
	out := resolveOutput(sanitizeHTML(s), base)
	// Character references such as &#2; come out of the policy as raw characters.
	return strings.TrimSpace(cleanText(out))
}

// sanitizeHTML is policy.Sanitize(s), writing into a pooled buffer: the
// policy's own grows a new one from nothing for every call, which was a
// quarter of the bytes allocated to ingest a feed of Chinese articles.
func sanitizeHTML(s string) string {
	buf := sanitizeBufs.Get().(*bytes.Buffer)
	defer sanitizeBufs.Put(buf)
	buf.Reset()
	buf.Grow(len(s) + len(s)/8)
	if err := policy.SanitizeReaderToWriter(strings.NewReader(s), buf); err != nil {
		return "" // what Sanitize gives for input it cannot read
	}
	out := buf.String()
	if buf.Cap() > maxPooledBuffer {
		*buf = bytes.Buffer{}
	}
	return out
}

// maxPooledBuffer is the largest buffer kept for the next call: one huge
// article must not pin its memory.
const maxPooledBuffer = 1 << 20

var sanitizeBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// textEscaper escapes text as the policy's tokenizer does: line ends
// normalized, then html.EscapeString's five characters.
var textEscaper = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\x00", "", `'`, "&#39;", `"`, "&#34;", ">", "&gt;")

// resolveOutput resolves relative URLs and promotes lazy-loaded images in
// the policy's output. That output is regular — text holds no raw '<' or
// '"', and every tag is written by html.Token.String with each attribute as
// key="escaped value" — so a scan of its tags suffices: a second tokenizing
// pass cost a third as much as sanitizing itself. A tag that does not scan
// as expected is left as the policy wrote it.
func resolveOutput(s string, base *url.URL) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '<')
		if j < 0 {
			break
		}
		start := i + j
		n := strings.IndexByte(s[start:], '>')
		if n < 0 {
			break
		}
		end := start + n + 1
		i = end
		fixed, ok := fixTag(s[start:end], base)
		if !ok {
			continue
		}
		if last == 0 {
			b.Grow(len(s) + 256)
		}
		b.WriteString(s[last:start])
		b.WriteString(fixed)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

type tagAttr struct{ key, val string } // val unescaped

// fixTag rewrites one start tag of the policy's output, reporting false
// when it needs no change.
func fixTag(tag string, base *url.URL) (string, bool) {
	if len(tag) < 4 || tag[1] == '/' {
		return "", false
	}
	body := strings.TrimSuffix(tag[1:len(tag)-1], "/")
	selfClosing := len(body) < len(tag)-2
	name, rest, _ := strings.Cut(body, " ")
	if !urlTags[name] || rest == "" {
		return "", false
	}
	var attrs []tagAttr
	for rest != "" {
		k, after, ok := strings.Cut(rest, `="`)
		if !ok {
			return "", false
		}
		v, after, ok := strings.Cut(after, `"`)
		if !ok {
			return "", false
		}
		attrs = append(attrs, tagAttr{strings.TrimSpace(k), html.UnescapeString(v)})
		rest = strings.TrimLeft(after, " ")
	}

	changed := false
	if name == "img" {
		lazy := lazyImageURL(func(k string) string {
			for _, a := range attrs {
				if a.key == k {
					return a.val
				}
			}
			return ""
		}, base)
		src, srcAt := "", -1
		kept := attrs[:0]
		for _, a := range attrs {
			switch {
			case a.key == "src":
				src, srcAt = a.val, len(kept)
			case slices.Contains(lazySrcAttrs, a.key):
				changed = true
				continue
			}
			kept = append(kept, a)
		}
		attrs = kept
		if lazy != "" && (src == "" || placeholderSrc(src)) {
			if srcAt >= 0 {
				attrs[srcAt].val = lazy
			} else {
				attrs = append([]tagAttr{{"src", lazy}}, attrs...)
			}
		}
	}
	if base != nil {
		for i, a := range attrs {
			if !urlAttrs[a.key] || a.val == "" || strings.HasPrefix(a.val, "#") || hasScheme(a.val) {
				continue
			}
			// The policy has vetted the reference; one that does not
			// resolve is left as it wrote it.
			if u := resolveHTTP(base, a.val); u != "" {
				attrs[i].val = u
				changed = true
			}
		}
	}
	if !changed {
		return "", false
	}
	var b strings.Builder
	b.WriteByte('<')
	b.WriteString(name)
	for _, a := range attrs {
		b.WriteByte(' ')
		b.WriteString(a.key)
		b.WriteString(`="`)
		b.WriteString(html.EscapeString(a.val))
		b.WriteByte('"')
	}
	if selfClosing {
		b.WriteByte('/')
	}
	b.WriteByte('>')
	return b.String(), true
}

// urlTags are the elements whose attributes resolveOutput may change.
var urlTags = map[string]bool{
	"a": true, "img": true, "blockquote": true, "q": true, "del": true, "ins": true,
	"video": true, "audio": true, "source": true,
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
	return fragmentText(s, false)
}

// FirstLine returns the first line of text that is not blank in sanitized
// HTML, such as an item's Content, for a one-line glimpse of it: <br> and
// block elements (blockElems) end lines, script and style are left out,
// entities decoded, whitespace collapsed and characters XML forbids removed.
func FirstLine(s string) string {
	return fragmentText(s, true)
}

// fragmentText is PlainText of s, or if firstLine, FirstLine of s: the
// tokenizer loop both share.
func fragmentText(s string, firstLine bool) string {
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
			if !firstLine && !titleTags[a] {
				// Tag-like text in a title, kept as written. Sanitized
				// HTML holds real tags only.
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
			case firstLine && (a == atom.Br || blockElems[a]):
				if line := strings.Join(strings.Fields(cleanText(b.String())), " "); line != "" {
					return line
				}
				b.Reset()
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
