package feeds

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
