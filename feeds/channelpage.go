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

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/fold"
)

// Pages for people (SPEC.md "Search and pages for people"): a channel's
// items, and search results, as HTML5 made by html/template, which escapes
// every upstream text; no script, no font or style from elsewhere. They
// read at 360 px: nothing is wider than the screen, long words and URLs
// wrap.

// Formats of the pages kept in the variant cache beside feed variants.
const (
	formatChannelPage format = 100 + iota
	formatSearchPage
)

// pagesStyle is what the channel and search pages add to pageStyle.
const pagesStyle = `
*,*::before,*::after{box-sizing:border-box}
body{margin:1rem auto;overflow-wrap:anywhere}
a{color:#0b57a4}a:visited{color:#6a3d9a}
a:focus-visible,input:focus-visible,select:focus-visible,button:focus-visible,.wide:focus-visible{outline:3px solid #b35900;outline-offset:2px}
.items{list-style:none;padding:0;margin:0}.items li{border-bottom:1px solid #ddd;padding:.6rem 0}
.items h2{font-size:1.1rem;margin:0 0 .2rem}.items p{margin:.2rem 0}
.meta{color:#595959}mark{background:#ffe066;color:#222;padding:0 .1em}
form.search{display:flex;flex-wrap:wrap;gap:.4rem;align-items:center;margin:1rem 0}
form.search input[type=search]{flex:1 1 12rem;min-width:0;font-size:1rem;padding:.35rem .5rem;border:1px solid #767676;border-radius:3px}
form.search select,form.search button{font-size:1rem;padding:.35rem .6rem;border:1px solid #767676;border-radius:3px;background:#f4f4f4;color:#222}
.pager{margin:1.2rem 0;font-size:1.05rem}nav.crumbs{font-size:.95rem}
.wide{overflow-x:auto}.wide table{min-width:40rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}`

var pagesTemplate = template.Must(template.New("pages").Parse(`
{{- define "head"}}<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<link rel="icon" href="data:,"/>
<title>{{.Title}}</title>
{{- range .Links}}
<link rel="alternate" type="{{.Type}}" title="{{$.Title}}（{{.Name}}）" href="{{.URL}}"/>
{{- end}}
<style>{{.Style}}</style>
</head>
<body>
<nav class="crumbs"><a href="{{.Home}}">{{.Hub}}</a> › {{.Crumb}}</nav>
{{- end}}

{{- define "form"}}
<form class="search" role="search" action="{{.Action}}" method="get">
<label for="q">搜索</label>
<input id="q" name="q" type="search" value="{{.Query}}" maxlength="200" placeholder="例如：乡村振兴"/>
{{- if .Options}}
<label for="channel" class="visually-hidden">频道</label>
<select id="channel" name="channel">
<option value="">全部频道</option>{{.Options}}
</select>
{{- end}}
<button type="submit">搜索</button>
</form>
{{- end}}

{{- define "channel"}}{{template "head" .}}
<header>
<h1>{{.Heading}}</h1>
{{- if .Description}}
<p>{{.Description}}</p>
{{- end}}
<p class="feeds">订阅：{{range .Links}}<a href="{{.URL}}" type="{{.Type}}">{{.Name}}</a> {{end}}</p>
{{- if .Form.Action}}{{template "form" .Form}}{{end}}
</header>
<main>
{{- if .Items}}{{.Items}}{{else}}
<p>暂无条目。</p>
{{- end}}
{{- if .Older}}
<p class="pager"><a rel="next" href="{{.Older}}">更早的条目 →</a></p>
{{- end}}
</main>
</body>
</html>
{{end}}`))

// pageHead is what every page's head and navigation show.
type pageHead struct {
	Title, Hub, Home, Crumb string
	Style                   template.CSS
	Links                   []indexLink
}

// searchForm is the search box of a page; none without an Action (the
// hub does not search).
type searchForm struct {
	Action, Query string
	Options       template.HTML // the channels to choose from (formOptions)
}

// segment is a piece of text, highlighted or not.
type segment struct {
	Text string
	Mark bool
}

