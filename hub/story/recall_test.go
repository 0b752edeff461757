package story

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	xhtml "golang.org/x/net/html"
	"golang.org/x/net/html/charset"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/internal/testenv"
)

// article is one real article of the labelled corpus, as its publisher
// would have it: the hand-checked headline, date and credit, and the text
// of its page's paragraphs.
type article struct {
	file   string
	url    string
	title  string
	credit string
	date   time.Time
	paras  []string
}

// corpusArticles reads ../shared/corpora/cn-html/labelled: every page with a
// headline and at least three paragraphs of text.
func corpusArticles(t *testing.T) []article {
	t.Helper()
	dir := testenv.Corpora(t, "cn-html/labelled")
	raw, err := os.ReadFile(filepath.Join(dir, "labels.json"))
	if err != nil {
		t.Fatal(err)
	}
	var labels []struct {
		File, Title, Date, Credit, Encoding, Site, URL string
	}
	if err := json.Unmarshal(raw, &labels); err != nil {
		t.Fatal(err)
	}
	var out []article
	seen := make(map[string]int) // paragraph → how many pages have it
	for i, l := range labels {
		if l.Title == "" || l.Title == "ambiguous" {
			continue
		}
		page, err := os.ReadFile(filepath.Join(dir, l.File))
		if err != nil {
			t.Fatal(err)
		}
		enc := l.Encoding
		if enc == "gb2312" || enc == "gbk" {
			enc = "gb18030" // a superset: GB pages use its characters under the older labels
		}
		e, _ := charset.Lookup(enc)
		if e == nil {
			t.Fatalf("%s: unknown encoding %q", l.File, l.Encoding)
		}
		text, err := e.NewDecoder().Bytes(page)
		if err != nil {
			t.Fatalf("%s: decode %s: %v", l.File, l.Encoding, err)
		}
		paras := paragraphs(text)
		for _, p := range slices.Compact(slices.Sorted(slices.Values(paras))) {
			seen[p]++
		}
		date, err := time.Parse("2006-01-02T15:04Z07:00", l.Date)
		if err != nil {
			if date, err = time.Parse(time.RFC3339, l.Date); err != nil {
				// Undated or dated to the day: a fixed time apart for each page.
				date = time.Date(2024, 1, 1, 8, 0, 0, 0, china).Add(time.Duration(i) * 72 * time.Hour)
			}
		}
		url := l.URL
		if CanonicalURL(url) == "" || strings.Contains(url, " ") {
			url = "http://publisher.example/" + l.File // the label names no article URL
		}
		out = append(out, article{
			file:   l.File,
			url:    url,
			title:  l.Title,
			credit: cmpOr(l.Credit, l.Site),
			date:   date,
			paras:  paras,
		})
	}
	// A paragraph on several pages is a site's boilerplate (a copyright
	// line, a share box), not article text: an extractor leaves it out.
	// Pages left with less than three paragraphs are not used.
	kept := out[:0]
	for _, a := range out {
		a.paras = slices.DeleteFunc(a.paras, func(p string) bool { return seen[p] > 1 })
		if len(a.paras) >= 3 {
			kept = append(kept, a)
		}
	}
	return kept
}

