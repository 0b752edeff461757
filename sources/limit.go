package sources

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/mmcdole/gofeed"
)

// MaxFeedItems is how many items ParseFeed keeps of one feed: the newest by
// their publication (else update) dates, the earlier in the document first
// among equal or missing dates. A feed listing more is an archive or an
// attack; gofeed would hold every item in memory (a 15 MB feed of empty
// items took 1.2 GB as RSS, 2.8 GB as JSON Feed), so the others are cut
// from the document before it is parsed.
const MaxFeedItems = 1000

// Bounds on a feed document's markup, past which gofeed's memory is no
// longer bounded by the body cap: it builds a struct of maps for every
// element of an extension or of Atom XHTML content, so 6 MB of empty
// extension elements took 280 MB, and 7 MB of nested ones 600 MB. A real
// feed of MaxFeedItems items has some 30,000 elements, nested about 10 deep.
const (
	maxElements = 100_000
	maxDepth    = 256
)

// ErrTooComplex is returned for a feed whose markup holds more elements,
// or nests them deeper, than yizhan reads.
var ErrTooComplex = errors.New("sources: feed markup too large or too deep")

// boundFeed returns doc cut to its newest MaxFeedItems items (trimItems)
// and how many it had, or ErrTooComplex for markup beyond the bounds
// above.
func boundFeed(doc []byte, kind gofeed.FeedType, loc *time.Location) ([]byte, int, error) {
	doc, n, err := trimItems(doc, kind, MaxFeedItems, loc)
	if err != nil || kind == gofeed.FeedTypeJSON {
		// encoding/json bounds nesting itself, and gofeed keeps no
		// structure of unknown JSON members.
		return doc, n, err
	}
	if err := checkMarkup(doc, maxElements, maxDepth); err != nil {
		return nil, 0, err
	}
	return doc, n, nil
}

// checkMarkup counts the elements of an XML document and their depth with
// a byte scan (comments, CDATA sections, declarations and processing
// instructions skipped), failing once either passes its bound.
func checkMarkup(doc []byte, maxElements, maxDepth int) error {
	depth, elements := 0, 0
	for i := 0; ; {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 {
			return nil
		}
		i += j + 1
		rest := doc[i:]
		end := ">"
		switch {
		case bytes.HasPrefix(rest, []byte("!--")):
			end = "-->"
		case bytes.HasPrefix(rest, []byte("![CDATA[")):
			end = "]]>"
		case len(rest) > 0 && (rest[0] == '!' || rest[0] == '?'):
		case len(rest) > 0 && rest[0] == '/':
			depth = max(depth-1, 0)
		default:
			k := tagEnd(rest)
			if k < 0 {
				return nil
			}
			elements++
			if k == 0 || rest[k-1] != '/' {
				depth++
			}
			if elements > maxElements {
				return fmt.Errorf("%w: more than %d elements", ErrTooComplex, maxElements)
			}
			if depth > maxDepth {
				return fmt.Errorf("%w: elements nested more than %d deep", ErrTooComplex, maxDepth)
			}
			i += k + 1
			continue
		}
		k := bytes.Index(rest, []byte(end))
		if k < 0 {
			return nil
		}
		i += k + len(end)
	}
}

// tagEnd is the index of the '>' that ends a start tag, outside quoted
// attribute values; -1 if there is none.
func tagEnd(b []byte) int {
	var quote byte
	for i, c := range b {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '>':
			return i
		}
	}
	return -1
}

// itemSpan is one item of a feed document: its bytes and its date.
type itemSpan struct {
	start, end int64
	index      int
	date       time.Time
}

// trimItems returns doc with at most limit of its items, the newest, in
// their order, and how many items doc had. A document with few items is
// returned as it is, after a cheap count. kind is the document's type as
// gofeed detected it; dates without a zone are read in loc.
func trimItems(doc []byte, kind gofeed.FeedType, limit int, loc *time.Location) ([]byte, int, error) {
	if loc == nil {
		loc = time.UTC
	}
	switch kind {
	case gofeed.FeedTypeRSS, gofeed.FeedTypeAtom:
		// Every item element's name holds "<item", "<entry", ":item" or
		// ":entry" (a prefixed name); counting them over-counts a little.
		n := 0
		for _, s := range []string{"<item", "<entry", ":item", ":entry"} {
			n += bytes.Count(doc, []byte(s))
		}
		if n <= limit {
			return doc, -1, nil
		}
		return trimXML(doc, limit, loc)
	case gofeed.FeedTypeJSON:
		if bytes.Count(doc, []byte("{")) <= limit {
			return doc, -1, nil
		}
		return trimJSON(doc, limit, loc)
	}
	return doc, -1, nil
}

// newest keeps, in spans, the limit newest so far; it sorts and cuts only
// when spans reach twice the limit, so keeping costs O(n log limit).
func newest(spans []itemSpan, limit int, final bool) []itemSpan {
	if len(spans) < 2*limit && !final {
		return spans
	}
	slices.SortFunc(spans, func(a, b itemSpan) int {
		if c := b.date.Compare(a.date); c != 0 {
			return c
		}
		return a.index - b.index
	})
	spans = spans[:min(len(spans), limit)]
	if final {
		slices.SortFunc(spans, func(a, b itemSpan) int { return a.index - b.index })
	}
	return spans
}

