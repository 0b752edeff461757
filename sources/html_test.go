package sources

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"

	"github.com/yizhan-hub/yizhan/hub"
)

// portal is an httptest upstream serving a paged GBK listing and its
// article pages from testdata/html. It records every request and the most
// requests it ever had in flight at once.
type portal struct {
	t        *testing.T
	srv      *httptest.Server
	inFlight atomic.Int32
	maxSeen  atomic.Int32
	broken   map[string]bool // paths answered 500
	pdf      map[string]bool // paths answered with a PDF

	mu   sync.Mutex
	log  []request
	etag string
}

type request struct {
	path        string
	ifNoneMatch string
	start, end  time.Time
}

// portalPages maps paths to fixtures and the titles extraction should find.
var portalPages = map[string]struct{ file, title string }{
	"/list/index.html":                {"gbk_listing.html", ""},
	"/list/index2.html":               {"gbk_listing_2.html", ""},
	"/list/index3.html":               {"gbk_listing_3.html", ""},
	"/n1/2020/0420/c1001-1.html":      {"people_repost_editor_line.html", "坚持稳中求进 推动高质量发展"},
	"/list/n1/2020/0420/c1001-2.html": {"date_cn_spaced.html", "春耕生产全面展开"},
	"/list/c1001-3.html":              {"gbk_article.html", "朱镕基题写的校训激励学子"},
	"/n1/2020/0419/c1001-4.html":      {"date_label_fabu.html", "多地推出惠企政策"},
	"/n1/2020/0419/c1001-5.html":      {"date_label_shijian.html", "青年志愿者走进社区"},
	"/n1/2020/0418/c1001-6.html":      {"date_meta_publishdate.html", "博物馆里的春天"},
}

func newPortal(t *testing.T) *portal {
	p := &portal{t: t, broken: map[string]bool{}, pdf: map[string]bool{}, etag: `"listing-v1"`}
	p.srv = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *portal) serve(w http.ResponseWriter, r *http.Request) {
	n := p.inFlight.Add(1)
	defer p.inFlight.Add(-1)
	for {
		m := p.maxSeen.Load()
		if n <= m || p.maxSeen.CompareAndSwap(m, n) {
			break
		}
	}
	rq := request{path: r.URL.Path, ifNoneMatch: r.Header.Get("If-None-Match"), start: time.Now()}
	defer func() {
		rq.end = time.Now()
		p.mu.Lock()
		p.log = append(p.log, rq)
		p.mu.Unlock()
	}()
	// Slow enough that overlapping requests would be seen overlapping.
	time.Sleep(5 * time.Millisecond)

	page, ok := portalPages[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	if p.broken[r.URL.Path] {
		http.Error(w, "boom", http.StatusInternalServerError)
		return
	}
	if p.pdf[r.URL.Path] {
		w.Header().Set("Content-Type", "application/pdf")
		w.Write([]byte("%PDF-1.4 \xd6\xd0\xce\xc4"))
		return
	}
	if r.URL.Path == "/list/index.html" {
		p.mu.Lock()
		etag := p.etag
		p.mu.Unlock()
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
	}
	b, err := os.ReadFile(filepath.Join("testdata", "html", page.file))
	if err != nil {
		p.t.Error(err)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// No charset in the header: the pages' own declarations (or none) decide.
	w.Header().Set("Content-Type", "text/html")
	w.Write(b)
}

// requests returns the paths requested so far, in order, and forgets them.
func (p *portal) requests() []request {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := p.log
	p.log = nil
	sort.Slice(out, func(i, j int) bool { return out[i].start.Before(out[j].start) })
	return out
}

func paths(rs []request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.path)
	}
	return out
}

// knownSet is a KnownURLs over a fixed set.
type knownSet struct {
	urls map[string]bool
	err  error
}

func (k *knownSet) KnownURLs(_ context.Context, _ string, urls []string) (map[string]bool, error) {
	if k.err != nil {
		return nil, k.err
	}
	out := map[string]bool{}
	for _, u := range urls {
		if k.urls[u] {
			out[u] = true
		}
	}
	return out, nil
}

