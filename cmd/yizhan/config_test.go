package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// TestConfigErrors checks that every problem of a fixture is reported, in
// file order, each as "FILE:LINE: KEY: …".
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		file string
		want []string // "LINE: KEY: fragment of the message"
	}{
		{"many_errors.toml", []string{
			`4: hub.base_url: "localhost:8080" is not an absolute http or https URL`,
			`5: hub.timezone: unknown time zone "Asia/Shangai"`,
			`6: hub.feed_size: 0 is out of range`,
			`7: hub.latest_size: 5000 is out of range`,
			`8: hub.listen: "8080" is not host:port`,
			`11: channel[0].id: "Politics" is not a valid id`,
			`15: channel[1].id: "latest" is reserved`,
			`20: channel[2].keep_days: -1 is negative`,
			`23: channel[3].id: duplicate channel id "world" (first at line 18)`,
			`28: source[0].channels: unknown channel "sport"`,
			`29: source[0].schedule: parse schedule "@evry 5m"`,
			`32: source[1].id: duplicate source id "people-world" (first at line 26)`,
			`33: source[1].url: "ftp://www.people.com.cn/rss/world.xml" is not an absolute http or https URL`,
			`34: source[1].channels: at least one channel is required`,
			`35: source[1].schedule: parse schedule "CRON_TZ=Asia/Shanghai": CRON_TZ=Zone must be followed by a space`,
			`36: source[1].timezone: unknown time zone "Mars/Olympus"`,
			`37: source[1].encoding: unknown encoding "klingon"`,
			`44: source[2].schedule: parse schedule "0 25 * * *"`,
			`46: source[2].html.links: required for kind = "html"`,
			`47: source[2].html.next: bad CSS selector "a.next["`,
			`50: source[3].id: "_bad" is not a valid id`,
			`51: source[3].kind: "rss" is not "feed", "html" or "sitemap"`,
			`52: source[3].url: "http:///nohost" is not an absolute http or https URL`,
		}},
		{"unknown_keys.toml", []string{
			`2: hub.titel: unknown key`,
			`4: hubb: unknown table`,
			`9: channel[0].colour: unknown key`,
			`15: source[0].schedul: unknown key`,
			`18: source[0].html.link: unknown key`,
		}},
		{"syntax_error.toml", []string{`3: column 34: basic strings cannot have new lines`}},
		{"type_error.toml", []string{`3: hub.feed_size: want an integer, have a TOML string`}},
		{"duplicate_key.toml", []string{`3: channel[0].id: key id is already defined`}},
		{"bare_cron_tz.toml", []string{
			`8: source[0].schedule: parse schedule "CRON_TZ=Asia/Shanghai": CRON_TZ=Zone must be followed by a space`,
			`14: source[1].schedule: parse schedule "CRON_TZ=Nowhere/City 0 8 * * *"`,
		}},
		{"variant_cache_small.toml", []string{`3: hub.variant_cache_bytes: 65536 is out of range 1048576..17179869184`}},
		{"html_inline_table.toml", []string{
			`9: source[0].html.links: required for kind = "html"`,
			`9: source[0].html.max_pages: 0 is out of range 1..100`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			cfg, err := loadConfig(path)
			if err == nil {
				t.Fatalf("loadConfig(%s) = %+v, nil; want errors", path, cfg)
			}
			errs := flatten(err)
			var got []string
			for _, e := range errs {
				var ce *ConfigError
				if !errors.As(e, &ce) {
					t.Errorf("error %q is a %T, want *ConfigError", e, e)
					continue
				}
				if ce.File != path {
					t.Errorf("error %q: File = %q, want %q", e, ce.File, path)
				}
				got = append(got, strings.TrimPrefix(e.Error(), path+":"))
			}
			if len(got) != len(tt.want) {
				t.Errorf("got %d errors, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for i := 0; i < len(got) && i < len(tt.want); i++ {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("error %d = %q, want it to start with %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(filepath.Join("testdata", "minimal.toml"))
	if err != nil {
		t.Fatal(err)
	}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	h := cfg.Hub
	if h.Title != "驿站" || h.BaseURL != "http://localhost:8080" || h.Listen != "127.0.0.1:8080" ||
		h.FeedSize != 50 || h.LatestSize != 15 || h.Timezone.String() != "Asia/Shanghai" || !h.Dedup || h.SearchOff {
		t.Errorf("Hub = %+v, want the documented defaults", h)
	}
	if want := filepath.Join("testdata", "yizhan.db"); h.Database != want {
		t.Errorf("Database = %q, want %q (relative to the config file)", h.Database, want)
	}
	if cfg.VariantCacheBytes != 64<<20 {
		t.Errorf("VariantCacheBytes = %d, want the documented 64 MiB", cfg.VariantCacheBytes)
	}
	if !strings.HasPrefix(h.UserAgent, "yizhan/") {
		t.Errorf("UserAgent = %q, want it to name yizhan", h.UserAgent)
	}
	want := hub.Channel{ID: "world", Title: "world", KeepDays: 365}
	if len(cfg.Channels) != 1 || !reflect.DeepEqual(cfg.Channels[0], want) {
		t.Errorf("Channels = %+v, want [%+v]", cfg.Channels, want)
	}
	if len(cfg.Sources) != 1 {
		t.Fatalf("got %d sources, want 1", len(cfg.Sources))
	}
	s := cfg.Sources[0]
	if s.Name != "people-world" || s.Kind != hub.KindFeed || s.Schedule != "@every 30m" || !s.Enabled ||
		s.Timezone.String() != shanghai.String() || s.HTML != nil {
		t.Errorf("Source = %+v, want defaults", s)
	}
}

func TestConfigFull(t *testing.T) {
	cfg, err := loadConfig(filepath.Join("testdata", "full.toml"))
	if err != nil {
		t.Fatal(err)
	}
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	wantHub := hub.Settings{
		Title: "测试驿站", BaseURL: "https://feeds.example.org/yizhan", Listen: "[::1]:9090",
		Database: filepath.Join("testdata", "data", "hub.db"), Timezone: tokyo,
		FeedSize: 80, LatestSize: 20, UserAgent: "test-agent/1.0", Dedup: false, SearchOff: true,
	}
	if !reflect.DeepEqual(cfg.Hub, wantHub) {
		t.Errorf("Hub = %+v\nwant %+v", cfg.Hub, wantHub)
	}
	if cfg.VariantCacheBytes != 32<<20 {
		t.Errorf("VariantCacheBytes = %d, want 32 MiB", cfg.VariantCacheBytes)
	}
	wantChannels := []hub.Channel{
		{ID: "theory", Title: "理论频道", Description: "理论文章", Copyright: "版权归原作者所有", KeepDays: 0, KeepItems: 500},
		{ID: "local", Title: "本地", KeepDays: 365},
	}
	if !reflect.DeepEqual(cfg.Channels, wantChannels) {
		t.Errorf("Channels = %+v\nwant %+v", cfg.Channels, wantChannels)
	}
	wantSources := []hub.Source{
		{
			ID: "people-theory", Name: "人民网 · 理论", Kind: "feed", URL: "http://theory.people.com.cn/rss/theory.xml",
			Channels: []string{"theory", "local"}, Schedule: "CRON_TZ=Asia/Shanghai 0 */2 * * *",
			Attribution: "人民日报", Copyright: "人民网版权所有，未经书面授权禁止使用", Enabled: false,
			Timezone: shanghai, Encoding: "gb18030", StaleDays: 0,
		},
		{
			ID: "bureau-notices", Name: "某市统计局 · 通知公告", Kind: "html", URL: "https://tjj.example.gov.cn/tzgg/index.html",
			Channels: []string{"local"}, Schedule: "@hourly", Enabled: true, Timezone: tokyo, StaleDays: 30,
			HTML: &hub.HTMLRules{
				Links: "ul.list li > a", Next: "a.next", MaxPages: 3, Refetch: true, Delay: 2 * time.Second,
				MaxArticles: 10, Title: "h1.title", Date: ".info span.date", DateLayout: "2006年01月02日 15:04",
				Body: "#content", Credit: ".info .source", Author: ".editor",
			},
		},
	}
	if !reflect.DeepEqual(cfg.Sources, wantSources) {
		t.Errorf("Sources = %+v\nwant %+v", cfg.Sources, wantSources)
	}
}

func TestConfigHTMLDefaults(t *testing.T) {
	doc := `
[[channel]]
id = "local"

[[source]]
id = "a"
kind = "html"
url = "http://example.gov.cn/list/"
channels = ["local"]
[source.html]
links = "ul a"

[[source]]
id = "b"
kind = "html"
url = "http://example.gov.cn/list/"
channels = ["local"]
[source.html]
links = "ul a"
next = "a.next"
`
	cfg, err := parseConfig("config.toml", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []hub.HTMLRules{
		{Links: "ul a", MaxPages: 1, Delay: time.Second, MaxArticles: 30},
		{Links: "ul a", Next: "a.next", MaxPages: 5, Delay: time.Second, MaxArticles: 30},
	} {
		if got := cfg.Sources[i].HTML; got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("source %d HTML = %+v, want %+v", i, got, want)
		}
	}
}

// TestConfigKeepDaysRange: a keep_days beyond what a time.Duration holds
// used to wrap around to a negative age, and retention then removed every
// item of the channel. Such values are refused.
func TestConfigKeepDaysRange(t *testing.T) {
	const doc = `[[channel]]
id = "a"
keep_days = %d
`
	for _, tt := range []struct {
		days int
		ok   bool
	}{
		{0, true}, {1, true}, {maxKeepDays, true},
		{maxKeepDays + 1, false}, {200000, false}, {1 << 40, false},
	} {
		cfg, err := parseConfig("c.toml", []byte(fmt.Sprintf(doc, tt.days)))
		switch {
		case tt.ok && err != nil:
			t.Errorf("keep_days = %d: %v, want it accepted", tt.days, err)
		case tt.ok && cfg.Channels[0].KeepDays != tt.days:
			t.Errorf("keep_days = %d: KeepDays = %d", tt.days, cfg.Channels[0].KeepDays)
		case !tt.ok && (err == nil || !strings.Contains(err.Error(), "c.toml:3: channel[0].keep_days: ")):
			t.Errorf("keep_days = %d: err = %v, want c.toml:3: channel[0].keep_days: out of range", tt.days, err)
		}
	}
}

// TestConfigStaleDays: stale_days defaults to 30, 0 turns the check off,
// and a negative or huge value is an error naming its key and line.
func TestConfigStaleDays(t *testing.T) {
	const doc = `[[channel]]
id = "c"

[[source]]
id = "s"
url = "http://example.com/feed.xml"
channels = ["c"]
%s
`
	for _, tt := range []struct {
		line string
		want int
		err  string
	}{
		{"", 30, ""},
		{"stale_days = 0", 0, ""},
		{"stale_days = 200", 200, ""},
		{"stale_days = -1", 0, "c.toml:8: source[0].stale_days: -1 is negative (0 never marks the source stale)"},
		{"stale_days = 100000", 0, "c.toml:8: source[0].stale_days: 100000 is out of range 0..36500"},
	} {
		cfg, err := parseConfig("c.toml", []byte(fmt.Sprintf(doc, tt.line)))
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: %v, want it accepted", tt.line, err)
		case tt.err == "" && cfg.Sources[0].StaleDays != tt.want:
			t.Errorf("%q: StaleDays = %d, want %d", tt.line, cfg.Sources[0].StaleDays, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: err = %v, want %s", tt.line, err, tt.err)
		}
	}
}

// TestConfigScheduleWarnings: a schedule that can run an enabled source
// more often than once a minute is valid, with a warning naming its line,
// key and source.
func TestConfigScheduleWarnings(t *testing.T) {
	const doc = `[[channel]]
id = "c"

[[source]]
id = "s"
url = "http://example.com/"
channels = ["c"]
schedule = %q
enabled = %v
`
	const at = "c.toml:8: source[0].schedule: warning: "
	tests := []struct {
		schedule string
		enabled  bool
		want     string // the warning; "" for none
	}{
		{"@every 1s", true, at + `"@every 1s" runs source s every 1s, more often than once a minute`},
		{"@every 59s", true, at + `"@every 59s" runs source s every 59s, more often than once a minute`},
		{"@every 500ms", true, at + `"@every 500ms" runs source s every 1s, more often than once a minute`}, // cron's least interval
		{"CRON_TZ=Asia/Shanghai @every 30s", true, at + `"CRON_TZ=Asia/Shanghai @every 30s" runs source s every 30s`},
		{"@every 1s", false, ""}, // not run on schedule
		{"@every 1m", true, ""},
		{"@every 60s", true, ""},
		{"* * * * *", true, ""},
		{"*/1 * * * *", true, ""},
		{"@hourly", true, ""},
		{"CRON_TZ=Asia/Shanghai 0 8 * * *", true, ""},
	}
	for _, tt := range tests {
		cfg, err := parseConfig("c.toml", []byte(fmt.Sprintf(doc, tt.schedule, tt.enabled)))
		if err != nil {
			t.Errorf("schedule %q: %v, want it valid", tt.schedule, err)
			continue
		}
		var got []string
		for _, w := range cfg.Warnings {
			got = append(got, w.Error())
		}
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("schedule %q (enabled %v): warnings %q, want none", tt.schedule, tt.enabled, got)
		case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want)):
			t.Errorf("schedule %q: warnings %q, want one starting %q", tt.schedule, got, tt.want)
		}
	}
}

// TestConfigByteOrderMark: Windows editors (Notepad, for one) save UTF-8
// with a byte order mark; the file is read as if it had none.
func TestConfigByteOrderMark(t *testing.T) {
	doc := "\uFEFF[hub]\ntitle = \"驿站\"\ntitel = \"x\"\n"
	_, err := parseConfig("bom.toml", []byte(doc))
	if err == nil || err.Error() != "bom.toml:3: hub.titel: unknown key" {
		t.Errorf("err = %v, want only bom.toml:3: hub.titel: unknown key", err)
	}
	cfg, err := parseConfig("bom.toml", []byte("\uFEFF[hub]\ntitle = \"驿站\"\n"))
	if err != nil || cfg.Hub.Title != "驿站" {
		t.Errorf("parseConfig = %+v, %v; want the title read", cfg, err)
	}
}

func TestConfigErrorWithoutLine(t *testing.T) {
	_, err := loadConfig(filepath.Join(t.TempDir(), "absent.toml"))
	var ce *ConfigError
	if !errors.As(err, &ce) || !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("loadConfig(absent) = %v, want a *ConfigError wrapping os.ErrNotExist", err)
	}
	if ce.Line != 0 || strings.Count(err.Error(), ":") < 2 {
		t.Errorf("error = %q, want FILE: message", err)
	}
}

