-- 006_agency_copy: one staging view for "how much of an article is agency copy", which
-- wire_share (004) and article_summary (005) each computed on their own; both now read it.
-- Also: runs.status is only ever 'completed' in a published warehouse (a failed run's working
-- copy is discarded, warehouse/session.py); the 'running'/'crashed' of 001's comment predate that.

-- Staging: one row per article. An article credited to an agency as its origin is agency copy
-- whole; any other counts the characters it pastes from such articles (article_reuse), at most
-- its own length.
--   SELECT article_id, agency_chars FROM stg_agency_copy WHERE agency_chars > 0 AND NOT is_agency_origin
CREATE VIEW stg_agency_copy AS
WITH agency_originals AS (
    SELECT DISTINCT article_id FROM article_sources WHERE role = 'origin' AND kind = 'agency'
),
pasted AS (
    SELECT r.article_id, sum(r.shared_chars) AS chars
    FROM article_reuse r
    WHERE r.copied_from_id IN (SELECT article_id FROM agency_originals)
    GROUP BY r.article_id
)
SELECT
    a.article_id,                                          -- articles.article_id
    length(a.text) AS chars,                               -- characters of its text
    o.article_id IS NOT NULL AS is_agency_origin,          -- credited to an agency as its origin
    CASE WHEN o.article_id IS NOT NULL THEN length(a.text)
         ELSE least(coalesce(p.chars, 0), length(a.text)) END AS agency_chars
                                                           -- characters of agency copy in it
FROM articles a
LEFT JOIN agency_originals o USING (article_id)
LEFT JOIN pasted p USING (article_id);

-- The same columns as in 004, from stg_agency_copy.
CREATE OR REPLACE VIEW wire_share AS
SELECT
    coalesce(a.outlet, '(unknown)') AS outlet,
    count(*) AS articles,
    count(*) FILTER (WHERE c.is_agency_origin) AS origin_articles,
    count(*) FILTER (WHERE NOT c.is_agency_origin AND c.agency_chars > 0) AS reusing_articles,
    CAST(sum(c.chars) AS BIGINT) AS total_chars,
    CAST(coalesce(sum(c.agency_chars) FILTER (WHERE c.is_agency_origin), 0) AS BIGINT) AS origin_chars,
    CAST(coalesce(sum(c.agency_chars) FILTER (WHERE NOT c.is_agency_origin), 0) AS BIGINT) AS reused_chars,
    CAST(sum(c.agency_chars) AS BIGINT) AS agency_chars,
    round(sum(c.agency_chars) / nullif(sum(c.chars), 0), 4) AS agency_share
FROM articles a
JOIN stg_agency_copy c USING (article_id)
GROUP BY 1;

-- The same columns as in 005, its wire_share from stg_agency_copy.
CREATE OR REPLACE VIEW article_summary AS
WITH roles AS (
    SELECT
        article_id,
        list(DISTINCT source ORDER BY source) FILTER (WHERE role = 'origin' AND kind = 'agency') AS origin_agencies,
        list(DISTINCT source ORDER BY source) FILTER (WHERE role = 'reuse' AND kind = 'agency') AS reused_agencies,
        list(DISTINCT source ORDER BY source) FILTER (WHERE role = 'cited') AS cited_sources,
        list(DISTINCT source ORDER BY source) FILTER (WHERE role = 'via') AS via_sources,
        list(DISTINCT source ORDER BY source) FILTER (WHERE role = 'photo') AS photo_sources
    FROM article_sources
    GROUP BY article_id
)
SELECT
    a.article_id,
    coalesce(a.outlet, '(unknown)') AS outlet,
    a.title,
    a.url,
    a.day,
    coalesce(a.published_at, CAST(a.published_date AS TIMESTAMPTZ), a.first_seen_at) AS seen_at,
    a.language,
    a.word_count,
    a.origin,
    a.story_id,
    coalesce(a.topics, []) AS topics,
    coalesce(r.origin_agencies, []) AS origin_agencies,
    coalesce(r.reused_agencies, []) AS reused_agencies,
    coalesce(r.cited_sources, []) AS cited_sources,
    coalesce(r.via_sources, []) AS via_sources,
    coalesce(r.photo_sources, []) AS photo_sources,
    CASE WHEN c.is_agency_origin THEN 1.0
         ELSE round(c.agency_chars / nullif(c.chars, 0), 4)
    END AS wire_share
FROM stg_articles a
JOIN stg_agency_copy c USING (article_id)
LEFT JOIN roles r USING (article_id);
