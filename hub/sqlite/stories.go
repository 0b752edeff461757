package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/story"
)

// Stories (hub.Query.Dedup). SaveItems keys each item it writes by
// story.URLKey and story.TitleKey (migration 0008) and links it to the
// stored copies found under the same keys: an item's story is the id of its
// story's first-stored copy, 0 while it is alone.

// candidatesSQL reads the stored items that share a URL key (?1) on the
// days ?7, or a title key (?2) on the days ?6 and dated between ?3 and ?4,
// with the items being written, except those (?5): JSON arrays of
// integers. Each branch seeks each key on each day in a partial index,
// whose condition it repeats so that SQLite may use it.
const candidatesSQL = `SELECT id, source_id, story, sort_date, url_key, title_key, orig_key,
	url, title, credit, summary, content, packed FROM items WHERE id IN (
		SELECT id FROM items WHERE url_key != 0 AND day IN (SELECT value FROM json_each(?7))
			AND url_key IN (SELECT value FROM json_each(?1))
		UNION
		SELECT id FROM items WHERE title_key != 0 AND day IN (SELECT value FROM json_each(?6))
			AND title_key IN (SELECT value FROM json_each(?2)) AND sort_date BETWEEN ?3 AND ?4
		UNION
		SELECT id FROM items WHERE orig_key != 0 AND day IN (SELECT value FROM json_each(?6))
			AND orig_key IN (SELECT value FROM json_each(?2)) AND sort_date BETWEEN ?3 AND ?4
	) AND id NOT IN (SELECT value FROM json_each(?5))`

// storyMembersSQL reads the copies of the stories in a JSON array.
const storyMembersSQL = `SELECT story, id, source_id, key, own, url, via, credit FROM items
	WHERE story != 0 AND story IN (SELECT value FROM json_each(?))`

// storySourcesSQL reads which sources have copies of the stories in a JSON array.
const storySourcesSQL = `SELECT DISTINCT source_id FROM items
	WHERE story != 0 AND story IN (SELECT value FROM json_each(?))`

// written is an item SaveItems wrote, for linking into stories.
type written struct {
	id                 int64 // 0 until a new item is inserted
	story              int64 // as stored before this save
	date               int64 // sort_date
	published, updated sql.NullInt64
	it                 *hub.Item
	copy               *story.Copy // nil when stories are off
}

// storyCopy returns the matching form of an item of the source, nil when
// stories are off (a benchmark's baseline).
func (db *DB) storyCopy(sourceID string, it *hub.Item) *story.Copy {
	if db.noStories {
		return nil
	}
	c := story.New(it)
	c.SourceID = sourceID
	return c
}

// keys returns the item's url_key, title_key and orig_key.
func (w *written) keys() [3]int64 {
	if w.copy == nil {
		return [3]int64{}
	}
	return w.copy.IndexKeys()
}

// linkStories links the written items of a source to the stored copies of
// their articles (story.Link), in tx, and records a change of every other
// source whose story gained a copy.
// cands are the stored copies candidates found before ws were written.
func (db *DB) linkStories(ctx context.Context, tx *sql.Tx, sourceID string, ws []*written, cands []story.Candidate) error {
	if len(ws) == 0 {
		return nil
	}
	for _, w := range ws {
		w.copy.Date = fromNanos(w.date)
		cands = append(cands, story.Candidate{ID: w.id, Story: w.story, Keys: w.keys(), Copy: w.copy})
	}
	plan := story.Link(cands, len(ws))
	if len(plan.Changed) == 0 {
		return nil
	}
	for _, id := range slices.Sorted(maps.Keys(plan.Set)) {
		if _, err := tx.ExecContext(ctx, `UPDATE items SET story = ? WHERE id = ?`, plan.Set[id], id); err != nil {
			return fmt.Errorf("link stories: %w", err)
		}
	}
	// The copies of a story merged into another that were not candidates.
	// story != 0 lets SQLite use the partial index items_story.
	for _, old := range slices.Sorted(maps.Keys(plan.Renamed)) {
		if _, err := tx.ExecContext(ctx, `UPDATE items SET story = ?1 WHERE story != 0 AND story = ?2`, plan.Renamed[old], old); err != nil {
			return fmt.Errorf("link stories: %w", err)
		}
	}
	if err := bumpStorySources(ctx, tx, jsonInts(plan.Changed), sourceID); err != nil {
		return fmt.Errorf("link stories: %w", err)
	}
	return nil
}