func (p *portal) source(rules hub.HTMLRules) hub.Source {
	return hub.Source{
		ID: "theory-html", Name: "示例网 · 理论", Kind: hub.KindHTML, URL: p.srv.URL + "/list/index.html",
		Attribution: "示例网", Copyright: "© 示例网", Timezone: shanghaiZone(p.t), HTML: &rules,
	}
}

func TestFetchHTMLListing(t *testing.T) {
	p := newPortal(t)
	f := New(Options{Known: &knownSet{}})
	src := p.source(hub.HTMLRules{Links: "ul.list a", Delay: time.Millisecond})
	res, err := f.Fetch(t.Context(), src, hub.FetchState{SourceID: src.ID})
	if err != nil {
		t.Fatal(err)
	}
	// Relative links resolved against the listing, the duplicate, the
	// fragment and the javascript: link dropped, the sidebar ignored.
	want := []string{"/list/index.html", "/n1/2020/0420/c1001-1.html", "/list/n1/2020/0420/c1001-2.html", "/list/c1001-3.html"}
	if got := paths(p.requests()); !slices.Equal(got, want) {
		t.Errorf("requests = %q, want %q", got, want)
	}
	if len(res.Items) != 3 {
		t.Fatalf("%d items, want 3", len(res.Items))
	}
	for _, it := range res.Items {
		u, _ := url.Parse(it.URL)
		if u == nil || u.Host != strings.TrimPrefix(p.srv.URL, "http://") {
			t.Errorf("item URL %q is not absolute on the portal", it.URL)
			continue
		}
		if want := portalPages[u.Path].title; it.Title != want {
			t.Errorf("%s: Title = %q, want %q", u.Path, it.Title, want)
		}
		if it.SourceID != src.ID || it.Key == "" {
			t.Errorf("%s: SourceID, Key = %q, %q", u.Path, it.SourceID, it.Key)
		}
		if it.Via != src.Name {
			t.Errorf("%s: Via = %q, want %q", u.Path, it.Via, src.Name)
		}
		if it.Published.IsZero() || it.Content == "" {
			t.Errorf("%s: no date or no content", u.Path)
		}
	}
	// The GBK article page, declared gb2312, decodes cleanly.
	gbk := res.Items[2]
	if gbk.Credit != "人民日报" || gbk.Editor != "李红军" || !strings.Contains(gbk.Content, "朱镕基同志题写") {
		t.Errorf("GBK article: Credit %q, Editor %q, Content %q", gbk.Credit, gbk.Editor, gbk.Content)
	}
	if res.ETag != `"listing-v1"` || res.BodyHash == "" || len(res.Skipped) != 0 {
		t.Errorf("ETag, BodyHash, Skipped = %q, %q, %v; want the listing's validators after a complete run", res.ETag, res.BodyHash, res.Skipped)
	}
	if m := p.maxSeen.Load(); m != 1 {
		t.Errorf("%d requests in flight at once, want 1", m)
	}
}

func TestFetchHTMLPolite(t *testing.T) {
	p := newPortal(t)
	f := New(Options{})
	const delay = 40 * time.Millisecond
	src := p.source(hub.HTMLRules{Links: "ul.list a", Next: "a.next", MaxPages: 3, Delay: delay})

	// The listing's three pages and six articles, one at a time, each
	// starting at least delay after the previous one ended.
	res, err := f.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 6 {
		t.Errorf("%d items, want 6", len(res.Items))
	}
	rs := p.requests()
	for i := 1; i < len(rs); i++ {
		if gap := rs[i].start.Sub(rs[i-1].end); gap < delay-5*time.Millisecond {
			t.Errorf("request %d (%s) started %v after the previous one ended, want at least %v", i, rs[i].path, gap, delay)
		}
	}
	if m := p.maxSeen.Load(); m != 1 {
		t.Errorf("%d requests in flight at once, want 1", m)
	}
}

