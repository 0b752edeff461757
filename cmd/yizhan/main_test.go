package main

import (
	"bytes"
	"cmp"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runCmd runs the command line in-process and returns its exit code and output.
func runCmd(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(t.Context(), args, &out, &errb, func(k string) string { return env[k] })
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	many := filepath.Join("testdata", "many_errors.toml")
	minimal := filepath.Join("testdata", "minimal.toml")
	every := filepath.Join("testdata", "every_second.toml")
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		code   int
		stdout string // fragment expected, if any
		stderr string
	}{
		{name: "no command", args: nil, code: 2, stderr: "usage: yizhan COMMAND"},
		{name: "unknown command", args: []string{"frobnicate"}, code: 2, stderr: `unknown command "frobnicate"`},
		{name: "help", args: []string{"help"}, code: 0, stdout: "usage: yizhan COMMAND"},
		{name: "version", args: []string{"version"}, code: 0, stdout: "yizhan "},
		{name: "version with args", args: []string{"version", "x"}, code: 2, stderr: "usage: yizhan version"},
		{name: "bad flag", args: []string{"check", "-bogus"}, code: 2, stderr: "flag provided but not defined: -bogus"},
		{name: "check -h", args: []string{"check", "-h"}, code: 0, stdout: "usage: yizhan check"},
		{name: "bad log level", args: []string{"check", "-config", minimal, "-log-level", "loud"}, code: 2, stderr: `-log-level: unknown level "loud"`},
		{name: "bad log level from env", env: map[string]string{"YIZHAN_LOG_LEVEL": "loud"}, args: []string{"check", "-config", minimal}, code: 2, stderr: `$YIZHAN_LOG_LEVEL: unknown level "loud"`},
		{name: "check extra args", args: []string{"check", "-config", minimal, "extra"}, code: 2, stderr: "usage: yizhan check"},
		{name: "check ok", args: []string{"check", "-config", minimal}, code: 0, stdout: minimal + ": ok (1 channel, 1 source)"},
		{name: "check from env", env: map[string]string{"YIZHAN_CONFIG": minimal}, args: []string{"check"}, code: 0, stdout: ": ok ("},
		{name: "check flag beats env", env: map[string]string{"YIZHAN_CONFIG": minimal}, args: []string{"check", "-config", many}, code: 1, stderr: "23 problems"},
		{name: "check bad", args: []string{"check", "-config", many}, code: 1, stderr: many + ":35: source[1].schedule:"},
		{name: "check warns", args: []string{"check", "-config", every}, code: 0, stdout: every + ": ok (1 channel, 2 sources, 1 warning)",
			stderr: every + `:15: source[1].schedule: warning: "@every 1s" runs source people-world every 1s, more often than once a minute`},
		{name: "check missing file", args: []string{"check", "-config", "testdata/absent.toml"}, code: 1, stderr: "testdata/absent.toml: open"},
		{name: "preview no source", args: []string{"preview", "-config", minimal}, code: 2, stderr: "usage: yizhan preview"},
		{name: "preview unknown source", args: []string{"preview", "-config", minimal, "nope"}, code: 2, stderr: `unknown source "nope"`},
		{name: "preview bad config", args: []string{"preview", "-config", many, "people-world"}, code: 1, stderr: "hub.base_url"},
		// Wrong usage is told before the configuration is read, whatever its state.
		{name: "preview no source, bad config", args: []string{"preview", "-config", many}, code: 2, stderr: "usage: yizhan preview [-config FILE] SOURCE"},
		{name: "preview two sources", args: []string{"preview", "-config", minimal, "a", "b"}, code: 2, stderr: "usage: yizhan preview"},
		{name: "serve extra args", args: []string{"serve", "-config", many, "extra"}, code: 2, stderr: "usage: yizhan serve"},
		{name: "sources extra args", args: []string{"sources", "-config", many, "extra"}, code: 2, stderr: "usage: yizhan sources"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.env, tt.args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout = %q, want it to contain %q", stdout, tt.stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr = %q, want it to contain %q", stderr, tt.stderr)
			}
		})
	}
}

