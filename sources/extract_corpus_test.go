package sources

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
)

// The real Chinese pages of ../shared/corpora/cn-html (see its SOURCE.txt):
// what extraction must find on each, and what must stay out of the body.
// Most are UTF-8 bytes; several still declare gb2312 in <meta>, so each is
// read twice: with an honest HTTP header, and with none (the lying <meta>).

// noSpace removes blanks, so texts compare across markup.
func noSpace(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\u3000", " ", "\u00a0", " ").Replace(s)), "")
}

type corpusPage struct {
	file                      string
	contentTypes              []string // the headers to serve it with
	title                     string
	date                      time.Time
	credit, creditURL, author string
	editor                    string   // 编辑/责任编辑/责编: never the author (SPEC "Items")
	rights                    string   // a substring of the copyright; "" means none
	first                     []string // sentences the body must have
	absent                    []string // navigation and sidebar words it must not
}

func cnHTMLPages(sh *time.Location) []corpusPage {
	honest, lying := "text/html; charset=utf-8", ""
	people2019 := corpusPage{
		title: "女儿出嫁，郑板桥画了几笔兰花当嫁妆", date: time.Date(2019, 6, 15, 8, 18, 0, 0, sh),
		credit: "人民网-文化频道", creditURL: "http://culture.people.com.cn/", editor: "汤诗瑶、丁涛",
		rights: "人民网版权所有，未经书面授权禁止使用",
		first:  []string{"父亲的教诲像一盏灯，为我们照亮前行的路；", "虽然，东方朔为人洒脱不羁，但，在这首诫子诗中，他与普通父亲并没有差别，字里行间都是对儿子的爱。"},
		absent: []string{"网站首页", "登录人民网通行证", "分享到", "人民日报客户端下载", "推荐阅读", "致敬改革开放四十年",
			"相关新闻", "精彩图集", "热点推荐", "精彩推荐", "视频新闻", "热点排行", "责编", "版权", "【2】", "next_page"},
	}
	people2024 := corpusPage{
		title: "促进航天技术更好惠及人民――习近平主席向首届“中国－拉美和加勒比国家航天合作论坛”致贺信为中拉深化航天合作指明方向",
		date:  time.Date(2024, 4, 24, 23, 52, 0, 0, sh), credit: "新华网",
		creditURL: "http://www.news.cn/20240424/b3e483975ed64224afba3567f940a0b0/c.html", editor: "牛镛、岳弘彬",
		rights: "人民网股份有限公司版权所有",
		first:  []string{"新华社北京4月24日电", "4月24日，习近平主席向首届“中国－拉美和加勒比国家航天合作论坛”致贺信，在会场内外引发热烈反响。"},
		absent: []string{"客户端下载", "人民网+", "领导留言板", "分享让更多人看到", "责编", "小字号", "版权"},
	}
	with := func(p corpusPage, file string, cts ...string) corpusPage {
		p.file, p.contentTypes = file, cts
		return p
	}
	return []corpusPage{
		with(people2019, "gne/people.com.cn-culture-2019-06-15.html", honest, lying),
		with(people2019, "derived-gbk/people-culture-2019-06-15.gbk.html", "", "text/html; charset=GBK", "text/html; charset=gb2312"),
		with(people2024, "fundus/People_2024_04_24.html", honest, lying),
		with(people2024, "derived-gbk/people-politics-2024-04-24.gbk.html", "", "text/html; charset=GBK"),
		{
			file: "gne/xinhuanet-world-article.html", contentTypes: []string{honest, lying},
			title: "法国全国大罢工再次严重影响交通", date: time.Date(2019, 12, 10, 7, 57, 40, 0, sh),
			credit: "新华网", author: "唐霁", editor: "尹世杰",
			// Its only rights statement is the footer's link to one.
			rights: "版权声明：http://www.xinhuanet.com/company/copyright.htm",
			first:  []string{"新华社巴黎12月9日电（记者唐霁）法国9日再次爆发全国跨行业大罢工，反对政府进行退休制度改革"},
			absent: []string{"客户端", "下一篇", "关注新华网", "纠错", "责任编辑", "热帖", "大数据", "炫图", "热词", "手机软件",
				"中国彩灯节在莫斯科开幕", "大半夜在贵州嗦粉", "新华社简介", "版权声明", "图集", "加载更多"},
		},
		{
			// SOURCE.txt names 省政府办公厅, but only a stale alt attribute
			// says so; the page shows 来源：山西日报 and its meta agrees.
			file: "gne/shanxi.gov.cn-provincial-portal-article.html", contentTypes: []string{honest, lying},
			title: "山西品牌丝路行（南美站）正式启动", date: time.Date(2019, 9, 18, 6, 23, 0, 0, sh),
			credit: "山西日报", rights: "山西省人民政府网版权所有",
			first: []string{"跨越千山万水，行程近两万公里，山西品牌丝路行首次登陆巴西", "山西品牌丝路行主题为“走丝绸之路，促合作共赢”。"},
			absent: []string{"中国政府网", "无障碍浏览", "热门搜索", "首页", "要闻", "打印", "字体", "分享", "扫一扫在手机打开当前页面",
				"省长信箱", "版权", "成功举办中国（山西）－巴西双向经贸投资推介会</h3>"},
		},
		{
			file: "gne/zj-fgw-provincial-dept-article.html", contentTypes: []string{honest, lying},
			title: "1-10月德清县固定资产投资结构趋稳趋优", date: time.Date(2016, 11, 22, 9, 53, 0, 0, sh),
			credit: "省发改委", rights: "浙江省发展和改革委员会版权所有",
			first:  []string{"1-10月，全县固定资产投资完成246.79亿元，完成年度计划82.3%"},
			absent: []string{"国家发改委", "浙江政务服务网", "当前位置", "投资管理和项目推进", "发布日期", "浏览次数", "信息来源", "打印", "关闭", "分享", "版权"},
		},
		{
			file: "gne/huanqiu-article.html", contentTypes: []string{honest, lying},
			title: "补壹刀：别笑！18人的“新八国联军”今天成立了", date: time.Date(2020, 6, 5, 20, 35, 0, 0, sh),
			author: "叨叨姐、胡一刀、李小飞刀", editor: "薛艺磊",
			first:  []string{"西方世界的一些反华分子正试图串联起来。", "刀哥想说，都9020年了，自信一点，理性一点，可以吗。"},
			absent: []string{"执笔", "责编", "阅读数", "不感兴趣", "投诉", "补壹刀微信公号", "分享到"},
		},
		{
			file: "gne/thepaper-article.html", contentTypes: []string{honest, lying},
			title: "共享充电宝涨价告别1元时代：是“收割韭菜”还是回归理性", date: time.Date(2019, 9, 24, 9, 10, 0, 0, sh),
			credit: "中国青年报", author: "石佳", editor: "张珺", rights: "澎湃新闻，未经授权不得转载",
			first: []string{"“以前花一两元就能充满电，前几天一下子被扣了12元。”吴翔宇自称是共享充电宝的长期用户"},
			absent: []string{"10%公司", "字号", "责任编辑", "澎湃新闻报料", "关键词", "收藏", "相关推荐", "面对美团突袭",
				"热评论", "我要跟帖", "先低价服务让你对他有依赖性", "版权"},
		},
		{
			file: "gne/sina-news-article.html", contentTypes: []string{honest, lying},
			title: "中国人习以为常的地方 为何老外却说“了不得”？", date: time.Date(2019, 11, 25, 18, 57, 38, 0, sh),
			credit: "参考消息", creditURL: "http://m.ckxx.net/shipin/p/196926.html", editor: "张迪", rights: "新浪公司版权所有",
			first: []string{"“你们将开始明白为什么我这么喜欢中国，因为这里充满了活力，即使现在是早上9点半。”",
				"BBC称，不只是温哥华，伦敦、柏林等城市也都开始效仿中国，打造鼓励市民健身运动的公园。"},
			absent: []string{"新闻中心", "缩小字体", "放大字体", "收藏", "微信", "责任编辑", "新浪新闻公众号", "版权", "举报"},
		},
		{
			file: "readability/gmw/source.html", contentTypes: []string{honest, lying},
			title: "宇航员在太空中喝酒会怎么样？后果很严重", date: time.Date(2017, 3, 10, 9, 58, 0, 0, sh),
			credit: "网易科学人", creditURL: "http://tech.163.com/17/0228/00/CEAPST9C00097U81.html", author: "春春", editor: "肖春芳",
			rights: "转载须经版权人书面授权并注明来源",
			first:  []string{"翱翔于距地球数千公里的太空中，进入广袤漆黑的未知领域，是一项艰苦卓绝的工作。"},
			absent: []string{"科技频道", "探索者", "我有话说", "责任编辑", "分享", "版权", "返回光明网首页", "inline_ads"},
		},
		{
			file: "readability/youth/source.html", contentTypes: []string{honest, lying},
			title: "海外留学生看两会：出国前后关注点大不同", date: time.Date(2017, 3, 10, 8, 42, 0, 0, sh),
			credit: "人民日报海外版", creditURL: "http://lx.huanqiu.com/lxnews/2017-03/10279070.html", editor: "崔宁宁",
			rights: "版权所有：中国青年网",
			first:  []string{"在采访中，我们了解到不少学子在出国前就每年守在电脑前观看两会直播。"},
			absent: []string{"发稿时间", "返回首页", "责任编辑", "版权", "关于我们"},
		},
		{
			file: "readability/qq/source.html", contentTypes: []string{honest, lying},
			title: "DeepMind新电脑已可利用记忆自学 人工智能迈上新台阶", date: time.Date(2016, 10, 14, 7, 17, 0, 0, sh),
			credit: "TNW中文站", editor: "alonliu", rights: "未经授权，不得转载、摘编等。",
			first:  []string{"在2014年收购的人工智能公司DeepMind开发出一款能够用自己的记忆学习新知识并利用这些知识来回答问题的计算机。"},
			absent: []string{"我要分享", "转播到腾讯微博", "精彩视频推荐", "全民微信时代", "正在加载", "责任编辑", "我要评论", "相关度", "版权", "独家所有"},
		},
		{
			file: "chardet-raw-gb/_chromium_gb18030_with_no_encoding_specified.html", contentTypes: []string{""},
			title: "中国制造的领军者3名",
			first: []string{"马兴瑞，中国航天科技集团公司总经理，用令世界震惊的航天“中国速度”"},
		},
	}
}

