-- 0003: tombstones of the items retention removed (hub.Store.Prune), so that
-- the next fetch does not store them again nor an HTML source fetch their
-- article pages again.

CREATE TABLE pruned_items (
	source_id TEXT    NOT NULL,
	key       TEXT    NOT NULL,
	url       TEXT    NOT NULL,
	pruned_at INTEGER NOT NULL, -- when Prune removed the item
	seen_at   INTEGER NOT NULL, -- when a fetch last carried the key (to the day); pruned_at at first
	PRIMARY KEY (source_id, key)
) STRICT, WITHOUT ROWID;

-- KnownURLs reports pruned article links as known.
CREATE INDEX pruned_items_source_url ON pruned_items (source_id, url);

-- Prune forgets the tombstones no fetch has carried for hub.TombstoneTTL.
CREATE INDEX pruned_items_seen ON pruned_items (seen_at);
