package sources

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/yizhan-hub/yizhan/hub"
)

// ErrNoArticle is returned by ExtractArticle for a page that has no
// recognisable article: no headline anywhere.
var ErrNoArticle = errors.New("sources: no article on page")

// ErrListing is returned by ExtractArticle for a listing page — a column's
// index, a list of headlines — given where an article page was expected.
// It is an ErrNoArticle too. Such a page is an HTML source's url, read
// with a links selector.
var ErrListing = fmt.Errorf("%w: a listing of article links (make it an html source's url, with a links selector)", ErrNoArticle)

// ExtractArticle reads one article page — UTF-8 HTML, as DecodeHTML returns
// it — into an item: headline, publication time (read in loc when the page
// gives no zone), the publisher it credits (来源), its author or editor, the
// main text block sanitized with absolute links, and its own copyright notice
// (版权声明, 版权所有). rules' selectors and date layout, where set, win over
// the heuristics. The item's Key is the page's canonical URL, its URL pageURL.
// SourceID and Via are left for the caller; Attribute completes the credit.
func ExtractArticle(page []byte, pageURL *url.URL, rules *hub.HTMLRules, loc *time.Location) (hub.Item, error) {
	root, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		return hub.Item{}, fmt.Errorf("parse html: %w", err)
	}
	return extractArticle(goquery.NewDocumentFromNode(root), pageURL, rules, loc, false)
}

// article is the state of one extraction.
type article struct {
	doc    *goquery.Document
	page   *url.URL
	base   *url.URL
	rules  hub.HTMLRules
	loc    *time.Location
	meta   map[string]string
	blocks []block

	titleNode *html.Node
	body      *html.Node
	tail      []*block // tailZone, once found
	// spent are blocks whose text became a field (byline, editor line,
	// copyright notice): they stay out of the body.
	spent []*html.Node
}

// extractArticle is ExtractArticle on a parsed page. A page reached by a
// link that chose it as an article (linked) is never judged a listing: an
// HTML source's links selector is the operator's word, as a body selector
// is, and a short notice beside a portal's sidebars must not be lost; a
// continuation page (see followPages) was chosen by the article's own
// pager, and its last page may hold a line of text beside the sidebars.
func extractArticle(doc *goquery.Document, pageURL *url.URL, rules *hub.HTMLRules, loc *time.Location, linked bool) (hub.Item, error) {
	if pageURL == nil {
		pageURL = &url.URL{}
	}
	if loc == nil {
		loc = time.UTC
	}
	a := &article{doc: doc, page: pageURL, base: pageURL, loc: loc}
	if rules != nil {
		a.rules = *rules
	}
	doc.Find("script, style, noscript, template").Remove()
	removeComments(doc.Get(0))
	a.base = documentBase(doc, pageURL)
	a.readMeta()
	if err := a.checkSelectors(); err != nil {
		return hub.Item{}, err
	}

	bodyEl := doc.Find("body").First()
	if bodyEl.Length() == 0 {
		return hub.Item{}, ErrNoArticle
	}
	a.blocks = flatten(bodyEl.Get(0))

	var it hub.Item
	it.Title, a.titleNode = a.title()
	if it.Title == "" {
		return hub.Item{}, ErrNoArticle
	}
	a.body = a.findBody()
	head := a.headZone(it.Title)
	it.Published = a.date(head)
	it.Credit, it.CreditURL = a.credit(head, it.Title)
	it.Author, it.Editor = a.people(head, it.Credit)
	it.Copyright = a.copyright()
	it.URL = pageURL.String()
	it.Key = a.canonical()
	// A body selector is the operator's word that there is an article.
	judge := !linked && a.rules.Body == ""
	var links, linkText int
	if judge {
		links, linkText = headlineLinks(doc)
	}
	if a.body != nil {
		a.clean()
		it.Content = Sanitize(renderChildren(a.body), a.base)
		it.Summary = html.EscapeString(excerpt(a.body, 140))
		it.Image = a.image()
	}
	// A page whose headline links say ten times what its body says is a
	// list of articles, whatever block the heuristics took for a body.
	if judge && links >= minListingLinks && linkText >= 10*utf8.RuneCountInString(PlainText(it.Content)) {
		return hub.Item{}, ErrListing
	}
	return it, nil
}

// minListingLinks is the fewest headline links a listing page has; an
// article's sidebars may have as many, but beside a body longer than them.
const minListingLinks = 10

