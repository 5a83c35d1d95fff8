-- 012_provenance_time: story lookups read only the story window, not the whole history.
-- Each keyword row carries the time of its article (as in 004: published_at, else published_date,
-- else first_seen_at) and whether that time is a publication date. `story_members` selects rows by
-- `t` first: rows are appended batch by batch, so they lie in time order, and the storage skips every
-- block (DuckDB row group, DuckLake Parquet file) whose min/max of `t` is outside the window.
-- An article's time only changes when it is re-loaded, and every (re)load rewrites its rows.
ALTER TABLE story_terms ADD COLUMN t TIMESTAMPTZ;     -- time of the article when it was grouped
ALTER TABLE story_terms ADD COLUMN dated BOOLEAN;     -- t is a publication time (else: first seen)

-- Existing rows get their article's time and are rewritten in time order, so old blocks prune too.
CREATE TEMP TABLE story_terms_012 AS
SELECT st.article_id, st.term, st.weight,
       coalesce(a.published_at, CAST(a.published_date AS TIMESTAMPTZ), a.first_seen_at) AS t,
       (a.published_at IS NOT NULL OR a.published_date IS NOT NULL) AS dated
FROM story_terms st
JOIN articles a USING (article_id);
DELETE FROM story_terms;
INSERT INTO story_terms SELECT * FROM story_terms_012 ORDER BY t, article_id;
DROP TABLE story_terms_012;
