-- 0007: the people who edited an item (hub.Attribution.Editor: 编辑,
-- 责任编辑, 责编), apart from its authors. Items stored before keep what they
-- have: an empty editor.

ALTER TABLE items ADD COLUMN editor TEXT NOT NULL DEFAULT '';
