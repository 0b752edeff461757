package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/yizhan-hub/yizhan/hub"
)

var _ hub.SubscriptionStore = (*DB)(nil)

const subscriptionColumns = `id, topic, channel, callback, host, secret, lease, created, expires`

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

func scanSubscription(row scanner, s *hub.Subscription, extra ...any) error {
	var lease, created, expires int64
	dest := append([]any{&s.ID, &s.Topic, &s.Channel, &s.Callback, &s.Host, &s.Secret, &lease, &created, &expires}, extra...)
	if err := row.Scan(dest...); err != nil {
		return err
	}
	s.Lease, s.Created, s.Expires = time.Duration(lease), fromNanos(created), fromNanos(expires)
	return nil
}

// SaveSubscription stores a verified subscription; see hub.SubscriptionStore.
func (db *DB) SaveSubscription(ctx context.Context, s hub.Subscription) (hub.Subscription, error) {
	row := db.w.QueryRowContext(ctx, `INSERT INTO websub_subscriptions
		(topic, channel, callback, host, secret, lease, created, expires)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
		ON CONFLICT (topic, callback) DO UPDATE SET channel = excluded.channel, host = excluded.host,
			secret = excluded.secret, lease = excluded.lease, expires = excluded.expires
		RETURNING `+subscriptionColumns,
		s.Topic, s.Channel, s.Callback, s.Host, s.Secret, int64(s.Lease), nanos(s.Created), nanos(s.Expires))
	var out hub.Subscription
	if err := scanSubscription(row, &out); err != nil {
		return hub.Subscription{}, fmt.Errorf("save subscription %s: %w", s.Callback, err)
	}
	return out, nil
}

// DeleteSubscription removes a subscription; see hub.SubscriptionStore.
func (db *DB) DeleteSubscription(ctx context.Context, topic, callback string) (bool, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM websub_subscriptions WHERE topic = ?1 AND callback = ?2`, topic, callback)
	if err != nil {
		return false, fmt.Errorf("delete subscription %s: %w", callback, err)
	}
	n, err := res.RowsAffected()
	return n > 0, err
}

// Subscriptions returns the live subscriptions; see hub.SubscriptionStore.
func (db *DB) Subscriptions(ctx context.Context, now time.Time) ([]hub.Subscription, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+subscriptionColumns+` FROM websub_subscriptions WHERE expires > ?1 ORDER BY id`, nanos(now))
	if err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	defer rows.Close()
	var subs []hub.Subscription
	for rows.Next() {
		var s hub.Subscription
		if err := scanSubscription(rows, &s); err != nil {
			return nil, fmt.Errorf("subscriptions: %w", err)
		}
		subs = append(subs, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("subscriptions: %w", err)
	}
	return subs, nil
}

// CountSubscriptions counts live subscriptions; see hub.SubscriptionStore.
func (db *DB) CountSubscriptions(ctx context.Context, host string, now time.Time) (ofHost, total int, err error) {
	err = db.r.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE host = ?1), count(*)
		FROM websub_subscriptions WHERE expires > ?2`, host, nanos(now)).Scan(&ofHost, &total)
	if err != nil {
		return 0, 0, fmt.Errorf("count subscriptions: %w", err)
	}
	return ofHost, total, nil
}

