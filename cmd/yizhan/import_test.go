package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var updateImport = flag.Bool("update", false, "rewrite testdata/opml/*.golden.toml from the current output of import")

// TestImport runs import on each OPML fixture and compares what it prints
// with testdata/opml/NAME.golden.toml (go test ./cmd/yizhan -run TestImport
// -update rewrites them). The output, appended to a configuration that
// declares the channel -channel names, passes yizhan check.
func TestImport(t *testing.T) {
	for _, tt := range []struct {
		file    string
		channel string
		sources int
		stderr  string // what stderr must say; empty: nothing
	}{
		{file: "opml1_flat_chinese_titles.opml", sources: 6},
		{file: "opml2_nested_folders_duplicates.opml", sources: 9,
			stderr: `opml2_nested_folders_duplicates.opml:31: outline "Relative" skipped: xmlUrl "/feeds/relative.xml" is not an absolute http or https URL`},
		{file: "opml2_nested_folders_duplicates.opml", channel: "news", sources: 9,
			stderr: `opml2_nested_folders_duplicates.opml:31: outline "Relative" skipped`},
		{file: "gbk_prolog.opml", sources: 1},
	} {
		name := strings.TrimSuffix(tt.file, ".opml")
		if tt.channel != "" {
			name += "_channel_" + tt.channel
		}
		t.Run(name, func(t *testing.T) {
			args := []string{"import", filepath.Join("testdata", "opml", tt.file)}
			if tt.channel != "" {
				args = []string{"import", "-channel", tt.channel, args[1]}
			}
			code, stdout, stderr := runCmd(t, nil, args...)
			if code != exitOK {
				t.Fatalf("import = %d, want 0; stderr:\n%s", code, stderr)
			}
			if tt.stderr == "" && stderr != "" || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr = %q, want %q", stderr, tt.stderr)
			}

			golden := filepath.Join("testdata", "opml", name+".golden.toml")
			if *updateImport {
				writeFile(t, golden, stdout)
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if stdout != string(want) {
				t.Errorf("import printed:\n%s\nwant (%s):\n%s", stdout, golden, want)
			}

			// Appended to a configuration, it passes check.
			base := "[hub]\ntitle = \"驿站\"\n"
			if tt.channel != "" {
				base += "\n[[channel]]\nid = \"" + tt.channel + "\"\n"
			}
			path := writeConfig(t, base+"\n"+stdout)
			if code, _, stderr := runCmd(t, nil, "check", "-config", path); code != exitOK {
				t.Errorf("check on the config with the import appended = %d:\n%s", code, stderr)
			}
			cfg, err := loadConfig(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(cfg.Sources) != tt.sources {
				t.Errorf("%d sources imported, want %d", len(cfg.Sources), tt.sources)
			}
		})
	}
}

// TestImportErrors: a broken or foreign file is an error naming its line,
// exit 1; wrong usage is exit 2; nothing reaches stdout.
func TestImportErrors(t *testing.T) {
	opml := func(name string) string { return filepath.Join("testdata", "opml", name) }
	for _, tt := range []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"unclosed outline", []string{opml("broken_unclosed_outline.opml")}, exitFail,
			"broken_unclosed_outline.opml:7: XML syntax error: element <outline> closed by </body>"},
		{"truncated", []string{opml("broken_truncated.opml")}, exitFail,
			"broken_truncated.opml:7: XML syntax error: unexpected EOF"},
		{"an RSS feed, not OPML", []string{opml("not_opml_rss.xml")}, exitFail,
			"not_opml_rss.xml:3: not an OPML file: the root element is <rss>, not <opml>"},
		{"no feed outlines", []string{opml("no_feeds.opml")}, exitFail,
			"no_feeds.opml: no feed to import"},
		{"missing file", []string{opml("absent.opml")}, exitFail, "absent.opml: no such file"},
		{"not XML at all", []string{writeConfig(t, "hello")}, exitFail, "not an OPML file: no <opml> element"},
		{"no file", nil, exitUsage, "usage: yizhan import [-config FILE] [-channel ID] FILE.opml"},
		{"two files", []string{opml("gbk_prolog.opml"), opml("gbk_prolog.opml")}, exitUsage, "usage: yizhan import"},
		{"bad channel id", []string{"-channel", "News", opml("gbk_prolog.opml")}, exitUsage, `-channel "News" is not a valid channel id`},
		{"reserved channel id", []string{"-channel", "latest", opml("gbk_prolog.opml")}, exitUsage, `-channel "latest" is not a valid channel id`},
		{"unknown flag", []string{"-log-level", "debug", opml("gbk_prolog.opml")}, exitUsage, "flag provided but not defined: -log-level"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, nil, append([]string{"import"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) || stdout != "" {
				t.Errorf("import %q = %d, stdout %q, stderr %q; want %d and %q", tt.args, code, stdout, stderr, tt.code, tt.stderr)
			}
		})
	}
	code, stdout, _ := runCmd(t, nil, "import", "-h")
	if code != exitOK || !strings.Contains(stdout, "-channel ID") {
		t.Errorf("import -h = %d, %q", code, stdout)
	}
}

