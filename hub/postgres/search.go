package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/fold"
	"github.com/yizhan-hub/yizhan/hub/story"
)

var _ hub.Searcher = (*DB)(nil)

const (
	searchUpsertSQL = `INSERT INTO search (id, key, tokens) VALUES ($1, $2, $3::tsvector)
		ON CONFLICT (id) DO UPDATE SET key = EXCLUDED.key, tokens = EXCLUDED.tokens`

	searchSQL = `SELECT %s FROM search s JOIN items i ON i.id = s.id
		WHERE s.tokens @@ $1::tsquery AND s.key < $2
		AND i.source_id IN (SELECT source_id FROM source_channels WHERE $3 = '' OR channel_id = $3)
		ORDER BY s.key DESC LIMIT $4`
)

// searchQuerySQL is searchSQL reading itemColumns of items i.
var searchQuerySQL = func() string {
	cols := strings.Split(itemColumns, ",")
	for i, c := range cols {
		cols[i] = "i." + strings.TrimSpace(c)
	}
	return fmt.Sprintf(searchSQL, strings.Join(cols, ", "))
}()

// A tsvector keeps positions from 1 to 16383, and 256 positions per
// lexeme. Phrases (<->) need only the distance between tokens, so the
// positions of a text longer than that wrap around: a phrase is still
// found past the 16383rd token (cutting the text into rows would make
// the words of one search match in different rows). What it costs: a
// phrase across the wrap is missed, two tokens that land 16383 apart may
// pass for neighbours, and a token's 257th and later places are not kept
// (a phrase whose only occurrence starts there is missed) — all on texts
// of many thousand characters only.
const (
	maxTSPosition  = 16383
	maxTSPositions = 256
)

// indexer writes search rows; one per transaction.
type indexer struct {
	tk  fold.Tokenizer
	buf []byte
}

// index (re)indexes item it, stored under id with sort date date.
func (x *indexer) index(ctx context.Context, tx pgx.Tx, id, date int64, it *hub.Item) error {
	key := hub.SearchKey(hub.Position{Date: fromNanos(date), ID: id})
	if _, err := tx.Exec(ctx, searchUpsertSQL, id, key, x.vector(it)); err != nil {
		return fmt.Errorf("index item %d: %w", id, err)
	}
	return nil
}

// queue adds the (re)indexing of item it, stored under id with sort date
// date, to b.
func (x *indexer) queue(b *pgx.Batch, id, date int64, it *hub.Item) {
	key := hub.SearchKey(hub.Position{Date: fromNanos(date), ID: id})
	b.Queue(searchUpsertSQL, id, key, x.vector(it))
}

// vector is the item's tokens as a tsvector literal: 'tok':1,7 'tok2':2 ….
func (x *indexer) vector(it *hub.Item) string {
	toks := x.tk.Tokens(fold.Parts(it.Title, it.Summary, it.Content)...)
	pos := make(map[string][]int, len(toks))
	order := make([]string, 0, len(toks))
	for i, t := range toks {
		p := pos[t]
		if p == nil {
			order = append(order, t)
		}
		if len(p) < maxTSPositions {
			pos[t] = append(p, i%maxTSPosition+1)
		}
	}
	b := x.buf[:0]
	for i, t := range order {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, '\'')
		b = append(b, t...) // letters and digits only: nothing to escape
		b = append(b, '\'', ':')
		for j, p := range pos[t] {
			if j > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(p), 10)
		}
	}
	x.buf = b
	return string(b)
}

// tsQuery is q as a tsquery literal: each phrase's tokens joined by <->,
// & between phrases.
func tsQuery(q fold.Query) string {
	var b strings.Builder
	for i, p := range q {
		if i > 0 {
			b.WriteString(" & ")
		}
		b.WriteByte('(')
		for j, t := range p.Tokens {
			if j > 0 {
				b.WriteString(" <-> ")
			}
			b.WriteByte('\'')
			b.WriteString(t)
			b.WriteByte('\'')
			if p.Prefix {
				b.WriteString(":*")
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}

// Search returns the published items that match q, newest first; see
// hub.Searcher.
func (db *DB) Search(ctx context.Context, q hub.SearchQuery) ([]hub.Item, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("search %q: limit %d is not positive", q.Words, q.Limit)
	}
	fq := fold.Parse(q.Words)
	if len(fq) == 0 {
		return nil, nil
	}
	if q.Dedup {
		items, err := db.searchStories(ctx, tsQuery(fq), q)
		if err != nil {
			return nil, fmt.Errorf("search %q: %w", q.Words, err)
		}
		return items, nil
	}
	rows, err := db.pool.Query(ctx, searchQuerySQL, tsQuery(fq), hub.SearchAfter(q.Before), q.Channel, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q.Words, err)
	}
	items, _, err := scanItems(rows, false)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q.Words, err)
	}
	return items, nil
}

