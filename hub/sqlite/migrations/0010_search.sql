-- 0010: the search index (hub.Searcher). search is an FTS5 table of each
-- item's tokens (package hub/fold: character bigrams of its title, summary
-- and text folded to simplified Chinese, and lowercased Latin words),
-- separated by spaces, which the ascii tokenizer splits and keeps as they
-- are. Its rowid is hub.SearchKey, the item's place newest-first, so that
-- a search walks the index backwards and stops at a page, whatever the
-- number of matches. Contentless: the text is the items'.
--
-- search_keys maps an item to its key, to replace its row when the item
-- changes and to drop it when Prune removes the item (the trigger).
CREATE VIRTUAL TABLE search USING fts5(tokens, content='', contentless_delete=1, tokenize='ascii');

CREATE TABLE search_keys (
	id  INTEGER PRIMARY KEY, -- items.id
	key INTEGER NOT NULL     -- search.rowid
);
CREATE UNIQUE INDEX search_keys_key ON search_keys (key);

CREATE TRIGGER items_search_delete AFTER DELETE ON items BEGIN
	DELETE FROM search WHERE rowid = (SELECT key FROM search_keys WHERE id = OLD.id);
	DELETE FROM search_keys WHERE id = OLD.id;
END;

-- The items stored before this migration are indexed after it, newest
-- first, in batches (DB.backfill): those with an id below below.
CREATE TABLE search_backfill (below INTEGER NOT NULL);
INSERT INTO search_backfill SELECT coalesce(max(id), 0) + 1 FROM items;
