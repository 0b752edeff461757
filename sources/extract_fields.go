package sources

import (
	"cmp"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
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
func (a *article) headZone(title string) []*block {
	const maxBlocks, maxRunes = 16, 400
	var zone []*block
	start := -1
	if a.titleNode != nil {
		// The zone starts after the headline's lines; an element that
		// holds the headline may hold its byline too (<div>标题<p>文章来源：…</p></div>).
		want, seen := noSpaces(title), ""
		for i := range a.blocks {
			if contains(a.titleNode, a.blocks[i].node) {
				start = i + 1
				if seen != want {
					if seen += noSpaces(a.blocks[i].text); seen == want {
						break
					}
				}
			} else if start >= 0 {
				break
			}
		}
	}
	if start < 0 && title != "" {
		// A headline read from the meta tags: anchor on the first visible
		// line that shows it, if one does.
		want := noSpaces(title)
		for i := range a.blocks {
			if noSpaces(a.blocks[i].text) == want {
				start = i + 1
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
		// Share boxes, menus and language switchers between the
		// headline and its byline are not the byline.
		if a.furnitureBelowTitle(b.node) {
			continue
		}
		zone = append(zone, b)
		runes += b.runes()
	}
	return zone
}

// furnitureBelowTitle reports whether n sits in a menu, share box or other
// furniture that is not also around the headline: an <article>'s <header>
// holds the headline and its byline, and is no furniture for them.
func (a *article) furnitureBelowTitle(n *html.Node) bool {
	for p := n; p != nil; p = p.Parent {
		if p.Type != html.ElementNode {
			continue
		}
		if a.titleNode != nil && contains(p, a.titleNode) {
			return false
		}
		switch p.DataAtom {
		case atom.Header, atom.Nav, atom.Footer:
			return true
		}
		if isJunk(p) || hidden(p) {
			return true
		}
	}
	return false
}

// tailZone are the short blocks from the start of the body to a little past
// its end, where editor lines, 来源 notes and bylines at the foot sit.
func (a *article) tailZone() []*block {
	if a.body == nil {
		return nil
	}
	if a.tail != nil {
		return a.tail
	}
	defer func() {
		if a.tail == nil {
			a.tail = []*block{}
		}
	}()
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
	a.tail = zone
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
	for _, name := range metaDates {
		if v := a.meta[name]; v != "" {
			if t, ok := a.parseDate(v); ok {
				metaT = t
				break
			}
		}
	}
	// The byline the reader sees beats a meta tag, which on many sites is
	// the page's regeneration time; a meta time of day completes a byline
	// that shows only the same day. Dates may sit inside links.
	for _, b := range head {
		t, clock, ok := dateIn(b.plain, a.loc)
		if !ok {
			t, clock, ok = dateIn(b.text, a.loc)
		}
		if !ok {
			continue
		}
		if d := metaT.Sub(t); clock && d >= 0 && d < time.Minute {
			a.markSpent(b.node)
			return metaT // the shown minute, to the second
		}
		if clock || metaT.IsZero() || !sameDay(t, metaT) {
			a.markSpent(b.node)
			return t
		}
		break
	}
	if t, ok := splitDate(head, a.loc); ok {
		return t
	}
	if !metaT.IsZero() {
		return metaT
	}
	if t, ok := a.yearless(head); ok {
		return t
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

// dateBit is a line of a byline's date widget: digits and date marks only
// (2019 / 09/07 / 19:02 in three elements).
var dateBit = regexp.MustCompile(`^[0-9０-９]{1,4}(?:\s*[-/.:：年月日]\s*[0-9０-９]{1,2})*\s*[日]?$`)

// splitDate reads a byline date set in consecutive short elements, the
// year, the day and the time each in its own.
func splitDate(head []*block, loc *time.Location) (time.Time, bool) {
	for i := 0; i < len(head); i++ {
		var parts []string
		for j := i; j < len(head) && len(parts) < 3 && dateBit.MatchString(head[j].text); j++ {
			parts = append(parts, head[j].text)
		}
		if len(parts) < 2 {
			continue
		}
		// The year stands alone: join it to the month with a mark.
		joined := parts[0]
		if len(parts[0]) == 4 && isDigit(parts[0][0]) {
			joined += "-" + strings.Join(parts[1:], " ")
		} else {
			joined = strings.Join(parts, " ")
		}
		if t, _, ok := dateIn(joined, loc); ok {
			return t, true
		}
		i += len(parts) - 1
	}
	return time.Time{}, false
}

// yearlessDate is a byline's date without a year: 发布时间：09-30 22:46.
var yearlessDate = regexp.MustCompile(`(?:时间|日期|发布)\s*[:：]?\s*(\d{1,2})\s*[-/月]\s*(\d{1,2})\s*日?\s+(\d{1,2})\s*[:：]\s*(\d{2})`)

// yearless reads a byline date that shows no year, taking the year from a
// machine-readable date of the page (any meta tag) on the same month and
// day.
func (a *article) yearless(head []*block) (time.Time, bool) {
	for _, b := range head {
		m := yearlessDate.FindStringSubmatch(b.text)
		if m == nil {
			continue
		}
		n := func(s string) int { v, _ := strconv.Atoi(s); return v }
		for _, k := range slices.Sorted(maps.Keys(a.meta)) {
			v := a.meta[k]
			if !strings.Contains(k, "date") && !strings.Contains(k, "time") {
				continue
			}
			if mt, ok := ParseTime(v, a.loc); ok {
				mt = mt.In(a.loc)
				if int(mt.Month()) == n(m[1]) && mt.Day() == n(m[2]) {
					return time.Date(mt.Year(), mt.Month(), mt.Day(), n(m[3]), n(m[4]), 0, 0, a.loc), n(m[3]) < 24 && n(m[4]) < 60
				}
			}
		}
	}
	return time.Time{}, false
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
func (a *article) credit(head []*block, title string) (string, string) {
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
	placeholder := ""
	for _, b := range head {
		v, p := creditClaimIn(b.text)
		if v != "" {
			a.markSpent(b.node)
			return v, a.linkNamed(b.node, v)
		}
		placeholder = cmp.Or(placeholder, p)
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
		v, p := creditClaimIn(b.text)
		if v != "" {
			a.markSpent(b.node)
			return v, a.linkNamed(b.node, v)
		}
		placeholder = cmp.Or(placeholder, p)
	}
	if v, n := a.besideDate(head, title); v != "" {
		return v, a.linkNamed(n, v)
	}
	return placeholder, ""
}

// dateField splits a byline into its fields around the date.
var dateField = regexp.MustCompile(`\s*[\s·|｜丨]\s*`)

// notPublisher are the words of the fields beside a byline's date that
// name no publisher: counters, buttons, IP locations (来自北京, 发布于 北京),
// account badges, labelled fields.
var notPublisher = regexp.MustCompile(`字|打印|分享|关注|举报|收藏|评论|阅读|浏览|点击|播报|放大|缩小|更新|参与|来自|发布|账号|原创|下载|扫|登录|[:：，。！？、]`)

// besideDate finds a publisher named without a label beside the byline's
// date, as portals print an account's or a paper's name: "2024-05-20 14:33
// · 新华社", "原创 南方都市报 2019-09-09 16:01:46", or the short line just
// above the date. The fields nearest the date are tried first.
func (a *article) besideDate(head []*block, title string) (string, *html.Node) {
	// The people the page names are not its publisher: 2020-06-05 20:35 叨叨姐.
	var people []string
	for _, b := range append(slices.Clone(head), a.tailZone()...) {
		w, e := peopleIn(b.text)
		people = append(append(people, w...), e...)
	}
	ok := func(v string) string {
		v = strings.TrimSpace(v)
		if slices.Contains(people, v) {
			return ""
		}
		if v == "" || notPublisher.MatchString(v) || nonName.MatchString(v) || !hasHan(v) && strings.Contains(v, ".") {
			return ""
		}
		if noSpaces(v) == noSpaces(title) {
			return ""
		}
		return cleanCredit(v)
	}
	for i, b := range head {
		if b.runes() > 80 {
			continue
		}
		text := normalizeDate(b.text)
		loc := cnDate.FindStringIndex(text)
		if loc == nil {
			continue
		}
		if _, _, found := dateIn(text, a.loc); !found {
			continue
		}
		after := strings.Fields(dateField.ReplaceAllString(text[loc[1]:], " "))
		before := strings.Fields(dateField.ReplaceAllString(text[:loc[0]], " "))
		// The field right after the date, then the one right before it.
		if len(after) > 0 {
			if v := ok(after[0]); v != "" {
				return v, b.node
			}
		}
		if len(before) > 0 {
			if v := ok(before[len(before)-1]); v != "" {
				return v, b.node
			}
		}
		// A short line above the date, below the headline, and not a
		// menu of links.
		for j := i - 1; a.titleNode != nil && j >= 0 && j >= i-2; j-- {
			p := head[j]
			if a.titleNode != nil && contains(a.titleNode, p.node) || noSpaces(p.text) == noSpaces(title) {
				break
			}
			if p.runes() <= 20 && strings.Count(renderChildren(p.node), "<a ") <= 1 {
				if v := ok(p.text); v != "" {
					return v, p.node
				}
			}
		}
		return "", nil
	}
	return "", nil
}

// noSpaces is s without blanks, to compare texts across markup.
func noSpaces(s string) string { return strings.Join(strings.Fields(s), "") }

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
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

// Authors and editors.

// people finds who wrote the item and who edited it, each a list joined
// with "、". Writers come from the first place that names any: the rules'
// author selector; the labels in the byline under the headline (作者：,
// 本报记者 张三 李四); an unlabelled "石佳/中国青年报" byline; the lead of
// the text (新华社北京5月19日电（刘艺、杨吉）, 本报讯（记者 张三）); the short
// lines in and after the text (（总台记者 张倩）, 采写：南都见习记者 林子沛).
// Editors are every name an editor label gives in the byline and those
// lines (编辑：倪仕轩 … 责任编辑：杨格). The meta tags' author counts only
// when the page names nobody and the value looks like a person's name,
// not the site's or the publisher's.
func (a *article) people(head []*block, credit string) (authors, editors string) {
	var ws, es []string
	add := func(list *[]string, names []string) {
		for _, n := range names {
			if !slices.Contains(*list, n) {
				*list = append(*list, n)
			}
		}
	}
	if text, n := a.override(a.rules.Author); text != "" {
		w, e := peopleIn(text)
		if len(w) == 0 && len(e) == 0 {
			if v := cleanAuthor(text); v != "" {
				w = []string{v}
			}
		}
		if len(w) > 0 {
			a.markSpent(n)
			add(&ws, w)
		}
		add(&es, e)
	}
	scan := func(bs []*block, writers bool) {
		for _, b := range bs {
			w, e := peopleIn(b.text)
			if writers {
				add(&ws, w)
			}
			add(&es, e)
			if (len(e) > 0 || writers && len(w) > 0) && b.runes() <= 40 {
				a.markSpent(b.node)
			}
		}
	}
	scan(head, len(ws) == 0)
	if len(ws) == 0 {
		for _, b := range head {
			if w, _ := slashBylineIn(b.text); w != "" {
				a.markSpent(b.node)
				add(&ws, strings.Split(w, "、"))
				break
			}
		}
	}
	if len(ws) == 0 {
		for _, b := range a.lead(3) {
			w, _ := peopleIn(b.text)
			add(&ws, w)
		}
	}
	scan(a.tailZone(), len(ws) == 0)
	if len(ws) == 0 && len(es) == 0 {
		for _, name := range []string{"author", "dc.creator", "byline", "article:author"} {
			if v := oneLine(a.meta[name]); v != "" && looksLikeName(v) && !a.siteName(v) && v != credit {
				ws = parseNames(v, true, false)
				break
			}
		}
	}
	return strings.Join(ws, "、"), strings.Join(es, "、")
}

// lead returns the first n blocks of the body: where a wire dateline or a
// 本报讯（记者 …） names the reporters.
func (a *article) lead(n int) []*block {
	var out []*block
	for i := range a.blocks {
		if a.body != nil && contains(a.body, a.blocks[i].node) {
			out = append(out, &a.blocks[i])
			if len(out) == n {
				break
			}
		}
	}
	return out
}

// siteName reports whether v names the site rather than a person: it is
// in the page's <title> or the site-name meta tags.
func (a *article) siteName(v string) bool {
	page := oneLine(a.doc.Find("title").First().Text())
	site := a.metaFirst("sitename", "og:site_name", "application-name")
	return strings.Contains(page, v) || (site != "" && strings.Contains(site, v))
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
	if best == "" {
		// No statement in the page's text, but a link to the site's own
		// (版权声明, 版权与免责声明): its address is the statement.
		a.doc.Find("a[href]").EachWithBreak(func(_ int, s *goquery.Selection) bool {
			if t := oneLine(nodeText(s.Get(0))); rightsPage.MatchString(t) {
				if u := resolveHTTP(a.base, s.AttrOr("href", "")); u != "" {
					best = t + "：" + u
					return false
				}
			}
			return true
		})
	}
	return best
}
