package hub

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"
)

// Backoff bounds after consecutive failures: the first retry waits about
// BackoffBase, each further failure doubles it, never beyond BackoffMax.
const (
	BackoffBase = time.Minute
	BackoffMax  = 6 * time.Hour
)

// RetryHinter is implemented by fetch errors that carry an upstream's wish
// about when to come back (HTTP Retry-After on 429 and 503).
type RetryHinter interface {
	RetryHint() time.Duration
}

// RunStore is the part of Store a Runner uses.
type RunStore interface {
	SaveItems(ctx context.Context, sourceID string, items []Item, now time.Time) (SaveResult, error)
	FetchState(ctx context.Context, sourceID string) (FetchState, error)
	SaveFetchState(ctx context.Context, st FetchState) error
	Lease(ctx context.Context, sourceID, holder string, now, until time.Time) (bool, error)
}

// LeaseTTL is the longest a Runner's lease on a source runs without being
// renewed: the sources of a process that dies are taken over within it.
const LeaseTTL = time.Minute

// RunnerOptions configure a Runner.
type RunnerOptions struct {
	Store   RunStore
	Fetcher Fetcher
	// Holder names this process among several sharing the store (host,
	// pid and a random part). When set, a scheduled run first leases its
	// source (Store.Lease), renewing the lease while it runs, and is
	// skipped when another process holds it or ran the source less than
	// half its interval ago: each due source is fetched by one of them.
	// Empty means the process is alone.
	Holder      string
	Concurrency int // fetches running at once across all sources; default 4
	Logger      *slog.Logger
	Now         func() time.Time
	// OnChange is called after a fetch whose items changed the store has
	// committed: the place to invalidate rendered feeds or notify subscribers.
	OnChange func(src Source, res SaveResult)
	// OnReport is called after every run, for metrics.
	OnReport func(rep Report)
}

// Runner fetches sources and stores what they yield. It never runs one source
// twice at once and never more than Concurrency sources at once.
type Runner struct {
	opts    RunnerOptions
	slots   chan struct{}
	mu      sync.Mutex
	running map[string]bool
}

// Report is the outcome of one run of one source.
type Report struct {
	SourceID    string
	Start       time.Time
	Duration    time.Duration
	Result      SaveResult
	NotModified bool
	Busy        bool      // the source was already running; nothing was done
	Elsewhere   bool      // another process holds the source, or ran it a moment ago; nothing was done
	Deferred    time.Time // set when a scheduled run was skipped because the source backs off until then
	// Disabled is FetchState.Disabled when a scheduled run was skipped for
	// it, or when this run's failure disabled the source.
	Disabled string
	Suspect  string // why the fetch, though successful, looks wrong (FetchState.Suspect)
	Skipped  int    // parts of a successful fetch left out (FetchResult.Skipped)
	Err      error
}

// Outcome names a report's result in one word: new, updated, unchanged,
// not_modified, busy, elsewhere, deferred, disabled or error. It is the metrics label.
func (r Report) Outcome() string {
	switch {
	case r.Err != nil:
		return "error"
	case r.Busy:
		return "busy"
	case r.Elsewhere:
		return "elsewhere"
	case r.Disabled != "":
		return "disabled"
	case !r.Deferred.IsZero():
		return "deferred"
	case r.NotModified:
		return "not_modified"
	case r.Result.New > 0:
		return "new"
	case r.Result.Updated > 0:
		return "updated"
	}
	return "unchanged"
}

