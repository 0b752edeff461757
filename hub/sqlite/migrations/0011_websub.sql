-- 0011: WebSub (hub.SubscriptionStore): the subscriptions of our feeds,
-- their pending deliveries, and our subscriptions to upstream hubs.

CREATE TABLE websub_subscriptions (
	id       INTEGER PRIMARY KEY,
	topic    TEXT    NOT NULL,
	channel  TEXT    NOT NULL,
	callback TEXT    NOT NULL,
	host     TEXT    NOT NULL,
	secret   TEXT    NOT NULL,
	lease    INTEGER NOT NULL, -- nanoseconds
	created  INTEGER NOT NULL,
	expires  INTEGER NOT NULL,
	content  TEXT    NOT NULL DEFAULT '', -- the version of the topic last queued
	UNIQUE (topic, callback)
) STRICT;
CREATE INDEX websub_subscriptions_host ON websub_subscriptions (host, expires);
CREATE INDEX websub_subscriptions_expires ON websub_subscriptions (expires);

CREATE TABLE websub_deliveries (
	subscription_id INTEGER PRIMARY KEY REFERENCES websub_subscriptions (id) ON DELETE CASCADE,
	attempts        INTEGER NOT NULL DEFAULT 0,
	first_try       INTEGER NOT NULL,
	next_try        INTEGER NOT NULL,
	last_error      TEXT    NOT NULL DEFAULT '',
	generation      INTEGER NOT NULL DEFAULT 0 -- changes queued on it (hub.Delivery.Generation)
) STRICT;
CREATE INDEX websub_deliveries_next ON websub_deliveries (next_try);

CREATE TABLE websub_upstreams (
	source_id  TEXT    PRIMARY KEY,
	hub        TEXT    NOT NULL,
	topic      TEXT    NOT NULL,
	callback   TEXT    NOT NULL,
	secret     TEXT    NOT NULL,
	state      TEXT    NOT NULL,
	requested  INTEGER NOT NULL,
	expires    INTEGER NOT NULL,
	last_error TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;
