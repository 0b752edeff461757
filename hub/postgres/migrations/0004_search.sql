-- 0004: the search index (hub.Searcher). PostgreSQL has no Chinese
-- parser, and its trigram index needs three characters where Chinese words
-- have two; so yizhan cuts the text itself (package hub/fold: character
-- bigrams of the text folded to simplified Chinese, lowercased Latin
-- words) and stores the tokens, with their positions, as a tsvector
-- written literally: no text search configuration touches them. A search
-- is a tsquery of phrases of those tokens (<->), answered by the GIN index;
-- key is hub.SearchKey, the order of the results.
--
-- A row goes with its item (ON DELETE CASCADE: Prune removes it too).
CREATE TABLE search (
	id     BIGINT   PRIMARY KEY REFERENCES items (id) ON DELETE CASCADE,
	key    BIGINT   NOT NULL,
	tokens tsvector NOT NULL
);
CREATE INDEX search_tokens ON search USING gin (tokens);
CREATE INDEX search_key ON search (key);

-- The items stored before this migration are indexed after it, newest
-- first, in batches (DB.backfill): those with an id below below.
CREATE TABLE search_backfill (below BIGINT NOT NULL);
INSERT INTO search_backfill SELECT coalesce(max(id), 0) + 1 FROM items;
