package feeds

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/yizhan-hub/yizhan/hub"
)

// statusTTL is how long the /status page is reused. Building its rows
// reads the store; a client reloading the page, or many clients at
// once, cost one read a second, and a fetch shows within about a second.
const statusTTL = time.Second

// statusTimeout bounds the store read that builds the rows. It does not end
// with the request that started it: other requests may be waiting for it.
const statusTimeout = 10 * time.Second

// statusCache keeps the page last rendered and what it was rendered under.
type statusCache struct {
	sf   singleflight.Group
	last atomic.Pointer[statusBuild]
}

// statusBuild is /status rendered from one store read.
type statusBuild struct {
	cfg  *config
	at   time.Time // the clock when the rows were built: they judge states at it
	body []byte
}

// fresh reports whether b may still be served at now under cfg.
func (b *statusBuild) fresh(cfg *config, now time.Time) bool {
	return b != nil && b.cfg == cfg && !now.Before(b.at) && now.Sub(b.at) < statusTTL
}

// statusBody returns /status. The store is read, and the page rendered, once
// for all concurrent callers, and callers within statusTTL of a read share
// its page, unless SetConfig came in between. An error is the store's or the
// template's.
func (h *Handler) statusBody(ctx context.Context) ([]byte, error) {
	c := &h.status
	cfg := h.cache.config()
	if b := c.last.Load(); b.fresh(cfg, h.now()) {
		return b.body, nil
	}
	// One flight per configuration: a caller that comes after SetConfig
	// must not join a read begun under the old one and get its rows.
	v, err, _ := c.sf.Do(fmt.Sprintf("%p", cfg), func() (any, error) {
		// A flight may have finished just before this one began.
		if b := c.last.Load(); b.fresh(cfg, h.now()) {
			return b, nil
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), statusTimeout)
		defer cancel()
		stats, err := h.store.SourceStats(ctx)
		if err != nil {
			return nil, fmt.Errorf("source stats: %w", err)
		}
		now := h.now()
		body, err := renderStatus(cfg, hub.SourceRows(cfg.srcOrder, stats, now.In(cfg.loc), h.nextRun), now)
		if err != nil {
			return nil, err
		}
		if body, err = h.withWebSubStatus(ctx, cfg, body, now); err != nil {
			return nil, err
		}
		b := &statusBuild{cfg: cfg, at: now, body: body}
		c.last.Store(b)
		return b, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*statusBuild).body, nil
}
