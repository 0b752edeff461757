package hub

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// ErrNotFound is returned by a Store when the thing asked for does not exist.
var ErrNotFound = errors.New("hub: not found")

// Store keeps items and per-source fetch state. *sqlite.DB implements it; a
// PostgreSQL twin will pass the same conformance suite (hub/storetest).
//
// Every method is safe for concurrent use. Readers are never blocked by a
// writer. A failed call changes nothing.
type Store interface {
	// SaveItems upserts the items of one source in one transaction. An item is
	// keyed by (SourceID, Key): a new key is inserted, a known key whose
	// content changed is updated in place keeping its ID and FirstSeen, and an
	// unchanged one is not written at all. An item with a zero Published keeps
	// the date it was first stored with. Items of the source that are absent
	// from items are left alone. now is the FirstSeen of new items. A key
	// that Prune removed is skipped and counted in SaveResult.Pruned: a
	// removed item does not come back (see Prune).
	//
	// In the same transaction SaveItems links each new or changed item to
	// the stored copies of its article (story.Same, found through indexes,
	// never by a scan of stored items): they form one story, whose
	// membership only grows until Prune removes a copy. A story that gains
	// a copy is a change of every source that has a copy of it (Changes).
	SaveItems(ctx context.Context, sourceID string, items []Item, now time.Time) (SaveResult, error)

	// Items returns the newest items first (by Item.Date, ties broken by
	// descending ID), at most q.Limit of them; with q.Dedup, each story
	// once (see Query).
	Items(ctx context.Context, q Query) ([]Item, error)

	// SyncSources records which channels each configured source feeds. Sources
	// absent from the map feed no channel (their items stay stored but are
	// not published).
	SyncSources(ctx context.Context, channels map[string][]string) error

	// KnownURLs reports which of urls are already stored as item URLs of the
	// source, or were until Prune removed their items, so that an HTML
	// source does not fetch a removed article again.
	KnownURLs(ctx context.Context, sourceID string, urls []string) (map[string]bool, error)

	// FetchState returns a source's fetch state; a source never fetched has
	// the zero state with SourceID set and a nil error.
	FetchState(ctx context.Context, sourceID string) (FetchState, error)

	// SaveFetchState stores a source's fetch state, replacing the previous one.
	SaveFetchState(ctx context.Context, st FetchState) error

	// SourceStats returns the fetch state, item count and newest item's
	// Date of every source that has fetch state or items.
	SourceStats(ctx context.Context) ([]SourceStat, error)

	// Prune applies the channels' retention to the stored items. The
	// floor newest items of each source, in the order of Items, always
	// stay (a feed_size: an upstream that stopped publishing a year ago
	// still fills its channel); 0 sets no floor. Beyond the floor, channel
	// c keeps an item of one of its sources when both hold:
	//
	//   - c.KeepDays is 0, or the item's Date is at most c.KeepDays days before now;
	//   - c.KeepItems is 0, or the item is among the c.KeepItems newest items
	//     of c, in the order of Items.
	//
	// An item beyond the floor is removed only when none of the channels
	// its source feeds keeps it. A channel that is not in channels keeps everything, so the
	// items of a source that feeds no channel, or a channel without a
	// policy, are never removed; and an item kept by any one channel stays
	// in all of its source's channels.
	//
	// Prune works in batches of at most PruneBatch items, each in its own
	// short transaction, so that readers and SaveItems never wait long for
	// it; when ctx ends it stops between two batches, keeping those done,
	// and returns ctx's error with what it did. Every removed item leaves a
	// tombstone of its source, key and URL: SaveItems skips the key and
	// KnownURLs reports the URL. A tombstone whose key no SaveItems has
	// carried for TombstoneTTL is forgotten, by Prune, and the item may be
	// stored again if an upstream still has it.
	Prune(ctx context.Context, channels []Channel, floor int, now time.Time) (PruneResult, error)

	// Changes reports what changed in what Items returns since version
	// since, whichever process made the change (a `yizhan fetch` from cron
	// beside a running `yizhan serve`, replicas sharing one database): the
	// store's version now, which grows with every SaveItems that wrote,
	// Prune that removed and SyncSources that changed a membership, and
	// never otherwise; the sources whose items changed after since; and
	// whether something else changed (a membership), in which case every
	// channel may have. It is cheap enough to poll every few seconds: its
	// cost grows with the number of sources, never with items. Version 0
	// comes before any change. An error means the store could not tell;
	// the caller keeps what it has and asks again later.
	Changes(ctx context.Context, since int64) (ChangeSet, error)

	// Lease claims the scheduled runs of a source for holder, one process
	// among several sharing the store, until until: it reports true when
	// nobody holds the source, when the lease held expired at or before
	// now, or when holder holds it already (the lease then runs to until);
	// false while another holder's lease runs past now. It changes nothing
	// that Changes reports.
	Lease(ctx context.Context, sourceID, holder string, now, until time.Time) (bool, error)

	// Ping reports whether the store answers.
	Ping(ctx context.Context) error

	// Close releases the store's resources.
	Close() error
}

