package sources

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// This file finds an article's fields around its headline: the byline under
// it (date, 来源, 作者), the meta tags, and the editor and copyright lines
// after the text.

// isProse reports a block of running text: long, with sentence punctuation.
// The byline zone under a headline ends at the first one.
func isProse(b *block) bool {
	n := countText(b.plain)
	p := 0
	for _, r := range b.plain {
		switch r {
		case '，', '。', '！', '？', '；':
			p++
		}
	}
	return (n >= 30 && p >= 2) || (n >= 60 && p >= 1) || n >= 150
}

// headZone is the page's byline zone: the blocks after the headline up to
// the first paragraph of prose, or, without a headline element, the blocks
// just before the body's first paragraph.
func (a *article) headZone() []*block {
	const maxBlocks, maxRunes = 16, 400
	var zone []*block
	start := -1
	if a.titleNode != nil {
		for i := range a.blocks {
			if contains(a.titleNode, a.blocks[i].node) {
				start = i + 1
			} else if start >= 0 {
				break
			}
		}
	}
	if start < 0 {
		first := -1
		for i := range a.blocks {
			if a.body != nil && contains(a.body, a.blocks[i].node) && isProse(&a.blocks[i]) {
				first = i
				break
			}
		}
		if first < 0 {
			return nil
		}
		start = max(0, first-8)
		for i := start; i < first; i++ {
			zone = append(zone, &a.blocks[i])
		}
		return zone
	}
	runes := 0
	for i := start; i < len(a.blocks) && len(zone) < maxBlocks && runes < maxRunes; i++ {
		b := &a.blocks[i]
		if isProse(b) {
			break
		}
		zone = append(zone, b)
		runes += b.runes()
	}
	return zone
}

// tailZone are the short blocks from the start of the body to a little past
// its end, where editor lines, 来源 notes and bylines at the foot sit.
func (a *article) tailZone() []*block {
	if a.body == nil {
		return nil
	}
	var zone []*block
	after := -1
	for i := range a.blocks {
		b := &a.blocks[i]
		in := contains(a.body, b.node)
		if in {
			after = 0
		} else if after >= 0 {
			after++
			if after > 12 {
				break
			}
		}
		if after >= 0 && b.runes() <= 80 {
			zone = append(zone, b)
		}
	}
	return zone
}

// markSpent keeps a block whose text became a field out of the body, unless
// its element holds more than a line of text.
func (a *article) markSpent(n *html.Node) {
	if n != nil && n != a.body && utf8.RuneCountInString(nodeText(n)) <= 150 {
		a.spent = append(a.spent, n)
	}
}

// Dates.

// metaDates are the meta tags that carry publication times, best first.
var metaDates = []string{
	"article:published_time", "og:article:published_time", "publishdate", "pubdate", "publish_date",
	"publishtime", "pubtime", "datepublished", "og:release_date", "weibo: article:create_at",
	"dc.date.issued", "dc.date", "dcterms.created", "dcterms.issued", "parsely-pub-date", "sailthru.date",
}

var hasClock = regexp.MustCompile(`\d{1,2}\s*[:：时]\s*\d{1,2}`)

// labelledDate matches the label of a date line: 发布时间：, 时间：, 日期：.
var labelledDate = regexp.MustCompile(`(?:时间|日期)\s*[:：]`)

// urlDate finds the date many CMSs put in article paths: /2019-12/10/,
// /n1/2019/0615/, /20191210/, /t20190918_693227.
var urlDate = regexp.MustCompile(`(?:^|[/_t])((?:19|20)\d\d)[-/]?([01]\d)[-/]?([0-3]\d)(?:[/_.]|$)`)

