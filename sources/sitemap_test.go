package sources

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// sitemapSite is an httptest upstream with a sitemap index of four
// sitemaps — a gzipped Google News sitemap, two plain urlsets and an old
// one that a run must not read — and the article pages they list, served
// from testdata/html.
type sitemapSite struct {
	t   *testing.T
	srv *httptest.Server

	mu  sync.Mutex
	log []string // paths requested, in order
	inm []string // If-None-Match of each request to the index
}

// sitemapArticles maps article paths to a fixture and its headline.
var sitemapArticles = map[string]struct{ file, title string }{
	"/n1/2020/0420/c1001-1.html": {"people_repost_editor_line.html", "坚持稳中求进 推动高质量发展"},
	"/n1/2020/0420/c1001-2.html": {"date_cn_spaced.html", "春耕生产全面展开"},
	"/n1/2020/0419/c1001-4.html": {"date_label_fabu.html", "多地推出惠企政策"},
	"/n1/2020/0419/c1001-5.html": {"date_label_shijian.html", "青年志愿者走进社区"},
	"/n1/2020/0418/c1001-6.html": {"date_meta_publishdate.html", "博物馆里的春天"},
	"/n1/2020/0417/c1001-7.html": {"gbk_article.html", "朱镕基题写的校训激励学子"},
	"/special/2020/zt.html":      {"date_slash.html", ""},
}

const sitemapIndex = `<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>%[1]s/sitemap/2019.xml</loc><lastmod>2019-12-31</lastmod></sitemap>
  <sitemap><loc>%[1]s/sitemap/2020-03.xml</loc><lastmod>2020-03-31T23:00:00+08:00</lastmod></sitemap>
  <sitemap><loc>%[1]s/sitemap/news.xml.gz</loc><lastmod>2020-04-20T10:00:00+08:00</lastmod></sitemap>
  <sitemap><loc>/sitemap/2020-04.xml</loc><lastmod>2020-04-19T23:00:00+08:00</lastmod></sitemap>
</sitemapindex>`

// The Google News sitemap lists its newest articles oldest first and one
// page outside the match; the dates, not the order, decide.
const newsSitemap = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>%[1]s/n1/2020/0419/c1001-4.html</loc>
    <news:news><news:publication><news:name>示例网</news:name><news:language>zh</news:language></news:publication>
      <news:publication_date>2020-04-19T09:00:00+08:00</news:publication_date><news:title>多地推出惠企政策</news:title></news:news></url>
  <url><loc>%[1]s/special/2020/zt.html</loc>
    <news:news><news:publication_date>2020-04-20T11:00:00+08:00</news:publication_date><news:title>专题</news:title></news:news></url>
  <url><loc>%[1]s/n1/2020/0420/c1001-1.html</loc>
    <news:news><news:publication_date>2020-04-20T08:30:00+08:00</news:publication_date><news:title>坚持稳中求进 推动高质量发展</news:title></news:news></url>
</urlset>`

const aprilSitemap = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>%[1]s/n1/2020/0420/c1001-2.html</loc><lastmod>2020-04-20T07:00:00+08:00</lastmod></url>
  <url><loc>%[1]s/n1/2020/0419/c1001-5.html</loc><lastmod>2020-04-19</lastmod></url>
  <url><loc>%[1]s/n1/2020/0420/c1001-1.html#comments</loc><lastmod>2020-04-20</lastmod></url>
</urlset>`

const marchSitemap = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>%[1]s/n1/2020/0316/nodate.html</loc><lastmod>2020-03-16</lastmod></url>
  <url><loc>%[1]s/n1/2020/0418/c1001-6.html</loc><lastmod>2020-03-18</lastmod></url>
</urlset>`

// noDatePage is an article page that shows no date anywhere.
const noDatePage = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>关于做好春季防火工作的通知_示例网</title></head>
<body><div class="article"><h1>关于做好春季防火工作的通知</h1>
<div class="content"><p>各单位：当前正值春季防火关键期，气温回升，风干物燥，火灾风险明显上升。请各单位压实责任，加强巡查，及时消除隐患，确保安全。</p>
<p>请各单位于月底前报送工作情况。特此通知。</p></div></div></body></html>`

const oldSitemap = `<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>%[1]s/n1/2020/0417/c1001-7.html</loc><lastmod>2019-06-01</lastmod></url>
</urlset>`

