-- 0002: which process runs each source's scheduled fetches
-- (hub.Store.Lease): replicas sharing the database take turns by it.

CREATE TABLE source_leases (
	source_id TEXT   PRIMARY KEY,
	holder    TEXT   NOT NULL,
	until     BIGINT NOT NULL
);
