// Package fold turns Chinese text into the tokens of the search index, and
// a search into the phrases to look up, so that both stores index and
// search alike (SPEC.md "Search and pages for people").
//
// Text is folded character by character — traditional and variant Han
// characters to their simplified form (OpenCC's character tables, through
// github.com/longbridgeapp/opencc), full-width Latin letters and digits to
// ASCII, letters to lower case — and cut into runs: a run of Han characters
// becomes its overlapping character bigrams (中国人 → 中国 国人), so that a
// word of two or more characters is found wherever it occurs without a
// segmenter; a run of other letters and digits is one token. Markup is
// dropped and white space does not end a Han run, so a word split by a
// line break or a tag is still found; punctuation ends every run.
//
// fold imports no package of the hub: it is pure Go, for hub/sqlite and
// hub/postgres alike.
package fold

import (
	"html"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/longbridgeapp/opencc"
)

// MaxTokenRunes is the longest token, in characters: a longer run of
// letters and digits (a hash, a URL's path) is cut to it, in text and
// queries alike.
const MaxTokenRunes = 32

// Limits of a query: more than this is ignored.
const (
	MaxQueryRunes = 200 // characters of q read
	MaxPhrases    = 16  // phrases kept
)

// table maps a Han character to its simplified form, for the characters
// OpenCC's tables change.
var table = sync.OnceValue(func() map[rune]rune {
	m := make(map[rune]rune, 4096)
	for _, kind := range []string{"tw2s", "hk2s", "t2s"} {
		cc, err := opencc.New(kind)
		if err != nil {
			// The dictionaries are embedded in the library: this cannot
			// happen in a built binary.
			panic("fold: opencc " + kind + ": " + err.Error())
		}
		for _, ranges := range [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}, {0x20000, 0x2A6DF}} {
			for r := ranges[0]; r <= ranges[1]; r++ {
				s := r
				if v, ok := m[r]; ok {
					s = v
				}
				to := s
				for _, g := range cc.DictChains {
					for _, d := range g.Dicts {
						// Dict.Get of this version misreads values: look the
						// character up as PrefixMatch, which Convert uses.
						got, err := d.PrefixMatch(string(to))
						vals := got[string(to)]
						if err != nil || len(vals) == 0 {
							continue
						}
						if v, n := utf8.DecodeRuneInString(vals[0]); n == len(vals[0]) && v != utf8.RuneError {
							to = v
						}
						break
					}
				}
				if to != r {
					m[r] = to
				}
			}
		}
	}
	return m
})

// Rune folds one character: the simplified form of a Han character,
// full-width ASCII to ASCII, letters to lower case.
func Rune(r rune) rune {
	switch {
	case r < utf8.RuneSelf:
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		return Rune(r - 0xFF01 + '!')
	case r >= hanLo && r <= hanHi:
		if v := flat()[r-hanLo]; v != 0 {
			return v
		}
		return r
	case isHan(r):
		if v, ok := table()[r]; ok {
			return v
		}
		return r
	}
	return unicode.ToLower(r)
}

// The common Han characters, folded through an array: a map lookup was a
// third of the time of Tokens.
const hanLo, hanHi = 0x3400, 0x9FFF

var flat = sync.OnceValue(func() []rune {
	a := make([]rune, hanHi-hanLo+1)
	for r, v := range table() {
		if r >= hanLo && r <= hanHi {
			a[r-hanLo] = v
		}
	}
	return a
})

// String folds every character of s (Rune).
func String(s string) string {
	return strings.Map(Rune, s)
}

func isHan(r rune) bool {
	return r >= 0x2E80 && unicode.Is(unicode.Han, r)
}

// kind classifies a folded character.
type kind uint8

const (
	kPunct kind = iota // ends every run
	kSpace             // ends a word run, not a Han run
	kHan
	kWord
)

func kindOf(r rune) kind {
	switch {
	case r < utf8.RuneSelf:
		switch {
		case 'a' <= r && r <= 'z', '0' <= r && r <= '9':
			return kWord
		case r == ' ', r == '\t', r == '\n', r == '\r', r == '\f', r == '\v':
			return kSpace
		}
		return kPunct
	case r >= hanLo && r <= hanHi || isHan(r):
		return kHan
	case unicode.IsLetter(r), unicode.IsDigit(r), unicode.Is(unicode.Mn, r):
		return kWord
	case unicode.IsSpace(r):
		return kSpace
	}
	return kPunct
}

