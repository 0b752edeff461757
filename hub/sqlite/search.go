package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/fold"
	"github.com/yizhan-hub/yizhan/hub/story"
)

var _ hub.Searcher = (*DB)(nil)

const (
	searchOldKeySQL = `SELECT key FROM search_keys WHERE id = ?`
	searchDeleteSQL = `DELETE FROM search WHERE rowid = ?`
	searchInsertSQL = `INSERT INTO search (rowid, tokens) VALUES (?, ?)`
	searchKeySQL    = `INSERT OR REPLACE INTO search_keys (id, key) VALUES (?, ?)`

	// The FTS5 table is walked backwards from ?2 by rowid, the key, and
	// each match is joined to its item: the walk stops after ?4 published
	// matches, however many there are.
	searchSQL = `SELECT %s FROM search
		JOIN search_keys k ON k.key = search.rowid
		JOIN items i ON i.id = k.id
		WHERE search MATCH ?1 AND search.rowid < ?2
		AND i.source_id IN (SELECT source_id FROM source_channels WHERE ?3 = '' OR channel_id = ?3)
		ORDER BY search.rowid DESC LIMIT ?4`
)

// searchStmts are the writer's statements that keep the index.
type searchStmts struct {
	oldKey, del, insert, key *sql.Stmt
	query                    *sql.Stmt // on the readers
}

// prepareSearch prepares the statements of the search index.
func (db *DB) prepareSearch(ctx context.Context) error {
	cols := strings.Split(itemColumns, ",")
	for i, c := range cols {
		cols[i] = "i." + strings.TrimSpace(c)
	}
	for _, p := range []struct {
		pool  *sql.DB
		stmt  **sql.Stmt
		query string
	}{
		{db.w, &db.search.oldKey, searchOldKeySQL},
		{db.w, &db.search.del, searchDeleteSQL},
		{db.w, &db.search.insert, searchInsertSQL},
		{db.w, &db.search.key, searchKeySQL},
		{db.r, &db.search.query, fmt.Sprintf(searchSQL, strings.Join(cols, ", "))},
	} {
		st, err := p.pool.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("prepare %q: %w", p.query, err)
		}
		*p.stmt = st
		db.stmts = append(db.stmts, st)
	}
	return nil
}

// indexer indexes the items of one transaction.
type indexer struct {
	tk                       fold.Tokenizer
	oldKey, del, insert, key *sql.Stmt
}

func (db *DB) indexer(ctx context.Context, tx *sql.Tx) *indexer {
	return &indexer{
		oldKey: tx.StmtContext(ctx, db.search.oldKey),
		del:    tx.StmtContext(ctx, db.search.del),
		insert: tx.StmtContext(ctx, db.search.insert),
		key:    tx.StmtContext(ctx, db.search.key),
	}
}

// index (re)indexes item it, stored under id with sort date date (unix
// nanoseconds); fresh says it was just inserted, so has no row yet.
func (x *indexer) index(ctx context.Context, id int64, date int64, fresh bool, it *hub.Item) error {
	if !fresh {
		var old int64
		switch err := x.oldKey.QueryRowContext(ctx, id).Scan(&old); {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("index item %d: %w", id, err)
		default:
			if _, err := x.del.ExecContext(ctx, old); err != nil {
				return fmt.Errorf("index item %d: %w", id, err)
			}
		}
	}
	key := hub.SearchKey(hub.Position{Date: fromNanos(date), ID: id})
	x.tk.Tokens(searchParts(it)...)
	if _, err := x.insert.ExecContext(ctx, key, x.tk.Joined()); err != nil {
		return fmt.Errorf("index item %d: %w", id, err)
	}
	if _, err := x.key.ExecContext(ctx, id, key); err != nil {
		return fmt.Errorf("index item %d: %w", id, err)
	}
	return nil
}

// searchParts are the texts of an item that are indexed: its title, its
// content, and its summary unless the content starts with it (most feeds'
// summary is the content's first lines).
func searchParts(it *hub.Item) []string {
	if it.Content != "" && it.Summary != "" && strings.HasPrefix(it.Content, it.Summary) {
		return []string{it.Title, it.Content}
	}
	return []string{it.Title, it.Summary, it.Content}
}