func TestHostGateOneAtATime(t *testing.T) {
	p := newPortal(t)
	g := &hostGate{}
	c := NewClient(ClientOptions{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := g.get(t.Context(), c, Request{URL: p.srv.URL + "/n1/2020/0420/c1001-1.html"}, 2*time.Millisecond); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if m := p.maxSeen.Load(); m != 1 {
		t.Errorf("%d requests in flight at once through one gate, want 1", m)
	}
	if n := len(p.requests()); n != 8 {
		t.Errorf("%d requests, want 8", n)
	}

	// A cancelled context gives up waiting for the host.
	ctx, cancel := context.WithCancel(t.Context())
	release, err := g.acquire(ctx, "busy.example")
	if err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := g.acquire(ctx, "busy.example"); !errors.Is(err, context.Canceled) {
		t.Errorf("acquire on a busy host with a cancelled context: %v, want context.Canceled", err)
	}
	release(0)
}

func TestFetchHTMLKnownAndRefetch(t *testing.T) {
	p := newPortal(t)
	known := &knownSet{urls: map[string]bool{
		p.srv.URL + "/n1/2020/0420/c1001-1.html":      true,
		p.srv.URL + "/list/n1/2020/0420/c1001-2.html": true,
	}}
	f := New(Options{Known: known})
	src := p.source(hub.HTMLRules{Links: "ul.list a", Delay: time.Millisecond})
	res, err := f.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/list/index.html", "/list/c1001-3.html"}
	if got := paths(p.requests()); !slices.Equal(got, want) {
		t.Errorf("requests = %q, want %q (stored articles not fetched again)", got, want)
	}
	if len(res.Items) != 1 {
		t.Errorf("%d items, want 1", len(res.Items))
	}

	// Everything known: a successful run with nothing new.
	known.urls[p.srv.URL+"/list/c1001-3.html"] = true
	res, err = f.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil || len(res.Items) != 0 {
		t.Errorf("all known: %d items, %v; want none and no error", len(res.Items), err)
	}
	// Nothing new is not nothing listed: the runner must not call it suspect.
	if res.Listed != 3 {
		t.Errorf("all known: Listed = %d, want 3", res.Listed)
	}
	if got := paths(p.requests()); !slices.Equal(got, []string{"/list/index.html"}) {
		t.Errorf("all known: requests = %q, want the listing only", got)
	}

	// refetch = true fetches stored articles again, without validators.
	src.HTML.Refetch = true
	res, err = f.Fetch(t.Context(), src, hub.FetchState{ETag: `"listing-v1"`})
	if err != nil {
		t.Fatal(err)
	}
	rs := p.requests()
	if len(rs) != 4 || len(res.Items) != 3 {
		t.Errorf("refetch: requests %q, %d items; want the listing and 3 articles", paths(rs), len(res.Items))
	}
	if len(rs) > 0 && rs[0].ifNoneMatch != "" {
		t.Errorf("refetch sent If-None-Match %q", rs[0].ifNoneMatch)
	}

	// A store that cannot answer fails the fetch rather than refetching all.
	src.HTML.Refetch = false
	known.err = errors.New("database is closed")
	if _, err := f.Fetch(t.Context(), src, hub.FetchState{}); err == nil {
		t.Errorf("KnownURLs failing: no error")
	}
}

func TestFetchHTMLCapAndConditional(t *testing.T) {
	p := newPortal(t)
	known := &knownSet{urls: map[string]bool{}}
	f := New(Options{Known: known})
	src := p.source(hub.HTMLRules{Links: "ul.list a", MaxArticles: 2, Delay: time.Millisecond})

	res, err := f.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"/list/index.html", "/n1/2020/0420/c1001-1.html", "/list/n1/2020/0420/c1001-2.html"}
	if got := paths(p.requests()); !slices.Equal(got, want) {
		t.Errorf("capped run: requests = %q, want %q", got, want)
	}
	// A capped run leaves articles behind: no validators, so that the next
	// run lists again instead of being told "304".
	if res.ETag != "" || res.BodyHash != "" {
		t.Errorf("capped run: ETag %q, BodyHash %q; want none", res.ETag, res.BodyHash)
	}
	for _, it := range res.Items {
		known.urls[it.URL] = true
	}
	prev := hub.FetchState{ETag: res.ETag, LastModified: res.LastModified, BodyHash: res.BodyHash}
	res, err = f.Fetch(t.Context(), src, prev)
	if err != nil {
		t.Fatal(err)
	}
	rs := p.requests()
	if got := paths(rs); !slices.Equal(got, []string{"/list/index.html", "/list/c1001-3.html"}) {
		t.Errorf("second run: requests = %q, want the listing and the article left behind", got)
	}
	if rs[0].ifNoneMatch != "" || res.ETag != `"listing-v1"` {
		t.Errorf("second run: sent If-None-Match %q, got ETag %q", rs[0].ifNoneMatch, res.ETag)
	}

	// Third run: the listing answers 304, nothing else is asked.
	prev = hub.FetchState{ETag: res.ETag, LastModified: res.LastModified, BodyHash: res.BodyHash}
	res, err = f.Fetch(t.Context(), src, prev)
	if err != nil || !res.NotModified || len(res.Items) != 0 || res.ETag != `"listing-v1"` {
		t.Errorf("304: %+v, %v; want NotModified keeping the validators", res, err)
	}
	if got := paths(p.requests()); !slices.Equal(got, []string{"/list/index.html"}) {
		t.Errorf("304: requests = %q", got)
	}

	// Same listing body without validators: not modified either.
	p.mu.Lock()
	p.etag = `"listing-v2"`
	p.mu.Unlock()
	prev.ETag = ""
	res, err = f.Fetch(t.Context(), src, prev)
	if err != nil || !res.NotModified {
		t.Errorf("same body: NotModified %v, %v; want true", res.NotModified, err)
	}
}

func TestFetchHTMLPaged(t *testing.T) {
	tests := []struct {
		maxPages int
		want     []string
	}{
		{1, []string{"/list/index.html"}},
		{2, []string{"/list/index.html", "/list/index2.html"}},
		{3, []string{"/list/index.html", "/list/index2.html", "/list/index3.html"}},
		{10, []string{"/list/index.html", "/list/index2.html", "/list/index3.html"}},
	}
	for _, tt := range tests {
		p := newPortal(t)
		f := New(Options{})
		src := p.source(hub.HTMLRules{Links: "ul.list a", Next: ".page a.next", MaxPages: tt.maxPages, Delay: time.Millisecond})
		res, err := f.Fetch(t.Context(), src, hub.FetchState{})
		if err != nil {
			t.Fatal(err)
		}
		var listings []string
		for _, pth := range paths(p.requests()) {
			if strings.HasPrefix(pth, "/list/index") {
				listings = append(listings, pth)
			}
		}
		if !slices.Equal(listings, tt.want) {
			t.Errorf("MaxPages %d: listing pages %q, want %q", tt.maxPages, listings, tt.want)
		}
		if want := map[int]int{1: 3, 2: 5, 3: 6, 10: 6}[tt.maxPages]; len(res.Items) != want {
			t.Errorf("MaxPages %d: %d items, want %d", tt.maxPages, len(res.Items), want)
		}
	}
}

func TestFetchHTMLFailures(t *testing.T) {
	p := newPortal(t)
	f := New(Options{})
	src := p.source(hub.HTMLRules{Links: "ul.list a", Delay: time.Millisecond})

	// One bad article is skipped and reported; the rest are stored.
	p.broken["/list/n1/2020/0420/c1001-2.html"] = true
	res, err := f.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 2 || len(res.Skipped) != 1 || !strings.Contains(res.Skipped[0].Error(), "c1001-2.html") {
		t.Errorf("one broken article: %d items, skipped %v; want 2 and the broken one", len(res.Items), res.Skipped)
	}
	var se *StatusError
	if len(res.Skipped) == 1 && !errors.As(res.Skipped[0], &se) {
		t.Errorf("skipped error %v is not a *StatusError", res.Skipped[0])
	}
	if res.ETag != "" || res.BodyHash != "" {
		t.Errorf("partly failed run kept validators %q, %q; the broken article would never be retried", res.ETag, res.BodyHash)
	}

	// A link to an attachment is no article.
	p.pdf["/list/c1001-3.html"] = true
	res, err = f.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 1 || len(res.Skipped) != 2 || !strings.Contains(res.Skipped[1].Error(), "not an HTML page: application/pdf") {
		t.Errorf("a PDF link: %d items, skipped %v; want 1 and the PDF named", len(res.Items), res.Skipped)
	}
	p.pdf = map[string]bool{}

	// Every article failing fails the fetch.
	p.broken["/n1/2020/0420/c1001-1.html"] = true
	p.broken["/list/c1001-3.html"] = true
	if res, err := f.Fetch(t.Context(), src, hub.FetchState{}); err == nil {
		t.Errorf("all articles broken: %d items, no error", len(res.Items))
	} else if !strings.Contains(err.Error(), "fetch theory-html: every article page failed (3)") {
		t.Errorf("all articles broken: error %q", err)
	}

	// One new link failing beside links already stored is skipped, not a
	// failed fetch: otherwise the source would back off for hours over one
	// broken page.
	known := New(Options{Known: &knownSet{urls: map[string]bool{
		p.srv.URL + "/n1/2020/0420/c1001-1.html": true,
		p.srv.URL + "/list/c1001-3.html":         true,
	}}})
	res, err = known.Fetch(t.Context(), src, hub.FetchState{})
	if err != nil {
		t.Errorf("one broken new link beside stored ones: %v", err)
	} else if len(res.Items) != 0 || len(res.Skipped) != 1 || strings.Count(res.Skipped[0].Error(), "c1001-2.html") != 1 {
		t.Errorf("one broken new link: %d items, skipped %v; want none stored and the link named once", len(res.Items), res.Skipped)
	}

	// A broken listing fails the fetch.
	p.broken["/list/index.html"] = true
	if _, err := f.Fetch(t.Context(), src, hub.FetchState{}); err == nil {
		t.Errorf("broken listing: no error")
	}

	// A selector that finds nothing is an error that names it.
	p.broken = map[string]bool{}
	src.HTML.Links = "div.no-such-list a"
	if _, err := f.Fetch(t.Context(), src, hub.FetchState{}); err == nil || !strings.Contains(err.Error(), "div.no-such-list a") {
		t.Errorf("empty selection: error %v, want one naming the selector", err)
	}

	// A cancelled context stops the run with an error, never a partial result.
	src.HTML.Links = "ul.list a"
	src.HTML.Delay = time.Hour
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if res, err := f.Fetch(ctx, src, hub.FetchState{}); err == nil {
		t.Errorf("cancelled: %d items, no error", len(res.Items))
	}
}

func TestCheckHTMLRules(t *testing.T) {
	if err := CheckHTMLRules(&hub.HTMLRules{Links: "ul.list > li a", Next: "a.next", Body: "#zoom"}); err != nil {
		t.Errorf("good rules: %v", err)
	}
	for _, r := range []*hub.HTMLRules{nil, {}, {Links: "a[["}, {Links: "a", Date: ":nth-child("}} {
		if err := CheckHTMLRules(r); err == nil {
			t.Errorf("CheckHTMLRules(%+v): no error", r)
		}
	}
}

func TestSelectLinks(t *testing.T) {
	page := `<html><head><base href="/news/"></head><body>
<ul class="list"><li><a href="a.html">A</a></li><li><a href="/b.html#x">B</a></li><li><a href="a.html">A again</a></li>
<li><a href="mailto:x@example.cn">mail</a></li><li><a href="#top">top</a></li><li><a href="https://other.example.cn/c.html">C</a></li></ul>
<div class="pages"><span>1</span><a class="next" href="?page=2">下一页</a></div></body></html>`
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(page))
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("http://www.example.cn/list/index.html")
	links, next := selectLinks(doc, base, "ul.list li", ".pages .next")
	want := []string{"http://www.example.cn/news/a.html", "http://www.example.cn/b.html", "https://other.example.cn/c.html"}
	if !slices.Equal(links, want) {
		t.Errorf("links = %q, want %q", links, want)
	}
	if next != "http://www.example.cn/news/?page=2" {
		t.Errorf("next = %q", next)
	}
}

