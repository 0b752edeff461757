package feeds

import (
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/liuzl/da"
	"github.com/longbridgeapp/opencc"
	xhtml "golang.org/x/net/html"

	"github.com/yizhan-hub/yizhan/hub"
)

// openCCKinds are the conversions ?opencc= accepts, as OpenCC names them.
var openCCKinds = [...]string{"s2t", "t2s", "s2tw", "tw2s", "s2hk", "hk2s"}

// converter converts Chinese text between simplified and traditional forms
// with OpenCC's dictionaries (github.com/longbridgeapp/opencc). The library
// loads them on New: 2 to 25 ms and 0.4 to 8 MB of heap per kind (those from
// simplified hold STPhrases), so each kind is loaded on its first use and
// kept for the life of the process.
//
// The matching is ours, over the library's own tries: its Convert allocates
// a map for every character (0.6 ms for a 4 KB article); the same
// longest-match walk without allocating gives the same output at a tenth of
// the cost (TestConverterMatchesLibrary, BenchmarkOpenCC).
type converter struct {
	kind   string
	chains [][]*da.Dict // applied in turn; within one, the first dict that matches wins
}

var (
	convMu     sync.Mutex
	converters = map[string]*converter{}
)

// validOpenCC reports whether kind is one of openCCKinds.
func validOpenCC(kind string) bool {
	for _, k := range openCCKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// converterFor returns the converter of kind, loading its dictionaries on
// first use. Concurrent first uses of one kind load it once.
func converterFor(kind string) (*converter, error) {
	if !validOpenCC(kind) {
		return nil, fmt.Errorf("opencc: no conversion %q", kind)
	}
	convMu.Lock()
	defer convMu.Unlock()
	if c := converters[kind]; c != nil {
		return c, nil
	}
	cc, err := opencc.New(kind)
	if err != nil {
		return nil, fmt.Errorf("opencc %s: %w", kind, err)
	}
	c := &converter{kind: kind}
	for _, g := range cc.DictChains {
		c.chains = append(c.chains, g.Dicts)
	}
	converters[kind] = c
	return c, nil
}

// maxMatchRunes is the longest dictionary key the library's Convert looks
// for at one position (its preOffset); keeping to it keeps our output its.
const maxMatchRunes = 10

// text converts plain text. Characters no dictionary names pass unchanged,
// so markup-free ASCII comes back as it was.
func (c *converter) text(s string) string {
	if c == nil || !hasNonASCII(s) {
		return s
	}
	for _, dicts := range c.chains {
		var b strings.Builder
		b.Grow(len(s) + len(s)/8)
		for i := 0; i < len(s); {
			n, repl := 0, ""
			for _, d := range dicts {
				if n, repl = longestMatch(d, s[i:]); n > 0 {
					break
				}
			}
			if n == 0 {
				_, n = utf8.DecodeRuneInString(s[i:])
				repl = s[i : i+n]
			}
			b.WriteString(repl)
			i += n
		}
		s = b.String()
	}
	return s
}

// longestMatch returns the length in bytes of the longest key of d that
// begins s (up to maxMatchRunes runes), and its first value; 0 when none.
func longestMatch(d *da.Dict, s string) (n int, repl string) {
	from, runes := 0, 0
	var step [1]byte
	for i := 0; i < len(s); i++ {
		step[0] = s[i]
		to, err := d.Trie.Jump(step[:], from)
		if err != nil {
			break
		}
		from = to
		if i+1 < len(s) && !utf8.RuneStart(s[i+1]) {
			continue // keys are whole characters
		}
		if runes++; runes > maxMatchRunes {
			break
		}
		if v, err := d.Trie.Value(to); err == nil && len(d.Values[v]) > 0 {
			n, repl = i+1, d.Values[v][0]
		}
	}
	return n, repl
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}

// html converts the text of an HTML fragment and leaves its markup as it
// is: tags, attributes (URLs, alt texts) and comments come back byte for
// byte. Entities stay as they are; no dictionary key holds '&'.
func (c *converter) html(fragment string) string {
	if c == nil || !hasNonASCII(fragment) {
		return fragment
	}
	if !strings.ContainsRune(fragment, '<') {
		return c.text(fragment)
	}
	var b strings.Builder
	b.Grow(len(fragment) + len(fragment)/8)
	z := xhtml.NewTokenizer(strings.NewReader(fragment))
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return b.String()
		case xhtml.TextToken:
			b.WriteString(c.text(string(z.Raw())))
		default:
			b.Write(z.Raw())
		}
	}
}

// convertItem converts what a reader reads of an item: its title, texts,
// categories, attribution and the names of the story's other carriers;
// never its links or ids. Every text field a
// reader sees belongs here.
func (c *converter) convertItem(v *itemView) {
	v.Title = c.text(v.Title)
	v.Summary = c.html(v.Summary)
	v.Content = c.html(v.Content) // the attribution footer with it
	if len(v.Categories) > 0 {
		cats := make([]string, len(v.Categories))
		for i, s := range v.Categories {
			cats[i] = c.text(s)
		}
		v.Categories = cats
	}
	v.Credit = c.text(v.Credit)
	v.Via = c.text(v.Via)
	v.Author = c.text(v.Author)
	v.Editor = c.text(v.Editor)
	v.Copyright = c.text(v.Copyright)
	if len(v.Carriers) > 0 {
		carriers := make([]hub.Carrier, len(v.Carriers)) // the snapshot's are shared
		for i, cr := range v.Carriers {
			carriers[i] = hub.Carrier{Name: c.text(cr.Name), URL: cr.URL}
		}
		v.Carriers = carriers
	}
}

// convertFeed converts the feed's own texts: title, description, rights and
// the hub's name as its author.
func (c *converter) convertFeed(v *feedView) {
	v.Title = c.text(v.Title)
	v.Description = c.text(v.Description)
	v.Copyright = c.text(v.Copyright)
	v.Author = c.text(v.Author)
}
