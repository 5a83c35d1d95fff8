-- 008_analyst_dates: dates that say what they are, one name for an unknown outlet, and alerts.
--
-- Every article now carries a date_basis:
--   'published'            the article gives its publication instant (articles.published_at)
--   'published_date_only'  the article gives only its publication day (articles.published_date)
--   'first_seen'           the article gives no date; all we know is when wiretrace first loaded it
-- A first-seen time says nothing about when an article was published (a 2017 article loaded today is
-- not news of today), so marts that count by day carry date_basis, story order never places an
-- undated article at its first-seen time, and date_shown never writes a time for a date-only value.
-- An unknown outlet is NULL in tables and '(unknown)' in every view that shows outlet names.

-- Staging: one row per article with the day it counts on and what that day is based on.
CREATE OR REPLACE VIEW stg_articles AS
SELECT
    a.*,
    coalesce(a.published_date, CAST(a.first_seen_at AS DATE)) AS day,
    CASE WHEN a.published_at IS NOT NULL THEN 'published'
         WHEN a.published_date IS NOT NULL THEN 'published_date_only'
         ELSE 'first_seen' END AS date_basis,
    CASE WHEN a.published_at IS NOT NULL THEN strftime(timezone('UTC', a.published_at), '%Y-%m-%d %H:%M UTC')
         WHEN a.published_date IS NOT NULL THEN strftime(a.published_date, '%Y-%m-%d')
         ELSE 'undated (first seen ' || strftime(CAST(timezone('UTC', a.first_seen_at) AS DATE), '%Y-%m-%d')
              || ')' END AS date_shown
FROM articles a;

-- Mart: articles per day per source and role, split by what the day is based on.
--   SELECT day, sum(articles) FROM coverage_daily
--   WHERE source = 'AFP' AND role IN ('origin', 'reuse') AND date_basis <> 'first_seen' GROUP BY day
CREATE OR REPLACE VIEW coverage_daily AS
SELECT a.day, r.source, r.role, count(DISTINCT a.article_id) AS articles, a.date_basis
FROM stg_articles a
JOIN stg_article_roles r USING (article_id)
GROUP BY a.day, r.source, r.role, a.date_basis;

-- Mart: articles per day per agency, by how the agency's copy is present, split by date_basis.
CREATE OR REPLACE VIEW agency_daily AS
SELECT
    a.day,
    r.source AS agency,
    count(DISTINCT a.article_id) FILTER (WHERE r.role = 'origin') AS origin,
    count(DISTINCT a.article_id) FILTER (WHERE r.role = 'reuse') AS reuse,
    count(DISTINCT a.article_id) FILTER (WHERE r.role IN ('origin', 'reuse')) AS carried,
    count(DISTINCT a.article_id) FILTER (WHERE r.role = 'cited') AS cited,
    count(DISTINCT a.article_id) AS articles,
    a.date_basis                                         -- 'first_seen' rows count on the day first seen
FROM stg_articles a
JOIN stg_article_roles r USING (article_id)
WHERE r.kind = 'agency'
GROUP BY ALL;

-- The same columns as in 006, then the date columns.
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
    END AS wire_share,
    a.date_basis,                                        -- 'published', 'published_date_only', 'first_seen'
    a.date_shown,                                        -- the date as known: never a made-up time
    a.first_seen_at                                      -- when wiretrace first loaded it
FROM stg_articles a
JOIN stg_agency_copy c USING (article_id)
LEFT JOIN roles r USING (article_id);

-- story_timeline's order by date_basis is in 013 (009 redefines the view after this file).

-- The same rows and columns as in 004, the outlet '(unknown)' when not known.
CREATE OR REPLACE VIEW uncredited_copies AS
WITH reuse AS (
    SELECT article_id, source, count(*) AS passages, CAST(sum(char_end - char_start) AS BIGINT) AS copied_chars
    FROM article_sources
    WHERE role = 'reuse' AND kind = 'agency'
    GROUP BY article_id, source
),
credited AS (
    SELECT DISTINCT article_id, source FROM article_sources WHERE role IN ('origin', 'cited', 'via')
),
agency_originals AS (
    SELECT DISTINCT article_id, source FROM article_sources WHERE role = 'origin' AND kind = 'agency'
)
SELECT
    u.article_id,
    coalesce(a.outlet, '(unknown)') AS outlet,
    a.title,
    u.source AS agency,
    u.passages,
    u.copied_chars,
    round(u.copied_chars / nullif(length(a.text), 0), 4) AS share,
    (SELECT list(r.copied_from_id ORDER BY r.copied_from_id)
     FROM article_reuse r JOIN agency_originals g
       ON g.article_id = r.copied_from_id AND g.source = u.source
     WHERE r.article_id = u.article_id) AS copied_from
FROM reuse u
JOIN articles a USING (article_id)
LEFT JOIN credited c ON c.article_id = u.article_id AND c.source = u.source
WHERE c.article_id IS NULL;