// TestImportIntoConfig: with a configuration, import leaves out the feeds
// it has, takes none of its ids, and joins its channels; the result passes
// check appended to it.
func TestImportIntoConfig(t *testing.T) {
	const config = `[[channel]]
id = "politics"

[[channel]]
id = "world"

[[source]]
id = "people-politics"
url = "HTTP://www.people.com.cn/rss/politics.xml"
channels = ["politics"]

[[source]]
id = "bbc-news"
url = "https://example.com/bbc.xml"
channels = ["world"]
`
	path := writeConfig(t, config)
	opml := filepath.Join("testdata", "opml", "subscriptions.opml")
	code, stdout, stderr := runCmd(t, nil, "import", "-config", path, opml)
	if code != exitOK {
		t.Fatalf("import = %d: %s", code, stderr)
	}
	for _, line := range []int{6, 13} {
		want := fmt.Sprintf(`subscriptions.opml:%d: "人民网 · 时政" is source people-politics of %s already; left out`, line, path)
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %s:\n%s", want, stderr)
		}
	}
	for _, want := range []string{
		"id    = \"channel\"\ntitle = \"时政\"", // a new channel for the folder 时政
		"id       = \"bbc-news-2\"",           // bbc-news is taken
		"channels = [\"world\"]",              // the folder World joins channel world
		"# Append to " + path,
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("import lacks %q:\n%s", want, stdout)
		}
	}
	for _, unwanted := range []string{"id    = \"world\"", "id       = \"people-politics\"", "\"imported\""} {
		if strings.Contains(stdout, unwanted) {
			t.Errorf("import has %q:\n%s", unwanted, stdout)
		}
	}
	writeFile(t, path, config+"\n"+stdout)
	if code, out, stderr := runCmd(t, nil, "check", "-config", path); code != exitOK || !strings.Contains(out, "ok (3 channels, 5 sources)") {
		t.Errorf("check after appending = %d, %q:\n%s", code, out, stderr)
	}

	// Imported again: every feed is there already.
	code, stdout, stderr = runCmd(t, nil, "import", "-config", path, opml)
	if code != exitOK || stdout != "" || !strings.Contains(stderr, "every feed of "+opml+" is in "+path+" already") {
		t.Errorf("import again = %d, %q, %q", code, stdout, stderr)
	}

	// -channel names a channel the configuration lacks: it is declared.
	path = writeConfig(t, config)
	code, stdout, _ = runCmd(t, nil, "import", "-config", path, "-channel", "news", opml)
	if code != exitOK || !strings.Contains(stdout, "[[channel]]\nid    = \"news\"") {
		t.Errorf("import -channel news = %d:\n%s", code, stdout)
	}
	writeFile(t, path, config+"\n"+stdout)
	if code, _, stderr := runCmd(t, nil, "check", "-config", path); code != exitOK {
		t.Errorf("check after appending the -channel import = %d:\n%s", code, stderr)
	}

	// A configuration named but absent, or broken, is a failure; $YIZHAN_CONFIG names one too.
	for _, args := range [][]string{
		{"-config", filepath.Join(t.TempDir(), "absent.toml"), opml},
		{"-config", writeConfig(t, "[hub]\nfeed_size = 0\n"), opml},
	} {
		if code, stdout, _ := runCmd(t, nil, append([]string{"import"}, args...)...); code != exitFail || stdout != "" {
			t.Errorf("import %q = %d, %q; want 1 and nothing printed", args, code, stdout)
		}
	}
	env := map[string]string{"YIZHAN_CONFIG": filepath.Join(t.TempDir(), "absent.toml")}
	if code, _, _ := runCmd(t, env, "import", opml); code != exitFail {
		t.Errorf("import with $YIZHAN_CONFIG naming no file = %d, want 1", code)
	}
}

