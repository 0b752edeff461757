package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/internal/testenv"
	"github.com/yizhan-hub/yizhan/sources"
)

// The shipped config.toml's html and sitemap sources read against saved
// pages of their sites (../shared/corpora/cn-html): every request for a
// real URL is answered from the corpora, 404 when nothing is saved for it.

// saved is a page of the corpora served for one URL.
type saved struct {
	file        string // under ../shared/corpora/cn-html; empty: body
	body        string // a document written here (a sitemap: none is saved)
	contentType string
}

// shippedArticle is what an article of a shipped source must read as.
type shippedArticle struct {
	url, title string
	date       string // 2006-01-02 15:04 in Asia/Shanghai, or the day only for a page that shows no time
	credit     string
}

type shippedCase struct {
	pages map[string]saved // by URL
	// documented is the selector the corpus notes (listings/SOURCE.txt)
	// give for exactly the article links of the listing at the source's
	// URL; the configured links selector must pick just those.
	documented string
	listed     int      // article URLs of the listing or sitemap
	first      []string // its first article URLs, in order
	articles   []shippedArticle
}

// peopleNews is People's Daily's news sitemap as people.cn writes it
// (urlset, loc and lastmod): none is saved, so it lists the saved article
// pages of the channel, a page the match leaves out and an article that is
// not saved.
func peopleNews(urls ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">` + "\n")
	for i, u := range urls {
		fmt.Fprintf(&b, "<url><loc>%s</loc><lastmod>2024-05-%02dT08:00:00+08:00</lastmod></url>\n", u, 20-i)
	}
	b.WriteString("</urlset>\n")
	return b.String()
}

