package sources

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"

	"github.com/yizhan-hub/yizhan/hub"
)

const pagedArticle = "/n1/2019/0615/c1013-31234567.html"

// pagedSite is an httptest upstream with a one-link listing at /list.html
// and the pages its paths name: fixtures under testdata/html, status codes,
// or generated pages.
type pagedSite struct {
	srv   *httptest.Server
	pages map[string]string // path: fixture file
	codes map[string]int    // path: status to answer with
	gen   func(path string) (string, bool)
	list  string // the listing's HTML, if not the one-link default

	mu  sync.Mutex
	log []request
}

func newPagedSite(t *testing.T) *pagedSite {
	t.Helper()
	s := &pagedSite{
		pages: map[string]string{
			pagedArticle:                          "people_paged_article.html",
			"/n1/2019/0615/c1013-31234567-2.html": "people_paged_article_2.html",
			"/n1/2019/0615/c1013-31234567-3.html": "people_paged_article_3.html",
		},
		codes: map[string]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := request{path: r.URL.Path, start: time.Now()}
		defer func() {
			rq.end = time.Now()
			s.mu.Lock()
			s.log = append(s.log, rq)
			s.mu.Unlock()
		}()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if code := s.codes[r.URL.Path]; code != 0 {
			http.Error(w, "boom", code)
			return
		}
		if r.URL.Path == "/list.html" && s.list != "" {
			io.WriteString(w, s.list)
			return
		}
		if r.URL.Path == "/list.html" {
			fmt.Fprintf(w, `<html><body><ul class="list"><li><a href="%s">古代家训里的处世之道</a></li></ul></body></html>`, pagedArticle)
			return
		}
		if s.gen != nil {
			if page, ok := s.gen(r.URL.Path); ok {
				w.Write([]byte(page))
				return
			}
		}
		file, ok := s.pages[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", "html", file))
		if err != nil {
			t.Error(err)
		}
		w.Write(b)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *pagedSite) requests() []request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.log
	s.log = nil
	return out
}

func (s *pagedSite) fetch(t *testing.T, delay time.Duration) hub.FetchResult {
	t.Helper()
	res, err := s.try(t, delay)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 {
		t.Fatalf("%d items, want 1", len(res.Items))
	}
	return res
}

// try fetches the site's listing as an HTML source would.
func (s *pagedSite) try(t *testing.T, delay time.Duration) (hub.FetchResult, error) {
	src := hub.Source{ID: "culture-html", Name: "示例网", Kind: hub.KindHTML, URL: s.srv.URL + "/list.html",
		Timezone: shanghaiZone(t), HTML: &hub.HTMLRules{Links: "ul.list a", Delay: delay}}
	return New(Options{}).Fetch(t.Context(), src, hub.FetchState{SourceID: src.ID})
}

func TestFetchHTMLContinuationPages(t *testing.T) {
	const (
		p1 = "第一页正文"
		p2 = "第二页正文"
		p3 = "第三页正文"
	)
	p2path, p3path := "/n1/2019/0615/c1013-31234567-2.html", "/n1/2019/0615/c1013-31234567-3.html"
	tests := []struct {
		name    string
		codes   map[string]int
		want    []string // paths requested after the listing
		content []string // page texts in the content, in order
		skipped string   // what the one skipped error names, if any
		stored  bool     // whether the article is stored (else it is read again next run)
	}{
		{"all pages", nil, []string{pagedArticle, p2path, p3path}, []string{p1, p2, p3}, "", true},
		{"last page gone", map[string]int{p3path: 404}, []string{pagedArticle, p2path, p3path}, []string{p1, p2}, "c1013-31234567.html page 3", true},
		{"second page gone", map[string]int{p2path: 410}, []string{pagedArticle, p2path}, []string{p1}, "c1013-31234567.html page 2", true},
		{"last page fails for now", map[string]int{p3path: 503}, []string{pagedArticle, p2path, p3path}, nil, "c1013-31234567.html page 3", false},
		{"second page rate-limited", map[string]int{p2path: 429}, []string{pagedArticle, p2path}, nil, "c1013-31234567.html page 2", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newPagedSite(t)
			s.codes = tt.codes
			const delay = 20 * time.Millisecond
			res, err := s.try(t, delay)
			rs := s.requests()
			if got := paths(rs[1:]); !slices.Equal(got, tt.want) {
				t.Errorf("requests = %q, want %q", got, tt.want)
			}
			for i := 1; i < len(rs); i++ {
				if gap := rs[i].start.Sub(rs[i-1].end); gap < delay-5*time.Millisecond {
					t.Errorf("request %d (%s) started %v after the previous one ended, want at least %v", i, rs[i].path, gap, delay)
				}
			}

			if !tt.stored {
				// The listing's only new article is not stored: the fetch
				// fails, so that the runner tries it again.
				if err == nil || !strings.Contains(err.Error(), tt.skipped) {
					t.Errorf("fetch = %d items, error %v; want an error naming %q", len(res.Items), err, tt.skipped)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case tt.skipped == "" && len(res.Skipped) > 0:
				t.Errorf("skipped %v, want none", res.Skipped)
			case tt.skipped != "" && (len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Error(), tt.skipped)):
				t.Errorf("skipped %v, want one naming %q", res.Skipped, tt.skipped)
			}
			if len(res.Items) != 1 {
				t.Fatalf("%d items, want 1", len(res.Items))
			}
			it := res.Items[0]
			text := PlainText(it.Content)
			at := -1
			for _, p := range []string{p1, p2, p3} {
				i := strings.Index(text, p)
				if want := slices.Contains(tt.content, p); (i >= 0) != want {
					t.Errorf("content has %q: %v, want %v", p, i >= 0, want)
				}
				if i >= 0 && i < at {
					t.Errorf("content has %q before the page ahead of it", p)
				}
				at = max(at, i)
			}
			for _, pager := range []string{"【1】", "【2】", "下一页"} {
				if strings.Contains(text, pager) {
					t.Errorf("content keeps the pager's %q", pager)
				}
			}
			if it.Title != "古代家训里的处世之道" || it.Credit != "人民日报海外版" ||
				!it.Published.Equal(time.Date(2019, 6, 15, 8, 22, 0, 0, shanghaiZone(t))) {
				t.Errorf("Title, Credit, Published = %q, %q, %v; want page 1's", it.Title, it.Credit, it.Published)
			}
			if it.URL != s.srv.URL+pagedArticle {
				t.Errorf("URL = %q, want page 1's", it.URL)
			}
		})
	}
}