// paragraphs returns the texts of a page's <p> elements that hold a
// sentence (ten characters or more).
func paragraphs(page []byte) []string {
	doc, err := xhtml.Parse(bytes.NewReader(page))
	if err != nil {
		return nil
	}
	var out []string
	var walk func(n *xhtml.Node)
	walk = func(n *xhtml.Node) {
		if n.Type == xhtml.ElementNode && (n.Data == "script" || n.Data == "style") {
			return
		}
		if n.Type == xhtml.ElementNode && n.Data == "p" {
			var b strings.Builder
			var text func(n *xhtml.Node)
			text = func(n *xhtml.Node) {
				if n.Type == xhtml.TextNode {
					b.WriteString(n.Data)
				}
				for c := n.FirstChild; c != nil; c = c.NextSibling {
					text(c)
				}
			}
			text(n)
			if s := strings.Join(strings.Fields(b.String()), " "); utf8.RuneCountInString(s) >= 10 {
				out = append(out, s)
			}
			return
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

func html(paras []string) string {
	var b strings.Builder
	for _, p := range paras {
		b.WriteString("<p>" + xhtml.EscapeString(p) + "</p>\n")
	}
	return b.String()
}

// own is the publisher's copy of a: on its own site, under its own credit.
func (a article) own() hub.Item {
	return hub.Item{
		SourceID:    "publisher",
		URL:         a.url,
		Title:       a.title,
		Content:     html(a.paras),
		Published:   a.date,
		Attribution: hub.Attribution{Credit: a.credit},
	}
}

// repost is a portal's copy of a, made from the publisher's by change.
func (a article) repost(n int, change func(it *hub.Item)) hub.Item {
	it := a.own()
	it.SourceID = "portal"
	it.URL = fmt.Sprintf("http://www.example.gov.cn/art/2025/%d/art_%d.html", n%12+1, n)
	it.Published = a.date.Add(2 * time.Hour)
	it.Content = `<div class="TRS_Editor"><div class="Custom_UnionStyle">` + "\n" +
		strings.ReplaceAll(html(a.paras), "<p>", `<p style="text-indent:2em">　　`) + "</div></div>"
	change(&it)
	return it
}

// fullWidth writes ASCII digits and letters as their full-width forms, as
// some portals' editors do.
func fullWidth(s string) string {
	return strings.Map(func(r rune) rune {
		if '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' {
			return r - 0x21 + 0xFF01
		}
		return r
	}, s)
}

// firstRunes returns the first n characters of the article's text.
func firstRunes(paras []string, n int) string {
	s := []rune(strings.Join(paras, ""))
	return string(s[:min(n, len(s))])
}

// positives are the ways portals repost an article, each a function making
// the repost from the publisher's copy.
var positives = []struct {
	name   string
	change func(a article, it *hub.Item)
}{
	{"another template", func(a article, it *hub.Item) {}},
	{"column tag", func(a article, it *hub.Item) { it.Title = "【理论】" + a.title }},
	{"bracket tag, next day", func(a article, it *hub.Item) {
		it.Title = "[评论] " + a.title
		it.Published = a.date.Add(26 * time.Hour)
	}},
	{"原标题 line", func(a article, it *hub.Item) {
		it.Title = "新华视点｜" + firstRunes(a.paras, 14)
		it.Content = "<p>原标题：" + xhtml.EscapeString(a.title) + "</p>\n" + it.Content
	}},
	{"来源 and 责任编辑 lines", func(a article, it *hub.Item) {
		it.Content = "<p>来源：" + a.credit + "</p>" + it.Content + "<p>（责任编辑：张三、李四）</p>"
	}},
	{"last paragraph dropped", func(a article, it *hub.Item) {
		it.Content = html(a.paras[:len(a.paras)-1])
	}},
	{"editor's note added", func(a article, it *hub.Item) {
		it.Content = "<p>编者按：本网今日转载此文，供读者参阅，欢迎留言讨论，分享您的看法。</p>" + it.Content
	}},
	{"images and captions", func(a article, it *hub.Item) {
		it.Content = `<figure><img src="/a.jpg"><figcaption>图为会议现场。新华社记者 王五 摄</figcaption></figure>` +
			it.Content + `<p><img src="/b.jpg"></p><p>（新华社记者 赵六 摄）</p>`
	}},
	{"full-width digits", func(a article, it *hub.Item) {
		it.Title = fullWidth(a.title)
		it.Content = fullWidth(it.Content)
	}},
	{"80-character summary", func(a article, it *hub.Item) {
		it.Summary, it.Content = firstRunes(a.paras, 80), ""
	}},
	{"same URL, tracking", func(a article, it *hub.Item) {
		sep := "?"
		if strings.Contains(a.url, "?") {
			sep = "&"
		}
		it.URL = strings.Replace(a.url, "http://", "HTTPS://", 1) + sep + "utm_source=wechat&spm=1.2#comments"
		it.Title = a.title + "（图）"
		it.Credit = "某省网"
	}},
	{"tag, 原标题, paragraph dropped, full width", func(a article, it *hub.Item) {
		it.Title = "【关注】" + fullWidth(firstRunes(a.paras, 12))
		it.Content = "<p>原标题：《" + xhtml.EscapeString(a.title) + "》</p>" + fullWidth(html(a.paras[:len(a.paras)-1]))
	}},
}

// negatives are pairs that must never be one story, made from two
// different articles a and b (b follows a in the corpus).
var negatives = []struct {
	name string
	make func(a, b article) (hub.Item, hub.Item)
}{
	{"same title, two days later", func(a, b article) (hub.Item, hub.Item) {
		x, y := a.own(), a.own()
		y.SourceID, y.URL, y.Published = "portal", "http://www.example.gov.cn/b.html", a.date.Add(48*time.Hour)
		return x, y
	}},
	{"same title next day, other text", func(a, b article) (hub.Item, hub.Item) {
		x, y := a.own(), b.own()
		y.Title, y.Credit, y.Published = a.title, a.credit, a.date.Add(20*time.Hour)
		return x, y
	}},
	{"generic title, other text", func(a, b article) (hub.Item, hub.Item) {
		x, y := a.own(), b.own()
		x.Title, y.Title = "通知", "通知"
		y.Credit, y.Published = a.credit, a.date.Add(time.Hour)
		return x, y
	}},
	{"generic title, no text", func(a, b article) (hub.Item, hub.Item) {
		x, y := a.own(), b.own()
		x.Title, y.Title = "今日要闻", "今日要闻"
		x.Content, y.Content = "", ""
		y.Credit, y.Published = a.credit, a.date.Add(time.Hour)
		return x, y
	}},
	{"series parts", func(a, b article) (hub.Item, hub.Item) {
		x, y := a.own(), a.own()
		half := len(a.paras) / 2
		x.Title, x.Content = a.title+"（一）", html(a.paras[:half])
		y.Title, y.Content = a.title+"（二）", html(a.paras[half:])
		y.URL, y.Published = a.url+"?page=2", a.date.Add(24*time.Hour)
		return x, y
	}},
	{"same publisher and day, other article", func(a, b article) (hub.Item, hub.Item) {
		x, y := a.own(), b.own()
		y.Credit, y.Published = a.credit, a.date.Add(3*time.Hour)
		return x, y
	}},
}

// dailyReports are a bureau's daily 疫情通报 on consecutive days: one title,
// one template, other figures.
func dailyReports(n int) []hub.Item {
	r := rand.New(rand.NewPCG(1, 2))
	start := time.Date(2022, 11, 20, 9, 0, 0, 0, china)
	var out []hub.Item
	for d := range n {
		day := start.AddDate(0, 0, d)
		num := func() int { return r.IntN(3000) }
		text := fmt.Sprintf(`<p>%d月%d日0—24时，全省新增本土确诊病例%d例、无症状感染者%d例，新增境外输入确诊病例%d例。</p>
<p>截至%d月%d日24时，全省累计报告本土确诊病例%d例，现有本土确诊病例%d例，其中重型%d例。</p>
<p>当日新增治愈出院病例%d例，解除医学观察的无症状感染者%d例，尚在医学观察的无症状感染者%d例。</p>
<p>全省累计追踪到密切接触者%d人，尚在医学观察%d人。</p>`,
			day.Month(), day.Day(), num(), num(), num(), day.Month(), day.Day(), num(), num(), num(), num(), num(), num(), num(), num())
		out = append(out, hub.Item{
			SourceID:    "bureau",
			URL:         fmt.Sprintf("http://wsjkw.example.gov.cn/yqtb/%d.html", d),
			Title:       "全省新冠肺炎疫情通报",
			Content:     text,
			Published:   day.Add(time.Duration(r.IntN(8)) * time.Hour),
			Attribution: hub.Attribution{Credit: "省卫生健康委"},
		})
	}
	return out
}

// TestPrecisionRecall measures Same on reposts made from real articles the
// way portals make them, and on pairs that must stay apart: no false merge
// at all, recall at least 0.95. It prints both tables.
func TestPrecisionRecall(t *testing.T) {
	arts := corpusArticles(t)
	if len(arts) < 50 {
		t.Fatalf("%d usable articles in the labelled corpus, want at least 50", len(arts))
	}
	found, total := 0, 0
	var misses []string
	var table strings.Builder
	for _, p := range positives {
		hit := 0
		for i, a := range arts {
			x := a.own()
			y := a.repost(i, func(it *hub.Item) { p.change(a, it) })
			if Same(New(&x), New(&y)) && Same(New(&y), New(&x)) {
				hit++
			} else if len(misses) < 20 {
				misses = append(misses, fmt.Sprintf("%s: %s %q", p.name, a.file, a.title))
			}
		}
		found += hit
		total += len(arts)
		fmt.Fprintf(&table, "  positive  %-45s %3d/%3d\n", p.name, hit, len(arts))
	}
	falses, pairs := 0, 0
	for _, n := range negatives {
		bad := 0
		for i, a := range arts {
			x, y := n.make(a, arts[(i+1)%len(arts)])
			if Same(New(&x), New(&y)) || Same(New(&y), New(&x)) {
				bad++
				t.Errorf("false merge (%s): %s %q with %q", n.name, a.file, x.Title, y.Title)
			}
		}
		falses += bad
		pairs += len(arts)
		fmt.Fprintf(&table, "  negative  %-45s %3d/%3d merged\n", n.name, bad, len(arts))
	}
	reports := dailyReports(30)
	bad := 0
	for i := 1; i < len(reports); i++ {
		if Same(New(&reports[i-1]), New(&reports[i])) {
			bad++
			t.Errorf("false merge: daily reports of %v and %v", reports[i-1].Published, reports[i].Published)
		}
	}
	falses += bad
	pairs += len(reports) - 1
	fmt.Fprintf(&table, "  negative  %-45s %3d/%3d merged\n", "daily report, next day (synthetic)", bad, len(reports)-1)

	recall := float64(found) / float64(total)
	t.Logf("reposts of %d labelled articles: recall %.3f (%d/%d), false merges %d of %d pairs\n%s",
		len(arts), recall, found, total, falses, pairs, table.String())
	if recall < 0.95 {
		slices.Sort(misses)
		t.Errorf("recall %.3f, want at least 0.95; some misses:\n%s", recall, strings.Join(misses, "\n"))
	}
}