// expectedMetadata is readability's expected-metadata.json.
type expectedMetadata struct {
	Title   string `json:"title"`
	Byline  string `json:"byline"`
	Excerpt string `json:"excerpt"`
}

func TestExtractCorpusCNHTML(t *testing.T) {
	root := filepath.Join(corpora(t), "cn-html")
	sh := shanghaiZone(t)
	for _, p := range cnHTMLPages(sh) {
		for _, ct := range p.contentTypes {
			t.Run(p.file+"/"+ct, func(t *testing.T) {
				// The gne snapshots were saved without their URLs.
				it := readArticle(t, filepath.Join(root, p.file), ct, "http://www.example.cn/article.html", nil)
				if it.Title != p.title {
					t.Errorf("Title = %q, want %q", it.Title, p.title)
				}
				if !it.Published.Equal(p.date) {
					t.Errorf("Published = %v, want %v", it.Published, p.date)
				}
				if it.Credit != p.credit || it.CreditURL != p.creditURL {
					t.Errorf("Credit = %q <%s>, want %q <%s>", it.Credit, it.CreditURL, p.credit, p.creditURL)
				}
				if it.Author != p.author || it.Editor != p.editor {
					t.Errorf("Author, Editor = %q, %q; want %q, %q", it.Author, it.Editor, p.author, p.editor)
				}
				if (p.rights == "") != (it.Copyright == "") || !strings.Contains(it.Copyright, p.rights) {
					t.Errorf("Copyright = %q, want one with %q", it.Copyright, p.rights)
				}
				body := noSpace(PlainText(it.Content))
				for _, s := range p.first {
					if !strings.Contains(body, noSpace(s)) {
						t.Errorf("body lacks %q:\n%s", s, truncateRunes(body, 600))
					}
				}
				for _, s := range p.absent {
					if strings.Contains(it.Content, s) {
						t.Errorf("body has %q", s)
					}
				}
				if strings.ContainsRune(it.Title+it.Credit+it.Author+it.Copyright, '\uFFFD') {
					t.Errorf("fields have U+FFFD: %q %q %q %q", it.Title, it.Credit, it.Author, it.Copyright)
				}
			})
		}
	}
}