// pageItem is an item as the pages show it.
type pageItem struct {
	Title, Summary              []segment
	URL                         string
	Date, ISO                   string
	Credit, CreditURL, Via      string
	Author, Channel, ChannelURL string
	Carriers                    []hub.Carrier
}

type channelPage struct {
	pageHead
	ID, Heading, Description string
	Form                     searchForm
	Items                    template.HTML // writeItems'
	Older                    string
}

// channelPageSize is how many items a channel's page shows, at most the
// channel's feed size.
const channelPageSize = 20

func pageSize(ch *channelInfo) int { return min(channelPageSize, ch.size) }

// summaryRunes is how much of an item's text a page shows.
const summaryRunes = 160

// newPageItem shows an item view, its title and text highlighted where
// q's phrases occur (q nil: nowhere); the text shown starts a little
// before the first highlight.
func newPageItem(v *itemView, cfg *config, q fold.Query) pageItem {
	frag := v.Summary
	if frag == "" {
		frag = v.Content[:v.bodyLen]
	}
	var text string
	if len(q) == 0 {
		// Without a match to find, the start is enough.
		var more bool
		if text, more = htmlTextPrefix(frag, summaryRunes); more {
			text += "…"
		}
	} else {
		text = htmlText(frag)
		if spans := fold.Spans(text, q); len(spans) > 0 {
			// Start some 40 characters before the first match.
			start := spans[0][0]
			n := 0
			for start > 0 && n < 40 {
				start--
				for start > 0 && text[start]&0xC0 == 0x80 {
					start--
				}
				n++
			}
			if start > 0 {
				text = "…" + text[start:]
			}
		}
		if cut := firstRunes(text, summaryRunes); len(cut) < len(text) {
			text = cut + "…"
		}
	}
	it := pageItem{
		Title:     highlight(v.Title, q),
		Summary:   highlight(text, q),
		URL:       v.URL,
		Date:      v.Date.In(cfg.loc).Format("2006-01-02 15:04"),
		ISO:       v.Date.Format(time.RFC3339),
		Credit:    v.Credit,
		CreditURL: v.CreditURL,
		Via:       v.Via,
		Author:    v.Author,
		Carriers:  v.Carriers,
	}
	return it
}

// highlight cuts s into segments, marking where q's phrases occur.
func highlight(s string, q fold.Query) []segment {
	if s == "" {
		return nil
	}
	var out []segment
	at := 0
	for _, sp := range fold.Spans(s, q) {
		if sp[0] > at {
			out = append(out, segment{Text: s[at:sp[0]]})
		}
		out = append(out, segment{Text: s[sp[0]:sp[1]], Mark: true})
		at = sp[1]
	}
	if at < len(s) {
		out = append(out, segment{Text: s[at:]})
	}
	return out
}

// channelURL is the address of a channel's page.
func (c *config) channelURL(id string) string { return c.base + "/channels/" + url.PathEscape(id) }

// searchPageURL is the address of the search page.
func (c *config) searchPageURL() string { return c.base + "/search" }

// formOptions are the options of a search form's channel list, channel
// selected: one <option> a configured channel, each on a line of its own.
func formOptions(cfg *config, channel string) template.HTML {
	var b bytes.Buffer
	for _, ch := range cfg.order {
		b.WriteString("\n<option value=\"")
		escText(&b, ch.id)
		b.WriteByte('"')
		if ch.id == channel {
			b.WriteString(` selected="selected"`)
		}
		b.WriteByte('>')
		escText(&b, ch.title)
		b.WriteString("</option>")
	}
	return template.HTML(b.String())
}

