package sources

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
)

func asiaShanghai(tb testing.TB) *time.Location {
	tb.Helper()
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		tb.Fatal(err)
	}
	return loc
}

func readFixture(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func testSource(tb testing.TB, url string) hub.Source {
	tb.Helper()
	return hub.Source{
		ID:          "people-politics",
		Name:        "人民网 · 时政",
		Kind:        hub.KindFeed,
		URL:         url,
		Attribution: "人民日报",
		Copyright:   "来源版权声明",
		Timezone:    asiaShanghai(tb),
	}
}

// serveFixture starts an upstream serving one fixture with a Content-Type.
func serveFixture(tb testing.TB, name, contentType string) *httptest.Server {
	tb.Helper()
	body := readFixture(tb, name)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if contentType != "" {
			w.Header().Set("Content-Type", contentType)
		}
		w.Write(body)
	}))
	tb.Cleanup(srv.Close)
	return srv
}

// checkClean fails on text that is not valid UTF-8, holds U+FFFD or a
// character XML forbids.
func checkClean(tb testing.TB, field, s string) {
	tb.Helper()
	switch {
	case !utf8.ValidString(s):
		tb.Errorf("%s = %q: invalid UTF-8", field, s)
	case strings.ContainsRune(s, utf8.RuneError):
		tb.Errorf("%s = %q: contains U+FFFD", field, s)
	case strings.IndexFunc(s, forbidden) >= 0:
		tb.Errorf("%s = %q: contains a character XML forbids", field, s)
	}
}

// checkItemText fails tb for each text field of it that is not valid UTF-8
// or holds a character XML forbids; what names the item's origin.
func checkItemText(tb testing.TB, what string, it hub.Item) {
	tb.Helper()
	for field, s := range map[string]string{"Title": it.Title, "Content": it.Content, "Summary": it.Summary, "URL": it.URL,
		"Key": it.Key, "Credit": it.Credit, "Author": it.Author, "Copyright": it.Copyright} {
		if !utf8.ValidString(s) || strings.IndexFunc(s, forbidden) >= 0 {
			tb.Errorf("%s: %s = %.60q: invalid UTF-8 or a character XML forbids", what, field, s)
		}
	}
}

