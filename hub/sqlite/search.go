package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/fold"
	"github.com/yizhan-hub/yizhan/hub/story"

	msqlite "modernc.org/sqlite"
)

var (
	_ hub.Searcher      = (*DB)(nil)
	_ hub.SearchSwitch  = (*DB)(nil)
	_ hub.SearchIndexer = (*DB)(nil)
)

// The search index lives in a file of its own beside the database, path +
// SearchSuffix, with its own write lock: an indexer drains the queue that
// the items' triggers fill (migration 0012) into it after each commit, so
// that a save pays for a queue row, not for FTS5's work on every token.
// The file is derived data: deleted, damaged or out of step with the
// database, it is made again from the items at Open.
//
// In it, search is an FTS5 table of each item's distinct tokens (package
// hub/fold: character bigrams of its title, summary and text folded to
// simplified Chinese, and lowercased Latin words), separated by spaces,
// which the ascii tokenizer splits and keeps as they are. detail=none keeps
// no places: a phrase of several tokens is looked up as all of them, and
// each candidate checked against its text (fold.Query.Match), which costs
// a search far less than places cost every save (a quarter of the
// indexer's CPU, and most of the index's size). Its rowid is hub.SearchKey, the
// item's place newest-first, so that a search walks the index backwards and
// stops at a page, whatever the number of matches. Contentless: the text is
// the items'. search_keys maps an item to its key, to replace its row when
// the item changes and to drop it when the item goes. search_state records
// the database it indexes (search_meta.file), the last queue row indexed
// (done), and how far the backfill of the items stored before has come:
// the items with an id below below are still to do.
const (
	// SearchSuffix is what the search index's file adds to the database's
	// name: yizhan.db's index is yizhan.db.search.
	SearchSuffix = ".search"

	searchFileVersion = 3
	searchFileSchema  = `
CREATE VIRTUAL TABLE search USING fts5(tokens, content='', contentless_delete=1, tokenize='ascii', detail=none);
CREATE TABLE search_keys (
	id  INTEGER PRIMARY KEY, -- items.id
	key INTEGER NOT NULL     -- search.rowid
);
CREATE UNIQUE INDEX search_keys_key ON search_keys (key);
CREATE TABLE search_state (
	main    BLOB NOT NULL,
	done    INTEGER NOT NULL,
	below   INTEGER NOT NULL
);`

	// searchSchema is the name under which the readers attach the file.
	searchSchema = "fts"
)

const (
	searchOldKeySQL = `SELECT key FROM search_keys WHERE id = ?`
	searchDeleteSQL = `DELETE FROM search WHERE rowid = ?`
	searchDropSQL   = `DELETE FROM search_keys WHERE id = ?`

	// The FTS5 table is walked backwards from ?2 by rowid, the key, and
	// each match is joined to its item: the walk stops after ?4 published
	// matches, however many there are.
	searchSQL = `SELECT %s FROM ` + searchSchema + `.search
		JOIN ` + searchSchema + `.search_keys k ON k.key = search.rowid
		JOIN items i ON i.id = k.id
		WHERE search MATCH ?1 AND search.rowid < ?2
		AND i.source_id IN (SELECT source_id FROM source_channels WHERE ?3 = '' OR channel_id = ?3)
		ORDER BY search.rowid DESC LIMIT ?4`

	// What the indexer reads of the queue, with the items as they are now
	// (NULL for an item deleted since), and of the items stored before the
	// index, newest first.
	queueSQL = `SELECT q.seq, q.id, q.queued, i.sort_date, i.title, i.summary, i.content, i.packed
		FROM search_queue q LEFT JOIN items i ON i.id = q.id
		WHERE q.seq > ? ORDER BY q.seq LIMIT ?`
	backfillSQL = `SELECT 0, id, 0, sort_date, title, summary, content, packed
		FROM items WHERE id < ? ORDER BY id DESC LIMIT ?`
	queueEndSQL = `SELECT coalesce(max(seq), 0) FROM search_queue`
)

