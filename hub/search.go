package hub

import (
	"context"
	"time"
)

// Searcher finds stored items by the words of their title and text (SPEC.md
// "Search and pages for people"). *sqlite.DB and *postgres.DB implement it,
// each with an index kept from the items (in the save's transaction on
// PostgreSQL, just after it on SQLite: see SearchIndexer), which Prune
// empties with them (hub/storetest's search cases hold both to it).
type Searcher interface {
	// Search returns the published items (those of a source that feeds a
	// channel; with q.Channel, of that channel's sources) whose title,
	// summary or content holds every phrase of q.Words, newest first by
	// SearchPosition, at most q.Limit of them; with q.Dedup, each story
	// once, by the copy its channel feed shows (story.Show).
	// Text is matched as package hub/fold folds and cuts it: a Chinese
	// word of two or more characters wherever it occurs, simplified and
	// traditional forms alike, Latin letters in any case. A q.Words with
	// no phrase finds nothing.
	Search(ctx context.Context, q SearchQuery) ([]Item, error)
}

// SearchQuery is what Searcher.Search looks for.
type SearchQuery struct {
	Words   string // words separated by spaces, all of which must occur
	Channel string // a channel id; empty means every published source
	Limit   int    // at most this many; must be positive
	Dedup   bool   // each story once, as Query.Dedup: the copy the feed shows, with its carriers

	// Before, when not nil, starts after this place in the order of
	// Search: the next page after one that ended there.
	Before *Position
}

// SearchKey is an item's place in the order of Search, as the indexes
// store it: its Date in whole seconds since 1970 (dates before count as
// 1970), then the low 29 bits of its ID, in one int64 that the indexes
// walk backwards. Within a second items come by ID rather than by Date's
// nanoseconds, the one way in which Search's order differs from Items'.
func SearchKey(p Position) int64 {
	sec := p.Date.Unix()
	if sec < 0 {
		sec = 0
	}
	return sec<<searchIDBits | p.ID&(1<<searchIDBits-1)
}

// searchIDBits is how many bits of an item's ID SearchKey keeps: the
// seconds take the 34 bits above them, until the year 2514.
const searchIDBits = 29

// SearchAfter returns the key below which Search resumes after position
// p: SearchKey(p), or the largest key when p is nil.
func SearchAfter(p *Position) int64 {
	if p == nil {
		return 1<<63 - 1
	}
	return SearchKey(*p)
}

// SearchSwitch is a store whose search index can be turned off, for hubs
// that ingest more than they are searched: keeping the index costs most of
// a save (docs/performance.md).
type SearchSwitch interface {
	// DisableSearch stops indexing for this process: SaveItems indexes
	// nothing from now on, and the store records that its index is
	// incomplete, so that the next Open of the store indexes every item
	// again in the background. Call it before the first SaveItems.
	DisableSearch(ctx context.Context) error
}

// SearchIndexer is a store that indexes behind the commit: an item is
// searchable a moment after SaveItems returns, not at once (SPEC.md: within
// 5 s). *sqlite.DB is one.
type SearchIndexer interface {
	// FlushSearch waits until every item committed before the call is
	// searchable, or ctx ends.
	FlushSearch(ctx context.Context) error
	// SearchLag reports how far the index is behind the items.
	SearchLag(ctx context.Context) (SearchLag, error)
}

// SearchLag is the freshness of a SearchIndexer's index.
type SearchLag struct {
	Waiting  int64         // changes committed and not yet searchable
	Oldest   time.Duration // how long the oldest of them has waited
	Longest  time.Duration // the longest any change waited, since the store was opened
	Indexed  int64         // changes taken in since the store was opened
	Backfill int64         // items stored before the index (or while it was off) still to take in
}