func TestFetchFeed(t *testing.T) {
	sh := asiaShanghai(t)
	at := func(y, mo, d, h, mi int) time.Time { return time.Date(y, time.Month(mo), d, h, mi, 0, 0, sh) }
	tests := []struct {
		fixture     string
		contentType string
		encoding    string // the source's override
		titles      []string
		check       func(t *testing.T, items []hub.Item, base string)
	}{
		{
			fixture:     "gb2312_prolog_only.xml",
			contentType: "text/xml",
			titles:      []string{"习近平主持召开中央全面深化改革委员会会议", "国务院常务会议部署稳就业举措"},
			check: func(t *testing.T, items []hub.Item, _ string) {
				if got, want := items[0].Key, "31679000"; got != want {
					t.Errorf("Key = %q, want %q (the guid)", got, want)
				}
				if got, want := items[1].Key, "http://politics.people.com.cn/n1/2020/0420/c1024-31679001.html"; got != want {
					t.Errorf("Key = %q, want %q (the link)", got, want)
				}
				if got, want := items[0].Summary, "<p>新华社北京4月20日电 会议强调，要坚持以人民为中心。</p>"; got != want {
					t.Errorf("Summary = %q, want %q", got, want)
				}
				if !items[0].Published.Equal(at(2020, 4, 20, 8, 48)) {
					t.Errorf("Published = %v", items[0].Published)
				}
			},
		},
		{
			fixture:     "gbk_header_only.xml",
			contentType: "application/rss+xml; charset=GBK",
			titles:      []string{"朱镕基讲话实录出版发行"},
		},
		{
			fixture:     "gb_no_declaration.xml",
			contentType: "text/xml",
			titles:      []string{"没有声明的国标编码"},
		},
		{
			fixture:     "gbk_header_only.xml",
			contentType: "text/xml; charset=utf-8", // lies; the source's encoding wins
			encoding:    "gbk",
			titles:      []string{"朱镕基讲话实录出版发行"},
		},
		{
			fixture:     "utf8_bom.xml",
			contentType: "application/xml",
			titles:      []string{"带字节顺序标记的标题"},
		},
		{
			fixture:     "utf8_lying_gb2312_prolog.xml",
			contentType: "text/xml; charset=gb2312",
			titles:      []string{"声称GB2312实为UTF-8的标题"},
		},
		{
			fixture:     "gb18030_4byte_gbk_label.xml",
			contentType: "text/xml",
			titles:      []string{"𠮷野家开业 €5 优惠"},
		},
		{
			fixture:     "utf16le_bom.xml",
			contentType: "text/xml",
			titles:      []string{"UTF-16 标题"},
		},
		{
			fixture:     "rss_0_91.xml",
			contentType: "text/xml",
			titles:      []string{"Café news"},
		},
		{
			fixture:     "rss_1_0_rdf.xml",
			contentType: "application/rdf+xml",
			titles:      []string{"RSS 1.0 条目"},
			check: func(t *testing.T, items []hub.Item, _ string) {
				if got, want := items[0].Author, "赵六"; got != want {
					t.Errorf("Author = %q, want %q", got, want)
				}
				if !items[0].Published.Equal(at(2020, 4, 20, 8, 48)) {
					t.Errorf("Published = %v", items[0].Published)
				}
			},
		},
		{
			fixture:     "control_characters.xml",
			contentType: "text/xml",
			titles:      []string{"控制字符标题"},
		},
		{
			fixture:     "rss_cst_and_zoneless_dates.xml",
			contentType: "text/xml",
			titles:      []string{"CST", "zoneless", "chinese", "none"},
			check: func(t *testing.T, items []hub.Item, _ string) {
				want := at(2020, 4, 20, 8, 48) // 00:48 UTC
				for _, it := range items[:3] {
					if !it.Published.Equal(want) {
						t.Errorf("%s: Published = %v, want %v", it.Title, it.Published, want)
					}
				}
				if !items[3].Published.IsZero() {
					t.Errorf("no date: Published = %v, want zero (the store sets first-seen)", items[3].Published)
				}
			},
		},
		{
			fixture:     "rss_source_dc_creator_rights.xml",
			contentType: "application/rss+xml; charset=utf-8",
			titles:      []string{"评论：坚定不移走高质量发展之路", "新华社电", "无标识条目"},
			check: func(t *testing.T, items []hub.Item, base string) {
				want := hub.Attribution{
					Credit: "人民日报", CreditURL: "http://paper.people.com.cn/rmrb/", Via: "人民网 · 时政",
					Author: "李红军", Editor: "张编辑、王审", Copyright: "人民日报社版权所有，未经书面授权禁止使用",
				}
				if got := items[0].Attribution; got != want {
					t.Errorf("Attribution = %+v, want %+v", got, want)
				}
				want = hub.Attribution{Credit: "新华社", Via: "人民网 · 时政", Author: "王编辑", Copyright: "来源版权声明"}
				if got := items[1].Attribution; got != want {
					t.Errorf("Attribution = %+v, want %+v", got, want)
				}
				if got, want := items[1].URL, base+"/n1/2020/0420/c1003-2.html"; got != want {
					t.Errorf("URL = %q, want %q (resolved against the feed URL)", got, want)
				}
				if got, want := items[1].Summary, `<img src="`+base+`/img/2.jpg" alt="图"><a href="`+base+`/n1/2020/0420/c1003-3.html">相关</a>`; got != want {
					t.Errorf("Summary = %q, want %q", got, want)
				}
				if got, want := items[1].Image, base+"/img/2.jpg"; got != want {
					t.Errorf("Image = %q, want %q", got, want)
				}
				if k := items[2].Key; !strings.HasPrefix(k, "sha256:") {
					t.Errorf("Key = %q, want a content hash", k)
				}
				want = hub.Attribution{Credit: "人民日报", Via: "人民网 · 时政", Copyright: "来源版权声明"}
				if got := items[2].Attribution; got != want {
					t.Errorf("Attribution = %+v, want %+v", got, want)
				}
			},
		},
		{
			fixture:     "atom_xml_base_rights_hostile.xml",
			contentType: "application/atom+xml",
			titles:      []string{"深入学习 理论 & 实践", "第二篇"},
			check: func(t *testing.T, items []hub.Item, _ string) {
				it := items[0]
				if got, want := it.URL, "http://example.org/articles/2020/first.html"; got != want {
					t.Errorf("URL = %q, want %q (xml:base)", got, want)
				}
				if got, want := it.Key, "tag:example.org,2020:1"; got != want {
					t.Errorf("Key = %q, want %q", got, want)
				}
				want := hub.Attribution{Credit: "求是网", CreditURL: "http://www.qstheory.cn/", Via: "人民网 · 时政", Author: "张三", Copyright: "© 2020 求是杂志社"}
				if it.Attribution != want {
					t.Errorf("Attribution = %+v, want %+v", it.Attribution, want)
				}
				for _, bad := range []string{"script", "onerror", "onclick", "style", "javascript:", "data:", "iframe", "alert", "evil"} {
					if strings.Contains(it.Content, bad) {
						t.Errorf("Content = %q: %q survived", it.Content, bad)
					}
				}
				for _, good := range []string{`<img src="http://example.org/articles/pic.jpg"`, `<a href="http://example.org/articles/more.html">更多</a>`, "正文"} {
					if !strings.Contains(it.Content, good) {
						t.Errorf("Content = %q, want it to contain %q", it.Content, good)
					}
				}
				if !it.Published.Equal(at(2020, 4, 20, 8, 48)) || !it.Updated.Equal(at(2020, 4, 21, 8, 0)) {
					t.Errorf("Published, Updated = %v, %v", it.Published, it.Updated)
				}
				if got, want := items[1].Author, "频道编辑部"; got != want {
					t.Errorf("Author = %q, want the feed's author %q", got, want)
				}
				if got, want := items[1].Content, `<p>XHTML <a href="http://example.org/blog/x.html">链接</a></p>`; got != want {
					t.Errorf("Content = %q, want %q", got, want)
				}
			},
		},
		{
			fixture:     "jsonfeed_1_1.json",
			contentType: "application/feed+json",
			titles:      []string{"在新起点上推进改革", "纯文本"},
			check: func(t *testing.T, items []hub.Item, _ string) {
				it := items[0]
				if it.Key != "qs-2020-1" || it.URL != "http://www.qstheory.cn/2020/1.htm" {
					t.Errorf("Key, URL = %q, %q", it.Key, it.URL)
				}
				if got, want := it.Content, "<p>改革</p>"; got != want {
					t.Errorf("Content = %q, want %q", got, want)
				}
				if got, want := it.Summary, "<p>改革 &lt;摘要&gt; &amp; 展望</p>"; got != want {
					t.Errorf("Summary = %q, want %q", got, want)
				}
				if got, want := it.Author, "李四, 王五"; got != want {
					t.Errorf("Author = %q, want %q", got, want)
				}
				if got, want := it.CreditURL, "http://paper.people.com.cn/rmrb/2020/1.htm"; got != want {
					t.Errorf("CreditURL = %q, want %q (external_url)", got, want)
				}
				if got, want := strings.Join(it.Categories, ","), "改革,理论"; got != want {
					t.Errorf("Categories = %q, want %q", got, want)
				}
				if got, want := it.Image, "http://www.qstheory.cn/img/1.jpg"; got != want {
					t.Errorf("Image = %q, want %q", got, want)
				}
				if !it.Published.Equal(at(2020, 4, 20, 8, 48)) {
					t.Errorf("Published = %v", it.Published)
				}
				if got, want := items[1].Key, "42"; got != want {
					t.Errorf("Key = %q, want %q (a numeric id coerced)", got, want)
				}
				if got, want := items[1].Content, "<p>第一段 &lt;b&gt;不是标签&lt;/b&gt;</p><p>第二段</p>"; got != want {
					t.Errorf("Content = %q, want %q", got, want)
				}
				if got, want := items[1].Author, "求是编辑部"; got != want {
					t.Errorf("Author = %q, want the feed's %q", got, want)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+"/"+tt.contentType, func(t *testing.T) {
			srv := serveFixture(t, tt.fixture, tt.contentType)
			src := testSource(t, srv.URL+"/feed")
			src.Encoding = tt.encoding
			res, err := New(Options{}).Fetch(t.Context(), src, hub.FetchState{SourceID: src.ID})
			if err != nil {
				t.Fatal(err)
			}
			if res.NotModified || res.BodyHash == "" {
				t.Errorf("NotModified, BodyHash = %v, %q", res.NotModified, res.BodyHash)
			}
			var titles []string
			for _, it := range res.Items {
				titles = append(titles, it.Title)
				if it.SourceID != src.ID {
					t.Errorf("SourceID = %q, want %q", it.SourceID, src.ID)
				}
				if it.Key == "" {
					t.Errorf("%q: empty Key", it.Title)
				}
				for field, s := range map[string]string{"Title": it.Title, "Content": it.Content, "Summary": it.Summary, "Credit": it.Credit, "Author": it.Author, "Copyright": it.Copyright} {
					checkClean(t, field, s)
				}
			}
			if got, want := strings.Join(titles, "|"), strings.Join(tt.titles, "|"); got != want {
				t.Fatalf("titles = %q, want %q", got, want)
			}
			if tt.check != nil {
				tt.check(t, res.Items, srv.URL)
			}
		})
	}
}

func TestFetchFeedConditional(t *testing.T) {
	body := readFixture(t, "gb2312_prolog_only.xml")
	var got atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Store(r.Header.Clone())
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Last-Modified", "Mon, 20 Apr 2020 00:48:00 GMT")
		w.Write(body)
	}))
	defer srv.Close()
	f := New(Options{Client: NewClient(ClientOptions{UserAgent: "yizhan-test/1"})})
	src := testSource(t, srv.URL)

	res, err := f.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 2 || res.ETag != `"v1"` || res.LastModified != "Mon, 20 Apr 2020 00:48:00 GMT" {
		t.Fatalf("first fetch: %d items, ETag %q, Last-Modified %q", len(res.Items), res.ETag, res.LastModified)
	}
	h := got.Load().(http.Header)
	if ua := h.Get("User-Agent"); ua != "yizhan-test/1" {
		t.Errorf("User-Agent = %q, want %q", ua, "yizhan-test/1")
	}
	if h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != "" {
		t.Errorf("first fetch sent validators: %v", h)
	}

	prev := hub.FetchState{ETag: res.ETag, LastModified: res.LastModified, BodyHash: res.BodyHash}
	res2, err := f.Fetch(t.Context(), src, prev)
	if err != nil {
		t.Fatal(err)
	}
	h = got.Load().(http.Header)
	if h.Get("If-None-Match") != `"v1"` || h.Get("If-Modified-Since") != "Mon, 20 Apr 2020 00:48:00 GMT" {
		t.Errorf("conditional headers = %q, %q", h.Get("If-None-Match"), h.Get("If-Modified-Since"))
	}
	if !res2.NotModified || len(res2.Items) != 0 || res2.ETag != `"v1"` || res2.BodyHash != res.BodyHash {
		t.Errorf("304: %+v", res2)
	}

	// The same bytes again without validators: skipped by hash, not parsed.
	res3, err := f.Fetch(t.Context(), src, hub.FetchState{BodyHash: res.BodyHash})
	if err != nil {
		t.Fatal(err)
	}
	if !res3.NotModified || len(res3.Items) != 0 {
		t.Errorf("same body: NotModified %v, %d items; want skipped", res3.NotModified, len(res3.Items))
	}
}

