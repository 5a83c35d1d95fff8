-- 006_run_notes: what the runs table says now, in comments the catalog keeps (duckdb_columns().comment;
-- schema.sql shows them). 001 folds two older notes that no longer hold: legacy 006's "runs.status is
-- only ever 'completed'" (true of the working copies before DuckLake; every batch commits on its own now,
-- warehouse/session.py) and legacy 001's "inputs_seen: seed files / feed pages" (feed pages have counted
-- apart since legacy 010). Comments only: no row, column or view changes.
--
-- Agency copy needs no staging here: wire_share and article_summary both read stg_agency_copy (legacy 006,
-- in 001), which names "agency-origin articles" and "characters pasted from them" once.
COMMENT ON COLUMN runs.status IS '''running'' while the run loads its batches, ''completed'' when it finished, ''crashed'' when it failed (the batches it committed stay; its error is in Prefect); a run whose process was killed stays ''running''';
COMMENT ON COLUMN runs.finished_at IS 'when the run completed or crashed; null while it runs, or if its process was killed';
COMMENT ON COLUMN runs.inputs_seen IS 'seed files looked at (unchanged ones too) and stored articles re-tagged; feed pages count in pages_fetched';
