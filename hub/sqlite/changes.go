package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/yizhan-hub/yizhan/hub"
)

// The change signal: store_version.version grows by one in every
// transaction that changes what Items returns; source_versions records the
// version at which each source's items last changed, store_version.all_at
// that of the last membership change. Reads touch one row per source.
const (
	bumpSQL       = `UPDATE store_version SET version = version + 1 WHERE id = 1 RETURNING version`
	bumpSourceSQL = `INSERT INTO source_versions (source_id, version) VALUES (?, ?)
		ON CONFLICT (source_id) DO UPDATE SET version = excluded.version`
	bumpAllSQL      = `UPDATE store_version SET version = version + 1, all_at = version + 1 WHERE id = 1`
	versionSQL      = `SELECT version, all_at FROM store_version WHERE id = 1`
	changedSinceSQL = `SELECT source_id FROM source_versions WHERE version > ? ORDER BY source_id`
)

// bumpSource records, in tx, that the items of source changed.
func bumpSource(ctx context.Context, tx *sql.Tx, source string) error {
	var v int64
	if err := tx.QueryRowContext(ctx, bumpSQL).Scan(&v); err != nil {
		return fmt.Errorf("bump version: %w", err)
	}
	if _, err := tx.ExecContext(ctx, bumpSourceSQL, source, v); err != nil {
		return fmt.Errorf("bump version: %w", err)
	}
	return nil
}

// bumpAll records, in tx, a change that may concern every channel.
func bumpAll(ctx context.Context, tx *sql.Tx) error {
	if _, err := tx.ExecContext(ctx, bumpAllSQL); err != nil {
		return fmt.Errorf("bump version: %w", err)
	}
	return nil
}

// Changes reports what changed since version since; see hub.Store. It reads
// one snapshot, from the read pool: it never waits for the writer.
func (db *DB) Changes(ctx context.Context, since int64) (hub.ChangeSet, error) {
	cs, err := db.changes(ctx, since)
	if err != nil {
		return hub.ChangeSet{}, fmt.Errorf("changes since %d: %w", since, err)
	}
	return cs, nil
}

func (db *DB) changes(ctx context.Context, since int64) (hub.ChangeSet, error) {
	var cs hub.ChangeSet
	tx, err := db.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return cs, err
	}
	defer tx.Rollback()
	var allAt int64
	if err := tx.QueryRowContext(ctx, versionSQL).Scan(&cs.Version, &allAt); err != nil {
		return cs, err
	}
	if cs.Version == since {
		return cs, nil
	}
	cs.All = allAt > since
	rows, err := tx.QueryContext(ctx, changedSinceSQL, since)
	if err != nil {
		return cs, err
	}
	cs.Sources, err = collectStrings(rows)
	return cs, err
}