func TestFetchFeedMovedPermanently(t *testing.T) {
	body := readFixture(t, "utf8_bom.xml")
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusMovedPermanently) })
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	mux.HandleFunc("/newer", func(w http.ResponseWriter, r *http.Request) { w.Write(body) })
	srv := httptest.NewServer(mux)
	defer srv.Close()
	f := New(Options{})
	src := testSource(t, srv.URL+"/old")
	res, err := f.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := res.MovedTo, srv.URL+"/new"; got != want {
		t.Errorf("MovedTo = %q, want %q", got, want)
	}
	// The remembered URL is used next time.
	res, err = f.Fetch(t.Context(), src, hub.FetchState{URL: srv.URL + "/newer"})
	if err != nil || res.MovedTo != "" || len(res.Items) != 1 {
		t.Errorf("fetch via prev.URL: %+v, %v", res, err)
	}
}

func TestFetchFeedErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(error) bool
	}{
		{"not found", func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
			func(err error) bool { var se *StatusError; return errors.As(err, &se) && se.Code == 404 }},
		{"server error", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "boom", 500) },
			func(err error) bool { var se *StatusError; return errors.As(err, &se) && se.Code == 500 }},
		{"empty body", func(w http.ResponseWriter, r *http.Request) {},
			func(err error) bool { return errors.Is(err, ErrNotFeed) }},
		{"html error page", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.Write(readFixture(t, "html_error_page.html"))
		}, func(err error) bool { return errors.Is(err, ErrNotFeed) }},
		{"truncated xml", func(w http.ResponseWriter, r *http.Request) {
			b := readFixture(t, "rss_source_dc_creator_rights.xml")
			w.Write(b[:len(b)/2])
		}, func(err error) bool { return strings.Contains(err.Error(), "parse rss: ") }},
		{"invalid json feed", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"version": "https://jsonfeed.org/version/1.1", "items": [`))
		}, func(err error) bool { return strings.Contains(err.Error(), "parse json feed: ") }},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-time.After(5 * time.Second):
			case <-r.Context().Done():
			}
		}, func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
		{"oversized", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte("<rss><channel>"))
			for range 100 {
				w.Write([]byte("<item><title>" + strings.Repeat("长", 1000) + "</title></item>"))
			}
		}, func(err error) bool { return errors.Is(err, ErrTooLarge) }},
		{"redirect loop", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path+"x", http.StatusFound)
		}, func(err error) bool { return errors.Is(err, ErrTooManyRedirects) }},
	}
	client := NewClient(ClientOptions{Timeout: 500 * time.Millisecond, MaxBody: 64 << 10, MaxRedirects: 2})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			src := testSource(t, srv.URL)
			res, err := New(Options{Client: client}).Fetch(t.Context(), src, hub.FetchState{})
			if err == nil {
				t.Fatalf("Fetch = %+v, want an error", res)
			}
			if !strings.HasPrefix(err.Error(), "fetch people-politics: ") {
				t.Errorf("error %q does not name the source", err)
			}
			if !tt.check(err) {
				t.Errorf("error %q is not the expected kind", err)
			}
			if len(res.Items) != 0 {
				t.Errorf("an error came with %d items", len(res.Items))
			}
		})
	}
}

func TestFetchHTMLDispatch(t *testing.T) {
	src := hub.Source{ID: "x", Kind: "gopher"}
	if _, err := New(Options{}).Fetch(context.Background(), src, hub.FetchState{}); err == nil {
		t.Error("unknown kind: want an error")
	}
}

// feedSeeds are the fixtures the fuzz tests start from.
var feedSeeds = []string{
	"gb2312_prolog_only.xml", "gbk_header_only.xml", "gb_no_declaration.xml", "utf8_bom.xml",
	"utf8_lying_gb2312_prolog.xml", "gb18030_4byte_gbk_label.xml", "utf16le_bom.xml", "rss_0_91.xml",
	"rss_1_0_rdf.xml", "control_characters.xml", "rss_cst_and_zoneless_dates.xml",
	"rss_source_dc_creator_rights.xml", "atom_xml_base_rights_hostile.xml", "jsonfeed_1_1.json",
	"html_error_page.html",
}

func FuzzParseFeed(f *testing.F) {
	for _, name := range feedSeeds {
		f.Add(readFixture(f, name), "text/xml")
	}
	f.Add([]byte(`<rss><channel><item><title>&#11;x</title></item></channel></rss>`), "application/rss+xml; charset=gbk")
	src := testSource(f, "http://example.com/feed.xml")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		items, err := ParseFeed(body, contentType, "http://example.com/feed.xml", src)
		if err != nil {
			return
		}
		for _, it := range items {
			checkItemText(t, "item", it)
			if it.Key == "" || it.SourceID != src.ID {
				t.Errorf("Key, SourceID = %q, %q", it.Key, it.SourceID)
			}
		}
	})
}

