package main

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pelletier/go-toml/v2"

	"github.com/yizhan-hub/yizhan/feeds"
	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/postgres"
	"github.com/yizhan-hub/yizhan/sources"
)

// Config is a loaded, validated config.toml, as the rest of the program uses it.
type Config struct {
	File     string // the path it was read from
	Hub      hub.Settings
	Channels []hub.Channel
	Sources  []hub.Source

	// VariantCacheBytes is [hub] variant_cache_bytes: the memory the
	// renderings of feeds' query variants (?filter=, ?opencc=, …) may take.
	VariantCacheBytes int64

	// Warnings are what is valid but likely a mistake, in file order: an
	// enabled source scheduled more often than once a minute. check prints
	// them and serve logs them; they stop nothing.
	Warnings []*ConfigError

	// DatabaseEnv says Hub.Database came from $YIZHAN_DATABASE, not the file.
	DatabaseEnv bool

	// WebSub is the [websub] table; NoWebSub the sources with websub = false.
	WebSub   WebSubSettings
	NoWebSub map[string]bool
}

// minInterval is the shortest time between two runs of a source that is
// not worth a warning. Shorter schedules are valid (benchmarks run sources
// every second) but would hit an upstream that often.
const minInterval = time.Minute

// Source returns the configured source with the given id.
func (c *Config) Source(id string) (hub.Source, bool) {
	for _, s := range c.Sources {
		if s.ID == id {
			return s, true
		}
	}
	return hub.Source{}, false
}

// SourceChannels maps each configured source to the channels it feeds, as
// hub.Store.SyncSources wants it.
func (c *Config) SourceChannels() map[string][]string {
	m := make(map[string][]string, len(c.Sources))
	for _, s := range c.Sources {
		m[s.ID] = s.Channels
	}
	return m
}

// Defaults of config.toml, documented in README.md.
const (
	defaultTitle       = "驿站"
	defaultBaseURL     = "http://localhost:8080"
	defaultListen      = "127.0.0.1:8080"
	defaultDatabase    = "yizhan.db"
	defaultTimezone    = "Asia/Shanghai"
	defaultFeedSize    = 50
	defaultLatestSize  = 15
	defaultKeepDays    = 365
	defaultStaleDays   = 30
	maxKeepDays        = 36500 // a century; more overflows the age arithmetic of retention
	defaultSchedule    = "@every 30m"
	maxFeedSize        = 1000
	defaultMaxPages    = 5 // with a next selector; without one, one page
	defaultMaxArticles = 30
	defaultDelay       = time.Second
	maxMaxPages        = 100
	maxMaxArticles     = 1000

	defaultVariantCacheBytes = feeds.DefaultVariantCacheBytes
	minVariantCacheBytes     = 1 << 20 // a few variants of a channel
	maxVariantCacheBytes     = 1 << 34
)

// configFile mirrors config.toml. Pointers tell an absent key from a zero one.
type configFile struct {
	Hub     hubFile       `toml:"hub"`
	Channel []channelFile `toml:"channel"`
	Source  []sourceFile  `toml:"source"`
	WebSub  webSubFile    `toml:"websub"`
}

type hubFile struct {
	Title      string `toml:"title"`
	BaseURL    string `toml:"base_url"`
	Listen     string `toml:"listen"`
	Database   string `toml:"database"`
	Timezone   string `toml:"timezone"`
	FeedSize   *int   `toml:"feed_size"`
	LatestSize *int   `toml:"latest_size"`
	UserAgent  string `toml:"user_agent"`
	Dedup      *bool  `toml:"dedup"`
	Search     *bool  `toml:"search"`

	VariantCacheBytes *int64 `toml:"variant_cache_bytes"`
}

type channelFile struct {
	ID          string `toml:"id"`
	Title       string `toml:"title"`
	Description string `toml:"description"`
	Copyright   string `toml:"copyright"`
	KeepDays    *int   `toml:"keep_days"`
	KeepItems   int    `toml:"keep_items"`
}

type sourceFile struct {
	ID          string       `toml:"id"`
	Name        string       `toml:"name"`
	Kind        string       `toml:"kind"`
	URL         string       `toml:"url"`
	Channels    []string     `toml:"channels"`
	Schedule    string       `toml:"schedule"`
	Attribution string       `toml:"attribution"`
	Copyright   string       `toml:"copyright"`
	Enabled     *bool        `toml:"enabled"`
	Timezone    string       `toml:"timezone"`
	Encoding    string       `toml:"encoding"`
	StaleDays   *int         `toml:"stale_days"`
	HTML        *htmlFile    `toml:"html"`
	Sitemap     *sitemapFile `toml:"sitemap"`
	WebSub      *bool        `toml:"websub"`
}

