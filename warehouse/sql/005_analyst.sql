-- 005_analyst: marts for analysts and for `wiretrace report`, over the core tables (001),
-- the staging views (002) and the provenance tables (004).
-- Conventions: an article's outlet is '(unknown)' when none is known (as in wire_share); an article
-- "counts on" stg_articles.day (published date, else the day first seen) and "happened at" seen_at
-- (published instant, else published date, else first seen - as story_timeline orders them).

-- Staging: one row per article with its outlet, time and credits gathered by role.
--   SELECT title, origin_agencies, reused_agencies FROM article_summary WHERE outlet = 'Inquirer'
CREATE VIEW article_summary AS
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
),
agency_originals AS (
    SELECT DISTINCT article_id FROM article_sources WHERE role = 'origin' AND kind = 'agency'
),
pasted AS (
    SELECT r.article_id, sum(r.shared_chars) AS chars
    FROM article_reuse r
    WHERE r.copied_from_id IN (SELECT article_id FROM agency_originals)
    GROUP BY r.article_id
)
SELECT
    a.article_id,                                        -- articles.article_id
    coalesce(a.outlet, '(unknown)') AS outlet,           -- articles.outlet, '(unknown)' when not known
    a.title,                                             -- articles.title
    a.url,                                               -- articles.url
    a.day,                                               -- published date, else the day first seen
    coalesce(a.published_at, CAST(a.published_date AS TIMESTAMPTZ), a.first_seen_at) AS seen_at,
                                                         -- published instant, else date, else first seen
    a.language,                                          -- ISO 639-1 code
    a.word_count,                                        -- words of the cleaned text
    a.origin,                                            -- 'seed' or 'feed'
    a.story_id,                                          -- stories.story_id
    coalesce(a.topics, []) AS topics,                    -- tracked topics it matched (feed articles)
    coalesce(r.origin_agencies, []) AS origin_agencies,  -- agencies credited as its origin (their own copy)
    coalesce(r.reused_agencies, []) AS reused_agencies,  -- agencies whose copy it pastes (role 'reuse')
    coalesce(r.cited_sources, []) AS cited_sources,      -- agencies and outlets it cites ("AFP reported")
    coalesce(r.via_sources, []) AS via_sources,          -- outlets it links as its source ("Via: ...")
    coalesce(r.photo_sources, []) AS photo_sources,      -- agencies credited for its pictures
    CASE WHEN o.article_id IS NOT NULL THEN 1.0
         ELSE round(least(coalesce(p.chars, 0), length(a.text)) / nullif(length(a.text), 0), 4)
    END AS wire_share                                    -- share of its text that is agency copy (0..1):
                                                         -- 1 for agency-origin articles, else pasted passages
FROM stg_articles a
LEFT JOIN roles r USING (article_id)
LEFT JOIN agency_originals o USING (article_id)
LEFT JOIN pasted p USING (article_id);

-- Mart: one row per outlet. "What does each outlet publish, since when, and whose copy?"
--   SELECT outlet, articles, agencies_origin, agencies_reused FROM coverage_by_outlet ORDER BY articles DESC
CREATE VIEW coverage_by_outlet AS
WITH uncredited AS (
    SELECT coalesce(outlet, '(unknown)') AS outlet, count(DISTINCT article_id) AS n
    FROM uncredited_copies
    GROUP BY 1
)
SELECT
    s.outlet,                                            -- articles.outlet, '(unknown)' when not known
    count(*) AS articles,                                -- its articles in the warehouse
    count(DISTINCT s.story_id) AS stories,               -- stories it carried
    min(s.day) AS first_day,                             -- day of its earliest article
    max(s.day) AS last_day,                              -- day of its latest article
    CAST(sum(s.word_count) AS BIGINT) AS words,          -- words of all its articles
    count(*) FILTER (WHERE len(s.origin_agencies) > 0) AS agency_origin_articles,
                                                         -- articles that are an agency's own copy
    count(*) FILTER (WHERE len(s.reused_agencies) > 0) AS agency_reuse_articles,
                                                         -- articles pasting passages of agency copy
    coalesce(any_value(u.n), 0) AS uncredited_articles,  -- of those, articles not crediting the agency
    list_sort(list_distinct(flatten(list(s.origin_agencies)))) AS agencies_origin,
                                                         -- agencies it carries as origin
    list_sort(list_distinct(flatten(list(s.reused_agencies)))) AS agencies_reused,
                                                         -- agencies whose copy it pastes
    list_sort(list_distinct(flatten(list(s.cited_sources || s.via_sources)))) AS sources_cited,
                                                         -- agencies and outlets it cites or links as source
    round(avg(s.wire_share), 4) AS mean_wire_share       -- mean of its articles' wire_share (0..1)