const (
	// queueBatch and backfillBatch are how many queue rows, or items stored
	// before, one transaction of the index takes: FTS5 writes a segment at
	// each commit, so fewer, larger ones cost less in merges.
	queueBatch    = 2000
	backfillBatch = 2000

	// awaitRows and awaitTime bound how long a search waits for the
	// indexer to take in what was committed before it: a search sees its
	// process's last saves when the queue is short, and does not wait
	// behind a backlog.
	awaitRows = 1000
	awaitTime = time.Second

	// indexPoll is how often an idle indexer looks for rows queued by
	// another process (a `yizhan fetch` beside serve).
	indexPoll = 500 * time.Millisecond

	// maxBacklog, throttleStall and throttleMax bound throttle: a save
	// waits while more than maxBacklog changes wait for the index, as long
	// as the index moves at least every throttleStall, and throttleMax at
	// most. At the indexer's 1,600–3,000 items a second, maxBacklog and a
	// batch are about 2–3 s of its work.
	maxBacklog    = 3000
	throttleStall = 2 * time.Second
	throttleMax   = 10 * time.Second

	// indexGather is how long an idle indexer, woken by a save, lets more
	// saves queue their rows before it takes them: larger batches make
	// fewer FTS5 segments to merge.
	indexGather = 200 * time.Millisecond
)

// attachments maps a reader DSN to the search file its connections attach,
// for the connection hook (registered once per process).
var (
	attachments sync.Map
	attachOnce  sync.Once
)

func attachHook(conn msqlite.ExecQuerierContext, dsn string) error {
	p, ok := attachments.Load(dsn)
	if !ok {
		return nil
	}
	_, err := conn.ExecContext(context.Background(), "ATTACH DATABASE ? AS "+searchSchema,
		[]driver.NamedValue{{Ordinal: 1, Value: p.(string)}})
	if err != nil {
		return fmt.Errorf("attach search index: %w", err)
	}
	return nil
}

// searchIndex is the search file, its writer and the indexer's state.
type searchIndex struct {
	path string
	w    *sql.DB // the search file's one writer connection

	done     atomic.Int64  // the last queue row indexed, as last seen
	maxLag   atomic.Int64  // the longest a queued change waited, in ms, since Open
	indexed  atomic.Int64  // queue rows taken in since Open
	trimmed  int64         // the queue is deleted up to here (indexer goroutine only)
	kickCh   chan struct{} // a save committed: take it in soon
	urgeCh   chan struct{} // a search waits: take it in now
	mu       sync.Mutex
	advanced chan struct{} // closed and replaced each time done moves or the indexer stops
	stop     func()        // stops the indexer; nil when none runs (Close and DisableSearch only)
	running  atomic.Bool   // an indexer runs
	tk       fold.Tokenizer
}

// halt stops the indexer, if one runs, and waits for it.
func (x *searchIndex) halt() {
	if x.stop != nil {
		x.stop()
		x.stop = nil
	}
}

func (x *searchIndex) kick() {
	select {
	case x.kickCh <- struct{}{}:
	default:
	}
}

func (x *searchIndex) urge() {
	select {
	case x.urgeCh <- struct{}{}:
	default:
	}
}

// signal wakes whoever waits for the index to move.
func (x *searchIndex) signal() {
	x.mu.Lock()
	close(x.advanced)
	x.advanced = make(chan struct{})
	x.mu.Unlock()
}

func (x *searchIndex) waitCh() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.advanced
}

func newSearchIndex(path string) *searchIndex {
	return &searchIndex{path: path + SearchSuffix, kickCh: make(chan struct{}, 1), urgeCh: make(chan struct{}, 1),
		advanced: make(chan struct{})}
}

