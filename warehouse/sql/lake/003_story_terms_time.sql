-- 003_story_terms_time: story lookups read only the story window, not the whole history.
-- Each keyword row carries the time of its article (published_at, else published_date, else
-- first_seen_at) and whether that time is a publication date. `story_members` selects rows by `t`
-- first: rows are appended batch by batch, so they lie in time order, and DuckDB skips every Parquet
-- file (and row group) whose min/max of `t` is outside the window. An article's time only changes
-- when it is re-loaded, and every (re)load rewrites its rows. `wiretrace migrate` fills the two
-- columns for converted rows (warehouse/provenance.py: fill_story_term_times).
ALTER TABLE story_terms ADD COLUMN t TIMESTAMPTZ;     -- time of the article when it was grouped
ALTER TABLE story_terms ADD COLUMN dated BOOLEAN;     -- t is a publication time (else: first seen)

-- Rows stored before get their article's time, rewritten in time order so their files prune too.
CREATE TEMP TABLE story_terms_003 AS
SELECT st.article_id, st.term, st.weight,
       coalesce(a.published_at, CAST(a.published_date AS TIMESTAMPTZ), a.first_seen_at) AS t,
       (a.published_at IS NOT NULL OR a.published_date IS NOT NULL) AS dated
FROM story_terms st
JOIN articles a USING (article_id);
DELETE FROM story_terms;
INSERT INTO story_terms SELECT * FROM story_terms_003 ORDER BY t, article_id;
DROP TABLE story_terms_003;
