-- 002_coverage: staging views over the core tables, then the coverage marts.

-- Staging: one row per article with the day it counts on (published date, else the day first seen).
CREATE VIEW stg_articles AS
SELECT
    a.*,
    coalesce(a.published_date, CAST(a.first_seen_at AS DATE)) AS day
FROM articles a;

-- Staging: one row per (article, source, role), however many pieces of evidence show it.
CREATE VIEW stg_article_roles AS
SELECT article_id, source, any_value(kind) AS kind, role, count(*) AS evidence_count,
       min(evidence) AS first_evidence
FROM article_sources
GROUP BY article_id, source, role;

-- Mart: articles per day per source and role. "How many articles per day carry AFP copy?"
--   SELECT day, articles FROM coverage_daily WHERE source = 'AFP' AND role IN ('origin', 'reuse')
CREATE VIEW coverage_daily AS
SELECT a.day, r.source, r.role, count(DISTINCT a.article_id) AS articles
FROM stg_articles a
JOIN stg_article_roles r USING (article_id)
GROUP BY a.day, r.source, r.role;

-- Open failures: inputs not loaded yet, newest first.
CREATE VIEW open_failures AS
SELECT origin, source_ref, stage, reason, attempts, first_failed_at, last_failed_at
FROM ingest_failures
WHERE severity = 'error' AND resolved_at IS NULL
ORDER BY last_failed_at DESC;