// matchExpr is q as an FTS5 query: every phrase, each token quoted
// (tokens hold only letters and digits), AND between them.
func matchExpr(q fold.Query) string {
	var b strings.Builder
	for i, p := range q {
		if i > 0 {
			b.WriteString(" AND ")
		}
		b.WriteByte('"')
		b.WriteString(strings.Join(p.Tokens, " "))
		b.WriteByte('"')
		if p.Prefix {
			b.WriteByte('*')
		}
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
		items, err := db.searchStories(ctx, matchExpr(fq), q)
		if err != nil {
			return nil, fmt.Errorf("search %q: %w", q.Words, err)
		}
		return items, nil
	}
	rows, err := db.search.query.QueryContext(ctx, matchExpr(fq), hub.SearchAfter(q.Before), q.Channel, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q.Words, err)
	}
	items, _, err := scanItems(rows, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q.Words, err)
	}
	return items, nil
}

// searchStories is Search with q.Dedup: the matches, page after page, each
// story's kept only as the copy the feed of q.Channel (or the ticker)
// shows (story.Collect), in one read transaction.
func (db *DB) searchStories(ctx context.Context, expr string, q hub.SearchQuery) ([]hub.Item, error) {
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT DISTINCT source_id FROM source_channels WHERE ?1 = '' OR channel_id = ?1`, q.Channel)
	if err != nil {
		return nil, err
	}
	srcs, err := collectStrings(rows)
	if err != nil {
		return nil, err
	}
	query := tx.StmtContext(ctx, db.search.query)
	read := func(before *hub.Position, n int) ([]hub.Item, []int64, error) {
		rows, err := query.QueryContext(ctx, expr, hub.SearchAfter(before), q.Channel, n)
		if err != nil {
			return nil, nil, err
		}
		return scanItems(rows, n)
	}
	members := func(stories []int64) (map[int64][]story.Member, error) { return db.storyMembers(ctx, tx, stories) }
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
	if _, err := db.w.ExecContext(ctx, `UPDATE search_backfill SET below = ?`, searchOff); err != nil {
		return fmt.Errorf("disable search: %w", err)
	}
	return nil
}

// backfillBatch is how many items one transaction of backfill indexes.
const backfillBatch = 500

// backfill indexes the items stored before the search index existed, newest
// first, a batch per transaction, until none is left or ctx ends. SaveItems
// indexes what it writes meanwhile; an item it indexed is indexed again,
// the same.
func (db *DB) backfill(ctx context.Context) error {
	for {
		n, err := db.backfillOnce(ctx)
		if err != nil || n == 0 {
			return err
		}
	}
}

func (db *DB) backfillOnce(ctx context.Context) (int, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	var below int64
	if err := tx.QueryRowContext(ctx, `SELECT below FROM search_backfill`).Scan(&below); err != nil {
		return 0, fmt.Errorf("backfill search: %w", err)
	}
	if below <= 1 {
		return 0, nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+itemColumns+` FROM items WHERE id < ? ORDER BY id DESC LIMIT ?`, below, backfillBatch)
	if err != nil {
		return 0, fmt.Errorf("backfill search: %w", err)
	}
	items, _, err := scanItems(rows, backfillBatch)
	if err != nil {
		return 0, fmt.Errorf("backfill search: %w", err)
	}
	x := db.indexer(ctx, tx)
	next := int64(0)
	for i := range items {
		it := &items[i]
		if err := x.index(ctx, it.ID, nanos(it.Date()), false, it); err != nil {
			return 0, fmt.Errorf("backfill search: %w", err)
		}
		next = it.ID
	}
	if _, err := tx.ExecContext(ctx, `UPDATE search_backfill SET below = ?`, next); err != nil {
		return 0, fmt.Errorf("backfill search: %w", err)
	}
	return len(items), tx.Commit()
}

// startBackfill runs backfill in the background until it is done or Close
// stops it. A backfill that keeps failing (another process holding the
// write lock) gives up after a few tries, and the next Open takes it up.
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
			// SQLITE_BUSY from another process's writer: try again later.
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
}
