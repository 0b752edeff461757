package sources

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// This file holds the text model that article extraction reads a page
// through: a page flattened into blocks of visible text, and the string
// helpers that Chinese pages need (full-width spaces, letter-spaced notices).

// blockElems end a run of text: what follows them starts a new line.
var blockElems = map[atom.Atom]bool{
	atom.Address: true, atom.Article: true, atom.Aside: true, atom.Blockquote: true,
	atom.Body: true, atom.Caption: true, atom.Center: true, atom.Dd: true, atom.Details: true,
	atom.Dialog: true, atom.Dir: true, atom.Div: true, atom.Dl: true, atom.Dt: true,
	atom.Fieldset: true, atom.Figcaption: true, atom.Figure: true, atom.Footer: true,
	atom.Form: true, atom.H1: true, atom.H2: true, atom.H3: true, atom.H4: true, atom.H5: true,
	atom.H6: true, atom.Header: true, atom.Hgroup: true, atom.Hr: true, atom.Html: true,
	atom.Li: true, atom.Main: true, atom.Menu: true, atom.Nav: true, atom.Ol: true, atom.P: true,
	atom.Pre: true, atom.Section: true, atom.Summary: true, atom.Table: true, atom.Tbody: true,
	atom.Td: true, atom.Tfoot: true, atom.Th: true, atom.Thead: true, atom.Tr: true, atom.Ul: true,
}

// glueElems are inline formatting: their text joins the text around them
// without a space ("来源：<a>新华网</a>"). Other inline elements, span above
// all, separate words, since sites put fields side by side in bare spans.
var glueElems = map[atom.Atom]bool{
	atom.A: true, atom.Abbr: true, atom.B: true, atom.Big: true, atom.Em: true, atom.Font: true,
	atom.I: true, atom.Small: true, atom.Strong: true, atom.Sub: true, atom.Sup: true,
	atom.U: true, atom.S: true, atom.Strike: true, atom.Mark: true, atom.Q: true, atom.Cite: true,
}

// skipElems never carry visible article text.
var skipElems = map[atom.Atom]bool{
	atom.Script: true, atom.Style: true, atom.Noscript: true, atom.Template: true,
	atom.Head: true, atom.Title: true, atom.Select: true, atom.Option: true,
	atom.Textarea: true, atom.Button: true, atom.Svg: true, atom.Math: true,
	atom.Iframe: true, atom.Object: true, atom.Canvas: true,
}

// block is one run of visible text owned by a block element: the element's
// own inline content, up to the next nested block.
type block struct {
	node  *html.Node // the block element the text sits in
	raw   string     // the text as the page has it, blanks and all
	text  string     // normalized text
	plain string     // normalized text outside links
}

func (b *block) runes() int { return utf8.RuneCountInString(b.text) }

// flatten lists the page's blocks of visible text in document order.
func flatten(root *html.Node) []block {
	var (
		out         []block
		text, plain strings.Builder
		owner       *html.Node
	)
	flush := func() {
		raw := text.String()
		if t := normSpace(raw); t != "" {
			out = append(out, block{node: owner, raw: raw, text: t, plain: normSpace(plain.String())})
		}
		text.Reset()
		plain.Reset()
	}
	var walk func(n *html.Node, inLink bool)
	walk = func(n *html.Node, inLink bool) {
		switch n.Type {
		case html.TextNode:
			// A line break in the source is a blank; only <br> and
			// blocks break lines.
			t := strings.ReplaceAll(n.Data, "\n", " ")
			text.WriteString(t)
			if !inLink {
				plain.WriteString(t)
			}
			return
		case html.ElementNode:
			// Only what a reader sees: a hidden copy of the headline or
			// byline (display:none share titles) is no part of the page.
			if skipElems[n.DataAtom] || hidden(n) {
				return
			}
			switch {
			case n.DataAtom == atom.Br:
				text.WriteString("\n")
				plain.WriteString("\n")
				return
			case blockElems[n.DataAtom]:
				flush()
				saved := owner
				owner = n
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					walk(c, inLink)
				}
				flush()
				owner = saved
				return
			case !glueElems[n.DataAtom]:
				space(&text)
				space(&plain)
				defer func() {
					space(&text)
					space(&plain)
				}()
			}
			if n.DataAtom == atom.A {
				inLink = true
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inLink)
		}
	}
	owner = root
	walk(root, false)
	flush()
	return out
}