// headlineLinks counts the distinct links on a page whose text is long
// enough to be a headline (8 characters and more), and their characters.
func headlineLinks(doc *goquery.Document) (links, chars int) {
	seen := map[string]bool{}
	doc.Find("a[href]").Each(func(_ int, s *goquery.Selection) {
		href := strings.TrimSpace(s.AttrOr("href", ""))
		if seen[href] {
			return
		}
		if n := utf8.RuneCountInString(oneLine(nodeText(s.Get(0)))); n >= 8 {
			seen[href] = true
			links++
			chars += n
		}
	})
	return links, chars
}

// checkSelectors reports an override selector that does not compile, so an
// operator learns of the typo instead of getting the heuristics silently.
func (a *article) checkSelectors() error {
	for _, s := range []struct{ key, sel string }{
		{"title", a.rules.Title}, {"date", a.rules.Date}, {"body", a.rules.Body},
		{"credit", a.rules.Credit}, {"author", a.rules.Author},
	} {
		if s.sel == "" {
			continue
		}
		if _, err := cascadia.Compile(s.sel); err != nil {
			return fmt.Errorf("html.%s selector %q: %w", s.key, s.sel, err)
		}
	}
	return nil
}

// override returns the text of the first element rules' selector sel picks,
// and that element.
func (a *article) override(sel string) (string, *html.Node) {
	if sel == "" {
		return "", nil
	}
	s := a.doc.Find(sel).First()
	if s.Length() == 0 {
		return "", nil
	}
	return oneLine(nodeText(s.Get(0))), s.Get(0)
}

func removeComments(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.CommentNode {
			n.RemoveChild(c)
		} else {
			removeComments(c)
		}
		c = next
	}
}

// readMeta indexes the page's <meta> tags by lower-cased name, property or
// itemprop, keeping the first non-empty content of each.
func (a *article) readMeta() {
	a.meta = map[string]string{}
	a.doc.Find("meta").Each(func(_ int, s *goquery.Selection) {
		content := strings.TrimSpace(s.AttrOr("content", ""))
		if content == "" {
			return
		}
		for _, k := range []string{"name", "property", "itemprop"} {
			// Stray blanks in a name ("og:time ", "PubDate ") are the
			// page's typo, not another tag.
			key := strings.ToLower(strings.Join(strings.Fields(s.AttrOr(k, "")), " "))
			if key != "" && a.meta[key] == "" {
				a.meta[key] = content
			}
		}
	})
}

// metaFirst returns the first of the named meta tags that the page has.
func (a *article) metaFirst(names ...string) string {
	for _, n := range names {
		if v := a.meta[n]; v != "" {
			return v
		}
	}
	return ""
}

// Title.

// titleSuffix splits a <title> into the headline and the column and site
// names sites append: "标题_探索者 _光明网", "标题--文化--人民网", "标题-新华网",
// "标题 - 山西省人民政府门户网站", "标题|公园_新浪新闻".
var titleSuffix = regexp.MustCompile(`\s*(?:_|--|-|\||｜|–|—(?:—)?)\s*`)

// stripTitleSuffix removes trailing site and column names from a <title>:
// short trailing fields after a separator, as long as a headline remains.
func stripTitleSuffix(t string) string {
	t = oneLine(t)
	for {
		locs := titleSuffix.FindAllStringIndex(t, -1)
		if len(locs) == 0 {
			return t
		}
		last := locs[len(locs)-1]
		head, tail := t[:last[0]], t[last[1]:]
		// A hyphen between digits is a range ("1-10月"), not a separator.
		if strings.TrimSpace(t[last[0]:last[1]]) == "-" && last[0] > 0 && last[1] < len(t) &&
			isDigit(t[last[0]-1]) && isDigit(t[last[1]]) {
			return t
		}
		if utf8.RuneCountInString(tail) > 16 || utf8.RuneCountInString(strings.TrimSpace(head)) < 2 {
			return t
		}
		t = strings.TrimSpace(head)
	}
}

func isDigit(b byte) bool { return b >= '0' && b <= '9' }

// titleLike matches the class or id of elements that hold headlines.
var titleLike = regexp.MustCompile(`(?i)title|headline|tit\b|biaoti|bt\b`)