type sitemapFile struct {
	Match string `toml:"match"`
}

type htmlFile struct {
	Links       string `toml:"links"`
	Next        string `toml:"next"`
	MaxPages    *int   `toml:"max_pages"`
	Refetch     bool   `toml:"refetch"`
	Delay       string `toml:"delay"`
	MaxArticles *int   `toml:"max_articles"`
	Title       string `toml:"title"`
	Date        string `toml:"date"`
	DateLayout  string `toml:"date_layout"`
	Body        string `toml:"body"`
	Credit      string `toml:"credit"`
	Author      string `toml:"author"`
}

// ConfigError is one problem in a configuration file.
type ConfigError struct {
	File string
	Line int    // 0 when unknown
	Key  string // "source[2].schedule"; empty for errors of the whole file
	Err  error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Key != "" {
		b.WriteString(": ")
		b.WriteString(e.Key)
	}
	b.WriteString(": ")
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// configPath returns the configuration file to use: the -config flag, else
// $YIZHAN_CONFIG, else config.toml in the working directory.
func configPath(flagValue string, getenv func(string) string) string {
	if flagValue != "" {
		return flagValue
	}
	if p := getenv("YIZHAN_CONFIG"); p != "" {
		return p
	}
	return "config.toml"
}

// loadConfig reads and validates the configuration file at path. Its error
// joins every problem found, each a *ConfigError.
func loadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, &ConfigError{File: path, Err: err}
	}
	return parseConfig(path, data)
}

// parseConfig decodes and validates a configuration read from file. A
// relative database path is taken relative to the file's directory.
func parseConfig(file string, data []byte) (*Config, error) {
	// Windows editors save UTF-8 with a byte order mark, which TOML's
	// grammar does not allow for; it changes no line.
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	var raw configFile
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return nil, decodeErrors(file, data, err)
	}
	v := validator{file: file, pos: indexPositions(data)}
	cfg := v.config(&raw, filepath.Dir(file))
	if len(v.errs) > 0 {
		// In file order, which is how an operator goes through them.
		slices.SortStableFunc(v.errs, func(a, b error) int {
			return a.(*ConfigError).Line - b.(*ConfigError).Line
		})
		return nil, errors.Join(v.errs...)
	}
	cfg.Warnings = v.warns
	return cfg, nil
}

// decodeErrors turns go-toml's errors into ConfigErrors with lines. Unknown
// keys come all at once; a syntax or type error stops the decoder, so it is
// the only one reported.
func decodeErrors(file string, data []byte, err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) {
		pos := indexPositions(data)
		errs := make([]error, 0, len(strict.Errors))
		for _, de := range strict.Errors {
			line, _ := de.Position()
			key := pos.keyAt(line)
			if key == "" {
				key = strings.Join(de.Key(), ".")
			}
			msg := "unknown key"
			if strings.HasSuffix(de.Error(), "missing table") {
				msg = "unknown table"
			}
			errs = append(errs, &ConfigError{File: file, Line: line, Key: key, Err: errors.New(msg)})
		}
		return errors.Join(errs...)
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		line, col := de.Position()
		msg := typeMessage(strings.TrimPrefix(de.Error(), "toml: "))
		key := ""
		if k := de.Key(); len(k) > 0 {
			key = indexPositions(data).keyAt(line)
		}
		if key == "" {
			msg = fmt.Sprintf("column %d: %s", col, msg)
		}
		return &ConfigError{File: file, Line: line, Key: key, Err: errors.New(msg)}
	}
	return &ConfigError{File: file, Err: err}
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// validator collects every problem of a decoded configuration.
type validator struct {
	file  string
	pos   positions
	errs  []error
	warns []*ConfigError
}

func (v *validator) errorf(key, format string, args ...any) {
	v.errs = append(v.errs, &ConfigError{File: v.file, Line: v.pos.line(key), Key: key, Err: fmt.Errorf(format, args...)})
}

func (v *validator) warnf(key, format string, args ...any) {
	v.warns = append(v.warns, &ConfigError{File: v.file, Line: v.pos.line(key), Key: key, Err: fmt.Errorf("warning: "+format, args...)})
}