// NewRunner returns a Runner. Store and Fetcher are required.
func NewRunner(opts RunnerOptions) *Runner {
	if opts.Concurrency <= 0 {
		opts.Concurrency = 4
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Runner{
		opts:    opts,
		slots:   make(chan struct{}, opts.Concurrency),
		running: make(map[string]bool),
	}
}

// Run fetches src now, whatever its backoff, stores the items and records the
// fetch state. A failed fetch stores nothing and removes nothing.
//
// What Run records beyond success and failure:
//
//   - An HTTP 410 Gone (a GoneReporter error) disables the source: scheduled
//     runs skip it until a run succeeds (Run is what `yizhan fetch SOURCE`
//     calls) or the configured URL changes.
//   - A permanent redirect is remembered in FetchState.URL, which the
//     fetchers use instead of the configured URL.
//   - When src.URL differs from the configured URL the state was recorded
//     under, the source starts afresh: the remembered redirect, validators,
//     backoff, Disabled and Suspect are forgotten.
//   - A successful fetch that looks wrong (see judge) is suspect: items that
//     would replace good stored ones with empty or undecodable text are not
//     stored, and the validators are not advanced so the next run reads the
//     upstream again.
//   - The upstream's MinInterval defers scheduled runs after a success.
func (r *Runner) Run(ctx context.Context, src Source) Report {
	return r.run(ctx, src, false)
}

// RunScheduled is Run for the scheduler: a source that is backing off after
// failures, was asked by its upstream to wait, or that the hub disabled, is
// skipped.
func (r *Runner) RunScheduled(ctx context.Context, src Source) Report {
	return r.run(ctx, src, true)
}

func (r *Runner) run(ctx context.Context, src Source, scheduled bool) Report {
	rep := Report{SourceID: src.ID, Start: r.opts.Now()}
	if !r.lock(src.ID) {
		rep.Busy = true
		return rep
	}
	defer r.unlock(src.ID)

	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		rep.Err = fmt.Errorf("run %s: %w", src.ID, ctx.Err())
		return rep
	}
	rep.Start = r.opts.Now()
	rep.Err = r.fetch(ctx, src, scheduled, &rep)
	rep.Duration = r.opts.Now().Sub(rep.Start)
	if r.opts.OnReport != nil {
		r.opts.OnReport(rep)
	}
	return rep
}

func (r *Runner) fetch(ctx context.Context, src Source, scheduled bool, rep *Report) error {
	shared := scheduled && r.opts.Holder != ""
	var interval time.Duration
	if shared {
		interval = ScheduleInterval(src.Schedule, time.UTC)
		ttl := min(max(interval/2, 5*time.Second), LeaseTTL)
		ok, err := r.opts.Store.Lease(ctx, src.ID, r.opts.Holder, rep.Start, rep.Start.Add(ttl))
		if err != nil {
			return fmt.Errorf("run %s: %w", src.ID, err)
		}
		if !ok {
			rep.Elsewhere = true
			return nil
		}
		defer r.renew(ctx, src.ID, ttl)()
	}
	st, err := r.opts.Store.FetchState(ctx, src.ID)
	if err != nil {
		return fmt.Errorf("run %s: %w", src.ID, err)
	}
	if shared && !st.LastTry.IsZero() && rep.Start.Sub(st.LastTry) < interval/2 {
		// Another process's scheduler, out of step with ours, ran it.
		rep.Elsewhere = true
		return nil
	}
	st.SourceID = src.ID
	st = st.ForURL(src.URL)
	st.ConfigURL = src.URL
	if scheduled && st.Disabled != "" {
		rep.Disabled = st.Disabled
		return nil
	}
	if scheduled && rep.Start.Before(st.NextTry) {
		rep.Deferred = st.NextTry
		return nil
	}
	res, ferr := r.opts.Fetcher.Fetch(ctx, src, st)
	if ferr == nil && !res.NotModified {
		var keep []Item
		keep, rep.Suspect = judge(res.Items, max(res.Listed, len(res.Items)), st.LastCount)
		rep.Result, ferr = r.opts.Store.SaveItems(ctx, src.ID, keep, rep.Start)
		if ferr == nil {
			rep.Result.Unchanged += res.Unchanged
		}
	}
	st.LastTry = rep.Start
	if ferr != nil {
		if ctx.Err() != nil && errors.Is(ferr, ctx.Err()) {
			// Shutting down is not the upstream's failure; leave its state alone.
			return ferr
		}
		st.Failures++
		st.LastError = ferr.Error()
		st.NextTry = rep.Start.Add(backoff(st.Failures, ferr))
		if g := GoneReporter(nil); errors.As(ferr, &g) && g.Gone() {
			st.Disabled = "HTTP 410 Gone: the upstream removed it"
			rep.Disabled = st.Disabled
		}
		if err := r.saveState(st); err != nil {
			return errors.Join(ferr, err)
		}
		return ferr
	}
	rep.NotModified = res.NotModified
	rep.Skipped = len(res.Skipped)
	for _, err := range res.Skipped {
		r.opts.Logger.Warn("part of fetch skipped", "source", src.ID, "err", err)
	}
	if !res.NotModified {
		st.Suspect = rep.Suspect
		if rep.Suspect == "" {
			st.LastCount = max(res.Listed, len(res.Items))
		} else {
			r.opts.Logger.Warn("fetch looks wrong", "source", src.ID, "items", len(res.Items), "err", rep.Suspect)
		}
	}
	// A suspect body is read again next time, so that a fix (the source's
	// encoding, or the upstream's) shows without waiting for new content.
	if rep.Suspect == "" {
		if res.ETag != "" || res.LastModified != "" || !res.NotModified {
			st.ETag, st.LastModified = res.ETag, res.LastModified
		}
		if res.BodyHash != "" {
			st.BodyHash = res.BodyHash
		}
		if !res.NotModified {
			st.ItemHashes = res.ItemHashes
		}
	}
	if res.MovedTo != "" {
		st.URL = res.MovedTo
	}
	st.LastSuccess, st.LastError, st.Failures, st.NextTry, st.Disabled = rep.Start, "", 0, time.Time{}, ""
	if res.MinInterval > 0 {
		st.NextTry = rep.Start.Add(min(res.MinInterval, MaxMinInterval))
	}
	if err := r.saveState(st); err != nil {
		return err
	}
	if rep.Result.Changed() && r.opts.OnChange != nil {
		r.opts.OnChange(src, rep.Result)
	}
	return nil
}