// TestExtractCorpusReadability checks the pages against the values their
// origin, Mozilla's Readability, expects. Its titles are the <title> with
// the site suffix, which SPEC says to drop; its bylines are the pages'
// author meta tags.
func TestExtractCorpusReadability(t *testing.T) {
	root := filepath.Join(corpora(t), "cn-html", "readability")
	for _, name := range []string{"gmw", "youth", "qq"} {
		t.Run(name, func(t *testing.T) {
			var want expectedMetadata
			b, err := os.ReadFile(filepath.Join(root, name, "expected-metadata.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &want); err != nil {
				t.Fatal(err)
			}
			it := readArticle(t, filepath.Join(root, name, "source.html"), "", "http://www.example.cn/a.html", nil)
			if w := stripTitleSuffix(want.Title); it.Title != w {
				t.Errorf("Title = %q, want %q (from %q)", it.Title, w, want.Title)
			}
			// Its bylines are meta author tags, which on these pages name
			// the editor, once with the desk before the name (青网校园崔宁宁).
			if b := want.Byline; b != "" && it.Author != b && (it.Editor == "" || !strings.HasSuffix(b, it.Editor)) {
				t.Errorf("Author, Editor = %q, %q; want byline %q in one", it.Author, it.Editor, b)
			}
			if body := noSpace(PlainText(it.Content)); name != "qq" && !strings.Contains(body, noSpace(want.Excerpt)) {
				t.Errorf("body lacks the expected excerpt %q", want.Excerpt)
			}
		})
	}
}

// TestExtractCorpusFundus checks the 2024 People's Daily page against
// fundus' expectations: title (less the site suffix), authors, date and
// every paragraph of the text.
func TestExtractCorpusFundus(t *testing.T) {
	root := filepath.Join(corpora(t), "cn-html", "fundus")
	var want struct {
		V1 struct {
			Authors []string `json:"authors"`
			Title   string   `json:"title"`
			Date    string   `json:"publishing_date"`
			Body    struct {
				Sections []struct {
					Paragraphs []string `json:"paragraphs"`
				} `json:"sections"`
			} `json:"body"`
		} `json:"V1"`
	}
	b, err := os.ReadFile(filepath.Join(root, "People.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	sh := shanghaiZone(t)
	it := readArticle(t, filepath.Join(root, "People_2024_04_24.html"), "",
		"http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html", nil)
	if w := stripTitleSuffix(want.V1.Title); it.Title != w {
		t.Errorf("Title = %q, want %q", it.Title, w)
	}
	// fundus takes the page's (责编：牛镛、岳弘彬) for authors; they are
	// its editors.
	if w := strings.Join(want.V1.Authors, "、"); it.Author != "" || it.Editor != w {
		t.Errorf("Author, Editor = %q, %q; want \"\", %q", it.Author, it.Editor, w)
	}
	// fundus keeps the day only; the page gives 23:52 as well.
	day, err := time.ParseInLocation("2006-01-02 15:04:05", want.V1.Date, sh)
	if err != nil {
		t.Fatal(err)
	}
	if !sameDay(it.Published, day) || it.Published.Hour() != 23 {
		t.Errorf("Published = %v, want 23:52 on %v", it.Published, day)
	}
	if it.Image != "" && strings.Contains(it.Image, "icon_type.png") {
		t.Errorf("Image = %q: the font-size icon is not the article's image", it.Image)
	}
	body := noSpace(PlainText(it.Content))
	for _, sec := range want.V1.Body.Sections {
		for _, para := range sec.Paragraphs {
			if !strings.Contains(body, noSpace(para)) {
				t.Errorf("body lacks paragraph %q", para)
			}
		}
	}
	if !strings.HasPrefix(it.Key, "http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html") {
		t.Errorf("Key = %q", it.Key)
	}
}

// TestExtractCorpusNotArticles: a page of navigation is no article, and
// the 163 list page is a listing, read with a links selector, and
// ErrListing when taken for an article.
func TestExtractCorpusNotArticles(t *testing.T) {
	root := filepath.Join(corpora(t), "cn-html")
	raw, err := os.ReadFile(filepath.Join(root, "chardet-raw-gb", "_mozilla_bug171813_text.gb2312.html"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := DecodeHTML(raw, "", "")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("搜狐在线国庆免费大酬宾")) {
		t.Errorf("GB2312 bytes without a declaration did not decode: %q", truncateRunes(string(page), 300))
	}
	u, _ := url.Parse("http://www.sol.sohu.com/")
	if it, err := ExtractArticle(page, u, nil, time.UTC); !errors.Is(err, ErrNoArticle) {
		t.Errorf("sohu link table: %+v, %v; want ErrNoArticle", it.Title, err)
	}
}

func TestListingCorpus163(t *testing.T) {
	root := filepath.Join(corpora(t), "cn-html")
	raw, err := os.ReadFile(filepath.Join(root, "gne", "163-news-LIST-page.html"))
	if err != nil {
		t.Fatal(err)
	}
	page, err := DecodeHTML(raw, "text/html; charset=utf-8", "")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://news.163.com/")
	// Given where an article was expected, it is recognised as a listing.
	if it, err := ExtractArticle(page, base, nil, time.UTC); !errors.Is(err, ErrListing) {
		t.Errorf("ExtractArticle(163 list page) = %q, %v; want ErrListing", it.Title, err)
	}
	links, _ := selectLinks(doc, base, ".news_article .news_title a", "")
	rows := doc.Find(".data_row.news_article").Length()
	if len(links) == 0 || len(links) != rows {
		t.Errorf("%d links for %d article rows", len(links), rows)
	}
	seen := map[string]bool{}
	for _, l := range links {
		u, err := url.Parse(l)
		if err != nil || !strings.HasSuffix(u.Host, ".163.com") || !strings.HasSuffix(u.Path, ".html") || seen[l] {
			t.Errorf("link %q: not a unique 163.com article", l)
		}
		seen[l] = true
	}
	if len(links) > 0 && links[0] != "https://news.163.com/20/0802/16/FJ1P0UTC0001899O.html" {
		t.Errorf("first link = %q, want the first row's article", links[0])
	}
	// Selecting the rows themselves takes the links inside them, pictures
	// and keyword links too: the selector decides.
	all, _ := selectLinks(doc, base, ".news_article", "")
	if len(all) <= len(links) {
		t.Errorf("selecting rows gave %d links, want more than the %d titles", len(all), len(links))
	}
}
