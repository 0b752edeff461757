package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/yizhan-hub/yizhan/internal/testenv"
)

const discoverRSS = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>人民网-时政频道</title><link>http://example.cn/</link><description>时政</description>
<item><title>一</title><link>http://example.cn/1.html</link></item>
<item><title>二</title><link>http://example.cn/2.html</link></item>
</channel></rss>`

// discoverSite serves a page with feeds, one with nothing, a PDF, and the
// saved ndrc.gov.cn listing with its two saved articles when the corpora
// are there (listing set).
func discoverSite(t *testing.T, listing bool) *httptest.Server {
	t.Helper()
	files := map[string]string{}
	var dir string
	if listing {
		dir = testenv.Corpora(t, "cn-html/listings")
		files = map[string]string{
			"/xxgk/zcfb/fzggwl/":                              "gov-ndrc-fzggwl.html",
			"/xxgk/zcfb/fzggwl/202604/t20260409_1404577.html": "gov-ndrc-fzggwl-article-1.html",
			"/xxgk/zcfb/fzggwl/202602/t20260211_1403694.html": "gov-ndrc-fzggwl-article-2.html",
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f, ok := files[r.URL.Path]; ok {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Error(err)
			}
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(b)
			return
		}
		switch r.URL.Path {
		case "/politics/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<html><head><base href="/feeds/"><title>时政</title>
<link rel="alternate" type="application/rss+xml" href="politics.xml"></head>
<body><a href="politics.xml">RSS</a></body></html>`))
		case "/feeds/politics.xml":
			w.Header().Set("Content-Type", "application/rss+xml")
			w.Write([]byte(discoverRSS))
		case "/sitemap.xml":
			w.Header().Set("Content-Type", "application/xml")
			w.Write([]byte(`<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>http://example.cn/n1/2026/1201/c1-1.html</loc><lastmod>2026-12-01T08:00:00+08:00</lastmod></url></urlset>`))
		case "/about.html":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<html><head><title>关于我们</title></head><body><p>本站简介。</p></body></html>`))
		case "/doc.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			w.Write([]byte("%PDF-1.4"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// checkTables appends what discover printed to a configuration declaring
// its channel and validates the whole.
func checkTables(t *testing.T, out string) {
	t.Helper()
	doc := "[[channel]]\nid = \"news\"\n\n" + out
	if _, err := parseConfig("c.toml", []byte(doc)); err != nil {
		t.Errorf("the tables do not validate: %v\n%s", err, doc)
	}
}

func TestDiscoverCommandFeeds(t *testing.T) {
	srv := discoverSite(t, false)
	code, out, errOut := runCmd(t, nil, "discover", srv.URL+"/politics/")
	if code != exitOK {
		t.Fatalf("discover = %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"# yizhan discover: 1 feed on " + srv.URL + "/politics/ (时政).",
		`# 人民网-时政频道 — RSS, 2 items; advertised with <link rel="alternate">`,
		`url      = "` + srv.URL + `/feeds/politics.xml"`,
		`channels = ["news"]`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Count(out, "[[source]]") != 1 {
		t.Errorf("the feed in <head> and in the body is one feed:\n%s", out)
	}
	checkTables(t, out)
}

func TestDiscoverCommandSitemap(t *testing.T) {
	srv := discoverSite(t, false)
	code, out, errOut := runCmd(t, nil, "discover", srv.URL+"/sitemap.xml")
	if code != exitOK {
		t.Fatalf("discover = %d, stderr %q", code, errOut)
	}
	for _, want := range []string{"is a sitemap of 1 URL, the newest of 2026-12-01 08:00.", `kind        = "sitemap"`, "[source.sitemap]"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	checkTables(t, out)
}

func TestDiscoverCommandListing(t *testing.T) {
	srv := discoverSite(t, true)
	code, out, errOut := runCmd(t, nil, "discover", srv.URL+"/xxgk/zcfb/fzggwl/")
	if code != exitOK {
		t.Fatalf("discover = %d, stderr %q", code, errOut)
	}
	for _, want := range []string{
		"it reads as a listing of 25 article links",
		"#   1. 《电力重大事故隐患判定标准及治理监督管理规定》 2026年第41号令\n#      2026-04-09 09:39 · 来源 国家能源局",
		"#   2. 《粮食流通行政执法办法》 2026年第40号令",
		`kind        = "html"`,
		"[source.html]\nlinks = \"ul.u-list > li > a\"",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	checkTables(t, out)
}

func TestDiscoverCommandFailures(t *testing.T) {
	srv := discoverSite(t, false)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, tt := range []struct {
		url    string
		code   int
		stderr string
	}{
		{srv.URL + "/about.html", exitFail, "no feed, and no list of article links"},
		{srv.URL + "/absent.html", exitFail, "answered HTTP 404 Not Found"},
		{srv.URL + "/doc.pdf", exitFail, "not an HTML page (Content-Type application/pdf)"},
		{closed.URL + "/", exitFail, "cannot reach " + closed.URL},
		{"ftp://example.cn/", exitUsage, "not an absolute http or https URL"},
	} {
		code, out, errOut := runCmd(t, nil, "discover", tt.url)
		if code != tt.code || !strings.Contains(errOut, tt.stderr) || out != "" {
			t.Errorf("discover %s = %d, stdout %q, stderr %q; want %d and %q", tt.url, code, out, errOut, tt.code, tt.stderr)
		}
	}
}
