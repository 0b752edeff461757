package feeds

import (
	"bytes"
	"fmt"
	"html/template"
	"os"
	"path/filepath"
	"strings"
	"testing"

	xhtml "golang.org/x/net/html"

	"github.com/yizhan-hub/yizhan/bench/feedgen"
	"github.com/yizhan-hub/yizhan/hub"
)

// TestChannelPageGolden compares the theory channel's page, under the fixed
// clock, with testdata/channel_theory.golden.html; rewrite it with
// go test ./feeds -update after reviewing the diff.
func TestChannelPageGolden(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	w := get(t, h, "GET", "/channels/theory")
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("GET /channels/theory = %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	got := w.Body.Bytes()
	wellFormed(t, got)
	path := filepath.Join("testdata", "channel_theory.golden.html")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./feeds -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output; review and run go test ./feeds -update\n%s", path, firstDiff(got, want))
	}
}

func TestChannelPage(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	body := get(t, h, "GET", "/channels/theory").Body.String()
	// Newest first, each with its link, date in the hub's zone, credit, via,
	// author, summary, carriers; the feeds linked and advertised.
	for _, want := range []string{
		`<html lang="zh-CN">`,
		`<link rel="alternate" type="application/rss&#43;xml" title="理论频道 · 驿站测试（RSS）" href="http://hub.example/feeds/theory.rss"/>`,
		`<a href="http://theory.people.com.cn/n1/2025/0301/c40531-40428001.html">坚持和发展新时代“枫桥经验”</a>`,
		`<time datetime="2025-03-01T08:30:00&#43;08:00">2025-03-01 08:30</time>`,
		`来源：<a href="http://paper.people.com.cn/rmrb/html/2025-03/01/nw.D110000renmrb_20250301_1-09.htm">人民日报</a>`,
		`经由：人民网 · 理论`, `作者：李红军`, `基层治理的生动实践 &amp; 经验总结。`,
		`转载：<a href="http://www.example.gov.cn/theory/2025-03/01/c_1.htm?a=1&amp;b=2">某省网 · 理论</a>、<a href="http://news.example.cn/a/2.html">某县融媒</a>`,
		`AT&amp;T 与 &lt;标签&gt; 的 &#34;引号&#34;`,
		`<option value="theory" selected="selected">理论频道</option>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("channel page lacks %s", want)
		}
	}
	if i, j := strings.Index(body, "枫桥经验"), strings.Index(body, "引号"); i < 0 || j < i {
		t.Errorf("channel page is not newest first")
	}
	if w := get(t, h, "GET", "/channels/nope"); w.Code != 404 {
		t.Errorf("GET /channels/nope = %d, want 404", w.Code)
	}
	if w := get(t, h, "GET", "/channels/theory?before=bad"); w.Code != 400 {
		t.Errorf("GET /channels/theory?before=bad = %d, want 400", w.Code)
	}
	if w := get(t, h, "GET", "/channels/latest"); w.Code != 200 || !strings.Contains(w.Body.String(), "时政要闻一则") {
		t.Errorf("GET /channels/latest = %d, want the ticker", w.Code)
	}
}

// TestChannelPagePaging follows the older link to the end: every item once.
func TestChannelPagePaging(t *testing.T) {
	cfg := testConfig()
	h := newTestHandler(t, newMemStore(cfg, manyItems(12)...))
	seen := map[string]bool{}
	target := "/channels/theory"
	pages := 0
	for target != "" && pages < 10 {
		pages++
		w := get(t, h, "GET", target)
		if w.Code != 200 {
			t.Fatalf("GET %s = %d", target, w.Code)
		}
		body := w.Body.String()
		for _, line := range strings.Split(body, "\n") {
			if strings.HasPrefix(line, "<h2><a href=") {
				if seen[line] {
					t.Errorf("%s repeats %s", target, line)
				}
				seen[line] = true
			}
		}
		target = ""
		if i := strings.Index(body, `<a rel="next" href="`); i >= 0 {
			rest := body[i+len(`<a rel="next" href="`):]
			target = strings.TrimPrefix(rest[:strings.IndexByte(rest, '"')], "http://hub.example")
		}
	}
	if len(seen) != 12 || pages != 3 {
		t.Errorf("paged through %d items in %d pages, want 12 in 3", len(seen), pages)
	}
}

func TestIndexLinksPagesAndSearch(t *testing.T) {
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	body := get(t, h, "GET", "/").Body.String()
	for _, want := range []string{
		`<a href="http://hub.example/channels/theory">理论频道</a>`,
		`<a href="http://hub.example/channels/politics">时政频道</a>`,
		`<a href="http://hub.example/channels/latest">`,
		`<form class="search" role="search" action="http://hub.example/search" method="get">`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("index page lacks %s", want)
		}
	}
}

// pageEscapeCases are inputs of the page's escapers: upstream text and
// URLs with every character html/template treats apart.
var pageEscapeCases = []string{
	"", "减负", `AT&T 与 <标签> 的 "引号" 'single' a+b`, "nul\x00byte", "bad \xff\xfe utf-8",
	"http://theory.people.com.cn/n1/2025/0301/c40531-40428001.html",
	"http://www.example.gov.cn/theory/?a=1&b=2#frag", "https://例子.中国/路径 空格?q=减负",
	"javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,<script>",
	"mailto:a@b.c", "/relative/path?x=%E5%87%8F&y=%zz%4", "//host/x", `"><script>alert(1)</script>`,
	"vbscript:x", "http:", ":", "a/b:c", "\ufdd0\uffff", "100%", "%41%2", "'()*~!$,;=@[]",
}

