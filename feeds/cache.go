package feeds

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/yizhan-hub/yizhan/hub"
)

// renderTimeout bounds one fill of the cache (a store read and the
// renderings made from it). It does not end with the request that started
// it: other requests may be waiting on the same fill.
const renderTimeout = 30 * time.Second

// maxLimitVariants is how many ?limit= renderings the cache keeps per
// channel and format, besides the full feed. Clients use one or two values;
// a client walking through every value must not grow memory without bound.
const maxLimitVariants = 4

// errUnknownChannel is returned for a channel that a reload removed between
// routing a request and rendering its feed.
var errUnknownChannel = errors.New("feeds: unknown channel")

// Cache keeps every rendering the Handler serves: each channel's feed and the
// latest ticker in each format (and ?limit= variants of them), the index page
// and OPML, each with its gzip form, its ETag and its Last-Modified. A
// rendering is made on the first request after a change, once however many
// requests ask for it at the same time; the store is read once per channel
// per change, whatever the formats and limits asked for. Requests answered
// from the cache touch no store.
//
// A Cache is safe for concurrent use.
type Cache struct {
	store    Store
	now      func() time.Time
	onRender func(channel string, f format)

	// Read without a lock on every request. entries is copied on write:
	// writes come once per change, reads thousands of times a second, and a
	// shared read lock would bounce between cores on every one.
	cfg     atomic.Pointer[config]
	entries atomic.Pointer[map[key]*entry]

	mu       sync.RWMutex      // guards what follows, and every write of entries
	epoch    uint64            // bumped when everything is invalidated
	gens     map[string]uint64 // per channel id: bumped when the channel is invalidated
	snaps    map[string]*snapshot
	marks    map[string]mark // per channel: what its Last-Modified was last given for
	variants map[variantKey][]int
	vars     variantCache // renderings of query variants (variants.go)

	sf singleflight.Group

	// stale keeps, per rendering, the last one an invalidation dropped,
	// until a new one is made: when the store cannot be read (a database
	// outage), readers get it rather than an error. Guarded by mu.
	stale map[key]*entry
}

// key names one rendering. channel is a channel id or LatestID; the index
// page is kept under LatestID (it shows the ticker), OPML under "".
type key struct {
	channel string
	format  format
	limit   int // 0: the full feed
}

type variantKey struct {
	channel string
	format  format
}

// stamp identifies the state of a channel's items as the cache knows it:
// renderings and reads started under an older stamp are not kept.
type stamp struct{ epoch, gen uint64 }

func (s stamp) String() string {
	return strconv.FormatUint(s.epoch, 10) + "." + strconv.FormatUint(s.gen, 10)
}

// mark remembers the sum and Last-Modified of a channel's last snapshot, so
// that Last-Modified only moves forward, and moves whenever the content does
// (an item updated in place, or a reload that renames the channel).
type mark struct {
	sum     [sha256.Size]byte
	lastMod time.Time
}

func newCache(store Store, cfg Config, now func() time.Time, onRender func(string, format)) *Cache {
	c := &Cache{
		store:    store,
		now:      now,
		onRender: onRender,
		gens:     make(map[string]uint64),
		snaps:    make(map[string]*snapshot),
		marks:    make(map[string]mark),
		variants: make(map[variantKey][]int),
	}
	c.entries.Store(&map[key]*entry{})
	c.setConfig(cfg)
	return c
}

// Invalidate drops every rendering of the named channels and of the latest
// ticker (and the index page, which shows it). The ingest runner calls it
// after a transaction that changed items of these channels has committed;
// the next request for each feed reads the store and renders it again.
// Naming no channel invalidates only the ticker.
func (c *Cache) Invalidate(channels ...string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	drop := make(map[string]bool, len(channels)+1)
	drop[LatestID] = true
	for _, ch := range channels {
		drop[ch] = true
	}
	for ch := range drop {
		c.gens[ch]++
		delete(c.snaps, ch)
	}
	entries := c.cloneEntriesLocked()
	for k, e := range entries {
		if drop[k.channel] {
			c.keepStaleLocked(k, e)
			delete(entries, k)
		}
	}
	c.entries.Store(&entries)
	for vk := range c.variants {
		if drop[vk.channel] {
			delete(c.variants, vk)
		}
	}
	c.vars.drop(drop)
}

// InvalidateAll drops every rendering, as after retention removed items from
// channels the caller does not track.
func (c *Cache) InvalidateAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.invalidateAllLocked()
}