// title finds the headline: the rules' selector; else the heading or
// title-classed element whose text starts the page's <title> (it has the
// headline without the site suffix); else the article's meta tags; else the
// first substantial <h1>; else the <title> without its suffix.
func (a *article) title() (string, *html.Node) {
	if t, n := a.override(a.rules.Title); t != "" {
		return t, n
	}
	page := oneLine(a.doc.Find("title").First().Text())
	stripped := stripTitleSuffix(page)
	var (
		best     string
		bestNode *html.Node
	)
	site := a.metaFirst("sitename", "og:site_name", "application-name")
	a.doc.Find("body h1, body h2, body h3, body [class], body [id]").Each(func(_ int, s *goquery.Selection) {
		n := s.Get(0)
		if n.DataAtom != atom.H1 && n.DataAtom != atom.H2 && n.DataAtom != atom.H3 &&
			!titleLike.MatchString(nodeAttr(n, "class")+" "+nodeAttr(n, "id")) {
			return
		}
		if headlineFurniture(n) || hiddenIn(n) {
			return
		}
		t := oneLine(nodeText(n))
		if t == site {
			return
		}
		// Headlines as short as 通知 exist; a short heading only counts when
		// it is the whole <title> headline, not merely its first characters.
		if n := utf8.RuneCountInString(t); len(t) <= len(best) || n < 2 || (n < 4 && t != stripped) || n > 200 || page == "" {
			return
		}
		if strings.HasPrefix(page, t) || (strings.Contains(page, t) && 2*len(t) >= len(stripped)) {
			best, bestNode = t, n
		}
	})
	if best != "" {
		var same []*html.Node
		a.doc.Find("body h1, body h2, body h3").Each(func(_ int, s *goquery.Selection) {
			if n := s.Get(0); n != bestNode && !hiddenIn(n) && oneLine(nodeText(n)) == best {
				same = append(same, n)
			}
		})
		return best, a.bylined(append([]*html.Node{bestNode}, same...))
	}
	if t := a.metaFirst("articletitle", "og:title", "twitter:title", "headline", "title"); t != "" {
		// Some CMSs put the headline's markup in the tag: <div>——副题</div>.
		return stripTitleSuffix(oneLine(html.UnescapeString(markup.ReplaceAllString(t, "")))), nil
	}
	var h1 string
	a.doc.Find("body h1").EachWithBreak(func(_ int, s *goquery.Selection) bool {
		if t := oneLine(nodeText(s.Get(0))); (utf8.RuneCountInString(t) >= 4 || t == stripped) && t != site && t != page && !inFurniture(s.Get(0)) {
			h1, bestNode = t, s.Get(0)
			return false
		}
		return true
	})
	if h1 != "" {
		return h1, bestNode
	}
	if t, n := a.titleAboveByline(); t != "" {
		return t, n
	}
	return stripped, nil
}

// bylined chooses, among the elements that show the headline text (the
// one found first, then the headings with the same text), the one a dated
// byline follows: a page may repeat its headline in a fixed
// top bar or a share box before the real one.
func (a *article) bylined(cands []*html.Node) *html.Node {
	first := cands[0]
	if len(cands) < 2 {
		return first
	}
	for _, c := range cands {
		after := -1
		for i := range a.blocks {
			if contains(c, a.blocks[i].node) {
				after = i + 1
			} else if after >= 0 {
				break
			}
		}
		for i, seen := after, 0; after >= 0 && i < len(a.blocks) && seen < 6; i++ {
			if inFurniture(a.blocks[i].node) {
				continue
			}
			seen++
			if _, _, ok := dateIn(a.blocks[i].text, a.loc); ok && a.blocks[i].runes() <= 100 {
				return c
			}
		}
	}
	return first
}

// markup matches the tags a meta value may carry.
var markup = regexp.MustCompile(`<[^>]*>`)

// headlineFurniture is inFurniture for a headline that matches the page's
// <title>: a page header (<header>, class "header") holds the site's name
// but often the article's headline too, which is no furniture.
func headlineFurniture(n *html.Node) bool {
	for p := n; p != nil; p = p.Parent {
		if p.Type != html.ElementNode {
			continue
		}
		switch p.DataAtom {
		case atom.Nav, atom.Footer:
			return true
		}
		if strings.Contains(strings.ToLower(nodeAttr(p, "class")+" "+nodeAttr(p, "id")), "logo") {
			return true
		}
		if isJunk(p) && !headerOnly(p) {
			return true
		}
	}
	return false
}

