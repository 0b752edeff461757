// Package e2e runs the real yizhan binary against local upstreams and reads
// what it publishes back with independent clients: Debian's python3-feedparser,
// jing with the RFC 4287 RELAX NG schema, python3-jsonschema with the JSON
// Feed 1.1 schema, and xmllint.
package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	// The binary under test is built with "go build", which the test cache
	// cannot see; importing the packages it is made of makes a change to any
	// of them rerun these tests instead of reusing a result (build reads
	// cmd/yizhan, which cannot be imported, for the same reason).
	_ "github.com/yizhan-hub/yizhan/feeds"
	_ "github.com/yizhan-hub/yizhan/hub"
	_ "github.com/yizhan-hub/yizhan/hub/sqlite"
	_ "github.com/yizhan-hub/yizhan/sources"
)

var binDir string // where the binary is built, removed by TestMain

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "yizhan-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// build builds the yizhan binary, once. It first reads the files of
// cmd/yizhan itself: the test cache records what a test reads (only while
// tests run, not in TestMain), so a change to the command reruns these tests.
var build = sync.OnceValues(func() (string, error) {
	const src = "../cmd/yizhan"
	files, err := os.ReadDir(src)
	if err != nil {
		return "", err
	}
	for _, f := range files {
		if name := f.Name(); strings.HasSuffix(name, ".go") && !strings.HasSuffix(name, "_test.go") {
			if _, err := os.ReadFile(filepath.Join(src, name)); err != nil {
				return "", err
			}
		}
	}
	bin := filepath.Join(binDir, "yizhan")
	if out, err := exec.Command("go", "build", "-o", bin, src).CombinedOutput(); err != nil {
		return "", fmt.Errorf("build yizhan: %v\n%s", err, out)
	}
	return bin, nil
})

// yizhan returns the path of the yizhan binary under test.
func yizhan(t *testing.T) string {
	t.Helper()
	bin, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// need returns the path of an external tool or skips the test; under CI=true
// a missing tool fails it instead.
func need(t *testing.T, path string) string {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is missing (CI=true): %v", path, err)
		}
		t.Skipf("%s is missing; install it to run this test: %v", path, err)
	}
	return path
}

func lookPath(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		p = "/usr/bin/" + name
	}
	return need(t, p)
}