// searchStories is Search with q.Dedup: the matches, page after page, each
// story's kept only as the copy the feed of q.Channel (or the ticker)
// shows (story.Collect), in one read-only transaction.
func (db *DB) searchStories(ctx context.Context, tsq string, q hub.SearchQuery) ([]hub.Item, error) {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly, IsoLevel: pgx.RepeatableRead})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	srcs, err := queryStrings(ctx, tx, `SELECT DISTINCT source_id FROM source_channels WHERE $1 = '' OR channel_id = $1`, q.Channel)
	if err != nil {
		return nil, err
	}
	read := func(before *hub.Position, n int) ([]hub.Item, []int64, error) {
		rows, err := tx.Query(ctx, searchQuerySQL, tsq, hub.SearchAfter(before), q.Channel, n)
		if err != nil {
			return nil, nil, err
		}
		return scanItems(rows, false)
	}
	members := func(stories []int64) (map[int64][]story.Member, error) { return storyMembers(ctx, tx, stories) }
	return story.CollectAfter(q.Limit, q.Before, read, members, srcs)
}

// searchOff is search_backfill.below while a process keeps no index
// (DisableSearch): the next Open with search on indexes every item again.
const searchOff = -1

// resumeSearchSQL, run at Open, turns a search_backfill left off by
// DisableSearch into a backfill of every item.
const resumeSearchSQL = `UPDATE search_backfill SET below = (SELECT coalesce(max(id), 0) + 1 FROM items) WHERE below < 0`

// DisableSearch stops indexing for this process; see hub.SearchSwitch.
func (db *DB) DisableSearch(ctx context.Context) error {
	if db.stopBackfill != nil {
		db.stopBackfill()
	}
	db.noSearch = true
	if _, err := db.pool.Exec(ctx, `UPDATE search_backfill SET below = $1`, searchOff); err != nil {
		return fmt.Errorf("disable search: %w", err)
	}
	return nil
}

// backfillBatch is how many items one transaction of backfill indexes.
const backfillBatch = 500

// backfill indexes the items stored before the search index existed,
// newest first, a batch per transaction, until none is left or ctx ends.
// Processes sharing the database take turns at it (FOR UPDATE).
func (db *DB) backfill(ctx context.Context) error {
	for {
		n, err := db.backfillOnce(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

func (db *DB) backfillOnce(ctx context.Context) (int, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	var below int64
	if err := tx.QueryRow(ctx, `SELECT below FROM search_backfill FOR UPDATE`).Scan(&below); err != nil {
		return 0, fmt.Errorf("backfill search: %w", err)
	}
	if below <= 1 {
		return 0, nil
	}
	rows, err := tx.Query(ctx, `SELECT `+itemColumns+`, sort_date FROM items WHERE id < $1 ORDER BY id DESC LIMIT $2`, below, backfillBatch)
	if err != nil {
		return 0, fmt.Errorf("backfill search: %w", err)
	}
	items, _, err := scanItems(rows, true)
	if err != nil {
		return 0, fmt.Errorf("backfill search: %w", err)
	}
	var x indexer
	next := int64(0)
	for i := range items {
		it := &items[i]
		if err := x.index(ctx, tx, it.ID, nanos(it.Date()), it); err != nil {
			return 0, fmt.Errorf("backfill search: %w", err)
		}
		next = it.ID
	}
	if _, err := tx.Exec(ctx, `UPDATE search_backfill SET below = $1`, next); err != nil {
		return 0, fmt.Errorf("backfill search: %w", err)
	}
	return len(items), tx.Commit(ctx)
}

// startBackfill runs backfill in the background until it is done or Close
// stops it. A backfill that keeps failing gives up after a few tries, and
// the next Open takes it up.
func (db *DB) startBackfill() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	db.backfilled = done
	db.stopBackfill = func() { cancel(); <-done }
	go func() {
		defer close(done)
		for range 5 {
			if err := db.backfill(ctx); err == nil || ctx.Err() != nil {
				return
			}
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
}