// TestShippedConfig keeps the repository's config.toml valid and useful.
func TestShippedConfig(t *testing.T) {
	cfg, err := loadConfig(filepath.Join("..", "..", "config.toml"))
	if err != nil {
		t.Fatalf("config.toml does not validate:\n%v", err)
	}
	if len(cfg.Channels) < 4 || len(cfg.Sources) < 4 {
		t.Errorf("config.toml has %d channels and %d sources, want at least 4 of each", len(cfg.Channels), len(cfg.Sources))
	}
	fed := make(map[string]bool)
	for _, s := range cfg.Sources {
		if s.Attribution == "" || s.Copyright == "" || s.Name == s.ID {
			t.Errorf("source %s: name %q, attribution %q, copyright %q: want all filled in", s.ID, s.Name, s.Attribution, s.Copyright)
		}
		for _, c := range s.Channels {
			fed[c] = true
		}
	}
	for _, c := range cfg.Channels {
		if !fed[c.ID] {
			t.Errorf("channel %s has no source", c.ID)
		}
		if c.Copyright == "" || c.Description == "" {
			t.Errorf("channel %s: want copyright and description filled in", c.ID)
		}
	}
}

func TestConfigPath(t *testing.T) {
	env := map[string]string{"YIZHAN_CONFIG": "/etc/yizhan.toml"}
	tests := []struct {
		flag string
		env  map[string]string
		want string
	}{
		{"x.toml", env, "x.toml"},
		{"", env, "/etc/yizhan.toml"},
		{"", nil, "config.toml"},
	}
	for _, tt := range tests {
		if got := configPath(tt.flag, func(k string) string { return tt.env[k] }); got != tt.want {
			t.Errorf("configPath(%q, %v) = %q, want %q", tt.flag, tt.env, got, tt.want)
		}
	}
}