// TestImportIDs: ids from titles, and from the feed URL when the title has
// no ASCII letters (Chinese titles) or none at all.
func TestImportIDs(t *testing.T) {
	for _, tt := range []struct{ title, url, want string }{
		{"Hacker News", "https://news.ycombinator.com/rss", "hacker-news"},
		{"  The Verge -- All Posts! ", "https://www.theverge.com/rss/index.xml", "the-verge-all-posts"},
		{"Café Society", "https://example.fr/feed", "cafe-society"},
		{"36Kr", "https://36kr.com/feed", "36kr"},
		{"人民网 · 时政", "http://www.people.com.cn/rss/politics.xml", "people-politics"},
		{"新华网", "http://www.xinhuanet.com/politics/news_politics.xml", "xinhuanet-politics-news-politics"},
		{"BBC 中文", "https://feeds.bbci.co.uk/zhongwen/simp/rss.xml", "bbci-zhongwen-simp"},
		{"某市统计局", "https://tjj.example.gov.cn/tzgg/rss.xml", "tjj-example-tzgg"},
		{"2024", "https://example.com/c/1001/feed.xml", "example-c-1001"},
		{"", "https://rsshub.app/weibo/user/1195230310", "rsshub-weibo-user-1195230310"},
		{"人民网", "http://127.0.0.1:8080/rss/politics.xml", "127-0-0-1-politics"},
		{"人民网", "https://www.example.com/%E6%96%B0%E9%97%BB/rss.xml", "example"},
		{"A very long title that goes on and on about nothing in particular", "https://example.com/", "a-very-long-title-that-goes-on-and-on"},
	} {
		doc := &opmlDoc{feeds: []opmlFeed{{name: tt.title, url: tt.url}}}
		if got := planImport(doc, "c", nil).sources[0].id; got != tt.want {
			t.Errorf("id of %q at %s = %q, want %q", tt.title, tt.url, got, tt.want)
		}
		if got := planImport(doc, "c", nil).sources[0].id; !idPattern.MatchString(got) || len(got) > maxImportID {
			t.Errorf("id %q is not a valid id of at most %d bytes", got, maxImportID)
		}
	}

	// Unique, and never "latest".
	doc := &opmlDoc{feeds: []opmlFeed{
		{name: "News", url: "https://a.example/1"}, {name: "news", url: "https://a.example/2"},
		{name: "NEWS!", url: "https://a.example/3"}, {name: "latest", url: "https://a.example/4"},
		{name: "新闻", url: "https://b.example/"}, {name: "新闻", url: "https://b.example"}, // one feed
	}}
	var ids []string
	for _, s := range planImport(doc, "c", nil).sources {
		ids = append(ids, s.id)
	}
	if want := "news news-2 news-3 latest-2 b"; strings.Join(ids, " ") != want {
		t.Errorf("ids = %v, want %s", ids, want)
	}
}