// splice is doc with only the kept items: what precedes the first item,
// the kept ones joined by sep, and what follows the last.
func splice(doc []byte, first, last int64, kept []itemSpan, sep string) []byte {
	out := make([]byte, 0, int(first)+len(doc)-int(last)+len(kept)*64)
	out = append(out, doc[:first]...)
	for i, s := range kept {
		if i > 0 {
			out = append(out, sep...)
		}
		out = append(out, doc[s.start:s.end]...)
	}
	return append(out, doc[last:]...)
}

// trimXML finds the items of an RSS or Atom document (item and entry
// elements that are children of channel, rdf:RDF or feed) with a
// tokenizer, reading each one's date from its pubDate, dc:date, published
// or updated child.
func trimXML(doc []byte, limit int, loc *time.Location) ([]byte, int, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = false
	// doc is UTF-8 already (DecodeXML), whatever a prolog still says.
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var (
		spans       []itemSpan
		path        []string // element names down to the item's children; deeper ones are only counted
		depth       int
		item        *itemSpan
		itemDepth   int
		dateField   string // the date child being read, if any
		published   string
		updated     string
		first, last int64 = -1, -1
		n           int
	)
	for {
		off := d.InputOffset()
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, 0, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if item == nil && (name == "item" || name == "entry") && depth > 0 && depth <= 2 &&
				(path[depth-1] == "channel" || path[depth-1] == "RDF" || path[depth-1] == "feed") {
				item = &itemSpan{start: off, index: n}
				itemDepth, published, updated = depth, "", ""
				if first < 0 {
					first = off
				}
			} else if item != nil && depth == itemDepth+1 {
				switch name {
				case "pubDate", "published", "date", "issued":
					dateField = "published"
				case "updated", "modified":
					dateField = "updated"
				}
			}
			if depth < 4 {
				path = append(path[:depth], name)
			}
			depth++
		case xml.EndElement:
			// RawToken does not match end tags to start tags.
			depth = max(depth-1, 0)
			dateField = ""
			if item != nil && depth == itemDepth {
				item.end = d.InputOffset()
				last = item.end
				if t, ok := ParseTime(published, loc); ok {
					item.date = t
				} else if t, ok := ParseTime(updated, loc); ok {
					item.date = t
				}
				spans = newest(append(spans, *item), limit, false)
				item = nil
				n++
			}
		case xml.CharData:
			// Dates are short: a longer text is no date, and is not kept.
			switch {
			case dateField == "published" && len(published)+len(t) <= 128:
				published += string(t)
			case dateField == "updated" && len(updated)+len(t) <= 128:
				updated += string(t)
			}
		}
	}
	if n <= limit {
		return doc, n, nil
	}
	if item != nil {
		doc = doc[:item.start] // a truncated document: its last item never closed
	}
	return splice(doc, first, last, newest(spans, limit, true), "\n"), n, nil
}

// trimJSON finds the elements of a JSON Feed's top-level items array with
// a streaming decoder, reading each one's date_published or date_modified.
func trimJSON(doc []byte, limit int, loc *time.Location) ([]byte, int, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	if tok, err := d.Token(); err != nil {
		return nil, 0, err
	} else if tok != json.Delim('{') {
		return nil, 0, errors.New("json feed: not an object")
	}
	for d.More() {
		key, err := d.Token()
		if err != nil {
			return nil, 0, err
		}
		if key != "items" {
			var skip json.RawMessage
			if err := d.Decode(&skip); err != nil {
				return nil, 0, err
			}
			continue
		}
		if tok, err := d.Token(); err != nil {
			return nil, 0, err
		} else if tok != json.Delim('[') {
			return doc, -1, nil // gofeed will say what is wrong
		}
		first := d.InputOffset()
		var (
			spans []itemSpan
			n     int
			end   = first
		)
		for d.More() {
			start := end
			for start < int64(len(doc)) && (doc[start] == ',' || isJSONSpace(doc[start])) {
				start++
			}
			var raw json.RawMessage
			if err := d.Decode(&raw); err != nil {
				return nil, 0, err
			}
			end = d.InputOffset()
			var dates struct {
				Published string `json:"date_published"`
				Modified  string `json:"date_modified"`
			}
			s := itemSpan{start: start, end: end, index: n}
			if bytes.Contains(raw, []byte(`"date_`)) && json.Unmarshal(raw, &dates) == nil {
				if t, ok := ParseTime(dates.Published, loc); ok {
					s.date = t
				} else if t, ok := ParseTime(dates.Modified, loc); ok {
					s.date = t
				}
			}
			spans = newest(append(spans, s), limit, false)
			n++
		}
		if n <= limit {
			return doc, n, nil
		}
		return splice(doc, first, end, newest(spans, limit, true), ","), n, nil
	}
	return doc, -1, nil
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
