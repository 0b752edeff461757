package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/postgres"
	"github.com/yizhan-hub/yizhan/hub/sqlite"
	"github.com/yizhan-hub/yizhan/sources"
)

// openStore opens the configured database, creating its directory if needed,
// and records which channels each configured source feeds.
func openStore(ctx context.Context, cfg *Config) (hub.Store, error) {
	db, err := openDatabase(ctx, cfg.Hub.Database)
	if err != nil {
		return nil, err
	}
	if err := db.SyncSources(ctx, cfg.SourceChannels()); err != nil {
		db.Close()
		return nil, fmt.Errorf("sync sources: %w", err)
	}
	if sw, ok := db.(hub.SearchSwitch); ok && cfg.Hub.SearchOff {
		if err := sw.DisableSearch(ctx); err != nil {
			db.Close()
			return nil, fmt.Errorf("turn search off: %w", err)
		}
	}
	return db, nil
}

// openDatabase opens the store that database names: a PostgreSQL URL, else
// an SQLite file, created with its directory if absent.
func openDatabase(ctx context.Context, database string) (hub.Store, error) {
	if postgres.IsURL(database) {
		return postgres.Open(ctx, database)
	}
	if err := os.MkdirAll(filepath.Dir(database), 0o755); err != nil {
		return nil, err
	}
	return sqlite.Open(ctx, database)
}

func cmdFetch(ctx context.Context, e *env, args []string) int {
	cfg, ids, logger, code := start(e, "fetch", args, 0, -1)
	if cfg == nil {
		return code
	}
	srcs, err := pickSources(cfg, ids)
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan fetch: %v\n", err)
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := openStore(ctx, cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "yizhan fetch: %v\n", err)
		return exitFail
	}
	defer store.Close()
	runner := hub.NewRunner(hub.RunnerOptions{
		Store:   store,
		Fetcher: sources.New(sources.Options{Client: newClient(cfg), Known: store}),
		Logger:  logger,
	})
	failed := fetchAll(ctx, runner, srcs, e.stdout)
	flushSearch(ctx, store, cfg, logger)
	if failed > 0 {
		return exitFail
	}
	return exitOK
}

// flushSearch waits, on a store that indexes behind the commit, until what
// the fetch stored is searchable, so that fetch leaves the index up to date
// when it exits, and logs how long that took and the longest any item
// waited. A failure is logged: the index catches up at the next start.
func flushSearch(ctx context.Context, store hub.Store, cfg *Config, logger *slog.Logger) {
	x, ok := store.(hub.SearchIndexer)
	if !ok || cfg.Hub.SearchOff {
		return
	}
	start := time.Now()
	if err := x.FlushSearch(ctx); err != nil {
		logger.Warn("search index not caught up", "err", err)
		return
	}
	lag, err := x.SearchLag(ctx)
	if err != nil {
		logger.Warn("search index", "err", err)
		return
	}
	if lag.Indexed > 0 {
		logger.Info("search index caught up", "indexed", lag.Indexed,
			"after_fetch", time.Since(start).Round(time.Millisecond), "longest_wait", lag.Longest)
	}
}

// fetchAll runs every source at once (the runner bounds how many fetch at a
// time) and prints one line per source, in the order given, as soon as it and
// those before it are done. It returns how many failed.
func fetchAll(ctx context.Context, runner *hub.Runner, srcs []hub.Source, w io.Writer) (failed int) {
	width := 0
	for _, s := range srcs {
		width = max(width, len(s.ID))
	}
	done := make([]chan hub.Report, len(srcs))
	for i, src := range srcs {
		done[i] = make(chan hub.Report, 1)
		go func() { done[i] <- runner.Run(ctx, src) }()
	}
	for i, src := range srcs {
		rep := <-done[i]
		if rep.Err != nil {
			failed++
		}
		fmt.Fprintf(w, "%-*s  %s\n", width, src.ID, summary(rep))
	}
	return failed
}

// summary describes one run in a line: "new 12  updated 0  unchanged 38  (1.2s)",
// followed by the parts skipped and why the run looks suspect, if it does.
func summary(rep hub.Report) string {
	took := fmt.Sprintf("(%s)", rep.Duration.Round(100*time.Millisecond))
	if rep.Duration < 100*time.Millisecond {
		took = fmt.Sprintf("(%s)", rep.Duration.Round(time.Millisecond))
	}
	switch {
	case rep.Err != nil && rep.Disabled != "":
		return "error: " + errorText(rep.SourceID, rep.Err) + " (now disabled: not fetched on schedule until a fetch succeeds)"
	case rep.Err != nil:
		return "error: " + errorText(rep.SourceID, rep.Err)
	case rep.Busy:
		return "skipped: already running"
	case rep.NotModified:
		return "not modified  " + took
	}
	r := rep.Result
	line := fmt.Sprintf("new %d  updated %d  unchanged %d  %s", r.New, r.Updated, r.Unchanged, took)
	if rep.Skipped > 0 {
		// An HTML source's article pages that failed; the log names each.
		line += fmt.Sprintf("  %d %s skipped (logged)", rep.Skipped, plural(rep.Skipped, "part", "parts"))
	}
	if rep.Suspect != "" {
		line += "  suspect: " + oneLine(rep.Suspect, 0)
	}
	return line
}

// errorText is err without the "fetch SOURCE-ID: " prefixes that repeat
// what the line already says.
func errorText(id string, err error) string {
	return oneLine(hub.ErrorText(id, err.Error()), 0)
}