// Query selects published items.
type Query struct {
	Channel string // a channel id; empty means every channel (the latest ticker), each item once
	Limit   int    // at most this many; must be positive

	// Dedup shows each story once (SPEC.md "Reposts: one story, one
	// item"): of the copies among the items asked for, only the
	// representative — the first-stored copy that is its publisher's own
	// (Item.Own), else the first-stored copy — in its place by its own
	// date, with StoryGUID set to the GUID of the first-stored copy among
	// them, CreditURL to the link of the publisher's own copy when the
	// store holds one, and Carriers listing the other copies.
	Dedup bool

	// Before, when not nil, starts after this place in the order of Items:
	// the page of older items that follows one that ended there (RFC 5005
	// paging). Items stored meanwhile, which are newer, do not move it.
	Before *Position
}

// Position is a place in the order of Items: an item's Date and ID.
type Position struct {
	Date time.Time
	ID   int64
}

// Position returns the item's place in the order of Items.
func (it *Item) Position() Position { return Position{Date: it.Date(), ID: it.ID} }

// ChangeSet is what Store.Changes reports.
type ChangeSet struct {
	Version int64    // the store's version now
	Sources []string // sources whose items changed since the version asked about, sorted
	All     bool     // something besides items changed: consider every channel changed
}

// Changed reports whether anything changed.
func (c ChangeSet) Changed() bool { return c.All || len(c.Sources) > 0 }

// SaveResult counts what SaveItems did.
type SaveResult struct {
	New       int
	Updated   int
	Unchanged int
	Pruned    int // skipped: retention removed them before (Store.Prune)
}

// Changed reports whether SaveItems wrote anything.
func (r SaveResult) Changed() bool { return r.New+r.Updated > 0 }

// FetchState is what the hub remembers about fetching one source.
//
// ConfigURL ties the state to the source's configured URL: when the
// configuration names another URL, the runner starts the source afresh,
// forgetting URL, the validators, Disabled and Suspect (see Runner.Run).
type FetchState struct {
	SourceID     string
	ETag         string    // validator from the last 200 response
	LastModified string    // validator from the last 200 response
	BodyHash     string    // hash of the last body parsed, to skip identical bodies
	URL          string    // permanent redirect target, if the upstream moved
	ConfigURL    string    // the source's configured URL when this state was recorded
	LastTry      time.Time // zero if never tried
	LastSuccess  time.Time // zero if never succeeded
	LastError    string    // empty after a success
	Failures     int       // consecutive failures
	NextTry      time.Time // earliest next attempt (backoff, Retry-After, the upstream's ttl); zero means on schedule
	// Disabled says why the hub stopped fetching the source on schedule
	// ("HTTP 410 Gone"); empty while it is fetched. A successful fetch (a
	// manual `yizhan fetch SOURCE`) or a new configured URL clears it.
	Disabled string
	// Suspect says why the last successful fetch looks wrong (no items where
	// there used to be many, empty titles, mojibake); empty when it looked
	// right. What was stored before stays.
	Suspect   string
	LastCount int // items the upstream listed (FetchResult.Listed) at the last sound fetch
	// ItemHashes is the fetcher's opaque record of the items of the last
	// body it read (sources keeps a hash of each item's bytes and of its
	// key), so that the next fetch skips the items that did not change. The
	// runner keeps it only from a sound fetch whose items were all stored.
	ItemHashes string
}

// Source states, as FetchState.Status names them for `yizhan sources`,
// /status and the yizhan_source_state metric.
const (
	StateOK         = "ok"
	StateFailing    = "failing"     // the last try failed and the source is due again
	StateBackingOff = "backing off" // the last try failed; the next waits for NextTry
	StateSuspect    = "suspect"     // the last fetch succeeded but looks wrong
	StateDisabled   = "disabled"    // not fetched on schedule: see Disabled
	StateNever      = "never fetched"
	StateStale      = "stale" // fetched fine, but its newest item is older than the source's StaleDays (see Stale)
)

// States lists every state a source can be in: those Status returns, and
// StateStale.
var States = []string{StateOK, StateStale, StateFailing, StateBackingOff, StateSuspect, StateDisabled, StateNever}

