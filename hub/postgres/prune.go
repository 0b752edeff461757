package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan-hub/yizhan/hub"
)

// pruneBatchSQL selects the oldest items of a source ($1) before a position
// (sort_date $2, id $3) in the order of Items, at most $4 of them.
const pruneBatchSQL = `SELECT id FROM items WHERE source_id = $1 AND (sort_date, id) < ($2, $3)
	ORDER BY sort_date, id LIMIT $4`

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

// sourcePlan is what Prune removes of one source: the items before cut.
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
		tag, err := db.pool.Exec(ctx, `DELETE FROM pruned_items WHERE (source_id, key) IN (
			SELECT source_id, key FROM pruned_items WHERE seen_at < $1 LIMIT $2)`,
			nanos(now.Add(-hub.TombstoneTTL)), hub.PruneBatch)
		if err != nil {
			return res, fmt.Errorf("forget tombstones: %w", err)
		}
		res.Forgotten += int(tag.RowsAffected())
		if tag.RowsAffected() < hub.PruneBatch {
			return res, nil
		}
	}
}

// prunePlans works out, on one snapshot, where each source's items stop
// being kept by every channel it feeds.
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
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	rows, err := tx.Query(ctx, `SELECT source_id, channel_id FROM source_channels ORDER BY source_id, channel_id COLLATE "C"`)
	if err != nil {
		return nil, err
	}
	feeds := make(map[string][]string)
	members := make(map[string][]string)
	for rows.Next() {
		var src, ch string
		if err := rows.Scan(&src, &ch); err != nil {
			rows.Close()
			return nil, err
		}
		feeds[src] = append(feeds[src], ch)
		members[ch] = append(members[ch], src)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	cuts := make(map[string]position)
	for id, c := range policy {
		if len(members[id]) == 0 {
			continue
		}
		cut, limited := position{math.MinInt64, math.MinInt64}, false
		if c.KeepDays > 0 {
			cut, limited = position{nanos(now.Add(-time.Duration(c.KeepDays) * 24 * time.Hour)), math.MinInt64}, true
		}
		if c.KeepItems > 0 {
			w := walk{tx: tx, sources: members[id]}
			kept, _, err := w.next(ctx, top, c.KeepItems)
			if err != nil {
				return nil, fmt.Errorf("channel %s: %w", id, err)
			}
			if len(kept) == c.KeepItems {
				last := kept[len(kept)-1]
				if p := (position{nanos(last.Date()), last.ID}); cut.before(p) {
					cut, limited = p, true
				}
			}
		}
		if limited {
			cuts[id] = cut
		}
	}
	var plans []sourcePlan
	for _, src := range slices.Sorted(maps.Keys(feeds)) {
		p := sourcePlan{source: src, channels: feeds[src], cut: top}
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
		plans = append(plans, p)
	}
	return plans, nil
}

// floorPosition returns the position of the source's floor-th newest item,
// in the order of Items; ok is false when it has fewer items.
func floorPosition(ctx context.Context, tx pgx.Tx, source string, floor int) (p position, ok bool, err error) {
	err = tx.QueryRow(ctx, `SELECT sort_date, id FROM items WHERE source_id = $1
		ORDER BY sort_date DESC, id DESC OFFSET $2 LIMIT 1`, source, floor-1).Scan(&p.date, &p.id)
	if errors.Is(err, pgx.ErrNoRows) {
		return p, false, nil
	}
	return p, err == nil, err
}

func (p position) before(q position) bool {
	return p.date < q.date || p.date == q.date && p.id < q.id
}

// pruneBatch removes, in one transaction, up to hub.PruneBatch of the oldest
// items before p.cut, leaving their tombstones. It returns how many it removed.
func (db *DB) pruneBatch(ctx context.Context, p sourcePlan, now time.Time) (int, error) {
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, sourceLockSQL, p.source); err != nil {
		return 0, err
	}
	chans, err := queryStrings(ctx, tx, `SELECT channel_id FROM source_channels WHERE source_id = $1 ORDER BY channel_id COLLATE "C"`, p.source)
	if err != nil {
		return 0, err
	}
	if !slices.Equal(chans, p.channels) {
		return 0, nil // a reload changed the source's channels: the next Prune plans again
	}
	cut := p.cut
	if p.floor > 0 {
		// Since the plan, a fetch may have re-dated an item of the floor
		// older: the floor is read again under the source's lock.
		f, ok, err := floorPosition(ctx, tx, p.source, p.floor)
		if err != nil || !ok {
			return 0, err
		}
		if f.before(cut) {
			cut = f
		}
	}
	rows, err := tx.Query(ctx, `DELETE FROM items WHERE id IN (`+pruneBatchSQL+`) RETURNING key, url, story`,
		p.source, cut.date, cut.id, hub.PruneBatch)
	if err != nil {
		return 0, err
	}
	type gone struct {
		key, url []byte
		story    int64
	}
	removed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (gone, error) {
		var g gone
		err := r.Scan(&g.key, &g.url, &g.story)
		return g, err
	})
	if err != nil || len(removed) == 0 {
		return 0, err
	}
	var stories []int64
	for _, g := range removed {
		if _, err := tx.Exec(ctx, `INSERT INTO pruned_items (source_id, key, url, pruned_at, seen_at)
			VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (source_id, key) DO UPDATE SET
				url = excluded.url, pruned_at = excluded.pruned_at, seen_at = excluded.seen_at`,
			p.source, g.key, g.url, nanos(now)); err != nil {
			return 0, fmt.Errorf("tombstones: %w", err)
		}
		if g.story != 0 && !slices.Contains(stories, g.story) {
			stories = append(stories, g.story)
		}
	}
	if err := bumpSource(ctx, tx, p.source); err != nil {
		return 0, err
	}
	if len(stories) > 0 {
		if err := bumpStorySources(ctx, tx, stories, p.source); err != nil {
			return 0, err
		}
	}
	if err := tx.Commit(ctx); err != nil {
		return 0, err
	}
	return len(removed), nil
}
