package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

// SyncSources replaces the record of which channels each source feeds; see
// hub.Store. channels maps a source id to its channel ids.
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
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// Every command syncs the configuration it loaded, usually the one
	// stored already: then nothing is written, and Changes reports nothing.
	rows, err := tx.QueryContext(ctx, `SELECT channel_id, source_id FROM source_channels`)
	if err != nil {
		return err
	}
	same := true
	n := 0
	for rows.Next() {
		var p pair
		if err := rows.Scan(&p.channel, &p.source); err != nil {
			rows.Close()
			return err
		}
		n++
		same = same && want[p]
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if same && n == len(want) {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM source_channels`); err != nil {
		return err
	}
	insert, err := tx.PrepareContext(ctx, `INSERT INTO source_channels (channel_id, source_id) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	for _, src := range slices.Sorted(maps.Keys(channels)) {
		for _, ch := range slices.Compact(slices.Sorted(slices.Values(channels[src]))) {
			if _, err := insert.ExecContext(ctx, ch, src); err != nil {
				return fmt.Errorf("source %s: %w", src, err)
			}
		}
	}
	if err := bumpAll(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

const fetchStateColumns = `etag, last_modified, body_hash, url, last_try, last_success, last_error, failures, next_try,
	config_url, disabled, suspect, last_count, item_hashes`

// FetchState returns a source's fetch state; see hub.Store.
func (db *DB) FetchState(ctx context.Context, sourceID string) (hub.FetchState, error) {
	st := hub.FetchState{SourceID: sourceID}
	row := db.r.QueryRowContext(ctx, `SELECT `+fetchStateColumns+` FROM fetch_state WHERE source_id = ?`, sourceID)
	err := scanFetchState(row, &st)
	if errors.Is(err, sql.ErrNoRows) {
		return hub.FetchState{SourceID: sourceID}, nil
	}
	if err != nil {
		return hub.FetchState{}, fmt.Errorf("fetch state %s: %w", sourceID, err)
	}
	return st, nil
}

// SaveFetchState stores a source's fetch state, replacing the previous one.
func (db *DB) SaveFetchState(ctx context.Context, st hub.FetchState) error {
	if st.SourceID == "" {
		return errors.New("save fetch state: empty source id")
	}
	_, err := db.w.ExecContext(ctx, `INSERT INTO fetch_state (source_id, `+fetchStateColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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

// sourceStatsSQL reads every source's fetch state, item count and newest
// item date, the last one step down items_source_date per source.
const sourceStatsSQL = `SELECT s.source_id, coalesce(n.items, 0),
		coalesce(f.etag, ''), coalesce(f.last_modified, ''), coalesce(f.body_hash, ''),
		coalesce(f.url, ''), f.last_try, f.last_success, coalesce(f.last_error, ''),
		coalesce(f.failures, 0), f.next_try, coalesce(f.config_url, ''),
		coalesce(f.disabled, ''), coalesce(f.suspect, ''), coalesce(f.last_count, 0),
		(SELECT max(sort_date) FROM items INDEXED BY items_source_date WHERE source_id = s.source_id)
	FROM (SELECT source_id FROM fetch_state
		UNION SELECT source_id FROM source_items WHERE items > 0) AS s
	LEFT JOIN fetch_state AS f ON f.source_id = s.source_id
	LEFT JOIN source_items AS n ON n.source_id = s.source_id
	ORDER BY s.source_id`

// SourceStats returns, ordered by source id, the fetch state, item count
// and newest item date of every source that has fetch state or items; see
// hub.Store.
func (db *DB) SourceStats(ctx context.Context) ([]hub.SourceStat, error) {
	rows, err := db.r.QueryContext(ctx, sourceStatsSQL)
	if err != nil {
		return nil, fmt.Errorf("source stats: %w", err)
	}
	defer rows.Close()
	var stats []hub.SourceStat
	for rows.Next() {
		var s hub.SourceStat
		var lastTry, lastSuccess, nextTry, newest sql.NullInt64
		if err := rows.Scan(&s.SourceID, &s.Items, &s.ETag, &s.LastModified, &s.BodyHash, &s.URL,
			&lastTry, &lastSuccess, &s.LastError, &s.Failures, &nextTry,
			&s.ConfigURL, &s.Disabled, &s.Suspect, &s.LastCount, &newest); err != nil {
			return nil, fmt.Errorf("source stats: %w", err)
		}
		s.LastTry, s.LastSuccess, s.NextTry = fromNullNanos(lastTry), fromNullNanos(lastSuccess), fromNullNanos(nextTry)
		s.Newest = fromNullNanos(newest)
		stats = append(stats, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("source stats: %w", err)
	}
	return stats, nil
}

func scanFetchState(row *sql.Row, st *hub.FetchState) error {
	var lastTry, lastSuccess, nextTry sql.NullInt64
	if err := row.Scan(&st.ETag, &st.LastModified, &st.BodyHash, &st.URL,
		&lastTry, &lastSuccess, &st.LastError, &st.Failures, &nextTry,
		&st.ConfigURL, &st.Disabled, &st.Suspect, &st.LastCount, &st.ItemHashes); err != nil {
		return err
	}
	st.LastTry, st.LastSuccess, st.NextTry = fromNullNanos(lastTry), fromNullNanos(lastSuccess), fromNullNanos(nextTry)
	return nil
}

// leaseSQL claims a source for holder ?2 until ?3 when it is free, expired
// at ?4, or held by ?2 already; it returns a row only when the claim held.
const leaseSQL = `INSERT INTO source_leases (source_id, holder, until) VALUES (?1, ?2, ?3)
	ON CONFLICT (source_id) DO UPDATE SET holder = excluded.holder, until = excluded.until
	WHERE source_leases.holder = excluded.holder OR source_leases.until <= ?4
	RETURNING holder`

// Lease claims the scheduled runs of a source for holder; see hub.Store.
func (db *DB) Lease(ctx context.Context, sourceID, holder string, now, until time.Time) (bool, error) {
	var got string
	err := db.w.QueryRowContext(ctx, leaseSQL, sourceID, holder, nanos(until), nanos(now)).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("lease %s: %w", sourceID, err)
	}
	return true, nil
}
