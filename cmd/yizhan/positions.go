package main

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// positions maps the keys of a TOML document to the lines they are on, so
// that a semantic error found after decoding (a bad cron spec, an unknown
// channel) can still name its line. Keys are written as in error messages:
// "hub.timezone", "source[2].schedule", "source[2].html.links"; an array
// table's own header is "source[2]". Indexes count from 0.
type positions struct {
	lines map[string]int
	keys  map[int]string // line → the first key on it
}

// indexPositions walks the document with go-toml's parser. It is only called
// on documents that already decoded, so a parse error just ends the walk.
func indexPositions(doc []byte) positions {
	pos := positions{lines: map[string]int{}, keys: map[int]string{}}
	counts := map[string]int{} // array table path (without index) → elements so far
	var (
		p      unstable.Parser
		prefix string
	)
	// The lines of keys, counted on from the last one: the parser's Shape
	// counts from the start of the document each time, which took 0.57 s
	// for a configuration of 1,000 sources.
	line, at := 1, 0
	lineOf := func(n *unstable.Node) int {
		off := int(n.Raw.Offset)
		if off < at {
			line, at = 1, 0
		}
		line += bytes.Count(doc[at:off], []byte{'\n'})
		at = off
		return line
	}
	p.Reset(doc)
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			parts, first := keyParts(e.Key())
			path := ""
			for i, part := range parts {
				path = joinKey(path, part)
				last := i == len(parts)-1
				n, isArray := counts[path]
				switch {
				case last && e.Kind == unstable.ArrayTable:
					counts[path] = n + 1
					path = fmt.Sprintf("%s[%d]", path, n)
				case isArray && n > 0:
					path = fmt.Sprintf("%s[%d]", path, n-1)
				}
			}
			prefix = path
			pos.add(path, lineOf(first))
		case unstable.KeyValue:
			parts, first := keyParts(e.Key())
			pos.add(joinKey(prefix, strings.Join(parts, ".")), lineOf(first))
		}
	}
	return pos
}

func (p positions) add(path string, line int) {
	if _, ok := p.lines[path]; !ok {
		p.lines[path] = line
	}
	if _, ok := p.keys[line]; !ok {
		p.keys[line] = path
	}
}

// line returns the line of key, or of the nearest enclosing table that the
// document spells out (a missing "source[2].html.links" falls back to the
// line of "[source.html]", then of "[[source]]"); 0 if none.
func (p positions) line(key string) int {
	for key != "" {
		if l, ok := p.lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

// keyAt returns the key written on line, or "".
func (p positions) keyAt(line int) string { return p.keys[line] }

func keyParts(it unstable.Iterator) (parts []string, first *unstable.Node) {
	for it.Next() {
		if first == nil {
			first = it.Node()
		}
		parts = append(parts, string(it.Node().Data))
	}
	return parts, first
}

func joinKey(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}
