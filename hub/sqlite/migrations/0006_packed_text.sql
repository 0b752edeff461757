-- 0006: an item's summary and content may be stored packed (compressed) in
-- one column instead of as text: Chinese article HTML takes about 1.5 times
-- less room so, and a million articles fit in 3 GB (docs/performance.md).
-- A packed row keeps summary and content empty; rows written before stay
-- text until they are rewritten. See pack.go for the format.

ALTER TABLE items ADD COLUMN packed BLOB NOT NULL DEFAULT x'';
