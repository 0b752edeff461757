package feeds

import (
	"bytes"
	"html/template"
	"strings"
)

// The items of a page, and the channels of its search form, are written
// here rather than by pagesTemplate: at twenty items and a hundred
// channels they were most of a page's rendering, html/template calling an
// escaper through reflection for every field. They are escaped as
// html/template escapes the same contexts, by the same rules:
//
//   - text, and a quoted attribute value that is not a URL: escText, which
//     is html/template's htmlEscaper (and its attrEscaper, the same for a
//     plain string);
//   - a quoted href: escURL, html/template's URL filter (only http, https,
//     mailto or no scheme; anything else becomes #ZgotmplZ), then its URL
//     normalizer and attribute escaper.
//
// TestPageEscapers checks each against html/template itself, on every
// input FuzzPageEscapers finds; the markup around them is fixed text.

// escText writes s escaped for HTML text or a quoted attribute value.
func escText(b *bytes.Buffer, s string) {
	written := 0
	for i := 0; i < len(s); i++ {
		var repl string
		switch s[i] {
		case 0:
			repl = "\uFFFD"
		case '"':
			repl = "&#34;"
		case '&':
			repl = "&amp;"
		case '\'':
			repl = "&#39;"
		case '+':
			repl = "&#43;"
		case '<':
			repl = "&lt;"
		case '>':
			repl = "&gt;"
		default:
			continue
		}
		b.WriteString(s[written:i])
		b.WriteString(repl)
		written = i + 1
	}
	b.WriteString(s[written:])
}

// escURL writes URL s escaped for a quoted href, as html/template does.
func escURL(b *bytes.Buffer, s string) {
	if !safeURL(s) {
		s = "#ZgotmplZ"
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$*,/:;=?@[]-._~", c) >= 0:
		case c == '&':
			b.WriteString("&amp;")
			continue
		case c == '+':
			b.WriteString("&#43;")
			continue
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			// A percent-encoded octet stays as it is.
		default:
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
}

// safeURL reports whether a URL's scheme, if it has one, is http, https or
// mailto: html/template's isSafeURL.
func safeURL(s string) bool {
	if scheme, _, ok := strings.Cut(s, ":"); ok && !strings.Contains(scheme, "/") {
		return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https") || strings.EqualFold(scheme, "mailto")
	}
	return true
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// writeItems writes the list of a page's items; none, nothing.
func writeItems(items []pageItem) template.HTML {
	if len(items) == 0 {
		return ""
	}
	var b bytes.Buffer
	b.Grow(1024 * (len(items) + 1))
	b.WriteString("\n<ol class=\"items\">")
	for i := range items {
		it := &items[i]
		b.WriteString("\n<li><article>\n<h2>")
		if it.URL != "" {
			b.WriteString(`<a href="`)
			escURL(&b, it.URL)
			b.WriteString(`">`)
			writeSegments(&b, it.Title)
			b.WriteString("</a>")
		} else {
			writeSegments(&b, it.Title)
		}
		b.WriteString("</h2>\n<p class=\"meta\"><time datetime=\"")
		escText(&b, it.ISO)
		b.WriteString(`">`)
		escText(&b, it.Date)
		b.WriteString("</time>")
		if it.Credit != "" {
			b.WriteString(" · 来源：")
			writeLink(&b, it.CreditURL, it.Credit)
		}
		if it.Via != "" {
			b.WriteString(" · 经由：")
			escText(&b, it.Via)
		}
		if it.Author != "" {
			b.WriteString(" · 作者：")
			escText(&b, it.Author)
		}
		if it.Channel != "" {
			b.WriteString(" · ")
			writeLink(&b, it.ChannelURL, it.Channel)
		}
		b.WriteString("</p>")
		if len(it.Summary) > 0 {
			b.WriteString("\n<p>")
			writeSegments(&b, it.Summary)
			b.WriteString("</p>")
		}
		if len(it.Carriers) > 0 {
			b.WriteString("\n<p class=\"meta\">转载：")
			for j, c := range it.Carriers {
				if j > 0 {
					b.WriteString("、")
				}
				name := c.Name
				if name == "" {
					name = c.URL
				}
				writeLink(&b, c.URL, name)
			}
			b.WriteString("</p>")
		}
		b.WriteString("\n</article></li>")
	}
	b.WriteString("\n</ol>")
	return template.HTML(b.String())
}

// writeLink writes text, as a link to href when there is one.
func writeLink(b *bytes.Buffer, href, text string) {
	if href == "" {
		escText(b, text)
		return
	}
	b.WriteString(`<a href="`)
	escURL(b, href)
	b.WriteString(`">`)
	escText(b, text)
	b.WriteString("</a>")
}

// writeSegments writes text in pieces, the highlighted ones in <mark>.
func writeSegments(b *bytes.Buffer, segs []segment) {
	for _, s := range segs {
		if s.Mark {
			b.WriteString("<mark>")
			escText(b, s.Text)
			b.WriteString("</mark>")
		} else {
			escText(b, s.Text)
		}
	}
}
