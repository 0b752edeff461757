package feeds

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strings"
	"time"

	gfeeds "github.com/gorilla/feeds"

	"github.com/yizhan-hub/yizhan/hub"
)

// itemView is a stored item prepared for every format at once: texts cleaned
// of what XML forbids, dates in the hub's zone, the attribution footer
// appended to the content.
type itemView struct {
	GUID       string
	Title      string
	URL        string
	Summary    string // HTML, as stored, when the item has content besides; else empty
	Content    string // HTML: the content (else the summary) and the footer
	Image      string
	Categories []string
	Date       time.Time // publication time (hub.Item.Date), whole seconds
	Updated    time.Time // upstream update time if later than Date; else zero
	SourceURL  string    // the upstream's feed or page, when the source is configured
	hub.Attribution
	Carriers []hub.Carrier // the other upstreams that carry the story (Store.Items with Dedup)

	bodyLen       int  // Content[:bodyLen] is the article, the rest the footer
	bodyIsSummary bool // the article is the upstream's description (it had no content)
}

func newItemView(it *hub.Item, cfg *config) itemView {
	v := itemView{
		GUID:       it.FeedGUID(),
		Title:      strings.TrimSpace(clean(it.Title)),
		URL:        strings.TrimSpace(clean(it.URL)),
		Summary:    strings.TrimSpace(clean(it.Summary)),
		Image:      strings.TrimSpace(clean(it.Image)),
		Categories: cleanAll(append([]string(nil), it.Categories...)),
		Date:       it.Date().In(cfg.loc).Truncate(time.Second),
		Attribution: hub.Attribution{
			Credit:    strings.TrimSpace(clean(it.Credit)),
			CreditURL: strings.TrimSpace(clean(it.CreditURL)),
			Via:       strings.TrimSpace(clean(it.Via)),
			Author:    strings.TrimSpace(clean(it.Author)),
			Editor:    strings.TrimSpace(clean(it.Editor)),
			Copyright: strings.TrimSpace(clean(it.Copyright)),
		},
	}
	if v.Via == v.Credit {
		v.Via = ""
	}
	for _, c := range it.Carriers {
		c = hub.Carrier{Name: strings.TrimSpace(clean(c.Name)), URL: strings.TrimSpace(clean(c.URL))}
		if c.Name != "" || c.URL != "" {
			v.Carriers = append(v.Carriers, c)
		}
	}
	if u := it.Updated.In(cfg.loc).Truncate(time.Second); !it.Updated.IsZero() && u.After(v.Date) {
		v.Updated = u
	}
	if src := cfg.sources[it.SourceID]; src != nil {
		v.SourceURL = clean(src.URL)
	}
	if v.Title == "" {
		v.Title = "(无标题)"
	}
	body := strings.TrimSpace(clean(it.Content))
	if body == "" {
		// The upstream's description is the article: it is published once,
		// as the content, not a second time as its own summary (most feeds
		// have only a description; carrying it twice doubled every feed).
		body, v.Summary = v.Summary, ""
		v.bodyIsSummary = true
	}
	v.Content = body + footer(&v.Attribution, v.Carriers)
	v.bodyLen = len(body)
	return v
}

// share points the texts of the item the view was made from at the view's
// own, which are the same once cleaned: a snapshot keeps both (filters read
// the item), and must not hold every article twice.
func (v *itemView) share(it *hub.Item) {
	body := v.Content[:v.bodyLen]
	if v.bodyIsSummary {
		it.Summary, it.Content = body, ""
		return
	}
	it.Summary, it.Content = v.Summary, body
}

// snapshot is the newest items of one channel (or the ticker) as read from
// the store once per change, shared by every format and limit rendered from it.
type snapshot struct {
	items   []itemView
	lastMod time.Time // Last-Modified of every rendering of this snapshot
	sum     [sha256.Size]byte
	stamp   stamp

	raw  []hub.Item   // as read, for the query parameters (filter.go)
	text snapshotText // their plain text, made when a variant needs it
	more bool         // the store has items after the last of raw: the feed links a next page
}

// setMore records whether older items follow the snapshot's, so that its
// renderings link the next page; the sum covers it.
func (s *snapshot) setMore(more bool) {
	s.more = more
	if more {
		s.sum = sha256.Sum256(append(s.sum[:], "more"...))
	}
}

// nextAfter returns where the page after a rendering of s ends, if one
// follows: after the limit-th item when limit cuts the list, else after
// the snapshot's last item when the store has more. A filtering variant
// pages through what it reads, so it always goes on after the last item.
func nextAfter(s *snapshot, limit int, filtering bool) (hub.Position, bool) {
	switch {
	case !filtering && limit > 0 && limit < len(s.raw):
		return s.raw[limit-1].Position(), true
	case s.more && len(s.raw) > 0:
		return s.raw[len(s.raw)-1].Position(), true
	}
	return hub.Position{}, false
}

