package postgres

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/story"
)

// itemColumns are the columns scanItems reads, in its order.
const itemColumns = `id, source_id, key, first_seen, published, updated, url, title, image,
	categories, credit, credit_url, via, author, editor, copyright, summary, content, story, own`

// insertItemsSQL writes the new items of a fetch in one statement, a
// column array each ($3…$24, in the order of the batch, which gives their
// ids that order): on a loaded machine PostgreSQL took 0.3 ms a row as one
// statement each, a tenth of that as one statement.
const insertItemsSQL = `INSERT INTO items (source_id, first_seen, key, hash, published, updated, sort_date,
	url, title, image, categories, credit, credit_url, via, author, editor, copyright, summary, content,
	url_key, title_key, orig_key, own, day)
	SELECT $1, $2, * FROM unnest($3::bytea[], $4::bytea[], $5::bigint[], $6::bigint[], $7::bigint[],
		$8::bytea[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::text[],
		$16::text[], $17::text[], $18::text[], $19::text[], $20::bigint[], $21::bigint[], $22::bigint[],
		$23::boolean[], $24::bigint[])
	RETURNING id, key`

// newItems gathers the columns of insertItemsSQL.
type newItems struct {
	key, hash, url                              [][]byte
	published, updated                          []*int64
	date, urlKey, titleKey, origKey, day        []int64
	title, image, cats, credit, creditURL, via  []string
	author, editor, copyright, summary, content []string
	own                                         []bool
	index                                       map[string]int // key -> position in links
}

const updateItemSQL = `UPDATE items SET hash = $1, published = $2, updated = $3, sort_date = $4,
	url = $5, title = $6, image = $7, categories = $8, credit = $9, credit_url = $10, via = $11, author = $12,
	editor = $13, copyright = $14, summary = $15, content = $16, url_key = $17, title_key = $18,
	orig_key = $19, own = $20, day = $22
	WHERE id = $21`

// storiesLock is the advisory lock under which one transaction at a time
// links items into stories, so that two copies saved at once by two
// processes still find each other.
const storiesLock = 0x79697a68616e01

// sourceLock returns the advisory lock key of a source's SaveItems: saves of
// one source take turns, as SQLite's single writer makes them.
const sourceLockSQL = `SELECT pg_advisory_xact_lock(hashtextextended('yizhan source ' || $1, 0))`

// SaveItems upserts the items of one source in one transaction, linking
// them into stories; see hub.Store.
func (db *DB) SaveItems(ctx context.Context, sourceID string, items []hub.Item, now time.Time) (hub.SaveResult, error) {
	res, err := db.saveItems(ctx, sourceID, items, now)
	if err != nil {
		return hub.SaveResult{}, fmt.Errorf("save items %s: %w", sourceID, err)
	}
	return res, nil
}