// renderChannelPage renders a page of a channel's items: s, the page after
// before (nil: the newest).
func renderChannelPage(cfg *config, ch *channelInfo, s *snapshot) ([]byte, error) {
	p := channelPage{
		pageHead: pageHead{
			Title: ch.title + " · " + cfg.title,
			Hub:   cfg.title,
			Home:  cfg.homeURL(),
			Crumb: ch.title,
			Style: pageStyle + pagesStyle,
			Links: feedLinks(cfg, ch.id),
		},
		ID:          ch.id,
		Heading:     ch.title,
		Description: ch.description,
	}
	if !cfg.searchOff {
		p.Form = searchForm{Action: cfg.searchPageURL(), Options: formOptions(cfg, ch.id)}
	}
	n := pageSize(ch)
	items := make([]pageItem, 0, min(n, len(s.items)))
	for i := range s.items[:min(n, len(s.items))] {
		items = append(items, newPageItem(&s.items[i], cfg, nil))
	}
	p.Items = writeItems(items)
	if pos, ok := nextAfter(s, n, false); ok {
		p.Older = cfg.channelURL(ch.id) + "?" + paramBefore + "=" + formatCursor(pos)
	}
	var buf bytes.Buffer
	buf.Grow(len(p.Items) + len(p.Form.Options) + 8192) // and the head, the style, the form
	if err := pagesTemplate.ExecuteTemplate(&buf, "channel", p); err != nil {
		return nil, fmt.Errorf("render channel page %s: %w", ch.id, err)
	}
	return buf.Bytes(), nil
}

// serveChannel serves /channels/{id}[?before=CURSOR].
func (h *Handler) serveChannel(w http.ResponseWriter, r *http.Request) {
	cfg := h.cache.config()
	ch := cfg.channels[r.PathValue("id")]
	if ch == nil {
		http.Error(w, "404 not found: no such channel", http.StatusNotFound)
		return
	}
	var before *hub.Position
	if vs, ok := r.URL.Query()[paramBefore]; ok {
		p, okCursor := hub.Position{}, len(vs) == 1
		if okCursor {
			p, okCursor = parseCursor(vs[0])
		}
		if !okCursor {
			http.Error(w, "400 bad request: before: is not a cursor of this hub (follow the page's link)", http.StatusBadRequest)
			return
		}
		before = &p
	}
	e, err := h.cache.getChannelPage(r.Context(), ch.id, before)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	e.serve(w, r)
}

// getChannelPage returns the rendering of a channel's page: kept with the
// feed variants, dropped when the channel changes.
func (c *Cache) getChannelPage(ctx context.Context, channel string, before *hub.Position) (*entry, error) {
	query := ""
	if before != nil {
		query = formatCursor(*before)
	}
	k := queryKey{channel, formatChannelPage, query}
	if e := c.vars.get(k, c.now); e != nil {
		return e, nil
	}
	c.mu.RLock()
	st, cfg := c.stampLocked(channel), c.cfg.Load()
	c.mu.RUnlock()
	flight := "p\x00" + channel + "\x00" + st.String() + "\x00" + query
	val, err, _ := c.sf.Do(flight, func() (any, error) {
		if e := c.vars.get(k, c.now); e != nil {
			return e, nil
		}
		ch := cfg.channels[channel]
		if ch == nil {
			return nil, fmt.Errorf("render %s: %w", channel, errUnknownChannel)
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		var s *snapshot
		var err error
		if before != nil {
			s, err = c.page(ctx, ch, cfg, &variant{before: before, limit: pageSize(ch)})
		} else {
			s, err = c.snapshot(ctx, ch, st, cfg)
		}
		if err != nil {
			return nil, err
		}
		body, err := renderChannelPage(cfg, ch, s)
		if err != nil {
			return nil, err
		}
		lastMod := s.lastMod
		if cfg.loaded.After(lastMod) {
			lastMod = cfg.loaded
		}
		e := newEntry(body, "text/html; charset=utf-8", ch.cacheControl, lastMod)
		c.mu.Lock()
		if c.stampLocked(channel) == st {
			c.vars.put(k, e, time.Time{})
		}
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return val.(*entry), nil
}

// queryString encodes pairs of names and values, in their order, leaving
// out empty values.
func queryString(pairs ...string) string {
	var b strings.Builder
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('&')
		}
		b.WriteString(url.QueryEscape(pairs[i]))
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(pairs[i+1]))
	}
	return b.String()
}