// newSnapshot prepares items for rendering. Its sum covers the items and the
// channel's configuration, so that an unchanged sum means unchanged output.
func newSnapshot(items []hub.Item, ch *channelInfo, cfg *config) *snapshot {
	s := newUnsummed(items, cfg)
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	field(cfg.title)
	field(cfg.base)
	field(cfg.loc.String())
	field(ch.title)
	field(ch.description)
	field(ch.copyright)
	field(ch.maxAge.String())
	for i := range s.items {
		v := &s.items[i]
		for _, f := range [...]string{v.GUID, v.Title, v.URL, v.Summary, v.Content, v.Image,
			v.Date.String(), v.Updated.String(), v.SourceURL, strings.Join(v.Categories, "\x00")} {
			field(f)
		}
	}
	h.Sum(s.sum[:0])
	return s
}

// newUnsummed prepares items for rendering without a sum: for a page of
// the archive, whose Last-Modified no later rendering compares with.
func newUnsummed(items []hub.Item, cfg *config) *snapshot {
	s := &snapshot{items: make([]itemView, len(items)), raw: items}
	for i := range items {
		it := &items[i]
		v := newItemView(it, cfg)
		v.share(it)
		s.items[i] = v
		// Last-Modified says when this list last changed: the newest of the
		// publication dates and of when the hub first saw each item, so that
		// an older article fetched late still moves it.
		for _, t := range [...]time.Time{it.Date(), it.Updated, it.FirstSeen} {
			if t.After(s.lastMod) {
				s.lastMod = t
			}
		}
	}
	s.lastMod = s.lastMod.Truncate(time.Second)
	return s
}

// feedView is one feed document to render: a channel or the ticker, its
// items cut to the requested limit.
type feedView struct {
	ID          string
	Title       string
	Description string
	Copyright   string
	Author      string // the hub, as publisher of the aggregate
	HomeURL     string
	Updated     time.Time // the newest item's date; the snapshot's Last-Modified when there are none
	TTL         time.Duration
	Items       []itemView
	HubURL      string // the WebSub hub; empty: none
	selfURL     func(format) string
	nextURL     func(format) string // the next older page (RFC 5005); nil on the last
	feedID      func(format) string // a feed's identity does not depend on ?limit
}

func newFeedView(cfg *config, ch *channelInfo, s *snapshot, limit int) *feedView {
	items := s.items
	if limit > 0 && limit < len(items) {
		items = items[:limit]
	}
	v := &feedView{
		ID:          ch.id,
		Title:       ch.title,
		Description: ch.description,
		Copyright:   ch.copyright,
		Author:      cfg.title,
		HomeURL:     cfg.homeURL(),
		Updated:     s.lastMod.In(cfg.loc),
		TTL:         ch.maxAge,
		HubURL:      cfg.hub,
		Items:       items,
		selfURL:     func(f format) string { return cfg.feedURL(ch.id, f, limit) },
		feedID:      func(f format) string { return cfg.feedURL(ch.id, f, 0) },
	}
	if p, ok := nextAfter(s, limit, false); ok {
		next := "?" + (*variant)(nil).next(limit, p)
		v.nextURL = func(f format) string { return cfg.feedURL(ch.id, f, 0) + next }
	}
	if len(items) > 0 {
		v.Updated = items[0].Date // Store.Items returns them newest first
	}
	if v.Description == "" {
		v.Description = v.Title
	}
	return v
}

// gorilla returns the feed as gorilla/feeds' generic Feed, from which its
// RSS, Atom and JSON builders make the output structs that render_*.go extend.
// Ids and dates are always set here: gorilla's generated ones collide or
// change on every render.
func (v *feedView) gorilla() *gfeeds.Feed {
	f := &gfeeds.Feed{
		Title:       v.Title,
		Link:        &gfeeds.Link{Href: v.HomeURL},
		Description: v.Description,
		Updated:     v.Updated,
		Copyright:   v.Copyright,
		Items:       make([]*gfeeds.Item, len(v.Items)),
	}
	for i := range v.Items {
		it := &v.Items[i]
		desc := it.Summary
		if desc == "" {
			desc = it.Content
		}
		f.Items[i] = &gfeeds.Item{
			Title:       it.Title,
			Link:        &gfeeds.Link{Href: it.URL},
			Description: desc,
			Id:          it.GUID,
			IsPermaLink: "false",
			Created:     it.Date,
			Updated:     it.Updated,
			Content:     it.Content,
		}
	}
	return f
}

// render renders v in format f.
func render(f format, v *feedView) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	switch f {
	case formatRSS:
		err = writeRSS(&buf, v) // sizes buf itself
	case formatAtom:
		buf.Grow(4096 + 4096*len(v.Items))
		err = writeAtom(&buf, v)
	case formatJSON:
		buf.Grow(4096 + 4096*len(v.Items))
		err = writeJSON(&buf, v)
	default:
		err = fmt.Errorf("render %s: not a feed format", f)
	}
	if err != nil {
		return nil, fmt.Errorf("render %s %s: %w", v.ID, f, err)
	}
	return buf.Bytes(), nil
}
