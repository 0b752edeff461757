package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
	"golang.org/x/text/unicode/norm"
)

// importChannel is the channel of the feeds outside any folder when import
// is given no -channel.
const importChannel = "imported"

// maxImportID is the longest id import derives; longer ones are cut at a '-'.
const maxImportID = 40

func cmdImport(_ context.Context, e *env, args []string) int {
	f := newBareFlags(e, "import")
	f.StringVar(&f.config, "config", "", "the configuration `FILE` the tables are for (default $YIZHAN_CONFIG, else config.toml, if it exists): its feeds are left out, its ids avoided, its channels joined")
	channel := f.String("channel", "", "put every feed in channel `ID` instead of one channel per folder")
	rest, code, done := f.parse(args, 1, 1)
	if done {
		return code
	}
	if *channel != "" && (!idPattern.MatchString(*channel) || *channel == "latest" || *channel == "search") {
		fmt.Fprintf(e.stderr, "yizhan import: -channel %q is not a valid channel id: lowercase letters, digits and '-', starting with a letter or digit, not \"latest\"\n", *channel)
		f.usage(e.stderr)
		return exitUsage
	}
	// The tables are for a configuration: the one named, or config.toml
	// if there is one.
	var target *Config
	cfgPath := configPath(f.config, e.getenv)
	cfg, err := loadConfig(cfgPath)
	switch {
	case err == nil:
		target = cfg
	case f.config == "" && e.getenv("YIZHAN_CONFIG") == "" && errors.Is(err, fs.ErrNotExist):
	default:
		printErrors(e.stderr, err)
		fmt.Fprintf(e.stderr, "yizhan import: the tables are for %s, which must validate first (yizhan check)\n", cfgPath)
		return exitFail
	}
	path := rest[0]
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan import: %v\n", err)
		return exitFail
	}
	doc, err := readOPML(path, data)
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan import: %v\n", err)
		return exitFail
	}
	for _, w := range doc.skipped {
		fmt.Fprintf(e.stderr, "yizhan import: %v\n", w)
	}
	if len(doc.feeds) == 0 {
		fmt.Fprintf(e.stderr, "yizhan import: %s: no feed to import (no outline with an http or https xmlUrl)\n", path)
		return exitFail
	}
	plan := planImport(doc, *channel, target)
	for _, k := range plan.known {
		fmt.Fprintf(e.stderr, "yizhan import: %s:%d: %q is source %s of %s already; left out\n", path, k.line, k.name, k.source, target.File)
	}
	if len(plan.sources) == 0 {
		fmt.Fprintf(e.stderr, "yizhan import: every feed of %s is in %s already\n", path, target.File)
		return exitOK
	}
	writeImport(e.stdout, cleanText(filepath.Base(path)), plan)
	return exitOK
}

// importPlan is what import prints: the channels to declare and the sources.
type importPlan struct {
	doc      *opmlDoc
	target   *Config           // the configuration the tables are for; nil if none
	channel  string            // -channel
	channels []importedChannel // to declare
	sources  []importedSource
	known    []knownFeed // feeds the target has already
}

type importedChannel struct{ id, title string }

// knownFeed is a feed outline whose URL a configured source has already.
type knownFeed struct {
	name, source string
	line         int
}

type importedSource struct {
	id, name, url string
	channels      []string
	line          int
	dups          []int // lines of the same feed's other outlines
}

// planImport gives each distinct feed of doc a source and each folder a
// channel, unless channel names the one channel of them all. Ids are valid
// and unique; a feed in several folders is one source in several channels.
// With a target configuration, the feeds it has are left out (known), its
// source and channel ids are not used again, and a folder whose id it
// declares (or -channel) joins that channel instead of declaring another.
func planImport(doc *opmlDoc, channel string, target *Config) *importPlan {
	p := &importPlan{doc: doc, target: target, channel: channel}
	chanIDs, srcIDs := newIDSet(), newIDSet()
	declared := make(map[string]bool)
	configured := make(map[string]string) // feed key → source id
	if target != nil {
		for _, c := range target.Channels {
			declared[c.ID], chanIDs[c.ID] = true, true
		}
		for _, s := range target.Sources {
			srcIDs[s.ID] = true
			configured[feedKey(s.URL)] = s.ID
		}
	}
	if channel != "" && target != nil && !declared[channel] {
		p.channels = append(p.channels, importedChannel{id: chanIDs.add(channel), title: channel})
	}
	chanByPath := make(map[string]string) // folder path → channel id
	channelOf := func(folders []string) string {
		if channel != "" {
			return channel
		}
		key := strings.Join(folders, "\x00")
		if id, ok := chanByPath[key]; ok {
			return id
		}
		var c importedChannel
		base, title := importChannel, cmp.Or(doc.title, importChannel)
		if len(folders) > 0 {
			title = folders[len(folders)-1]
			base = slug(title)
		}
		switch {
		case base != "" && declared[base]:
			chanByPath[key] = base
			return base
		case base == "":
			// A folder titled in Chinese, or not at all.
			base = "channel"
		}
		c.id = chanIDs.add(base)
		c.title = cmp.Or(title, c.id)
		if c.id != base && len(folders) > 1 {
			// Folders of one title in different places: the path
			// tells them apart.
			c.title = strings.Join(folders, " / ")
		}
		chanByPath[key] = c.id
		p.channels = append(p.channels, c)
		return c.id
	}

	byKey := make(map[string]int)
	for _, f := range doc.feeds {
		key := feedKey(f.url)
		if id, ok := configured[key]; ok {
			p.known = append(p.known, knownFeed{name: f.name, source: id, line: f.line})
			continue
		}
		ch := channelOf(f.folders)
		if i, ok := byKey[key]; ok {
			s := &p.sources[i]
			s.dups = append(s.dups, f.line)
			if s.name == "" {
				s.name = f.name
			}
			if !slices.Contains(s.channels, ch) {
				s.channels = append(s.channels, ch)
			}
			continue
		}
		id := slug(f.name)
		if id == "" {
			id = urlSlug(f.url)
		}
		byKey[key] = len(p.sources)
		p.sources = append(p.sources, importedSource{
			id: srcIDs.add(cmp.Or(id, "feed")), name: f.name, url: f.url, channels: []string{ch}, line: f.line,
		})
	}
	return p
}