// An article whose every page links ten more is read from ten pages.
func TestFetchHTMLContinuationCap(t *testing.T) {
	s := newPagedSite(t)
	s.gen = func(p string) (string, bool) {
		stem := strings.TrimSuffix(pagedArticle, ".html")
		if p != pagedArticle && !strings.HasPrefix(p, stem+"-") {
			return "", false
		}
		var b strings.Builder
		fmt.Fprintf(&b, `<html><head><title>长文--示例网</title></head><body><h1>长文</h1><div class="text"><p>本页正文，页面地址是 %s ，内容足够长，带有标点。</p><p>第二段，也有标点，用来凑足长度。</p></div><div class="pager">`, p)
		for n := 2; n <= 30; n++ {
			fmt.Fprintf(&b, `<a href="%s-%d.html">【%d】</a>`, stem, n, n)
		}
		b.WriteString(`</div></body></html>`)
		return b.String(), true
	}
	res := s.fetch(t, time.Millisecond)
	got := paths(s.requests()[1:])
	if len(got) != maxArticlePages {
		t.Errorf("%d article requests, want %d: %q", len(got), maxArticlePages, got)
	}
	seen := map[string]bool{}
	for _, p := range got {
		if seen[p] {
			t.Errorf("%s requested twice", p)
		}
		seen[p] = true
	}
	if n := strings.Count(res.Items[0].Content, "本页正文"); n != maxArticlePages {
		t.Errorf("content holds %d pages, want %d", n, maxArticlePages)
	}
}

