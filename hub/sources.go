package hub

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// StateNotConfigured is the state of a source the store has fetch state or
// items of but the configuration no longer names, on /status and in
// yizhan sources.
const StateNotConfigured = "not configured"

// SourceState judges a configured source by its configuration, fetch
// state (as FetchState.ForURL gives it for the source's URL) and the date
// of its newest stored item, and says why when the hub disabled it, its
// last fetch looks wrong or it went stale. SourceRows judges by it.
func SourceState(src *Source, st FetchState, newest, now time.Time) (state, note string) {
	if !src.Enabled {
		return StateDisabled, ""
	}
	state = st.Status(now)
	switch state {
	case StateDisabled:
		note = "disabled: " + st.Disabled
	case StateSuspect:
		note = "suspect: " + st.Suspect
	case StateOK:
		if Stale(newest, src.StaleDays, now) {
			state = StateStale
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
	State       string   // one of States, or StateNotConfigured
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
	if r.State == StateDisabled && r.Note != "" {
		return r.Note
	}
	msg := ErrorText(r.ID, r.LastError)
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
func SourceRows(srcs []Source, stats []SourceStat, now time.Time, nextRun func(id string) time.Time) []SourceRow {
	byID := make(map[string]SourceStat, len(stats))
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
			} else if sched, err := ParseSchedule(src.Schedule); err == nil {
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