// Tokenizer cuts text into index tokens. The zero value is ready; reusing
// one saves allocations.
type Tokenizer struct {
	toks   []string
	buf    []byte // the tokens read, each followed by a space
	ends   []int  // where each token ends in buf
	run    []rune
	runK   kind
	joined string
}

// Tokens returns the tokens of the parts, in order (a token's place is its
// index): each part is markup or plain text (tags are dropped, entities
// decoded). No run crosses from one part to the next. The slice is reused
// by the next call.
func (t *Tokenizer) Tokens(parts ...string) []string {
	t.reset()
	for _, p := range parts {
		t.markup(p)
		t.flush()
	}
	return t.done()
}

// Joined returns the tokens of the last call of Tokens separated by
// spaces.
func (t *Tokenizer) Joined() string { return t.joined }

func (t *Tokenizer) reset() {
	t.toks, t.buf, t.ends = t.toks[:0], t.buf[:0], t.ends[:0]
	t.run, t.runK = t.run[:0], kPunct
}

// done makes the tokens read strings, sharing one allocation.
func (t *Tokenizer) done() []string {
	all := string(t.buf)
	start := 0
	for _, end := range t.ends {
		t.toks = append(t.toks, all[start:end])
		start = end + 1
	}
	t.joined = strings.TrimSuffix(all, " ")
	return t.toks
}

// markup reads s, skipping tags and decoding entities.
func (t *Tokenizer) markup(s string) {
	for s != "" {
		i := strings.IndexByte(s, '<')
		if i < 0 {
			t.text(s)
			return
		}
		t.text(s[:i])
		s = s[i:]
		// A tag: "<" and a letter, "/", "!" or "?"; else a literal "<".
		if len(s) > 1 && (s[1] == '/' || s[1] == '!' || s[1] == '?' || 'a' <= s[1]|0x20 && s[1]|0x20 <= 'z') {
			j := strings.IndexByte(s, '>')
			if j < 0 {
				return
			}
			t.add(' ') // a tag separates Latin words; Han runs go on
			s = s[j+1:]
			continue
		}
		t.add('<')
		s = s[1:]
	}
}

func (t *Tokenizer) text(s string) {
	if strings.IndexByte(s, '&') >= 0 {
		s = html.UnescapeString(s)
	}
	for _, r := range s {
		t.add(r)
	}
}

// add reads one character.
func (t *Tokenizer) add(r rune) {
	r = Rune(r)
	k := kindOf(r)
	switch {
	case k == kSpace && t.runK == kHan:
		return // 减\n负 is 减负
	case k != t.runK:
		t.flush()
	}
	if k == kHan || k == kWord {
		t.runK = k
		t.run = append(t.run, r)
	}
}

// flush turns the run read into tokens.
func (t *Tokenizer) flush() {
	run := t.run
	switch {
	case len(run) == 0:
	case t.runK == kWord:
		t.token(run[:min(len(run), MaxTokenRunes)])
	case len(run) == 1:
		t.token(run)
	default:
		for i := 0; i+1 < len(run); i++ {
			t.token(run[i : i+2])
		}
	}
	t.run, t.runK = t.run[:0], kPunct
}

func (t *Tokenizer) token(rs []rune) {
	for _, r := range rs {
		t.buf = utf8.AppendRune(t.buf, r)
	}
	t.ends = append(t.ends, len(t.buf))
	t.buf = append(t.buf, ' ')
}

// A Phrase is tokens that must occur one after the other: a run of a
// query's word.
type Phrase struct {
	Tokens []string
	// Prefix: the phrase is one Han character, matched as the first of a
	// bigram (a word of one character is not promised, but found mostly).
	Prefix bool
	Text   string // the run, folded, for highlighting
}

// Query is what a search asks for: every phrase must occur.
type Query []Phrase

