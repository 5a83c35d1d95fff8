-- 011_raw_archive: raw inputs move out of the table into WARC files (clients/warc.py).
-- New rows keep data_gzip NULL and say where their record lies instead; rows loaded before keep
-- their bytes in data_gzip. Re-tagging reads whichever the row has.
ALTER TABLE raw_documents ALTER COLUMN data_gzip DROP NOT NULL;
-- The archive file, relative to the archive root (WIRETRACE_ARCHIVE, default archive/ beside the
-- warehouse), so the folder can move: 'YYYY/MM/DD/<run_id>.warc.gz'.
ALTER TABLE raw_documents ADD COLUMN warc_path VARCHAR;
-- Byte offset of the record's gzip member in that file, and its length in bytes: one range read.
ALTER TABLE raw_documents ADD COLUMN warc_offset BIGINT;
ALTER TABLE raw_documents ADD COLUMN warc_length BIGINT;
