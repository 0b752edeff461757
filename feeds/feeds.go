// Package feeds is yizhan's publishing side: it renders each channel, and the
// latest ticker across all channels, as RSS 2.0, Atom 1.0 and JSON Feed 1.1
// (gorilla/feeds, wrapped to carry attribution), keeps every rendering in a
// cache that is filled once per change, and serves feeds, the index page, OPML,
// the status page and the health check over HTTP.
//
// feeds imports hub and never sources or hub/sqlite: it reads items through its
// own small Store interface, which every hub.Store satisfies.
package feeds

import (
	"context"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// Store is the part of hub.Store that publishing reads.
type Store interface {
	// Items returns published items newest first, at most q.Limit of them,
	// as hub.Store.Items does. Any error fails the request that needed them.
	Items(ctx context.Context, q hub.Query) ([]hub.Item, error)

	// Ping reports whether the store answers; a non-nil error makes /healthz
	// answer 503.
	Ping(ctx context.Context) error

	// SourceStats returns the fetch state and item count of every source
	// that has either; an error makes /status answer 500.
	SourceStats(ctx context.Context) ([]hub.SourceStat, error)

	// Changes reports what changed since a version, as hub.Store.Changes
	// does, whichever process wrote: Handler.Watch polls it. An error leaves
	// the renderings as they are until the next poll.
	Changes(ctx context.Context, since int64) (hub.ChangeSet, error)
}

var _ Store = hub.Store(nil)

// LatestID is the name of the latest ticker in feed URLs
// (/feeds/latest.rss): the newest items of every channel, each once.
// Configuration reserves it, so no channel has it.
const LatestID = "latest"

// DefaultMaxAge is how long clients may cache a feed when Config.MaxAge
// gives no positive value for its channel.
const DefaultMaxAge = 300 * time.Second

// Language is the language every feed declares.
const Language = "zh-CN"

// Config is the part of the configuration that publishing depends on. It is
// replaced as a whole on reload (Handler.SetConfig).
type Config struct {
	Settings hub.Settings
	Channels []hub.Channel
	Sources  []hub.Source

	// MaxAge returns how long clients may cache a channel's feeds, usually the
	// shortest schedule interval among the channel's sources. It sets
	// Cache-Control max-age and RSS <ttl>. Nil, or a result that is not
	// positive, means DefaultMaxAge. The latest ticker and the index page use
	// the shortest max-age of all channels.
	MaxAge func(channelID string) time.Duration

	// WebSub makes every feed advertise the hub at {base_url}/websub
	// (SPEC.md "WebSub"): Link headers, and rel="hub" links in the
	// documents.
	WebSub bool

	// VariantCacheBytes bounds the memory the renderings of query variants
	// (?filter=, ?opencc=, …) take; not positive means
	// DefaultVariantCacheBytes.
	VariantCacheBytes int64
}

// format is one rendering the cache keeps: a feed format or a page.
type format uint8

const (
	formatRSS format = iota
	formatAtom
	formatJSON
	formatIndex // the HTML index page (depends on the latest ticker)
	formatOPML  // the OPML subscription list (depends on the configuration only)

	formatUnknown format = 255 // a requested extension that is none of ours (metrics only)
)

// feedFormats are the formats every channel and the ticker are published in.
var feedFormats = [...]format{formatRSS, formatAtom, formatJSON}

func (f format) String() string {
	switch f {
	case formatRSS:
		return "rss"
	case formatAtom:
		return "atom"
	case formatJSON:
		return "json"
	case formatIndex:
		return "index"
	case formatOPML:
		return "opml"
	}
	return "unknown"
}

// ext is the file extension of a feed format in URLs.
func (f format) ext() string { return "." + f.String() }

// contentType is the Content-Type of a rendering, as SPEC.md names them.
func (f format) contentType() string {
	switch f {
	case formatRSS:
		return "application/rss+xml; charset=utf-8"
	case formatAtom:
		return "application/atom+xml; charset=utf-8"
	case formatJSON:
		return "application/feed+json; charset=utf-8"
	case formatIndex:
		return "text/html; charset=utf-8"
	case formatOPML:
		return "text/x-opml; charset=utf-8"
	}
	return "application/octet-stream"
}

// formatByExt maps a URL extension, without its dot, to a feed format.
func formatByExt(ext string) (format, bool) {
	switch ext {
	case "rss":
		return formatRSS, true
	case "atom":
		return formatAtom, true
	case "json":
		return formatJSON, true
	}
	return 0, false
}
