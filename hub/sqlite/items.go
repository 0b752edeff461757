package sqlite

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/story"
)

// itemColumns are the columns scanItems reads, in its order.
const itemColumns = `id, source_id, key, first_seen, published, updated, url, title, image,
	categories, credit, credit_url, via, author, editor, copyright, summary, content, packed, story, own`

const insertItemSQL = `INSERT INTO items (source_id, key, hash, first_seen, published, updated, sort_date,
	url, title, image, categories, credit, credit_url, via, author, editor, copyright, summary, content, packed,
	url_key, title_key, orig_key, day, own)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

const updateItemSQL = `UPDATE items SET hash = ?, published = ?, updated = ?, sort_date = ?,
	url = ?, title = ?, image = ?, categories = ?, credit = ?, credit_url = ?, via = ?, author = ?,
	editor = ?, copyright = ?, summary = ?, content = ?, packed = ?,
	url_key = ?, title_key = ?, orig_key = ?, day = ?, own = ?
	WHERE id = ?`

// Reads. ORDER BY sort_date DESC, id DESC is answered by a backward scan of
// an index on sort_date (whose entries end with the rowid), not by sorting
// every row of a source; only the few rows fetched by id are sorted.
// TestQueryPlans holds them to that. Each walk starts below a position
// (sort_date, id), so that a walk can go on where the last one stopped.
const (
	channelSourcesSQL = `SELECT source_id FROM source_channels WHERE channel_id = ?`

	sourceItemsSQL = `SELECT ` + itemColumns + ` FROM items INDEXED BY items_source_date
		WHERE source_id = ?1 AND sort_date <= ?2 AND (sort_date < ?2 OR id < ?3)
		ORDER BY sort_date DESC, id DESC LIMIT ?4`

	sourceNewestSQL = `SELECT sort_date, id FROM items INDEXED BY items_source_date
		WHERE source_id = ?1 AND sort_date <= ?2 AND (sort_date < ?2 OR id < ?3)
		ORDER BY sort_date DESC, id DESC LIMIT ?4`

	// The ticker walks all items newest first and keeps those of published
	// sources, so each item comes once however many channels it is in.
	// Unpublished sources are few, so the walk stops after about Limit rows.
	latestSQL = `SELECT ` + itemColumns + ` FROM items INDEXED BY items_date
		WHERE source_id IN (SELECT source_id FROM source_channels)
		AND sort_date <= ?1 AND (sort_date < ?1 OR id < ?2)
		ORDER BY sort_date DESC, id DESC LIMIT ?3`

	// The ids come as a JSON array: one statement for any number of them.
	// The rows come in no particular order: the caller knows the order it
	// wants (inOrder), and an ORDER BY made SQLite copy every row, article
	// and all, through a sorter.
	byIDsSQL = `SELECT ` + itemColumns + ` FROM items
		WHERE id IN (SELECT value FROM json_each(?))`
)

// storedSQL reads what SaveItems needs of n items of one source.
func storedSQL(n int) string {
	return `SELECT key, id, hash, first_seen, published, updated, story FROM items
		WHERE source_id = ? AND key IN (` + placeholders(n) + `)`
}

// knownURLsSQL reads which of n URLs one source has, or had until Prune
// removed their items: ?1 is the source.
func knownURLsSQL(n int) string {
	in := numbered(2, n)
	return `SELECT DISTINCT url FROM items INDEXED BY items_source_url
		WHERE source_id = ?1 AND url IN (` + in + `)
		UNION ALL
		SELECT url FROM pruned_items INDEXED BY pruned_items_source_url
		WHERE source_id = ?1 AND url IN (` + in + `)`
}

// maxParams bounds the placeholders of one IN list, well under SQLite's
// limit of 32766 variables.
const maxParams = 500

// SaveItems upserts the items of one source in one immediate transaction; see
// hub.Store. An item repeating the key of an earlier one in items is skipped
// and counted as Unchanged: feeds do repeat guids, and the first one wins. A
// zero now means time.Now(). A key with a tombstone (Prune) is skipped, and
// its tombstone's seen_at moved to now, at most once a day.
func (db *DB) SaveItems(ctx context.Context, sourceID string, items []hub.Item, now time.Time) (hub.SaveResult, error) {
	res, err := db.saveItems(ctx, sourceID, items, now)
	if err != nil {
		return hub.SaveResult{}, fmt.Errorf("save items %s: %w", sourceID, err)
	}
	return res, nil
}

// stored is what SaveItems needs to know of an item already stored.
type stored struct {
	id        int64
	hash      []byte
	firstSeen int64
	published sql.NullInt64
	updated   sql.NullInt64
	story     int64
}

func (db *DB) saveItems(ctx context.Context, sourceID string, items []hub.Item, now time.Time) (hub.SaveResult, error) {
	var res hub.SaveResult
	if now.IsZero() {
		now = time.Now()
	}
	batch, repeated, err := hub.PrepareSave(sourceID, items)
	if err != nil {
		return res, err
	}
	res.Unchanged = repeated
	if len(batch) == 0 {
		return res, nil
	}

	if err := db.throttle(ctx); err != nil {
		return res, err
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()

	old, err := storedItems(ctx, tx, sourceID, batch)
	if err != nil {
		return res, err
	}
	var fresh []string
	for _, p := range batch {
		if _, ok := old[p.Item.Key]; !ok {
			fresh = append(fresh, p.Item.Key)
		}
	}
	var pruned map[string]bool
	if len(fresh) > 0 {
		if pruned, err = prunedKeys(ctx, tx, sourceID, fresh, now); err != nil {
			return res, err
		}
	}
	// What to write, and the stored copies of it, found before the batch's
	// own rows are there to be found too.
	firstSeen := nanos(now)
	plan := make([]*written, len(batch))
	var links []*written
	for i, p := range batch {
		it := p.Item
		o, ok := old[it.Key]
		switch {
		case !ok && pruned[it.Key]:
			res.Pruned++
			continue
		case ok && bytes.Equal(o.hash, p.Hash):
			res.Unchanged++
			continue
		}
		w := &written{it: it, copy: db.storyCopy(sourceID, it)}
		w.published, w.updated = nullNanos(it.Published), nullNanos(it.Updated)
		if !ok {
			w.date = sortDate(w.published, w.updated, firstSeen)
		} else {
			// An upstream that drops an item's date (a page whose date line
			// changed) must not move the item: keep the dates stored.
			if !w.published.Valid {
				w.published = o.published
			}
			if !w.updated.Valid {
				w.updated = o.updated
			}
			w.id, w.story, w.date = o.id, o.story, sortDate(w.published, w.updated, o.firstSeen)
		}
		plan[i] = w
		if w.copy != nil {
			links = append(links, w)
		}
	}
	cands, err := db.candidates(ctx, tx, links)
	if err != nil {
		return res, fmt.Errorf("link stories: %w", err)
	}

	insert := tx.StmtContext(ctx, db.insertItem)
	update := tx.StmtContext(ctx, db.updateItem)
	var pk packer
	for i, p := range batch {
		w := plan[i]
		if w == nil {
			continue
		}
		it := p.Item
		cats, err := encodeCategories(it.Categories)
		if err != nil {
			return res, fmt.Errorf("item %q: %w", it.Key, err)
		}
		summary, content := it.Summary, it.Content
		packed := pk.pack(summary, content)
		if packed != nil {
			summary, content = "", ""
		} else {
			packed = []byte{}
		}
		keys := w.keys()
		if w.id == 0 {
			var r sql.Result
			r, err = insert.ExecContext(ctx, sourceID, it.Key, p.Hash, firstSeen, w.published, w.updated, w.date,
				it.URL, it.Title, it.Image, cats, it.Credit, it.CreditURL, it.Via, it.Author, it.Editor, it.Copyright,
				summary, content, packed, keys[0], keys[1], keys[2], story.Day(w.date), it.Own)
			if err == nil {
				w.id, err = r.LastInsertId()
			}
			res.New++
		} else {
			_, err = update.ExecContext(ctx, p.Hash, w.published, w.updated, w.date,
				it.URL, it.Title, it.Image, cats, it.Credit, it.CreditURL, it.Via, it.Author, it.Editor, it.Copyright,
				summary, content, packed, keys[0], keys[1], keys[2], story.Day(w.date), it.Own, w.id)
			res.Updated++
		}
		if err != nil {
			return res, fmt.Errorf("item %q: %w", it.Key, err)
		}
	}
	if err := db.linkStories(ctx, tx, sourceID, links, cands); err != nil {
		return res, err
	}
	if res.Changed() {
		if err := bumpSource(ctx, tx, sourceID); err != nil {
			return res, err
		}
	}
	if err := tx.Commit(); err != nil {
		return res, err
	}
	db.idx.kick() // the triggers queued what changed for the search index
	return res, nil
}

// storedItems returns, by key, the stored items of the source among batch,
// reading them with one query per maxParams keys.
func storedItems(ctx context.Context, tx *sql.Tx, sourceID string, batch []hub.Pending) (map[string]stored, error) {
	m := make(map[string]stored, len(batch))
	for chunk := range slices.Chunk(batch, maxParams) {
		args := make([]any, 0, 1+len(chunk))
		args = append(args, sourceID)
		for _, p := range chunk {
			args = append(args, p.Item.Key)
		}
		rows, err := tx.QueryContext(ctx, storedSQL(len(chunk)), args...)
		if err != nil {
			return nil, fmt.Errorf("read stored: %w", err)
		}
		for rows.Next() {
			var key string
			var s stored
			if err := rows.Scan(&key, &s.id, &s.hash, &s.firstSeen, &s.published, &s.updated, &s.story); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read stored: %w", err)
			}
			m[key] = s
		}
		if err := rows.Close(); err != nil {
			return nil, fmt.Errorf("read stored: %w", err)
		}
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("read stored: %w", err)
		}
	}
	return m, nil
}

// Items returns the newest published items of a channel, or of all channels;
// see hub.Store. An unknown channel has no items.
func (db *DB) Items(ctx context.Context, q hub.Query) ([]hub.Item, error) {
	what := "latest"
	if q.Channel != "" {
		what = "channel " + q.Channel
	}
	if q.Limit <= 0 {
		return nil, fmt.Errorf("items %s: limit %d is not positive", what, q.Limit)
	}
	items, err := db.items(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("items %s: %w", what, err)
	}
	return items, nil
}

func (db *DB) items(ctx context.Context, q hub.Query) ([]hub.Item, error) {
	// One read transaction: every query below sees the same snapshot.
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	w := walk{db: db, tx: tx, latest: q.Channel == ""}
	if !w.latest {
		if w.sources, err = queryStrings(ctx, tx.StmtContext(ctx, db.channelSources), q.Channel); err != nil {
			return nil, err
		}
		if len(w.sources) == 0 {
			return nil, nil
		}
	}
	start := top
	if q.Before != nil {
		start = position{nanos(q.Before.Date), q.Before.ID}
	}
	if q.Dedup {
		return db.storyItems(ctx, &w, start, q.Limit)
	}
	items, _, err := w.next(ctx, start, q.Limit)
	return items, err
}

// top is the position before every item: walks start there.
var top = position{math.MaxInt64, math.MaxInt64}

// walk reads the items of one feed in the order of Items, a page at a time,
// inside one read transaction.
type walk struct {
	db      *DB
	tx      *sql.Tx
	latest  bool     // every published source's items (the ticker)
	sources []string // else the channel's sources
}

// next returns the at most n items that follow position after, and the
// story of each (0: none).
func (w *walk) next(ctx context.Context, after position, n int) ([]hub.Item, []int64, error) {
	var rows *sql.Rows
	var err error
	switch {
	case w.latest:
		rows, err = w.tx.StmtContext(ctx, w.db.latest).QueryContext(ctx, after.date, after.id, n)
	case len(w.sources) == 1:
		rows, err = w.tx.StmtContext(ctx, w.db.sourceItems).QueryContext(ctx, w.sources[0], after.date, after.id, n)
	default:
		// Merge the newest of each source, each read from the
		// items_source_date index, so that the cost grows with the number
		// of sources and n, never with the number of items stored.
		var cands []position
		cands, err = newestPositions(ctx, w.tx.StmtContext(ctx, w.db.sourceNewest), w.sources, after, n)
		if err != nil || len(cands) == 0 {
			return nil, nil, err
		}
		ids := make([]int64, len(cands))
		for i, c := range cands {
			ids[i] = c.id
		}
		rows, err = w.tx.StmtContext(ctx, w.db.byIDs).QueryContext(ctx, jsonInts(ids))
		if err != nil {
			return nil, nil, err
		}
		items, stories, err := scanItems(rows, n)
		if err != nil {
			return nil, nil, err
		}
		items, stories = inOrder(ids, items, stories)
		return items, stories, nil
	}
	if err != nil {
		return nil, nil, err
	}
	return scanItems(rows, n)
}

// inOrder returns items, and the story of each, in the order of ids, the
// ids of the items; ids that none has are left out.
func inOrder(ids []int64, items []hub.Item, stories []int64) ([]hub.Item, []int64) {
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	outItems := make([]hub.Item, len(ids))
	outStories := make([]int64, len(ids))
	found := make([]bool, len(ids))
	for i := range items {
		j, ok := at[items[i].ID]
		if !ok || found[j] {
			continue
		}
		outItems[j], outStories[j], found[j] = items[i], stories[i], true
	}
	n := 0
	for j := range ids {
		if found[j] {
			outItems[n], outStories[n] = outItems[j], outStories[j]
			n++
		}
	}
	return outItems[:n], outStories[:n]
}

// position is a place in the order of Items: (sort_date, id), newest last.
type position struct{ date, id int64 }

func (p position) before(q position) bool {
	return p.date < q.date || p.date == q.date && p.id < q.id
}

// newestPositions returns the positions of the n newest items of the
// sources together that follow position after, newest first, reading at
// most n of each source from items_source_date: the cost grows with the
// sources and n, never with the items stored.
func newestPositions(ctx context.Context, newest *sql.Stmt, sources []string, after position, n int) ([]position, error) {
	var all []position
	for _, src := range sources {
		rows, err := newest.QueryContext(ctx, src, after.date, after.id, n)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var p position
			if err := rows.Scan(&p.date, &p.id); err != nil {
				rows.Close()
				return nil, err
			}
			all = append(all, p)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	slices.SortFunc(all, func(a, b position) int {
		if c := cmp.Compare(b.date, a.date); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	return all[:min(n, len(all))], nil
}

// KnownURLs reports which of urls are stored as item URLs of the source; see
// hub.Store. URLs not stored are absent from the map.
func (db *DB) KnownURLs(ctx context.Context, sourceID string, urls []string) (map[string]bool, error) {
	known := make(map[string]bool)
	for chunk := range slices.Chunk(urls, maxParams) {
		args := make([]any, 0, 1+len(chunk))
		args = append(args, sourceID)
		for _, u := range chunk {
			args = append(args, u)
		}
		rows, err := db.r.QueryContext(ctx, knownURLsSQL(len(chunk)), args...)
		if err != nil {
			return nil, fmt.Errorf("known urls %s: %w", sourceID, err)
		}
		got, err := collectStrings(rows)
		if err != nil {
			return nil, fmt.Errorf("known urls %s: %w", sourceID, err)
		}
		for _, u := range got {
			known[u] = true
		}
	}
	return known, nil
}

// scanItems reads rows of itemColumns, and the story of each, and closes rows.
func scanItems(rows *sql.Rows, limit int) ([]hub.Item, []int64, error) {
	defer rows.Close()
	items := make([]hub.Item, 0, min(limit, 64))
	stories := make([]int64, 0, min(limit, 64))
	for rows.Next() {
		var story int64
		var it hub.Item
		var firstSeen int64
		var published, updated sql.NullInt64
		var cats string
		var packed sql.RawBytes
		if err := rows.Scan(&it.ID, &it.SourceID, &it.Key, &firstSeen, &published, &updated,
			&it.URL, &it.Title, &it.Image, &cats, &it.Credit, &it.CreditURL, &it.Via, &it.Author,
			&it.Editor, &it.Copyright, &it.Summary, &it.Content, &packed, &story, &it.Own); err != nil {
			return nil, nil, err
		}
		if len(packed) > 0 {
			var err error
			if it.Summary, it.Content, err = unpack(packed); err != nil {
				return nil, nil, fmt.Errorf("item %d: %w", it.ID, err)
			}
		}
		it.FirstSeen = fromNanos(firstSeen)
		it.Published = fromNullNanos(published)
		it.Updated = fromNullNanos(updated)
		if cats != "[]" {
			if err := json.Unmarshal([]byte(cats), &it.Categories); err != nil {
				return nil, nil, fmt.Errorf("item %d: categories: %w", it.ID, err)
			}
		}
		items = append(items, it)
		stories = append(stories, story)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	return items, stories, nil
}

// queryStrings runs a prepared query of one text column.
func queryStrings(ctx context.Context, st *sql.Stmt, args ...any) ([]string, error) {
	rows, err := st.QueryContext(ctx, args...)
	if err != nil {
		return nil, err
	}
	return collectStrings(rows)
}

// collectStrings reads rows of one text column and closes rows.
func collectStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

// numbered returns n placeholders numbered from first: "?2,?3".
func numbered(first, n int) string {
	b := make([]byte, 0, 4*n)
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '?')
		b = strconv.AppendInt(b, int64(first+i), 10)
	}
	return string(b)
}

func encodeCategories(cats []string) (string, error) {
	if len(cats) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal(cats)
	if err != nil {
		return "", fmt.Errorf("categories: %w", err)
	}
	return string(b), nil
}

// sortDate is hub.Item.Date in stored form.
func sortDate(published, updated sql.NullInt64, firstSeen int64) int64 {
	switch {
	case published.Valid:
		return published.Int64
	case updated.Valid:
		return updated.Int64
	}
	return firstSeen
}

// Times are stored as UTC unix nanoseconds (hub.UnixNanos), which order
// correctly whatever zone they came in.
func nanos(t time.Time) int64 { return hub.UnixNanos(t) }

// nullNanos stores the zero time as NULL: 0 is 1970-01-01, a real instant.
func nullNanos(t time.Time) sql.NullInt64 {
	if t.IsZero() {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: nanos(t), Valid: true}
}

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}
