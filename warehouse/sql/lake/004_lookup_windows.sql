-- 004_lookup_windows: a run's provenance lookups read a window of the warehouse, not its history.
-- DuckLake has no index, so a lookup costs what it scans; what it can skip are Parquet files and row
-- groups whose min/max of a column lie outside the filter. Rows are appended batch by batch, so a
-- column that says when the row was written is in order across files: a filter on it reads the newest
-- files only (warehouse/provenance.py; the window is WIRETRACE_REUSE_DAYS, settings.py).
ALTER TABLE reuse_fingerprints ADD COLUMN loaded_at TIMESTAMPTZ;    -- when the article's row was written
ALTER TABLE near_duplicate_bands ADD COLUMN loaded_at TIMESTAMPTZ;  -- when the article's row was written
ALTER TABLE near_duplicate_signatures ADD COLUMN loaded_at TIMESTAMPTZ; -- when the article's row was written

-- Rows stored before get their article's last load time (a warehouse converted by `wiretrace migrate`
-- gets them from warehouse/provenance.py: fill_loaded_at, rewritten in that order).
UPDATE reuse_fingerprints SET loaded_at = a.updated_at
FROM articles a WHERE reuse_fingerprints.article_id = a.article_id;
UPDATE near_duplicate_bands SET loaded_at = a.updated_at
FROM articles a WHERE near_duplicate_bands.article_id = a.article_id;
UPDATE near_duplicate_signatures SET loaded_at = a.updated_at
FROM articles a WHERE near_duplicate_signatures.article_id = a.article_id;

-- Articles also get row groups of 2,048 rows (DuckLake's parquet_row_group_size, set by
-- warehouse/lake.py: table options are DuckLake calls, and these files also build plain DuckDB schemas).