type stored struct {
	id                 int64
	hash               []byte
	firstSeen          int64
	published, updated *int64
	story              int64
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
	keys := make([]string, len(batch))
	for i, p := range batch {
		keys[i] = p.Item.Key
	}
	if len(batch) == 0 {
		return res, nil
	}

	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return res, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, sourceLockSQL, sourceID); err != nil {
		return res, err
	}
	old, err := storedItems(ctx, tx, sourceID, keys)
	if err != nil {
		return res, err
	}
	var fresh []string
	for _, k := range keys {
		if _, ok := old[k]; !ok {
			fresh = append(fresh, k)
		}
	}
	pruned, err := prunedKeys(ctx, tx, sourceID, fresh, now)
	if err != nil {
		return res, err
	}

	// The writes go in one pipelined batch: one round trip for the whole
	// fetch, not one per item.
	firstSeen := nanos(now)
	links := make([]written, 0, len(batch))
	linked := make([]*hub.Item, 0, len(batch)) // the item of each of links
	var writes pgx.Batch
	ins := newItems{index: make(map[string]int)}
	for _, p := range batch {
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
		cats, err := encodeCategories(it.Categories)
		if err != nil {
			return res, fmt.Errorf("item %q: %w", it.Key, err)
		}
		published, updated := nullNanos(it.Published), nullNanos(it.Updated)
		c := story.New(it)
		c.SourceID = sourceID
		w := written{copy: c}
		k := c.IndexKeys()
		if !ok {
			w.date = sortDate(published, updated, firstSeen)
			ins.index[it.Key] = len(links)
			ins.key, ins.hash, ins.url = append(ins.key, []byte(it.Key)), append(ins.hash, p.Hash), append(ins.url, []byte(it.URL))
			ins.published, ins.updated, ins.date = append(ins.published, published), append(ins.updated, updated), append(ins.date, w.date)
			ins.title, ins.image, ins.cats = append(ins.title, it.Title), append(ins.image, it.Image), append(ins.cats, cats)
			ins.credit, ins.creditURL, ins.via = append(ins.credit, it.Credit), append(ins.creditURL, it.CreditURL), append(ins.via, it.Via)
			ins.author, ins.editor, ins.copyright = append(ins.author, it.Author), append(ins.editor, it.Editor), append(ins.copyright, it.Copyright)
			ins.summary, ins.content = append(ins.summary, it.Summary), append(ins.content, it.Content)
			ins.urlKey, ins.titleKey, ins.origKey = append(ins.urlKey, k[0]), append(ins.titleKey, k[1]), append(ins.origKey, k[2])
			ins.own, ins.day = append(ins.own, it.Own), append(ins.day, story.Day(w.date))
			res.New++
		} else {
			// An upstream that drops an item's date must not move the item.
			published, updated = cmp.Or(published, o.published), cmp.Or(updated, o.updated)
			w.id, w.story, w.date = o.id, o.story, sortDate(published, updated, o.firstSeen)
			writes.Queue(updateItemSQL, p.Hash, published, updated, w.date,
				[]byte(it.URL), it.Title, it.Image, cats, it.Credit, it.CreditURL, it.Via,
				it.Author, it.Editor, it.Copyright, it.Summary, it.Content,
				k[0], k[1], k[2], it.Own, o.id, story.Day(w.date)).Exec(func(pgconn.CommandTag) error { return nil })
			res.Updated++
		}
		links = append(links, w)
		linked = append(linked, it)
	}
	if len(ins.key) > 0 {
		writes.Queue(insertItemsSQL, sourceID, firstSeen, ins.key, ins.hash, ins.published, ins.updated, ins.date,
			ins.url, ins.title, ins.image, ins.cats, ins.credit, ins.creditURL, ins.via, ins.author, ins.editor,
			ins.copyright, ins.summary, ins.content, ins.urlKey, ins.titleKey, ins.origKey, ins.own, ins.day,
		).Query(func(rows pgx.Rows) error {
			n := 0
			for rows.Next() {
				var id int64
				var key []byte
				if err := rows.Scan(&id, &key); err != nil {
					return fmt.Errorf("insert items: %w", err)
				}
				i, ok := ins.index[string(key)]
				if !ok {
					return fmt.Errorf("insert items: unexpected key %q", key)
				}
				links[i].id = id
				n++
			}
			if err := rows.Err(); err != nil {
				return fmt.Errorf("insert items: %w", err)
			}
			if n != len(ins.key) {
				return fmt.Errorf("insert items: %d rows for %d items", n, len(ins.key))
			}
			return nil
		})
	}
	if writes.Len() > 0 {
		if err := tx.SendBatch(ctx, &writes).Close(); err != nil {
			return res, err
		}
	}
	// The search rows, once every item has its id: one more round trip.
	var x indexer
	var index pgx.Batch
	for i, w := range links {
		if !db.noSearch {
			x.queue(&index, w.id, w.date, linked[i])
		}
	}
	if index.Len() > 0 {
		if err := tx.SendBatch(ctx, &index).Close(); err != nil {
			return res, fmt.Errorf("index items: %w", err)
		}
	}
	if err := linkStories(ctx, tx, sourceID, links); err != nil {
		return res, err
	}
	if res.Changed() {
		if err := bumpSource(ctx, tx, sourceID); err != nil {
			return res, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return res, err
	}
	return res, nil
}

