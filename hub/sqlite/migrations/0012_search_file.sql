-- 0012: the search index moves to a file of its own (search.go), with its
-- own write lock, so that keeping it no longer holds up the saves: FTS5's
-- per-token work took four fifths of a save's time under the one write
-- lock of this file (issue 13). What stays here is what the saves write in
-- their own transaction: a queue of the items whose text changed, filled
-- by triggers, which an indexer drains into the search file after the
-- commit. The search file is derived data: deleted or out of step, it is
-- rebuilt from the items.
DROP TRIGGER items_search_delete;
DROP TABLE search;
DROP TABLE search_keys;
DROP TABLE search_backfill;

-- search_meta.file names the index this database's queue feeds: a search
-- file that records another name (made for another database, or before
-- DisableSearch emptied the queue) is rebuilt. enabled is 0 while a process
-- keeps no index (DisableSearch): the triggers queue nothing.
CREATE TABLE search_meta (
	file    BLOB NOT NULL,
	enabled INTEGER NOT NULL
);
INSERT INTO search_meta VALUES (randomblob(16), 1);

-- search_queue holds an item id for each insert, change of text or date,
-- and delete, in commit order (seq; AUTOINCREMENT so that a seq is never
-- used twice once the indexer has trimmed the queue). queued is when, in
-- Unix milliseconds, for the index's freshness.
CREATE TABLE search_queue (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT,
	id     INTEGER NOT NULL,
	queued INTEGER NOT NULL
);

CREATE TRIGGER items_search_insert AFTER INSERT ON items
WHEN (SELECT enabled FROM search_meta) BEGIN
	INSERT INTO search_queue (id, queued) VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER items_search_update AFTER UPDATE OF title, summary, content, packed, sort_date ON items
WHEN (SELECT enabled FROM search_meta) BEGIN
	INSERT INTO search_queue (id, queued) VALUES (NEW.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;

CREATE TRIGGER items_search_delete AFTER DELETE ON items
WHEN (SELECT enabled FROM search_meta) BEGIN
	INSERT INTO search_queue (id, queued) VALUES (OLD.id, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