// bumpStorySources records, in tx, a change of every source but except
// that has a copy in the stories of a JSON array.
func bumpStorySources(ctx context.Context, tx *sql.Tx, stories string, except string) error {
	rows, err := tx.QueryContext(ctx, storySourcesSQL, stories)
	if err != nil {
		return err
	}
	sources, err := collectStrings(rows)
	if err != nil {
		return err
	}
	for _, src := range sources {
		if src == except {
			continue // the caller records its own source's change
		}
		if err := bumpSource(ctx, tx, src); err != nil {
			return err
		}
	}
	return nil
}

// candidates reads the stored items, other than ws themselves, that share
// a key with ws, within story.Window of their dates for title keys.
func (db *DB) candidates(ctx context.Context, tx *sql.Tx, ws []*written) ([]story.Candidate, error) {
	keys, dates, ids := make([][3]int64, len(ws)), make([]int64, len(ws)), []int64{}
	for i, w := range ws {
		keys[i], dates[i] = w.keys(), w.date
		if w.id != 0 {
			ids = append(ids, w.id)
		}
	}
	l := story.NewLookup(keys, dates)
	if l.Empty() {
		return nil, nil
	}
	rows, err := tx.StmtContext(ctx, db.candidatesStmt).QueryContext(ctx, jsonInts(l.URLKeys), jsonInts(l.TitleKeys),
		l.From, l.To, jsonInts(ids), jsonInts(l.Days), jsonInts(l.URLDays))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []story.Candidate
	for rows.Next() {
		var c story.Candidate
		var it hub.Item
		var date int64
		var packed sql.RawBytes
		if err := rows.Scan(&c.ID, &it.SourceID, &c.Story, &date, &c.Keys[0], &c.Keys[1], &c.Keys[2],
			&it.URL, &it.Title, &it.Credit, &it.Summary, &it.Content, &packed); err != nil {
			return nil, err
		}
		if len(packed) > 0 {
			if it.Summary, it.Content, err = unpack(packed); err != nil {
				return nil, fmt.Errorf("item %d: %w", c.ID, err)
			}
		}
		it.Published = fromNanos(date)
		c.Copy = story.New(&it)
		out = append(out, c)
	}
	return out, rows.Err()
}

// storyItems returns the newest limit items of the walk's feed with each
// story once (hub.Query.Dedup): a copy is shown only when it is the
// representative of its story among the feed's copies (story.Show); the
// walk reads on until it has limit of them or the feed ends.
func (db *DB) storyItems(ctx context.Context, w *walk, start position, limit int) ([]hub.Item, error) {
	inFeed, err := w.feedSources(ctx)
	if err != nil {
		return nil, err
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
	members := func(stories []int64) (map[int64][]story.Member, error) { return db.storyMembers(ctx, w.tx, stories) }
	return story.Collect(limit, page, members, func(src string) bool { return inFeed[src] })
}

// feedSources returns the sources whose items the walk's feed shows.
func (w *walk) feedSources(ctx context.Context) (map[string]bool, error) {
	srcs := w.sources
	if w.latest {
		rows, err := w.tx.QueryContext(ctx, `SELECT DISTINCT source_id FROM source_channels`)
		if err != nil {
			return nil, err
		}
		if srcs, err = collectStrings(rows); err != nil {
			return nil, err
		}
	}
	m := make(map[string]bool, len(srcs))
	for _, s := range srcs {
		m[s] = true
	}
	return m, nil
}

// storyMembers reads the copies of the stories (0 means none), by story,
// each story's in the order they were stored.
func (db *DB) storyMembers(ctx context.Context, tx *sql.Tx, stories []int64) (map[int64][]story.Member, error) {
	var ids []int64
	for _, s := range stories {
		if s != 0 {
			ids = append(ids, s)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	slices.Sort(ids)
	rows, err := tx.QueryContext(ctx, storyMembersSQL, jsonInts(slices.Compact(ids)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	m := make(map[int64][]story.Member)
	for rows.Next() {
		var s int64
		var c story.Member
		var via, credit string
		if err := rows.Scan(&s, &c.ID, &c.Source, &c.Key, &c.Own, &c.URL, &via, &credit); err != nil {
			return nil, err
		}
		c.Name = cmp.Or(via, credit)
		m[s] = append(m[s], c)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, ms := range m {
		slices.SortFunc(ms, func(a, b story.Member) int { return cmp.Compare(a.ID, b.ID) })
	}
	return m, nil
}

// jsonInts writes ids as a JSON array, for json_each.
func jsonInts(ids []int64) string {
	b := make([]byte, 0, 2+len(ids)*20)
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}
