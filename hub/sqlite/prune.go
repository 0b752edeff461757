package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// pruneBatchSQL selects the oldest items of a source (?1) before a position
// (sort_date ?2, id ?3) in the order of Items, at most ?4 of them, oldest
// first: a forward walk of items_source_date, whose entries end with the id.
// Within one transaction it selects the same rows each time it runs.
const pruneBatchSQL = `SELECT id FROM items INDEXED BY items_source_date
	WHERE source_id = ?1 AND sort_date <= ?2 AND (sort_date < ?2 OR id < ?3)
	ORDER BY sort_date, id LIMIT ?4`

// tombstoneSQL records the items pruneItemsSQL is about to remove, at ?5.
// The keys and URLs go from row to row inside SQLite, byte for byte.
const tombstoneSQL = `INSERT INTO pruned_items (source_id, key, url, pruned_at, seen_at)
	SELECT source_id, key, url, ?5, ?5 FROM items WHERE id IN (` + pruneBatchSQL + `)
	ON CONFLICT (source_id, key) DO UPDATE SET
		url = excluded.url, pruned_at = excluded.pruned_at, seen_at = excluded.seen_at`

// pruneItemsSQL removes the items of pruneBatchSQL.
const pruneItemsSQL = `DELETE FROM items WHERE id IN (` + pruneBatchSQL + `)`

// prunedStoriesSQL reads the stories of the items of pruneBatchSQL: the
// other copies of each lose a carrier.
const prunedStoriesSQL = `SELECT json_group_array(DISTINCT story) FROM items
	WHERE story != 0 AND id IN (` + pruneBatchSQL + `)`

// forgetSQL drops at most ?2 tombstones no fetch has carried since ?1.
const forgetSQL = `DELETE FROM pruned_items WHERE (source_id, key) IN (
	SELECT source_id, key FROM pruned_items INDEXED BY pruned_items_seen
	WHERE seen_at < ?1 LIMIT ?2)`

// prunedKeysSQL reads which of n keys of a source have tombstones.
func prunedKeysSQL(n int) string {
	return `SELECT key FROM pruned_items WHERE source_id = ? AND key IN (` + placeholders(n) + `)`
}

// seenSQL records that a fetch carried n tombstoned keys again, once a day:
// ?1 is now, ?2 a day before, ?3 the source.
func seenSQL(n int) string {
	return `UPDATE pruned_items SET seen_at = ?1
		WHERE source_id = ?3 AND seen_at < ?2 AND key IN (` + placeholders(n) + `)`
}

// Prune removes the items beyond each source's floor newest that no
// channel keeps, in batches of hub.PruneBatch, leaving tombstones; see
// hub.Store.
func (db *DB) Prune(ctx context.Context, channels []hub.Channel, floor int, now time.Time) (hub.PruneResult, error) {
	res, err := db.prune(ctx, channels, floor, now)
	if err != nil {
		return res, fmt.Errorf("prune: %w", err)
	}
	return res, nil
}

// sourcePlan is what Prune removes of one source: the items before cut,
// which is never above the source's floor-th newest item. It holds for the
// channels the source fed when it was made.
type sourcePlan struct {
	source   string
	channels []string
	cut      position
	floor    int // the newest items that stay; 0: none
}

func (db *DB) prune(ctx context.Context, channels []hub.Channel, floor int, now time.Time) (hub.PruneResult, error) {
	var res hub.PruneResult
	plans, err := db.prunePlans(ctx, channels, floor, now)
	if err != nil {
		return res, err
	}
	for _, p := range plans {
		for {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			n, err := db.pruneBatch(ctx, p, now)
			if err != nil {
				return res, fmt.Errorf("source %s: %w", p.source, err)
			}
			if n > 0 {
				if res.Sources == nil {
					res.Sources = make(map[string]int)
				}
				res.Sources[p.source] += n
				res.Removed += n
			}
			if n < hub.PruneBatch {
				break
			}
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		r, err := db.w.ExecContext(ctx, forgetSQL, nanos(now.Add(-hub.TombstoneTTL)), hub.PruneBatch)
		if err != nil {
			return res, fmt.Errorf("forget tombstones: %w", err)
		}
		n, err := r.RowsAffected()
		if err != nil {
			return res, fmt.Errorf("forget tombstones: %w", err)
		}
		res.Forgotten += int(n)
		if n < hub.PruneBatch {
			return res, nil
		}
	}
}

// prunePlans works out, on one snapshot, where each source's items stop
// being kept by every channel it feeds and by the floor. Sources whose
// items all stay have no plan.
func (db *DB) prunePlans(ctx context.Context, channels []hub.Channel, floor int, now time.Time) ([]sourcePlan, error) {
	policy := make(map[string]hub.Channel, len(channels))
	for _, c := range channels {
		if c.KeepDays > 0 || c.KeepItems > 0 {
			policy[c.ID] = c
		}
	}
	if len(policy) == 0 {
		return nil, nil
	}

	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `SELECT source_id, channel_id FROM source_channels ORDER BY source_id, channel_id`)
	if err != nil {
		return nil, err
	}
	feeds := make(map[string][]string)   // source → its channels
	members := make(map[string][]string) // channel → its sources
	for rows.Next() {
		var src, ch string
		if err := rows.Scan(&src, &ch); err != nil {
			rows.Close()
			return nil, err
		}
		feeds[src] = append(feeds[src], ch)
		members[ch] = append(members[ch], src)
	}
	if err := rows.Close(); err != nil {
		return nil, err
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// cuts[c] is where channel c stops keeping; absent, c keeps everything.
	cuts := make(map[string]position)
	newest := tx.StmtContext(ctx, db.sourceNewest)
	for id, c := range policy {
		if len(members[id]) == 0 {
			continue
		}
		cut, limited := position{math.MinInt64, math.MinInt64}, false
		if c.KeepDays > 0 {
			cut, limited = position{nanos(now.Add(-time.Duration(c.KeepDays) * 24 * time.Hour)), math.MinInt64}, true
		}
		if c.KeepItems > 0 {
			kept, err := newestPositions(ctx, newest, members[id], top, c.KeepItems)
			if err != nil {
				return nil, fmt.Errorf("channel %s: %w", id, err)
			}
			// With fewer than KeepItems, the count keeps them all.
			if len(kept) == c.KeepItems && cut.before(kept[len(kept)-1]) {
				cut, limited = kept[len(kept)-1], true
			}
		}
		if limited {
			cuts[id] = cut
		}
	}

	var plans []sourcePlan
	for _, src := range slices.Sorted(maps.Keys(feeds)) {
		p := sourcePlan{source: src, channels: feeds[src], cut: position{math.MaxInt64, math.MaxInt64}}
		for _, ch := range p.channels {
			cut, ok := cuts[ch]
			if !ok {
				p.channels = nil // one channel keeps everything
				break
			}
			if cut.before(p.cut) {
				p.cut = cut
			}
		}
		if p.channels == nil {
			continue
		}
		if floor > 0 {
			// The floor-th newest item and those above it stay whatever
			// the channels say; each batch checks again.
			p.floor = floor
			f, ok, err := floorPosition(ctx, tx, src, floor)
			if err != nil {
				return nil, fmt.Errorf("source %s: %w", src, err)
			}
			if !ok {
				continue
			}
			if f.before(p.cut) {
				p.cut = f
			}
		}
		// A source with nothing before its cut (a quiet one at its floor)
		// needs no write transaction.
		var first int64
		err := tx.QueryRowContext(ctx, pruneBatchSQL, src, p.cut.date, p.cut.id, 1).Scan(&first)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", src, err)
		}
		plans = append(plans, p)
	}
	return plans, nil
}