// headerOnly reports whether the only furniture word of n's class and id
// is header or head.
func headerOnly(n *html.Node) bool {
	for _, k := range []string{"class", "id"} {
		for _, w := range classWords.Split(nodeAttr(n, k), -1) {
			if l := strings.ToLower(w); w != "" && l != "header" && l != "head" && junkWord.MatchString(w) {
				return false
			}
			if l := strings.ToLower(w); strings.Contains(l, "share") && !strings.Contains(l, "pic") && !strings.Contains(l, "img") && !strings.Contains(l, "image") {
				return false
			}
		}
	}
	return true
}

// inFurniture reports whether n sits in a page header, navigation, logo or
// footer, where the site's name is set as a heading.
func inFurniture(n *html.Node) bool {
	for p := n; p != nil; p = p.Parent {
		if p.Type != html.ElementNode {
			continue
		}
		switch p.DataAtom {
		case atom.Header, atom.Nav, atom.Footer:
			return true
		}
		if isJunk(p) || strings.Contains(strings.ToLower(nodeAttr(p, "class")+" "+nodeAttr(p, "id")), "logo") {
			return true
		}
	}
	return false
}

// titleAboveByline finds the headline of pages whose <title> is only the
// site's name: the short line right above the first byline, a line of plain
// text with a date and a 来源 or 发布 label.
func (a *article) titleAboveByline() (string, *html.Node) {
	for i := 1; i < len(a.blocks); i++ {
		b := &a.blocks[i]
		if b.runes() > 100 {
			continue
		}
		// A labelled byline with a date, or a short line that is a
		// date and time beside a site's address (old portal pages
		// saved as fragments: "http://www.qianlong.com/ 2005-07-18 13:03:17").
		_, clock, ok := dateIn(b.plain, a.loc)
		if !ok || !bylineLabel.MatchString(b.plain) && !(clock && b.runes() <= 60 && !isProse(b)) {
			continue
		}
		for j := i - 1; j >= 0 && j >= i-3; j-- {
			t := &a.blocks[j]
			n := utf8.RuneCountInString(t.plain)
			if n >= 4 && n <= 80 && t.plain == t.text && !strings.HasSuffix(t.plain, "。") && !inFurniture(t.node) {
				return t.text, t.node
			}
		}
		return "", nil
	}
	return "", nil
}

// bylineLabel matches the labels of a byline line.
var bylineLabel = regexp.MustCompile(`来源|稿源|出处|发布|时间|日期|作者|编辑`)

// Body.

// nodeStats are the text statistics of a subtree.
type nodeStats struct {
	text, link     int // visible characters; those inside links
	punct          int // sentence punctuation outside links
	tags, linkTags int // elements; links
}

// measure computes the statistics of every element under n.
func measure(n *html.Node, out map[*html.Node]*nodeStats) nodeStats {
	var st nodeStats
	var walk func(c *html.Node, inLink bool, acc *nodeStats)
	walk = func(c *html.Node, inLink bool, acc *nodeStats) {
		switch c.Type {
		case html.TextNode:
			k := countText(c.Data)
			acc.text += k
			if inLink {
				acc.link += k
			} else {
				acc.punct += punctuation(c.Data)
			}
			return
		case html.ElementNode:
			if skipElems[c.DataAtom] {
				return
			}
			var own nodeStats
			link := inLink || c.DataAtom == atom.A
			for g := c.FirstChild; g != nil; g = g.NextSibling {
				walk(g, link, &own)
			}
			own.tags++
			if c.DataAtom == atom.A {
				own.linkTags++
			}
			out[c] = &own
			acc.text += own.text
			acc.link += own.link
			acc.punct += own.punct
			acc.tags += own.tags
			acc.linkTags += own.linkTags
			return
		}
		for g := c.FirstChild; g != nil; g = g.NextSibling {
			walk(g, inLink, acc)
		}
	}
	walk(n, false, &st)
	return st
}

// bodyCandidate lists the elements that can hold an article's text.
var bodyCandidate = map[atom.Atom]bool{
	atom.Div: true, atom.Article: true, atom.Section: true, atom.Main: true, atom.Td: true,
	atom.Body: true, atom.Center: true, atom.Font: true, atom.Span: true,
}