func TestPositions(t *testing.T) {
	doc := `top = 1
[hub]
title = "x"
[[source]]
id = "a"
[source.html]
links = "a"
[[source]]
id = "b"
html.links = "c"
[[channel]]
id = "c"
`
	pos := indexPositions([]byte(doc))
	for key, want := range map[string]int{
		"top": 1, "hub": 2, "hub.title": 3, "source[0]": 4, "source[0].id": 5,
		"source[0].html": 6, "source[0].html.links": 7, "source[1].id": 9,
		"source[1].html.links": 10, "channel[0].id": 12,
		"source[1].schedule": 8, "source[0].html.next": 6, "nowhere": 0,
	} {
		if got := pos.line(key); got != want {
			t.Errorf("line(%q) = %d, want %d", key, got, want)
		}
	}
}

// FuzzConfig checks that no document makes the loader panic (robfig/cron
// panics on some schedules) and that every error names the file.
func FuzzConfig(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.toml"))
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := parseConfig("fuzz.toml", data)
		for _, e := range flatten(err) {
			if e != nil && !strings.HasPrefix(e.Error(), "fuzz.toml") {
				t.Errorf("error %q does not name the file", e)
			}
		}
	})
}

// TestConfigSitemap: a sitemap source takes [source.sitemap] match and
// the limits and overrides of [source.html], never its listing selectors.
func TestConfigSitemap(t *testing.T) {
	const head = `[[channel]]
id = "c"

[[source]]
id = "s"
kind = "sitemap"
url = "http://www.example.cn/sitemap_index.xml"
channels = ["c"]
`
	cfg, err := parseConfig("c.toml", []byte(head+`[source.sitemap]
match = '/n1/\d{4}/'
[source.html]
max_articles = 10
credit = ".source"
`))
	if err != nil {
		t.Fatal(err)
	}
	src := cfg.Sources[0]
	if src.Kind != hub.KindSitemap || src.Sitemap == nil || src.Sitemap.Match != `/n1/\d{4}/` {
		t.Errorf("source = %+v, want kind sitemap with its match", src)
	}
	want := hub.HTMLRules{MaxPages: 1, Delay: time.Second, MaxArticles: 10, Credit: ".source"}
	if src.HTML == nil || !reflect.DeepEqual(*src.HTML, want) {
		t.Errorf("HTML = %+v, want %+v", src.HTML, want)
	}
	// Neither table is required.
	if cfg, err := parseConfig("c.toml", []byte(head)); err != nil || cfg.Sources[0].HTML == nil || cfg.Sources[0].HTML.MaxArticles != defaultMaxArticles {
		t.Errorf("bare sitemap source: %+v, %v", cfg, err)
	}
	for _, tt := range []struct{ doc, want string }{
		{head + "[source.sitemap]\nmatch = \"(\"\n", "c.toml:10: source[0].sitemap.match: bad RE2 pattern"},
		{head + "[source.html]\nlinks = \"ul a\"\n", "c.toml:10: source[0].html.links: only for kind = \"html\""},
		{head + "[source.html]\nmax_pages = 3\n", "c.toml:10: source[0].html.max_pages: only for kind"},
		{strings.Replace(head, `kind = "sitemap"`, `kind = "html"`, 1) + "[source.html]\nlinks = \"a\"\n[source.sitemap]\nmatch = \"x\"\n", "source[0].sitemap: only for kind = \"sitemap\""},
		{strings.Replace(head, `kind = "sitemap"`, `kind = "map"`, 1), `source[0].kind: "map" is not "feed", "html" or "sitemap"`},
		{head + "[source.sitemap]\nmatch = 3\n", "want a string"},
	} {
		_, err := parseConfig("c.toml", []byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s\nerr = %v, want %q", tt.doc, err, tt.want)
		}
	}
}
