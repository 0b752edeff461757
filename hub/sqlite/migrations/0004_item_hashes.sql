-- 0004: the fetcher's record of the items of the last body it read
-- (hub.FetchState.ItemHashes), so that a feed whose body changed re-reads
-- only the items that did.

ALTER TABLE fetch_state ADD COLUMN item_hashes BLOB NOT NULL DEFAULT x'';