// TestHelpExitCodes: help that was asked for (-h, -help, --help) is printed
// on stdout and exits 0, for every command, even with a configuration that
// does not validate and without doing the command's work; an unknown flag
// is wrong usage: the usage goes to stderr and the exit code is 2.
func TestHelpExitCodes(t *testing.T) {
	// Help must not need a configuration, let alone a valid one.
	env := map[string]string{"YIZHAN_CONFIG": filepath.Join("testdata", "many_errors.toml")}
	for _, c := range commands {
		for _, tt := range []struct {
			arg          string
			code         int
			stdout, errb string // fragments expected; "" means empty
		}{
			{"-h", exitOK, "usage: yizhan " + c.name, ""},
			{"-help", exitOK, "usage: yizhan " + c.name, ""},
			{"--help", exitOK, "usage: yizhan " + c.name, ""},
			{"-bogus", exitUsage, "", "usage: yizhan " + c.name},
		} {
			t.Run(c.name+" "+tt.arg, func(t *testing.T) {
				code, stdout, stderr := runCmd(t, env, c.name, tt.arg)
				if code != tt.code {
					t.Errorf("exit code = %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
				}
				for _, out := range []struct{ name, got, want string }{
					{"stdout", stdout, tt.stdout},
					{"stderr", stderr, tt.errb},
				} {
					if out.want == "" && out.got != "" || !strings.Contains(out.got, out.want) {
						t.Errorf("%s = %q, want %q", out.name, out.got, cmp.Or(out.want, "nothing"))
					}
				}
			})
		}
	}
}

// "yizhan help COMMAND" is "yizhan COMMAND -h"; help for no such command is
// wrong usage.
func TestHelpCommand(t *testing.T) {
	env := map[string]string{"YIZHAN_CONFIG": filepath.Join("testdata", "many_errors.toml")}
	for _, c := range commands {
		code, stdout, stderr := runCmd(t, env, "help", c.name)
		if code != exitOK || !strings.Contains(stdout, "usage: yizhan "+c.name) || stderr != "" {
			t.Errorf("help %s = %d, stdout %q, stderr %q; want 0 and its usage on stdout", c.name, code, stdout, stderr)
		}
	}
	if code, _, stderr := runCmd(t, env, "help", "nosuch"); code != exitUsage || !strings.Contains(stderr, `unknown command "nosuch"`) {
		t.Errorf("help nosuch = %d, stderr %q; want 2 and the unknown command", code, stderr)
	}
}

func TestCheckPrintsEveryError(t *testing.T) {
	path := filepath.Join("testdata", "many_errors.toml")
	code, stdout, stderr := runCmd(t, nil, "check", "-config", path)
	if code != 1 || stdout != "" {
		t.Fatalf("check = %d, stdout %q; want 1 and nothing on stdout", code, stdout)
	}
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	if len(lines) != 24 {
		t.Fatalf("check printed %d lines, want 23 errors and a count:\n%s", len(lines), stderr)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, path+":") {
			t.Errorf("line %q does not start with %q", l, path+":")
		}
	}
}