// Status names the source's state at now, one of States but StateStale,
// which needs the source's newest item: see Stale. A source the
// configuration disables is the caller's to report as StateDisabled.
func (st FetchState) Status(now time.Time) string {
	switch {
	case st.Disabled != "":
		return StateDisabled
	case st.LastTry.IsZero():
		return StateNever
	case st.Failures > 0 && st.NextTry.After(now):
		return StateBackingOff
	case st.Failures > 0:
		return StateFailing
	case st.Suspect != "":
		return StateSuspect
	}
	return StateOK
}

// SourceStat is a source's fetch state and how many items it has stored.
type SourceStat struct {
	FetchState
	Items  int
	Newest time.Time // the Date of its newest stored item; zero when it has none
}

// Stale reports whether a source whose Status at now is StateOK and whose
// newest stored item is dated newest has stopped publishing: newest is more
// than staleDays days before now. staleDays 0, or no item stored (a zero
// newest), is never stale: a source that stored nothing is not known to
// have published at all.
func Stale(newest time.Time, staleDays int, now time.Time) bool {
	if staleDays <= 0 || newest.IsZero() {
		return false
	}
	return now.Sub(newest) > time.Duration(staleDays)*24*time.Hour
}

// Copier is implemented by the stores `yizhan copydb` copies between: each
// dumps everything it holds and loads a dump into an empty store of either
// kind.
type Copier interface {
	// Dump calls fn with the whole content of the store, in batches:
	// memberships and fetch states and tombstones in the first, items in
	// the order they were stored, at most batch of them each. An error of
	// fn ends the dump with it.
	Dump(ctx context.Context, batch int, fn func(Dump) error) error

	// Load stores a batch of a dump, each item under its ID and story. It
	// is for an empty store (Counts all zero); loading the same item twice
	// is an error.
	Load(ctx context.Context, d Dump) error

	// Counts reports how many items, fetch states and tombstones the store
	// holds.
	Counts(ctx context.Context) (Counts, error)
}

// Dump is a batch of a store's content (Copier).
type Dump struct {
	Sources    map[string][]string // the channels each source feeds (SyncSources)
	Items      []Item              // with ID, FirstSeen and Own as stored
	Stories    []int64             // the story of each of Items: 0, or its first-stored copy's ID
	States     []FetchState
	Tombstones []Tombstone
}

// Tombstone is what Prune leaves of a removed item.
type Tombstone struct {
	SourceID, Key, URL string
	PrunedAt, SeenAt   time.Time
}

// Counts is what Copier.Counts reports.
type Counts struct {
	Items, States, Tombstones int
}

// Pending is an item a store's SaveItems is about to write, with the hash
// of its upstream fields (AppendHashed) by which an unchanged item is told.
type Pending struct {
	Item *Item
	Hash []byte
}

// PrepareSave checks the items of one SaveItems call of a source — every
// item has a key and is of that source (or of none) — and returns the first
// item of each key with its hash, and how many repeated a key before them
// (feeds do repeat guids; SaveItems counts them unchanged).
//
// Text that is not valid UTF-8 is made valid in place, each bad sequence
// becoming U+FFFD, so that every store keeps the same text: PostgreSQL's
// text columns refuse invalid UTF-8, and a copy between stores must read
// back byte for byte. Keys and URLs, which are identities, stay as given.
func PrepareSave(sourceID string, items []Item) (batch []Pending, repeated int, err error) {
	if sourceID == "" {
		return nil, 0, errors.New("empty source id")
	}
	batch = make([]Pending, 0, len(items))
	seen := make(map[string]bool, len(items))
	var buf []byte
	for i := range items {
		it := &items[i]
		switch {
		case it.Key == "":
			return nil, 0, fmt.Errorf("item %d (%q): empty key", i, it.URL)
		case it.SourceID != "" && it.SourceID != sourceID:
			return nil, 0, fmt.Errorf("item %q is of source %q", it.Key, it.SourceID)
		}
		if seen[it.Key] {
			repeated++
			continue
		}
		seen[it.Key] = true
		ValidText(it)
		buf = AppendHashed(buf[:0], it)
		sum := sha256.Sum256(buf)
		batch = append(batch, Pending{Item: it, Hash: sum[:16]})
	}
	return batch, repeated, nil
}

// ValidText replaces each invalid UTF-8 sequence of it's text fields (all
// but the key and URL, which are identities) with U+FFFD.
func ValidText(it *Item) {
	for _, f := range []*string{&it.Title, &it.Image, &it.Summary, &it.Content, &it.Credit, &it.CreditURL, &it.Via,
		&it.Author, &it.Editor, &it.Copyright} {
		if !utf8.ValidString(*f) {
			*f = strings.ToValidUTF8(*f, "\uFFFD")
		}
	}
	for i, c := range it.Categories {
		if !utf8.ValidString(c) {
			it.Categories[i] = strings.ToValidUTF8(c, "\uFFFD")
		}
	}
}
