package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan-hub/yizhan/internal/testenv"
)

// repostUpstream serves a provincial portal's theory column, which reposts a
// People's Daily commentary, and people.com.cn's opinion feed, which has it
// as an 80-character summary.
func repostUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/portal/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/portal/")
		if name == "" {
			name = "repost_list.html"
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		http.ServeFile(w, r, filepath.Join("testdata/upstream", filepath.Base(name)))
	})
	mux.HandleFunc("/rss/opinion.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/rss+xml; charset=utf-8")
		http.ServeFile(w, r, "testdata/upstream/opinion.rss")
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func writeRepostConfig(t *testing.T, dir, up, listen string, dedup bool) string {
	t.Helper()
	cfg := fmt.Sprintf(`[hub]
title    = "驿站测试"
base_url = "http://%[2]s"
listen   = "%[2]s"
database = %[3]q
dedup    = %[4]v

[[channel]]
id    = "opinion"
title = "观点"

[[channel]]
id    = "theory"
title = "理论"

[[source]]
id          = "people-opinion"
name        = "人民网 · 观点"
url         = "%[1]s/rss/opinion.xml"
channels    = ["opinion"]
schedule    = "@every 1h"
attribution = "人民日报"

[[source]]
id       = "portal-theory"
name     = "某省门户网 · 理论"
kind     = "html"
url      = "%[1]s/portal/"
channels = ["theory"]
schedule = "@every 1h"

[source.html]
links = "ul.list a"
`, up, listen, filepath.Join(dir, "hub.db"), dedup)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestRepostOneStory: a portal's repost is fetched first, the publisher's
// feed second. The ticker shows the commentary once, under the id of the
// copy stored first, with the publisher's link and the portal as a carrier
// in every format, as Universal Feed Parser reads them; the portal's own
// channel credits the publisher's copy. A reload with dedup = false shows
// both copies again.
func TestRepostOneStory(t *testing.T) {
	python := need(t, "/usr/bin/python3")
	up := repostUpstream(t)
	dir := t.TempDir()
	listen := freePort(t)
	cfg := writeRepostConfig(t, dir, up.URL, listen, true)
	for _, src := range []string{"portal-theory", "people-opinion"} {
		if out, code := run(t, "fetch", "-config", cfg, src); code != 0 {
			t.Fatalf("yizhan fetch %s = %d:\n%s", src, code, out)
		}
	}
	s := startServe(t, cfg, listen)
	const (
		title     = "持之以恒为基层减负"
		ownURL    = "http://opinion.people.com.cn/n1/2026/1126/c1003-40000001.html"
		portal    = "某省门户网 · 理论"
		otherNews = "以高质量发展推进中国式现代化"
	)
	repostURL := up.URL + "/portal/repost_article.html"

	theory := feedparser(t, python, saveFeed(t, s.base+"/feeds/theory.atom", dir))
	if len(theory.Entries) != 1 {
		t.Fatalf("theory has %d entries, want the portal's repost", len(theory.Entries))
	}
	rp := theory.Entries[0]
	if rp.Link != repostURL || rp.SourceHref != ownURL {
		t.Errorf("theory entry link %q, source %q; want the repost at %s crediting %s", rp.Link, rp.SourceHref, repostURL, ownURL)
	}

	atom := feedparser(t, python, saveFeed(t, s.base+"/feeds/latest.atom", dir))
	var story []entry
	for _, e := range atom.Entries {
		if strings.Contains(e.Title, title) {
			story = append(story, e)
		}
	}
	if len(story) != 1 || len(atom.Entries) != 2 {
		t.Fatalf("latest.atom has %d entries, %d of them %s; want it once beside %s", len(atom.Entries), len(story), title, otherNews)
	}
	e := story[0]
	if e.ID != rp.ID {
		t.Errorf("latest id = %q, want the first-stored copy's, the repost's %q", e.ID, rp.ID)
	}
	if e.Link != ownURL || e.Title != title {
		t.Errorf("latest entry %q at %q, want the publisher's copy %q at %s", e.Title, e.Link, title, ownURL)
	}
	related := false
	for _, l := range e.Links {
		related = related || l.Rel == "related" && l.Href == repostURL && l.Title == portal
	}
	if !related {
		t.Errorf("latest entry links %+v, want rel=related %s titled %q", e.Links, repostURL, portal)
	}

	rss := feedparser(t, python, saveFeed(t, s.base+"/feeds/latest.rss", dir))
	if len(rss.Entries) != 2 {
		t.Fatalf("latest.rss has %d entries, want 2", len(rss.Entries))
	}
	for _, e := range rss.Entries {
		if e.Title == title && !strings.Contains(e.Content, "转载：") || e.Title == title && !strings.Contains(e.Content, portal) {
			t.Errorf("latest.rss %s: content %q lacks the footer line 转载：%s", title, e.Content, portal)
		}
	}

	var jf struct {
		Items []struct {
			ID          string `json:"id"`
			URL         string `json:"url"`
			Attribution struct {
				CarriedBy []struct{ Name, URL string } `json:"carried_by"`
			} `json:"_attribution"`
		} `json:"items"`
	}
	if err := json.Unmarshal(download(t, s.base+"/feeds/latest.json", filepath.Join(dir, "latest.json")), &jf); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, it := range jf.Items {
		if it.URL == ownURL {
			found = true
			if it.ID != rp.ID || len(it.Attribution.CarriedBy) != 1 || it.Attribution.CarriedBy[0].Name != portal || it.Attribution.CarriedBy[0].URL != repostURL {
				t.Errorf("latest.json item %+v, want id %s carried by %s at %s", it, rp.ID, portal, repostURL)
			}
		}
	}
	if !found || len(jf.Items) != 2 {
		t.Errorf("latest.json has %d items, the publisher's copy among them: %v; want 2 and true", len(jf.Items), found)
	}

	writeRepostConfig(t, dir, up.URL, listen, false)
	if err := s.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "dedup = false to show both copies", func() bool {
		return len(readJSONFeed(t, s.base+"/feeds/latest.json").Items) == 3
	})
	s.stop(t)
}