// writeConfig writes a config.toml into a temporary directory and returns its path.
func writeConfig(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	writeFile(t, path, text)
	return path
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

const previewFeed = `<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel><title>时政</title><link>http://example.com/</link><description>d</description>
<item>
  <title>国务院常务会议部署稳就业举措</title>
  <link>http://example.com/a.html</link>
  <guid>a</guid>
  <pubDate>Mon, 20 Apr 2020 09:10:00 +0800</pubDate>
  <dc:creator>李红军</dc:creator>
  <source url="http://paper.people.com.cn/">人民日报</source>
  <description><![CDATA[<p>国务院总理主持召开国务院常务会议。</p><p>第二段</p>]]></description>
</item>
</channel></rss>`

func TestPreview(t *testing.T) {
	var requests int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		if r.Header.Get("If-None-Match") != "" || r.Header.Get("If-Modified-Since") != "" {
			t.Errorf("preview sent validators: %v", r.Header)
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		w.Header().Set("ETag", `"v1"`)
		fmt.Fprint(w, previewFeed)
	}))
	defer srv.Close()
	cfg := writeConfig(t, fmt.Sprintf(`
[hub]
database = "preview.db"
[[channel]]
id = "politics"
[[source]]
id = "people-politics"
name = "人民网 · 时政"
url = "%s/politics.xml"
channels = ["politics"]
attribution = "人民网"
copyright = "人民网版权所有"
`, srv.URL))
	for range 2 {
		code, stdout, stderr := runCmd(t, nil, "preview", "-config", cfg, "people-politics")
		if code != 0 {
			t.Fatalf("preview = %d, stderr %s", code, stderr)
		}
		for _, want := range []string{
			"people-politics: 1 item from " + srv.URL,
			"1. 国务院常务会议部署稳就业举措",
			"date:      2020-04-20 09:10:00 +08:00",
			"credit:    人民日报 <http://paper.people.com.cn/>",
			"via:       人民网 · 时政",
			"author:    李红军",
			"copyright: 人民网版权所有",
			"link:      http://example.com/a.html",
			"body:      国务院总理主持召开国务院常务会议。\n",
		} {
			if !strings.Contains(stdout, want) {
				t.Errorf("preview output lacks %q:\n%s", want, stdout)
			}
		}
	}
	if requests != 2 {
		t.Errorf("upstream saw %d requests, want 2", requests)
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(cfg), "preview.db")); !os.IsNotExist(err) {
		t.Errorf("preview created the database (stat: %v); it must store nothing", err)
	}
}

func TestPreviewUpstreamError(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	cfg := writeConfig(t, fmt.Sprintf(`
[[channel]]
id = "politics"
[[source]]
id = "people-politics"
url = "%s/politics.xml"
channels = ["politics"]
`, srv.URL))
	code, _, stderr := runCmd(t, nil, "preview", "people-politics", "-config", cfg)
	if code != 1 || !strings.Contains(stderr, "fetch people-politics:") {
		t.Errorf("preview of a 404 = %d, stderr %q; want 1 and the error", code, stderr)
	}
}

// TestPreviewSkipped: an HTML source's article page that fails is left out
// of a fetch; preview, the tool for writing a source, says which and why.
func TestPreviewSkipped(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch r.URL.Path {
		case "/list.html":
			fmt.Fprint(w, `<ul class="list"><li><a href="a.html">一</a></li><li><a href="gone.html">二</a></li></ul>`)
		case "/a.html":
			fmt.Fprint(w, `<html><head><title>春耕生产全面展开--门户网</title></head><body><div class="article"><h1>春耕生产全面展开</h1>
<div class="info">2020-04-20 08:48 来源:人民日报 编辑:王小明</div>
<div class="content">
<p>坚持以人民为中心的发展思想，是新时代坚持和发展中国特色社会主义的根本立场。</p>
<p>发展为了人民、发展依靠人民、发展成果由人民共享，这是我们党一以贯之的执政理念。</p>
<p>各地各部门要把这一思想落实到经济社会发展各个环节，不断增强人民群众的获得感。</p>
</div></div></body></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cfg := writeConfig(t, fmt.Sprintf(`
[[channel]]
id = "c"
[[source]]
id = "portal"
kind = "html"
url = "%s/list.html"
channels = ["c"]
[source.html]
links = "ul.list a"
delay = "0s"
`, srv.URL))
	code, stdout, stderr := runCmd(t, nil, "preview", "-config", cfg, "portal")
	if code != 0 {
		t.Fatalf("preview = %d, stderr %s", code, stderr)
	}
	for _, want := range []string{
		"portal: 1 item from " + srv.URL + "/list.html",
		"1. 春耕生产全面展开\n",
		"\nskipped 1 part:\n   article " + srv.URL + "/gone.html: ",
		"HTTP 404 Not Found\n",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("preview output lacks %q:\n%s", want, stdout)
		}
	}
}

// TestCheckCountsDisabled: check's ok line counts disabled sources, as
// README.md says.
func TestCheckCountsDisabled(t *testing.T) {
	path := writeConfig(t, hubConfig("http://up.example"))
	code, stdout, stderr := runCmd(t, nil, "check", "-config", path)
	if want := path + ": ok (1 channel, 3 sources, 1 disabled)\n"; code != 0 || stdout != want {
		t.Errorf("check = %d, stdout %q, stderr %q; want 0 and %q", code, stdout, stderr, want)
	}
}
