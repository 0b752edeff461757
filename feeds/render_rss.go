package feeds

import (
	"bytes"
	"encoding/xml"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Namespaces an RSS feed of ours declares on <rss>.
const (
	nsContent = "http://purl.org/rss/1.0/modules/content/"
	nsDC      = "http://purl.org/dc/elements/1.1/"
	nsAtom    = "http://www.w3.org/2005/Atom"
)

// rssHead is an RSS feed's start, up to its channel's title.
const rssHead = xml.Header + `<rss version="2.0" xmlns:content="` + nsContent + `" xmlns:dc="` + nsDC +
	`" xmlns:atom="` + nsAtom + `">` + "\n  <channel>\n    <title>"

// writeRSS writes v as RSS 2.0 with the content, dc and atom namespaces:
// gorilla/feeds' channel and items (RFC 1123 dates, a guid that is not a
// permalink, content:encoded when there is a summary besides), with the
// channel's atom:link rel="self", "hub" and "next", and each item's
// categories, dc:creator, dc:contributor, dc:rights and <source
// url="URL">name</source>. It writes the bytes encoding/xml wrote for
// gorilla's structs extended (TestRSSWriterMatchesEncoder holds it to
// that), without reflection: rendering is most of a page of the archive
// after the store's read (docs/performance.md, "Paging").
func writeRSS(buf *bytes.Buffer, v *feedView) error {
	size := 2048
	for i := range v.Items {
		it := &v.Items[i]
		size += 640 + len(it.Title) + len(it.URL) + len(it.GUID) + (len(it.Summary)+len(it.Content))*9/8
	}
	buf.Grow(size)
	b := buf.AvailableBuffer()
	b = append(b, rssHead...)
	b = appendEscaped(b, v.Title)
	b = append(b, "</title>\n    <link>"...)
	b = appendEscaped(b, v.HomeURL)
	b = append(b, "</link>\n    <description>"...)
	b = appendEscaped(b, v.Description)
	b = append(b, "</description>\n    <language>"+Language+"</language>"...)
	if v.Copyright != "" {
		b = appendElement(b, "\n    ", "copyright", v.Copyright)
	}
	if !v.Updated.IsZero() {
		b = appendDate(b, "\n    ", "pubDate", v.Updated)
		b = appendDate(b, "\n    ", "lastBuildDate", v.Updated)
	}
	b = append(b, "\n    <ttl>"...)
	b = strconv.AppendInt(b, int64(max(1, int((v.TTL+time.Minute-1)/time.Minute))), 10)
	b = append(b, "</ttl>"...)
	b = appendAtomLink(b, v.selfURL(formatRSS), "self", "application/rss+xml")
	if v.HubURL != "" {
		b = appendAtomLink(b, v.HubURL, "hub", "")
	}
	if v.nextURL != nil {
		b = appendAtomLink(b, v.nextURL(formatRSS), "next", "application/rss+xml")
	}
	for i := range v.Items {
		b = appendRSSItem(b, &v.Items[i])
	}
	b = append(b, "\n  </channel>\n</rss>\n"...)
	buf.Write(b)
	return nil
}

func appendRSSItem(b []byte, it *itemView) []byte {
	b = append(b, "\n    <item>\n      <title>"...)
	b = appendEscaped(b, it.Title)
	b = append(b, "</title>\n      <link>"...)
	b = appendEscaped(b, it.URL)
	b = append(b, "</link>\n      <description>"...)
	if it.Summary != "" {
		b = appendEscaped(b, it.Summary)
		b = append(b, "</description>"...)
		if it.Content != "" {
			// The description is the content when there is no summary: once is enough.
			b = append(b, "\n      <content:encoded>"...)
			b = appendCDATA(b, it.Content)
			b = append(b, "</content:encoded>"...)
		}
	} else {
		b = appendEscaped(b, it.Content)
		b = append(b, "</description>"...)
	}
	if it.GUID != "" {
		b = append(b, "\n      <guid isPermaLink=\"false\">"...)
		b = appendEscaped(b, it.GUID)
		b = append(b, "</guid>"...)
	}
	switch {
	case !it.Date.IsZero():
		b = appendDate(b, "\n      ", "pubDate", it.Date)
	case !it.Updated.IsZero():
		b = appendDate(b, "\n      ", "pubDate", it.Updated)
	}
	for _, c := range it.Categories {
		b = appendElement(b, "\n      ", "category", c)
	}
	if it.Author != "" {
		b = appendElement(b, "\n      ", "dc:creator", it.Author)
	}
	if it.Editor != "" {
		b = appendElement(b, "\n      ", "dc:contributor", it.Editor)
	}
	if it.Copyright != "" {
		b = appendElement(b, "\n      ", "dc:rights", it.Copyright)
	}
	if it.Credit != "" {
		// RSS 2.0 requires the url attribute: where the credited publisher
		// has the item, else the feed we took it from, which is what the
		// element meant in the first place.
		u := it.CreditURL
		if u == "" {
			u = it.SourceURL
		}
		b = append(b, "\n      <source"...)
		if u != "" {
			b = append(b, ` url="`...)
			b = appendEscaped(b, u)
			b = append(b, '"')
		}
		b = append(b, '>')
		b = appendEscaped(b, it.Credit)
		b = append(b, "</source>"...)
	}
	return append(b, "\n    </item>"...)
}

// appendElement appends indent and <name>text</name>.
func appendElement(b []byte, indent, name, text string) []byte {
	b = append(b, indent...)
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = appendEscaped(b, text)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

// appendDate appends indent and <name>t</name>, t as RFC 1123 with a
// numeric zone.
func appendDate(b []byte, indent, name string, t time.Time) []byte {
	b = append(b, indent...)
	b = append(b, '<')
	b = append(b, name...)
	b = append(b, '>')
	b = t.AppendFormat(b, time.RFC1123Z)
	b = append(b, "</"...)
	b = append(b, name...)
	return append(b, '>')
}

func appendAtomLink(b []byte, href, rel, typ string) []byte {
	b = append(b, "\n    <atom:link href=\""...)
	b = appendEscaped(b, href)
	b = append(b, `" rel="`...)
	b = append(b, rel...)
	if typ != "" {
		b = append(b, `" type="`...)
		b = append(b, typ...)
	}
	return append(b, `"></atom:link>`...)
}

// xmlEscapes is what encoding/xml writes for each ASCII character in text
// and attribute values; "" for itself. Controls XML forbids become U+FFFD.
var xmlEscapes = func() (esc [utf8.RuneSelf]string) {
	for c := range 0x20 {
		esc[c] = "\uFFFD"
	}
	esc['\t'], esc['\n'], esc['\r'] = "&#x9;", "&#xA;", "&#xD;"
	esc['"'], esc['\''], esc['&'], esc['<'], esc['>'] = "&#34;", "&#39;", "&amp;", "&lt;", "&gt;"
	return esc
}()

// appendEscaped appends s escaped as encoding/xml's EscapeString does:
// the five markup characters and tab, newline and carriage return as
// references, every character XML forbids and every byte of invalid UTF-8
// as U+FFFD.
func appendEscaped(b []byte, s string) []byte {
	last := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if esc := xmlEscapes[c]; esc != "" {
				b = append(b, s[last:i]...)
				b = append(b, esc...)
				last = i + 1
			}
			i++
			continue
		}
		// Most text is CJK: three-byte characters, none of them surrogates
		// (ED) or overlong (E0), are checked here without decoding.
		if (c >= 0xE1 && c <= 0xEC || c >= 0xEE && c <= 0xEF) && i+2 < len(s) &&
			s[i+1]&0xC0 == 0x80 && s[i+2]&0xC0 == 0x80 {
			if c == 0xEF && s[i+1] == 0xBF && s[i+2] >= 0xBE { // U+FFFE, U+FFFF
				b = append(b, s[last:i]...)
				b = append(b, "\uFFFD"...)
				last = i + 3
			}
			i += 3
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 || !xmlChar(r) {
			b = append(b, s[last:i]...)
			b = append(b, "\uFFFD"...)
			last = i + size
		}
		i += size
	}
	return append(b, s[last:]...)
}

// appendCDATA appends s as a CDATA section, as encoding/xml does: "]]>"
// splits it, and an empty s is nothing.
func appendCDATA(b []byte, s string) []byte {
	if s == "" {
		return b
	}
	b = append(b, "<![CDATA["...)
	for {
		before, after, ok := strings.Cut(s, "]]>")
		if !ok {
			break
		}
		b = append(b, before...)
		b = append(b, "]]]]><![CDATA[>"...)
		s = after
	}
	b = append(b, s...)
	return append(b, "]]>"...)
}

// writeXML writes doc as an indented XML document ending in a newline.
func writeXML(w io.Writer, doc any) error {
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
