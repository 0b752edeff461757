package hub

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// PruneBatch is the most items Store.Prune removes in one transaction. 500
// rows of a few KB each take SQLite about 10 ms to delete with their index
// entries and tombstones: no ingest waits for the writer longer than that.
const PruneBatch = 500

// TombstoneTTL is how long a store remembers the key of a pruned item after
// an upstream last carried it. Upstream feeds and listing pages drop items
// within weeks; the margin covers an upstream that answers 304 Not Modified
// for weeks, carrying its keys all that while without SaveItems seeing them.
const TombstoneTTL = 90 * 24 * time.Hour

// PruneInterval is how often a Pruner applies retention, and PruneDelay how
// long after it starts: the first fetches of a starting hub go first.
const (
	PruneInterval = time.Hour
	PruneDelay    = time.Minute
)

// PruneResult counts what Store.Prune did.
type PruneResult struct {
	Removed   int            // items removed
	Sources   map[string]int // items removed, by source; nil when none
	Forgotten int            // tombstones dropped after TombstoneTTL
}

// PruneStore is the part of Store a Pruner uses.
type PruneStore interface {
	Prune(ctx context.Context, channels []Channel, floor int, now time.Time) (PruneResult, error)
}

// PrunerOptions configure a Pruner.
type PrunerOptions struct {
	Store    PruneStore
	Channels []Channel // whose KeepDays and KeepItems apply; see SetRetention
	// Floor is how many of each source's newest items stay whatever the
	// channels say (the hub's feed_size); see Store.Prune and SetRetention.
	Floor    int
	Interval time.Duration // between two prunes; default PruneInterval
	Delay    time.Duration // before the first; default PruneDelay
	Logger   *slog.Logger
	Now      func() time.Time
	// OnPrune is called after a prune that removed items, once they are
	// gone: the place to invalidate rendered feeds.
	OnPrune func(PruneResult)
}

// Pruner applies the channels' retention to a Store (Store.Prune) soon
// after it starts and every Interval after.
type Pruner struct {
	opts PrunerOptions

	mu       sync.Mutex
	channels []Channel
	floor    int

	running sync.Mutex // one prune at a time
}

// NewPruner returns a Pruner. Store is required.
func NewPruner(opts PrunerOptions) *Pruner {
	if opts.Interval <= 0 {
		opts.Interval = PruneInterval
	}
	if opts.Delay <= 0 {
		opts.Delay = PruneDelay
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	p := &Pruner{opts: opts}
	p.SetRetention(opts.Channels, opts.Floor)
	return p
}

// SetRetention replaces the channels whose retention applies and the floor
// of items each source keeps, from the next prune on: a configuration
// reload calls it.
func (p *Pruner) SetRetention(channels []Channel, floor int) {
	p.mu.Lock()
	p.channels = append([]Channel(nil), channels...)
	p.floor = floor
	p.mu.Unlock()
}

// Prune applies retention once, now. It returns what the store removed,
// also when ctx ended half-way.
func (p *Pruner) Prune(ctx context.Context) (PruneResult, error) {
	p.running.Lock()
	defer p.running.Unlock()
	p.mu.Lock()
	channels, floor := p.channels, p.floor
	p.mu.Unlock()
	res, err := p.opts.Store.Prune(ctx, channels, floor, p.opts.Now())
	if res.Removed > 0 && p.opts.OnPrune != nil {
		p.opts.OnPrune(res)
	}
	return res, err
}

// Run prunes after Delay, then every Interval, until ctx is done. It logs
// what each prune removed and any error.
func (p *Pruner) Run(ctx context.Context) {
	select {
	case <-ctx.Done():
		return
	case <-time.After(p.opts.Delay):
	}
	tick := time.NewTicker(p.opts.Interval)
	defer tick.Stop()
	for {
		start := time.Now()
		res, err := p.Prune(ctx)
		for src, n := range res.Sources {
			p.opts.Logger.Info("pruned", "source", src, "items", n)
		}
		switch {
		case err != nil && ctx.Err() != nil:
			return
		case err != nil:
			p.opts.Logger.Error("retention failed", "items", res.Removed, "err", err)
		case res.Removed > 0:
			p.opts.Logger.Info("retention applied", "items", res.Removed, "duration", time.Since(start))
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
