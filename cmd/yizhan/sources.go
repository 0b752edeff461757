package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/postgres"
)

func cmdSources(ctx context.Context, e *env, args []string) int {
	cfg, _, _, code := start(e, "sources", args, 0, 0)
	if cfg == nil {
		return code
	}
	stats, err := readStats(ctx, cfg.Hub.Database)
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan sources: %v\n", err)
		return exitFail
	}
	// No scheduler runs here: next runs are computed from the schedules.
	printSources(e.stdout, cfg, hub.SourceRows(cfg.Sources, stats, time.Now().In(cfg.Hub.Timezone), nil))
	return exitOK
}

// readStats returns the state of every source the database has, changing
// nothing in it: unlike openStore it does not record the configuration's
// channels, which would take a source this configuration lacks out of the
// feeds a serve on the same database publishes. A database that does not
// exist yet knows no source, and is not created.
func readStats(ctx context.Context, path string) ([]hub.SourceStat, error) {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) && !postgres.IsURL(path) {
		return nil, nil
	}
	db, err := openDatabase(ctx, path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return db.SourceStats(ctx)
}

// printSources prints rows as a table, times in the hub's time zone.
func printSources(w io.Writer, cfg *Config, rows []hub.SourceRow) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tSTATE\tLAST TRY\tLAST SUCCESS\tITEMS\tNEXT RUN\tLAST ERROR")
	for i := range rows {
		r := &rows[i]
		state := r.State
		if r.Failures > 0 {
			state += " (" + strconv.Itoa(r.Failures) + "×)"
		}
		next := stamp(r.NextRun, cfg.Hub.Timezone)
		if r.State == hub.StateNever {
			next = "soon after serve starts"
		}
		lastErr := "-"
		if p := r.Problem(); p != "" {
			lastErr = oneLine(p, 80)
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
