-- lake/002_duplicate_keys: the check that the loads keep every logical key unique.
-- DuckLake enforces no key, so uniqueness comes from the load lock (warehouse/lake.py) and the
-- DELETE+INSERT / MERGE statements run under it. This view lists every logical key stored more
-- than once; it must stay empty (the tests assert it, and so can any analyst or monitor):
--   SELECT * FROM duplicate_keys
CREATE VIEW duplicate_keys AS
SELECT 'runs' AS table_name, run_id AS logical_key, count(*) AS copies
FROM runs GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'raw_documents', content_hash, count(*) FROM raw_documents GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'articles', article_id, count(*) FROM articles GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'ingest_failures', concat_ws(' | ', origin, source_ref, stage), count(*)
FROM ingest_failures GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'feed_state', feed_url, count(*) FROM feed_state GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'feed_entries', concat_ws(' | ', feed_url, entry_key), count(*)
FROM feed_entries GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'story_term_df', term, count(*) FROM story_term_df GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'stories', story_id, count(*) FROM stories GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'near_duplicate_signatures', article_id, count(*)
FROM near_duplicate_signatures GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'story_term_sets', article_id, count(*) FROM story_term_sets GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'alerts', alert_key, count(*) FROM alerts GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'schema_migrations', CAST(version AS VARCHAR), count(*)
FROM schema_migrations GROUP BY ALL HAVING count(*) > 1;
