package sources

import (
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
)

func shanghaiZone(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

// readArticle decodes and extracts a page as fetchHTML does.
func readArticle(tb testing.TB, path, contentType, pageURL string, rules *hub.HTMLRules) hub.Item {
	tb.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	page, err := DecodeHTML(raw, contentType, "")
	if err != nil {
		tb.Fatalf("DecodeHTML(%s): %v", path, err)
	}
	u, err := url.Parse(pageURL)
	if err != nil {
		tb.Fatal(err)
	}
	it, err := ExtractArticle(page, u, rules, shanghaiZone(tb))
	if err != nil {
		tb.Fatalf("ExtractArticle(%s): %v", path, err)
	}
	return it
}

// furniture is what the fixtures put around their articles: navigation,
// breadcrumbs, share buttons, sidebars, ads, scripts, styles, the footer
// and the fields read into the item.
var furniture = []string{
	"网站首页", "当前位置", "分享到", "精彩推荐", "即时播报", "外交部就中美关系答记者问",
	"国务院常务会议部署新举措", "相关新闻", "社区团购再升温", "关于我们", "广告", "版权",
	"document.write", "color: red", "来源", "编辑", "责编", "javascript:",
}

func TestExtractArticleFixtures(t *testing.T) {
	sh := shanghaiZone(t)
	d := time.Date(2020, 4, 20, 8, 48, 0, 0, sh)
	footer := "本网站所刊登的各种新闻﹑信息和各种专题专栏资料，均为示例网版权所有，未经协议授权，禁止下载使用。"
	tests := []struct {
		file, contentType                         string
		title                                     string
		date                                      time.Time
		credit, creditURL, author, editor, rights string
		first                                     string // the article's first sentence
	}{
		{"people_repost_editor_line.html", "", "坚持稳中求进 推动高质量发展", d, "人民日报", "", "", "李红军",
			"凡注明“来源：人民日报”的作品，版权均属人民日报社所有，未经授权不得转载。",
			"4月19日，国务院召开常务会议，研究部署进一步做好稳就业保民生工作。"},
		{"date_cn_spaced.html", "", "春耕生产全面展开", d, "新华网", "", "张三", "", footer,
			"眼下正值春耕农忙时节，各地抢抓农时，春耕生产全面展开。"},
		{"date_cn_nospace.html", "", "城市更新让老街区焕发新活力", d, "光明日报", "", "王五", "", footer,
			"走进改造后的老街区，青砖灰瓦间处处透着新意，居民的生活便利了许多。"},
		{"date_iso_minutes.html", "", "1-3月全市固定资产投资稳步回升", d, "省发改委", "", "", "赵六", footer,
			"1-3月，全市固定资产投资同比增长5.2%，增速比1-2月回升3.1个百分点。"},
		{"date_slash.html", "", "古诗词里的父爱", time.Date(2020, 4, 20, 0, 0, 0, 0, sh), "人民网-文化频道", "", "", "汤诗瑶、丁涛", footer,
			"父亲的教诲像一盏灯，为我们照亮前行的路；父亲的关爱像一把伞，为我们遮蔽风雨。"},
		{"date_label_fabu.html", "", "多地推出惠企政策", d, "人民网-文化频道", "", "", "孙七", footer,
			"为帮助企业渡过难关，多地近日密集推出一批惠企政策，涉及减税降费、金融支持等方面。"},
		{"date_label_shijian.html", "", "青年志愿者走进社区", d, "中国青年报", "http://zqb.example.cn/2020/0420/1.html", "李四", "", footer,
			"连日来，一批青年志愿者走进社区，为居民提供代购、测温等服务。"},
		{"date_meta_publishdate.html", "", "博物馆里的春天", d, "示例网-文化频道", "http://culture.example.cn/", "", "周八、吴九", footer,
			"春日里，不少博物馆推出线上展览，让观众足不出户也能欣赏文物之美。"},
		{"date_meta_pubdate.html", "", "关于开展2020年度项目申报工作的通知", d, "示例省发展和改革委员会", "", "", "", footer,
			"各市、县人民政府，省直有关部门：根据工作安排，现就开展2020年度项目申报工作有关事项通知如下。"},
		{"date_meta_published_time.html", "", "全国铁路客流持续回升", d, "参考消息", "http://ref.example.cn/", "", "郑十", footer,
			"记者从国铁集团获悉，随着复工复产推进，全国铁路客流持续回升，日均发送旅客超过500万人次。"},
		{"title_only_in_head.html", "", "宇航员在太空中喝酒会怎么样？后果很严重", time.Date(2017, 3, 10, 9, 58, 0, 0, sh), "", "", "", "", footer,
			"翱翔于距地球数千公里的太空中，进入广袤漆黑的未知领域，是一项艰苦卓绝的工作。"},
		{"sidebar_link_boxes.html", "", "社区团购的新与旧", d, "经济日报", "", "", "", footer,
			"社区团购并不是新鲜事物，但在今年春天，它又一次成为了人们热议的话题。"},
		{"lying_meta_gb2312_utf8_bytes.html", "", "农民画家追梦六十载", time.Date(2019, 6, 15, 8, 18, 0, 0, sh), "人民网-文化频道", "", "", "", footer,
			"他从小就喜欢画画，六十年来笔耕不辍，画出了家乡的山水和乡亲的生活。"},
		{"gbk_article.html", "", "朱镕基题写的校训激励学子", d, "人民日报", "", "", "李红军", footer,
			"“实事求是，自强不息”，这八个字的校训由朱镕基同志题写，激励着一代代学子。𠀀字也在这里。"},
		{"gbk_article.html", "text/html; charset=GBK", "朱镕基题写的校训激励学子", d, "人民日报", "", "", "李红军", footer,
			"“实事求是，自强不息”，这八个字的校训由朱镕基同志题写，激励着一代代学子。"},
		{"no_declaration_gb18030.html", "", "没有声明编码的页面", d, "示例日报", "", "", "", footer,
			"这个页面没有声明任何编码，字节是国标编码，阅读时应当按照GB18030解码。"},
		{"lying_meta_gb2312_utf8_bytes.html", "text/html; charset=utf-8", "农民画家追梦六十载", time.Date(2019, 6, 15, 8, 18, 0, 0, sh), "人民网-文化频道", "", "", "", footer,
			"他从小就喜欢画画，六十年来笔耕不辍，画出了家乡的山水和乡亲的生活。"},
	}
	for _, tt := range tests {
		t.Run(tt.file+"/"+tt.contentType, func(t *testing.T) {
			const page = "http://www.example.cn/n1/2020/0420/c1001-31153719.html"
			it := readArticle(t, filepath.Join("testdata", "html", tt.file), tt.contentType, page, nil)
			if it.Title != tt.title {
				t.Errorf("Title = %q, want %q", it.Title, tt.title)
			}
			if !it.Published.Equal(tt.date) {
				t.Errorf("Published = %v, want %v", it.Published, tt.date)
			}
			if it.Credit != tt.credit {
				t.Errorf("Credit = %q, want %q", it.Credit, tt.credit)
			}
			if it.CreditURL != tt.creditURL {
				t.Errorf("CreditURL = %q, want %q", it.CreditURL, tt.creditURL)
			}
			if it.Author != tt.author || it.Editor != tt.editor {
				t.Errorf("Author, Editor = %q, %q; want %q, %q", it.Author, it.Editor, tt.author, tt.editor)
			}
			if it.Copyright != tt.rights {
				t.Errorf("Copyright = %q, want %q", it.Copyright, tt.rights)
			}
			if it.URL != page || it.Key != page {
				t.Errorf("URL, Key = %q, %q, want %q", it.URL, it.Key, page)
			}
			body := PlainText(it.Content)
			if !strings.Contains(body, tt.first) {
				t.Errorf("body lacks the first sentence %q:\n%s", tt.first, body)
			}
			for _, w := range furniture {
				if strings.Contains(it.Content, w) {
					t.Errorf("body has %q:\n%s", w, it.Content)
				}
			}
			if !utf8.ValidString(it.Content) || strings.ContainsRune(it.Content, utf8.RuneError) {
				t.Errorf("body is not clean UTF-8:\n%s", it.Content)
			}
			if !strings.Contains(it.Content, `src="http://www.example.cn/n1/images/2020/0420/a.jpg"`) {
				t.Errorf("body lacks the absolute image URL:\n%s", it.Content)
			}
			if !strings.Contains(it.Content, `href="http://www.example.cn/special/2020/"`) {
				t.Errorf("body lacks the absolute link:\n%s", it.Content)
			}
			if it.Image != "http://www.example.cn/n1/images/2020/0420/a.jpg" {
				t.Errorf("Image = %q", it.Image)
			}
			if !strings.HasPrefix(it.Summary, strings.TrimSpace(truncateRunes(tt.first, 20))) {
				t.Errorf("Summary = %q, want the start of the text", it.Summary)
			}
		})
	}
}

func TestExtractArticleOverrides(t *testing.T) {
	sh := shanghaiZone(t)
	path := filepath.Join("testdata", "html", "overrides_custom_layout.html")
	const page = "http://gov.example.cn/art/2020/4/20/art_1.html"
	rules := &hub.HTMLRules{
		Title: ".bt", Date: ".xx .t", DateLayout: "20060102 1504", Credit: ".ly", Author: ".zz", Body: ".wz",
	}
	it := readArticle(t, path, "", page, rules)
	if want := "关于做好2020年春季防火工作的通知"; it.Title != want {
		t.Errorf("Title = %q, want %q", it.Title, want)
	}
	if want := time.Date(2020, 4, 20, 8, 48, 0, 0, sh); !it.Published.Equal(want) {
		t.Errorf("Published = %v, want %v", it.Published, want)
	}
	if it.Credit != "区应急管理局" || it.Author != "王小二" {
		t.Errorf("Credit, Author = %q, %q, want 区应急管理局, 王小二", it.Credit, it.Author)
	}
	body := PlainText(it.Content)
	if !strings.HasPrefix(body, "各街道办事处、区直各部门：") || strings.Contains(body, "火险等级") {
		t.Errorf("body = %q, want the .wz block only", body)
	}

	// Without the overrides the page reads differently, so the test above
	// shows they win.
	plain := readArticle(t, path, "", page, nil)
	if plain.Title == it.Title && plain.Published.Equal(it.Published) && plain.Credit == it.Credit {
		t.Errorf("heuristics alone gave the override values; the fixture proves nothing")
	}

	// A selector that matches nothing falls back to the heuristics.
	it = readArticle(t, path, "", page, &hub.HTMLRules{Title: ".no-such-thing"})
	if it.Title == "" {
		t.Errorf("Title is empty with a selector matching nothing")
	}

	// A selector that does not compile is an error, not a silent fallback.
	raw, _ := os.ReadFile(path)
	u, _ := url.Parse(page)
	if _, err := ExtractArticle(raw, u, &hub.HTMLRules{Body: "div[["}, sh); err == nil {
		t.Errorf("ExtractArticle with a bad selector: no error")
	}
}

func TestExtractArticleNoArticle(t *testing.T) {
	u, _ := url.Parse("http://example.cn/")
	for _, page := range []string{"", "<html><body></body></html>", "<html><head><title></title></head><body><ul><li><a href=/a>x</a></li></ul></body></html>"} {
		if it, err := ExtractArticle([]byte(page), u, nil, time.UTC); err == nil {
			t.Errorf("ExtractArticle(%q) = %+v, want ErrNoArticle", page, it)
		}
	}
}

func TestExtractArticleCanonical(t *testing.T) {
	page := `<html><head><title>标题一二三四_示例网</title>%s</head><body><h1>标题一二三四</h1>
<div><p>这是正文的第一段，内容足够长，带有标点符号，用来确认正文可以被识别出来。</p><p>第二段，也有标点。</p></div></body></html>`
	u, _ := url.Parse("http://www.example.cn/a/1.html?from=list#top")
	tests := []struct{ head, want string }{
		{``, "http://www.example.cn/a/1.html?from=list"},
		{`<link rel="canonical" href="/a/1.html">`, "http://www.example.cn/a/1.html"},
		{`<meta property="og:url" content="http://example.cn/a/1.html">`, "http://example.cn/a/1.html"},
		{`<meta property="og:url" content="http://m.example.cn/a/1.html">`, "http://www.example.cn/a/1.html?from=list"},
		{`<link rel="canonical" href="http://www.example.cn/">`, "http://www.example.cn/a/1.html?from=list"},
		{`<link rel="canonical" href="http://elsewhere.example.com/a/1.html">`, "http://www.example.cn/a/1.html?from=list"},
	}
	for _, tt := range tests {
		it, err := ExtractArticle([]byte(strings.Replace(page, "%s", tt.head, 1)), u, nil, time.UTC)
		if err != nil {
			t.Fatal(err)
		}
		if it.Key != tt.want {
			t.Errorf("with %s: Key = %q, want %q", tt.head, it.Key, tt.want)
		}
	}
}

func TestStripTitleSuffix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"宇航员在太空中喝酒会怎么样？后果很严重 _探索者 _光明网", "宇航员在太空中喝酒会怎么样？后果很严重"},
		{"女儿出嫁，郑板桥画了几笔兰花当嫁妆--文化--人民网 ", "女儿出嫁，郑板桥画了几笔兰花当嫁妆"},
		{"法国全国大罢工再次严重影响交通-新华网", "法国全国大罢工再次严重影响交通"},
		{"海外留学生看两会：出国前后关注点大不同_教育频道_中国青年网", "海外留学生看两会：出国前后关注点大不同"},
		{"山西品牌丝路行（南美站）正式启动 - 山西省人民政府门户网站", "山西品牌丝路行（南美站）正式启动"},
		{"中国人习以为常的地方 为何老外却说“了不得”？|公园_新浪新闻", "中国人习以为常的地方 为何老外却说“了不得”？"},
		{"1-10月德清县固定资产投资结构趋稳趋优", "1-10月德清县固定资产投资结构趋稳趋优"},
		{"促进航天技术更好惠及人民――习近平主席致贺信--时政--人民网", "促进航天技术更好惠及人民――习近平主席致贺信"},
		{"网易新闻", "网易新闻"},
	}
	for _, tt := range tests {
		if got := stripTitleSuffix(tt.in); got != tt.want {
			t.Errorf("stripTitleSuffix(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzExtractArticle(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "html", "*.html"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	u, _ := url.Parse("http://www.example.cn/a/b.html")
	f.Fuzz(func(t *testing.T, page []byte) {
		page, err := DecodeHTML(page, "", "")
		if err != nil {
			return
		}
		it, err := ExtractArticle(page, u, nil, time.UTC)
		if err != nil {
			return
		}
		for name, s := range map[string]string{"title": it.Title, "credit": it.Credit, "author": it.Author, "copyright": it.Copyright, "content": it.Content} {
			if !utf8.ValidString(s) {
				t.Errorf("%s is not valid UTF-8: %q", name, s)
			}
		}
		if strings.Contains(strings.ToLower(it.Content), "<script") {
			t.Errorf("content has a script: %q", it.Content)
		}
		for name, s := range map[string]string{"title": it.Title, "credit": it.Credit, "author": it.Author, "copyright": it.Copyright} {
			if strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 }) {
				t.Errorf("%s has a control character: %q", name, s)
			}
		}
	})
}

