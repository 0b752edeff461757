package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPagingFeedparser fetches a 120-item feed into a hub whose feeds hold
// 50, and follows the next links of the channel's Atom and RSS feeds with
// python3-feedparser: 50, 50 and 20 entries, each item once, newest first,
// the last page without a next link.
func TestPagingFeedparser(t *testing.T) {
	python := need(t, "/usr/bin/python3")
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title><link>http://example.cn/</link><description>d</description>`)
	start := time.Date(2026, 11, 1, 8, 0, 0, 0, time.FixedZone("CST", 8*3600))
	for i := range 120 {
		fmt.Fprintf(&b, "<item><title>第%d条</title><link>http://example.cn/n/%d.html</link><pubDate>%s</pubDate><description>内容%d</description></item>",
			i, i, start.Add(time.Duration(i/3)*time.Hour).Format(time.RFC1123Z), i)
	}
	b.WriteString("</channel></rss>")
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		w.Write([]byte(b.String()))
	}))
	t.Cleanup(up.Close)
	dir := t.TempDir()
	listen := freePort(t)
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`[hub]
base_url = "http://%[1]s"
listen   = %[1]q
database = %[2]q

[[channel]]
id = "news"

[[source]]
id       = "many"
name     = "某网"
url      = %[3]q
channels = ["news"]
schedule = "@every 1h"
`, listen, filepath.Join(dir, "hub.db"), up.URL)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, code := run(t, "fetch", "-config", cfg); code != 0 {
		t.Fatalf("fetch = %d\n%s", code, out)
	}
	s := startServe(t, cfg, listen)
	for _, ext := range []string{"atom", "rss"} {
		url := s.base + "/feeds/news." + ext
		seen := map[string]bool{}
		var sizes []int
		last := 1 << 30
		for page := 0; url != ""; page++ {
			if page > 5 {
				t.Fatalf("%s: more than 5 pages", ext)
			}
			p := feedparser(t, python, saveFeed(t, url, dir))
			sizes = append(sizes, len(p.Entries))
			for _, e := range p.Entries {
				if seen[e.Title] {
					t.Errorf("%s: %s on two pages", ext, e.Title)
				}
				seen[e.Title] = true
				var n int
				fmt.Sscanf(e.Title, "第%d条", &n)
				if n/3 > last/3 {
					t.Errorf("%s: %s after a newer item", ext, e.Title)
				}
				last = n
			}
			url = ""
			for _, l := range p.Links {
				if l.Rel == "next" {
					url = l.Href
				}
			}
		}
		if len(seen) != 120 || fmt.Sprint(sizes) != "[50 50 20]" {
			t.Errorf("%s: %d items in pages of %v, want 120 in [50 50 20]", ext, len(seen), sizes)
		}
	}
	s.stop(t)
}