// saveFeed downloads a feed into dir and returns the file's path.
func saveFeed(t *testing.T, url, dir string) string {
	t.Helper()
	path := filepath.Join(dir, filepath.Base(url))
	download(t, url, path)
	return path
}

// TestPostgresStore runs the same story with the store in PostgreSQL
// ($YIZHAN_DATABASE, a schema of its own): fetch stores through it, serve
// publishes from it, and the repost still collapses.
func TestPostgresStore(t *testing.T) {
	t.Setenv("YIZHAN_DATABASE", postgresSchema(t, "e2e").String())

	up := repostUpstream(t)
	dir := t.TempDir()
	listen := freePort(t)
	cfg := writeRepostConfig(t, dir, up.URL, listen, true)
	for _, src := range []string{"portal-theory", "people-opinion"} {
		if out, code := run(t, "fetch", "-config", cfg, src); code != 0 {
			t.Fatalf("yizhan fetch %s = %d:\n%s", src, code, out)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "hub.db")); err == nil {
		t.Errorf("an SQLite file was created beside the config despite YIZHAN_DATABASE")
	}
	s := startServe(t, cfg, listen)
	f := readJSONFeed(t, s.base+"/feeds/latest.json")
	if len(f.Items) != 2 {
		t.Errorf("latest.json from PostgreSQL has %d items, want 2 (the repost collapsed)", len(f.Items))
	}
	out, code := run(t, "sources", "-config", cfg)
	if code != 0 || !strings.Contains(out, "portal-theory") || !strings.Contains(out, "people-opinion") {
		t.Errorf("yizhan sources = %d:\n%s", code, out)
	}
	s.stop(t)
}

// postgresSchema returns the URL of a new schema of the test database
// ($YIZHAN_TEST_POSTGRES), named after name and the process, dropped when t
// ends; it skips t (fails it under CI) without a test database.
func postgresSchema(t *testing.T, name string) *url.URL {
	t.Helper()
	base := os.Getenv("YIZHAN_TEST_POSTGRES")
	if base == "" {
		testenv.Skip(t, "%s", "YIZHAN_TEST_POSTGRES is not set: start a throwaway cluster with eval \"$(.ci/postgres.sh)\"")
	}
	schema := fmt.Sprintf("%s_%d", name, os.Getpid())
	psql(t, base, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema)
	t.Cleanup(func() { psql(t, base, "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u
}

// psql runs SQL on the database at url with pgx.
func psql(t *testing.T, url, sql string) {
	t.Helper()
	c, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatalf("connect %s: %v", url, err)
	}
	defer c.Close(context.Background())
	if _, err := c.Exec(context.Background(), sql); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}
