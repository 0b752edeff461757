-- 0005: the change signal (hub.Store.Changes): a version that grows with
-- every transaction that changes what Items returns, the version at which
-- each source's items last changed, and the version of the last change
-- that was not one source's items (a channel membership).

CREATE TABLE store_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL,
	all_at  INTEGER NOT NULL
) STRICT;

INSERT INTO store_version (id, version, all_at) VALUES (1, 0, 0);

CREATE TABLE source_versions (
	source_id TEXT    PRIMARY KEY,
	version   INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