// idSet hands out unique ids: a taken one gets -2, -3….
type idSet map[string]bool

func newIDSet() idSet { return idSet{"latest": true, "search": true} }

func (s idSet) add(id string) string {
	got := id
	for n := 2; s[got]; n++ {
		suffix := "-" + strconv.Itoa(n)
		got = cut(id, maxImportID-len(suffix)) + suffix
	}
	s[got] = true
	return got
}

// slug derives an id from a title whose letters are all ASCII (once accents
// are dropped: "Café" is "cafe"): lower case, every run of other characters
// one '-'. A title with other letters (Chinese) or none gives "": the
// caller derives the id from something else.
func slug(title string) string {
	var b strings.Builder
	letters := false
	dash := false
	for _, r := range norm.NFD.String(title) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			letters = letters || unicode.IsLetter(r)
			b.WriteRune(unicode.ToLower(r))
		case unicode.IsLetter(r):
			return ""
		default:
			dash = true
		}
	}
	if !letters {
		return ""
	}
	return cut(b.String(), maxImportID)
}

// genericWords are parts of feed URLs that tell nothing about the feed.
var genericWords = map[string]bool{
	"www": true, "rss": true, "feed": true, "feeds": true, "atom": true, "index": true, "xml": true, "rss2": true,
}

// urlSlug derives an id from a feed URL, for a feed whose title has no ASCII
// letters: the host without its public suffix, then the path, leaving out
// www, rss, feed and the like and file extensions.
// http://www.people.com.cn/rss/politics.xml is "people-politics".
func urlSlug(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	if suffix, _ := publicsuffix.PublicSuffix(host); suffix != host {
		host = strings.TrimSuffix(host, "."+suffix)
	}
	var words []string
	for _, part := range append(strings.Split(host, "."), strings.Split(u.Path, "/")...) {
		if i := strings.LastIndexByte(part, '.'); i > 0 {
			part = part[:i] // politics.xml
		}
		w := slug(part)
		if w != "" && !genericWords[w] {
			words = append(words, w)
		} else if w == "" && part != "" && !strings.ContainsFunc(part, func(r rune) bool { return r >= utf8.RuneSelf }) {
			// Digits only: a column number is worth keeping.
			words = append(words, part)
		}
	}
	id := strings.Join(words, "-")
	if id == "" || !idPattern.MatchString(id) {
		return ""
	}
	return cut(id, maxImportID)
}

// cut shortens id to at most n bytes, at a '-' when there is one.
func cut(id string, n int) string {
	if len(id) <= n {
		return id
	}
	id = id[:n]
	if i := strings.LastIndexByte(id, '-'); i > 0 {
		id = id[:i]
	}
	return strings.TrimRight(id, "-")
}

// writeImport prints plan as TOML tables to append to config.toml.
func writeImport(w io.Writer, file string, p *importPlan) {
	version := ""
	if p.doc.version != "" {
		version = " (OPML " + p.doc.version + ")"
	}
	fmt.Fprintf(w, "# yizhan import: %d %s from %s%s", len(p.sources), plural(len(p.sources), "feed", "feeds"), file, version)
	if p.doc.title != "" {
		fmt.Fprintf(w, ", %s", tomlString(p.doc.title))
	}
	fmt.Fprintln(w, ".")
	if p.target != nil {
		fmt.Fprintf(w, "# Append to %s, run `yizhan check`, and `yizhan preview ID` to see a feed.\n", cleanText(p.target.File))
	} else {
		fmt.Fprintln(w, "# Append to config.toml, run `yizhan check`, and `yizhan preview ID` to see a feed.")
		if p.channel != "" {
			fmt.Fprintf(w, "# Every source goes to channel %q: declare it in a [[channel]] table if config.toml does not.\n", p.channel)
		}
	}
	for _, c := range p.channels {
		fmt.Fprintf(w, "\n[[channel]]\nid    = %s\ntitle = %s\n", tomlString(c.id), tomlString(c.title))
	}
	for _, s := range p.sources {
		fmt.Fprintln(w)
		if len(s.dups) > 0 {
			lines := make([]string, len(s.dups))
			for i, l := range s.dups {
				lines[i] = strconv.Itoa(l)
			}
			fmt.Fprintf(w, "# line %d; also at line %s\n", s.line, strings.Join(lines, ", "))
		} else {
			fmt.Fprintf(w, "# line %d\n", s.line)
		}
		fmt.Fprintf(w, "[[source]]\nid       = %s\n", tomlString(s.id))
		if s.name != "" {
			fmt.Fprintf(w, "name     = %s\n", tomlString(s.name))
		}
		chans := make([]string, len(s.channels))
		for i, c := range s.channels {
			chans[i] = tomlString(c)
		}
		fmt.Fprintf(w, "url      = %s\nchannels = [%s]\n", tomlString(s.url), strings.Join(chans, ", "))
	}
}

// tomlString quotes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\r':
			b.WriteString(`\r`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
