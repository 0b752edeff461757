-- 0001: items, which channels each source feeds, per-source fetch state.
--
-- Times are INTEGER UTC unix nanoseconds, so they order correctly whatever
-- zone the upstream wrote them in; NULL means "none" (a zero time.Time).

CREATE TABLE items (
	id         INTEGER PRIMARY KEY,
	source_id  TEXT    NOT NULL,
	key        TEXT    NOT NULL, -- identity within the source (guid, Atom id, link, hash)
	hash       BLOB    NOT NULL, -- of the upstream fields, so an unchanged item is not rewritten
	first_seen INTEGER NOT NULL,
	published  INTEGER,
	updated    INTEGER,
	sort_date  INTEGER NOT NULL, -- hub.Item.Date(): published, else updated, else first_seen
	url        TEXT    NOT NULL,
	title      TEXT    NOT NULL,
	image      TEXT    NOT NULL,
	categories TEXT    NOT NULL, -- JSON array of strings
	credit     TEXT    NOT NULL,
	credit_url TEXT    NOT NULL,
	via        TEXT    NOT NULL,
	author     TEXT    NOT NULL,
	copyright  TEXT    NOT NULL,
	-- The large columns come last: SQLite reads a row's columns in order, and
	-- everything above stays on the row's first page.
	summary    TEXT    NOT NULL,
	content    TEXT    NOT NULL,
	UNIQUE (source_id, key)
) STRICT;

-- Newest of one source: a backward scan yields sort_date DESC, id DESC, since
-- the rowid ends every index entry.
CREATE INDEX items_source_date ON items (source_id, sort_date);

-- Newest of all sources (the latest ticker), same trick.
CREATE INDEX items_date ON items (sort_date);

-- KnownURLs: which article links of a source are stored already.
CREATE INDEX items_source_url ON items (source_id, url);

-- Item counts per source, kept by triggers so that every insert and delete
-- (retention included) keeps them exact without counting a million rows.
CREATE TABLE source_items (
	source_id TEXT    PRIMARY KEY,
	items     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TRIGGER items_count_insert AFTER INSERT ON items BEGIN
	INSERT INTO source_items (source_id, items) VALUES (NEW.source_id, 1)
	ON CONFLICT (source_id) DO UPDATE SET items = items + 1;
END;

CREATE TRIGGER items_count_delete AFTER DELETE ON items BEGIN
	UPDATE source_items SET items = items - 1 WHERE source_id = OLD.source_id;
END;

-- Which channels each configured source feeds (hub.Store.SyncSources).
CREATE TABLE source_channels (
	channel_id TEXT NOT NULL,
	source_id  TEXT NOT NULL,
	PRIMARY KEY (channel_id, source_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX source_channels_source ON source_channels (source_id);

CREATE TABLE fetch_state (
	source_id     TEXT    PRIMARY KEY,
	etag          TEXT    NOT NULL,
	last_modified TEXT    NOT NULL,
	body_hash     TEXT    NOT NULL,
	url           TEXT    NOT NULL,
	last_try      INTEGER,
	last_success  INTEGER,
	last_error    TEXT    NOT NULL,
	failures      INTEGER NOT NULL,
	next_try      INTEGER
) STRICT, WITHOUT ROWID;
