package feeds

import (
	"bytes"
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/fold"
)

// SearchID is the name of the search feed in feed URLs
// (/feeds/search.rss?q=…); configuration reserves it, as LatestID.
const SearchID = "search"

// Parameters of a search, besides those of every feed.
const (
	paramQ       = "q"
	paramChannel = "channel"
)

// maxWords bounds q, in bytes.
const maxWords = 512

// searchPageSize is how many results a search page shows.
const searchPageSize = 20

// search is what one search asks for.
type search struct {
	words   string // q, trimmed
	channel string // "": every channel
}

// query is the search as the first parameters of its URLs.
func (s search) query() string { return queryString(paramQ, s.words, paramChannel, s.channel) }

// parseSearch reads q and channel from a query, and returns the rest of
// the query for parseQuery. q is required; channel, when given, names a
// configured channel.
func parseSearch(raw string, cfg *config) (search, string, *queryError) {
	if len(raw) > maxQuery {
		return search{}, "", &queryError{"query", "longer than " + fmt.Sprint(maxQuery) + " bytes"}
	}
	vals, err := url.ParseQuery(raw)
	if err != nil {
		return search{}, "", &queryError{"query", "malformed"}
	}
	var s search
	switch qs := vals[paramQ]; {
	case len(qs) > 1:
		return s, "", &queryError{paramQ, "given more than once"}
	case len(qs) == 0 || strings.TrimSpace(qs[0]) == "":
		return s, "", &queryError{paramQ, "required: the words to search for, separated by spaces"}
	case len(qs[0]) > maxWords || !utf8.ValidString(qs[0]):
		return s, "", &queryError{paramQ, "is not words of at most " + fmt.Sprint(maxWords) + " bytes"}
	default:
		s.words = strings.Join(strings.Fields(qs[0]), " ")
	}
	switch cs := vals[paramChannel]; {
	case len(cs) > 1:
		return s, "", &queryError{paramChannel, "given more than once"}
	case len(cs) == 1 && cs[0] != "" && cs[0] != LatestID:
		if cfg.channels[cs[0]] == nil {
			return s, "", &queryError{paramChannel, "no channel " + fmt.Sprintf("%q", cs[0])}
		}
		s.channel = cs[0]
	}
	delete(vals, paramQ)
	delete(vals, paramChannel)
	return s, vals.Encode(), nil
}

// searchSize is how many items a search feed holds: a channel's feed size.
func (c *config) searchSize() int {
	if len(c.order) > 0 {
		return c.order[0].size
	}
	return c.latest.size
}

// searchChannel is the search as a channel to render.
func (c *config) searchChannel(s search) *channelInfo {
	title := "搜索：" + s.words
	if ch := c.channels[s.channel]; ch != nil && s.channel != "" {
		title += "（" + ch.title + "）"
	}
	return &channelInfo{
		id:           SearchID,
		title:        title + " · " + c.title,
		description:  c.title + " 中标题或正文含“" + s.words + "”的条目",
		size:         c.searchSize(),
		maxAge:       c.latest.maxAge,
		cacheControl: c.latest.cacheControl,
	}
}

// searchURL is the address of a search feed in format f, with more
// parameters after the search's own.
func (c *config) searchURL(f format, s search, more string) string {
	u := c.feedURL(SearchID, f, 0) + "?" + s.query()
	if more != "" {
		u += "&" + more
	}
	return u
}

// searchFeed serves /feeds/search.{rss,atom,json}?q=….
func (h *Handler) searchFeed(w http.ResponseWriter, r *http.Request, f format) {
	cfg := h.cache.config()
	if h.searcher == nil {
		h.metrics.request(SearchID, f, http.StatusNotFound)
		http.Error(w, "404 not found: this hub's store does not search", http.StatusNotFound)
		return
	}
	s, rest, qerr := parseSearch(r.URL.RawQuery, cfg)
	if qerr != nil {
		h.metrics.request(SearchID, f, badQuery(w, qerr))
		return
	}
	limit, v, qerr := parseQuery(rest, cfg.searchSize(), cfg.sources)
	if qerr != nil {
		h.metrics.request(SearchID, f, badQuery(w, qerr))
		return
	}
	e, err := h.cache.getSearch(r.Context(), h.searcher, f, s, limit, v)
	if err != nil {
		if bad, ok := err.(*queryError); ok {
			h.metrics.request(SearchID, f, badQuery(w, bad))
			return
		}
		h.metrics.request(SearchID, f, h.fail(w, r, err))
		return
	}
	h.metrics.request(SearchID, f, e.serve(w, r))
}