// findBody picks the element holding the article's text: the rules'
// selector, else the element that best combines much text per element,
// much sentence punctuation and few links. Navigation, link lists and
// sidebars have many elements, little punctuation and mostly link text;
// the article's ancestors add those to the article and score lower.
func (a *article) findBody() *html.Node {
	if a.rules.Body != "" {
		if s := a.doc.Find(a.rules.Body).First(); s.Length() > 0 {
			return s.Get(0)
		}
	}
	root := a.doc.Find("body").Get(0)
	stats := map[*html.Node]*nodeStats{}
	measure(root, stats)
	var (
		best      *html.Node
		bestScore float64
	)
	for n, st := range stats {
		if !bodyCandidate[n.DataAtom] || isJunk(n) || !container(n) {
			continue
		}
		if s := bodyScore(st); s > bestScore || (s == bestScore && best != nil && contains(n, best)) {
			best, bestScore = n, s
		}
	}
	if st := stats[root]; best == nil && st != nil && st.text > st.link {
		// A bare page, or one short text: <body> is the article.
		best = root
	}
	return best
}

// container reports whether n holds blocks (or lines broken with <br>), as
// an article body does, rather than being one paragraph itself.
func container(n *html.Node) bool {
	brs := 0
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode {
			continue
		}
		if blockElems[c.DataAtom] {
			return true
		}
		if c.DataAtom == atom.Br {
			brs++
		}
	}
	return brs >= 2
}

func bodyScore(st *nodeStats) float64 {
	plain := st.text - st.link
	if plain < 20 || st.punct == 0 {
		return 0
	}
	density := float64(plain) / float64(max(1, st.tags-st.linkTags))
	linkShare := float64(st.link) / float64(st.text)
	return density * math.Log1p(float64(st.punct)) * (1 - linkShare) * (1 - linkShare)
}

// junkWord matches class and id words of page furniture.
var junkWord = regexp.MustCompile(`(?i)^(?:ad|ads|adv|advert\w*|banner|nav\w*|menu|sidebar|side|footer|foot|header|breadcrumbs?|crumbs?|path|position|location|jiathis|social|comments?|cmt|reply|related|relate|recommend\w*|tuijian|xgxw|hot\w*|rank\w*|tool|tools|toolbar|print|printer|qrcode|ewm|code|zan|vote|like|login|search|subscribe|follow|tags?|keywords?|copyright|pager|pagination|fenye|zdfy|next|prev)$`)

var classWords = regexp.MustCompile(`[\s_\-]+`)

// isJunk reports whether n's class or id names page furniture.
func isJunk(n *html.Node) bool {
	// <body class="u-header-sticky u-has-nav-bar"> styles the whole page.
	if n.DataAtom == atom.Body || n.DataAtom == atom.Html {
		return false
	}
	for _, k := range []string{"class", "id"} {
		for _, w := range classWords.Split(nodeAttr(n, k), -1) {
			if w != "" && junkWord.MatchString(w) {
				return true
			}
			// Share buttons: bdsharebuttonbox, mbArticleShareBtn; but not
			// mbArticleSharePic, which holds the lead image.
			if l := strings.ToLower(w); strings.Contains(l, "share") &&
				!strings.Contains(l, "pic") && !strings.Contains(l, "img") && !strings.Contains(l, "image") {
				return true
			}
		}
	}
	return false
}

// sidebarHeading are the headings of the link boxes around an article.
var sidebarHeading = regexp.MustCompile(`^(?:精彩推荐|精彩视频推荐|即时播报|相关新闻|相关阅读|相关文章|相关链接|相关报道|相关专题|推荐阅读|延伸阅读|热点推荐|热门推荐|热点排行|热门文章|热点新闻|排行榜|精彩图集|图片新闻|视频新闻|猜你喜欢|为您推荐|更多精彩|今日推荐|编辑推荐|网友评论|我要评论|扫一扫.*|分享到.*)$`)