func newSitemapSite(t *testing.T) *sitemapSite {
	s := &sitemapSite{t: t}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *sitemapSite) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.log = append(s.log, r.URL.Path)
	s.mu.Unlock()
	base := s.srv.URL
	xmlDoc := func(doc string) {
		w.Header().Set("Content-Type", "application/xml")
		fmt.Fprintf(w, doc, base)
	}
	switch r.URL.Path {
	case "/sitemap_index.xml":
		s.mu.Lock()
		s.inm = append(s.inm, r.Header.Get("If-None-Match"))
		s.mu.Unlock()
		if r.Header.Get("If-None-Match") == `"idx-1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", `"idx-1"`)
		xmlDoc(sitemapIndex)
	case "/sitemap/news.xml.gz":
		// A .gz file served as itself, not with Content-Encoding.
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		fmt.Fprintf(zw, newsSitemap, base)
		zw.Close()
		w.Header().Set("Content-Type", "application/x-gzip")
		w.Write(b.Bytes())
	case "/sitemap/2020-04.xml":
		xmlDoc(aprilSitemap)
	case "/sitemap/2020-03.xml":
		xmlDoc(marchSitemap)
	case "/sitemap/2019.xml":
		xmlDoc(oldSitemap)
	case "/n1/2020/0316/nodate.html":
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(noDatePage))
	default:
		page, ok := sitemapArticles[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", "html", page.file))
		if err != nil {
			s.t.Error(err)
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.Write(b)
	}
}

func (s *sitemapSite) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.log
	s.log = nil
	return out
}

func (s *sitemapSite) source(path, match string, maxArticles int) hub.Source {
	return hub.Source{
		ID: "news-sitemap", Name: "示例网 · 要闻", Kind: hub.KindSitemap, URL: s.srv.URL + path,
		Attribution: "示例网", Copyright: "© 示例网", Timezone: shanghaiZone(s.t),
		HTML:    &hub.HTMLRules{MaxArticles: maxArticles, Delay: time.Millisecond},
		Sitemap: &hub.SitemapRules{Match: match},
	}
}

func titles(items []hub.Item) []string {
	var out []string
	for _, it := range items {
		out = append(out, it.Title)
	}
	return out
}

// TestFetchSitemapIndex: an index's three newest sitemaps are read (a
// gzipped Google News sitemap among them), the oldest is not; the matching
// article URLs are read newest first, each once.
func TestFetchSitemapIndex(t *testing.T) {
	s := newSitemapSite(t)
	f := New(Options{Known: &knownSet{}})
	src := s.source("/sitemap_index.xml", `/n1/`, 10)
	res, err := f.Fetch(t.Context(), src, hub.FetchState{SourceID: src.ID})
	if err != nil {
		t.Fatal(err)
	}
	reqs := s.requests()
	wantSitemaps := []string{"/sitemap_index.xml", "/sitemap/news.xml.gz", "/sitemap/2020-04.xml", "/sitemap/2020-03.xml"}
	if got := reqs[:min(len(reqs), 4)]; !slices.Equal(got, wantSitemaps) {
		t.Errorf("first requests = %q, want the index and its three newest sitemaps %q", got, wantSitemaps)
	}
	if slices.Contains(reqs, "/sitemap/2019.xml") || slices.Contains(reqs, "/special/2020/zt.html") {
		t.Errorf("requests %q: read the oldest sitemap or a page outside the match", reqs)
	}
	want := []string{"坚持稳中求进 推动高质量发展", "春耕生产全面展开", "多地推出惠企政策", "青年志愿者走进社区", "博物馆里的春天", "关于做好春季防火工作的通知"}
	if got := titles(res.Items); !slices.Equal(got, want) {
		t.Errorf("titles = %q, want newest first %q", got, want)
	}
	if res.Listed != 6 {
		t.Errorf("Listed = %d, want 6", res.Listed)
	}
	// A page that shows no date takes the sitemap's.
	if last := res.Items[len(res.Items)-1]; !last.Published.Equal(time.Date(2020, 3, 16, 0, 0, 0, 0, src.Timezone)) {
		t.Errorf("undated page: Published = %v, want the sitemap's lastmod 2020-03-16", last.Published)
	}
	for _, it := range res.Items {
		if it.SourceID != src.ID || it.Via != src.Name || it.Published.IsZero() || it.Content == "" {
			t.Errorf("%s: SourceID %q, Via %q, Published %v, %d bytes of content", it.URL, it.SourceID, it.Via, it.Published, len(it.Content))
		}
	}
	if res.ETag != `"idx-1"` || res.BodyHash == "" {
		t.Errorf("ETag, BodyHash = %q, %q; want the index's, after a complete run", res.ETag, res.BodyHash)
	}

	// The next run asks conditionally and the index answers 304.
	prev := hub.FetchState{SourceID: src.ID, ETag: res.ETag, BodyHash: res.BodyHash}
	res, err = f.Fetch(t.Context(), src, prev)
	if err != nil || !res.NotModified {
		t.Fatalf("second fetch = %+v, %v; want not modified", res, err)
	}
	if got := s.requests(); !slices.Equal(got, []string{"/sitemap_index.xml"}) {
		t.Errorf("second run requests %q, want only the index", got)
	}
	if s.inm[len(s.inm)-1] != `"idx-1"` {
		t.Errorf("If-None-Match = %q, want the stored ETag", s.inm[len(s.inm)-1])
	}
}

// TestFetchSitemapLimits: a run reads at most max_articles pages, the
// newest new ones; a capped run keeps no validators, so that the next run
// reads on; known URLs are not fetched again.
func TestFetchSitemapLimits(t *testing.T) {
	s := newSitemapSite(t)
	known := &knownSet{urls: map[string]bool{s.srv.URL + "/n1/2020/0420/c1001-1.html": true}}
	f := New(Options{Known: known})
	src := s.source("/sitemap_index.xml", `/n1/`, 2)
	res, err := f.Fetch(t.Context(), src, hub.FetchState{SourceID: src.ID})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := titles(res.Items), []string{"春耕生产全面展开", "多地推出惠企政策"}; !slices.Equal(got, want) {
		t.Errorf("titles = %q, want the two newest not stored %q", got, want)
	}
	if res.ETag != "" || res.BodyHash != "" {
		t.Errorf("capped run kept validators %q, %q", res.ETag, res.BodyHash)
	}
	for _, p := range s.requests() {
		if p == "/n1/2020/0420/c1001-1.html" {
			t.Errorf("fetched a stored article again")
		}
	}
}

// TestFetchSitemapPlain: a plain urlset or a Google News sitemap read
// directly, gzipped or not; without match every page, a fragment dropped.
func TestFetchSitemapPlain(t *testing.T) {
	s := newSitemapSite(t)
	f := New(Options{})
	tests := []struct {
		path, match string
		want        []string
	}{
		{"/sitemap/2020-04.xml", "", []string{"春耕生产全面展开", "坚持稳中求进 推动高质量发展", "青年志愿者走进社区"}},
		{"/sitemap/news.xml.gz", `c1001-\d+\.html$`, []string{"坚持稳中求进 推动高质量发展", "多地推出惠企政策"}},
	}
	for _, tt := range tests {
		res, err := f.Fetch(t.Context(), s.source(tt.path, tt.match, 10), hub.FetchState{})
		if err != nil {
			t.Errorf("%s: %v", tt.path, err)
			continue
		}
		if got := titles(res.Items); !slices.Equal(got, tt.want) {
			t.Errorf("%s: titles = %q, want %q", tt.path, got, tt.want)
		}
	}
}

func TestFetchSitemapErrors(t *testing.T) {
	s := newSitemapSite(t)
	f := New(Options{})
	tests := []struct {
		path, match, want string
	}{
		{"/sitemap/2020-04.xml", `/nothing/`, "no article URLs that match"},
		{"/n1/2020/0420/c1001-2.html", "", "not a sitemap"},
		{"/absent.xml", "", "HTTP 404"},
		{"/sitemap/2020-04.xml", `(`, "sitemap.match"},
	}
	for _, tt := range tests {
		_, err := f.Fetch(t.Context(), s.source(tt.path, tt.match, 10), hub.FetchState{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s match %q: error %v, want %q", tt.path, tt.match, err, tt.want)
		}
	}
}

func TestParseSitemap(t *testing.T) {
	sh := shanghaiZone(t)
	doc, err := parseSitemap([]byte(fmt.Sprintf(newsSitemap, "http://x")), sh)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Index || len(doc.Entries) != 3 {
		t.Fatalf("doc = %+v, want a urlset of 3", doc)
	}
	e := doc.Entries[2]
	if e.Loc != "http://x/n1/2020/0420/c1001-1.html" || e.Title != "坚持稳中求进 推动高质量发展" ||
		!e.Date.Equal(time.Date(2020, 4, 20, 8, 30, 0, 0, sh)) {
		t.Errorf("entry = %+v", e)
	}
	doc, err = parseSitemap([]byte(fmt.Sprintf(sitemapIndex, "http://x")), sh)
	if err != nil || !doc.Index || len(doc.Entries) != 4 || !doc.Entries[0].Date.Equal(time.Date(2019, 12, 31, 0, 0, 0, 0, sh)) {
		t.Errorf("index = %+v, %v", doc, err)
	}
	for _, bad := range []string{"", "<html><body>x</body></html>", "not xml"} {
		if _, err := parseSitemap([]byte(bad), sh); err == nil {
			t.Errorf("parseSitemap(%q): no error", bad)
		}
	}
}

func FuzzParseSitemap(f *testing.F) {
	for _, d := range []string{sitemapIndex, newsSitemap, aprilSitemap, "<urlset><url><loc>x</loc></url>"} {
		f.Add([]byte(fmt.Sprintf(d, "http://x")))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		out, err := parseSitemap(doc, time.UTC)
		if err == nil && len(out.Entries) > maxSitemapURLs {
			t.Errorf("%d entries, more than %d", len(out.Entries), maxSitemapURLs)
		}
	})
}