func (v *validator) config(raw *configFile, dir string) *Config {
	cfg := &Config{File: v.file}
	cfg.Hub = v.hub(&raw.Hub, dir)
	cfg.VariantCacheBytes = v.variantCacheBytes(raw.Hub.VariantCacheBytes)

	channels := make(map[string]string) // id → key of its first declaration
	for i, c := range raw.Channel {
		key := fmt.Sprintf("channel[%d]", i)
		v.uniqueID(key, "channel", c.ID, channels)
		cfg.Channels = append(cfg.Channels, v.channel(key, c))
	}

	sources := make(map[string]string)
	for i, s := range raw.Source {
		key := fmt.Sprintf("source[%d]", i)
		v.uniqueID(key, "source", s.ID, sources)
		cfg.Sources = append(cfg.Sources, v.source(key, s, channels, cfg.Hub.Timezone))
		if s.WebSub != nil && !*s.WebSub {
			if cfg.NoWebSub == nil {
				cfg.NoWebSub = make(map[string]bool)
			}
			cfg.NoWebSub[s.ID] = true
		}
	}
	cfg.WebSub = v.websub(&raw.WebSub)
	return cfg
}

// uniqueID checks the id of the table at key, a channel or a source (what),
// and that no table before it in seen (id → key) has it; a valid id that
// is new is added to seen.
func (v *validator) uniqueID(key, what, id string, seen map[string]string) {
	if !v.id(key+".id", id, what == "channel") {
		return
	}
	if first, dup := seen[id]; dup {
		v.errorf(key+".id", "duplicate %s id %q (first at line %d)", what, id, v.pos.line(first+".id"))
		return
	}
	seen[id] = key
}

func (v *validator) hub(h *hubFile, dir string) hub.Settings {
	s := hub.Settings{
		Title:      or(h.Title, defaultTitle),
		BaseURL:    strings.TrimSuffix(or(h.BaseURL, defaultBaseURL), "/"),
		Listen:     or(h.Listen, defaultListen),
		Database:   or(h.Database, defaultDatabase),
		FeedSize:   intOr(h.FeedSize, defaultFeedSize),
		LatestSize: intOr(h.LatestSize, defaultLatestSize),
		UserAgent:  or(h.UserAgent, defaultUserAgent()),
		Dedup:      h.Dedup == nil || *h.Dedup,
		SearchOff:  h.Search != nil && !*h.Search,
	}
	if err := checkURL(s.BaseURL); err != nil {
		v.errorf("hub.base_url", "%v", err)
	} else if u, _ := url.Parse(s.BaseURL); u.RawQuery != "" || u.Fragment != "" {
		v.errorf("hub.base_url", "%q must not have a query or fragment", s.BaseURL)
	}
	if _, port, err := net.SplitHostPort(s.Listen); err != nil {
		v.errorf("hub.listen", "%q is not host:port: %v", s.Listen, err)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		v.errorf("hub.listen", "%q has no valid port", s.Listen)
	}
	if postgres.IsURL(s.Database) {
		if _, err := pgxpool.ParseConfig(s.Database); err != nil {
			v.errorf("hub.database", "%v", err)
		}
	} else if !filepath.IsAbs(s.Database) {
		s.Database = filepath.Join(dir, s.Database)
	}
	s.Timezone = v.location("hub.timezone", or(h.Timezone, defaultTimezone))
	if s.Timezone == nil {
		s.Timezone = time.UTC
	}
	if s.FeedSize < 1 || s.FeedSize > maxFeedSize {
		v.errorf("hub.feed_size", "%d is out of range 1..%d", s.FeedSize, maxFeedSize)
	}
	if s.LatestSize < 1 || s.LatestSize > maxFeedSize {
		v.errorf("hub.latest_size", "%d is out of range 1..%d", s.LatestSize, maxFeedSize)
	}
	if strings.ContainsAny(s.UserAgent, "\r\n") {
		v.errorf("hub.user_agent", "must be one line")
	}
	return s
}

// variantCacheBytes checks [hub] variant_cache_bytes, nil when absent.
func (v *validator) variantCacheBytes(n *int64) int64 {
	if n == nil {
		return defaultVariantCacheBytes
	}
	if *n < minVariantCacheBytes || *n > maxVariantCacheBytes {
		v.errorf("hub.variant_cache_bytes", "%d is out of range %d..%d", *n, int64(minVariantCacheBytes), int64(maxVariantCacheBytes))
	}
	return *n
}