// TestDecodeHTMLPages checks the charset rules of issue 3 on article pages,
// as fetchHTML uses them: header, <meta> anywhere in <head>, BOM, GB18030
// for undeclared legacy bytes, honest bytes under a lying gb2312 <meta>, and
// the source's encoding over everything.
func TestDecodeHTMLPages(t *testing.T) {
	const text = "朱镕基题写的校训，“实事求是”𠀀"
	gbk := func(s string) []byte {
		b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	big5 := func(s string) []byte {
		b, err := traditionalchinese.Big5.NewEncoder().Bytes([]byte(s))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	page := func(head string) string {
		return "<html><head>" + head + "<title>标题</title></head><body><p>" + text + "</p></body></html>"
	}
	longHead := strings.Repeat(`<link rel="stylesheet" href="/css/a-rather-long-stylesheet-name.css">`+"\n", 60)
	tests := []struct {
		name, contentType, override string
		body                        []byte
		want                        string
	}{
		{"gbk bytes, meta gb2312", "", "", gbk(page(`<meta charset="gb2312">`)), text},
		{"gbk bytes, http-equiv with content first", "", "", gbk(page(`<meta content="text/html; charset=gbk" http-equiv="Content-Type">`)), text},
		{"gbk bytes, meta after 4 KB of head", "", "", gbk(page(longHead + `<meta http-equiv="Content-Type" content="text/html; charset=GBK">`)), text},
		{"gbk bytes, header only", "text/html; charset=GBK", "", gbk(page("")), text},
		{"gbk bytes, header gbk, meta claims utf-8", "text/html; charset=gbk", "", gbk(page(`<meta charset="utf-8">`)), text},
		{"gbk bytes, nothing declared", "text/html", "", gbk(page("")), text},
		{"gbk bytes, header lies utf-8", "text/html; charset=utf-8", "", gbk(page("")), text},
		{"utf-8 bytes, meta lies gb2312", "", "", []byte(page(`<meta http-equiv="Content-Type" content="text/html; charset=GB2312">`)), text},
		{"utf-8 bytes, header lies gbk", "text/html; charset=gbk", "", []byte(page("")), text},
		{"utf-8 BOM, meta lies gb2312", "", "", append([]byte("\xef\xbb\xbf"), page(`<meta charset="gb2312">`)...), text},
		{"override beats header and meta", "text/html; charset=utf-8", "gb18030", gbk(page(`<meta charset="utf-8">`)), text},
		{"big5 bytes, meta big5", "", "", big5(`<html><head><meta charset="big5"><title>標題</title></head><body><p>朱鎔基題寫的校訓，實事求是</p></body></html>`), "朱鎔基題寫的校訓"},
	}
	for _, tt := range tests {
		want := tt.want
		got, err := DecodeHTML(tt.body, tt.contentType, tt.override)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if !strings.Contains(string(got), want) || strings.ContainsRune(string(got), '\uFFFD') {
			t.Errorf("%s: decoded to %q, want %q in it", tt.name, truncateRunes(string(got), 200), want)
		}
		u, _ := url.Parse("http://www.example.cn/a.html")
		it, err := ExtractArticle(got, u, nil, time.UTC)
		if err != nil || !strings.Contains(PlainText(it.Content), want) {
			t.Errorf("%s: ExtractArticle = %q, %v", tt.name, it.Content, err)
		}
	}
}
