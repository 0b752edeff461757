package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/yizhan-hub/yizhan/feeds"
	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
)

func cmdSources(ctx context.Context, e *env, args []string) int {
	cfg, rest, _, code := start(e, "sources", args)
	if code != exitOK {
		return code
	}
	if len(rest) > 0 {
		fmt.Fprintln(e.stderr, "usage: yizhan sources [-config FILE]")
		return exitUsage
	}
	stats, err := readStats(ctx, cfg.Hub.Database)
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan sources: %v\n", err)
		return exitFail
	}
	printSources(e.stdout, cfg, statusRows(cfg, stats, time.Now(), nil))
	return exitOK
}

// readStats returns the state of every source the database has, changing
// nothing in it: unlike openStore it does not record the configuration's
// channels, which would take a source this configuration lacks out of the
// feeds a serve on the same database publishes. A database that does not
// exist yet knows no source, and is not created.
func readStats(ctx context.Context, path string) ([]hub.SourceStat, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.SourceStats(ctx)
}

// stateGone is the state of a source the store has items or state of but
// the configuration no longer names.
const stateGone = feeds.StateNotConfigured

// sourceRow is one source's state as `yizhan sources` and the metrics show it.
type sourceRow struct {
	ID          string
	State       string // one of hub.States, or stateGone
	Note        string // why a source is disabled or suspect
	Failures    int
	LastTry     time.Time
	LastSuccess time.Time
	LastError   string
	Items       int
	NextRun     time.Time // zero: not scheduled
}

// statusRows joins the configured sources with their stored state, in
// configuration order, followed by sources the store still has items of but
// the configuration no longer names. nextRun, if not nil, gives the
// scheduler's next run; otherwise it is computed from the schedule.
func statusRows(cfg *Config, stats []hub.SourceStat, now time.Time, nextRun func(id string) time.Time) []sourceRow {
	byID := make(map[string]hub.SourceStat, len(stats))
	for _, st := range stats {
		byID[st.SourceID] = st
	}
	var rows []sourceRow
	for _, src := range cfg.Sources {
		st := byID[src.ID]
		delete(byID, src.ID)
		// A state the previous configured URL earned does not apply.
		fs := st.ForURL(src.URL)
		state, note := feeds.SourceState(&src, fs, now)
		r := sourceRow{
			ID: src.ID, State: state, Note: note, Failures: fs.Failures, LastTry: st.LastTry,
			LastSuccess: st.LastSuccess, LastError: st.LastError, Items: st.Items,
		}
		if r.State != hub.StateDisabled {
			if nextRun != nil {
				r.NextRun = nextRun(src.ID)
			} else if sched, err := hub.ParseSchedule(src.Schedule); err == nil {
				r.NextRun = sched.Next(now.In(cfg.Hub.Timezone))
			}
			// Backoff, Retry-After or the upstream's ttl hold it back.
			r.NextRun = fs.NextRun(r.NextRun)
		}
		rows = append(rows, r)
	}
	var gone []sourceRow
	for _, st := range byID {
		gone = append(gone, sourceRow{
			ID: st.SourceID, State: stateGone, Failures: st.Failures, LastTry: st.LastTry,
			LastSuccess: st.LastSuccess, LastError: st.LastError, Items: st.Items,
		})
	}
	slices.SortFunc(gone, func(a, b sourceRow) int { return strings.Compare(a.ID, b.ID) })
	return append(rows, gone...)
}

// printSources prints rows as a table, times in the hub's time zone.
func printSources(w io.Writer, cfg *Config, rows []sourceRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSTATE\tLAST TRY\tLAST SUCCESS\tITEMS\tNEXT RUN\tLAST ERROR")
	for _, r := range rows {
		state := r.State
		if r.Failures > 0 {
			state += " (" + strconv.Itoa(r.Failures) + "×)"
		}
		next := stamp(r.NextRun, cfg.Hub.Timezone)
		if r.State == hub.StateNever {
			next = "soon after serve starts"
		}
		lastErr := "-"
		switch {
		case r.State == hub.StateDisabled && r.Note != "":
			// Why the hub stopped fetching it says more than the last error.
			lastErr = oneLine(r.Note, 80)
		case r.LastError != "":
			lastErr = oneLine(errorText(r.ID, errors.New(r.LastError)), 80)
		case r.Note != "":
			lastErr = oneLine(r.Note, 80)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, state,
			stamp(r.LastTry, cfg.Hub.Timezone), stamp(r.LastSuccess, cfg.Hub.Timezone), r.Items, next, lastErr)
	}
	tw.Flush()
}

func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04:05")
}
