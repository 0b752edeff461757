package sources

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/yizhan-hub/yizhan/hub"

	"github.com/yizhan-hub/yizhan/internal/testenv"
)

// listingPage is a saved listing page of ../shared/corpora/cn-html/listings,
// the URL it was saved from, and the selector its SOURCE.txt gives for
// exactly the article links of its main list.
type listingPage struct {
	file, url, selector string
	same                bool // the proposal picks exactly what selector does
	atLeast             int  // else at least this many of them, and at most 3 others
}

var listingPages = []listingPage{
	{"gov-ndrc-fzggwl.html", "https://www.ndrc.gov.cn/xxgk/zcfb/fzggwl/", "div.list > ul.u-list > li > a", true, 25},
	{"gov-sasac-zcfb.html", "http://www.sasac.gov.cn/n2588035/n2588320/n2588335/index.html", "div.zsy_conlist li > a", true, 30},
	{"gov-csrc-guizhangku.html", "http://www.csrc.gov.cn/csrc/c106256/fg.shtml", "#zc-list-content td.zc_info > a.list", true, 20},
	{"gov-most-fgzc.html", "https://www.most.gov.cn/xxgk/xinxifenlei/fdzdgknr/fgzc/", `div.rightPart ul.list_common > li > a:not([href*="/zcjd/"])`, false, 14},
	{"newscn-milpro.html", "https://www.news.cn/milpro/", "ul.army_list li div.tit a", true, 64},
	{"govcn-zhengce-zuixin-fragment.html", "https://www.gov.cn/zhengce/index.htm", "div.item03 div.list > ul > li > a", true, 8},
	{"people-homepage-yaowenbobao-fragment.html", "http://www.people.com.cn/", `#rm_bq ul.blist1 > li > a[href*="/n1/"], #rm_bq ul.blist1 > li > a[href*="/n2/"]`, true, 18},
	{"chinanews-china-2025-08-09.html", "https://www.chinanews.com.cn/china/", "div.channel-topnews .topnews-title a, div.channel-newslist li a, div.channel-parallel .righttext a, div.channel-parallel .news-list li a", false, 8},
}

func readListing(t *testing.T, p listingPage) *goquery.Document {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(testenv.Corpora(t, "cn-html/listings"), p.file))
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
	return doc
}

