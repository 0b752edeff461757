package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"

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
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	first := hub.Dump{Sources: make(map[string][]string)}
	rows, err := tx.QueryContext(ctx, `SELECT source_id, channel_id FROM source_channels ORDER BY source_id, channel_id`)
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
	if err := rows.Close(); err != nil {
		return err
	}
	rows, err = tx.QueryContext(ctx, `SELECT source_id FROM fetch_state ORDER BY source_id`)
	if err != nil {
		return err
	}
	srcs, err := collectStrings(rows)
	if err != nil {
		return err
	}
	for _, src := range srcs {
		st := hub.FetchState{SourceID: src}
		if err := scanFetchState(tx.QueryRowContext(ctx, `SELECT `+fetchStateColumns+` FROM fetch_state WHERE source_id = ?`, src), &st); err != nil {
			return err
		}
		first.States = append(first.States, st)
	}
	rows, err = tx.QueryContext(ctx, `SELECT source_id, key, url, pruned_at, seen_at FROM pruned_items ORDER BY source_id, key`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var ts hub.Tombstone
		var pruned, seen int64
		if err := rows.Scan(&ts.SourceID, &ts.Key, &ts.URL, &pruned, &seen); err != nil {
			rows.Close()
			return err
		}
		ts.PrunedAt, ts.SeenAt = fromNanos(pruned), fromNanos(seen)
		first.Tombstones = append(first.Tombstones, ts)
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := fn(first); err != nil {
		return err
	}
	for after := int64(0); ; {
		rows, err := tx.QueryContext(ctx, `SELECT `+itemColumns+` FROM items WHERE id > ? ORDER BY id LIMIT ?`, after, batch)
		if err != nil {
			return err
		}
		items, stories, err := scanItems(rows, batch)
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
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, ts := range d.Tombstones {
		if _, err := tx.ExecContext(ctx, `INSERT INTO pruned_items (source_id, key, url, pruned_at, seen_at)
			VALUES (?, ?, ?, ?, ?)`, ts.SourceID, ts.Key, ts.URL, nanos(ts.PrunedAt), nanos(ts.SeenAt)); err != nil {
			return fmt.Errorf("tombstone %s %q: %w", ts.SourceID, ts.Key, err)
		}
	}
	var pk packer
	sources := make(map[string]bool)
	for i := range d.Items {
		it := &d.Items[i]
		sum := sha256.Sum256(hub.AppendHashed(nil, it))
		cats, err := encodeCategories(it.Categories)
		if err != nil {
			return err
		}
		published, updated := nullNanos(it.Published), nullNanos(it.Updated)
		summary, content := it.Summary, it.Content
		packed := pk.pack(summary, content)
		if packed != nil {
			summary, content = "", ""
		} else {
			packed = []byte{}
		}
		k := story.New(it).IndexKeys()
		var s int64
		if i < len(d.Stories) {
			s = d.Stories[i]
		}
		firstSeen := nanos(it.FirstSeen)
		if _, err := tx.ExecContext(ctx, `INSERT INTO items (id, source_id, key, hash, first_seen, published, updated, sort_date,
			url, title, image, categories, credit, credit_url, via, author, editor, copyright, summary, content, packed,
			url_key, title_key, orig_key, own, story, day)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			it.ID, it.SourceID, it.Key, sum[:16], firstSeen, published, updated, sortDate(published, updated, firstSeen),
			it.URL, it.Title, it.Image, cats, it.Credit, it.CreditURL, it.Via, it.Author, it.Editor, it.Copyright,
			summary, content, packed, k[0], k[1], k[2], it.Own, s, story.Day(sortDate(published, updated, firstSeen))); err != nil {
			return fmt.Errorf("item %d: %w", it.ID, err)
		}
		sources[it.SourceID] = true
	}
	for src := range sources {
		if err := bumpSource(ctx, tx, src); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	db.idx.kick()
	return nil
}

// Counts reports how many items, fetch states and tombstones the database
// holds; see hub.Copier.
func (db *DB) Counts(ctx context.Context) (hub.Counts, error) {
	var c hub.Counts
	err := db.r.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM fetch_state),
		(SELECT count(*) FROM pruned_items)`).Scan(&c.Items, &c.States, &c.Tombstones)
	if err != nil {
		return c, fmt.Errorf("counts: %w", err)
	}
	return c, nil
}
