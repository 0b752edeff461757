package feeds

import (
	"context"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// DefaultWatchInterval is how often Watch asks the store what changed when
// it is given no positive interval.
const DefaultWatchInterval = 2 * time.Second

// Watch keeps the cache in step with writes nobody tells it about: those of
// another process, such as a `yizhan fetch` run from cron beside `yizhan
// serve`, or of another replica sharing the database. Every interval it
// asks the store what changed since its last look (Store.Changes, one cheap
// query) and invalidates the renderings of the channels whose sources'
// items changed, or every rendering when memberships changed; requests
// never wait for it. Writes of this process's own runner, which invalidates
// at once, are seen too and cost one more rendering of their channels.
// A store that is a Listener (PostgreSQL) wakes it at every commit of any
// process, so replicas see each other's writes within a render, not an
// interval. Watch returns when ctx is done. A failing store is logged once,
// until it answers again.
func (h *Handler) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = DefaultWatchInterval
	}
	var last int64
	known := false
	failing := false
	look := func() {
		cs, err := h.store.Changes(ctx, last)
		switch {
		case err != nil && ctx.Err() == nil:
			if !failing {
				h.log.Warn("store changes", "err", err)
			}
			failing = true
			return
		case err != nil:
			return
		}
		if failing {
			h.log.Info("store changes answer again")
			failing = false
		}
		switch {
		case !known:
			// Whatever was rendered before the first answer may predate a
			// write the version now includes.
			h.cache.InvalidateAll()
		case cs.Version != last:
			channels := h.cache.applyChanges(cs)
			if h.onChange != nil && (cs.All || len(channels) > 0) {
				h.onChange(channels...)
			}
		}
		last, known = cs.Version, true
	}
	look()
	wake := make(chan struct{}, 1)
	if l, ok := h.store.(Listener); ok {
		go h.listen(ctx, l, wake)
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			look()
		case <-wake:
			look()
		}
	}
}

// Listener is implemented by stores that tell of every commit as it
// happens (PostgreSQL's LISTEN/NOTIFY), so that Watch looks at once
// instead of at its next tick. Listen calls changed on every commit until
// ctx ends or it fails, and returns why.
type Listener interface {
	Listen(ctx context.Context, changed func()) error
}

// listen keeps a Listener running for Watch, starting it again a second
// after it fails (the ticks go on meanwhile).
func (h *Handler) listen(ctx context.Context, l Listener, wake chan<- struct{}) {
	changed := func() {
		select {
		case wake <- struct{}{}:
		default: // a look is due already
		}
	}
	for ctx.Err() == nil {
		if err := l.Listen(ctx, changed); err != nil && ctx.Err() == nil {
			h.log.Debug("store notifications", "err", err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// applyChanges invalidates what cs says changed, and returns the channels
// it invalidated (none when it invalidated everything).
func (c *Cache) applyChanges(cs hub.ChangeSet) []string {
	if cs.All {
		c.InvalidateAll()
		return nil
	}
	cfg := c.config()
	var channels []string
	for _, id := range cs.Sources {
		if src := cfg.sources[id]; src != nil {
			channels = append(channels, src.Channels...)
		}
	}
	if len(channels) > 0 {
		c.Invalidate(channels...)
	}
	return channels
}
