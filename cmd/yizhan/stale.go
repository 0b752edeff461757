package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// serve looks for stale sources staleDelay after it starts (the first
// fetches of a starting hub go first) and every staleInterval after, and
// logs each stale source once per staleRepeat.
const (
	staleDelay    = time.Minute
	staleInterval = time.Hour
	staleRepeat   = 24 * time.Hour
)

// staleLog remembers when serve last logged each stale source.
type staleLog map[string]time.Time

// note logs each stale row not logged within staleRepeat before now. A
// source that is no longer stale is forgotten, so that it is logged at once
// if it goes stale again.
func (l staleLog) note(logger *slog.Logger, rows []hub.SourceRow, now time.Time) {
	for i := range rows {
		r := &rows[i]
		if r.State != hub.StateStale {
			delete(l, r.ID)
			continue
		}
		if last, ok := l[r.ID]; ok && now.Sub(last) < staleRepeat {
			continue
		}
		l[r.ID] = now
		logger.Warn("source stale", "source", r.ID,
			"newest", r.Newest.In(now.Location()).Format(time.DateOnly),
			"days", int(now.Sub(r.Newest)/(24*time.Hour)))
	}
}

// watchStale logs the stale sources after delay and then every interval,
// until ctx is done. A store that cannot be read is logged and asked again
// at the next tick.
func (a *app) watchStale(ctx context.Context, delay, interval time.Duration) {
	log := make(staleLog)
	select {
	case <-ctx.Done():
		return
	case <-time.After(delay):
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		rows, err := a.rows(ctx)
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			a.logger.Warn("stale check: read source state", "err", err)
		default:
			log.note(a.logger, rows, time.Now().In(a.config().Hub.Timezone))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