// space ends a word with one space, unless one is there already: two
// spans side by side are one blank, not the wide gap that separates fields.
func space(b *strings.Builder) {
	if s := b.String(); s != "" && s[len(s)-1] != ' ' {
		b.WriteByte(' ')
	}
}

// nodeText is the visible text of n with blocks on lines of their own.
func nodeText(n *html.Node) string {
	bs := flatten(n)
	lines := make([]string, len(bs))
	for i, b := range bs {
		lines[i] = b.text
	}
	return strings.Join(lines, "\n")
}

// spaceReplacer maps the blanks of Chinese pages to plain spaces, and drops
// DEL, which XML allows but no page means; cleanText then drops the control
// characters XML forbids (a page's \x01 would make a whole feed unreadable).
var spaceReplacer = strings.NewReplacer("\u00a0", " ", "\u3000", " ", "\u2002", " ", "\u2003", " ",
	"\u2009", " ", "\u200b", "", "\ufeff", "", "\r", "", "\t", " ", "\x7f", "")

// normSpace collapses runs of blanks to one space and blank lines away,
// keeping line breaks, which separate fields on many pages.
func normSpace(s string) string {
	s = cleanText(spaceReplacer.Replace(s))
	lines := strings.Split(s, "\n")
	out := lines[:0]
	for _, l := range lines {
		if l = strings.Join(strings.Fields(l), " "); l != "" {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// oneLine is s with every blank, line breaks included, collapsed to a space.
func oneLine(s string) string {
	return strings.Join(strings.Fields(cleanText(spaceReplacer.Replace(s))), " ")
}

// isWide reports whether r is a Han character or full-width punctuation.
func isWide(r rune) bool {
	return unicode.Is(unicode.Han, r) ||
		(r >= 0x3000 && r <= 0x303f) || (r >= 0xff00 && r <= 0xffef) ||
		r == '“' || r == '”' || r == '‘' || r == '’' || r == '·' || r == '—' || r == '…'
}

// closeWideGaps removes the single spaces that letter-spaced notices put
// between Han characters ("人 民 网 版 权 所 有"), keeping spaces next to
// Latin text.
func closeWideGaps(s string) string {
	rs := []rune(s)
	var b strings.Builder
	for i, r := range rs {
		if r == ' ' && i > 0 && i+1 < len(rs) && isWide(rs[i-1]) && isWide(rs[i+1]) {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// punctuation counts the sentence punctuation in s, the mark of prose as
// opposed to menus and link lists.
func punctuation(s string) int {
	n := 0
	for _, r := range s {
		switch r {
		case '，', '。', '！', '？', '；', '、', '：', '“', '”', ',', '.', '!', '?', ';':
			n++
		}
	}
	return n
}

// countText counts the characters of s that are not blanks.
func countText(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}

// truncateRunes cuts s to at most n runes.
func truncateRunes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// nodeAttr returns the value of n's attribute key.
func nodeAttr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// setAttr sets n's attribute key to val.
func setAttr(n *html.Node, key, val string) {
	for i := range n.Attr {
		if n.Attr[i].Key == key {
			n.Attr[i].Val = val
			return
		}
	}
	n.Attr = append(n.Attr, html.Attribute{Key: key, Val: val})
}

// contains reports whether n is a or inside it.
func contains(a, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

// detach removes n from the tree.
func detach(n *html.Node) {
	if n.Parent != nil {
		n.Parent.RemoveChild(n)
	}
}
