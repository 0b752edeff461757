package feeds

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests read what we publish with independent tools from Debian
// (libxml2-utils, jing, python3-jsonschema, python3-feedparser) and the
// schemas in ../shared/corpora. They skip when a tool or the corpora are
// missing, except in CI (CI=true), where that is a failure.

// need returns the path of tool, or skips (fails in CI) without it.
func need(t *testing.T, tool string) string {
	t.Helper()
	p, err := exec.LookPath(tool)
	if err != nil {
		missing(t, tool+" is not installed")
	}
	return p
}

// needPython returns /usr/bin/python3 if it imports module.
func needPython(t *testing.T, module string) string {
	t.Helper()
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import "+module).Run(); err != nil {
		missing(t, py+" cannot import "+module+" (Debian: python3-"+module+")")
	}
	return py
}

// schemas returns ../shared/corpora/schemas, or skips (fails in CI) without it.
func schemas(t *testing.T) string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpora", "schemas")
	if _, err := os.Stat(dir); err != nil {
		missing(t, "the schemas are not at "+dir)
	}
	return dir
}

func missing(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s; CI must have it", why)
	}
	t.Skipf("%s; skipping", why)
}

// servedFeeds writes the test channel's and the ticker's feeds, the OPML
// and the index page, as served, to a temporary directory.
func servedFeeds(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	h := newTestHandler(t, newMemStore(testConfig(), testItems()...))
	for _, p := range []string{"/feeds/theory.rss", "/feeds/theory.atom", "/feeds/theory.json",
		"/feeds/latest.rss", "/feeds/latest.atom", "/feeds/latest.json", "/opml", "/"} {
		w := get(t, h, "GET", p)
		if w.Code != 200 {
			t.Fatalf("%s: status %d", p, w.Code)
		}
		name := strings.TrimPrefix(p, "/feeds/")
		switch name {
		case "/opml":
			name = "hub.opml"
		case "/":
			name = "index.html"
		}
		if err := os.WriteFile(filepath.Join(dir, name), w.Body.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// run runs a tool and returns its standard output; a failure fails t.
// Standard error is only shown on failure: jing warns there about optional
// jars on every run.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stderr strings.Builder
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Errorf("%s %s: %v\n%s%s", filepath.Base(name), strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func TestXMLLint(t *testing.T) {
	xmllint := need(t, "xmllint")
	dir := servedFeeds(t)
	for _, f := range []string{"theory.rss", "theory.atom", "latest.rss", "latest.atom", "hub.opml", "index.html"} {
		run(t, xmllint, "--noout", filepath.Join(dir, f))
	}
}

func TestAtomSchema(t *testing.T) {
	jing := need(t, "jing")
	rnc := filepath.Join(schemas(t), "atom-rfc4287.rnc")
	dir := servedFeeds(t)
	for _, f := range []string{"theory.atom", "latest.atom"} {
		if out := run(t, jing, "-c", rnc, filepath.Join(dir, f)); strings.TrimSpace(out) != "" {
			t.Errorf("jing on %s:\n%s", f, out)
		}
	}
}

func TestJSONFeedSchema(t *testing.T) {
	py := needPython(t, "jsonschema")
	schema := filepath.Join(schemas(t), "jsonfeed-v1.1.schema.json")
	dir := servedFeeds(t)
	const script = `import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
for f in sys.argv[2:]:
    jsonschema.validate(json.load(open(f)), schema, format_checker=jsonschema.FormatChecker())
`
	run(t, py, "-c", script, schema, filepath.Join(dir, "theory.json"), filepath.Join(dir, "latest.json"))
}

// TestFeedparser reads the RSS and Atom feeds with Universal Feed Parser and
// checks that it finds the attribution where SPEC.md's table puts it.
func TestFeedparser(t *testing.T) {
	py := needPython(t, "feedparser")
	dir := servedFeeds(t)
	const script = `import json, sys, feedparser
d = feedparser.parse(sys.argv[1])
out = {"bozo": bool(d.bozo), "bozo_exception": str(d.get("bozo_exception", "")), "rights": d.feed.get("rights", ""),
       "entries": []}
for e in d.entries:
    src = e.get("source", {})
    out["entries"].append({"id": e.get("id", ""), "title": e.get("title", ""), "author": e.get("author", ""),
        "rights": e.get("rights", ""), "source_title": src.get("title", ""), "source_href": src.get("href", "") or src.get("link", ""),
        "published": e.get("published", ""), "tags": [t.get("term") for t in e.get("tags", [])]})
print(json.dumps(out))
`
	want := wantAttribution(t)
	for _, f := range []string{"theory.rss", "theory.atom"} {
		t.Run(f, func(t *testing.T) {
			var got struct {
				Bozo          bool   `json:"bozo"`
				BozoException string `json:"bozo_exception"`
				Rights        string `json:"rights"`
				Entries       []struct {
					ID, Title, Author, Rights string
					SourceTitle               string `json:"source_title"`
					SourceHref                string `json:"source_href"`
					Published                 string
					Tags                      []string
				}
			}
			if err := json.Unmarshal([]byte(run(t, py, "-c", script, filepath.Join(dir, f))), &got); err != nil {
				t.Fatal(err)
			}
			if got.Bozo {
				t.Errorf("feedparser: not well-formed: %s", got.BozoException)
			}
			if got.Rights != "本频道条目版权归原作者及原发媒体所有" {
				t.Errorf("feed rights = %q", got.Rights)
			}
			if len(got.Entries) != len(want) {
				t.Fatalf("%d entries, want %d", len(got.Entries), len(want))
			}
			for _, e := range got.Entries {
				it, ok := want[e.ID]
				if !ok {
					t.Errorf("entry id %q is no test item's FeedGUID()", e.ID)
					continue
				}
				if e.Title != it.Title {
					t.Errorf("title = %q, want %q", e.Title, it.Title)
				}
				if e.Author != it.Author && !(it.Author == "" && strings.HasSuffix(f, ".atom")) {
					t.Errorf("%s: author = %q, want %q", it.Key, e.Author, it.Author)
				}
				if e.Rights != it.Copyright {
					t.Errorf("%s: rights = %q, want %q", it.Key, e.Rights, it.Copyright)
				}
				if e.SourceTitle != it.Credit {
					t.Errorf("%s: source title = %q, want %q", it.Key, e.SourceTitle, it.Credit)
				}
				if it.CreditURL != "" && e.SourceHref != it.CreditURL {
					t.Errorf("%s: source href = %q, want %q", it.Key, e.SourceHref, it.CreditURL)
				}
				if e.Published == "" {
					t.Errorf("%s: no published date", it.Key)
				}
				if strings.Join(e.Tags, ",") != strings.Join(it.Categories, ",") {
					t.Errorf("%s: tags = %q, want %q", it.Key, e.Tags, it.Categories)
				}
			}
		})
	}
}