// Parse reads a search: words separated by spaces, each of which must
// occur. A word is folded and cut as text is; each of its runs becomes a
// phrase. Repeated phrases count once; an empty Query means the search
// has nothing to look for.
func Parse(q string) Query {
	if utf8.RuneCountInString(q) > MaxQueryRunes {
		n := 0
		for i := range q {
			if n == MaxQueryRunes {
				q = q[:i]
				break
			}
			n++
		}
	}
	var out Query
	seen := map[string]bool{}
	var t Tokenizer
	for _, w := range strings.Fields(q) {
		// A word is text, not markup: "<" is punctuation in it.
		for _, r := range w {
			t.queryAdd(r, &out, seen)
		}
		t.queryFlush(&out, seen)
	}
	if len(out) > MaxPhrases {
		out = out[:MaxPhrases]
	}
	return out
}

func (t *Tokenizer) queryAdd(r rune, out *Query, seen map[string]bool) {
	f := Rune(r)
	if k := kindOf(f); k != t.runK && t.runK != kPunct {
		t.queryFlush(out, seen)
	}
	t.add(r)
}

func (t *Tokenizer) queryFlush(out *Query, seen map[string]bool) {
	if len(t.run) == 0 {
		return
	}
	p := Phrase{Text: string(t.run[:min(len(t.run), MaxTokenRunes)]), Prefix: t.runK == kHan && len(t.run) == 1}
	t.toks, t.buf, t.ends = t.toks[:0], t.buf[:0], t.ends[:0]
	t.flush()
	p.Tokens = append([]string(nil), t.done()...)
	if !seen[p.Text] {
		seen[p.Text] = true
		*out = append(*out, p)
	}
}

// Spans returns the byte ranges of s where a phrase of q occurs (folded),
// sorted and merged, for highlighting. A phrase split by markup or a line
// break in s is not shown.
func Spans(s string, q Query) [][2]int {
	if len(q) == 0 || s == "" {
		return nil
	}
	var folded []rune
	var offs []int
	for i, r := range s {
		folded = append(folded, Rune(r))
		offs = append(offs, i)
	}
	offs = append(offs, len(s))
	var spans [][2]int
	for _, p := range q {
		w := []rune(p.Text)
		if len(w) == 0 {
			continue
		}
		for i := 0; i+len(w) <= len(folded); i++ {
			if folded[i] == w[0] && equalRunes(folded[i:i+len(w)], w) {
				spans = append(spans, [2]int{offs[i], offs[i+len(w)]})
			}
		}
	}
	if len(spans) == 0 {
		return nil
	}
	// Sort by start, then merge overlaps.
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j][0] < spans[j-1][0]; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if sp[0] <= last[1] {
			last[1] = max(last[1], sp[1])
			continue
		}
		out = append(out, sp)
	}
	return out
}

func equalRunes(a, b []rune) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Exact reports whether a store whose index holds each item's distinct
// tokens without their places finds exactly q: every phrase one token, so
// that no phrase has to be checked against the text (Match).
func (q Query) Exact() bool {
	for _, p := range q {
		if len(p.Tokens) > 1 {
			return false
		}
	}
	return true
}

// Match reports whether tokens, a text's tokens in order (Tokenizer.Tokens),
// hold every phrase of q: its tokens one after the other, the last as a
// prefix when the phrase is a Prefix.
func (q Query) Match(tokens []string) bool {
	for _, p := range q {
		if !p.in(tokens) {
			return false
		}
	}
	return true
}

func (p Phrase) in(tokens []string) bool {
	k := len(p.Tokens)
	if k == 0 {
		return true
	}
	for i := 0; i+k <= len(tokens); i++ {
		j := 0
		for ; j < k; j++ {
			want, got := p.Tokens[j], tokens[i+j]
			if j == k-1 && p.Prefix {
				if !strings.HasPrefix(got, want) {
					break
				}
			} else if got != want {
				break
			}
		}
		if j == k {
			return true
		}
	}
	return false
}

// Parts are the texts of an item that both stores index: its title, its
// content, and its summary unless the content starts with it (most feeds'
// summary is the content's first lines).
func Parts(title, summary, content string) []string {
	if content != "" && summary != "" && strings.HasPrefix(content, summary) {
		return []string{title, content}
	}
	return []string{title, summary, content}
}