-- The same columns as in 005; first_seen/last_seen/days/first_* from dated articles when the story
-- has any (an undated article's first-seen time is not when the story happened), then undated_articles
-- and first_shown/last_shown (those two dates as date_shown writes them).
CREATE OR REPLACE VIEW story_summary AS
WITH members AS (
    SELECT m.*, t.position
    FROM article_summary m
    JOIN story_timeline t USING (story_id, article_id)
),
dated AS (
    SELECT story_id, count(*) AS n FROM members WHERE date_basis <> 'first_seen' GROUP BY story_id
)
SELECT
    m.story_id,
    any_value(st.label) AS label,
    count(*) AS articles,
    count(DISTINCT m.outlet) AS outlets,
    CASE WHEN any_value(d.n) > 0 THEN min(m.seen_at) FILTER (WHERE m.date_basis <> 'first_seen')
         ELSE min(m.seen_at) END AS first_seen,
    CASE WHEN any_value(d.n) > 0 THEN max(m.seen_at) FILTER (WHERE m.date_basis <> 'first_seen')
         ELSE max(m.seen_at) END AS last_seen,
    count(DISTINCT m.day) FILTER (WHERE m.date_basis <> 'first_seen' OR coalesce(d.n, 0) = 0) AS days,
    any_value(m.article_id) FILTER (WHERE m.position = 1) AS first_article_id,
    any_value(m.outlet) FILTER (WHERE m.position = 1) AS first_outlet,
    list_sort(list_distinct(flatten(list(m.origin_agencies || m.reused_agencies)))) AS agencies,
    list_sort(list_distinct(list(m.outlet))) AS outlet_names,
    count(*) FILTER (WHERE m.date_basis = 'first_seen') AS undated_articles, -- articles giving no date
    CASE WHEN any_value(d.n) > 0 THEN arg_min(m.date_shown, m.seen_at) FILTER (WHERE m.date_basis <> 'first_seen')
         ELSE arg_min(m.date_shown, m.seen_at) END AS first_shown,   -- first_seen as a date_shown
    CASE WHEN any_value(d.n) > 0 THEN arg_max(m.date_shown, m.seen_at) FILTER (WHERE m.date_basis <> 'first_seen')
         ELSE arg_max(m.date_shown, m.seen_at) END AS last_shown     -- last_seen as a date_shown
FROM members m
LEFT JOIN stories st USING (story_id)
LEFT JOIN dated d USING (story_id)
GROUP BY m.story_id;

-- The same columns as in 005; first_day/last_day count only articles that give a date, then
-- undated_articles.
CREATE OR REPLACE VIEW sources_by_outlet AS
SELECT
    coalesce(a.outlet, '(unknown)') AS outlet,
    r.source,
    r.kind,
    r.role,
    count(DISTINCT a.article_id) AS articles,
    min(a.day) FILTER (WHERE a.date_basis <> 'first_seen') AS first_day,
    max(a.day) FILTER (WHERE a.date_basis <> 'first_seen') AS last_day,
    min(r.first_evidence) AS example_evidence,
    count(DISTINCT a.article_id) FILTER (WHERE a.date_basis = 'first_seen') AS undated_articles
FROM stg_articles a
JOIN stg_article_roles r USING (article_id)
GROUP BY ALL;

-- The same columns as in 005; first_day/last_day count only articles that give a date, then
-- undated_articles.
CREATE OR REPLACE VIEW coverage_by_outlet AS
WITH uncredited AS (
    SELECT outlet, count(DISTINCT article_id) AS n
    FROM uncredited_copies
    GROUP BY 1
)
SELECT
    s.outlet,
    count(*) AS articles,
    count(DISTINCT s.story_id) AS stories,
    min(s.day) FILTER (WHERE s.date_basis <> 'first_seen') AS first_day,
    max(s.day) FILTER (WHERE s.date_basis <> 'first_seen') AS last_day,
    CAST(sum(s.word_count) AS BIGINT) AS words,
    count(*) FILTER (WHERE len(s.origin_agencies) > 0) AS agency_origin_articles,
    count(*) FILTER (WHERE len(s.reused_agencies) > 0) AS agency_reuse_articles,
    coalesce(any_value(u.n), 0) AS uncredited_articles,
    list_sort(list_distinct(flatten(list(s.origin_agencies)))) AS agencies_origin,
    list_sort(list_distinct(flatten(list(s.reused_agencies)))) AS agencies_reused,
    list_sort(list_distinct(flatten(list(s.cited_sources || s.via_sources)))) AS sources_cited,
    round(avg(s.wire_share), 4) AS mean_wire_share,
    count(*) FILTER (WHERE s.date_basis = 'first_seen') AS undated_articles
FROM article_summary s
LEFT JOIN uncredited u USING (outlet)
GROUP BY s.outlet;

-- Alerts: each event that a rule of feeds.yaml (`alerts:`) matched, once (alert_key is stable), and
-- how its delivery went. A failed delivery is retried by the next run until it goes through.
CREATE TABLE alerts (
    alert_key     VARCHAR PRIMARY KEY,   -- rule name + what happened: the same event always has the same key
    rule          VARCHAR NOT NULL,      -- the rule's name in feeds.yaml
    kind          VARCHAR NOT NULL,      -- 'story_article', 'uncredited_copy', 'new_outlet', 'feed_failing'
    subject       VARCHAR NOT NULL,      -- one line saying what happened
    payload       VARCHAR NOT NULL,      -- the JSON body delivered (webhook POST and Prefect event)
    story_id      VARCHAR,               -- stories.story_id, when it is about a story
    article_id    VARCHAR,               -- articles.article_id, when it is about an article
    feed_url      VARCHAR,               -- feed_state.feed_url, when it is about a feed
    created_at    TIMESTAMPTZ NOT NULL,  -- when a run first found it
    run_id        VARCHAR,               -- runs.run_id of that run
    delivered_at  TIMESTAMPTZ,           -- when every delivery of it succeeded; null while pending
    attempts      INTEGER NOT NULL,      -- delivery attempts so far
    last_error    VARCHAR                -- why the last delivery failed
);
