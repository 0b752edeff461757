package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/yizhan-hub/yizhan/hub"
)

// SyncSources replaces the record of which channels each source feeds; see
// hub.Store.
func (db *DB) SyncSources(ctx context.Context, channels map[string][]string) error {
	if err := db.syncSources(ctx, channels); err != nil {
		return fmt.Errorf("sync sources: %w", err)
	}
	return nil
}

func (db *DB) syncSources(ctx context.Context, channels map[string][]string) error {
	type pair struct{ channel, source string }
	want := make(map[pair]bool)
	for src, chans := range channels {
		if src == "" {
			return errors.New("empty source id")
		}
		for _, ch := range chans {
			if ch == "" {
				return fmt.Errorf("source %s: empty channel id", src)
			}
			want[pair{ch, src}] = true
		}
	}
	tx, err := db.pool.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	// Replicas starting together sync the same configuration: one at a time.
	if _, err := tx.Exec(ctx, `LOCK TABLE source_channels IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT channel_id, source_id FROM source_channels`)
	if err != nil {
		return err
	}
	have, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pair, error) {
		var p pair
		err := r.Scan(&p.channel, &p.source)
		return p, err
	})
	if err != nil {
		return err
	}
	same := len(have) == len(want)
	for _, p := range have {
		same = same && want[p]
	}
	if same {
		return nil
	}
	if _, err := tx.Exec(ctx, `DELETE FROM source_channels`); err != nil {
		return err
	}
	for _, src := range slices.Sorted(maps.Keys(channels)) {
		for _, ch := range slices.Compact(slices.Sorted(slices.Values(channels[src]))) {
			if _, err := tx.Exec(ctx, `INSERT INTO source_channels (channel_id, source_id) VALUES ($1, $2)`, ch, src); err != nil {
				return fmt.Errorf("source %s: %w", src, err)
			}
		}
	}
	if err := bumpAll(ctx, tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

const fetchStateColumns = `etag, last_modified, body_hash, url, last_try, last_success, last_error, failures, next_try,
	config_url, disabled, suspect, last_count, item_hashes`

// FetchState returns a source's fetch state; see hub.Store.
func (db *DB) FetchState(ctx context.Context, sourceID string) (hub.FetchState, error) {
	st, err := fetchState(ctx, db.pool, sourceID)
	if err != nil {
		return hub.FetchState{}, fmt.Errorf("fetch state %s: %w", sourceID, err)
	}
	return st, nil
}

// rowQuerier is what pgx.Tx and *pgxpool.Pool share for reading one row.
type rowQuerier interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func fetchState(ctx context.Context, q rowQuerier, sourceID string) (hub.FetchState, error) {
	st := hub.FetchState{SourceID: sourceID}
	var lastTry, lastSuccess, nextTry *int64
	var hashes []byte
	err := q.QueryRow(ctx, `SELECT `+fetchStateColumns+` FROM fetch_state WHERE source_id = $1`, sourceID).Scan(
		&st.ETag, &st.LastModified, &st.BodyHash, &st.URL, &lastTry, &lastSuccess, &st.LastError, &st.Failures, &nextTry,
		&st.ConfigURL, &st.Disabled, &st.Suspect, &st.LastCount, &hashes)
	if errors.Is(err, pgx.ErrNoRows) {
		return hub.FetchState{SourceID: sourceID}, nil
	}
	if err != nil {
		return hub.FetchState{}, err
	}
	st.LastTry, st.LastSuccess, st.NextTry = fromNullNanos(lastTry), fromNullNanos(lastSuccess), fromNullNanos(nextTry)
	st.ItemHashes = string(hashes)
	return st, nil
}

// SaveFetchState stores a source's fetch state, replacing the previous one.
func (db *DB) SaveFetchState(ctx context.Context, st hub.FetchState) error {
	if st.SourceID == "" {
		return errors.New("save fetch state: empty source id")
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO fetch_state (source_id, `+fetchStateColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
		ON CONFLICT (source_id) DO UPDATE SET
			etag = excluded.etag, last_modified = excluded.last_modified,
			body_hash = excluded.body_hash, url = excluded.url,
			last_try = excluded.last_try, last_success = excluded.last_success,
			last_error = excluded.last_error, failures = excluded.failures,
			next_try = excluded.next_try, config_url = excluded.config_url,
			disabled = excluded.disabled, suspect = excluded.suspect,
			last_count = excluded.last_count, item_hashes = excluded.item_hashes`,
		st.SourceID, st.ETag, st.LastModified, st.BodyHash, st.URL,
		nullNanos(st.LastTry), nullNanos(st.LastSuccess), st.LastError, st.Failures, nullNanos(st.NextTry),
		st.ConfigURL, st.Disabled, st.Suspect, st.LastCount, []byte(st.ItemHashes))
	if err != nil {
		return fmt.Errorf("save fetch state %s: %w", st.SourceID, err)
	}
	return nil
}

// SourceStats returns, ordered by source id, the fetch state, item count
// and newest item date of every source that has fetch state or items; see
// hub.Store.
func (db *DB) SourceStats(ctx context.Context) ([]hub.SourceStat, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT s.source_id, coalesce(n.items, 0),
			coalesce(f.etag, ''), coalesce(f.last_modified, ''), coalesce(f.body_hash, ''),
			coalesce(f.url, ''), f.last_try, f.last_success, coalesce(f.last_error, ''),
			coalesce(f.failures, 0), f.next_try, coalesce(f.config_url, ''),
			coalesce(f.disabled, ''), coalesce(f.suspect, ''), coalesce(f.last_count, 0),
			(SELECT max(sort_date) FROM items WHERE items.source_id = s.source_id)
		FROM (SELECT source_id FROM fetch_state
			UNION SELECT source_id FROM source_items WHERE items > 0) AS s
		LEFT JOIN fetch_state AS f ON f.source_id = s.source_id
		LEFT JOIN source_items AS n ON n.source_id = s.source_id
		ORDER BY s.source_id COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("source stats: %w", err)
	}
	defer rows.Close()
	var stats []hub.SourceStat
	for rows.Next() {
		var s hub.SourceStat
		var items int64
		var lastTry, lastSuccess, nextTry, newest *int64
		if err := rows.Scan(&s.SourceID, &items, &s.ETag, &s.LastModified, &s.BodyHash, &s.URL,
			&lastTry, &lastSuccess, &s.LastError, &s.Failures, &nextTry,
			&s.ConfigURL, &s.Disabled, &s.Suspect, &s.LastCount, &newest); err != nil {
			return nil, fmt.Errorf("source stats: %w", err)
		}
		s.Items = int(items)
		s.Newest = fromNullNanos(newest)
		s.LastTry, s.LastSuccess, s.NextTry = fromNullNanos(lastTry), fromNullNanos(lastSuccess), fromNullNanos(nextTry)
		stats = append(stats, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("source stats: %w", err)
	}
	return stats, nil
}

// bumpSource records, in tx, that the items of source changed. The version
// row stays locked until tx ends, so versions follow commit order.
func bumpSource(ctx context.Context, tx pgx.Tx, source string) error {
	if _, err := tx.Exec(ctx, `WITH v AS (UPDATE store_version SET version = version + 1 WHERE id = 1 RETURNING version)
		INSERT INTO source_versions (source_id, version) SELECT $1, version FROM v
		ON CONFLICT (source_id) DO UPDATE SET version = excluded.version`, source); err != nil {
		return fmt.Errorf("bump version: %w", err)
	}
	return notify(ctx, tx)
}

// bumpAll records, in tx, a change that may concern every channel.
func bumpAll(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `UPDATE store_version SET version = version + 1, all_at = version + 1 WHERE id = 1`); err != nil {
		return fmt.Errorf("bump version: %w", err)
	}
	return notify(ctx, tx)
}

// changesChannel is the LISTEN/NOTIFY channel on which every transaction
// that bumps the version tells the listeners (Listen) when it commits.
const changesChannel = "yizhan_changes"

// notify queues, in tx, a notification that PostgreSQL sends to every
// listener when tx commits, once however many times tx calls it.
func notify(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, `SELECT pg_notify('`+changesChannel+`', '')`); err != nil {
		return fmt.Errorf("notify: %w", err)
	}
	return nil
}

