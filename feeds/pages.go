package feeds

import (
	"bytes"
	"encoding/xml"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// The pages are written as XHTML-compatible HTML5 (every element closed), so
// that tests can check them with an XML parser.

const pageStyle = `body{font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
.meta{color:#666;font-size:.9em}.params dt{margin-top:.5rem}.params dd{margin:0 0 0 1rem;overflow-wrap:anywhere}.feeds a{margin-right:.6rem}
.ok{color:#176f2c}.failing{color:#b00020}.backing-off,.suspect,.stale{color:#a15c00}.never-fetched,.disabled,.not-configured{color:#666}`

var indexTemplate = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<link rel="icon" href="data:,"/>
<title>{{.Title}}</title>
{{- range .Feeds}}{{$t := .Title}}{{range .Links}}
<link rel="alternate" type="{{.Type}}" title="{{$t}}（{{.Name}}）" href="{{.URL}}"/>
{{- end}}{{end}}
<link rel="outline" type="text/x-opml" title="OPML" href="{{.OPML}}"/>
<style>{{.Style}}</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
{{- if .Search}}
<form class="search" role="search" action="{{.Search}}" method="get">
<label for="q">搜索</label>
<input id="q" name="q" type="search" maxlength="200" placeholder="例如：乡村振兴"/>
<button type="submit">搜索</button>
</form>
{{- end}}
</header>
<main>
<h2>最新</h2>
<ol class="ticker">
{{- range .Headlines}}
<li>{{if .URL}}<a href="{{.URL}}">{{.Title}}</a>{{else}}{{.Title}}{{end}} <span class="meta">{{.Credit}} · <time datetime="{{.ISO}}">{{.Date}}</time></span></li>
{{- else}}
<li>暂无条目</li>
{{- end}}
</ol>
<h2>频道</h2>
<table>
<thead><tr><th>频道</th><th>说明</th><th>订阅</th></tr></thead>
<tbody>
{{- range .Feeds}}
<tr><td><a href="{{.Page}}">{{.Title}}</a></td><td>{{.Description}}</td><td class="feeds">{{range .Links}}<a href="{{.URL}}" type="{{.Type}}">{{.Name}}</a>{{end}}</td></tr>
{{- end}}
</tbody>
</table>
<h2 id="params">订阅参数</h2>
<p>每个频道的订阅地址和 latest 都可以加这些参数，任意组合；先在频道最新的条目中筛选，再取 limit 条。</p>
<dl class="params">
{{- range .Params}}
<dt><code>{{.Name}}</code> {{.Meaning}}</dt>
<dd><a href="{{.URL}}">{{.Text}}</a></dd>
{{- end}}
</dl>
{{if .Search}}<p>搜索结果也是订阅源：<a href="{{.SearchFeed}}">{{.SearchFeedText}}</a>，可加 <code>channel=频道</code> 与上面所有参数。</p>{{end}}
<p>更早的条目：沿订阅源的 next 链接翻页（<code>?before=…</code>，RSS/Atom 的 <code>rel="next"</code>、JSON Feed 的 <code>next_url</code>）。</p>
</main>
<footer>
<p class="meta"><a href="{{.OPML}}">OPML</a> · <a href="{{.Status}}">来源状态</a> · 每个条目的内容末尾注明来源、经由、作者与版权声明。</p>
</footer>
</body>
</html>
`))

type indexPage struct {
	Title  string
	Search string // the search page
	// SearchFeed is an example search feed, escaped for href, and as read.
	SearchFeed, SearchFeedText string
	Style                      template.CSS
	Feeds                      []indexFeed
	Headlines                  []indexHeadline
	Params                     []indexParam
	OPML                       string
	Status                     string
}

type indexFeed struct {
	Page        string // the channel's page
	Title       string
	Description string
	Links       []indexLink
}

type indexLink struct{ Name, Type, URL string }

type indexHeadline struct {
	Title, URL, Credit string
	Date, ISO          string
}

func feedLinks(cfg *config, channel string) []indexLink {
	return []indexLink{
		{"RSS", "application/rss+xml", cfg.feedURL(channel, formatRSS, 0)},
		{"Atom", "application/atom+xml", cfg.feedURL(channel, formatAtom, 0)},
		{"JSON Feed", "application/feed+json", cfg.feedURL(channel, formatJSON, 0)},
	}
}

// renderIndex renders the index page: every feed, and the ticker's headlines.
func renderIndex(cfg *config, latest *snapshot) ([]byte, error) {
	p := indexPage{
		Title:  cfg.title,
		Style:  pageStyle + pagesStyle,
		Search: cfg.searchPageURL(),
		OPML:   cfg.base + "/opml",
		Status: cfg.base + "/status",
		Params: queryExamples(cfg, "politics"),
	}
	if cfg.searchOff {
		p.Search = ""
	}
	p.SearchFeed = cfg.searchURL(formatRSS, search{words: "乡村振兴"}, "")
	p.SearchFeedText = cfg.feedURL(SearchID, formatRSS, 0) + "?q=乡村振兴"
	for _, ch := range append([]*channelInfo{cfg.latest}, cfg.order...) {
		p.Feeds = append(p.Feeds, indexFeed{cfg.channelURL(ch.id), ch.title, ch.description, feedLinks(cfg, ch.id)})
	}
	for i := range latest.items {
		it := &latest.items[i]
		p.Headlines = append(p.Headlines, indexHeadline{
			Title:  it.Title,
			URL:    it.URL,
			Credit: it.Credit,
			Date:   it.Date.Format("2006-01-02 15:04"),
			ISO:    it.Date.Format(time.RFC3339),
		})
	}
	var buf bytes.Buffer
	if err := indexTemplate.Execute(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// OPML 2.0 (http://opml.org/spec2.opml): one subscription outline per feed,
// in RSS, the format every reader takes; the index page lists the others.
type opmlDoc struct {
	XMLName xml.Name      `xml:"opml"`
	Version string        `xml:"version,attr"`
	Head    opmlHead      `xml:"head"`
	Body    []opmlOutline `xml:"body>outline"`
}

type opmlHead struct {
	Title        string `xml:"title"`
	DateModified string `xml:"dateModified,omitempty"`
	Docs         string `xml:"docs"`
}

type opmlOutline struct {
	Text        string `xml:"text,attr"`
	Title       string `xml:"title,attr"`
	Type        string `xml:"type,attr"`
	Version     string `xml:"version,attr"`
	XMLURL      string `xml:"xmlUrl,attr"`
	HTMLURL     string `xml:"htmlUrl,attr"`
	Description string `xml:"description,attr,omitempty"`
	Language    string `xml:"language,attr"`
}

func renderOPML(cfg *config) ([]byte, error) {
	doc := opmlDoc{
		Version: "2.0",
		Head: opmlHead{
			Title: cfg.title,
			Docs:  "http://opml.org/spec2.opml",
		},
	}
	if !cfg.loaded.IsZero() {
		doc.Head.DateModified = cfg.loaded.In(cfg.loc).Format(time.RFC1123Z)
	}
	for _, ch := range append([]*channelInfo{cfg.latest}, cfg.order...) {
		doc.Body = append(doc.Body, opmlOutline{
			Text:        ch.title,
			Title:       ch.title,
			Type:        "rss",
			Version:     "RSS2",
			XMLURL:      cfg.feedURL(ch.id, formatRSS, 0),
			HTMLURL:     cfg.homeURL(),
			Description: ch.description,
			Language:    Language,
		})
	}
	var buf bytes.Buffer
	if err := writeXML(&buf, doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var statusTemplate = template.Must(template.New("status").Parse(`<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8"/>
<meta name="viewport" content="width=device-width, initial-scale=1"/>
<meta name="robots" content="noindex"/>
<link rel="icon" href="data:,"/>
<title>{{.Title}} · 来源状态</title>
<style>{{.Style}}</style>
</head>
<body>
<main>
<h1>{{.Title}} · 来源状态</h1>
<p class="meta">{{.Now}} · <a href="{{.Home}}">首页</a></p>
<div class="wide" role="region" aria-label="来源状态表" tabindex="0">
<table>
<thead><tr><th>来源</th><th>状态</th><th>上次尝试</th><th>上次成功</th><th>条目</th><th>下次运行</th><th>上次错误</th></tr></thead>
<tbody>
{{- range .Rows}}
<tr id="source-{{.ID}}"><td><code>{{.ID}}</code><br/>{{.Name}}<br/><span class="meta">{{.Kind}} · {{.Channels}}</span></td><td class="{{.Class}}">{{.State}}{{if .Failures}}<br/><span class="meta">{{.Failures}}</span>{{end}}</td><td>{{.LastTry}}</td><td>{{.LastSuccess}}</td><td>{{.Items}}</td><td>{{.NextRun}}</td><td>{{.LastError}}</td></tr>
{{- else}}
<tr><td colspan="7">没有配置来源</td></tr>
{{- end}}
</tbody>
</table>
</div>
</main>
</body>
</html>
`))

type statusPage struct {
	Title, Now, Home string
	Style            template.CSS
	Rows             []statusRow
}

type statusRow struct {
	ID, Name, Kind, Channels string
	State, Failures, Class   string
	LastTry, LastSuccess     string
	LastError, NextRun       string
	Items                    string
}

// Source states shown on /status: hub.FetchState.Status's, and one for
// sources no longer configured.
const (
	stateOK         = hub.StateOK
	stateFailing    = hub.StateFailing
	stateBackingOff = hub.StateBackingOff
	stateSuspect    = hub.StateSuspect
	stateStale      = hub.StateStale
	stateNever      = hub.StateNever
	stateDisabled   = hub.StateDisabled // by the configuration, or by the hub (410 Gone)
	stateGone       = hub.StateNotConfigured
)

// renderStatus renders /status from rows, as SourceRows builds them at now.
func renderStatus(cfg *config, rows []hub.SourceRow, now time.Time) ([]byte, error) {
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(cfg.loc).Format("2006-01-02 15:04:05 -0700")
	}
	p := statusPage{
		Title: cfg.title,
		Now:   stamp(now),
		Home:  cfg.homeURL(),
		Style: pageStyle + pagesStyle,
		Rows:  make([]statusRow, 0, len(rows)),
	}
	for i := range rows {
		r := &rows[i]
		row := statusRow{
			ID:          clean(r.ID),
			Name:        clean(r.Name),
			Kind:        clean(r.Kind),
			Channels:    clean(strings.Join(r.Channels, ", ")),
			State:       r.State,
			Failures:    failures(r.Failures),
			Class:       classOf(r.State),
			LastTry:     stamp(r.LastTry),
			LastSuccess: stamp(r.LastSuccess),
			LastError:   clean(r.Problem()),
			NextRun:     stamp(r.NextRun),
			Items:       strconv.Itoa(r.Items),
		}
		if r.State == stateGone {
			row.Kind, row.Channels = "—", "—"
		}
		p.Rows = append(p.Rows, row)
	}
	var buf bytes.Buffer
	if err := statusTemplate.Execute(&buf, p); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// failures shows a count of consecutive failures beside the state.
func failures(n int) string {
	if n <= 0 {
		return ""
	}
	return "（连续失败 " + strconv.Itoa(n) + " 次）"
}

// classOf is a state's CSS class: "backing off" is backing-off.
func classOf(state string) string { return strings.ReplaceAll(state, " ", "-") }