// openSearch opens the search index of the database at path (the writer
// open, migrated), making it anew when it is missing, damaged, of another
// version, or not this database's, and registers it with the readers' hook.
func (db *DB) openSearch(ctx context.Context, path string) error {
	x := db.idx
	// The database's side: search on (DisableSearch turns it off again),
	// and what the index must cover.
	var token []byte
	var end, maxID int64
	err := func() error {
		tx, err := db.w.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, `UPDATE search_meta SET enabled = 1 WHERE enabled = 0`); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT file, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'search_queue'), 0),
			coalesce((SELECT max(id) FROM items), 0) FROM search_meta`).Scan(&token, &end, &maxID); err != nil {
			return err
		}
		return tx.Commit()
	}()
	if err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	if err := x.open(ctx, token, end, maxID); err != nil {
		// A file that cannot be read is derived data: make it again.
		slog.Warn("search index unreadable, making it again", "file", x.path, "err", err)
		if x.w != nil {
			x.w.Close()
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(x.path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("search index: %w", err)
			}
		}
		if err := x.open(ctx, token, end, maxID); err != nil {
			return fmt.Errorf("search index %s: %w", x.path, err)
		}
	}
	attachOnce.Do(func() { msqlite.RegisterConnectionHook(attachHook) })
	attachments.Store(path+"?"+readerParams, x.path)
	return nil
}

// open opens the search file and brings it in step with the database: a
// file of another database, or one that has indexed past the end of this
// database's queue (a database restored from a backup), starts afresh,
// with every item stored to backfill.
func (x *searchIndex) open(ctx context.Context, token []byte, end, maxID int64) error {
	var err error
	if x.w, err = openWriter(x.path); err != nil {
		return err
	}
	tx, err := x.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		return err
	}
	if version != searchFileVersion {
		for _, drop := range []string{"DROP TABLE IF EXISTS search", "DROP TABLE IF EXISTS search_keys", "DROP TABLE IF EXISTS search_state"} {
			if _, err := tx.ExecContext(ctx, drop); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, searchFileSchema); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", searchFileVersion)); err != nil {
			return err
		}
	}
	var main []byte
	var done int64
	switch err := tx.QueryRowContext(ctx, `SELECT main, done FROM search_state`).Scan(&main, &done); {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return err
	}
	if string(main) != string(token) || done > end {
		for _, q := range []string{`INSERT INTO search (search) VALUES ('delete-all')`, `DELETE FROM search_keys`, `DELETE FROM search_state`} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO search_state VALUES (?, ?, ?)`, token, end, maxID+1); err != nil {
			return err
		}
		done = end
	}
	x.done.Store(done)
	return tx.Commit()
}

// startIndexer runs the indexer in the background until Close or
// DisableSearch stops it: it takes in what the queue holds, a batch per
// transaction, then what the backfill has left, and waits for a save of
// this process or polls for another's.
func (db *DB) startIndexer() {
	x := db.idx
	if x.w == nil {
		return // no search index in this schema
	}
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	x.stop = func() { cancel(); <-stopped }
	x.running.Store(true)
	go func() {
		defer close(stopped)
		defer x.signal()
		defer x.running.Store(false)
		fails := 0
		for ctx.Err() == nil {
			_, more, err := db.indexStep(ctx)
			switch {
			case ctx.Err() != nil:
				return
			case err != nil:
				// SQLITE_BUSY from another process's indexer or a full
				// disk: say so once in a while, and try again.
				if fails%30 == 0 {
					slog.Warn("search index", "file", x.path, "err", err)
				}
				fails++
			case more:
				fails = 0
				continue // a backlog, or the backfill: the next batch at once
			default:
				fails = 0
				db.trimQueue(ctx)
			}
			select {
			case <-ctx.Done():
				return
			case <-x.kickCh:
				select {
				case <-ctx.Done():
					return
				case <-x.urgeCh:
				case <-time.After(indexGather):
				}
			case <-x.urgeCh:
			case <-time.After(indexPoll):
			}
		}
	}()
}

// indexDoc is an item as the indexer reads it.
type indexDoc struct {
	seq, id, queued int64
	gone            bool // deleted since it was queued
	date            int64
	parts           []string
}

