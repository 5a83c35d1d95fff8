-- 009_reuse_direction: how the direction of each reuse edge was decided, an explanation of every
-- edge in words, and the history of stories that merge and split.

-- How article_reuse's direction was decided, the most certain evidence first (transforms/reuse.py
-- `orient`): 'published' (publication dates a day or more apart), 'credit' (the copy credits the
-- source's outlet or links its address), 'agency' (the source carries an agency origin credit, the
-- copy none), 'first_seen' (the source was loaded in an earlier run), 'undecided' (nothing says
-- which came first: the two share the passages, and article_id is merely the greater id).
-- Edges stored before 009 keep NULL: directed, by the rules of the time, basis not recorded.
-- stg_agency_copy (006) needs no change: an undecided pair never has exactly one agency original
-- (rule 'agency' decides those), and an article that is one counts whole anyway.
ALTER TABLE article_reuse ADD COLUMN direction_basis VARCHAR;

-- Who moved between stories, and why: a new article that reaches two stories merges them (the
-- larger keeps its id); a re-processed article that leaves a story which keeps other articles
-- splits it.
CREATE TABLE story_history (
    changed_at     TIMESTAMPTZ NOT NULL, -- when the provenance stage made the change
    kind           VARCHAR NOT NULL,     -- 'merge' or 'split'
    from_story_id  VARCHAR NOT NULL,     -- merge: the story absorbed; split: the story left
    into_story_id  VARCHAR NOT NULL,     -- merge: the story that kept its id; split: the article's new story
    article_id     VARCHAR NOT NULL,     -- merge: the bridging article; split: the article that left
    run_id         VARCHAR               -- runs.run_id of the run in progress (null outside a run)
);

-- Every reuse edge in words, from each article's side: a copy reads "pasted 3 passages (612
-- characters) from Droid Report, which was published a month earlier"; both articles of an
-- undecided pair read "shares ... with X; which came first is not known".
--   SELECT article_id, explanation FROM reuse_explanations WHERE other_id = ?
CREATE VIEW reuse_explanations AS
WITH agencies AS (
    SELECT article_id, string_agg(DISTINCT source, ', ' ORDER BY source) AS names
    FROM article_sources WHERE role = 'origin' AND kind = 'agency'
    GROUP BY article_id
),
sides AS (
    SELECT article_id, copied_from_id AS other_id, direction_basis, len(passages) AS passages,
           shared_chars AS chars
    FROM article_reuse
    UNION ALL
    -- the source side of an undecided pair, its characters counted in its own text
    SELECT copied_from_id, article_id, direction_basis, len(passages),
           CAST(list_sum([p.src_end - p.src_start FOR p IN passages]) AS INTEGER)
    FROM article_reuse
    WHERE direction_basis = 'undecided'
),
timed AS (
    SELECT s.*,
           coalesce(o.outlet, o.title, o.article_id) AS other_name,
           date_diff('day', coalesce(o.published_date, CAST(o.published_at AS DATE)),
                     coalesce(a.published_date, CAST(a.published_at AS DATE))) AS published_days,
           date_diff('hour', o.first_seen_at, a.first_seen_at) AS seen_hours,
           g.names AS agencies
    FROM sides s
    JOIN articles a ON a.article_id = s.article_id
    JOIN articles o ON o.article_id = s.other_id
    LEFT JOIN agencies g ON g.article_id = s.other_id
),
spans AS (
    SELECT *,
           CASE WHEN published_days IS NULL THEN NULL
                WHEN published_days < 7 THEN CASE WHEN published_days = 1 THEN 'a day'
                                                  ELSE published_days || ' days' END
                WHEN published_days < 28 THEN CASE WHEN published_days < 14 THEN 'a week'
                                                   ELSE published_days // 7 || ' weeks' END
                WHEN published_days < 335 THEN CASE WHEN published_days < 45 THEN 'a month'
                                                    ELSE round(published_days / 30.4)::INTEGER || ' months' END
                WHEN published_days < 548 THEN 'a year'
                ELSE round(published_days / 365.25)::INTEGER || ' years' END AS published_gap,
           CASE WHEN seen_hours IS NULL THEN NULL
                WHEN seen_hours < 1 THEN 'less than an hour'
                WHEN seen_hours < 48 THEN CASE WHEN seen_hours = 1 THEN 'an hour' ELSE seen_hours || ' hours' END
                ELSE seen_hours // 24 || ' days' END AS seen_gap
    FROM timed
)
SELECT
    article_id,                      -- the article the sentence is about
    other_id,                        -- the article it pasted from (or shares text with)
    direction_basis,                 -- article_reuse.direction_basis
    passages,                        -- number of passages
    chars,                           -- characters of article_id's text inside them
    CASE WHEN direction_basis = 'undecided' THEN 'shares ' ELSE 'pasted ' END
    || passages || CASE WHEN passages = 1 THEN ' passage' ELSE ' passages' END
    || ' (' || chars || ' characters) '
    || CASE WHEN direction_basis = 'undecided' THEN 'with ' ELSE 'from ' END || other_name
    || CASE direction_basis
           WHEN 'published' THEN coalesce(', which was published ' || published_gap || ' earlier',
                                          ', which was published earlier')
           WHEN 'credit' THEN ', which it credits'
           WHEN 'agency' THEN coalesce(', the ' || agencies || ' original', ', an agency original')
           WHEN 'first_seen' THEN coalesce(', which wiretrace loaded ' || seen_gap || ' earlier',
                                           ', which wiretrace loaded earlier')
           WHEN 'undecided' THEN '; which came first is not known'
           ELSE '' END AS explanation  -- the edge in words, with the evidence of its direction
FROM spans;

-- As in 004 (a view is redefined whole: an applied migration is never edited), plus how each
-- article's text reuse reads. copied_from leaves out text shared without a direction: that is in
-- shares_text_with.
CREATE OR REPLACE VIEW story_timeline AS
WITH roles AS (
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
),
timed AS (
    SELECT a.*, coalesce(a.published_at, CAST(a.published_date AS TIMESTAMPTZ), a.first_seen_at) AS seen_at
    FROM articles a
    WHERE a.story_id IS NOT NULL
)
SELECT
    s.story_id,                      -- stories.story_id
    s.label,                         -- stories.label
    row_number() OVER (PARTITION BY s.story_id ORDER BY t.seen_at, t.article_id) AS position, -- 1 = first
    t.article_id,                    -- articles.article_id
    t.outlet,                        -- articles.outlet
    t.title,                         -- articles.title
    t.url,                           -- articles.url
    t.published_at,                  -- articles.published_at (null when only the date or nothing is known)
    t.published_date,                -- articles.published_date
    t.first_seen_at,                 -- articles.first_seen_at
    t.seen_at,                       -- the time used for ordering: published, else first seen
    coalesce(r.sources, []) AS sources,        -- 'source:role' credits of the article ('AFP:origin', 'CNN:via')
    coalesce(c.copied_from, []) AS copied_from, -- article_ids it copies passages from (article_reuse)
    coalesce(e.shares_text_with, []) AS shares_text_with, -- article_ids it shares text with, direction unknown
    e.reuse_explanation              -- its reuse in words (reuse_explanations), '; '-separated; null if none
FROM stories s
JOIN timed t ON t.story_id = s.story_id
LEFT JOIN roles r ON r.article_id = t.article_id
LEFT JOIN copies c ON c.article_id = t.article_id
LEFT JOIN explained e ON e.article_id = t.article_id;