// TestProposeListingCorpus: on the saved listing pages whose list is one
// block of markup, the proposed selector picks exactly the links
// SOURCE.txt's selector does. On the others it picks one of the page's
// lists: the overview of most.gov.cn with its 政策解读 block, which
// SOURCE.txt leaves out by choice; on chinanews.com.cn one of four
// curated blocks. On people.com.cn the column link among the articles is
// left out by the articles' paths (/n1/, /n2/).
func TestProposeListingCorpus(t *testing.T) {
	for _, p := range listingPages {
		doc := readListing(t, p)
		base := mustURL(t, p.url)
		want, _ := selectLinks(doc, base, p.selector, "")
		l := ProposeListing(doc, base)
		if l == nil {
			t.Errorf("%s: no listing proposed", p.file)
			continue
		}
		t.Logf("%s: %q picks %d (exact %v, dated %d); SOURCE.txt's selector %d", p.file, l.Links, len(l.URLs), l.Exact, l.Dated, len(want))
		if p.same {
			if !slices.Equal(l.URLs, want) || !l.Exact {
				t.Errorf("%s: %q picks %d links (exact %v), want the %d of %q", p.file, l.Links, len(l.URLs), l.Exact, len(want), p.selector)
			}
			continue
		}
		in := 0
		for _, u := range l.URLs {
			if slices.Contains(want, u) {
				in++
			}
		}
		if in < p.atLeast || len(l.URLs)-in > 3 {
			t.Errorf("%s: %q picks %d links, %d of them %q's; want at least %d of those and at most 3 others", p.file, l.Links, len(l.URLs), in, p.selector, p.atLeast)
		}
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// savedArticles are the article pages saved beside the listings, by the
// path they were saved from, with their headline.
var savedArticles = map[string]struct{ file, title string }{
	"/xxgk/zcfb/fzggwl/202604/t20260409_1404577.html":    {"gov-ndrc-fzggwl-article-1.html", "《电力重大事故隐患判定标准及治理监督管理规定》 2026年第41号令"},
	"/xxgk/zcfb/fzggwl/202602/t20260211_1403694.html":    {"gov-ndrc-fzggwl-article-2.html", "《粮食流通行政执法办法》 2026年第40号令"},
	"/csrc/c106256/c3217074/content.shtml":               {"gov-csrc-guizhangku-article-1.html", "中国证监会派出机构监管职责规定"},
	"/csrc/c106256/c1653980/content.shtml":               {"gov-csrc-guizhangku-article-2.html", "北京证券交易所上市公司持续监管办法（试行）"},
	"/n2588035/n2588320/n2588335/c33689673/content.html": {"gov-sasac-zcfb-article-1.html", "中央企业发展规划管理办法"},
}

// gbkPortal serves the saved listing pages and articles as a GBK portal
// would: re-encoded to GB18030 bytes, declared gbk in <meta> only.
func gbkPortal(t *testing.T) *httptest.Server {
	t.Helper()
	dir := testenv.Corpora(t, "cn-html/listings")
	files := map[string]string{}
	for _, p := range listingPages {
		files[mustURL(t, p.url).Path] = p.file
	}
	for path, a := range savedArticles {
		files[path] = a.file
	}
	charset := regexp.MustCompile(`(?i)charset\s*=\s*["']?utf-8`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		file, ok := files[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		raw, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			t.Error(err)
			return
		}
		gbk, err := simplifiedchinese.GB18030.NewEncoder().Bytes(charset.ReplaceAll(raw, []byte("charset=gbk")))
		if err != nil {
			t.Error(err)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(gbk)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestDiscoverCorpusGBK: discover on GBK listing pages proposes a selector
// that, as an html source's links, picks exactly the listing's articles,
// and reads the first of them as the html source would.
func TestDiscoverCorpusGBK(t *testing.T) {
	srv := gbkPortal(t)
	// Links to other hosts (gov.cn's, people.com.cn's channels) reach the
	// portal too, and get its 404: no test touches the network.
	f := New(Options{Client: NewClient(ClientOptions{Transport: toServer{srv}})})
	for _, p := range listingPages {
		if !p.same {
			continue
		}
		page := srv.URL + mustURL(t, p.url).Path
		d, err := f.Discover(t.Context(), page, DiscoverOptions{})
		if err != nil {
			t.Errorf("%s: %v", p.file, err)
			continue
		}
		if d.Listing == nil || len(d.Feeds) > 0 {
			t.Errorf("%s: %+v, want a listing and no feed", p.file, d)
			continue
		}
		if !strings.Contains(p.file, "fragment") && !strings.ContainsFunc(d.Title, func(r rune) bool { return r >= 0x4e00 && r <= 0x9fff }) {
			t.Errorf("%s: title %q: the GBK page did not decode", p.file, d.Title)
		}
		// What SOURCE.txt's selector picks on the same page, read as UTF-8.
		doc := readListing(t, p)
		want, _ := selectLinks(doc, mustURL(t, page), p.selector, "")
		// The proposal, run as an html source's links on the GBK page.
		resp, err := f.client.Get(t.Context(), Request{URL: page})
		if err != nil {
			t.Fatal(err)
		}
		got, _, err := listingLinks(resp, &hub.HTMLRules{Links: d.Listing.Links}, "")
		if err != nil || !slices.Equal(got, want) {
			t.Errorf("%s: %q picks %d links (%v), want the listing's %d", p.file, d.Listing.Links, len(got), err, len(want))
		}
		if len(d.Listing.Articles)+len(d.Listing.Failed) != min(DiscoverArticles, len(want)) {
			t.Errorf("%s: %d articles read and %d failed, want the first %d tried", p.file, len(d.Listing.Articles), len(d.Listing.Failed), DiscoverArticles)
		}
		for _, it := range d.Listing.Articles {
			a := savedArticles[mustURL(t, it.URL).Path]
			if it.Title != a.title || it.Published.IsZero() {
				t.Errorf("%s: article %s: title %q, date %v; want %q and a date", p.file, it.URL, it.Title, it.Published, a.title)
			}
		}
	}
}

// toServer sends every request to one test server, whatever its host.
type toServer struct{ srv *httptest.Server }

func (t toServer) RoundTrip(r *http.Request) (*http.Response, error) {
	r2 := r.Clone(r.Context())
	u, _ := url.Parse(t.srv.URL)
	r2.URL.Scheme, r2.URL.Host, r2.Host = u.Scheme, u.Host, ""
	resp, err := t.srv.Client().Transport.RoundTrip(r2)
	if resp != nil {
		resp.Request = r
	}
	return resp, err
}