func storedItems(ctx context.Context, tx pgx.Tx, sourceID string, keys []string) (map[string]stored, error) {
	rows, err := tx.Query(ctx, `SELECT key, id, hash, first_seen, published, updated, story FROM items
		WHERE source_id = $1 AND key = ANY($2)`, sourceID, byteSlices(keys))
	if err != nil {
		return nil, fmt.Errorf("read stored: %w", err)
	}
	defer rows.Close()
	m := make(map[string]stored, len(keys))
	for rows.Next() {
		var key []byte
		var s stored
		if err := rows.Scan(&key, &s.id, &s.hash, &s.firstSeen, &s.published, &s.updated, &s.story); err != nil {
			return nil, fmt.Errorf("read stored: %w", err)
		}
		m[string(key)] = s
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read stored: %w", err)
	}
	return m, nil
}

// prunedKeys returns which of keys of the source have tombstones, and
// records, once a day, that a fetch carried them again.
func prunedKeys(ctx context.Context, tx pgx.Tx, sourceID string, keys []string, now time.Time) (map[string]bool, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	got, err := queryStrings(ctx, tx, `SELECT key FROM pruned_items WHERE source_id = $1 AND key = ANY($2)`, sourceID, byteSlices(keys))
	if err != nil {
		return nil, fmt.Errorf("read tombstones: %w", err)
	}
	if len(got) == 0 {
		return nil, nil
	}
	if _, err := tx.Exec(ctx, `UPDATE pruned_items SET seen_at = $1
		WHERE source_id = $3 AND seen_at < $2 AND key = ANY($4)`,
		nanos(now), nanos(now.Add(-24*time.Hour)), sourceID, byteSlices(got)); err != nil {
		return nil, fmt.Errorf("refresh tombstones: %w", err)
	}
	pruned := make(map[string]bool, len(got))
	for _, k := range got {
		pruned[k] = true
	}
	return pruned, nil
}

// written is an item SaveItems wrote, for linking into stories.
type written struct {
	id, story, date int64
	copy            *story.Copy
}

// candidatesSQL reads the stored items that share a URL key ($1) or, dated
// between $3 and $4, a title key ($2) with the items being written, except
// those ($5). Each part probes a (day, key) index with both columns; "sort_date + 0"
// keeps the planner from ANDing the date index in, which on a day of many
// items read every row of the day (120 ms a fetch at 11,000 items a day,
// under the stories lock that every save takes).
const candidatesSQL = `SELECT id, source_id, story, sort_date, url_key, title_key, orig_key,
	url, title, credit, summary, content FROM items WHERE id IN (
		SELECT id FROM items WHERE url_key <> 0 AND day = ANY($7) AND url_key = ANY($1)
		UNION
		SELECT id FROM items WHERE title_key <> 0 AND day = ANY($6) AND title_key = ANY($2)
			AND sort_date + 0 BETWEEN $3 AND $4
		UNION
		SELECT id FROM items WHERE orig_key <> 0 AND day = ANY($6) AND orig_key = ANY($2)
			AND sort_date + 0 BETWEEN $3 AND $4
	) AND NOT (id = ANY($5))`

// linkStories links the written items of a source to the stored copies of
// their articles (story.Link), in tx, and records a change of every other
// source whose story gained a copy.
func linkStories(ctx context.Context, tx pgx.Tx, sourceID string, ws []written) error {
	if len(ws) == 0 {
		return nil
	}
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(storiesLock)); err != nil {
		return fmt.Errorf("link stories: %w", err)
	}
	cands, err := candidates(ctx, tx, ws)
	if err != nil {
		return fmt.Errorf("link stories: %w", err)
	}
	for i := range ws {
		w := &ws[i]
		w.copy.Date = fromNanos(w.date)
		cands = append(cands, story.Candidate{ID: w.id, Story: w.story, Keys: w.copy.IndexKeys(), Copy: w.copy})
	}
	plan := story.Link(cands, len(ws))
	if len(plan.Changed) == 0 {
		return nil
	}
	for _, id := range slices.Sorted(maps.Keys(plan.Set)) {
		if _, err := tx.Exec(ctx, `UPDATE items SET story = $1 WHERE id = $2`, plan.Set[id], id); err != nil {
			return fmt.Errorf("link stories: %w", err)
		}
	}
	for _, old := range slices.Sorted(maps.Keys(plan.Renamed)) {
		if _, err := tx.Exec(ctx, `UPDATE items SET story = $1 WHERE story <> 0 AND story = $2`, plan.Renamed[old], old); err != nil {
			return fmt.Errorf("link stories: %w", err)
		}
	}
	if err := bumpStorySources(ctx, tx, plan.Changed, sourceID); err != nil {
		return fmt.Errorf("link stories: %w", err)
	}
	return nil
}

