package sources

import (
	"bytes"
)

// span is a byte range [start, end) of a document.
type span struct{ start, end int }

// layout is the element structure of an RSS or Atom document that
// scanLayout finds without parsing it.
type layout struct {
	// items are the item and entry elements that are children of channel,
	// rdf:RDF or feed, in document order, start tag to end tag.
	items []span
	// dates are the date children of channel or feed (lastBuildDate,
	// pubDate, updated, dc:date): a feed rewrites them on every build while
	// its items stay as they were.
	dates []span
	// texts are the contents of CDATA sections that make up the whole text
	// of a description, content:encoded, content or summary element: the
	// bulk of a feed, which the vault keeps away from gofeed's tokenizer.
	texts []span
}

// scanLayout finds the items of an RSS or Atom document with a scan of its
// markup: tags, comments, CDATA sections and processing instructions, with
// quoted attribute values, and nothing else decoded. It is about a hundred
// times cheaper than parsing the document. It reports false for anything it
// does not take apart with certainty: an unbalanced or misnamed end tag, an
// unterminated construct, a DOCTYPE with an internal subset (whose entities
// could change what an item says without changing its bytes), or items
// nested in items.
func scanLayout(doc []byte) (layout, bool) {
	var (
		l      layout
		stack  []string // open elements' names
		item   = -1     // depth of the open item element, or -1
		date   = -1     // depth of the open date element, or -1
		start  int      // where the open item or date element starts
		opened = -1     // end of the last start tag, while nothing else followed it
	)
	for i := 0; ; {
		j := bytes.IndexByte(doc[i:], '<')
		if j < 0 {
			break
		}
		i += j
		rest := doc[i:]
		switch {
		case bytes.HasPrefix(rest, []byte("<!--")):
			k := bytes.Index(rest[4:], []byte("-->"))
			if k < 0 {
				return l, false
			}
			i += 4 + k + 3
			continue
		case bytes.HasPrefix(rest, []byte("<![CDATA[")):
			k := bytes.Index(rest[9:], []byte("]]>"))
			if k < 0 {
				return l, false
			}
			text := span{i + 9, i + 9 + k}
			if opened >= 0 && isSpace(doc[opened:i]) && textElement(stack[len(stack)-1]) {
				after := doc[text.end+3:]
				after = after[len(after)-len(bytes.TrimLeft(after, " \t\r\n")):]
				if bytes.HasPrefix(after, []byte("</")) && bytes.HasPrefix(after[2:], []byte(stack[len(stack)-1])) &&
					len(after) > 2+len(stack[len(stack)-1]) && isTagEnd(after[2+len(stack[len(stack)-1])]) {
					l.texts = append(l.texts, text)
				}
			}
			opened = -1
			i = text.end + 3
			continue
		case bytes.HasPrefix(rest, []byte("<?")):
			k := bytes.Index(rest[2:], []byte("?>"))
			if k < 0 {
				return l, false
			}
			i += 2 + k + 2
			continue
		case bytes.HasPrefix(rest, []byte("<!")):
			// <!DOCTYPE …>: without an internal subset it holds no '>' inside.
			k := bytes.IndexByte(rest, '>')
			if k < 0 || bytes.IndexByte(rest[:k], '[') >= 0 {
				return l, false
			}
			i += k + 1
			continue
		case bytes.HasPrefix(rest, []byte("</")):
			opened = -1
			k := bytes.IndexByte(rest, '>')
			if k < 0 {
				return l, false
			}
			name := string(bytes.TrimRight(rest[2:k], " \t\r\n"))
			if len(stack) == 0 || stack[len(stack)-1] != name {
				return l, false
			}
			stack = stack[:len(stack)-1]
			i += k + 1
			switch len(stack) {
			case item:
				l.items = append(l.items, span{start, i})
				item = -1
			case date:
				l.dates = append(l.dates, span{start, i})
				date = -1
			}
			continue
		}
		// A start tag: its name, then attributes up to the '>' that is not
		// inside a quoted value (tagEnd).
		n := 1
		for n < len(rest) && !isTagEnd(rest[n]) {
			n++
		}
		if n == 1 {
			return l, false
		}
		name := string(rest[1:n])
		k := tagEnd(rest[n:])
		if k < 0 {
			return l, false
		}
		k += n
		selfClosing := rest[k-1] == '/'
		local, parent := localName(name), ""
		if len(stack) > 0 {
			parent = localName(stack[len(stack)-1])
		}
		depth := len(stack)
		switch {
		case (local == "item" || local == "entry") && (parent == "channel" || parent == "RDF" || parent == "feed"):
			if item >= 0 {
				return l, false
			}
			if selfClosing {
				l.items = append(l.items, span{i, i + k + 1})
			} else {
				item, start = depth, i
			}
		case item < 0 && date < 0 && (parent == "channel" || parent == "feed") && depth <= 2 &&
			(local == "lastBuildDate" || local == "pubDate" || local == "updated" || local == "date"):
			if !selfClosing {
				date, start = depth, i
			}
		}
		i += k + 1
		opened = -1
		if !selfClosing {
			stack = append(stack, name)
			opened = i
		}
	}
	return l, len(stack) == 0 && item < 0
}

// isTagEnd reports whether c ends an element name.
func isTagEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '>' || c == '/'
}

// isSpace reports whether b is XML white space only.
func isSpace(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			return false
		}
	}
	return true
}

// textElement reports whether an element named name holds an item's
// description or content.
func textElement(name string) bool {
	switch localName(name) {
	case "description", "encoded", "content", "summary":
		return true
	}
	return false
}

// localName is name without its namespace prefix.
func localName(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == ':' {
			return name[i+1:]
		}
	}
	return name
}
