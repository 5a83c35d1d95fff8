-- 010_run_counts: the runs table in the one count vocabulary of flows/counts.py, and the manifest
-- row an article was loaded with (so an edited manifest re-applies without --force).

-- runs.inputs_seen / articles_* / failures count inputs (seed files, stored articles re-tagged);
-- feeds and the pages fetched from them are counted apart, here.
ALTER TABLE runs ADD COLUMN feeds_polled INTEGER;        -- feeds asked for their entries
ALTER TABLE runs ADD COLUMN feeds_failed INTEGER;        -- feeds whose poll failed (see feed_state)
ALTER TABLE runs ADD COLUMN pages_fetched INTEGER;       -- pages requested for feed entries
ALTER TABLE runs ADD COLUMN pages_failed INTEGER;        -- pages whose fetch or extraction failed
ALTER TABLE runs ADD COLUMN inputs_duplicate INTEGER;    -- inputs left out as the same article as another

-- A digest of what the caller gave with the input (manifest url, outlet, published): part of the
-- key that decides whether an input is unchanged since its last load.
ALTER TABLE articles ADD COLUMN given_key VARCHAR;