FROM article_summary s
LEFT JOIN uncredited u USING (outlet)
GROUP BY s.outlet;

-- Mart: one row per outlet, source and role. "Which sources does each outlet credit, and how?"
--   SELECT outlet, source, role, articles FROM sources_by_outlet ORDER BY outlet, articles DESC
CREATE VIEW sources_by_outlet AS
SELECT
    coalesce(a.outlet, '(unknown)') AS outlet,           -- the crediting outlet ('(unknown)' when not known)
    r.source,                                            -- the credited agency or outlet (sources.yaml name)
    r.kind,                                              -- 'agency' or 'outlet'
    r.role,                                              -- 'origin', 'cited', 'photo', 'via', 'reuse'
    count(DISTINCT a.article_id) AS articles,            -- its articles with that credit
    min(a.day) AS first_day,                             -- day of the first such article
    max(a.day) AS last_day,                              -- day of the latest such article
    min(r.first_evidence) AS example_evidence            -- the words of one such credit
FROM stg_articles a
JOIN stg_article_roles r USING (article_id)
GROUP BY ALL;

-- Mart: articles per day per agency, by how the agency's copy is present.
-- "How many articles per day carry AFP copy?" (the report's coverage-over-time chart)
--   SELECT day, carried FROM agency_daily WHERE agency = 'AFP' ORDER BY day
CREATE VIEW agency_daily AS
SELECT
    a.day,                                               -- published date, else the day first seen
    r.source AS agency,                                  -- the agency (kind = 'agency')
    count(DISTINCT a.article_id) FILTER (WHERE r.role = 'origin') AS origin,   -- articles that are its copy
    count(DISTINCT a.article_id) FILTER (WHERE r.role = 'reuse') AS reuse,     -- articles pasting its copy
    count(DISTINCT a.article_id) FILTER (WHERE r.role IN ('origin', 'reuse')) AS carried,
                                                         -- articles with its copy either way
    count(DISTINCT a.article_id) FILTER (WHERE r.role = 'cited') AS cited,     -- articles citing it
    count(DISTINCT a.article_id) AS articles             -- articles crediting it in any role (photos too)
FROM stg_articles a
JOIN stg_article_roles r USING (article_id)
WHERE r.kind = 'agency'
GROUP BY ALL;

-- Mart: one row per story. "Which stories, how big, who was first?"
--   SELECT label, articles, outlets, first_outlet FROM story_summary ORDER BY articles DESC
CREATE VIEW story_summary AS
WITH members AS (
    SELECT s.*, row_number() OVER (PARTITION BY s.story_id ORDER BY s.seen_at, s.article_id) AS position
    FROM article_summary s
    WHERE s.story_id IS NOT NULL
)
SELECT
    m.story_id,                                          -- stories.story_id
    any_value(st.label) AS label,                        -- stories.label: title of its earliest article
    count(*) AS articles,                                -- its articles
    count(DISTINCT m.outlet) AS outlets,                 -- distinct outlets carrying it ('(unknown)' counts once)
    min(m.seen_at) AS first_seen,                        -- time of its earliest article
    max(m.seen_at) AS last_seen,                         -- time of its latest article
    count(DISTINCT m.day) AS days,                       -- distinct days with an article of it
    any_value(m.article_id) FILTER (WHERE m.position = 1) AS first_article_id, -- its earliest article
    any_value(m.outlet) FILTER (WHERE m.position = 1) AS first_outlet,         -- the outlet that carried it first
    list_sort(list_distinct(flatten(list(m.origin_agencies || m.reused_agencies)))) AS agencies,
                                                         -- agencies whose copy it carries (origin or reuse)
    list_sort(list_distinct(list(m.outlet))) AS outlet_names -- the outlets carrying it
FROM members m
LEFT JOIN stories st USING (story_id)
GROUP BY m.story_id;
