package main

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"unicode"

	"github.com/yizhan-hub/yizhan/sources"
)

// opmlDoc is what import reads of an OPML file.
type opmlDoc struct {
	version string
	title   string     // the head's title
	feeds   []opmlFeed // every feed outline, in document order, duplicates included
	skipped []error    // feed outlines left out, each naming its line
}

// opmlFeed is one outline with an xmlUrl.
type opmlFeed struct {
	name    string   // its text, else its title
	url     string   // its xmlUrl, an absolute http or https URL
	folders []string // the titles of the outlines around it, outermost first
	line    int
}

// readOPML reads an OPML 1.0 or 2.0 file, in any charset a feed may have.
// A file that is not well-formed XML, or not OPML, is an error naming the
// file and the line.
func readOPML(file string, data []byte) (*opmlDoc, error) {
	body, err := sources.DecodeXML(data, "", "")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	dec := xml.NewDecoder(bytes.NewReader(body))
	// DecodeXML made it UTF-8 and said so in the prolog.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	// Readers export titles with HTML entities (&nbsp;, &mdash;).
	dec.Entity = xml.HTMLEntity

	doc := &opmlDoc{}
	var stack []openElement
	root := false
	for {
		line, _ := dec.InputPos()
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				return nil, fmt.Errorf("%s:%d: XML syntax error: %s", file, se.Line, se.Msg)
			}
			return nil, fmt.Errorf("%s:%d: %w", file, line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(t.Name.Local)
			if !root {
				if name != "opml" {
					return nil, fmt.Errorf("%s:%d: not an OPML file: the root element is <%s>, not <opml>", file, line, t.Name.Local)
				}
				root = true
				doc.version = cleanText(attr(t, "version"))
			}
			if name == "title" && len(stack) == 2 && stack[1].name == "head" {
				var title string
				if err := dec.DecodeElement(&title, &t); err != nil {
					return nil, fmt.Errorf("%s:%d: head title: %w", file, line, err)
				}
				doc.title = cleanText(title)
				continue
			}
			e := openElement{name: name}
			if name == "outline" && inBody(stack) {
				feed := opmlFeed{name: cleanText(attr(t, "text")), line: line}
				if feed.name == "" {
					feed.name = cleanText(attr(t, "title"))
				}
				if raw := strings.TrimSpace(attr(t, "xmlUrl")); raw != "" {
					for _, o := range stack {
						if o.folder {
							feed.folders = append(feed.folders, o.title)
						}
					}
					u, err := feedURL(raw)
					if err != nil {
						doc.skipped = append(doc.skipped, fmt.Errorf("%s:%d: outline %q skipped: xmlUrl %v", file, line, feed.name, err))
					} else {
						feed.url = u
						doc.feeds = append(doc.feeds, feed)
					}
				} else {
					e.folder, e.title = true, feed.name
				}
			}
			stack = append(stack, e)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		}
	}
	if !root {
		return nil, fmt.Errorf("%s: not an OPML file: no <opml> element", file)
	}
	return doc, nil
}

// openElement is an element readOPML is inside of: its name in lower case,
// and for an outline that is not a feed, its title (a folder).
type openElement struct {
	name   string
	folder bool
	title  string
}

// inBody reports whether the open elements are inside the <body> of the
// <opml> root.
func inBody(stack []openElement) bool {
	return len(stack) >= 2 && stack[1].name == "body"
}

// attr returns the value of the attribute named name, in any case: some
// exporters write xmlurl or XMLURL.
func attr(t xml.StartElement, name string) string {
	for _, a := range t.Attr {
		if strings.EqualFold(a.Name.Local, name) {
			return a.Value
		}
	}
	return ""
}

// cleanText trims a title, folds its runs of white space into one space and
// drops control characters, which have no place in a name or a comment.
func cleanText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) && !unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// feedURL returns an xmlUrl as a source url: feed:// and feed:http… (the
// old feed URI scheme) become http; anything but an absolute http or https
// URL is an error.
func feedURL(raw string) (string, error) {
	switch {
	case strings.HasPrefix(strings.ToLower(raw), "feed://"):
		raw = "http://" + raw[len("feed://"):]
	case strings.HasPrefix(strings.ToLower(raw), "feed:"):
		raw = raw[len("feed:"):]
	}
	if err := checkURL(raw); err != nil {
		return "", err
	}
	if strings.ContainsAny(raw, "\r\n\t") {
		return "", fmt.Errorf("%q has control characters", raw)
	}
	return raw, nil
}

// feedKey is what makes two xmlUrls one feed: the URL with its scheme and
// host in lower case, without a default port or fragment.
func feedKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	u.Scheme = strings.ToLower(u.Scheme)
	u.Host = strings.ToLower(u.Host)
	if port := u.Port(); port == "80" && u.Scheme == "http" || port == "443" && u.Scheme == "https" {
		u.Host = u.Hostname()
	}
	u.Fragment, u.RawFragment = "", ""
	if u.Path == "" {
		u.Path = "/"
	}
	return u.String()
}
