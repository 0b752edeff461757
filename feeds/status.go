package feeds

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/yizhan-hub/yizhan/hub"
)

// StateNotConfigured is the state of a source the store has fetch state or
// items of but the configuration no longer names, on /status and in
// yizhan sources.
const StateNotConfigured = "not configured"

// SourceState judges a configured source by its configuration, fetch
// state (as FetchState.ForURL gives it for the source's URL) and the date
// of its newest stored item, and says why when the hub disabled it, its
// last fetch looks wrong or it went stale. SourceRows judges by it.
func SourceState(src *hub.Source, st hub.FetchState, newest, now time.Time) (state, note string) {
	if !src.Enabled {
		return stateDisabled, ""
	}
	state = st.Status(now)
	switch state {
	case stateDisabled:
		note = "disabled: " + st.Disabled
	case stateSuspect:
		note = "suspect: " + st.Suspect
	case stateOK:
		if hub.Stale(newest, src.StaleDays, now) {
			state = stateStale
			note = StaleNote(newest, now)
		}
	}
	return state, note
}

// StaleNote says how old a stale source's newest item is, its date in
// now's location.
func StaleNote(newest, now time.Time) string {
	return fmt.Sprintf("stale: newest item %s, %d days old",
		newest.In(now.Location()).Format("2006-01-02"), int(now.Sub(newest)/(24*time.Hour)))
}

// SourceRow is one source's state as /status, yizhan sources and the
// source metrics show it. SourceRows builds every row of them, so that they
// cannot disagree.
type SourceRow struct {
	ID          string
	Name        string   // empty for a source no longer configured
	Kind        string   // empty for a source no longer configured
	Channels    []string // nil for a source no longer configured
	State       string   // one of hub.States, or StateNotConfigured
	Note        string   // why the hub disabled the source, why its last fetch looks wrong, or how stale it is
	Failures    int      // consecutive failures at the configured URL
	LastTry     time.Time
	LastSuccess time.Time
	LastError   string // as stored: it may start with "fetch ID: "
	Items       int
	Newest      time.Time // the date of its newest stored item; zero when none
	NextRun     time.Time // zero: not scheduled
}

// Problem is what a row shows in its last error column: why the hub
// disabled the source, else the last error without the "fetch ID: " that
// repeats the row's id, else why the last fetch looks wrong; empty if none.
func (r *SourceRow) Problem() string {
	if r.State == stateDisabled && r.Note != "" {
		return r.Note
	}
	msg := hub.ErrorText(r.ID, r.LastError)
	if msg == "" {
		return r.Note
	}
	return msg
}

// SourceRows joins the configured sources with their stored state: one row
// for each source in configuration order, followed by the sources the store
// still has state or items of but srcs no longer names, by id. nextRun, if
// not nil, gives when the scheduler runs a source next; otherwise that is
// computed from the source's schedule, read in now's location. Either way
// backoff, Retry-After or the upstream's ttl may hold it back, and a
// disabled source has no next run.
func SourceRows(srcs []hub.Source, stats []hub.SourceStat, now time.Time, nextRun func(id string) time.Time) []SourceRow {
	byID := make(map[string]hub.SourceStat, len(stats))
	for _, st := range stats {
		byID[st.SourceID] = st
	}
	rows := make([]SourceRow, 0, len(srcs)+len(stats))
	for i := range srcs {
		src := &srcs[i]
		st := byID[src.ID]
		delete(byID, src.ID)
		// A state the previous configured URL earned does not apply.
		cur := st.ForURL(src.URL)
		state, note := SourceState(src, cur, st.Newest, now)
		r := SourceRow{
			ID:          src.ID,
			Name:        src.Name,
			Kind:        src.Kind,
			Channels:    src.Channels,
			State:       state,
			Note:        note,
			Failures:    cur.Failures,
			LastTry:     st.LastTry,
			LastSuccess: st.LastSuccess,
			LastError:   st.LastError,
			Items:       st.Items,
			Newest:      st.Newest,
		}
		if src.Enabled {
			var scheduled time.Time
			if nextRun != nil {
				scheduled = nextRun(src.ID)
			} else if sched, err := hub.ParseSchedule(src.Schedule); err == nil {
				scheduled = sched.Next(now)
			}
			// Zero while the hub has disabled the source.
			r.NextRun = cur.NextRun(scheduled)
		}
		rows = append(rows, r)
	}
	for _, id := range slices.Sorted(maps.Keys(byID)) {
		st := byID[id]
		rows = append(rows, SourceRow{
			ID:          id,
			State:       StateNotConfigured,
			Failures:    st.Failures,
			LastTry:     st.LastTry,
			LastSuccess: st.LastSuccess,
			LastError:   st.LastError,
			Items:       st.Items,
			Newest:      st.Newest,
		})
	}
	return rows
}

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
		body, err := renderStatus(cfg, SourceRows(cfg.srcOrder, stats, now.In(cfg.loc), h.nextRun), now)
		if err != nil {
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
