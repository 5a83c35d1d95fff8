-- 013_analyst_story_order: story_timeline as 009 defines it (reuse direction and explanations), in the
-- order of 008's dates, with the outlet '(unknown)' when not known, then date_basis and date_shown.
-- (Analyst work, numbered after 009 because 009 redefines the view whole and an applied migration is
-- never edited; 008 reads this order through story_summary.)
--
-- Dated articles go by their date; an undated article goes just before the earliest dated article that
-- copies it (directly or through other copies, directed edges only), an undated original before its
-- copies; undated articles that nothing dated copies come last, originals first.
CREATE OR REPLACE VIEW story_timeline AS
WITH RECURSIVE edges AS (
    -- directed reuse inside one story: the copy (dst) and the article it copies (src)
    SELECT r.copied_from_id AS src, r.article_id AS dst
    FROM article_reuse r
    JOIN articles c ON c.article_id = r.article_id
    JOIN articles s ON s.article_id = r.copied_from_id
    WHERE c.story_id IS NOT NULL AND c.story_id = s.story_id
      AND r.direction_basis IS DISTINCT FROM 'undecided'
),
reach(src, dst) AS (
    SELECT src, dst FROM edges
    UNION
    SELECT r.src, e.dst FROM reach r JOIN edges e ON e.src = r.dst
),
timed AS (
    SELECT a.*, coalesce(a.published_at, CAST(a.published_date AS TIMESTAMPTZ)) AS dated_at
    FROM stg_articles a
    WHERE a.story_id IS NOT NULL
),
inherited AS (
    -- the earliest dated article copying an undated one: it stands just before that copy
    SELECT r.src AS article_id, min(t.dated_at) AS before_at
    FROM reach r JOIN timed t ON t.article_id = r.dst
    WHERE t.dated_at IS NOT NULL
    GROUP BY r.src
),
ancestry AS (
    SELECT dst AS article_id, count(DISTINCT src) AS originals FROM reach GROUP BY dst
),
roles AS (
    SELECT article_id, list(DISTINCT source || ':' || role ORDER BY source || ':' || role) AS sources
    FROM article_sources
    GROUP BY article_id
),
copies AS (
    SELECT article_id,
           list(copied_from_id ORDER BY copied_from_id)
               FILTER (WHERE direction_basis IS DISTINCT FROM 'undecided') AS copied_from
    FROM article_reuse
    GROUP BY article_id
),
explained AS (
    SELECT article_id,
           list(other_id ORDER BY other_id) FILTER (WHERE direction_basis = 'undecided') AS shares_text_with,
           string_agg(explanation, '; ' ORDER BY chars DESC, other_id) AS reuse_explanation
    FROM reuse_explanations
    GROUP BY article_id
)
SELECT
    s.story_id,
    s.label,
    row_number() OVER (
        PARTITION BY s.story_id
        ORDER BY coalesce(t.dated_at, i.before_at) NULLS LAST, t.dated_at IS NOT NULL,
                 coalesce(g.originals, 0), t.first_seen_at, t.article_id
    ) AS position,                                     -- 1 = first, in the order described above
    t.article_id,
    coalesce(t.outlet, '(unknown)') AS outlet,         -- articles.outlet, '(unknown)' when not known
    t.title,
    t.url,
    t.published_at,
    t.published_date,
    t.first_seen_at,
    coalesce(t.dated_at, t.first_seen_at) AS seen_at,  -- published instant, else date (00:00), else first seen
    coalesce(r.sources, []) AS sources,
    coalesce(c.copied_from, []) AS copied_from,
    coalesce(e.shares_text_with, []) AS shares_text_with,
    e.reuse_explanation,
    t.date_basis,                                      -- 'published', 'published_date_only', 'first_seen'
    t.date_shown                                       -- the date as known; undated ones say so
FROM stories s
JOIN timed t ON t.story_id = s.story_id
LEFT JOIN inherited i ON i.article_id = t.article_id
LEFT JOIN ancestry g ON g.article_id = t.article_id
LEFT JOIN roles r ON r.article_id = t.article_id
LEFT JOIN copies c ON c.article_id = t.article_id
LEFT JOIN explained e ON e.article_id = t.article_id;
