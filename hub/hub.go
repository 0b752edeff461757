// Package hub is yizhan's vocabulary and engine: channels, sources, items and
// their attribution; the Store interface every storage backend implements; the
// Fetcher interface every source kind implements; and the runner and scheduler
// that move items from one to the other.
//
// hub imports none of yizhan's other packages. sources, feeds and hub/sqlite
// import hub; only cmd/yizhan wires them together.
package hub

import (
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math"
	"time"
)

// Settings are the [hub] table of config.toml.
type Settings struct {
	Title      string
	BaseURL    string
	Listen     string
	Database   string
	Timezone   *time.Location
	FeedSize   int
	LatestSize int
	UserAgent  string
	Dedup      bool // show the copies of one article as one story (SPEC.md "Reposts"); true unless configured off
	SearchOff  bool // [hub] search = false: no search index kept, no search served (takes effect at start)
}

// Channel is a published feed: a named collection of the items of one or more sources.
type Channel struct {
	ID          string
	Title       string
	Description string
	Copyright   string
	KeepDays    int // retention in days; 0 keeps forever
	KeepItems   int // retention by count; 0 has no count limit
}

// Source kinds.
const (
	KindFeed    = "feed"    // RSS 0.9x/1.0/2.0, Atom 1.0, JSON Feed 1.0/1.1
	KindHTML    = "html"    // a listing page of links to article pages
	KindSitemap = "sitemap" // an XML sitemap or sitemap index of article pages
)

// Source is one upstream the hub fetches on a schedule.
type Source struct {
	ID          string
	Name        string
	Kind        string
	URL         string
	Channels    []string
	Schedule    string
	Attribution string // credited publisher when an item names none
	Copyright   string // notice carried by every item that has none of its own
	Enabled     bool
	Timezone    *time.Location // zone for zoneless upstream dates; never nil after config load
	Encoding    string         // charset override; empty means detect
	StaleDays   int            // age in days of the newest item beyond which the source is StateStale; 0 never
	HTML        *HTMLRules     // for KindHTML, and for KindSitemap without Links: how its article pages are read
	Sitemap     *SitemapRules  // only for KindSitemap
}

// SitemapRules are the [source.sitemap] table of a sitemap source.
type SitemapRules struct {
	Match string // RE2 pattern an article URL must match; empty matches every URL
}

// HTMLRules are the [source.html] table: CSS selectors and limits for an HTML source.
type HTMLRules struct {
	Links       string        // article links on the listing page
	Next        string        // optional next-page link on the listing page
	MaxPages    int           // listing pages followed per run, at least 1
	Refetch     bool          // fetch stored article URLs again
	Delay       time.Duration // pause between two requests to one host
	MaxArticles int           // article pages fetched per run
	Title       string        // optional overrides; empty means heuristics
	Date        string
	DateLayout  string
	Body        string
	Credit      string
	Author      string
}

// Attribution says who published an item first, who wrote it, where we got it
// and under which terms. SPEC.md's "Items: attribution and copyright" defines
// each field and how it travels in every format.
type Attribution struct {
	Credit    string // publisher credited with the item
	CreditURL string // where the credited publisher has it
	Via       string // the upstream we fetched it from, when it differs from Credit
	Author    string // the people who wrote it, joined with "、"
	Editor    string // the people who edited it, joined with "、"
	Copyright string // the item's rights statement
}

// Item is one article, as extracted from an upstream and as stored.
type Item struct {
	ID         int64  // store row id; zero before the item is stored
	SourceID   string // the source that produced it
	Key        string // identity within the source: guid, Atom id, JSON id, else link, else a content hash
	URL        string // the article's link
	Title      string
	Summary    string // short description, sanitized HTML
	Content    string // full content, sanitized HTML; may be empty
	Image      string // absolute URL of a lead image, if any
	Categories []string
	Published  time.Time // upstream publication time; zero if the upstream gave none
	Updated    time.Time // upstream update time; zero if none
	FirstSeen  time.Time // when the hub first stored it; set by the store
	Attribution

	// Own says the credited publisher is the source itself (the credit is
	// the source's attribution or name): this is the publisher's own copy
	// of the article, which a story shows before any repost.
	Own bool

	// StoryGUID and Carriers are set by Store.Items when it shows the copies
	// of one story as one item (Query.Dedup): the id the story has in the
	// feed asked for (the GUID of that feed's copy stored first), and the
	// copies other than this one and the publisher's own (whose link is
	// CreditURL then).
	StoryGUID string
	Carriers  []Carrier
}

// Carrier is an upstream that carries a copy of a story's article.
type Carrier struct {
	Name string // the upstream (the copy's Via), else the copy's Credit
	URL  string // the copy's link
}

// GUID returns the item's public identifier: a name-based UUID (RFC 9562
// version 5) of its source and key, so it is stable across fetches, restarts,
// renders and changes of base_url.
func (it *Item) GUID() string {
	return "urn:uuid:" + uuid5(it.SourceID+"\x00"+it.Key)
}

// FeedGUID returns the id the item has in a feed: its StoryGUID when the
// store showed it for a story of several copies, else its GUID.
func (it *Item) FeedGUID() string {
	if it.StoryGUID != "" {
		return it.StoryGUID
	}
	return it.GUID()
}

// Date returns the time an item is published under: the upstream's
// publication time, else its update time, else when the hub first saw it.
func (it *Item) Date() time.Time {
	switch {
	case !it.Published.IsZero():
		return it.Published
	case !it.Updated.IsZero():
		return it.Updated
	}
	return it.FirstSeen
}

// namespace is the UUID namespace of yizhan item ids (a fixed random UUID).
var namespace = [16]byte{0x6b, 0x1f, 0x3c, 0x52, 0x9d, 0x4e, 0x4a, 0x8b, 0x91, 0x27, 0x5e, 0x0c, 0xd3, 0x7a, 0x44, 0x18}

func uuid5(name string) string {
	h := sha1.New()
	h.Write(namespace[:])
	h.Write([]byte(name))
	var u [16]byte
	copy(u[:], h.Sum(nil))
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// AppendHashed appends to b the fields of it that come from the upstream,
// each length-prefixed so that no two items encode alike: stores keep a hash
// of them to tell an unchanged item from a changed one. ID, SourceID, Key,
// FirstSeen and the story fields are the store's, not the upstream's.
func AppendHashed(b []byte, it *Item) []byte {
	str := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	tm := func(t time.Time) {
		if t.IsZero() {
			b = append(b, 0)
			return
		}
		b = append(b, 1)
		b = binary.AppendVarint(b, UnixNanos(t))
	}
	str(it.URL)
	str(it.Title)
	str(it.Summary)
	str(it.Content)
	str(it.Image)
	b = binary.AppendUvarint(b, uint64(len(it.Categories)))
	for _, c := range it.Categories {
		str(c)
	}
	tm(it.Published)
	tm(it.Updated)
	str(it.Credit)
	str(it.CreditURL)
	str(it.Via)
	str(it.Author)
	str(it.Copyright)
	// Last, so that the hashes of items stored before the editor existed
	// stay valid while their editor is empty.
	if it.Editor != "" {
		str(it.Editor)
	}
	return b
}

// UnixNanos is t in unix nanoseconds, clamped to the years 1678 to 2262
// that an int64 holds (an upstream's year 1 or 9999 is noise anyway): the
// form in which the stores keep and order times.
func UnixNanos(t time.Time) int64 {
	switch {
	case t.Before(time.Unix(0, math.MinInt64)):
		return math.MinInt64
	case t.After(time.Unix(0, math.MaxInt64)):
		return math.MaxInt64
	}
	return t.UnixNano()
}