var shippedCases = map[string]shippedCase{
	"people-headlines": {
		// The block's own article links go to pages of 2026-10-03 that are
		// not saved; three of them are answered with saved people.com.cn
		// articles, to read People's Daily's article template.
		pages: map[string]saved{
			"http://www.people.com.cn/":                                     {file: "listings/people-homepage-yaowenbobao-fragment.html", contentType: "text/html"},
			"http://society.people.com.cn/n1/2026/1003/c1008-40809151.html": {file: "labelled/pages/029-people-finance-2024.html", contentType: "text/html"},
			"http://finance.people.com.cn/n1/2026/1003/c1004-40809131.html": {file: "labelled/pages/040-people-health-2024.html", contentType: "text/html"},
			"http://edu.people.com.cn/n1/2026/1003/c1006-40809162.html":     {file: "derived-gbk/people-culture-2019-06-15.gbk.html", contentType: "text/html"},
		},
		documented: `#rm_bq ul.blist1 > li > a[href*="/n1/"], #rm_bq ul.blist1 > li > a[href*="/n2/"]`,
		listed:     18,
		first: []string{
			"http://society.people.com.cn/n1/2026/1003/c1008-40809151.html",
			"http://finance.people.com.cn/n1/2026/1003/c1004-40809131.html",
			"http://edu.people.com.cn/n1/2026/1003/c1006-40809162.html",
		},
		articles: []shippedArticle{
			{"http://society.people.com.cn/n1/2026/1003/c1008-40809151.html", "在新时代中部地区崛起中争先出彩（推动高质量发展·权威发布）", "2024-05-10 06:58", "人民网－人民日报"},
			{"http://finance.people.com.cn/n1/2026/1003/c1004-40809131.html", "关注青少年心理健康“心成长”服务项目启动", "2024-05-17 08:59", "北京青年报"},
			{"http://edu.people.com.cn/n1/2026/1003/c1006-40809162.html", "女儿出嫁，郑板桥画了几笔兰花当嫁妆", "2019-06-15 08:18", "人民网-文化频道"},
		},
	},
	"people-politics": {
		pages: map[string]saved{
			"http://www.people.cn/sitemap/cn/politics/news_sitemap.xml": {body: peopleNews(
				"http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html",
				"http://politics.people.com.cn/GB/1024/index.html",
				"http://politics.people.com.cn/n1/2024/0423/c1001-40222000.html",
			), contentType: "text/xml"},
			// people.com.cn serves GBK: the saved page re-encoded as it was sent.
			"http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html": {file: "derived-gbk/people-politics-2024-04-24.gbk.html", contentType: "text/html; charset=GB2312"},
		},
		listed: 2,
		first:  []string{"http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html", "http://politics.people.com.cn/n1/2024/0423/c1001-40222000.html"},
		articles: []shippedArticle{
			{"http://politics.people.com.cn/n1/2024/0424/c1001-40223222.html", "促进航天技术更好惠及人民――习近平主席向首届“中国－拉美和加勒比国家航天合作论坛”致贺信为中拉深化航天合作指明方向", "2024-04-24 23:52", "新华网"},
		},
	},
	"people-finance": {
		pages: map[string]saved{
			"http://www.people.cn/sitemap/cn/finance/news_sitemap.xml": {body: peopleNews(
				"http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html",
				"http://finance.people.com.cn/GB/70846/index.html",
			), contentType: "text/xml"},
			"http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html": {file: "labelled/pages/029-people-finance-2024.html", contentType: "text/html"},
		},
		listed: 1,
		first:  []string{"http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html"},
		articles: []shippedArticle{
			{"http://finance.people.com.cn/n1/2024/0510/c1004-40232587.html", "在新时代中部地区崛起中争先出彩（推动高质量发展·权威发布）", "2024-05-10 06:58", "人民网－人民日报"},
		},
	},
	"xinhua-military": {
		pages: map[string]saved{
			"https://www.news.cn/milpro/": {file: "listings/newscn-milpro.html", contentType: "text/html; charset=utf-8"},
			"https://www.news.cn/milpro/20260915/0074c446a6e3424497388305302fd433/c.html": {file: "listings/newscn-milpro-article-1.html", contentType: "text/html; charset=utf-8"},
			"https://www.news.cn/milpro/20260915/5f6458f153d94e58a2e0d22264e5252e/c.html": {file: "listings/newscn-milpro-article-2.html", contentType: "text/html; charset=utf-8"},
		},
		documented: "ul.army_list li div.tit a",
		listed:     64,
		first: []string{
			"https://www.news.cn/milpro/20260916/3ec5b38c7d534c21b5e3ac10387f22cb/c.html",
			"https://www.news.cn/milpro/20260916/6e6186266aea40be9cebd6bf64f0fbc6/c.html",
			"https://www.news.cn/milpro/20260916/170a65df5508406781dfa702c380d0fe/c.html",
		},
		articles: []shippedArticle{
			{"https://www.news.cn/milpro/20260915/0074c446a6e3424497388305302fd433/c.html", "日本一架“全球鹰”无人侦察机失联", "2026-09-15", "新华网"},
			{"https://www.news.cn/milpro/20260915/5f6458f153d94e58a2e0d22264e5252e/c.html", "伊朗称在霍尔木兹海峡以西击毁一架MQ-1无人机", "2026-09-15 14:28", "新华网"},
		},
	},
	"ndrc-orders": {
		pages: map[string]saved{
			"https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/":                              {file: "listings/gov-ndrc-fzggwl.html", contentType: "text/html; charset=utf-8"},
			"https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/202604/t20260409_1404577.html": {file: "listings/gov-ndrc-fzggwl-article-1.html", contentType: "text/html; charset=utf-8"},
			"https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/202602/t20260211_1403694.html": {file: "listings/gov-ndrc-fzggwl-article-2.html", contentType: "text/html; charset=utf-8"},
		},
		documented: "div.list > ul.u-list > li > a",
		listed:     25,
		first: []string{
			"https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/202604/t20260409_1404577.html",
			"https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/202602/t20260211_1403694.html",
			"https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/202601/t20260123_1403413.html",
		},
		articles: []shippedArticle{
			{"https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/202604/t20260409_1404577.html", "《电力重大事故隐患判定标准及治理监督管理规定》 2026年第41号令", "2026-04-09 09:39", "国家能源局"},
			{"https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/202602/t20260211_1403694.html", "《粮食流通行政执法办法》 2026年第40号令", "2026-02-11 14:57", "国家粮食和物资储备局"},
		},
	},
	"sasac-policies": {
		pages: map[string]saved{
			"http://www.sasac.gov.cn/n2588035/n2588320/n2588335/index.html":             {file: "listings/gov-sasac-zcfb.html", contentType: "text/html; charset=utf-8"},
			"http://www.sasac.gov.cn/n2588035/n2588320/n2588335/c33689673/content.html": {file: "listings/gov-sasac-zcfb-article-1.html", contentType: "text/html; charset=utf-8"},
			"http://www.sasac.gov.cn/n2588035/n2588320/n2588335/c32377016/content.html": {file: "listings/gov-sasac-zcfb-article-2.html", contentType: "text/html; charset=utf-8"},
		},
		documented: "div.zsy_conlist li > a",
		listed:     30,
		first: []string{
			"http://www.sasac.gov.cn/n2588035/n2588320/n2588335/c35128064/content.html",
			"http://www.sasac.gov.cn/n2588035/n2588320/n2588335/c34873055/content.html",
			"http://www.sasac.gov.cn/n2588035/n2588320/n2588335/c33689673/content.html",
		},
		articles: []shippedArticle{
			// The 来源 of SASAC's pages is the department that wrote it.
			{"http://www.sasac.gov.cn/n2588035/n2588320/n2588335/c33689673/content.html", "中央企业发展规划管理办法", "2025-06-06", "规划局"},
			{"http://www.sasac.gov.cn/n2588035/n2588320/n2588335/c32377016/content.html", "关于改进和加强中央企业控股上市公司市值管理工作的若干意见", "2024-12-17", "产权局"},
		},
	},
}