func TestContinuationOf(t *testing.T) {
	tests := []struct {
		article, link string
		n             int // 0: not a continuation
	}{
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0615/c1013-31153719-2.html", 2},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://CULTURE.people.com.cn/n1/2019/0615/c1013-31153719-12.html?from=pager", 12},
		{"http://www.example.gov.cn/art/2020/4/1/t20200401_123.html", "http://www.example.gov.cn/art/2020/4/1/t20200401_123_2.html", 2},
		{"http://www.example.gov.cn/zwgk/tzgg/index.html", "http://www.example.gov.cn/zwgk/tzgg/index_1.html", 1},
		{"http://www.example.gov.cn/zwgk/tzgg/", "http://www.example.gov.cn/zwgk/tzgg/index_3.shtml", 3},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0615/c1013-31153720.html", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-3.html", "http://culture.people.com.cn/n1/2019/0615/c1013-32.html", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0614/c1013-31153719-2.html", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://www.people.com.cn/n1/2019/0615/c1013-31153719-2.html", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0615/c1013-31153719-2.shtml", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0615/c1013-31153719-0.html", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0615/c1013-31153719-02.html", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0615/c1013-31153719-2x.html", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0615/c1013-31153719-1234.html", 0},
		{"http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html", "http://culture.people.com.cn/n1/2019/0615/c1013-31153719-+2.html", 0},
	}
	for _, tt := range tests {
		a, _ := url.Parse(tt.article)
		u, _ := url.Parse(tt.link)
		n, ok := continuationOf(a, u)
		if ok != (tt.n > 0) || n != tt.n {
			t.Errorf("continuationOf(%s, %s) = %d, %v; want %d", tt.article, tt.link, n, ok, tt.n)
		}
	}
}

// The pager of a real People's Daily article, page 1 of 4.
func TestContinuationLinksCorpus(t *testing.T) {
	path := filepath.Join(corpora(t), "cn-html", "gne", "people.com.cn-culture-2019-06-15.html")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := goquery.NewDocumentFromReader(f)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := url.Parse("http://culture.people.com.cn/n1/2019/0615/c1013-31153719.html")
	var got []string
	for _, c := range continuationLinks(doc, page, page) {
		got = append(got, c.url)
	}
	want := []string{
		"http://culture.people.com.cn/n1/2019/0615/c1013-31153719-2.html",
		"http://culture.people.com.cn/n1/2019/0615/c1013-31153719-3.html",
		"http://culture.people.com.cn/n1/2019/0615/c1013-31153719-4.html",
	}
	if !slices.Equal(got, want) {
		t.Errorf("continuation links = %q, want %q", got, want)
	}
}

// A last page with a line of text beside a sidebar of headlines is still a
// page of the article: it was reached from the article's own pager, so it is
// not judged as a listing (ErrListing), which would end the article before it.
func TestFetchHTMLShortLastPage(t *testing.T) {
	const last = "第三页：全文完。"
	s := newPagedSite(t)
	s.gen = func(p string) (string, bool) {
		if p != "/n1/2019/0615/c1013-31234567-3.html" {
			return "", false
		}
		var b strings.Builder
		b.WriteString(`<html><head><title>古代家训里的处世之道(3)--文化--示例网</title></head><body>
<h1>古代家训里的处世之道(3)</h1><div class="rm_txt_con"><p>` + last + `</p>
<div class="zdfy"><a href="/n1/2019/0615/c1013-31234567.html">【1】</a><a href="/n1/2019/0615/c1013-31234567-2.html">【2】</a></div></div>
<div class="col-2"><h2>相关新闻</h2><ul>`)
		for i := range 12 {
			fmt.Fprintf(&b, `<li><a href="/n1/2019/0615/c1013-3130%04d.html">第%d条相关新闻的标题写在这里</a></li>`, i, i)
		}
		b.WriteString(`</ul></div></body></html>`)
		return b.String(), true
	}
	res := s.fetch(t, time.Millisecond)
	if len(res.Skipped) > 0 {
		t.Errorf("skipped %v, want none", res.Skipped)
	}
	if text := PlainText(res.Items[0].Content); !strings.Contains(text, last) {
		t.Errorf("content lacks the last page's %q:\n%s", last, text)
	}
}

