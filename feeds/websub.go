package feeds

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// ErrNotFeed is Render's error for a URL that is not one of the hub's
// feeds, or whose query has a bad parameter.
var ErrNotFeed = errors.New("feeds: not a feed of this hub")

// Rendering is a feed as a WebSub subscriber of it receives it.
type Rendering struct {
	Body        []byte // shared with the cache: never modify it
	ContentType string
	Channel     string // the channel id, or LatestID
	Self        string // the feed's self URL (its canonical query included)
	ETag        string // changes whenever Body does
}

// Render returns the current rendering of the feed at topic, a URL of the
// hub's own feeds (base_url/feeds/{channel}.{rss,atom,json}, any query
// parameters), as GET would serve it without gzip. Any other URL is
// ErrNotFeed. It is answered from the cache, as requests are.
func (h *Handler) Render(ctx context.Context, topic string) (Rendering, error) {
	cfg := h.cache.config()
	rest, ok := strings.CutPrefix(topic, cfg.base+"/feeds/")
	if !ok {
		return Rendering{}, fmt.Errorf("%w: %s", ErrNotFeed, topic)
	}
	file, raw, _ := strings.Cut(rest, "?")
	if file == "" || strings.ContainsAny(file, "/%#") {
		return Rendering{}, fmt.Errorf("%w: %s", ErrNotFeed, topic)
	}
	e, ch, _, err := h.lookup(ctx, file, raw)
	var qerr *queryError
	if errors.Is(err, errNoFeed) || errors.Is(err, errUnknownChannel) || errors.As(err, &qerr) {
		return Rendering{}, fmt.Errorf("%w: %s", ErrNotFeed, topic)
	}
	if err != nil {
		return Rendering{}, fmt.Errorf("render %s: %w", topic, err)
	}
	r := Rendering{Body: e.body, ContentType: e.hdrType[0], Channel: ch.id, Self: topic, ETag: e.etag}
	if len(e.hdrLink) == 2 {
		r.Self = strings.TrimSuffix(strings.TrimPrefix(e.hdrLink[1], "<"), `>; rel="self"`)
	}
	return r, nil
}

// webSubStore is what /status reads of WebSub from a store that keeps it
// (hub.SubscriptionStore).
type webSubStore interface {
	WebSubStats(ctx context.Context, now time.Time) (hub.WebSubStats, error)
	Upstreams(ctx context.Context) ([]hub.UpstreamSubscription, error)
}

// withWebSubStatus adds the WebSub section to a /status page, when the hub
// advertises WebSub and the store keeps it: subscriptions per topic,
// deliveries pending and failing, and the upstream subscriptions with
// their lease ends.
func (h *Handler) withWebSubStatus(ctx context.Context, cfg *config, page []byte, now time.Time) ([]byte, error) {
	ws, ok := h.store.(webSubStore)
	if !ok || cfg.hub == "" {
		return page, nil
	}
	st, err := ws.WebSubStats(ctx, now)
	if err != nil {
		return nil, fmt.Errorf("websub stats: %w", err)
	}
	ups, err := ws.Upstreams(ctx)
	if err != nil {
		return nil, fmt.Errorf("websub stats: %w", err)
	}
	stamp := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return t.In(cfg.loc).Format("2006-01-02 15:04:05 -0700")
	}
	v := webSubView{Hub: cfg.hub, Pending: st.Pending, Failing: st.Failing}
	for topic, n := range st.Topics {
		v.Topics = append(v.Topics, webSubTopic{Topic: clean(topic), N: strconv.Itoa(n)})
	}
	slices.SortFunc(v.Topics, func(a, b webSubTopic) int { return strings.Compare(a.Topic, b.Topic) })
	for _, u := range ups {
		v.Upstreams = append(v.Upstreams, webSubUpstream{
			Source: clean(u.SourceID), Hub: clean(u.Hub), State: u.State,
			Expires: stamp(u.Expires), LastError: clean(u.LastError),
		})
	}
	var buf bytes.Buffer
	if err := webSubTemplate.Execute(&buf, v); err != nil {
		return nil, err
	}
	i := bytes.LastIndex(page, []byte("</body>"))
	if i < 0 {
		return page, nil
	}
	return slices.Concat(page[:i], buf.Bytes(), page[i:]), nil
}

type webSubView struct {
	Hub              string
	Pending, Failing int
	Topics           []webSubTopic
	Upstreams        []webSubUpstream
}

type webSubTopic struct{ Topic, N string }

type webSubUpstream struct{ Source, Hub, State, Expires, LastError string }

var webSubTemplate = template.Must(template.New("websub").Parse(`<h2 id="websub">WebSub</h2>
<p class="meta">hub <code>{{.Hub}}</code> · 待推送 {{.Pending}} · 其中失败过 {{.Failing}}</p>
<table>
<thead><tr><th>主题</th><th>订阅者</th></tr></thead>
<tbody>
{{- range .Topics}}
<tr><td><code>{{.Topic}}</code></td><td>{{.N}}</td></tr>
{{- else}}
<tr><td colspan="2">没有订阅者</td></tr>
{{- end}}
</tbody>
</table>
<h2 id="websub-upstreams">上游 WebSub 订阅</h2>
<table>
<thead><tr><th>来源</th><th>hub</th><th>状态</th><th>租约到期</th><th>上次错误</th></tr></thead>
<tbody>
{{- range .Upstreams}}
<tr><td><code>{{.Source}}</code></td><td><code>{{.Hub}}</code></td><td>{{.State}}</td><td>{{.Expires}}</td><td>{{.LastError}}</td></tr>
{{- else}}
<tr><td colspan="5">没有上游订阅</td></tr>
{{- end}}
</tbody>
</table>
`))
