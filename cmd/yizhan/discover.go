package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/sources"
)

// discoverChannel is the channel of discovered sources when neither
// -channel nor a configuration names one.
const discoverChannel = "news"

func cmdDiscover(ctx context.Context, e *env, args []string) int {
	f := newBareFlags(e, "discover")
	f.StringVar(&f.config, "config", "", "the configuration `FILE` the tables are for (default $YIZHAN_CONFIG, else config.toml, if it exists): its ids are avoided, its first channel used, its user_agent sent")
	channel := f.String("channel", "", "the channel `ID` of the proposed sources (default: the configuration's first channel, else \""+discoverChannel+"\")")
	encoding := f.String("encoding", "", "read the page in charset `LABEL` (gb18030, big5, …) whatever it declares, as a source's encoding does")
	rest, code, done := f.parse(args, 1, 1)
	if done {
		return code
	}
	if *channel != "" && (!idPattern.MatchString(*channel) || *channel == "latest") {
		fmt.Fprintf(e.stderr, "yizhan discover: -channel %q is not a valid channel id\n", *channel)
		return exitUsage
	}
	if *encoding != "" && sources.CheckEncoding(*encoding) != nil {
		fmt.Fprintf(e.stderr, "yizhan discover: -encoding %q: unknown encoding\n", *encoding)
		return exitUsage
	}
	page := rest[0]
	if checkURL(page) != nil {
		fmt.Fprintf(e.stderr, "yizhan discover: %q is not an absolute http or https URL\n", page)
		return exitUsage
	}

	var target *Config
	cfgPath := configPath(f.config, e.getenv)
	switch cfg, err := loadConfig(cfgPath); {
	case err == nil:
		target = cfg
	case f.config == "" && e.getenv("YIZHAN_CONFIG") == "" && errors.Is(err, fs.ErrNotExist):
	default:
		printErrors(e.stderr, err)
		fmt.Fprintf(e.stderr, "yizhan discover: the tables are for %s, which must validate first (yizhan check)\n", cfgPath)
		return exitFail
	}
	ua := defaultUserAgent()
	zone, _ := time.LoadLocation(defaultTimezone)
	ids := newIDSet()
	ch := *channel
	if target != nil {
		ua, zone = target.Hub.UserAgent, target.Hub.Timezone
		for _, s := range target.Sources {
			ids[s.ID] = true
		}
		if ch == "" && len(target.Channels) > 0 {
			ch = target.Channels[0].ID
		}
	}
	ch = cmp.Or(ch, discoverChannel)

	fetcher := sources.New(sources.Options{Client: sources.NewClient(sources.ClientOptions{UserAgent: ua})})
	d, err := fetcher.Discover(ctx, page, sources.DiscoverOptions{Encoding: *encoding, Timezone: zone})
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan discover: %s\n", discoverError(page, err))
		return exitFail
	}
	for _, ff := range d.Failed {
		fmt.Fprintf(e.stderr, "yizhan discover: the page links to %s, which does not read as a feed: %s\n", ff.URL, oneLine(ff.Err.Error(), 300))
	}
	switch {
	case d.Sitemap != nil:
		writeSitemap(e.stdout, d, ch, ids, target)
	case len(d.Feeds) > 0:
		writeFeeds(e.stdout, d, ch, ids, target)
	case d.Listing != nil:
		writeListing(e.stdout, d, ch, ids, target, *encoding)
	default:
		fmt.Fprintf(e.stderr, "yizhan discover: %s: no feed, and no list of article links (repeated links with headline-like texts)\n", d.URL)
		return exitFail
	}
	return exitOK
}

// discoverError says in plain words why a page could not be read.
func discoverError(page string, err error) string {
	var se *sources.StatusError
	var ne net.Error
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("%s answered HTTP %d %s", se.URL, se.Code, httpStatusText(se.Code))
	case errors.Is(err, sources.ErrNotHTML):
		return err.Error() + ": give the URL of a page, a feed or a sitemap"
	case errors.As(err, &dnsErr):
		return fmt.Sprintf("cannot reach %s: no such host %s", page, dnsErr.Name)
	case errors.As(err, &opErr), errors.As(err, &ne):
		return fmt.Sprintf("cannot reach %s: %v", page, err)
	}
	return fmt.Sprintf("%s: %v", page, err)
}

func httpStatusText(code int) string {
	// Kept here so that the message does not depend on net/http's text.
	switch code {
	case 403:
		return "Forbidden (the site may refuse clients that are not browsers: try its sitemap, kind = \"sitemap\")"
	case 404:
		return "Not Found"
	case 410:
		return "Gone"
	case 429:
		return "Too Many Requests"
	}
	if code >= 500 {
		return "(a server error: try again later)"
	}
	return ""
}

// newID returns a unique id for a source named name at u.
func newID(ids idSet, name, u string) string {
	id := slug(name)
	if id == "" {
		id = urlSlug(u)
	}
	if id == "" {
		id = "source"
	}
	return ids.add(id)
}

func writeHeader(w io.Writer, target *Config, ch string) {
	file := "config.toml"
	if target != nil {
		file = cleanText(target.File)
	}
	fmt.Fprintf(w, "# Append to %s, run `yizhan check`, and `yizhan preview ID` to see what it reads.\n", file)
	declared := false
	if target != nil {
		for _, c := range target.Channels {
			declared = declared || c.ID == ch
		}
	}
	if !declared {
		fmt.Fprintf(w, "# Channel %q: declare it in a [[channel]] table, or name another with -channel.\n", ch)
	}
}