// A pager that links a page twice, once with a tracking parameter, gets
// that page read once: links are told apart by their page number, not their
// query, as continuationOf compares them.
func TestFetchHTMLContinuationQueryVariants(t *testing.T) {
	s := newPagedSite(t)
	raw, err := os.ReadFile(filepath.Join("testdata", "html", "people_paged_article.html"))
	if err != nil {
		t.Fatal(err)
	}
	s.gen = func(p string) (string, bool) {
		if p != pagedArticle {
			return "", false
		}
		return strings.Replace(string(raw), `<center><a href="/n1/2019/0615/c1013-31234567-2.html">`,
			`<center><a href="/n1/2019/0615/c1013-31234567-2.html?from=next">`, 1), true
	}
	res := s.fetch(t, time.Millisecond)
	want := []string{pagedArticle, "/n1/2019/0615/c1013-31234567-2.html", "/n1/2019/0615/c1013-31234567-3.html"}
	if got := paths(s.requests()[1:]); !slices.Equal(got, want) {
		t.Errorf("requests = %q, want %q", got, want)
	}
	if n := strings.Count(PlainText(res.Items[0].Content), "第二页正文"); n != 1 {
		t.Errorf("content holds page 2 %d times, want once", n)
	}
}

// continuationLinks keeps one link per page number, however many variants
// of it a page holds.
func TestContinuationLinksOnePerPage(t *testing.T) {
	var b strings.Builder
	b.WriteString(`<html><body>`)
	for i := range 5000 {
		fmt.Fprintf(&b, `<a href="/a/c1-1-%d.html?v=%d">%d</a>`, 2+i%3, i, i)
	}
	b.WriteString(`</body></html>`)
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	page, _ := url.Parse("http://www.example.cn/a/c1-1.html")
	var got []int
	for _, c := range continuationLinks(doc, page, page) {
		got = append(got, c.n)
	}
	if want := []int{2, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("continuation page numbers = %v, want %v", got, want)
	}
}