// upstream serves the fixtures the way real portals do: the RSS feed in
// GB18030 bytes under a gb2312 prolog, a broken feed answering 500.
func upstream(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/rss/politics.xml", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile("testdata/upstream/politics.rss")
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes(b)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("ETag", `"politics-1"`)
		if r.Header.Get("If-None-Match") == `"politics-1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Write(gb)
	})
	mux.HandleFunc("/rss/world.atom", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/atom+xml; charset=utf-8")
		http.ServeFile(w, r, "testdata/upstream/world.atom")
	})
	mux.HandleFunc("/theory/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		name := strings.TrimPrefix(r.URL.Path, "/theory/")
		if name == "" {
			name = "list.html"
		}
		http.ServeFile(w, r, filepath.Join("testdata/upstream", filepath.Base(name)))
	})
	mux.HandleFunc("/broken.xml", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream is down", http.StatusInternalServerError)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func writeConfig(t *testing.T, dir, up, listen string) string {
	t.Helper()
	cfg := fmt.Sprintf(`[hub]
title       = "驿站测试"
base_url    = "http://%[2]s"
listen      = "%[2]s"
database    = %[3]q
timezone    = "Asia/Shanghai"
feed_size   = 50
latest_size = 15

[[channel]]
id          = "politics"
title       = "时政"
description = "时政要闻"
copyright   = "频道内容版权归原作者所有"

[[channel]]
id          = "world"
title       = "国际"
description = "国际新闻"
copyright   = "频道内容版权归原作者所有"

[[source]]
id          = "people-politics"
name        = "人民网 · 时政"
kind        = "feed"
url         = "%[1]s/rss/politics.xml"
channels    = ["politics"]
schedule    = "@every 1h"
attribution = "人民日报"
copyright   = "人民网版权所有"

[[source]]
id          = "people-world"
name        = "人民网 · 国际"
kind        = "feed"
url         = "%[1]s/rss/world.atom"
channels    = ["world"]
schedule    = "@every 1h"
attribution = "人民日报"
copyright   = "人民网版权所有"

[[source]]
id          = "portal-theory"
name        = "地方门户 · 理论"
kind        = "html"
url         = "%[1]s/theory/"
channels    = ["politics"]
schedule    = "@every 1h"
copyright   = "地方门户网版权所有"

[source.html]
links = "ul.list a"

[[source]]
id          = "broken"
name        = "坏掉的源"
kind        = "feed"
url         = "%[1]s/broken.xml"
channels    = ["world"]
schedule    = "@every 1h"
enabled     = false
`, up, listen, filepath.Join(dir, "hub.db"))
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, yizhan(t), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return out.String(), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("yizhan %v: %v", args, err)
	}
	return out.String(), 0
}

// entry is what readfeed.py reports for one entry.
type entry struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Link        string `json:"link"`
	Author      string `json:"author"`
	Rights      string `json:"rights"`
	SourceTitle string `json:"source_title"`
	SourceHref  string `json:"source_href"`
	Published   int64  `json:"published"`
	Content     string `json:"content"`
	Links       []struct {
		Rel   string `json:"rel"`
		Href  string `json:"href"`
		Title string `json:"title"`
	} `json:"links"`
	Contributors []string `json:"contributors"`
}

type parsed struct {
	Bozo          bool    `json:"bozo"`
	BozoException string  `json:"bozo_exception"`
	Version       string  `json:"version"`
	Title         string  `json:"title"`
	Rights        string  `json:"rights"`
	Entries       []entry `json:"entries"`
	Links         []struct {
		Rel  string `json:"rel"`
		Href string `json:"href"`
	} `json:"links"`
}

func feedparser(t *testing.T, python, file string) parsed {
	t.Helper()
	out, err := exec.Command(python, "testdata/readfeed.py", file).Output()
	if err != nil {
		t.Fatalf("feedparser %s: %v", file, err)
	}
	var p parsed
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("feedparser output %s: %v\n%s", file, err, out)
	}
	if p.Bozo {
		t.Errorf("feedparser finds %s ill-formed: %s", filepath.Base(file), p.BozoException)
	}
	return p
}

func get(t *testing.T, url string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return res
}

func download(t *testing.T, url, file string) []byte {
	t.Helper()
	res := get(t, url, nil)
	defer res.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(res.Body); err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d: %s", url, res.StatusCode, buf.Bytes())
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func byTitle(p parsed) map[string]entry {
	m := make(map[string]entry)
	for _, e := range p.Entries {
		m[e.Title] = e
	}
	return m
}

func unix(s string) int64 {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

func TestEndToEnd(t *testing.T) {
	python := need(t, "/usr/bin/python3")
	if out, err := exec.Command(python, "-c", "import feedparser, jsonschema").CombinedOutput(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("python3-feedparser or python3-jsonschema missing (CI=true): %s", out)
		}
		t.Skipf("python3-feedparser or python3-jsonschema missing: %s", out)
	}
	jing := lookPath(t, "jing")
	xmllint := lookPath(t, "xmllint")
	schemas := need(t, "../../shared/corpora/schemas")

	up := upstream(t)
	dir := t.TempDir()
	listen := freePort(t)
	cfg := writeConfig(t, dir, up.URL, listen)

	if out, code := run(t, "check", "-config", cfg); code != 0 {
		t.Fatalf("yizhan check = %d:\n%s", code, out)
	}

	out, code := run(t, "fetch", "-config", cfg)
	if code != 0 {
		t.Fatalf("yizhan fetch = %d, want 0:\n%s", code, out)
	}
	for _, id := range []string{"people-politics", "people-world", "portal-theory"} {
		if !strings.Contains(out, id) {
			t.Errorf("fetch output lacks a line for %s:\n%s", id, out)
		}
	}
	if out, code := run(t, "fetch", "-config", cfg, "broken"); code != 1 || !strings.Contains(out, "broken") {
		t.Errorf("yizhan fetch broken = %d, want 1 and a line naming it:\n%s", code, out)
	}
	// Fetching again stores nothing new and duplicates nothing: both
	// upstreams answer the validators with 304.
	out, code = run(t, "fetch", "-config", cfg, "people-politics", "people-world")
	if code != 0 || strings.Count(out, "not modified") != 2 {
		t.Errorf("second fetch = %d, want 0 and two sources not modified:\n%s", code, out)
	}

	srv := startServe(t, cfg, listen)
	base := srv.base

	files := map[string]string{}
	for _, f := range []string{"politics.rss", "politics.atom", "politics.json", "world.rss", "world.atom", "world.json", "latest.rss", "latest.atom", "latest.json"} {
		files[f] = filepath.Join(dir, f)
		body := download(t, base+"/feeds/"+f, files[f])
		for _, bad := range []string{"<script", "javascript:", "onerror", "onclick"} {
			if bytes.Contains(bytes.ToLower(body), []byte(bad)) {
				t.Errorf("%s carries %q from upstream HTML", f, bad)
			}
		}
	}

	t.Run("rss", func(t *testing.T) {
		p := feedparser(t, python, files["politics.rss"])
		if p.Rights != "频道内容版权归原作者所有" {
			t.Errorf("channel rights = %q", p.Rights)
		}
		if len(p.Entries) != 3 {
			t.Fatalf("politics.rss has %d entries, want 3: %+v", len(p.Entries), p.Entries)
		}
		es := byTitle(p)
		tests := []struct {
			title, credit, creditURL, author, rights, published string
		}{
			// The item's own <source> wins; CST is China Standard Time.
			{"全国秋粮收购进度过半", "人民日报", "http://paper.people.com.cn/", "李红军", "本文版权归人民日报所有", "2026-11-26T00:30:00Z"},
			// No claim: the source's attribution and copyright; a zoneless date in hub.timezone.
			{"长江流域禁渔效果显现", "人民日报", "", "", "人民网版权所有", "2026-11-26T01:15:00Z"},
			// An HTML page: 来源 from the byline, 版权声明 as rights. Its
			// 编辑:王小明 is the editor, not the author (SPEC "Items").
			{"坚持以人民为中心的发展思想", "人民日报", "", "", "", "2026-11-25T23:20:00Z"},
		}
		for _, tt := range tests {
			e, ok := es[tt.title]
			if !ok {
				t.Errorf("no entry titled %q; entries: %v", tt.title, p.Entries)
				continue
			}
			if e.SourceTitle != tt.credit {
				t.Errorf("%s: source = %q, want %q", tt.title, e.SourceTitle, tt.credit)
			}
			if tt.creditURL != "" && e.SourceHref != tt.creditURL {
				t.Errorf("%s: source url = %q, want %q", tt.title, e.SourceHref, tt.creditURL)
			}
			if e.Author != tt.author {
				t.Errorf("%s: author = %q, want %q", tt.title, e.Author, tt.author)
			}
			if tt.rights != "" && e.Rights != tt.rights {
				t.Errorf("%s: rights = %q, want %q", tt.title, e.Rights, tt.rights)
			}
			if tt.rights == "" && !strings.Contains(e.Rights, "版权") {
				t.Errorf("%s: rights = %q, want the page's 版权声明", tt.title, e.Rights)
			}
			if want := unix(tt.published); e.Published != want {
				t.Errorf("%s: published = %s, want %s", tt.title, time.Unix(e.Published, 0).UTC(), tt.published)
			}
			if !strings.Contains(e.Content, tt.credit) {
				t.Errorf("%s: content has no attribution footer naming %q:\n%s", tt.title, tt.credit, e.Content)
			}
		}
		if e := es["坚持以人民为中心的发展思想"]; strings.Contains(e.Content, "即时播报") || !strings.Contains(e.Content, "根本立场") {
			t.Errorf("HTML article body is not the article alone:\n%s", e.Content)
		}
		if out, err := exec.Command(xmllint, "--noout", files["politics.rss"]).CombinedOutput(); err != nil {
			t.Errorf("xmllint politics.rss: %v\n%s", err, out)
		}
	})

	t.Run("atom", func(t *testing.T) {
		for _, f := range []string{"politics.atom", "world.atom", "latest.atom"} {
			if out, err := exec.Command(jing, "-c", filepath.Join(schemas, "atom-rfc4287.rnc"), files[f]).CombinedOutput(); err != nil {
				t.Errorf("jing %s: %v\n%s", f, err, out)
			}
		}
		p := feedparser(t, python, files["world.atom"])
		if len(p.Entries) != 1 {
			t.Fatalf("world.atom has %d entries, want 1", len(p.Entries))
		}
		e := p.Entries[0]
		if e.Title != "多国代表出席国际进口博览会" || e.Author != "张三" || e.Rights != "新华社版权所有" || e.SourceTitle != "新华社" {
			t.Errorf("world.atom entry = %+v", e)
		}
		if e.Link != "http://world.people.com.cn/n1/2026/1126/c1002-1.html" {
			t.Errorf("link = %q, want it resolved against xml:base", e.Link)
		}
		if want := unix("2026-11-26T02:00:00Z"); e.Published != want {
			t.Errorf("published = %s", time.Unix(e.Published, 0).UTC())
		}
		self := false
		for _, l := range p.Links {
			self = self || (l.Rel == "self" && l.Href == base+"/feeds/world.atom")
		}
		if !self {
			t.Errorf("world.atom has no self link to %s: %+v", base+"/feeds/world.atom", p.Links)
		}
	})

	t.Run("json", func(t *testing.T) {
		for _, f := range []string{"politics.json", "world.json", "latest.json"} {
			out, err := exec.Command(python, "testdata/validate_json.py", filepath.Join(schemas, "jsonfeed-v1.1.schema.json"), files[f]).CombinedOutput()
			if err != nil {
				t.Errorf("%s does not validate against the JSON Feed 1.1 schema: %v\n%s", f, err, out)
			}
		}
		var feed struct {
			Version string `json:"version"`
			FeedURL string `json:"feed_url"`
			Items   []struct {
				Title       string                  `json:"title"`
				Authors     []struct{ Name string } `json:"authors"`
				Attribution struct {
					Credit    string `json:"credit"`
					CreditURL string `json:"credit_url"`
					Via       string `json:"via"`
					Copyright string `json:"copyright"`
				} `json:"_attribution"`
			} `json:"items"`
		}
		b, _ := os.ReadFile(files["world.json"])
		if err := json.Unmarshal(b, &feed); err != nil {
			t.Fatal(err)
		}
		if feed.Version != "https://jsonfeed.org/version/1.1" || feed.FeedURL != base+"/feeds/world.json" || len(feed.Items) != 1 {
			t.Fatalf("world.json = %s", b)
		}
		it := feed.Items[0]
		if it.Attribution.Credit != "新华社" || it.Attribution.CreditURL != "http://www.news.cn/" || it.Attribution.Via != "人民网 · 国际" || it.Attribution.Copyright != "新华社版权所有" {
			t.Errorf("_attribution = %+v", it.Attribution)
		}
		if len(it.Authors) != 1 || it.Authors[0].Name != "张三" {
			t.Errorf("authors = %+v", it.Authors)
		}
	})

	t.Run("latest", func(t *testing.T) {
		p := feedparser(t, python, files["latest.rss"])
		if len(p.Entries) != 4 {
			t.Errorf("latest has %d entries, want 4 (each item once)", len(p.Entries))
		}
		for i := 1; i < len(p.Entries); i++ {
			if p.Entries[i].Published > p.Entries[i-1].Published {
				t.Errorf("latest is not newest first at %d", i)
			}
		}
	})

	t.Run("http", func(t *testing.T) {
		res := get(t, base+"/feeds/politics.rss", nil)
		res.Body.Close()
		etag := res.Header.Get("ETag")
		if etag == "" || strings.HasPrefix(etag, "W/") || res.Header.Get("Last-Modified") == "" {
			t.Fatalf("ETag %q, Last-Modified %q: want a strong ETag and a date", etag, res.Header.Get("Last-Modified"))
		}
		if res := get(t, base+"/feeds/politics.rss", map[string]string{"If-None-Match": etag}); res.StatusCode != http.StatusNotModified {
			t.Errorf("conditional GET = %d, want 304", res.StatusCode)
		}
		for path, want := range map[string]int{"/feeds/nowhere.rss": 404, "/feeds/politics.txt": 404, "/feeds/politics.rss?limit=0": 400, "/feeds/politics.rss?limit=51": 400, "/feeds/politics.rss?limit=1": 200, "/opml": 200, "/": 200, "/status": 200} {
			res := get(t, base+path, nil)
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("GET %s = %d, want %d", path, res.StatusCode, want)
			}
		}
		opml := download(t, base+"/opml", filepath.Join(dir, "hub.opml"))
		if out, err := exec.Command(xmllint, "--noout", filepath.Join(dir, "hub.opml")).CombinedOutput(); err != nil {
			t.Errorf("xmllint opml: %v\n%s", err, out)
		}
		if !bytes.Contains(opml, []byte(base+"/feeds/politics.rss")) {
			t.Errorf("OPML does not list politics.rss:\n%s", opml)
		}
	})

	t.Run("query variants", func(t *testing.T) {
		// 秋粮, to traditional characters: the one item about the autumn grain.
		rss := filepath.Join(dir, "politics-filtered.rss")
		download(t, base+"/feeds/politics.rss?filter=%E7%A7%8B%E7%B2%AE&opencc=s2t&utm_source=e2e", rss)
		p := feedparser(t, python, rss) // fails on a feed it finds ill-formed
		if len(p.Entries) != 1 || p.Entries[0].Title != "全國秋糧收購進度過半" || p.Entries[0].SourceTitle != "人民日報" ||
			p.Entries[0].Author != "李紅軍" || !strings.Contains(p.Entries[0].Content, "來源") {
			t.Errorf("filtered and converted politics.rss = %+v", p.Entries)
		}
		self := false
		for _, l := range p.Links {
			self = self || (l.Rel == "self" && l.Href == base+"/feeds/politics.rss?filter=%E7%A7%8B%E7%B2%AE&opencc=s2t")
		}
		if !self {
			t.Errorf("no self link with the canonical query: %+v", p.Links)
		}
		if out, err := exec.Command(xmllint, "--noout", rss).CombinedOutput(); err != nil {
			t.Errorf("xmllint: %v\n%s", err, out)
		}
		atom := filepath.Join(dir, "politics-hk.atom")
		download(t, base+"/feeds/politics.atom?filterout_title=%E7%A7%8B%E7%B2%AE&opencc=s2hk", atom)
		if out, err := exec.Command(jing, "-c", filepath.Join(schemas, "atom-rfc4287.rnc"), atom).CombinedOutput(); err != nil {
			t.Errorf("jing: %v\n%s", err, out)
		}
		if p := feedparser(t, python, atom); len(p.Entries) != 2 {
			t.Errorf("filterout_title left %d entries, want 2", len(p.Entries))
		}
		js := filepath.Join(dir, "politics-brief.json")
		download(t, base+"/feeds/politics.json?brief=100", js)
		if out, err := exec.Command(python, "testdata/validate_json.py", filepath.Join(schemas, "jsonfeed-v1.1.schema.json"), js).CombinedOutput(); err != nil {
			t.Errorf("brief JSON Feed does not validate: %v\n%s", err, out)
		}
		for path, want := range map[string]int{"/feeds/politics.rss?filter=(": 400, "/feeds/latest.json?opencc=x": 400, "/feeds/latest.json?source=people-world": 200} {
			res := get(t, base+path, nil)
			res.Body.Close()
			if res.StatusCode != want {
				t.Errorf("GET %s = %d, want %d", path, res.StatusCode, want)
			}
		}
	})

	t.Run("newsboat", func(t *testing.T) {
		newsboat := lookPath(t, "newsboat")
		home := t.TempDir()
		urls := filepath.Join(home, "urls")
		os.WriteFile(urls, []byte(base+"/feeds/politics.rss\n"+base+"/feeds/world.atom\n"), 0o644)
		os.WriteFile(filepath.Join(home, "config"), nil, 0o644)
		cache, logf := filepath.Join(home, "cache.db"), filepath.Join(home, "newsboat.log")
		cmd := exec.Command(newsboat, "-u", urls, "-c", cache, "-C", filepath.Join(home, "config"), "-d", logf, "-l", "4", "-x", "reload")
		cmd.Env = append(os.Environ(), "HOME="+home)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("newsboat reload: %v\n%s", err, out)
		}
		// newsboat exits 0 whatever happened: its log and cache tell.
		if log, _ := os.ReadFile(logf); bytes.Contains(log, []byte("ERROR")) {
			t.Errorf("newsboat logged errors:\n%s", log)
		}
		out, err := exec.Command(python, "-c", `import json, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
json.dump([dict(feed=r[0], title=r[1], author=r[2], date=r[3]) for r in c.execute("select feedurl, title, author, pubDate from rss_item")], sys.stdout, ensure_ascii=False)`, cache).Output()
		if err != nil {
			t.Fatalf("read newsboat's cache: %v", err)
		}
		var got []struct {
			Feed, Title, Author string
			Date                int64
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		want := map[string]struct {
			author string
			date   int64
		}{
			"全国秋粮收购进度过半":    {"李红军", unix("2026-11-26T00:30:00Z")},
			"长江流域禁渔效果显现":    {"", unix("2026-11-26T01:15:00Z")},
			"坚持以人民为中心的发展思想": {"", unix("2026-11-25T23:20:00Z")}, // 编辑:王小明 is no author
			"多国代表出席国际进口博览会": {"张三", unix("2026-11-26T02:00:00Z")},
		}
		if len(got) != len(want) {
			t.Errorf("newsboat stored %d items, want %d: %+v", len(got), len(want), got)
		}
		for _, g := range got {
			w, ok := want[g.Title]
			if !ok {
				t.Errorf("newsboat has an unexpected item %q", g.Title)
				continue
			}
			if g.Author != w.author || g.Date != w.date {
				t.Errorf("newsboat %q: author %q date %s; want %q %s", g.Title, g.Author, time.Unix(g.Date, 0).UTC(), w.author, time.Unix(w.date, 0).UTC())
			}
		}
	})

	srv.stop(t)
}