// renew keeps the lease on a source while its run goes on, renewing it
// every third of ttl; the returned function stops it.
func (r *Runner) renew(ctx context.Context, sourceID string, ttl time.Duration) func() {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(ttl / 3)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				now := r.opts.Now()
				if ok, err := r.opts.Store.Lease(ctx, sourceID, r.opts.Holder, now, now.Add(ttl)); err != nil || !ok {
					r.opts.Logger.Warn("lease lost while fetching", "source", sourceID, "err", err)
				}
			}
		}
	}()
	return func() { cancel(); <-done }
}

// saveState records fetch state even when the run's context is already
// cancelled, so that a shutdown does not forget a fetch that happened.
// It waits up to saveStateTimeout for the store: behind other sources'
// big saves (SQLite has one writer, and a save with the search index
// takes seconds) a fetch state waited more than 10 s in CI, and the fetch
// was reported failed and its validators lost. serve's shutdown stays
// bounded by its own timeout.
func (r *Runner) saveState(st FetchState) error {
	ctx, cancel := context.WithTimeout(context.Background(), saveStateTimeout)
	defer cancel()
	if err := r.opts.Store.SaveFetchState(ctx, st); err != nil {
		return fmt.Errorf("save fetch state %s: %w", st.SourceID, err)
	}
	return nil
}

// saveStateTimeout bounds saveState's wait for the store.
const saveStateTimeout = time.Minute

func (r *Runner) lock(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running[id] {
		return false
	}
	r.running[id] = true
	return true
}

func (r *Runner) unlock(id string) {
	r.mu.Lock()
	delete(r.running, id)
	r.mu.Unlock()
}

// backoff is how long to wait after the n-th consecutive failure: exponential
// with ±25% jitter so that sources failing together do not retry together,
// capped at BackoffMax, and never sooner than the upstream asked.
func backoff(n int, err error) time.Duration {
	d := BackoffMax
	if n < 20 {
		d = min(BackoffBase<<(n-1), BackoffMax)
	}
	d = time.Duration(float64(d) * (0.75 + rand.Float64()/2))
	var h RetryHinter
	if errors.As(err, &h) && h.RetryHint() > d {
		d = h.RetryHint()
	}
	return min(d, BackoffMax*2)
}

// ErrorText is the message of err, a failure of the source id, without
// the "fetch ID: " and "run ID: " prefixes the fetcher and the runner put
// on it, in any order and number, for lists that already name the source.
func ErrorText(id string, err string) string {
	for {
		rest, ok := strings.CutPrefix(err, "fetch "+id+": ")
		if !ok {
			rest, ok = strings.CutPrefix(err, "run "+id+": ")
		}
		if !ok {
			return err
		}
		err = rest
	}
}