func (v *validator) channel(key string, c channelFile) hub.Channel {
	ch := hub.Channel{
		ID:          c.ID,
		Title:       or(c.Title, c.ID),
		Description: c.Description,
		Copyright:   c.Copyright,
		KeepDays:    intOr(c.KeepDays, defaultKeepDays),
		KeepItems:   c.KeepItems,
	}
	if ch.KeepDays < 0 {
		v.errorf(key+".keep_days", "%d is negative (0 keeps items forever)", ch.KeepDays)
	} else if ch.KeepDays > maxKeepDays {
		v.errorf(key+".keep_days", "%d is out of range 0..%d (0 keeps items forever)", ch.KeepDays, maxKeepDays)
	}
	if ch.KeepItems < 0 {
		v.errorf(key+".keep_items", "%d is negative (0 sets no count limit)", ch.KeepItems)
	}
	return ch
}

func (v *validator) source(key string, s sourceFile, channels map[string]string, hubZone *time.Location) hub.Source {
	src := hub.Source{
		ID:          s.ID,
		Name:        or(s.Name, s.ID),
		Kind:        or(s.Kind, hub.KindFeed),
		URL:         s.URL,
		Channels:    s.Channels,
		Schedule:    or(s.Schedule, defaultSchedule),
		Attribution: s.Attribution,
		Copyright:   s.Copyright,
		Enabled:     s.Enabled == nil || *s.Enabled,
		Timezone:    hubZone,
		Encoding:    s.Encoding,
		StaleDays:   intOr(s.StaleDays, defaultStaleDays),
	}
	if src.StaleDays < 0 {
		v.errorf(key+".stale_days", "%d is negative (0 never marks the source stale)", src.StaleDays)
	} else if src.StaleDays > maxKeepDays {
		v.errorf(key+".stale_days", "%d is out of range 0..%d (0 never marks the source stale)", src.StaleDays, maxKeepDays)
	}
	if s.URL == "" {
		v.errorf(key+".url", "required")
	} else if err := checkURL(s.URL); err != nil {
		v.errorf(key+".url", "%v", err)
	}
	if len(s.Channels) == 0 {
		v.errorf(key+".channels", "at least one channel is required")
	}
	seen := make(map[string]bool)
	for _, c := range s.Channels {
		switch {
		case channels[c] == "":
			v.errorf(key+".channels", "unknown channel %q (declare it in a [[channel]] table)", c)
		case seen[c]:
			v.errorf(key+".channels", "channel %q listed twice", c)
		}
		seen[c] = true
	}
	if err := hub.ValidateSchedule(src.Schedule); err != nil {
		v.errorf(key+".schedule", "%v", err)
	} else if d := hub.ScheduleInterval(src.Schedule, hubZone); src.Enabled && d > 0 && d < minInterval {
		// Five-field cron specs run at most once a minute; only @every can
		// run more often, at a constant interval, so one gap measures it.
		v.warnf(key+".schedule", "%q runs source %s every %v, more often than once a minute: the upstream may block the hub", src.Schedule, src.ID, d)
	}
	if s.Timezone != "" {
		if loc := v.location(key+".timezone", s.Timezone); loc != nil {
			src.Timezone = loc
		}
	}
	// sources decides which labels it can decode (WHATWG's, then IANA's).
	if s.Encoding != "" && sources.CheckEncoding(s.Encoding) != nil {
		v.errorf(key+".encoding", "unknown encoding %q", s.Encoding)
	}
	switch src.Kind {
	case hub.KindFeed:
		if s.HTML != nil {
			v.errorf(key+".html", "only for kind = %q or %q", hub.KindHTML, hub.KindSitemap)
		}
	case hub.KindSitemap:
		src.HTML = v.sitemapHTML(key+".html", s.HTML)
		src.Sitemap = &hub.SitemapRules{}
		if s.Sitemap != nil {
			src.Sitemap.Match = s.Sitemap.Match
			if err := sources.CheckSitemapRules(src.Sitemap); err != nil {
				v.errorf(key+".sitemap.match", "%v", err)
			}
		}
	case hub.KindHTML:
		if s.HTML == nil {
			v.errorf(key+".html.links", "required for kind = %q: add a [source.html] table with links = \"CSS selector\"", hub.KindHTML)
			break
		}
		src.HTML = v.html(key+".html", s.HTML)
	default:
		v.errorf(key+".kind", "%q is not %q, %q or %q", s.Kind, hub.KindFeed, hub.KindHTML, hub.KindSitemap)
	}
	if s.Sitemap != nil && src.Kind != hub.KindSitemap {
		v.errorf(key+".sitemap", "only for kind = %q", hub.KindSitemap)
	}
	return src
}