// date finds the publication time: the rules' selector (with date_layout);
// a meta tag that gives a time of day; the byline under the headline (which
// also wins over a meta tag giving the same day without a time); a <time>
// element; a labelled date line near the text; the date in the URL.
func (a *article) date(head []*block) time.Time {
	if text, n := a.override(a.rules.Date); text != "" {
		if t, ok := a.parseDate(text); ok {
			a.markSpent(n)
			return t
		}
	}
	var metaT time.Time
	metaClock := false
	for _, name := range metaDates {
		if v := a.meta[name]; v != "" {
			if t, ok := a.parseDate(v); ok {
				metaT, metaClock = t, hasClock.MatchString(v)
				break
			}
		}
	}
	if !metaT.IsZero() && metaClock {
		return metaT
	}
	for _, b := range head {
		if t, clock, ok := dateIn(b.plain, a.loc); ok {
			if metaT.IsZero() || (clock && sameDay(t, metaT)) {
				a.markSpent(b.node)
				return t
			}
			break
		}
	}
	if !metaT.IsZero() {
		return metaT
	}
	if v, ok := a.doc.Find("time[datetime]").First().Attr("datetime"); ok {
		if t, ok := ParseTime(v, a.loc); ok {
			return t
		}
	}
	for _, b := range a.tailZone() {
		if labelledDate.MatchString(b.plain) {
			if t, _, ok := dateIn(b.plain, a.loc); ok {
				a.markSpent(b.node)
				return t
			}
		}
	}
	if m := urlDate.FindStringSubmatch(a.page.Path); m != nil {
		if t, ok := cnTime([]string{m[0], m[1], m[2], m[3], "", "", ""}, a.loc); ok {
			return t
		}
	}
	return time.Time{}
}

// parseDate reads a date string with the source's date_layout when it has
// one, else with ParseTime.
func (a *article) parseDate(s string) (time.Time, bool) {
	if l := a.rules.DateLayout; l != "" {
		s := strings.TrimSpace(s)
		if t, err := time.ParseInLocation(l, s, a.loc); err == nil {
			return t, true
		}
		// The layout may describe only the date within a labelled line:
		// try it at each position where a digit starts.
		for i := range s {
			if isDigit(s[i]) && (i == 0 || !isDigit(s[i-1])) {
				for j := len(s); j > i; j-- {
					if t, err := time.ParseInLocation(l, s[i:j], a.loc); err == nil {
						return t, true
					}
				}
			}
		}
	}
	return ParseTime(s, a.loc)
}

func sameDay(a, b time.Time) bool {
	b = b.In(a.Location())
	return a.Year() == b.Year() && a.YearDay() == b.YearDay()
}

// Credit.

// sourceHint matches the class and id words of elements that hold the
// publisher's name without a label (sina's <a class="source">, qq's
// <span class="where">).
var sourceHint = regexp.MustCompile(`(?i)^(?:source|source_baidu|where|origin|media|media_name|from|laiyuan|ly)$`)

// credit finds the publisher the page credits: the rules' selector; a
// 来源/稿源/出处 label in the byline; the meta tags (source, ContentSource);
// an element of the byline classed "source"; an unlabelled "石佳/中国青年报"
// byline; a label at the foot of the text. The URL is the label's link,
// where it has one.
func (a *article) credit(head []*block) (string, string) {
	if text, n := a.override(a.rules.Credit); text != "" {
		v := creditIn(text)
		if v == "" {
			v = cleanCredit(text)
		}
		if v != "" {
			a.markSpent(n)
			return v, a.linkNamed(n, v)
		}
	}
	for _, b := range head {
		if v := creditIn(b.text); v != "" {
			a.markSpent(b.node)
			return v, a.linkNamed(b.node, v)
		}
	}
	for _, name := range []string{"source", "contentsource", "article:source", "og:article:source", "mediaid"} {
		if v := a.meta[name]; v != "" {
			c := creditIn(v)
			if c == "" {
				c = cleanCredit(v)
			}
			if c != "" {
				// The byline may link the name the meta tag gives.
				for _, b := range head {
					if href := a.linkNamed(b.node, c); href != "" {
						return c, href
					}
				}
				return c, ""
			}
		}
	}
	for _, b := range head {
		var found, href string
		goquery.NewDocumentFromNode(b.node).Find("[class], [id]").AddBack().EachWithBreak(func(_ int, s *goquery.Selection) bool {
			n := s.Get(0)
			if !hintedSource(n) {
				return true
			}
			if v := cleanCredit(oneLine(nodeText(n))); v != "" {
				found, href = v, a.linkNamed(n, v)
				return false
			}
			return true
		})
		if found != "" {
			return found, href
		}
	}
	for _, b := range head {
		if _, v := slashBylineIn(b.text); v != "" {
			a.markSpent(b.node)
			return v, a.linkNamed(b.node, v)
		}
	}
	for _, b := range a.tailZone() {
		if v := creditIn(b.text); v != "" {
			a.markSpent(b.node)
			return v, a.linkNamed(b.node, v)
		}
	}
	return "", ""
}