// pruneBatch removes, in one immediate transaction, up to hub.PruneBatch of
// the oldest items before p.cut, leaving their tombstones. It returns how
// many it removed.
func (db *DB) pruneBatch(ctx context.Context, p sourcePlan, now time.Time) (int, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()

	rows, err := tx.QueryContext(ctx, `SELECT channel_id FROM source_channels WHERE source_id = ? ORDER BY channel_id`, p.source)
	if err != nil {
		return 0, err
	}
	chans, err := collectStrings(rows)
	if err != nil {
		return 0, err
	}
	if !slices.Equal(chans, p.channels) {
		// A reload changed the source's channels since the plan was
		// made, and perhaps what they keep: the next Prune plans again.
		return 0, nil
	}

	cut := p.cut
	if p.floor > 0 {
		// Since the plan, a fetch may have re-dated an item of the floor
		// older: the floor is read again under the write lock.
		f, ok, err := floorPosition(ctx, tx, p.source, p.floor)
		if err != nil || !ok {
			return 0, err
		}
		if f.before(cut) {
			cut = f
		}
	}
	args := []any{p.source, cut.date, cut.id, hub.PruneBatch, nanos(now)}
	var stories string
	if err := tx.QueryRowContext(ctx, prunedStoriesSQL, args[:4]...).Scan(&stories); err != nil {
		return 0, fmt.Errorf("stories: %w", err)
	}
	if _, err := tx.ExecContext(ctx, tombstoneSQL, args...); err != nil {
		return 0, fmt.Errorf("tombstones: %w", err)
	}
	res, err := tx.ExecContext(ctx, pruneItemsSQL, args[:4]...)
	if err != nil {
		return 0, err
	}
	removed, err := res.RowsAffected()
	if err != nil || removed == 0 {
		return 0, err
	}
	if err := bumpSource(ctx, tx, p.source); err != nil {
		return 0, err
	}
	if stories != "[]" {
		if err := bumpStorySources(ctx, tx, stories, p.source); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return int(removed), nil
}

// floorPosition returns the position of the source's floor-th newest
// item, in the order of Items; ok is false when it has fewer items.
func floorPosition(ctx context.Context, tx *sql.Tx, source string, floor int) (p position, ok bool, err error) {
	rows, err := tx.QueryContext(ctx, sourceNewestSQL, source, top.date, top.id, floor)
	if err != nil {
		return p, false, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		if err := rows.Scan(&p.date, &p.id); err != nil {
			return p, false, err
		}
		n++
	}
	return p, n == floor, rows.Err()
}

// prunedKeys returns which of keys of the source have tombstones, and
// records that a fetch carried them again.
func prunedKeys(ctx context.Context, tx *sql.Tx, sourceID string, keys []string, now time.Time) (map[string]bool, error) {
	pruned := make(map[string]bool)
	for chunk := range slices.Chunk(keys, maxParams) {
		args := make([]any, 0, 3+len(chunk))
		args = append(args, sourceID)
		for _, k := range chunk {
			args = append(args, k)
		}
		rows, err := tx.QueryContext(ctx, prunedKeysSQL(len(chunk)), args...)
		if err != nil {
			return nil, fmt.Errorf("read tombstones: %w", err)
		}
		got, err := collectStrings(rows)
		if err != nil {
			return nil, fmt.Errorf("read tombstones: %w", err)
		}
		if len(got) == 0 {
			continue
		}
		args = append(args[:0], nanos(now), nanos(now.Add(-24*time.Hour)), sourceID)
		for _, k := range got {
			pruned[k] = true
			args = append(args, k)
		}
		if _, err := tx.ExecContext(ctx, seenSQL(len(got)), args...); err != nil {
			return nil, fmt.Errorf("refresh tombstones: %w", err)
		}
	}
	return pruned, nil
}
