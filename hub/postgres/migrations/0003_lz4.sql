-- 0003: summaries and article texts are compressed with lz4 rather than
-- pglz when PostgreSQL stores them out of line (over about 2 KB, most
-- articles): pglz took about 120 µs a row on a first fetch, lz4 about 35,
-- for the same size on Chinese news text. A server built without lz4 keeps
-- pglz.
DO $$
BEGIN
	ALTER TABLE items ALTER COLUMN summary SET COMPRESSION lz4, ALTER COLUMN content SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
	RAISE NOTICE 'lz4 is not available; items keep pglz';
END
$$;