// indexStep takes in one batch: queue rows past done or, when none is
// left, items of the backfill. It returns how many it took, and whether
// more wait (a full batch of the queue, or a step of the backfill).
func (db *DB) indexStep(ctx context.Context) (n int, more bool, err error) {
	x := db.idx
	tx, err := x.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, false, err
	}
	defer tx.Rollback()
	var done, below int64
	if err := tx.QueryRowContext(ctx, `SELECT done, below FROM search_state`).Scan(&done, &below); err != nil {
		return 0, false, err
	}
	if done > x.done.Load() { // another process's indexer took them
		x.done.Store(done)
		x.signal()
	}
	docs, err := readDocs(ctx, db.r, queueSQL, done, queueBatch)
	if err != nil {
		return 0, false, fmt.Errorf("read queue: %w", err)
	}
	backfill := len(docs) == 0
	if backfill {
		if below <= 1 {
			return 0, false, nil
		}
		if docs, err = readDocs(ctx, db.r, backfillSQL, below, backfillBatch); err != nil {
			return 0, false, fmt.Errorf("read backfill: %w", err)
		}
		if len(docs) == 0 {
			below = 1
		}
	}
	st := searchWriter{
		tx:     tx,
		oldKey: prepareIn(ctx, tx, searchOldKeySQL, &err), del: prepareIn(ctx, tx, searchDeleteSQL, &err),
		drop:   prepareIn(ctx, tx, searchDropSQL, &err),
		insert: prepareIn(ctx, tx, valuesSQL(searchInsertSQL, insertRows), &err),
		keys:   prepareIn(ctx, tx, valuesSQL(searchKeysSQL, insertRows), &err),
	}
	if err != nil {
		return 0, false, err
	}
	defer st.close()
	// An item queued twice in the batch is indexed once, as it is now.
	last := make(map[int64]int, len(docs))
	for i, d := range docs {
		last[d.id] = i
	}
	once := make([]indexDoc, 0, len(last))
	for i, d := range docs {
		if last[d.id] == i {
			once = append(once, d)
		}
	}
	if err := st.write(ctx, &x.tk, once); err != nil {
		return 0, false, err
	}
	if backfill {
		if len(docs) > 0 {
			below = docs[len(docs)-1].id
		}
		_, err = tx.ExecContext(ctx, `UPDATE search_state SET below = ?`, below)
	} else {
		done = docs[len(docs)-1].seq
		_, err = tx.ExecContext(ctx, `UPDATE search_state SET done = ?`, done)
	}
	if err != nil {
		return 0, false, err
	}
	if err := tx.Commit(); err != nil {
		return 0, false, err
	}
	if !backfill {
		now := time.Now().UnixMilli()
		for _, d := range docs {
			if d.queued > 0 && now-d.queued > x.maxLag.Load() {
				x.maxLag.Store(now - d.queued)
			}
		}
		x.indexed.Add(int64(len(docs)))
		x.done.Store(done)
		x.signal()
	}
	return len(docs), backfill || len(docs) == queueBatch, nil
}