// writeFeeds prints a [[source]] table for every feed the page advertises.
func writeFeeds(w io.Writer, d *sources.Discovery, ch string, ids idSet, target *Config) {
	fmt.Fprintf(w, "# yizhan discover: %d %s on %s", len(d.Feeds), plural(len(d.Feeds), "feed", "feeds"), cleanText(d.URL))
	if d.Title != "" {
		fmt.Fprintf(w, " (%s)", oneLine(d.Title, 80))
	}
	fmt.Fprintln(w, ".")
	writeHeader(w, target, ch)
	for _, ff := range d.Feeds {
		where := "linked in the page"
		if ff.InHead {
			where = `advertised with <link rel="alternate">`
		}
		title := oneLine(ff.Title, 80)
		fmt.Fprintf(w, "\n# %s — %s, %d %s; %s\n", cmp.Or(title, "(untitled)"), strings.ToUpper(ff.Format), ff.Items, plural(ff.Items, "item", "items"), where)
		fmt.Fprintf(w, "[[source]]\nid       = %s\n", tomlString(newID(ids, ff.Title, ff.URL)))
		if title != "" {
			fmt.Fprintf(w, "name     = %s\n", tomlString(title))
		}
		fmt.Fprintf(w, "url      = %s\nchannels = [%s]\n", tomlString(ff.URL), tomlString(ch))
	}
}

// writeListing prints the proposed html source for a listing page, with
// the first articles as it reads them.
func writeListing(w io.Writer, d *sources.Discovery, ch string, ids idSet, target *Config, encoding string) {
	l := d.Listing
	fmt.Fprintf(w, "# yizhan discover: no feed on %s", cleanText(d.URL))
	if d.Title != "" {
		fmt.Fprintf(w, " (%s)", oneLine(d.Title, 80))
	}
	fmt.Fprintf(w, ";\n# it reads as a listing of %d article %s (%d dated). A proposed html source:\n",
		len(l.URLs), plural(len(l.URLs), "link", "links"), l.Dated)
	writeHeader(w, target, ch)
	if !l.Exact {
		fmt.Fprintln(w, "# The selector also picks links that are not headlines: narrow it before you use it.")
	}
	fmt.Fprintf(w, "#\n# The first articles, as the html source reads them:\n")
	for i, link := range l.URLs[:min(len(l.URLs), sources.DiscoverArticles)] {
		fmt.Fprintf(w, "#   %d. ", i+1)
		if j := slices.IndexFunc(l.Articles, func(it hub.Item) bool { return it.URL == link }); j >= 0 {
			it := l.Articles[j]
			date := "no date"
			switch t := it.Published; {
			case t.IsZero():
			case t.Hour() == 0 && t.Minute() == 0:
				date = t.Format("2006-01-02")
			default:
				date = t.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(w, "%s\n#      %s", oneLine(it.Title, 80), date)
			if it.Credit != "" && it.Credit != d.Title {
				fmt.Fprintf(w, " · 来源 %s", oneLine(it.Credit, 40))
			}
			if it.Author != "" {
				fmt.Fprintf(w, " · 作者 %s", oneLine(it.Author, 40))
			}
			fmt.Fprintln(w)
		} else {
			why := "not read"
			for _, err := range l.Failed {
				if strings.Contains(err.Error(), link) {
					why = strings.TrimPrefix(strings.TrimPrefix(err.Error(), link), ": ")
				}
			}
			fmt.Fprintf(w, "(not read: %s)\n", oneLine(why, 200))
		}
		fmt.Fprintf(w, "#      %s\n", cleanText(link))
	}
	name := oneLine(d.Title, 60)
	u, _ := url.Parse(d.URL)
	fmt.Fprintf(w, "\n[[source]]\nid          = %s\n", tomlString(newID(ids, "", d.URL)))
	if name != "" {
		fmt.Fprintf(w, "name        = %s\n", tomlString(name))
	}
	fmt.Fprintf(w, "kind        = %q\nurl         = %s\nchannels    = [%s]\n", hub.KindHTML, tomlString(d.URL), tomlString(ch))
	if u != nil {
		fmt.Fprintf(w, "# attribution = \"…\"   # the publisher to credit when an article names none (%s)\n", cleanText(u.Host))
	}
	if encoding != "" {
		fmt.Fprintf(w, "encoding    = %s\n", tomlString(encoding))
	}
	fmt.Fprintf(w, "\n[source.html]\nlinks = %s\n", tomlString(l.Links))
}

// writeSitemap prints a sitemap source for a URL that is an XML sitemap.
func writeSitemap(w io.Writer, d *sources.Discovery, ch string, ids idSet, target *Config) {
	sm := d.Sitemap
	what := fmt.Sprintf("a sitemap of %d %s", sm.Entries, plural(sm.Entries, "URL", "URLs"))
	if sm.Index {
		what = fmt.Sprintf("a sitemap index of %d %s", sm.Entries, plural(sm.Entries, "sitemap", "sitemaps"))
	}
	fmt.Fprintf(w, "# yizhan discover: %s is %s", cleanText(d.URL), what)
	if !sm.Newest.IsZero() {
		fmt.Fprintf(w, ", the newest of %s", sm.Newest.Format("2006-01-02 15:04"))
	}
	fmt.Fprintln(w, ".")
	writeHeader(w, target, ch)
	fmt.Fprintf(w, "# Its newest article pages are read as an html source reads them; narrow them with match.\n")
	fmt.Fprintf(w, "\n[[source]]\nid          = %s\nkind        = %q\nurl         = %s\nchannels    = [%s]\n",
		tomlString(newID(ids, "", d.URL)), hub.KindSitemap, tomlString(d.URL), tomlString(ch))
	fmt.Fprintf(w, "# attribution = \"…\"   # the publisher to credit when an article names none\n")
	fmt.Fprintf(w, "\n[source.sitemap]\n# match = '/n1/\\d{4}/'   # an RE2 pattern the article URLs must match\n")
}