func candidates(ctx context.Context, tx pgx.Tx, ws []written) ([]story.Candidate, error) {
	keys, dates, ids := make([][3]int64, len(ws)), make([]int64, len(ws)), make([]int64, len(ws))
	for i := range ws {
		keys[i], dates[i], ids[i] = ws[i].copy.IndexKeys(), ws[i].date, ws[i].id
	}
	l := story.NewLookup(keys, dates)
	if l.Empty() {
		return nil, nil
	}
	rows, err := tx.Query(ctx, candidatesSQL, l.URLKeys, l.TitleKeys, l.From, l.To, ids, l.Days, l.URLDays)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []story.Candidate
	for rows.Next() {
		var c story.Candidate
		var it hub.Item
		var date int64
		var url []byte
		if err := rows.Scan(&c.ID, &it.SourceID, &c.Story, &date, &c.Keys[0], &c.Keys[1], &c.Keys[2],
			&url, &it.Title, &it.Credit, &it.Summary, &it.Content); err != nil {
			return nil, err
		}
		it.URL = string(url)
		it.Published = fromNanos(date)
		c.Copy = story.New(&it)
		out = append(out, c)
	}
	return out, rows.Err()
}

// bumpStorySources records, in tx, a change of every source but except that
// has a copy in the stories.
func bumpStorySources(ctx context.Context, tx pgx.Tx, stories []int64, except string) error {
	sources, err := queryStrings(ctx, tx, `SELECT DISTINCT source_id FROM items WHERE story <> 0 AND story = ANY($1)
		ORDER BY source_id`, stories)
	if err != nil {
		return err
	}
	for _, src := range sources {
		if src != except {
			if err := bumpSource(ctx, tx, src); err != nil {
				return err
			}
		}
	}
	return nil
}

// Items returns the newest published items of a channel, or of all
// channels; see hub.Store. An unknown channel has no items.
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
	// One snapshot for every query below.
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	w := walk{tx: tx, latest: q.Channel == ""}
	if !w.latest {
		if w.sources, err = queryStrings(ctx, tx, `SELECT source_id FROM source_channels WHERE channel_id = $1`, q.Channel); err != nil {
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
		return storyItems(ctx, &w, start, q.Limit)
	}
	items, _, err := w.next(ctx, start, q.Limit)
	return items, err
}

// walk reads the items of one feed in the order of Items, a page at a time.
type walk struct {
	tx      pgx.Tx
	latest  bool
	sources []string
}

// Each source's newest are read from items_source_date and merged, so that
// the cost grows with the sources and the limit, never with the items.
const (
	latestSQL = `SELECT ` + itemColumns + ` FROM items
		WHERE source_id IN (SELECT source_id FROM source_channels) AND (sort_date, id) < ($1, $2)
		ORDER BY sort_date DESC, id DESC LIMIT $3`
	sourcesSQL = `SELECT i.* FROM unnest($1::text[]) AS s(source_id), LATERAL (
		SELECT ` + itemColumns + `, sort_date FROM items
		WHERE items.source_id = s.source_id AND (sort_date, id) < ($2, $3)
		ORDER BY sort_date DESC, id DESC LIMIT $4) AS i
		ORDER BY i.sort_date DESC, i.id DESC LIMIT $4`
)

// next returns the at most n items that follow position after, and the
// story of each (0: none).
func (w *walk) next(ctx context.Context, after position, n int) ([]hub.Item, []int64, error) {
	var rows pgx.Rows
	var err error
	if w.latest {
		rows, err = w.tx.Query(ctx, latestSQL, after.date, after.id, n)
	} else {
		rows, err = w.tx.Query(ctx, sourcesSQL, w.sources, after.date, after.id, n)
	}
	if err != nil {
		return nil, nil, err
	}
	return scanItems(rows, !w.latest)
}