func hintedSource(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	for _, k := range []string{"class", "id"} {
		for _, w := range strings.Fields(nodeAttr(n, k)) {
			if sourceHint.MatchString(w) {
				return true
			}
		}
	}
	return false
}

// linkNamed returns the absolute URL of the link under n whose text is name.
func (a *article) linkNamed(n *html.Node, name string) string {
	if n == nil {
		return ""
	}
	var href string
	var walk func(c *html.Node) bool
	walk = func(c *html.Node) bool {
		if c.Type == html.ElementNode && c.DataAtom == atom.A && strings.Contains(oneLine(nodeText(c)), name) {
			if u := resolveHTTP(a.base, nodeAttr(c, "href")); u != "" {
				href = u
				return true
			}
		}
		for g := c.FirstChild; g != nil; g = g.NextSibling {
			if walk(g) {
				return true
			}
		}
		return false
	}
	walk(n)
	return href
}

// Author.

// author finds who wrote or edited the item, preferring writers to editors
// and the byline to the foot: the rules' selector; a 作者/记者 label in the
// byline; the author meta tag (when it is a name, not an id); an unlabelled
// "石佳/中国青年报" byline; an editor label in the byline; a writer label,
// then an editor label (责任编辑, "(责编：汤诗瑶、丁涛)") in the short lines
// in and after the text.
func (a *article) author(head []*block) string {
	if text, n := a.override(a.rules.Author); text != "" {
		w, e := authorIn(text)
		v := first(w, e, cleanAuthor(text))
		if v != "" {
			a.markSpent(n)
			return v
		}
	}
	name, by, writer := bylineIn(head)
	if writer {
		a.markSpent(by.node)
		return name
	}
	for _, meta := range []string{"author", "dc.creator", "byline"} {
		if v := cleanAuthor(a.meta[meta]); v != "" {
			if by != nil {
				a.markSpent(by.node)
			}
			return v
		}
	}
	for _, b := range head {
		if w, _ := slashBylineIn(b.text); w != "" {
			a.markSpent(b.node)
			return w
		}
	}
	if name == "" {
		// No label in the byline: look in the short lines in and after the text.
		name, by, _ = bylineIn(a.tailZone())
	}
	if name != "" {
		a.markSpent(by.node)
	}
	return name
}

// bylineIn finds the first writer a label names in bs, else the first
// editor: the name, the block it is in, and whether it is a writer's.
func bylineIn(bs []*block) (name string, by *block, writer bool) {
	for _, b := range bs {
		w, e := authorIn(b.text)
		if w != "" {
			return w, b, true
		}
		if e != "" && name == "" {
			name, by = e, b
		}
	}
	return name, by, false
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// Copyright.

// copyright finds the page's own rights statement: the best-ranked notice
// in a short block outside the article text or among its last lines
// (版权声明：… before 未经授权不得转载 before 版权所有 before the
// meta copyright before "Copyright © 1997-2019"), else "".
func (a *article) copyright() string {
	var bodyBlocks []int
	for i := range a.blocks {
		if a.body != nil && contains(a.body, a.blocks[i].node) {
			bodyBlocks = append(bodyBlocks, i)
		}
	}
	lastLines := map[int]bool{}
	for i := max(0, len(bodyBlocks)-4); i < len(bodyBlocks); i++ {
		lastLines[bodyBlocks[i]] = true
	}
	best, rank := "", rightsNone
	var bestNode *html.Node
	for i := range a.blocks {
		b := &a.blocks[i]
		if b.runes() > 300 || (a.body != nil && contains(a.body, b.node) && !lastLines[i]) {
			continue
		}
		if s, r := rightsIn(b.raw); r < rank {
			best, rank, bestNode = s, r, b.node
		}
	}
	if m := closeWideGaps(oneLine(a.meta["copyright"])); m != "" && rightsMeta < rank && hasLetter(m) {
		return m
	}
	a.markSpent(bestNode)
	return best
}