// TestParseFeedHostile feeds ParseFeed bodies built to hurt: nesting, entity
// expansion, a huge single line, many items. Each must give a bounded result
// or a clear error, never a panic.
func TestParseFeedHostile(t *testing.T) {
	src := testSource(t, "http://example.com/feed.xml")
	var many strings.Builder
	many.WriteString("<rss><channel>")
	for i := range 20000 {
		fmt.Fprintf(&many, "<item><title>第%d条</title><link>http://example.com/%d</link></item>", i, i)
	}
	many.WriteString("</channel></rss>")
	tests := []struct {
		name  string
		doc   string
		check func(t *testing.T, items []hub.Item, err error)
	}{
		{"nested extension elements", `<rss xmlns:x="http://x/"><channel><item><title>t</title>` + strings.Repeat("<x:a>", 20000) + strings.Repeat("</x:a>", 20000) + `</item></channel></rss>`,
			func(t *testing.T, items []hub.Item, err error) {
				if err == nil && len(items) != 1 {
					t.Errorf("%d items, %v", len(items), err)
				}
			}},
		{"nested html", `<rss><channel><item><title>t</title><description><![CDATA[` + strings.Repeat("<div><b>", 20000) + `x]]></description></item></channel></rss>`,
			func(t *testing.T, items []hub.Item, err error) {
				if err != nil || len(items) != 1 || !strings.Contains(items[0].Summary, "x") {
					t.Errorf("%d items, %v", len(items), err)
				}
			}},
		{"entity expansion", `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rss><channel><item><title>&c;</title></item></channel></rss>`,
			func(t *testing.T, items []hub.Item, err error) {
				for _, it := range items {
					if strings.Contains(it.Title, "aaaaaaaaaaaaaaaaaaaa") {
						t.Errorf("Title = %.40q…: entities expanded", it.Title)
					}
				}
			}},
		{"one huge line", `<rss><channel><item><title>` + strings.Repeat("长", 1<<20) + `</title><description>` + strings.Repeat("文", 1<<20) + `</description></item></channel></rss>`,
			func(t *testing.T, items []hub.Item, err error) {
				if err != nil || len(items) != 1 {
					t.Fatalf("%d items, %v", len(items), err)
				}
				if n := utf8.RuneCountInString(items[0].Title); n != maxTitle {
					t.Errorf("Title has %d runes, want %d", n, maxTitle)
				}
				if n := len(items[0].Summary); n > maxContent {
					t.Errorf("Summary has %d bytes, want at most %d", n, maxContent)
				}
				checkClean(t, "Summary", items[0].Summary)
			}},
		{"many items", many.String(),
			func(t *testing.T, items []hub.Item, err error) {
				// Undated: the first MaxFeedItems in document order.
				if err != nil || len(items) != MaxFeedItems || items[0].Title != "第0条" || items[MaxFeedItems-1].Title != fmt.Sprintf("第%d条", MaxFeedItems-1) {
					t.Errorf("%d items, %v; want the first %d", len(items), err, MaxFeedItems)
				}
			}},
		{"duplicate links, distinct items", `<rss><channel><item><title>一</title><link>http://e/</link></item><item><title>二</title><link>http://e/</link></item><item><title>一</title><link>http://e/</link></item></channel></rss>`,
			func(t *testing.T, items []hub.Item, err error) {
				if err != nil || len(items) != 2 || items[0].Key == items[1].Key {
					t.Errorf("items = %+v, %v; want two with distinct keys", items, err)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, err := ParseFeed([]byte(tt.doc), "", src.URL, src)
			tt.check(t, items, err)
		})
	}
}
