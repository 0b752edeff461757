package sources

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
)

// feedSite serves pages that advertise feeds in every way Discover reads,
// and the feeds from testdata.
func feedSite(t *testing.T) *httptest.Server {
	t.Helper()
	pages := map[string]string{
		// In <head>, relative to the page; one type-less alternate that is
		// no feed (a translation) is not taken for one.
		"/politics/index.html": `<!DOCTYPE html><html><head><meta charset="utf-8"><title>时政频道</title>
<link rel="alternate" type="application/rss+xml" title="时政" href="../rss/politics.xml">
<link rel="alternate" type="application/atom+xml" href="/atom/theory.xml">
<link rel="alternate" hreflang="en" href="/en/politics/">
<link rel="stylesheet" href="/css/a.css"></head><body><p>时政</p></body></html>`,
		// In the body, resolved against <base>.
		"/body/index.html": `<html><head><base href="/feeds/"><title>订阅</title></head><body>
<ul class="nav"><li><a href="/">首页</a></li></ul>
<p><a href="theory.json">JSON Feed</a> · <a href="rss">RSS</a> · <a href="missing.xml">RSS 订阅</a></p></body></html>`,
		// Nothing at all.
		"/nothing.html": `<html><head><title>关于我们</title></head><body><p>本网站由示例单位主办。</p><a href="/">首页</a></body></html>`,
	}
	feeds := map[string]struct{ file, ct string }{
		"/rss/politics.xml":  {"people_politics_50_items.xml", "application/rss+xml"},
		"/atom/theory.xml":   {"atom_xml_base_rights_hostile.xml", "application/atom+xml"},
		"/feeds/theory.json": {"jsonfeed_1_1.json", "application/feed+json"},
		"/feeds/rss":         {"rss_1_0_rdf.xml", "text/xml"},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p, ok := pages[r.URL.Path]; ok {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(p))
			return
		}
		if f, ok := feeds[r.URL.Path]; ok {
			b, err := os.ReadFile(filepath.Join("testdata", f.file))
			if err != nil {
				t.Error(err)
			}
			w.Header().Set("Content-Type", f.ct)
			w.Write(b)
			return
		}
		switch r.URL.Path {
		case "/doc.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.4"))
		case "/gone.html":
			http.Error(w, "gone", http.StatusGone)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDiscoverFeeds(t *testing.T) {
	srv := feedSite(t)
	f := New(Options{})
	type feed struct {
		path, format string
		items        int
		head         bool
	}
	tests := []struct {
		page   string
		want   []feed
		failed []string
	}{
		{"/politics/index.html", []feed{{"/rss/politics.xml", "rss", 50, true}, {"/atom/theory.xml", "atom", 0, true}}, nil},
		{"/body/index.html", []feed{{"/feeds/theory.json", "json", 0, false}, {"/feeds/rss", "rss", 0, false}}, []string{"/feeds/missing.xml"}},
		// A feed's own URL is the feed.
		{"/rss/politics.xml", []feed{{"/rss/politics.xml", "rss", 50, true}}, nil},
	}
	for _, tt := range tests {
		d, err := f.Discover(t.Context(), srv.URL+tt.page, DiscoverOptions{})
		if err != nil {
			t.Errorf("%s: %v", tt.page, err)
			continue
		}
		if d.Listing != nil {
			t.Errorf("%s: proposed a listing beside feeds", tt.page)
		}
		var got []feed
		for _, ff := range d.Feeds {
			if ff.Title == "" || ff.Items == 0 {
				t.Errorf("%s: feed %s has title %q and %d items", tt.page, ff.URL, ff.Title, ff.Items)
			}
			items := ff.Items
			if items != 50 {
				items = 0 // only the 50-item feed's count is asserted
			}
			got = append(got, feed{strings.TrimPrefix(ff.URL, srv.URL), ff.Format, items, ff.InHead})
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: feeds = %+v, want %+v", tt.page, got, tt.want)
		}
		var failed []string
		for _, ff := range d.Failed {
			failed = append(failed, strings.TrimPrefix(ff.URL, srv.URL))
		}
		if !slices.Equal(failed, tt.failed) {
			t.Errorf("%s: failed = %q, want %q", tt.page, failed, tt.failed)
		}
	}
	d, err := f.Discover(t.Context(), srv.URL+"/politics/index.html", DiscoverOptions{})
	if err == nil && len(d.Feeds) > 0 && d.Feeds[0].Title != "人民网-时政频道" {
		t.Errorf("feed title = %q, want the feed's own", d.Feeds[0].Title)
	}
}

func TestDiscoverNothingAndErrors(t *testing.T) {
	srv := feedSite(t)
	f := New(Options{})
	d, err := f.Discover(t.Context(), srv.URL+"/nothing.html", DiscoverOptions{})
	if err != nil || len(d.Feeds) > 0 || d.Listing != nil || d.Title != "关于我们" {
		t.Errorf("page with nothing: %+v, %v; want no feed, no listing", d, err)
	}
	if _, err := f.Discover(t.Context(), srv.URL+"/doc.pdf", DiscoverOptions{}); !errors.Is(err, ErrNotHTML) {
		t.Errorf("PDF: %v, want ErrNotHTML", err)
	}
	var se *StatusError
	if _, err := f.Discover(t.Context(), srv.URL+"/gone.html", DiscoverOptions{}); !errors.As(err, &se) || se.Code != 410 {
		t.Errorf("410: %v, want a StatusError", err)
	}
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	if _, err := f.Discover(t.Context(), closed.URL+"/", DiscoverOptions{}); err == nil {
		t.Errorf("unreachable: no error")
	}
}

// FuzzProposeListing reads arbitrary pages as listings and for feeds: no
// panic, and a proposed selector always compiles and picks its links.
func FuzzProposeListing(f *testing.F) {
	for _, name := range []string{"gbk_listing.html", "listing_headlines_only.html", "sidebar_link_boxes.html"} {
		b, err := os.ReadFile(filepath.Join("testdata", "html", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`<ul class="a b"><li><a href="/1">第一篇文章的标题</a></li><li><a href="/2">第二篇文章的标题</a></li></ul>`))
	base, _ := url.Parse("http://example.cn/list/")
	f.Fuzz(func(t *testing.T, page []byte) {
		doc, err := goquery.NewDocumentFromReader(bytes.NewReader(page))
		if err != nil {
			return
		}
		feedCandidates(doc, base)
		if l := ProposeListing(doc, base); l != nil {
			if _, err := cascadia.ParseGroup(l.Links); err != nil {
				t.Errorf("selector %q does not compile: %v", l.Links, err)
			}
			if len(l.URLs) == 0 {
				t.Errorf("selector %q picks nothing", l.Links)
			}
		}
	})
}