// clean removes from the body everything that is not the article: the
// headline and byline, fields already read, furniture, hidden elements,
// link lists and the boxes under sidebar headings; it makes links and
// images absolute.
func (a *article) clean() {
	body := a.body
	stats := map[*html.Node]*nodeStats{}
	total := measure(body, stats)
	// keep guards against removing the article along with something it
	// contains: a wrapper whose class happens to say "share".
	keep := func(n *html.Node) bool {
		st := stats[n]
		return st != nil && total.punct > 0 && st.punct*3 > total.punct
	}
	var drop []*html.Node
	if a.titleNode != nil && a.titleNode != body && contains(body, a.titleNode) {
		drop = append(drop, a.titleNode)
	}
	for _, n := range a.spent {
		if n != body && contains(body, n) && !keep(n) {
			drop = append(drop, n)
		}
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			if c.Type != html.ElementNode {
				continue
			}
			if junkElem(c) || ((isJunk(c) || hidden(c) || (blockElems[c.DataAtom] && linkList(stats[c]))) && !keep(c)) {
				drop = append(drop, c)
				continue
			}
			if sidebarHeading.MatchString(oneLine(nodeText(c))) && !keep(c) {
				drop = append(drop, c)
				// The box under the heading: following siblings up to
				// the next paragraph of prose.
				for s := c.NextSibling; s != nil; s = s.NextSibling {
					if s.Type == html.ElementNode {
						if st := stats[s]; st != nil && st.punct >= 3 && st.text-st.link >= 30 {
							break
						}
						drop = append(drop, s)
					}
				}
				continue
			}
			walk(c)
		}
	}
	walk(body)
	for _, n := range drop {
		detach(n)
	}
	for _, b := range flatten(body) {
		if b.node != body && b.runes() <= 60 && creditLine.MatchString(b.text) &&
			utf8.RuneCountInString(nodeText(b.node)) <= 60 {
			detach(b.node)
		}
	}
	prune(body)
	a.absolutize(body)
}

// creditLine matches a line that is only a byline or an editor line:
// "(责编：汤诗瑶、丁涛)", "[责任编辑:肖春芳]", "作者︱春春", "来源：新华网".
var creditLine = regexp.MustCompile(`^[(（\[【]?\s*(?:责任编辑|责编|编辑|编审|审核|作者|记者|撰稿|执笔|通讯员|来源|稿源|信息来源|出处)\s*[:：︰/／|｜︱丨]`)

// pagerImage matches the "next page" buttons of paged articles.
var pagerImage = regexp.MustCompile(`(?i)(?:next|prev|pre|last|first)[_-]?page|page[_-]?(?:next|prev)|fanye|xiayiye|shangyiye`)

// prune removes what cleaning left empty: elements without text or media,
// containers of a word or two ("图集" over an empty slideshow), and the
// next-page buttons of paged articles.
func prune(n *html.Node) {
	for c := n.FirstChild; c != nil; {
		next := c.NextSibling
		if c.Type == html.ElementNode {
			prune(c)
			if c.DataAtom == atom.A && pagerImage.MatchString(nodeAttr(c, "href")+" "+imgSrcs(c)) && countText(nodeText(c)) <= 6 {
				n.RemoveChild(c)
			} else if emptyElem(c) {
				n.RemoveChild(c)
			}
		}
		c = next
	}
}

// media are the elements that count as content without text.
var media = map[atom.Atom]bool{
	atom.Img: true, atom.Video: true, atom.Audio: true, atom.Picture: true, atom.Source: true,
	atom.Br: true, atom.Hr: true, atom.Table: true,
}

func emptyElem(n *html.Node) bool {
	if media[n.DataAtom] || hasMedia(n) {
		return false
	}
	k := countText(nodeText(n))
	if k == 0 {
		return true
	}
	switch n.DataAtom {
	case atom.Div, atom.Ul, atom.Ol, atom.Section, atom.Dl:
		return k <= 4
	}
	return false
}

func hasMedia(n *html.Node) bool {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && (c.DataAtom == atom.Img || c.DataAtom == atom.Video ||
			c.DataAtom == atom.Audio || c.DataAtom == atom.Picture || hasMedia(c)) {
			return true
		}
	}
	return false
}

func imgSrcs(n *html.Node) string {
	var b strings.Builder
	var walk func(c *html.Node)
	walk = func(c *html.Node) {
		if c.Type == html.ElementNode && c.DataAtom == atom.Img {
			b.WriteString(nodeAttr(c, "src"))
			b.WriteString(" ")
		}
		for g := c.FirstChild; g != nil; g = g.NextSibling {
			walk(g)
		}
	}
	walk(n)
	return b.String()
}

// junkElem reports elements that never belong in an article body.
func junkElem(n *html.Node) bool {
	switch n.DataAtom {
	case atom.Nav, atom.Aside, atom.Footer, atom.Header, atom.Form, atom.Input, atom.Button,
		atom.Select, atom.Textarea, atom.Ins, atom.Link, atom.Meta, atom.Script, atom.Style,
		atom.Noscript, atom.Template, atom.Iframe, atom.Object, atom.Embed, atom.Canvas, atom.Svg:
		return true
	}
	return false
}

