-- 0009: which process runs each source's scheduled fetches
-- (hub.Store.Lease), for several processes sharing one database.

CREATE TABLE source_leases (
	source_id TEXT    PRIMARY KEY,
	holder    TEXT    NOT NULL,
	until     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
