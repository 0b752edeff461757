package feeds

import (
	"strconv"
	"strings"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// Defaults for [hub] values that a Config may leave zero.
const (
	defaultFeedSize   = 50
	defaultLatestSize = 15
	defaultTitle      = "yizhan"
)

// config is a Config prepared for serving: cleaned texts, lookups by id and
// the header values every response of a feed repeats.
type config struct {
	title string
	base  string // base_url without a trailing slash
	hub   string // the WebSub hub every feed advertises; empty: none

	searchOff bool // [hub] search = false: the index page offers no search
	loc       *time.Location

	channels map[string]*channelInfo // by id, including LatestID
	order    []*channelInfo          // configured channels in configuration order
	latest   *channelInfo
	sources  map[string]*hub.Source // by id
	srcOrder []hub.Source           // configured sources in configuration order, each id once
	loaded   time.Time              // when it took effect: Last-Modified of what depends on it alone

	variantBytes int64     // Config.VariantCacheBytes
	queries      queryMemo // variants of recent queries, valid under this configuration
}

// channelInfo is what rendering and serving need to know about one channel or
// the latest ticker.
type channelInfo struct {
	id          string
	title       string
	description string
	copyright   string
	size        int // items in the full feed
	maxAge      time.Duration
	query       hub.Query

	cacheControl []string // the header value, shared by every response
}

func newConfig(c Config) *config {
	s := c.Settings
	cfg := &config{
		title:    clean(s.Title),
		base:     strings.TrimRight(clean(s.BaseURL), "/"),
		loc:      s.Timezone,
		channels: make(map[string]*channelInfo, len(c.Channels)+1),
		sources:  make(map[string]*hub.Source, len(c.Sources)),

		variantBytes: c.VariantCacheBytes,
	}
	if cfg.title == "" {
		cfg.title = defaultTitle
	}
	if c.WebSub {
		cfg.hub = cfg.base + "/websub"
	}
	cfg.searchOff = s.SearchOff
	if cfg.loc == nil {
		cfg.loc = time.UTC
	}
	feedSize, latestSize := s.FeedSize, s.LatestSize
	if feedSize <= 0 {
		feedSize = defaultFeedSize
	}
	if latestSize <= 0 {
		latestSize = defaultLatestSize
	}
	var shortest time.Duration
	for _, ch := range c.Channels {
		if ch.ID == LatestID || cfg.channels[ch.ID] != nil {
			continue // configuration validation refuses both; never shadow the ticker
		}
		maxAge := DefaultMaxAge
		if c.MaxAge != nil {
			if d := c.MaxAge(ch.ID); d > 0 {
				maxAge = d
			}
		}
		if shortest == 0 || maxAge < shortest {
			shortest = maxAge
		}
		info := &channelInfo{
			id:          ch.ID,
			title:       clean(ch.Title),
			description: clean(ch.Description),
			copyright:   clean(ch.Copyright),
			size:        feedSize,
			maxAge:      maxAge,
			query:       hub.Query{Channel: ch.ID, Limit: feedSize, Dedup: s.Dedup},
		}
		if info.title == "" {
			info.title = ch.ID
		}
		info.cacheControl = cacheControl(maxAge)
		cfg.channels[ch.ID] = info
		cfg.order = append(cfg.order, info)
	}
	if shortest == 0 {
		shortest = DefaultMaxAge
	}
	cfg.latest = &channelInfo{
		id:           LatestID,
		title:        cfg.title,
		description:  cfg.title + "：各频道最新条目",
		size:         latestSize,
		maxAge:       shortest,
		query:        hub.Query{Limit: latestSize, Dedup: s.Dedup},
		cacheControl: cacheControl(shortest),
	}
	cfg.channels[LatestID] = cfg.latest
	for i := range c.Sources {
		src := &c.Sources[i]
		if cfg.sources[src.ID] == nil {
			cfg.sources[src.ID] = src
			cfg.srcOrder = append(cfg.srcOrder, *src)
		}
	}
	return cfg
}

func cacheControl(maxAge time.Duration) []string {
	return []string{"public, max-age=" + strconv.Itoa(int(maxAge/time.Second))}
}

// homeURL is the index page's address.
func (c *config) homeURL() string { return c.base + "/" }

// feedURL is the address of a channel's feed; limit 0 is the full feed.
func (c *config) feedURL(channel string, f format, limit int) string {
	u := c.base + "/feeds/" + channel + f.ext()
	if limit > 0 {
		u += "?limit=" + strconv.Itoa(limit)
	}
	return u
}