var hiddenStyle = regexp.MustCompile(`(?i)display\s*:\s*none|visibility\s*:\s*hidden`)

// hiddenIn reports whether n or an element around it is hidden.
func hiddenIn(n *html.Node) bool {
	for p := n; p != nil; p = p.Parent {
		if p.Type == html.ElementNode && hidden(p) {
			return true
		}
	}
	return false
}

func hidden(n *html.Node) bool {
	for _, at := range n.Attr {
		if at.Key == "hidden" {
			return true
		}
		// Every element of a page is asked: the regexp only runs on a
		// style that may say it.
		if at.Key == "style" && (strings.Contains(at.Val, "one") || strings.Contains(at.Val, "idden") ||
			strings.Contains(at.Val, "ONE") || strings.Contains(at.Val, "IDDEN")) && hiddenStyle.MatchString(at.Val) {
			return true
		}
	}
	return false
}

// linkList reports a subtree that is mostly link text: a menu, a pager, a
// list of other articles.
func linkList(st *nodeStats) bool {
	return st != nil && st.link > 0 && st.link*2 >= st.text && st.punct < 3
}

// absolutize resolves every link and image URL under n against the page.
func (a *article) absolutize(n *html.Node) {
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.DataAtom {
			case atom.A:
				a.resolveAttr(n, "href")
			case atom.Img:
				if src := strings.TrimSpace(nodeAttr(n, "src")); src == "" || placeholderSrc(src) {
					if u := lazyImageURL(func(k string) string { return nodeAttr(n, k) }, a.base); u != "" {
						setAttr(n, "src", u)
					}
				}
				a.resolveAttr(n, "src")
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
}

func (a *article) resolveAttr(n *html.Node, key string) {
	v := strings.TrimSpace(nodeAttr(n, key))
	if v == "" || strings.HasPrefix(v, "#") {
		return
	}
	if u := resolveHTTP(a.base, v); u != "" {
		setAttr(n, key, u)
	}
}

// renderChildren is the HTML of n's children.
func renderChildren(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		_ = html.Render(&b, c)
	}
	return b.String()
}

// excerpt is the start of n's text, about max characters, cut at a line.
func excerpt(n *html.Node, max int) string {
	var b strings.Builder
	for _, bl := range flatten(n) {
		if b.Len() > 0 {
			b.WriteString(" ")
		}
		b.WriteString(bl.text)
		if utf8.RuneCountInString(b.String()) >= max {
			break
		}
	}
	s := oneLine(b.String())
	if utf8.RuneCountInString(s) > max {
		s = truncateRunes(s, max) + "…"
	}
	return s
}

// image is the article's lead image: og:image, else the body's first image.
func (a *article) image() string {
	cands := []string{a.meta["og:image"]}
	if img := goquery.NewDocumentFromNode(a.body).Find("img[src]").First(); img.Length() > 0 {
		cands = append(cands, img.AttrOr("src", ""))
	}
	for _, c := range cands {
		if c == "" {
			continue
		}
		if u := resolveHTTP(a.base, c); u != "" {
			return u
		}
	}
	return ""
}

// canonical is the article's identity: its canonical URL when the page
// names a plausible one (same site, not the home page), else the page URL,
// without a fragment.
func (a *article) canonical() string {
	self := *a.page
	self.Fragment = ""
	for _, c := range []string{a.doc.Find(`link[rel="canonical"]`).First().AttrOr("href", ""), a.meta["og:url"]} {
		s := pageLink(a.page, c)
		if s == "" {
			continue
		}
		u, err := url.Parse(s)
		if err != nil || u.Path == "" || u.Path == "/" || !sameSite(u.Hostname(), a.page.Hostname()) {
			continue
		}
		return s
	}
	return self.String()
}

// sameSite reports whether two hosts belong to one site: equal, or one a
// subdomain of the other (www.example.cn and news.example.cn are both under
// example.cn only by guesswork, so they are not).
func sameSite(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b)
	return a == b || strings.HasSuffix(a, "."+b) || strings.HasSuffix(b, "."+a) ||
		strings.TrimPrefix(a, "www.") == strings.TrimPrefix(b, "www.")
}