// ExpireSubscriptions removes ended leases; see hub.SubscriptionStore.
func (db *DB) ExpireSubscriptions(ctx context.Context, now time.Time) (int, error) {
	res, err := db.w.ExecContext(ctx, `DELETE FROM websub_subscriptions WHERE expires <= ?1`, nanos(now))
	if err != nil {
		return 0, fmt.Errorf("expire subscriptions: %w", err)
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// QueueDeliveries queues a topic's new content; see hub.SubscriptionStore.
// One immediate transaction: of several processes queueing the same
// content, the later ones find it queued.
func (db *DB) QueueDeliveries(ctx context.Context, topic, content string, now time.Time) (int, error) {
	n, err := db.queueDeliveries(ctx, topic, content, now)
	if err != nil {
		return 0, fmt.Errorf("queue deliveries of %s: %w", topic, err)
	}
	return n, nil
}

func (db *DB) queueDeliveries(ctx context.Context, topic, content string, now time.Time) (int, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO websub_deliveries (subscription_id, first_try, next_try)
		SELECT id, ?3, ?3 FROM websub_subscriptions WHERE topic = ?1 AND content <> ?2 AND expires > ?3
		ON CONFLICT (subscription_id) DO UPDATE SET generation = websub_deliveries.generation + 1`, topic, content, nanos(now))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE websub_subscriptions SET content = ?2
		WHERE topic = ?1 AND content <> ?2 AND expires > ?3`, topic, content, nanos(now)); err != nil {
		return 0, err
	}
	return int(n), tx.Commit()
}

// ClaimDeliveries claims due deliveries; see hub.SubscriptionStore.
func (db *DB) ClaimDeliveries(ctx context.Context, now, until time.Time, limit int) ([]hub.Delivery, error) {
	ds, err := db.claimDeliveries(ctx, now, until, limit)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	return ds, nil
}

func (db *DB) claimDeliveries(ctx context.Context, now, until time.Time, limit int) ([]hub.Delivery, error) {
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, `SELECT s.id, s.topic, s.channel, s.callback, s.host, s.secret, s.lease, s.created, s.expires,
			d.attempts, d.first_try, d.last_error, d.generation
		FROM websub_deliveries d JOIN websub_subscriptions s ON s.id = d.subscription_id
		WHERE d.next_try <= ?1 ORDER BY d.next_try, d.subscription_id LIMIT ?2`, nanos(now), limit)
	if err != nil {
		return nil, err
	}
	var ds []hub.Delivery
	for rows.Next() {
		var d hub.Delivery
		var first int64
		if err := scanSubscription(rows, &d.Subscription, &d.Attempts, &first, &d.LastError, &d.Generation); err != nil {
			rows.Close()
			return nil, err
		}
		d.FirstTry, d.NextTry = fromNanos(first), until
		ds = append(ds, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, d := range ds {
		if _, err := tx.ExecContext(ctx, `UPDATE websub_deliveries SET next_try = ?2 WHERE subscription_id = ?1`, d.ID, nanos(until)); err != nil {
			return nil, err
		}
	}
	return ds, tx.Commit()
}

// RetryDelivery records a failed attempt; see hub.SubscriptionStore.
func (db *DB) RetryDelivery(ctx context.Context, id int64, next time.Time, lastErr string) error {
	_, err := db.w.ExecContext(ctx, `UPDATE websub_deliveries SET attempts = attempts + 1, next_try = ?2, last_error = ?3
		WHERE subscription_id = ?1`, id, nanos(next), lastErr)
	if err != nil {
		return fmt.Errorf("retry delivery %d: %w", id, err)
	}
	return nil
}

// DoneDeliveries ends deliveries unless a change was queued on them since
// their claim, in one transaction; see hub.SubscriptionStore.
func (db *DB) DoneDeliveries(ctx context.Context, done []hub.Done, now time.Time) error {
	if err := db.doneDeliveries(ctx, done, now); err != nil {
		return fmt.Errorf("done deliveries: %w", err)
	}
	return nil
}

func (db *DB) doneDeliveries(ctx context.Context, done []hub.Done, now time.Time) error {
	if len(done) == 0 {
		return nil
	}
	tx, err := db.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	del, err := tx.PrepareContext(ctx, `DELETE FROM websub_deliveries WHERE subscription_id = ?1 AND generation = ?2`)
	if err != nil {
		return err
	}
	defer del.Close()
	for _, d := range done {
		res, err := del.ExecContext(ctx, d.SubscriptionID, d.Generation)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			if _, err := tx.ExecContext(ctx, `UPDATE websub_deliveries SET attempts = 0, first_try = ?2, next_try = ?2, last_error = ''
				WHERE subscription_id = ?1`, d.SubscriptionID, nanos(now)); err != nil {
				return err
			}
		}
	}
	return tx.Commit()
}

// WebSubStats counts subscriptions and deliveries; see hub.SubscriptionStore.
func (db *DB) WebSubStats(ctx context.Context, now time.Time) (hub.WebSubStats, error) {
	st := hub.WebSubStats{Topics: map[string]int{}}
	rows, err := db.r.QueryContext(ctx, `SELECT topic, count(*) FROM websub_subscriptions WHERE expires > ?1 GROUP BY topic`, nanos(now))
	if err != nil {
		return st, fmt.Errorf("websub stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var topic string
		var n int
		if err := rows.Scan(&topic, &n); err != nil {
			return st, fmt.Errorf("websub stats: %w", err)
		}
		st.Topics[topic] = n
	}
	if err := rows.Err(); err != nil {
		return st, fmt.Errorf("websub stats: %w", err)
	}
	err = db.r.QueryRowContext(ctx, `SELECT count(*), count(*) FILTER (WHERE attempts > 0) FROM websub_deliveries`).Scan(&st.Pending, &st.Failing)
	if err != nil {
		return st, fmt.Errorf("websub stats: %w", err)
	}
	return st, nil
}

const upstreamColumns = `source_id, hub, topic, callback, secret, state, requested, expires, last_error`

func scanUpstream(row scanner, u *hub.UpstreamSubscription) error {
	var requested, expires int64
	if err := row.Scan(&u.SourceID, &u.Hub, &u.Topic, &u.Callback, &u.Secret, &u.State, &requested, &expires, &u.LastError); err != nil {
		return err
	}
	if requested != 0 {
		u.Requested = fromNanos(requested)
	}
	if expires != 0 {
		u.Expires = fromNanos(expires)
	}
	return nil
}

func zeroNanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return nanos(t)
}

// SaveUpstream stores an upstream subscription; see hub.SubscriptionStore.
func (db *DB) SaveUpstream(ctx context.Context, u hub.UpstreamSubscription) error {
	_, err := db.w.ExecContext(ctx, `INSERT INTO websub_upstreams (`+upstreamColumns+`)
		VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
		ON CONFLICT (source_id) DO UPDATE SET hub = excluded.hub, topic = excluded.topic,
			callback = excluded.callback, secret = excluded.secret, state = excluded.state,
			requested = excluded.requested, expires = excluded.expires, last_error = excluded.last_error`,
		u.SourceID, u.Hub, u.Topic, u.Callback, u.Secret, u.State, zeroNanos(u.Requested), zeroNanos(u.Expires), u.LastError)
	if err != nil {
		return fmt.Errorf("save upstream subscription %s: %w", u.SourceID, err)
	}
	return nil
}

// Upstream returns a source's upstream subscription; see hub.SubscriptionStore.
func (db *DB) Upstream(ctx context.Context, sourceID string) (hub.UpstreamSubscription, error) {
	var u hub.UpstreamSubscription
	err := scanUpstream(db.r.QueryRowContext(ctx, `SELECT `+upstreamColumns+` FROM websub_upstreams WHERE source_id = ?1`, sourceID), &u)
	if errors.Is(err, sql.ErrNoRows) {
		return u, hub.ErrNotFound
	}
	if err != nil {
		return u, fmt.Errorf("upstream subscription %s: %w", sourceID, err)
	}
	return u, nil
}

// Upstreams returns every upstream subscription; see hub.SubscriptionStore.
func (db *DB) Upstreams(ctx context.Context) ([]hub.UpstreamSubscription, error) {
	rows, err := db.r.QueryContext(ctx, `SELECT `+upstreamColumns+` FROM websub_upstreams ORDER BY source_id`)
	if err != nil {
		return nil, fmt.Errorf("upstream subscriptions: %w", err)
	}
	defer rows.Close()
	var us []hub.UpstreamSubscription
	for rows.Next() {
		var u hub.UpstreamSubscription
		if err := scanUpstream(rows, &u); err != nil {
			return nil, fmt.Errorf("upstream subscriptions: %w", err)
		}
		us = append(us, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("upstream subscriptions: %w", err)
	}
	return us, nil
}

// DeleteUpstream forgets a source's upstream subscription; see hub.SubscriptionStore.
func (db *DB) DeleteUpstream(ctx context.Context, sourceID string) error {
	if _, err := db.w.ExecContext(ctx, `DELETE FROM websub_upstreams WHERE source_id = ?1`, sourceID); err != nil {
		return fmt.Errorf("delete upstream subscription %s: %w", sourceID, err)
	}
	return nil
}