func (c *Cache) invalidateAllLocked() {
	c.epoch++
	clear(c.gens)
	for k, e := range *c.entries.Load() {
		c.keepStaleLocked(k, e)
	}
	c.entries.Store(&map[key]*entry{})
	clear(c.snaps)
	clear(c.variants)
	c.vars.clear()
}

// setConfig replaces the configuration and drops every rendering made with
// the old one.
func (c *Cache) setConfig(cfg Config) {
	next := newConfig(cfg)
	next.loaded = c.now().Truncate(time.Second)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cfg.Store(next)
	c.invalidateAllLocked()
	c.vars.setBudget(next.variantBytes)
	for ch := range c.marks {
		if next.channels[ch] == nil {
			delete(c.marks, ch)
		}
	}
}

// config returns the configuration in force.
func (c *Cache) config() *config { return c.cfg.Load() }

// Warm renders every full feed, the ticker and the index page that are not
// rendered yet, so that the first requests after a start or a change find
// them ready. It returns the errors of the renderings that failed.
func (c *Cache) Warm(ctx context.Context) error {
	cfg := c.config()
	var errs []error
	for _, ch := range append([]*channelInfo{cfg.latest}, cfg.order...) {
		for _, f := range feedFormats {
			if _, err := c.getFresh(ctx, key{channel: ch.id, format: f}); err != nil {
				errs = append(errs, err)
			}
		}
	}
	if _, err := c.getFresh(ctx, key{channel: LatestID, format: formatIndex}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// get returns the rendering k, from memory when it is there, else made
// now; when the store cannot be read, the last one an invalidation
// dropped, if any.
func (c *Cache) get(ctx context.Context, k key) (*entry, error) {
	e, err := c.getFresh(ctx, k)
	if err != nil && !errors.Is(err, errUnknownChannel) {
		// The store cannot be read: the last rendering, though it may miss
		// a change, serves readers better than an error (/healthz tells).
		if old := c.staleFor(k); old != nil {
			return old, nil
		}
	}
	return e, err
}

// getFresh returns the rendering k, rendering it if it is not in memory;
// it never falls back on a stale one.
func (c *Cache) getFresh(ctx context.Context, k key) (*entry, error) {
	if e := (*c.entries.Load())[k]; e != nil {
		return e, nil
	}
	return c.fill(ctx, k)
}

// fill renders k once for all concurrent callers and keeps it unless the
// channel was invalidated meanwhile.
func (c *Cache) fill(ctx context.Context, k key) (*entry, error) {
	c.mu.RLock()
	st, cfg := c.stampLocked(k.channel), c.cfg.Load()
	c.mu.RUnlock()
	flight := "r\x00" + k.channel + "\x00" + strconv.Itoa(int(k.format)) + "\x00" + strconv.Itoa(k.limit) + "\x00" + st.String()
	v, err, _ := c.sf.Do(flight, func() (any, error) {
		// A flight for the same stamp may have finished just before this one began.
		if e := (*c.entries.Load())[k]; e != nil {
			return e, nil
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		e, err := c.render(ctx, k, st, cfg)
		if err != nil {
			return nil, err
		}
		if c.onRender != nil {
			c.onRender(k.channel, k.format)
		}
		c.mu.Lock()
		if c.stampLocked(k.channel) == st {
			c.putLocked(k, e)
		} else if c.stale[k] == nil {
			// Invalidated while it was made: not current, but the best
			// there is should the store fail before the next one.
			c.keepStaleLocked(k, e)
		}
		c.mu.Unlock()
		return e, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*entry), nil
}

// keepStaleLocked keeps e as the last rendering of k, to serve while the
// store cannot be read. Only the full feeds and pages are kept: their
// number is the configuration's.
func (c *Cache) keepStaleLocked(k key, e *entry) {
	if k.limit != 0 {
		return
	}
	if c.stale == nil {
		c.stale = make(map[key]*entry)
	}
	c.stale[k] = e
}

// staleFor returns the last rendering of k that an invalidation dropped, if
// no new one was made since.
func (c *Cache) staleFor(k key) *entry {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.stale[k]
}

func (c *Cache) stampLocked(channel string) stamp {
	return stamp{c.epoch, c.gens[channel]}
}

func (c *Cache) putLocked(k key, e *entry) {
	delete(c.stale, k)
	entries := c.cloneEntriesLocked()
	entries[k] = e
	if k.limit > 0 {
		vk := variantKey{k.channel, k.format}
		limits := append(c.variants[vk], k.limit)
		if len(limits) > maxLimitVariants {
			delete(entries, key{k.channel, k.format, limits[0]})
			limits = append(limits[:0:0], limits[1:]...)
		}
		c.variants[vk] = limits
	}
	c.entries.Store(&entries)
}

// cloneEntriesLocked returns a copy of the entries to modify and store.
func (c *Cache) cloneEntriesLocked() map[key]*entry {
	old := *c.entries.Load()
	entries := make(map[key]*entry, len(old)+1)
	for k, e := range old {
		entries[k] = e
	}
	return entries
}

// render makes the rendering k from the store's items under stamp st.
func (c *Cache) render(ctx context.Context, k key, st stamp, cfg *config) (*entry, error) {
	switch k.format {
	case formatOPML:
		body, err := renderOPML(cfg)
		if err != nil {
			return nil, err
		}
		return newEntry(body, formatOPML.contentType(), cfg.latest.cacheControl, cfg.loaded), nil
	case formatIndex:
		s, err := c.snapshot(ctx, cfg.latest, st, cfg)
		if err != nil {
			return nil, err
		}
		body, err := renderIndex(cfg, s)
		if err != nil {
			return nil, err
		}
		lastMod := s.lastMod
		if cfg.loaded.After(lastMod) {
			lastMod = cfg.loaded // the index lists the channels too
		}
		return newEntry(body, formatIndex.contentType(), cfg.latest.cacheControl, lastMod), nil
	}
	ch := cfg.channels[k.channel]
	if ch == nil {
		return nil, fmt.Errorf("render %s: %w", k.channel, errUnknownChannel)
	}
	s, err := c.snapshot(ctx, ch, st, cfg)
	if err != nil {
		return nil, err
	}
	fv := newFeedView(cfg, ch, s, k.limit)
	body, err := render(k.format, fv)
	if err != nil {
		return nil, err
	}
	return newEntry(body, k.format.contentType(), ch.cacheControl, s.lastMod).withLinks(fv.HubURL, fv.selfURL(k.format)), nil
}

// snapshot returns the channel's items under stamp st, reading the store
// once for all formats and limits.
func (c *Cache) snapshot(ctx context.Context, ch *channelInfo, st stamp, cfg *config) (*snapshot, error) {
	c.mu.RLock()
	s := c.snaps[ch.id]
	c.mu.RUnlock()
	if s != nil && s.stamp == st {
		return s, nil
	}
	v, err, _ := c.sf.Do("s\x00"+ch.id+"\x00"+st.String(), func() (any, error) {
		items, more, err := c.items(ctx, ch.query)
		if err != nil {
			return nil, fmt.Errorf("items %s: %w", ch.id, err)
		}
		s := newSnapshot(items, ch, cfg)
		s.setMore(more)
		s.stamp = st
		c.mu.Lock()
		defer c.mu.Unlock()
		if now := c.now(); s.lastMod.After(now) {
			// An upstream dated an item in the future; Last-Modified must
			// not be later than the response (RFC 9110 section 8.8.2.1).
			s.lastMod = now.Truncate(time.Second)
		}
		m, seen := c.marks[ch.id]
		switch {
		case seen && m.sum == s.sum:
			s.lastMod = m.lastMod
		case s.lastMod.IsZero() || seen && !s.lastMod.After(m.lastMod):
			// No item dates to go by, or the content changed without a newer
			// one (an item edited in place, an old article fetched late):
			// If-Modified-Since must still see a change.
			now := c.now().Truncate(time.Second)
			if seen && !now.After(m.lastMod) {
				now = m.lastMod.Add(time.Second)
			}
			s.lastMod = now
		}
		if c.stampLocked(ch.id) == st {
			c.snaps[ch.id] = s
			c.marks[ch.id] = mark{s.sum, s.lastMod}
		}
		return s, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*snapshot), nil
}

// items reads what q asks for and whether the store has more after it,
// in one read of one item more.
func (c *Cache) items(ctx context.Context, q hub.Query) ([]hub.Item, bool, error) {
	q.Limit++
	items, err := c.store.Items(ctx, q)
	if err != nil || len(items) < q.Limit {
		return items, false, err
	}
	return items[:q.Limit-1], true, nil
}
