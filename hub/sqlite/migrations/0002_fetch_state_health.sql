-- 0002: what the runner judges about a source besides success and failure
-- (hub.FetchState): why it stopped fetching it (410 Gone), why its last
-- result looks wrong, how many items that result held, and which configured
-- URL the state belongs to, so that a new URL starts the source afresh.

ALTER TABLE fetch_state ADD COLUMN config_url TEXT    NOT NULL DEFAULT '';
ALTER TABLE fetch_state ADD COLUMN disabled   TEXT    NOT NULL DEFAULT '';
ALTER TABLE fetch_state ADD COLUMN suspect    TEXT    NOT NULL DEFAULT '';
ALTER TABLE fetch_state ADD COLUMN last_count INTEGER NOT NULL DEFAULT 0;
