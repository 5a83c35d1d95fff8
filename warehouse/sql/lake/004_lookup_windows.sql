-- 004_lookup_windows: a run's provenance lookups read a window of the warehouse, not its history.
-- DuckLake has no index, so a lookup costs what it scans; what it can skip are Parquet files and row
-- groups whose min/max of a column lie outside the filter. Rows are appended batch by batch, so a
-- column that says when the row was written is in order across files: a filter on it reads the newest
-- files only (warehouse/provenance.py; the window is WIRETRACE_REUSE_DAYS, settings.py).
ALTER TABLE reuse_fingerprints ADD COLUMN loaded_at TIMESTAMPTZ;    -- when the article's row was written
ALTER TABLE near_duplicate_bands ADD COLUMN loaded_at TIMESTAMPTZ;  -- when the article's row was written
ALTER TABLE near_duplicate_signatures ADD COLUMN loaded_at TIMESTAMPTZ; -- when the article's row was written

-- Rows stored before get their article's last load time, rewritten in that order so their files prune.
CREATE TEMP TABLE reuse_fingerprints_004 AS
SELECT f.article_id, f.fingerprint, f.position, a.updated_at AS loaded_at
FROM reuse_fingerprints f JOIN articles a USING (article_id);
DELETE FROM reuse_fingerprints;
INSERT INTO reuse_fingerprints SELECT * FROM reuse_fingerprints_004 ORDER BY loaded_at, article_id;
DROP TABLE reuse_fingerprints_004;

CREATE TEMP TABLE near_duplicate_bands_004 AS
SELECT b.article_id, b.band_key, a.updated_at AS loaded_at
FROM near_duplicate_bands b JOIN articles a USING (article_id);
DELETE FROM near_duplicate_bands;
INSERT INTO near_duplicate_bands SELECT * FROM near_duplicate_bands_004 ORDER BY loaded_at, article_id;
DROP TABLE near_duplicate_bands_004;

CREATE TEMP TABLE near_duplicate_signatures_004 AS
SELECT s.article_id, s.signature, a.updated_at AS loaded_at
FROM near_duplicate_signatures s JOIN articles a USING (article_id);
DELETE FROM near_duplicate_signatures;
INSERT INTO near_duplicate_signatures SELECT * FROM near_duplicate_signatures_004 ORDER BY loaded_at, article_id;
DROP TABLE near_duplicate_signatures_004;

-- Articles also get row groups of 2,048 rows (DuckLake's parquet_row_group_size, set by
-- warehouse/lake.py: table options are DuckLake calls, and these files also build plain DuckDB schemas).
