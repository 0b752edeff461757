package hub

import (
	"context"
	"time"
)

// Fetcher fetches a source once and returns what it found. sources.Fetcher
// implements it for every kind.
type Fetcher interface {
	// Fetch gets the source, sending prev's validators. It returns an error
	// when the upstream could not be read or parsed; a partial result is never
	// returned with a nil error. A 304, or a body identical to the last one,
	// is a result with NotModified set, not an error. Errors name the source
	// ("fetch people-politics: …"): the runner passes them on as they are.
	Fetch(ctx context.Context, src Source, prev FetchState) (FetchResult, error)
}

// FetchResult is what one fetch of a source produced.
type FetchResult struct {
	Items        []Item // attributed, sanitized, with SourceID and Key set
	NotModified  bool   // 304, or the same body as last time: Items is empty
	ETag         string // validators to send next time
	LastModified string
	BodyHash     string
	// ItemHashes is the fetcher's record of this body's items, for
	// FetchState.ItemHashes; empty when it keeps none.
	ItemHashes string
	// Unchanged counts the items of the body that prev.ItemHashes showed to
	// be as stored already: they are left out of Items and counted in
	// SaveResult.Unchanged. Listed includes them.
	Unchanged int
	MovedTo   string // set when the upstream answered with a permanent redirect
	// Listed is how many items the upstream lists, stored already or not:
	// an HTML source returns only articles it had not stored, but its
	// listing may link to many more. Zero means len(Items).
	Listed int
	// MinInterval is how long the upstream asks to be left alone after this
	// fetch (RSS <ttl>, Cache-Control max-age); zero if it asks nothing. The
	// runner defers scheduled runs that long, at most MaxMinInterval.
	MinInterval time.Duration
	// Skipped are the parts of a successful fetch that failed and were left
	// out: an HTML source's article pages that could not be fetched or read.
	// The fetch still succeeded; the runner logs them.
	Skipped []error
}