// TestPageEscapers: escText and escURL write what html/template writes for
// the same value in a text node, a quoted attribute and a quoted href.
func TestPageEscapers(t *testing.T) {
	for _, s := range pageEscapeCases {
		checkPageEscapers(t, s)
	}
}

// FuzzPageEscapers looks for a value that the page's escapers write
// otherwise than html/template.
func FuzzPageEscapers(f *testing.F) {
	for _, s := range pageEscapeCases {
		f.Add(s)
	}
	f.Fuzz(checkPageEscapers)
}

var escapeReference = template.Must(template.New("ref").Parse(
	`<p title="{{.}}">{{.}}</p><a href="{{.}}">x</a>`))

func checkPageEscapers(t *testing.T, s string) {
	var want bytes.Buffer
	if err := escapeReference.Execute(&want, s); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	got.WriteString(`<p title="`)
	escText(&got, s)
	got.WriteString(`">`)
	escText(&got, s)
	got.WriteString(`</p><a href="`)
	escURL(&got, s)
	got.WriteString(`">x</a>`)
	if got.String() != want.String() {
		t.Errorf("%q:\n got %s\nwant %s", s, got.String(), want.String())
	}
}

// TestHTMLTextPrefix: htmlTextPrefix is the fragment's text (as
// htmlTextFields makes it) cut to n characters, and says whether it cut;
// htmlText is all of it.
func TestHTMLTextPrefix(t *testing.T) {
	for _, frag := range htmlTextCases {
		checkHTMLTextPrefix(t, frag)
	}
}

var htmlTextCases = []string{
	"", "  ", "减负", "<p>减负</p>  <p> 疫情 </p>", "a  b\tc\n", "<p>AT&amp;T &lt;x&gt;</p>",
	"<script>x</script>文字<style>y</style>", "<br/>a<br>b", "\xff\xfe", "<p>" + strings.Repeat("字 ", 200) + "</p>",
	strings.Repeat("汉", 160), strings.Repeat("汉", 160) + " ", strings.Repeat("汉", 160) + " 字", strings.Repeat("汉", 159) + " 字",
	"<div>" + strings.Repeat("<b>粗</b>", 170) + "</div>", "<p>unclosed &amp",
}

func FuzzHTMLTextPrefix(f *testing.F) {
	for _, s := range htmlTextCases {
		f.Add(s)
	}
	f.Fuzz(checkHTMLTextPrefix)
}

func checkHTMLTextPrefix(t *testing.T, frag string) {
	full := htmlTextFields(frag)
	if got := htmlText(frag); got != full {
		t.Errorf("htmlText(%q) = %q, want %q", frag, got, full)
	}
	for _, n := range []int{0, 1, 3, summaryRunes} {
		want := firstRunes(full, n)
		got, more := htmlTextPrefix(frag, n)
		if got != want || more != (len(want) < len(full)) {
			t.Errorf("htmlTextPrefix(%q, %d) = %q, %v; want %q, %v", frag, n, got, more, want, len(want) < len(full))
		}
	}
}

// BenchmarkChannelPage measures a channel page's own rendering (issue 13:
// a page under 5 ms from a cache miss): renderChannelPage from the
// snapshot the channel's feeds share, of 50 articles of bench/feedgen (six
// paragraphs each), on a hub of 100 channels, the search form's choices.
// The store's read and the snapshot are bench/scale's BenchmarkPages.
func BenchmarkChannelPage(b *testing.B) {
	c := testConfig()
	c.Settings.FeedSize = 50
	for i := range 98 {
		c.Channels = append(c.Channels, hub.Channel{ID: fmt.Sprint("c", i), Title: fmt.Sprint("频道", i)})
	}
	cfg := newConfig(c)
	ch := cfg.channels["theory"]
	items := make([]hub.Item, 51)
	for i := range items {
		a := feedgen.NewArticle(1, 1000-i)
		items[i] = hub.Item{ID: int64(i + 1), SourceID: "people-theory", Key: a.GUID, URL: a.Link, Title: a.Title,
			Content: a.HTML, Published: a.Published,
			Attribution: hub.Attribution{Credit: "人民日报", CreditURL: "http://paper.people.com.cn/", Via: "人民网 · 理论", Author: a.Author}}
	}
	s := newSnapshot(items[:50], ch, cfg)
	s.setMore(true)
	var n int
	for b.Loop() {
		page, err := renderChannelPage(cfg, ch, s)
		if err != nil {
			b.Fatal(err)
		}
		n = len(page)
	}
	b.ReportMetric(float64(n), "page-bytes")
}

// htmlTextFields is the text of an HTML fragment as htmlText made it
// before it shared htmlTextPrefix's walk: the text tokens joined, then
// strings.Fields. It is the reference the two are held to.
func htmlTextFields(fragment string) string {
	if !strings.ContainsAny(fragment, "<&") {
		return strings.Join(strings.Fields(fragment), " ")
	}
	z := xhtml.NewTokenizer(strings.NewReader(fragment))
	var b strings.Builder
	skip := 0 // inside <script> or <style>, which sanitized HTML should not have anyway
	for {
		switch z.Next() {
		case xhtml.ErrorToken:
			return strings.Join(strings.Fields(b.String()), " ")
		case xhtml.TextToken:
			if skip == 0 {
				b.Write(z.Text())
			}
		case xhtml.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				skip++
			case "br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6":
				b.WriteByte(' ')
			}
		case xhtml.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style":
				if skip > 0 {
					skip--
				}
			case "p", "div", "li", "tr", "td", "th":
				b.WriteByte(' ')
			}
		}
	}
}
