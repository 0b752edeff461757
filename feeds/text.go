package feeds

import (
	"cmp"
	"html"
	"strings"
	"unicode"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"

	"github.com/yizhan-hub/yizhan/hub"
)

// clean returns s without the characters XML 1.0 forbids (C0 controls other
// than tab, newline and carriage return; U+FFFE, U+FFFF; surrogates), with
// invalid UTF-8 replaced by U+FFFD. One such character anywhere makes a whole
// XML feed unreadable, and encoding/xml passes them through CDATA sections.
func clean(s string) string {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c < utf8.RuneSelf {
			i++
			continue
		}
		// Most text is CJK: three-byte characters, none of them surrogates
		// (ED), overlong (E0), U+FFFE or U+FFFF, are checked without
		// decoding them, several times faster.
		if (c >= 0xE1 && c <= 0xEC || c == 0xEE || c == 0xEF && (i+1 >= len(s) || s[i+1] != 0xBF)) &&
			i+2 < len(s) && s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if !xmlChar(r) || r == utf8.RuneError && size == 1 {
			return cleanSlow(s, i)
		}
		i += size
	}
	return s
}

func cleanSlow(s string, from int) string {
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:from])
	for i := from; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(utf8.RuneError)
		case xmlChar(r):
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// xmlChar reports whether r is a Char of XML 1.0 (section 2.2).
func xmlChar(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return true
	case r < 0x20:
		return false
	case r <= 0xD7FF:
		return true
	case r < 0xE000:
		return false
	case r <= 0xFFFD:
		return true
	case r < 0x10000:
		return false
	}
	return r <= utf8.MaxRune
}

// cleanAll cleans every string of ss, reusing ss's backing array.
func cleanAll(ss []string) []string {
	out := ss[:0]
	for _, s := range ss {
		if s = strings.TrimSpace(clean(s)); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// htmlText returns the text of an HTML fragment with runs of white space
// collapsed, a space where a block or a line break ends: JSON Feed's
// summary, the filters' "description", a search result's excerpt.
func htmlText(fragment string) string {
	text, _ := htmlTextPrefix(fragment, -1)
	return text
}

// htmlTextPrefix is htmlText(fragment) cut to its first n characters (all
// of it when n < 0), and whether more text follows: it reads the fragment
// only as far as it needs, so a page's summary of an article does not
// walk the whole article.
func htmlTextPrefix(fragment string, n int) (string, bool) {
	var b strings.Builder
	if n >= 0 {
		b.Grow(min(n*3, len(fragment)))
	} else {
		b.Grow(len(fragment))
	}
	count, space := 0, false
	// add appends text with runs of white space collapsed, as htmlText's
	// strings.Fields does; it reports false once n characters are written
	// and more follow.
	add := func(text []byte) bool {
		for i := 0; i < len(text); {
			r, size := rune(text[i]), 1
			if r >= utf8.RuneSelf {
				r, size = utf8.DecodeRune(text[i:])
			}
			if unicode.IsSpace(r) {
				space = true
				i += size
				continue
			}
			if space && count > 0 {
				if count == n {
					return false
				}
				b.WriteByte(' ')
				count++
			}
			space = false
			if count == n {
				return false
			}
			b.Write(text[i : i+size]) // as it is, as strings.Fields keeps it
			count++
			i += size
		}
		return true
	}
	if !strings.ContainsAny(fragment, "<&") {
		more := !add([]byte(fragment))
		return b.String(), more
	}
	z := xhtml.NewTokenizer(strings.NewReader(fragment))
	skip := 0 // inside <script> or <style>
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return b.String(), false
		case xhtml.TextToken:
			if skip == 0 && !add(z.Text()) {
				return b.String(), true
			}
		case xhtml.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				skip++
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6":
				space = true
			}
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "tr", "td", "th":
				space = true
			}
		}
	}
}

// Labels of the attribution footer.
const (
	footerCredit    = "来源："
	footerVia       = "经由："
	footerAuthor    = "作者："
	footerEditor    = "编辑："
	footerCopyright = "版权声明："
	footerCarried   = "转载："
	footerSep       = " · "
	carrierSep      = "、"
)

// footer is the paragraph that ends every item's content, naming credit, via,
// author, editor and copyright for readers that show nothing but the
// content, and on a line of its own the other upstreams that carry the story
// (SPEC.md: 转载：A、B), each linked to its copy. Its arguments are clean;
// footer escapes them.
func footer(a *hub.Attribution, carriers []hub.Carrier) string {
	var b strings.Builder
	b.WriteString(`<p class="yizhan-attribution">`)
	n := 0
	part := func(label, value string) {
		if n > 0 {
			b.WriteString(footerSep)
		}
		n++
		b.WriteString(label)
		b.WriteString(html.EscapeString(value))
	}
	if a.Credit != "" {
		if a.CreditURL != "" {
			part(footerCredit, "")
			b.WriteString(`<a href="`)
			b.WriteString(html.EscapeString(a.CreditURL))
			b.WriteString(`">`)
			b.WriteString(html.EscapeString(a.Credit))
			b.WriteString(`</a>`)
		} else {
			part(footerCredit, a.Credit)
		}
	}
	for _, f := range [...]struct{ label, value string }{
		{footerVia, a.Via},
		{footerAuthor, a.Author},
		{footerEditor, a.Editor},
		{footerCopyright, a.Copyright},
	} {
		if f.value != "" {
			part(f.label, f.value)
		}
	}
	if len(carriers) > 0 {
		if n > 0 {
			b.WriteString("<br>")
		}
		n++
		b.WriteString(footerCarried)
		for i, c := range carriers {
			if i > 0 {
				b.WriteString(carrierSep)
			}
			name := html.EscapeString(cmp.Or(c.Name, c.URL))
			if c.URL == "" {
				b.WriteString(name)
				continue
			}
			b.WriteString(`<a href="`)
			b.WriteString(html.EscapeString(c.URL))
			b.WriteString(`">`)
			b.WriteString(name)
			b.WriteString(`</a>`)
		}
	}
	if n == 0 {
		return ""
	}
	b.WriteString("</p>")
	return b.String()
}