// getSearch returns the rendering of a search feed: kept with the feed
// variants under the ticker, whose every change drops it (a search may
// match any channel's new items).
func (c *Cache) getSearch(ctx context.Context, se hub.Searcher, f format, s search, limit int, v *variant) (*entry, error) {
	rest := ""
	if v != nil {
		rest = v.key
	} else if limit > 0 {
		rest = queryString(paramLimit, fmt.Sprint(limit))
	}
	k := queryKey{LatestID, f, "search\x00" + s.query() + "\x00" + rest}
	if e := c.vars.get(k, c.now); e != nil {
		return e, nil
	}
	c.mu.RLock()
	st, cfg := c.stampLocked(LatestID), c.cfg.Load()
	c.mu.RUnlock()
	val, err, _ := c.sf.Do("q\x00"+k.query+"\x00"+fmt.Sprint(f)+"\x00"+st.String(), func() (any, error) {
		if e := c.vars.get(k, c.now); e != nil {
			return e, nil
		}
		var m *matcher
		if v != nil {
			var qerr *queryError
			if m, qerr = v.compile(); qerr != nil {
				return nil, qerr
			}
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		ch := cfg.searchChannel(s)
		n := ch.size
		var before *hub.Position
		if v != nil {
			before = v.before
			if v.limit > 0 && !v.filters() {
				n = v.limit
			}
		} else if limit > 0 {
			n = limit
		}
		snap, err := searchSnapshot(ctx, se, cfg, ch, s, n, before, c.now())
		if err != nil {
			return nil, err
		}
		var fv *feedView
		lastMod, expires := snap.lastMod, time.Time{}
		if m != nil {
			if fv, lastMod, expires, err = m.view(cfg, ch, snap, c.now()); err != nil {
				return nil, err
			}
		} else {
			fv = newFeedView(cfg, ch, snap, limit)
		}
		self := rest
		fv.selfURL = func(f format) string { return cfg.searchURL(f, s, self) }
		fv.feedID = func(f format) string { return cfg.searchURL(f, s, "") }
		fv.nextURL = nil
		// A search is not a WebSub topic (any channel's change may change
		// it), so its documents name no hub.
		fv.HubURL = ""
		lim, filtering := limit, false
		if v != nil {
			lim, filtering = v.limit, v.filters()
		}
		if p, ok := nextAfter(snap, lim, filtering); ok {
			next := v.next(lim, p)
			fv.nextURL = func(f format) string { return cfg.searchURL(f, s, next) }
		}
		body, err := render(f, fv)
		if err != nil {
			return nil, err
		}
		e := newEntry(body, f.contentType(), ch.cacheControl, lastMod)
		c.mu.Lock()
		if c.stampLocked(LatestID) == st {
			c.vars.put(k, e, expires)
		}
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return val.(*entry), nil
}

// searchSnapshot reads n results of a search after before, and whether
// more follow, as a snapshot to render: each story once when the hub
// shows reposts as one story ([hub] dedup), as its feeds do.
func searchSnapshot(ctx context.Context, se hub.Searcher, cfg *config, ch *channelInfo, s search, n int, before *hub.Position, now time.Time) (*snapshot, error) {
	items, err := se.Search(ctx, hub.SearchQuery{Words: s.words, Channel: s.channel, Limit: n + 1, Before: before,
		Dedup: cfg.latest.query.Dedup})
	if err != nil {
		return nil, err
	}
	more := len(items) > n
	if more {
		items = items[:n]
	}
	snap := newSnapshot(items, ch, cfg)
	snap.setMore(more)
	if snap.lastMod.After(now) || snap.lastMod.IsZero() {
		snap.lastMod = now.Truncate(time.Second)
	}
	return snap, nil
}

// The search page, among the pages' templates.
var _ = template.Must(pagesTemplate.New("search page").Parse(`
{{- define "search"}}{{template "head" .}}
<header>
<h1>{{.Heading}}</h1>
{{- template "form" .Form}}
{{- if .Search}}
<p class="feeds">订阅这个搜索：{{range .Feeds}}<a href="{{.URL}}" type="{{.Type}}">{{.Name}}</a> {{end}}</p>
{{- else}}
<p>输入词语，以空格分隔：标题或正文含全部词语的条目按时间倒序列出。两个字以上的中文词在任何位置都能找到，简体繁体通用，英文不分大小写。</p>
{{- end}}
</header>
<main>
{{- if .Search}}{{if .Items}}{{.Items}}{{else}}
<p>没有找到含“{{.Words}}”的条目。</p>
{{- end}}
{{- if .Older}}
<p class="pager"><a rel="next" href="{{.Older}}">更早的结果 →</a></p>
{{- end}}{{end}}
</main>
</body>
</html>
{{end}}`))

type searchPage struct {
	pageHead
	Heading string
	Form    searchForm
	Search  bool // a search was made: show its results
	Words   string
	Items   template.HTML // writeItems'

	Older string
	Feeds []indexLink
}

// serveSearch serves /search?q=…[&channel=ID][&before=CURSOR]: the search
// form, and with q the results, newest first, matches highlighted.
func (h *Handler) serveSearch(w http.ResponseWriter, r *http.Request) {
	cfg := h.cache.config()
	if h.searcher == nil {
		http.Error(w, "404 not found: this hub's store does not search", http.StatusNotFound)
		return
	}
	p := searchPage{
		pageHead: pageHead{
			Title: "搜索 · " + cfg.title,
			Hub:   cfg.title,
			Home:  cfg.homeURL(),
			Crumb: "搜索",
			Style: pageStyle + pagesStyle,
		},
		Heading: "搜索",
		Form:    searchForm{Action: cfg.searchPageURL(), Options: formOptions(cfg, "")},
	}
	vals := r.URL.Query()
	if strings.TrimSpace(vals.Get(paramQ)) != "" {
		s, rest, qerr := parseSearch(r.URL.RawQuery, cfg)
		if qerr != nil {
			badQuery(w, qerr)
			return
		}
		restVals, _ := url.ParseQuery(rest)
		var before *hub.Position
		if bs, ok := restVals[paramBefore]; ok {
			pos, okCursor := hub.Position{}, len(bs) == 1
			if okCursor {
				pos, okCursor = parseCursor(bs[0])
			}
			if !okCursor {
				badQuery(w, &queryError{paramBefore, "is not a cursor of this hub (follow the page's link)"})
				return
			}
			before = &pos
		}
		ch := cfg.searchChannel(s)
		snap, err := searchSnapshot(r.Context(), h.searcher, cfg, ch, s, searchPageSize, before, h.now())
		if err != nil {
			h.fail(w, r, err)
			return
		}
		q := fold.Parse(s.words)
		p.Search, p.Words = true, s.words
		p.Title = "搜索：" + s.words + " · " + cfg.title
		p.Heading = "搜索：" + s.words
		p.Form = searchForm{Action: cfg.searchPageURL(), Query: s.words, Options: formOptions(cfg, s.channel)}
		for _, f := range feedFormats {
			name := map[format]string{formatRSS: "RSS", formatAtom: "Atom", formatJSON: "JSON Feed"}[f]
			p.Links = append(p.Links, indexLink{name, strings.SplitN(f.contentType(), ";", 2)[0], cfg.searchURL(f, s, "")})
		}
		p.Feeds = p.Links
		items := make([]pageItem, 0, len(snap.items))
		for i := range snap.items {
			it := newPageItem(&snap.items[i], cfg, q)
			if c := channelOf(cfg, &snap.raw[i], s.channel); c != nil {
				it.Channel, it.ChannelURL = c.title, cfg.channelURL(c.id)
			}
			items = append(items, it)
		}
		p.Items = writeItems(items)
		if pos, ok := nextAfter(snap, 0, false); ok {
			p.Older = cfg.searchPageURL() + "?" + s.query() + "&" + paramBefore + "=" + formatCursor(pos)
		}
	}
	var buf bytes.Buffer
	if err := pagesTemplate.ExecuteTemplate(&buf, "search", p); err != nil {
		h.fail(w, r, fmt.Errorf("render search page: %w", err))
		return
	}
	e := newEntry(buf.Bytes(), "text/html; charset=utf-8", []string{"no-cache"}, time.Time{})
	e.serve(w, r)
}

// channelOf is the channel an item of a search is shown in: the one asked
// for, else the first configured channel its source feeds.
func channelOf(cfg *config, it *hub.Item, asked string) *channelInfo {
	if asked != "" {
		return cfg.channels[asked]
	}
	if src := cfg.sources[it.SourceID]; src != nil {
		for _, id := range src.Channels {
			if ch := cfg.channels[id]; ch != nil {
				return ch
			}
		}
	}
	return nil
}
