package feeds

import (
	"container/list"
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// DefaultVariantCacheBytes is how much memory the renderings of query
// variants may take when Config.VariantCacheBytes is not positive: some 300
// variants of a 50-item channel of full articles, with their gzip forms.
const DefaultVariantCacheBytes = 64 << 20

// entryOverhead is what a cached rendering costs besides its bodies: the
// entry, its header values and its place in the cache.
const entryOverhead = 512

// queryKey names the rendering of one variant of a feed.
type queryKey struct {
	channel string
	format  format
	query   string // variant.key
}

// variantCache keeps the renderings of variants (?filter=…, ?opencc=…)
// within a budget of bytes, evicting the least recently used. Unlike the
// base feeds, whose number the configuration bounds, their number is the
// readers' choice.
type variantCache struct {
	mu     sync.Mutex
	budget int64
	size   int64
	lru    list.List // of *variantEntry, most recently used first
	byKey  map[queryKey]*list.Element
}

type variantEntry struct {
	key     queryKey
	e       *entry
	size    int64
	expires time.Time // zero: until the channel changes
}

// setBudget sets the budget in bytes, evicting what no longer fits.
func (vc *variantCache) setBudget(n int64) {
	if n <= 0 {
		n = DefaultVariantCacheBytes
	}
	vc.mu.Lock()
	defer vc.mu.Unlock()
	vc.budget = n
	vc.evictLocked()
}

// get returns the rendering k if it is kept and not expired at now().
func (vc *variantCache) get(k queryKey, now func() time.Time) *entry {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	el := vc.byKey[k]
	if el == nil {
		return nil
	}
	ve := el.Value.(*variantEntry)
	if !ve.expires.IsZero() && !now().Before(ve.expires) {
		vc.removeLocked(el)
		return nil
	}
	vc.lru.MoveToFront(el)
	return ve.e
}

// put keeps e as the rendering k until expires (zero: until dropped). e
// is not served yet: a lazy gzip form (newPageEntry) is not being made.
func (vc *variantCache) put(k queryKey, e *entry, expires time.Time) {
	size := int64(len(e.body)+len(e.gz)+len(k.query)+len(k.channel)) + entryOverhead
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if vc.byKey == nil {
		vc.byKey = make(map[queryKey]*list.Element)
	}
	if el := vc.byKey[k]; el != nil {
		vc.removeLocked(el)
	}
	if size > vc.budget {
		return // it would evict everything and still not fit
	}
	vc.byKey[k] = vc.lru.PushFront(&variantEntry{key: k, e: e, size: size, expires: expires})
	vc.size += size
	vc.evictLocked()
}

// grow counts n more bytes for the rendering k, if e is still kept as it:
// the gzip form of a page, made after it was put.
func (vc *variantCache) grow(k queryKey, e *entry, n int64) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	el := vc.byKey[k]
	if el == nil || el.Value.(*variantEntry).e != e {
		return
	}
	el.Value.(*variantEntry).size += n
	vc.size += n
	vc.evictLocked()
}

func (vc *variantCache) evictLocked() {
	for vc.size > vc.budget {
		vc.removeLocked(vc.lru.Back())
	}
}

func (vc *variantCache) removeLocked(el *list.Element) {
	ve := vc.lru.Remove(el).(*variantEntry)
	delete(vc.byKey, ve.key)
	vc.size -= ve.size
}

// drop removes the renderings of the channels in drop.
func (vc *variantCache) drop(drop map[string]bool) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	for el := vc.lru.Front(); el != nil; {
		next := el.Next()
		if drop[el.Value.(*variantEntry).key.channel] {
			vc.removeLocked(el)
		}
		el = next
	}
}

// clear removes every rendering.
func (vc *variantCache) clear() {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	vc.lru.Init()
	clear(vc.byKey)
	vc.size = 0
}

// stats returns how many renderings are kept and their size in bytes.
func (vc *variantCache) stats() (n int, size int64) {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	return vc.lru.Len(), vc.size
}

// getVariant returns the rendering of variant v of a channel's feed in
// format f: from memory when it is there, else rendered once for all
// concurrent callers from the channel's snapshot, which the base feeds
// share. A bad pattern is a *queryError.
func (c *Cache) getVariant(ctx context.Context, channel string, f format, v *variant) (*entry, error) {
	k := queryKey{channel, f, v.key}
	if e := c.vars.get(k, c.now); e != nil {
		return e, nil
	}
	c.mu.RLock()
	st, cfg := c.stampLocked(channel), c.cfg.Load()
	c.mu.RUnlock()
	flight := "v\x00" + channel + "\x00" + strconv.Itoa(int(f)) + "\x00" + st.String() + "\x00" + v.key
	val, err, _ := c.sf.Do(flight, func() (any, error) {
		if e := c.vars.get(k, c.now); e != nil {
			return e, nil
		}
		m, qerr := v.compile()
		if qerr != nil {
			return nil, qerr
		}
		ch := cfg.channels[channel]
		if ch == nil {
			return nil, fmt.Errorf("render %s: %w", channel, errUnknownChannel)
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), renderTimeout)
		defer cancel()
		var s *snapshot
		var err error
		if v.before != nil {
			s, err = c.page(ctx, ch, cfg, v)
		} else {
			s, err = c.snapshot(ctx, ch, st, cfg)
		}
		if err != nil {
			return nil, err
		}
		fv, lastMod, expires, err := m.view(cfg, ch, s, c.now())
		if err != nil {
			return nil, err
		}
		fv.nextURL = nil // the base feed's, set by newFeedView
		if p, ok := nextAfter(s, v.limit, v.filters()); ok {
			next := "?" + v.next(v.limit, p)
			fv.nextURL = func(f format) string { return cfg.feedURL(ch.id, f, 0) + next }
		}
		body, err := render(f, fv)
		if err != nil {
			return nil, err
		}
		var e *entry
		if v.before != nil {
			// An archive page: its gzip form is made when a client asks
			// for it, and then counted in the cache's budget.
			e = newPageEntry(body, f.contentType(), ch.cacheControl, lastMod)
			e.onGzip = func(n int) { c.vars.grow(k, e, int64(n)) }
		} else {
			e = newEntry(body, f.contentType(), ch.cacheControl, lastMod)
		}
		e.withLinks(fv.HubURL, fv.selfURL(f))
		if c.onRender != nil {
			c.onRender(channel, f)
		}
		c.mu.Lock()
		if c.stampLocked(channel) == st {
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

// page reads the page of older items a variant with before asks for: as
// many as the feed holds (its limit, when it has one and no filter), after
// the cursor, from the store.
func (c *Cache) page(ctx context.Context, ch *channelInfo, cfg *config, v *variant) (*snapshot, error) {
	q := ch.query
	q.Before = v.before
	if v.limit > 0 && !v.filters() {
		q.Limit = v.limit
	}
	items, more, err := c.items(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("items %s: %w", ch.id, err)
	}
	s := newUnsummed(items, cfg)
	s.more = more
	if now := c.now(); s.lastMod.After(now) || s.lastMod.IsZero() {
		s.lastMod = now.Truncate(time.Second)
	}
	return s, nil
}