// sitemapHTML checks the [source.html] table of a sitemap source, absent or
// not: its limits and overrides apply to the article pages, but it has no
// listing page, so no links or next selector.
func (v *validator) sitemapHTML(key string, h *htmlFile) *hub.HTMLRules {
	if h == nil {
		h = &htmlFile{}
	}
	for _, k := range []struct{ name, val string }{{"links", h.Links}, {"next", h.Next}} {
		if k.val != "" {
			v.errorf(key+"."+k.name, "only for kind = %q: a sitemap source lists its articles itself", hub.KindHTML)
		}
	}
	if h.MaxPages != nil {
		v.errorf(key+".max_pages", "only for kind = %q", hub.KindHTML)
	}
	h2 := *h
	h2.Links, h2.Next, h2.MaxPages = "*", "", nil
	r := v.html(key, &h2)
	r.Links = ""
	return r
}

func (v *validator) html(key string, h *htmlFile) *hub.HTMLRules {
	r := &hub.HTMLRules{
		Links:       h.Links,
		Next:        h.Next,
		MaxPages:    1,
		Refetch:     h.Refetch,
		Delay:       defaultDelay,
		MaxArticles: intOr(h.MaxArticles, defaultMaxArticles),
		Title:       h.Title,
		Date:        h.Date,
		DateLayout:  h.DateLayout,
		Body:        h.Body,
		Credit:      h.Credit,
		Author:      h.Author,
	}
	if h.Next != "" {
		r.MaxPages = defaultMaxPages
	}
	r.MaxPages = intOr(h.MaxPages, r.MaxPages)
	for _, p := range sources.HTMLRuleProblems(r) {
		v.errorf(key+"."+p.Key, "%v", p.Err)
	}
	if r.MaxPages < 1 || r.MaxPages > maxMaxPages {
		v.errorf(key+".max_pages", "%d is out of range 1..%d", r.MaxPages, maxMaxPages)
	}
	if r.MaxArticles < 1 || r.MaxArticles > maxMaxArticles {
		v.errorf(key+".max_articles", "%d is out of range 1..%d", r.MaxArticles, maxMaxArticles)
	}
	if h.Delay != "" {
		d, err := time.ParseDuration(h.Delay)
		switch {
		case err != nil:
			v.errorf(key+".delay", "%v", err)
		case d < 0:
			v.errorf(key+".delay", "%q is negative", h.Delay)
		default:
			r.Delay = d
		}
	}
	if h.DateLayout != "" && !strings.ContainsAny(h.DateLayout, "0123456789") {
		v.errorf(key+".date_layout", "%q is not a Go time layout (write the reference time, e.g. \"2006-01-02 15:04\")", h.DateLayout)
	}
	return r
}

// id checks an id; channels may not use the reserved "latest" and
// "search" (feeds.LatestID, feeds.SearchID).
func (v *validator) id(key, id string, channel bool) bool {
	switch {
	case id == "":
		v.errorf(key, "required")
	case !idPattern.MatchString(id):
		v.errorf(key, "%q is not a valid id: lowercase letters, digits and '-', starting with a letter or digit", id)
	case channel && id == "latest":
		v.errorf(key, `"latest" is reserved for the ticker of all channels`)
	case channel && id == "search":
		v.errorf(key, `"search" is reserved for the search feed (/feeds/search.rss?q=…)`)
	default:
		return true
	}
	return false
}

func (v *validator) location(key, name string) *time.Location {
	// time.LoadLocation reads "" and "UTC" as UTC and "Local" as the
	// machine's zone, which would make a config mean different things on
	// different hosts.
	if name == "Local" {
		v.errorf(key, `"Local" depends on the machine; name a zone such as "Asia/Shanghai"`)
		return nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		v.errorf(key, "unknown time zone %q", name)
		return nil
	}
	return loc
}

// checkURL accepts absolute http and https URLs with a host.
func checkURL(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http or https URL", s)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q has no host", s)
	}
	return nil
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func intOr(p *int, def int) int {
	if p == nil {
		return def
	}
	return *p
}

var typeError = regexp.MustCompile(`^cannot decode TOML (\w+) into struct field \S+ of type (\S+)$`)

// typeMessage rewrites go-toml's type mismatch, which names our Go types,
// in the words of TOML.
func typeMessage(msg string) string {
	m := typeError.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want := map[string]string{
		"int": "an integer", "*int": "an integer", "string": "a string",
		"bool": "a boolean", "*bool": "a boolean", "[]string": "an array of strings",
		"*main.htmlFile": "a table", "main.hubFile": "a table", "*main.sitemapFile": "a table",
	}[m[2]]
	if want == "" {
		return msg
	}
	return fmt.Sprintf("want %s, have a TOML %s", want, m[1])
}