func TestPassing(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"network", &net.OpError{Op: "dial", Err: errors.New("connection refused")}, true},
		{"timeout", context.DeadlineExceeded, true},
		{"408", &StatusError{Code: 408}, true},
		{"429", &StatusError{Code: 429}, true},
		{"500", &StatusError{Code: 500}, true},
		{"503 wrapped", fmt.Errorf("get: %w", &StatusError{Code: 503}), true},
		{"404", &StatusError{Code: 404}, false},
		{"410", &StatusError{Code: 410}, false},
		{"403", &StatusError{Code: 403}, false},
		{"too large", fmt.Errorf("x: %w", ErrTooLarge), false},
		{"redirect loop", ErrTooManyRedirects, false},
	} {
		if got := passing(tt.err); got != tt.want {
			t.Errorf("passing(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A short notice beside a portal's sidebars of headlines is an article when
// the source's links selector led to it, though ExtractArticle alone would
// take the page for a listing.
func TestFetchHTMLShortNoticeBesideSidebars(t *testing.T) {
	var page strings.Builder
	page.WriteString(`<html><head><title>关于元旦放假安排的通知_市人民政府</title></head><body>
<h1>关于元旦放假安排的通知</h1><div class="info">发布时间：2026-11-20 09:30 来源：市人民政府办公室</div>
<div class="content"><p>经研究决定，元旦放假一天，详见附件。</p></div><ul class="side">`)
	for i := range 40 {
		fmt.Fprintf(&page, `<li><a href="/n1/2026/1120/c%d.html">市政府召开第%d次常务会议研究部署重点工作</a></li>`, 1000+i, i+1)
	}
	page.WriteString(`</ul></body></html>`)

	u, _ := url.Parse("http://www.example.gov.cn" + pagedArticle)
	if _, err := ExtractArticle([]byte(page.String()), u, nil, shanghaiZone(t)); !errors.Is(err, ErrListing) {
		t.Fatalf("ExtractArticle = %v, want ErrListing: the page no longer tests what this test is about", err)
	}
	s := newPagedSite(t)
	s.gen = func(p string) (string, bool) { return page.String(), p == pagedArticle }
	res := s.fetch(t, 0)
	if it := res.Items[0]; !strings.Contains(PlainText(it.Content), "元旦放假一天") || it.Title != "关于元旦放假安排的通知" {
		t.Errorf("stored %q: %q, want the notice", it.Title, PlainText(it.Content))
	}
	if len(res.Skipped) > 0 {
		t.Errorf("skipped %v, want none", res.Skipped)
	}
}

// A pager whose page 1 link is the article under another name (…-1.html)
// does not repeat the article's text.
func TestFetchHTMLPageOneCopy(t *testing.T) {
	stem := strings.TrimSuffix(pagedArticle, ".html")
	page := func(text string) string {
		return `<html><head><title>长文--示例网</title></head><body><h1>长文</h1>
<div class="text"><p>` + text + `</p><p>第二段，也有标点，用来凑足长度，写得长一些。</p></div>
<div class="pager"><a href="` + stem + `-1.html">【1】</a><a href="` + stem + `-2.html">【2】</a></div></body></html>`
	}
	s := newPagedSite(t)
	s.gen = func(p string) (string, bool) {
		switch p {
		case pagedArticle, stem + "-1.html":
			return page("第一页的正文，只应出现一次。"), true
		case stem + "-2.html":
			return page("第二页的正文。"), true
		}
		return "", false
	}
	res := s.fetch(t, 0)
	text := PlainText(res.Items[0].Content)
	if n := strings.Count(text, "第一页的正文"); n != 1 {
		t.Errorf("page 1's text %d times in %q, want once", n, text)
	}
	if !strings.Contains(text, "第二页的正文") {
		t.Errorf("page 2 missing from %q", text)
	}
}

// A listing that links an article's page 2 beside its page 1 yields one
// article, read from page 1 on.
func TestFetchHTMLListingLinksPageTwo(t *testing.T) {
	s := newPagedSite(t)
	stem := strings.TrimSuffix(pagedArticle, ".html")
	s.list = `<html><body><ul class="list">
<li><a href="` + pagedArticle + `">古代家训里的处世之道</a></li>
<li><a href="` + stem + `-2.html">古代家训里的处世之道（二）</a></li>
</ul></body></html>`
	res := s.fetch(t, 0)
	if got := paths(s.requests()[1:]); !slices.Equal(got, []string{pagedArticle, stem + "-2.html", stem + "-3.html"}) {
		t.Errorf("requests = %q, want page 1, 2 and 3 once each", got)
	}
	if res.Listed != 1 {
		t.Errorf("Listed = %d, want 1", res.Listed)
	}
}

func TestDropContinuations(t *testing.T) {
	for _, tt := range []struct {
		links, want []string
	}{
		{[]string{"http://a.cn/n1/c1-31.html", "http://a.cn/n1/c1-31-2.html", "http://a.cn/n1/c1-31-3.html"}, []string{"http://a.cn/n1/c1-31.html"}},
		{[]string{"http://a.cn/n1/c1-31-2.html"}, []string{"http://a.cn/n1/c1-31-2.html"}}, // page 1 not listed
		{[]string{"http://a.cn/x/t2020_5.html", "http://a.cn/x/t2020_5_1.html"}, []string{"http://a.cn/x/t2020_5.html"}},
		{[]string{"http://a.cn/x/", "http://a.cn/x/index_1.html"}, []string{"http://a.cn/x/"}},
		{[]string{"http://a.cn/x/c1-31.html", "http://b.cn/x/c1-31-2.html"}, []string{"http://a.cn/x/c1-31.html", "http://b.cn/x/c1-31-2.html"}},                                                                     // other host
		{[]string{"http://a.cn/x/c1-31.html", "http://a.cn/y/c1-31-2.html"}, []string{"http://a.cn/x/c1-31.html", "http://a.cn/y/c1-31-2.html"}},                                                                     // other directory
		{[]string{"http://a.cn/x/c1-31.html", "http://a.cn/x/c1-31-ab.html", "http://a.cn/x/c1-31-2024.html"}, []string{"http://a.cn/x/c1-31.html", "http://a.cn/x/c1-31-ab.html", "http://a.cn/x/c1-31-2024.html"}}, // not a page number
	} {
		if got := dropContinuations(tt.links); !slices.Equal(got, tt.want) {
			t.Errorf("dropContinuations(%q) = %q, want %q", tt.links, got, tt.want)
		}
	}
}
