package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/postgres"
)

// copyBatch is how many items copydb carries per transaction.
const copyBatch = 1000

// progressEvery is how often copydb reports on a long copy.
const progressEvery = 2 * time.Second

func cmdCopyDB(ctx context.Context, e *env, args []string) int {
	f := newFlags(e, "copydb")
	var from, to string
	f.StringVar(&from, "from", "", "the store to copy: an SQLite `DB` file or a postgres:// URL")
	f.StringVar(&to, "to", "", "the empty store to copy into: an SQLite `DB` file (created) or a postgres:// URL")
	if _, code, done := f.parse(args, 0, 0); done {
		return code
	}
	if from == "" || to == "" {
		fmt.Fprintf(e.stderr, "yizhan copydb: both -from and -to are required\n")
		f.usage(e.stderr)
		return exitUsage
	}
	if from == to {
		fmt.Fprintf(e.stderr, "yizhan copydb: -from and -to name the same store\n")
		return exitUsage
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := copyDB(ctx, e, from, to); err != nil {
		fmt.Fprintf(e.stderr, "yizhan copydb: %v\n", err)
		return exitFail
	}
	return exitOK
}

func copyDB(ctx context.Context, e *env, from, to string) error {
	if !postgres.IsURL(from) {
		if _, err := os.Stat(from); errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("-from %s: no such database", from)
		}
	}
	src, err := openCopier(ctx, from)
	if err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	defer src.Close()
	dst, err := openCopier(ctx, to)
	if err != nil {
		return fmt.Errorf("-to: %w", err)
	}
	defer dst.Close()
	if c, err := dst.Counts(ctx); err != nil {
		return fmt.Errorf("-to: %w", err)
	} else if c != (hub.Counts{}) {
		return fmt.Errorf("-to %s is not empty (%d items, %d fetch states, %d tombstones): copydb copies into an empty store only",
			redact(to), c.Items, c.States, c.Tombstones)
	}
	want, err := src.Counts(ctx)
	if err != nil {
		return fmt.Errorf("-from: %w", err)
	}
	start, last := time.Now(), time.Now()
	copied := 0
	err = src.Dump(ctx, copyBatch, func(d hub.Dump) error {
		if err := dst.Load(ctx, d); err != nil {
			return err
		}
		copied += len(d.Items)
		if time.Since(last) >= progressEvery {
			last = time.Now()
			fmt.Fprintf(e.stderr, "copydb: %d of %d items (%.0f%%), %s\n", copied, want.Items,
				100*float64(copied)/float64(max(want.Items, 1)), time.Since(start).Round(time.Second))
		}
		return nil
	})
	if err != nil {
		return err
	}
	got, err := dst.Counts(ctx)
	if err != nil {
		return fmt.Errorf("-to: %w", err)
	}
	if got != want {
		return fmt.Errorf("count check failed: %s has %d items, %d fetch states, %d tombstones; %s has %d, %d, %d",
			redact(to), got.Items, got.States, got.Tombstones, redact(from), want.Items, want.States, want.Tombstones)
	}
	subs, ups, err := copyWebSub(ctx, src, dst)
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stdout, "copied %d items, %d fetch states, %d tombstones from %s to %s in %s\n",
		got.Items, got.States, got.Tombstones, redact(from), redact(to), time.Since(start).Round(time.Millisecond))
	if subs+ups > 0 {
		fmt.Fprintf(e.stdout, "copied %d WebSub subscriptions and %d upstream subscriptions\n", subs, ups)
	}
	return nil
}

// copier is a store copydb reads from or writes to.
type copier interface {
	hub.Store
	hub.Copier
}

func openCopier(ctx context.Context, database string) (copier, error) {
	db, err := openDatabase(ctx, database)
	if err != nil {
		return nil, err
	}
	c, ok := db.(copier)
	if !ok {
		db.Close()
		return nil, fmt.Errorf("%T cannot be copied", db)
	}
	return c, nil
}

// redact hides the password of a database URL in what copydb prints.
func redact(database string) string {
	if !postgres.IsURL(database) {
		return database
	}
	return postgres.Redact(database)
}
