package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan-hub/yizhan/hub"
	"github.com/yizhan-hub/yizhan/hub/story"
)

var _ hub.Copier = (*DB)(nil)

// Dump passes the whole database to fn in batches; see hub.Copier. It reads
// one snapshot.
func (db *DB) Dump(ctx context.Context, batch int, fn func(hub.Dump) error) error {
	if err := db.dump(ctx, max(batch, 1), fn); err != nil {
		return fmt.Errorf("dump: %w", err)
	}
	return nil
}

func (db *DB) dump(ctx context.Context, batch int, fn func(hub.Dump) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	first := hub.Dump{Sources: make(map[string][]string)}
	rows, err := tx.Query(ctx, `SELECT source_id, channel_id FROM source_channels ORDER BY source_id, channel_id COLLATE "C"`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var src, ch string
		if err := rows.Scan(&src, &ch); err != nil {
			rows.Close()
			return err
		}
		first.Sources[src] = append(first.Sources[src], ch)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	srcs, err := queryStrings(ctx, tx, `SELECT source_id FROM fetch_state ORDER BY source_id COLLATE "C"`)
	if err != nil {
		return err
	}
	for _, src := range srcs {
		st, err := fetchState(ctx, tx, src)
		if err != nil {
			return err
		}
		first.States = append(first.States, st)
	}
	rows, err = tx.Query(ctx, `SELECT source_id, key, url, pruned_at, seen_at FROM pruned_items ORDER BY source_id, key`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var ts hub.Tombstone
		var key, url []byte
		var pruned, seen int64
		if err := rows.Scan(&ts.SourceID, &key, &url, &pruned, &seen); err != nil {
			rows.Close()
			return err
		}
		ts.Key, ts.URL = string(key), string(url)
		ts.PrunedAt, ts.SeenAt = fromNanos(pruned), fromNanos(seen)
		first.Tombstones = append(first.Tombstones, ts)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if err := fn(first); err != nil {
		return err
	}
	for after := int64(0); ; {
		rows, err := tx.Query(ctx, `SELECT `+itemColumns+` FROM items WHERE id > $1 ORDER BY id LIMIT $2`, after, batch)
		if err != nil {
			return err
		}
		items, stories, err := scanItems(rows, false)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			return nil
		}
		after = items[len(items)-1].ID
		if err := fn(hub.Dump{Items: items, Stories: stories}); err != nil {
			return err
		}
	}
}

// Load stores a batch of a dump in one transaction; see hub.Copier.
func (db *DB) Load(ctx context.Context, d hub.Dump) error {
	if err := db.load(ctx, d); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	return nil
}

func (db *DB) load(ctx context.Context, d hub.Dump) error {
	if d.Sources != nil {
		if err := db.SyncSources(ctx, d.Sources); err != nil {
			return err
		}
	}
	for _, st := range d.States {
		if err := db.SaveFetchState(ctx, st); err != nil {
			return err
		}
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for _, ts := range d.Tombstones {
		if _, err := tx.Exec(ctx, `INSERT INTO pruned_items (source_id, key, url, pruned_at, seen_at)
			VALUES ($1, $2, $3, $4, $5)`, ts.SourceID, []byte(ts.Key), []byte(ts.URL), nanos(ts.PrunedAt), nanos(ts.SeenAt)); err != nil {
			return fmt.Errorf("tombstone %s %q: %w", ts.SourceID, ts.Key, err)
		}
	}
	sources := make(map[string]bool)
	var x indexer
	for i := range d.Items {
		it := &d.Items[i]
		hub.ValidText(it) // text SQLite kept from before PrepareSave made it valid
		sum := sha256.Sum256(hub.AppendHashed(nil, it))
		cats, err := encodeCategories(it.Categories)
		if err != nil {
			return err
		}
		published, updated := nullNanos(it.Published), nullNanos(it.Updated)
		k := story.New(it).IndexKeys()
		var s int64
		if i < len(d.Stories) {
			s = d.Stories[i]
		}
		firstSeen := nanos(it.FirstSeen)
		if _, err := tx.Exec(ctx, `INSERT INTO items (id, source_id, key, hash, first_seen, published, updated, sort_date,
			url, title, image, categories, credit, credit_url, via, author, editor, copyright, summary, content,
			url_key, title_key, orig_key, own, story, day)
			OVERRIDING SYSTEM VALUE
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)`,
			it.ID, it.SourceID, []byte(it.Key), sum[:16], firstSeen, published, updated, sortDate(published, updated, firstSeen),
			[]byte(it.URL), it.Title, it.Image, cats, it.Credit, it.CreditURL, it.Via,
			it.Author, it.Editor, it.Copyright, it.Summary, it.Content,
			k[0], k[1], k[2], it.Own, s, story.Day(sortDate(published, updated, firstSeen))); err != nil {
			return fmt.Errorf("item %d: %w", it.ID, err)
		}
		if err := x.index(ctx, tx, it.ID, sortDate(published, updated, firstSeen), it); err != nil {
			return err
		}
		sources[it.SourceID] = true
	}
	if len(d.Items) > 0 {
		// Items saved after the copy get ids after the copied ones.
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('items', 'id'), (SELECT max(id) FROM items))`); err != nil {
			return err
		}
	}
	for src := range sources {
		if err := bumpSource(ctx, tx, src); err != nil {
			return err
		}
	}
	return tx.Commit(ctx)
}

// Counts reports how many items, fetch states and tombstones the database
// holds; see hub.Copier.
func (db *DB) Counts(ctx context.Context) (hub.Counts, error) {
	var c hub.Counts
	var items, states, tombstones int64
	err := db.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM fetch_state),
		(SELECT count(*) FROM pruned_items)`).Scan(&items, &states, &tombstones)
	if err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	return hub.Counts{Items: int(items), States: int(states), Tombstones: int(tombstones)}, nil
}