// Listen calls changed whenever a transaction of any process that changes
// what Changes reports commits, and once at the start (what committed
// before it listened), until ctx ends or the connection fails; it returns
// why. It holds one connection of the pool for itself meanwhile. Callers
// still ask Changes what changed: a notification says only that something
// did, and may be lost with the connection.
func (db *DB) Listen(ctx context.Context, changed func()) error {
	pc, err := db.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	c := pc.Hijack() // a listening connection goes back to no pool
	defer c.Close(context.WithoutCancel(ctx))
	if _, err := c.Exec(ctx, `LISTEN `+changesChannel); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	changed()
	for {
		if _, err := c.WaitForNotification(ctx); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
		changed()
	}
}

// Changes reports what changed since version since; see hub.Store.
func (db *DB) Changes(ctx context.Context, since int64) (hub.ChangeSet, error) {
	cs, err := db.changes(ctx, since)
	if err != nil {
		return hub.ChangeSet{}, fmt.Errorf("changes since %d: %w", since, err)
	}
	return cs, nil
}

func (db *DB) changes(ctx context.Context, since int64) (hub.ChangeSet, error) {
	var cs hub.ChangeSet
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return cs, err
	}
	defer tx.Rollback(ctx)
	var allAt int64
	if err := tx.QueryRow(ctx, `SELECT version, all_at FROM store_version WHERE id = 1`).Scan(&cs.Version, &allAt); err != nil {
		return cs, err
	}
	if cs.Version == since {
		return cs, nil
	}
	cs.All = allAt > since
	cs.Sources, err = queryStrings(ctx, tx, `SELECT source_id FROM source_versions WHERE version > $1 ORDER BY source_id COLLATE "C"`, since)
	return cs, err
}

// Lease claims the scheduled runs of a source for holder; see hub.Store. The
// upsert takes the row's lock, so of processes claiming at once one wins.
func (db *DB) Lease(ctx context.Context, sourceID, holder string, now, until time.Time) (bool, error) {
	var got string
	err := db.pool.QueryRow(ctx, `INSERT INTO source_leases (source_id, holder, until) VALUES ($1, $2, $3)
		ON CONFLICT (source_id) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE source_leases.holder = excluded.holder OR source_leases.until <= $4
		RETURNING holder`, sourceID, holder, nanos(until), nanos(now)).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", sourceID, err)
	}
	return true, nil
}