// readDocs reads the rows of queueSQL or backfillSQL.
func readDocs(ctx context.Context, r *sql.DB, query string, from int64, n int) ([]indexDoc, error) {
	rows, err := r.QueryContext(ctx, query, from, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var docs []indexDoc
	for rows.Next() {
		var d indexDoc
		var date sql.NullInt64
		var title, summary, content sql.NullString
		var packed []byte
		if err := rows.Scan(&d.seq, &d.id, &d.queued, &date, &title, &summary, &content, &packed); err != nil {
			return nil, err
		}
		d.gone, d.date = !date.Valid, date.Int64
		if !d.gone {
			s, c := summary.String, content.String
			if len(packed) > 0 {
				if s, c, err = unpack(packed); err != nil {
					return nil, fmt.Errorf("item %d: %w", d.id, err)
				}
			}
			d.parts = fold.Parts(title.String, s, c)
		}
		docs = append(docs, d)
	}
	return docs, rows.Err()
}

// searchWriter writes one batch of the index in its transaction.
//
// FTS5 writes the rows it holds in memory to a new segment at every
// savepoint, and SQLite opens one for each statement that writes the table
// inside a transaction: inserted one statement a row, every item became a
// segment of its own, and merging them cost four fifths of indexing. So the
// rows of a batch go in insertRows at a time, after the deletes of the rows
// they replace.
type searchWriter struct {
	tx                  *sql.Tx
	oldKey, del, drop   *sql.Stmt
	insert, keys        *sql.Stmt // of insertRows rows
	insertArgs, keyArgs []any
	seen                map[string]bool
	buf                 []byte
}

// distinct returns tokens once each, separated by spaces.
func (st *searchWriter) distinct(tokens []string) string {
	if st.seen == nil {
		st.seen = make(map[string]bool)
	}
	clear(st.seen)
	st.buf = st.buf[:0]
	for _, t := range tokens {
		if !st.seen[t] {
			st.seen[t] = true
			st.buf = append(append(st.buf, t...), ' ')
		}
	}
	return string(st.buf)
}

// insertRows is how many rows one statement of searchWriter inserts: a
// whole batch (BenchmarkIndexQueue: a third less CPU an item than 500).
const insertRows = queueBatch

func valuesSQL(prefix string, n int) string {
	return prefix + strings.Repeat("(?, ?), ", n-1) + "(?, ?)"
}

const (
	searchInsertSQL = `INSERT INTO search (rowid, tokens) VALUES `
	searchKeysSQL   = `INSERT OR REPLACE INTO search_keys (id, key) VALUES `
)

// prepareIn prepares query in tx, unless *err already holds an error, and
// records its own failure there: a batch's statements, checked once.
func prepareIn(ctx context.Context, tx *sql.Tx, query string, err *error) *sql.Stmt {
	if *err != nil {
		return nil
	}
	st, e := tx.PrepareContext(ctx, query)
	if e != nil {
		*err = fmt.Errorf("prepare %q: %w", query, e)
	}
	return st
}

func (st *searchWriter) close() {
	for _, s := range []*sql.Stmt{st.oldKey, st.del, st.insert, st.keys, st.drop} {
		if s != nil {
			s.Close()
		}
	}
}

// write replaces the rows of docs in the index, and drops those of the
// docs that are gone.
func (st *searchWriter) write(ctx context.Context, tk *fold.Tokenizer, docs []indexDoc) error {
	for _, d := range docs {
		var old int64
		switch err := st.oldKey.QueryRowContext(ctx, d.id).Scan(&old); {
		case errors.Is(err, sql.ErrNoRows):
			continue
		case err != nil:
			return fmt.Errorf("index item %d: %w", d.id, err)
		}
		if _, err := st.del.ExecContext(ctx, old); err != nil {
			return fmt.Errorf("index item %d: %w", d.id, err)
		}
		if d.gone {
			if _, err := st.drop.ExecContext(ctx, d.id); err != nil {
				return fmt.Errorf("index item %d: %w", d.id, err)
			}
		}
	}
	st.insertArgs, st.keyArgs = st.insertArgs[:0], st.keyArgs[:0]
	for _, d := range docs {
		if d.gone {
			continue
		}
		key := hub.SearchKey(hub.Position{Date: fromNanos(d.date), ID: d.id})
		st.insertArgs = append(st.insertArgs, key, st.distinct(tk.Tokens(d.parts...)))
		st.keyArgs = append(st.keyArgs, d.id, key)
		if len(st.insertArgs) == 2*insertRows {
			if err := st.flush(ctx); err != nil {
				return err
			}
		}
	}
	return st.flush(ctx)
}

// flush inserts the rows gathered.
func (st *searchWriter) flush(ctx context.Context) error {
	n := len(st.insertArgs) / 2
	if n == 0 {
		return nil
	}
	var err error
	if n == insertRows {
		if _, err = st.insert.ExecContext(ctx, st.insertArgs...); err == nil {
			_, err = st.keys.ExecContext(ctx, st.keyArgs...)
		}
	} else {
		if _, err = st.tx.ExecContext(ctx, valuesSQL(searchInsertSQL, n), st.insertArgs...); err == nil {
			_, err = st.tx.ExecContext(ctx, valuesSQL(searchKeysSQL, n), st.keyArgs...)
		}
	}
	if err != nil {
		return fmt.Errorf("index %d items: %w", n, err)
	}
	st.insertArgs, st.keyArgs = st.insertArgs[:0], st.keyArgs[:0]
	return nil
}

// trimQueue deletes the queue rows the index has taken in, in one short
// write of the database, when the indexer is idle.
func (db *DB) trimQueue(ctx context.Context) {
	x := db.idx
	done := x.done.Load()
	if done <= x.trimmed {
		return
	}
	if _, err := db.w.ExecContext(ctx, `DELETE FROM search_queue WHERE seq <= ?`, done); err != nil {
		return // the next idle moment tries again
	}
	x.trimmed = done
}

// matchExpr is q as an FTS5 query of the index without places: every
// token of every phrase, quoted (tokens hold only letters and digits), AND
// between them; a Prefix phrase's token as a prefix.
func matchExpr(q fold.Query) string {
	var b strings.Builder
	for _, p := range q {
		for _, t := range p.Tokens {
			if b.Len() > 0 {
				b.WriteString(" AND ")
			}
			b.WriteByte('"')
			b.WriteString(t)
			b.WriteByte('"')
			if p.Prefix {
				b.WriteByte('*')
			}
		}
	}
	return b.String()
}

// searchReader reads a page of matches: candidates of the index, walked
// backwards from before, each checked against its text unless the query
// is exact, until n match or the index has no more.
type searchReader struct {
	ctx     context.Context
	query   *sql.Stmt
	expr    string
	fq      fold.Query
	channel string
	tk      fold.Tokenizer
}

func (r *searchReader) read(before *hub.Position, n int) ([]hub.Item, []int64, error) {
	exact := r.fq.Exact()
	var items []hub.Item
	var stories []int64
	for {
		want := n - len(items)
		fetch := want
		if !exact {
			fetch += want/2 + 8 // some candidates fail the check
		}
		rows, err := r.query.QueryContext(r.ctx, r.expr, hub.SearchAfter(before), r.channel, fetch)
		if err != nil {
			return nil, nil, err
		}
		got, st, err := scanItems(rows, fetch)
		if err != nil {
			return nil, nil, err
		}
		for i := range got {
			it := &got[i]
			if !exact && !r.fq.Match(r.tk.Tokens(fold.Parts(it.Title, it.Summary, it.Content)...)) {
				continue
			}
			items, stories = append(items, *it), append(stories, st[i])
			if len(items) == n {
				return items, stories, nil
			}
		}
		if len(got) < fetch {
			return items, stories, nil
		}
		p := got[len(got)-1].Position()
		before = &p
	}
}

// prepareSearch prepares the search query on the readers.
func (db *DB) prepareSearch(ctx context.Context) error {
	cols := strings.Split(itemColumns, ",")
	for i, c := range cols {
		cols[i] = "i." + strings.TrimSpace(c)
	}
	query := fmt.Sprintf(searchSQL, strings.Join(cols, ", "))
	st, err := db.r.PrepareContext(ctx, query)
	if err != nil {
		return fmt.Errorf("prepare %q: %w", query, err)
	}
	db.searchQuery = st
	db.stmts = append(db.stmts, st)
	return nil
}

// Search returns the published items that match q, newest first; see
// hub.Searcher. It first waits, briefly, for the index to take in what was
// committed before it (awaitRows, awaitTime).
func (db *DB) Search(ctx context.Context, q hub.SearchQuery) ([]hub.Item, error) {
	if q.Limit <= 0 {
		return nil, fmt.Errorf("search %q: limit %d is not positive", q.Words, q.Limit)
	}
	fq := fold.Parse(q.Words)
	if len(fq) == 0 {
		return nil, nil
	}
	if err := db.awaitIndex(ctx, awaitRows, awaitTime); err != nil {
		return nil, fmt.Errorf("search %q: %w", q.Words, err)
	}
	if q.Dedup {
		items, err := db.searchStories(ctx, fq, q)
		if err != nil {
			return nil, fmt.Errorf("search %q: %w", q.Words, err)
		}
		return items, nil
	}
	r := &searchReader{ctx: ctx, query: db.searchQuery, expr: matchExpr(fq), fq: fq, channel: q.Channel}
	items, _, err := r.read(q.Before, q.Limit)
	if err != nil {
		return nil, fmt.Errorf("search %q: %w", q.Words, err)
	}
	return items, nil
}

// awaitIndex waits until the index has taken in the queue as it ends now,
// unless more than rows wait, no indexer runs, or wait passes.
func (db *DB) awaitIndex(ctx context.Context, rows int64, wait time.Duration) error {
	x := db.idx
	if !x.running.Load() {
		return nil
	}
	var end int64
	if err := db.r.QueryRowContext(ctx, queueEndSQL).Scan(&end); err != nil {
		return fmt.Errorf("read queue: %w", err)
	}
	if end <= x.done.Load() || end-x.done.Load() > rows {
		return nil
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	for {
		ch := x.waitCh()
		if x.done.Load() >= end || !x.running.Load() {
			return nil
		}
		x.urge()
		select {
		case <-ch:
		case <-timer.C:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// throttle holds a save back, before it takes the write lock, while the
// index is more than maxBacklog changes behind, so that what is committed
// is searchable within seconds even in a burst (a new hub's first fetch of
// every source): ingest then goes at the indexer's pace. It waits only
// while the indexer makes progress, throttleMax at most, so that an index
// that is stuck, or kept by another process, never stops ingest.
func (db *DB) throttle(ctx context.Context) error {
	x := db.idx
	if !x.running.Load() {
		return nil
	}
	deadline := time.Now().Add(throttleMax)
	for {
		var end int64
		if err := db.r.QueryRowContext(ctx, queueEndSQL).Scan(&end); err != nil {
			return nil // the save itself will say what is wrong
		}
		if end-x.done.Load() <= maxBacklog {
			return nil
		}
		ch := x.waitCh()
		wait := min(throttleStall, time.Until(deadline))
		if wait <= 0 {
			return nil
		}
		timer := time.NewTimer(wait)
		select {
		case <-ch:
			timer.Stop()
		case <-timer.C:
			return nil
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		}
	}
}

// FlushSearch waits until every item committed before the call is
// searchable; see hub.SearchIndexer.
func (db *DB) FlushSearch(ctx context.Context) error {
	if err := db.awaitIndex(ctx, 1<<62, 1<<62); err != nil {
		return fmt.Errorf("flush search index: %w", err)
	}
	return nil
}

// SearchLag reports the index's freshness; see hub.SearchIndexer.
func (db *DB) SearchLag(ctx context.Context) (hub.SearchLag, error) {
	x := db.idx
	lag := hub.SearchLag{Indexed: x.indexed.Load(), Longest: time.Duration(x.maxLag.Load()) * time.Millisecond}
	var oldest sql.NullInt64
	if err := db.r.QueryRowContext(ctx, `SELECT count(*), min(queued) FROM search_queue WHERE seq > ?`, x.done.Load()).
		Scan(&lag.Waiting, &oldest); err != nil {
		return lag, fmt.Errorf("search lag: %w", err)
	}
	if oldest.Valid {
		lag.Oldest = max(0, time.Since(time.UnixMilli(oldest.Int64)))
	}
	if err := db.r.QueryRowContext(ctx, `SELECT count(*) FROM items WHERE id < (SELECT below FROM `+searchSchema+`.search_state)`).
		Scan(&lag.Backfill); err != nil {
		return lag, fmt.Errorf("search lag: %w", err)
	}
	return lag, nil
}

// searchStories is Search with q.Dedup: the matches, page after page, each
// story's kept only as the copy the feed of q.Channel (or the ticker)
// shows (story.Collect), in one read transaction.
func (db *DB) searchStories(ctx context.Context, fq fold.Query, q hub.SearchQuery) ([]hub.Item, error) {
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
	r := &searchReader{ctx: ctx, query: tx.StmtContext(ctx, db.searchQuery), expr: matchExpr(fq), fq: fq, channel: q.Channel}
	members := func(stories []int64) (map[int64][]story.Member, error) { return db.storyMembers(ctx, tx, stories) }
	return story.CollectAfter(q.Limit, q.Before, r.read, members, srcs)
}

// DisableSearch stops indexing; see hub.SearchSwitch. The triggers queue
// nothing more, the queue is emptied, and the database takes a new index
// name, so that the next Open with search on makes the index again.
func (db *DB) DisableSearch(ctx context.Context) error {
	// What was committed before stays searchable, unless a backlog waits.
	if err := db.awaitIndex(ctx, awaitRows, time.Minute); err != nil {
		return fmt.Errorf("disable search: %w", err)
	}
	db.idx.halt()
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("disable search: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{`UPDATE search_meta SET enabled = 0, file = randomblob(16)`, `DELETE FROM search_queue`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("disable search: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("disable search: %w", err)
	}
	return nil
}