// corpusTransport answers every request from pages.
type corpusTransport struct {
	t     *testing.T
	root  string
	pages map[string]saved
}

func (c *corpusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	p, ok := c.pages[req.URL.String()]
	switch {
	case !ok:
		http.NotFound(rec, req)
	case p.file == "":
		rec.Header().Set("Content-Type", p.contentType)
		rec.WriteString(p.body)
	default:
		b, err := os.ReadFile(filepath.Join(c.root, p.file))
		if err != nil {
			c.t.Error(err)
			http.Error(rec, err.Error(), http.StatusInternalServerError)
			break
		}
		rec.Header().Set("Content-Type", p.contentType)
		rec.Write(b)
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// TestShippedSources reads each html and sitemap source of the shipped
// config.toml from saved pages of its site: its listing selector picks
// exactly the listing's article links, and its saved articles read with
// title, date and credit. Every such source must have a case here.
func TestShippedSources(t *testing.T) {
	root := testenv.Corpora(t, "cn-html")
	cfg, err := loadConfig(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := time.LoadLocation("Asia/Shanghai")
	tested := 0
	for _, src := range cfg.Sources {
		if src.Kind == hub.KindFeed {
			continue
		}
		tc, ok := shippedCases[src.ID]
		if !ok {
			t.Errorf("source %s (kind %s) has no test against saved pages of its site", src.ID, src.Kind)
			continue
		}
		tested++
		t.Run(src.ID, func(t *testing.T) {
			if _, ok := tc.pages[src.URL]; !ok {
				t.Fatalf("no saved page for the source's url %s", src.URL)
			}
			if tc.documented != "" {
				checkSelector(t, root, tc, src)
			}
			tr := &corpusTransport{t: t, root: root, pages: tc.pages}
			f := sources.New(sources.Options{Client: sources.NewClient(sources.ClientOptions{Transport: tr})})
			rules := *src.HTML
			rules.Delay = 0 // the configured politeness, without the waiting
			src.HTML = &rules
			res, err := f.Fetch(t.Context(), src, hub.FetchState{SourceID: src.ID})
			if err != nil {
				t.Fatal(err)
			}
			if res.Listed != tc.listed {
				t.Errorf("listed %d article links, want %d", res.Listed, tc.listed)
			}
			var got []string
			for _, it := range res.Items {
				got = append(got, it.URL)
			}
			// Every listed article was tried, in order; those not saved failed.
			if len(res.Items)+len(res.Skipped) != min(tc.listed, rules.MaxArticles) {
				t.Errorf("%d items and %d skipped, want the first %d articles tried", len(res.Items), len(res.Skipped), min(tc.listed, rules.MaxArticles))
			}
			for _, want := range tc.articles {
				i := slices.Index(got, want.url)
				if i < 0 {
					t.Errorf("article %s not read (items %q, skipped %v)", want.url, got, res.Skipped)
					continue
				}
				it := res.Items[i]
				date := it.Published.In(sh).Format("2006-01-02 15:04")
				if len(want.date) == len("2006-01-02") {
					date = date[:len(want.date)]
				}
				if it.Title != want.title || date != want.date || it.Credit != want.credit {
					t.Errorf("article %s read as %q, %s, credit %q; want %q, %s, %q", want.url, it.Title, date, it.Credit, want.title, want.date, want.credit)
				}
				if it.Via != src.Name && it.Credit != src.Name || it.Copyright == "" || it.Content == "" {
					t.Errorf("article %s: via %q, copyright %q, %d bytes of content", want.url, it.Via, it.Copyright, len(it.Content))
				}
				t.Logf("%s | %s | credit %s | author %q | editor %q", it.Title, date, it.Credit, it.Author, it.Editor)
			}
			firsts := firstTried(tc, res)
			if !slices.Equal(firsts, tc.first) {
				t.Errorf("first articles tried = %q, want %q", firsts, tc.first)
			}
		})
	}
	if tested < 4 {
		t.Errorf("%d html and sitemap sources tested, want the shipped config to follow live pages with at least 4", tested)
	}
}

// firstTried returns the URLs of the articles a fetch tried first, read or
// skipped, in listing order (as many as tc.first has).
func firstTried(tc shippedCase, res hub.FetchResult) []string {
	var out []string
	items := map[string]bool{}
	for _, it := range res.Items {
		items[it.URL] = true
	}
	var tried []string
	for _, it := range res.Items {
		tried = append(tried, it.URL)
	}
	for _, err := range res.Skipped {
		for _, f := range strings.Fields(err.Error()) {
			if strings.HasPrefix(f, "http") {
				tried = append(tried, strings.TrimSuffix(f, ":"))
				break
			}
		}
	}
	// Listing order is the order of tc's pages' links: sort tried by it.
	for _, u := range tc.first {
		if slices.Contains(tried, u) {
			out = append(out, u)
		}
	}
	return out
}

// checkSelector compares what the source's links selector picks on its
// saved listing with what the corpus notes' selector picks.
func checkSelector(t *testing.T, root string, tc shippedCase, src hub.Source) {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, tc.pages[src.URL].file))
	if err != nil {
		t.Fatal(err)
	}
	page, err := sources.DecodeHTML(raw, tc.pages[src.URL].contentType, "")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse(src.URL)
	picks := func(sel string) []string {
		var out []string
		doc.Find(sel).Each(func(_ int, s *goquery.Selection) {
			if !s.Is("a[href]") {
				s = s.Find("a[href]")
			}
			s.Each(func(_ int, a *goquery.Selection) {
				if u, err := base.Parse(strings.TrimSpace(a.AttrOr("href", ""))); err == nil && !slices.Contains(out, u.String()) {
					out = append(out, u.String())
				}
			})
		})
		return out
	}
	got, want := picks(src.HTML.Links), picks(tc.documented)
	if !slices.Equal(got, want) || len(got) != tc.listed {
		t.Errorf("links %q picks %d links, want the %d of %q (%d listed)", src.HTML.Links, len(got), len(want), tc.documented, tc.listed)
	}
}

// TestShippedConfigCheck: yizhan check passes on the shipped config.toml,
// without warnings.
func TestShippedConfigCheck(t *testing.T) {
	code, out, errOut := runCmd(t, nil, "check", "-config", filepath.Join("..", "..", "config.toml"))
	if code != exitOK || !strings.Contains(out, ": ok (") || errOut != "" {
		t.Errorf("check = %d, stdout %q, stderr %q; want 0, ok and nothing else", code, out, errOut)
	}
}