func TestExtractArticleControlCharacters(t *testing.T) {
	page := "<html><head><title>标题\x01一二三四_示例网</title></head><body><h1>标题\x01一二三四</h1>" +
		"<div>2020-04-20 08:48 来源：示例\x0b日报 作者：张\x02三</div><div><p>正文第一段，有标点。正文还有，更多内容。</p><p>第二段，也有标点。</p></div></body></html>"
	u, _ := url.Parse("http://www.example.cn/a.html")
	it, err := ExtractArticle([]byte(page), u, nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if it.Title != "标题一二三四" || it.Credit != "示例日报" || it.Author != "张三" {
		t.Errorf("Title, Credit, Author = %q, %q, %q", it.Title, it.Credit, it.Author)
	}
}

// A government CMS whose <title> is only the site's name, set again as the
// logo's <h1>: the headline is the line above the byline.
func TestExtractArticleTitleIsSiteName(t *testing.T) {
	sh := shanghaiZone(t)
	it := readArticle(t, filepath.Join("testdata", "html", "gov_title_is_site_name.html"), "", "http://www.example.gov.cn/art/2020/4/1/art_1.html", nil)
	if want := "关于2020年清明节期间文明祭扫的通告"; it.Title != want {
		t.Errorf("Title = %q, want %q", it.Title, want)
	}
	if want := time.Date(2020, 4, 1, 9, 30, 0, 0, sh); !it.Published.Equal(want) {
		t.Errorf("Published = %v, want %v", it.Published, want)
	}
	if it.Credit != "市民政局" || it.Copyright != "版权所有：示例市人民政府" {
		t.Errorf("Credit, Copyright = %q, %q", it.Credit, it.Copyright)
	}
	body := PlainText(it.Content)
	if !strings.HasPrefix(body, "清明节将至") || strings.Contains(body, "浏览次数") || strings.Contains(body, "政务公开") {
		t.Errorf("body = %q", body)
	}
}

func TestExtractShortHeadline(t *testing.T) {
	u, _ := url.Parse("http://portal.example.cn/n/1.html")
	tests := []struct{ page, want string }{
		{`<html><head><title>春耕忙--门户网</title></head><body><div class="nav"><a href="/">首页</a></div><h1>春耕忙</h1><p>2026-03-02 09:00 来源：人民日报</p><div class="content"><p>春分前后，各地农民抢抓农时，田间地头一派繁忙景象，春耕生产有序推进。</p></div></body></html>`, "春耕忙"},
		{`<html><head><title>通知_某市教育局</title></head><body><h1>通知</h1><p>发布时间：2026-03-02</p><div class="content"><p>为做好今年春季学期开学工作，现将有关事项通知如下，请各校认真贯彻落实。</p></div></body></html>`, "通知"},
	}
	for _, tt := range tests {
		it, err := ExtractArticle([]byte(tt.page), u, nil, time.UTC)
		if err != nil {
			t.Errorf("ExtractArticle(%q): %v", tt.want, err)
			continue
		}
		if it.Title != tt.want {
			t.Errorf("Title = %q, want %q", it.Title, tt.want)
		}
	}
}

// A listing given where an article was expected is ErrListing (an
// ErrNoArticle too), not an item made of its intro line; an article with
// sidebars of headlines is still an article.
func TestExtractArticleListing(t *testing.T) {
	u, _ := url.Parse("http://news.example.cn/news/index.html")
	tests := []struct {
		file    string
		rules   *hub.HTMLRules
		listing bool
	}{
		{"listing_headlines_only.html", nil, true},
		{"listing_headlines_only.html", &hub.HTMLRules{Body: ".intro"}, false},
		{"sidebar_link_boxes.html", nil, false},
		{"people_repost_editor_line.html", nil, false},
		{"people_paged_article.html", nil, false},
	}
	for _, tt := range tests {
		raw, err := os.ReadFile(filepath.Join("testdata", "html", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		it, err := ExtractArticle(raw, u, tt.rules, time.UTC)
		switch {
		case tt.listing && (!errors.Is(err, ErrListing) || !errors.Is(err, ErrNoArticle)):
			t.Errorf("%s: %q, %v; want ErrListing", tt.file, it.Title, err)
		case !tt.listing && err != nil:
			t.Errorf("%s (rules %+v): %v, want an article", tt.file, tt.rules, err)
		}
	}
}

// A credit written as a link without an href has no credit URL: the page's
// own URL is no link to the publisher.
func TestExtractCreditLinkWithoutHref(t *testing.T) {
	page := `<html><head><title>标题一二三四_示例网</title></head><body><h1>标题一二三四</h1>
<div>2020-04-20 08:48 来源：<a>人民日报</a></div><div><p>正文第一段，有标点。正文还有，更多内容。</p><p>第二段，也有标点。</p></div></body></html>`
	u, _ := url.Parse("http://www.example.cn/a.html")
	it, err := ExtractArticle([]byte(page), u, nil, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if it.Credit != "人民日报" || it.CreditURL != "" {
		t.Errorf("Credit, CreditURL = %q, %q; want %q and none", it.Credit, it.CreditURL, "人民日报")
	}
}
