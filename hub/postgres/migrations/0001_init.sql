-- 0001: the whole schema of hub/sqlite's migrations 0001-0008, for
-- PostgreSQL. Times are BIGINT UTC unix nanoseconds, as there, so that both
-- stores order and compare alike; NULL means "none" (a zero time.Time).
-- Summary and content are plain TEXT: PostgreSQL compresses long values
-- itself (TOAST). Keys and URLs are BYTEA: they identify items byte for byte,
-- whatever an upstream sent, and TEXT refuses bytes that are not UTF-8.

CREATE TABLE items (
	id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	source_id  TEXT    NOT NULL,
	key        BYTEA   NOT NULL, -- identity within the source (guid, Atom id, link, hash), byte for byte
	hash       BYTEA   NOT NULL, -- of the upstream fields, so an unchanged item is not rewritten
	first_seen BIGINT  NOT NULL,
	published  BIGINT,
	updated    BIGINT,
	sort_date  BIGINT  NOT NULL, -- hub.Item.Date(): published, else updated, else first_seen
	url        BYTEA   NOT NULL, -- byte for byte, as KnownURLs compares it
	title      TEXT    NOT NULL,
	image      TEXT    NOT NULL,
	categories TEXT    NOT NULL, -- JSON array of strings
	credit     TEXT    NOT NULL,
	credit_url TEXT    NOT NULL,
	via        TEXT    NOT NULL,
	author     TEXT    NOT NULL,
	editor     TEXT    NOT NULL,
	copyright  TEXT    NOT NULL,
	summary    TEXT    NOT NULL,
	content    TEXT    NOT NULL,
	url_key    BIGINT  NOT NULL DEFAULT 0, -- story.URLKey
	title_key  BIGINT  NOT NULL DEFAULT 0, -- story.TitleKey of the headline
	orig_key   BIGINT  NOT NULL DEFAULT 0, -- of the 原标题 its text names
	day  BIGINT  NOT NULL DEFAULT 0, -- sort_date in whole days since 1970 (UTC)
	story      BIGINT  NOT NULL DEFAULT 0, -- the story's first-stored copy; 0 alone
	own        BOOLEAN NOT NULL DEFAULT false,
	UNIQUE (source_id, key)
);

-- Newest first of one source, and of all (the ticker), in the order of Items.
CREATE INDEX items_source_date ON items (source_id, sort_date DESC, id DESC);
CREATE INDEX items_date ON items (sort_date DESC, id DESC);
CREATE INDEX items_source_url ON items (source_id, url);
CREATE INDEX items_url_key ON items (day, url_key) WHERE url_key <> 0;
-- Day first: new items add their entries to the last pages (see hub/sqlite's 0008).
CREATE INDEX items_title_key ON items (day, title_key) WHERE title_key <> 0;
CREATE INDEX items_orig_key ON items (day, orig_key) WHERE orig_key <> 0;
CREATE INDEX items_story ON items (story) WHERE story <> 0;

-- Item counts per source, kept by triggers.
CREATE TABLE source_items (
	source_id TEXT   PRIMARY KEY,
	items     BIGINT NOT NULL
);

CREATE FUNCTION items_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_OP = 'INSERT' THEN
		INSERT INTO source_items (source_id, items) VALUES (NEW.source_id, 1)
		ON CONFLICT (source_id) DO UPDATE SET items = source_items.items + 1;
		RETURN NEW;
	END IF;
	UPDATE source_items SET items = items - 1 WHERE source_id = OLD.source_id;
	RETURN OLD;
END $$;

CREATE TRIGGER items_count AFTER INSERT OR DELETE ON items
	FOR EACH ROW EXECUTE FUNCTION items_count();

CREATE TABLE source_channels (
	channel_id TEXT NOT NULL,
	source_id  TEXT NOT NULL,
	PRIMARY KEY (channel_id, source_id)
);

CREATE INDEX source_channels_source ON source_channels (source_id);

CREATE TABLE fetch_state (
	source_id     TEXT    PRIMARY KEY,
	etag          TEXT    NOT NULL,
	last_modified TEXT    NOT NULL,
	body_hash     TEXT    NOT NULL,
	url           TEXT    NOT NULL,
	last_try      BIGINT,
	last_success  BIGINT,
	last_error    TEXT    NOT NULL,
	failures      INTEGER NOT NULL,
	next_try      BIGINT,
	config_url    TEXT    NOT NULL DEFAULT '',
	disabled      TEXT    NOT NULL DEFAULT '',
	suspect       TEXT    NOT NULL DEFAULT '',
	last_count    INTEGER NOT NULL DEFAULT 0,
	item_hashes   BYTEA   NOT NULL DEFAULT ''
);

CREATE TABLE pruned_items (
	source_id TEXT   NOT NULL,
	key       BYTEA  NOT NULL,
	url       BYTEA  NOT NULL,
	pruned_at BIGINT NOT NULL,
	seen_at   BIGINT NOT NULL,
	PRIMARY KEY (source_id, key)
);

CREATE INDEX pruned_items_source_url ON pruned_items (source_id, url);
CREATE INDEX pruned_items_seen ON pruned_items (seen_at);

-- The change signal (hub.Store.Changes). The single row is also the lock
-- that orders writers: a transaction that bumps it holds it until commit,
-- so versions are given out in commit order.
CREATE TABLE store_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version BIGINT  NOT NULL,
	all_at  BIGINT  NOT NULL
);

INSERT INTO store_version (id, version, all_at) VALUES (1, 0, 0);

CREATE TABLE source_versions (
	source_id TEXT   PRIMARY KEY,
	version   BIGINT NOT NULL
);
