-- 0008: stories (hub.Query.Dedup, package hub/story). SaveItems keys every
-- item it writes by its canonical URL and by its credit and title(s), and
-- links the copies of one article into a story: story is the id of the
-- story's first-stored copy, 0 for an item no other copy is linked to.
-- own marks the publisher's own copy (hub.Item.Own).
--
-- Items stored before keep 0 everywhere: they are found by no key and
-- form no story.

ALTER TABLE items ADD COLUMN url_key   INTEGER NOT NULL DEFAULT 0; -- story.URLKey
ALTER TABLE items ADD COLUMN title_key INTEGER NOT NULL DEFAULT 0; -- story.TitleKey of the headline
ALTER TABLE items ADD COLUMN orig_key  INTEGER NOT NULL DEFAULT 0; -- of the 原标题 its text names
ALTER TABLE items ADD COLUMN day       INTEGER NOT NULL DEFAULT 0; -- sort_date in whole days since 1970 (UTC)
ALTER TABLE items ADD COLUMN story     INTEGER NOT NULL DEFAULT 0;
ALTER TABLE items ADD COLUMN own       INTEGER NOT NULL DEFAULT 0;

-- Candidates of a new copy: by URL within story.URLWindow (a week) of its
-- date, and by credit and title within story.Window (36 hours), looked up
-- day by day. Every index leads with the day, so that new items, which are
-- recent, add their entries to the last pages of the index instead of
-- dirtying a random page each (at a million items that doubled the time to
-- store them). Partial: the keys left 0 cost nothing.
CREATE INDEX items_url_key   ON items (day, url_key)   WHERE url_key != 0;
CREATE INDEX items_title_key ON items (day, title_key) WHERE title_key != 0;
CREATE INDEX items_orig_key  ON items (day, orig_key)  WHERE orig_key != 0;

-- The copies of the stories Items shows.
CREATE INDEX items_story ON items (story) WHERE story != 0;