// scanItems reads rows of itemColumns (and sort_date after them when
// extra) and closes rows.
func scanItems(rows pgx.Rows, extra bool) ([]hub.Item, []int64, error) {
	defer rows.Close()
	var items []hub.Item
	var stories []int64
	for rows.Next() {
		var it hub.Item
		var firstSeen, story, sortDate int64
		var published, updated *int64
		var cats string
		var key, url []byte
		dest := []any{&it.ID, &it.SourceID, &key, &firstSeen, &published, &updated,
			&url, &it.Title, &it.Image, &cats, &it.Credit, &it.CreditURL, &it.Via, &it.Author,
			&it.Editor, &it.Copyright, &it.Summary, &it.Content, &story, &it.Own}
		if extra {
			dest = append(dest, &sortDate)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, nil, err
		}
		it.Key, it.URL = string(key), string(url)
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
	return items, stories, rows.Err()
}

// storyItems returns the newest limit items of the walk's feed with each
// story once (hub.Query.Dedup; story.Show).
func storyItems(ctx context.Context, w *walk, start position, limit int) ([]hub.Item, error) {
	srcs := w.sources
	if w.latest {
		var err error
		if srcs, err = queryStrings(ctx, w.tx, `SELECT DISTINCT source_id FROM source_channels`); err != nil {
			return nil, err
		}
	}
	inFeed := make(map[string]bool, len(srcs))
	for _, s := range srcs {
		inFeed[s] = true
	}
	after := start
	page := func(n int) ([]hub.Item, []int64, error) {
		items, stories, err := w.next(ctx, after, n)
		if len(items) > 0 {
			last := &items[len(items)-1]
			after = position{nanos(last.Date()), last.ID}
		}
		return items, stories, err
	}
	members := func(stories []int64) (map[int64][]story.Member, error) { return storyMembers(ctx, w.tx, stories) }
	return story.Collect(limit, page, members, func(src string) bool { return inFeed[src] })
}

// storyMembers reads the copies of the stories (0 means none), by story,
// each story's in the order they were stored.
func storyMembers(ctx context.Context, tx pgx.Tx, stories []int64) (map[int64][]story.Member, error) {
	var ids []int64
	for _, s := range stories {
		if s != 0 {
			ids = append(ids, s)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := tx.Query(ctx, `SELECT story, id, source_id, key, own, url, via, credit FROM items
		WHERE story <> 0 AND story = ANY($1) ORDER BY id`, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := make(map[int64][]story.Member)
	for rows.Next() {
		var s int64
		var c story.Member
		var via, credit string
		var key, url []byte
		if err := rows.Scan(&s, &c.ID, &c.Source, &key, &c.Own, &url, &via, &credit); err != nil {
			return nil, err
		}
		c.Key, c.URL = string(key), string(url)
		c.Name = cmp.Or(via, credit)
		m[s] = append(m[s], c)
	}
	return m, rows.Err()
}

// KnownURLs reports which of urls are stored as item URLs of the source,
// or were until Prune removed their items; see hub.Store.
func (db *DB) KnownURLs(ctx context.Context, sourceID string, urls []string) (map[string]bool, error) {
	known := make(map[string]bool)
	if len(urls) == 0 {
		return known, nil
	}
	got, err := queryStrings(ctx, db.pool, `SELECT url FROM items WHERE source_id = $1 AND url = ANY($2)
		UNION SELECT url FROM pruned_items WHERE source_id = $1 AND url = ANY($2)`, sourceID, byteSlices(urls))
	if err != nil {
		return nil, fmt.Errorf("known urls %s: %w", sourceID, err)
	}
	for _, u := range got {
		known[u] = true
	}
	return known, nil
}

// querier is what pgx.Tx and *pgxpool.Pool share for reading.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// queryStrings runs a query of one text or bytea column.
func queryStrings(ctx context.Context, q querier, sql string, args ...any) ([]string, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (string, error) {
		var b []byte
		err := r.Scan(&b)
		return string(b), err
	})
}

// byteSlices passes keys and URLs as BYTEA, byte for byte.
func byteSlices(ss []string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
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
func sortDate(published, updated *int64, firstSeen int64) int64 {
	switch {
	case published != nil:
		return *published
	case updated != nil:
		return *updated
	}
	return firstSeen
}
