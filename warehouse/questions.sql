-- Questions analysts ask of the warehouse, each with its SQL.
-- Each block starts with "-- name: <id>", then "-- " lines with the question, then one statement.
-- The README's "Warehouse" section shows them and tests/warehouse/test_questions.py runs every one
-- of them against the seed warehouse. Where a question is about one story, agency or topic, the
-- query picks one (the biggest story, AFP, 'wechat'): replace it with yours.
-- Dates: date_basis says what a date is ('published', 'published_date_only', 'first_seen': the article
-- gives no date, only when wiretrace first loaded it); date_shown never writes a time that is not known.

-- name: stories
-- Which stories are in the warehouse, how many articles and outlets each, and who carried them first?
SELECT story_id, label, articles, outlets, first_shown, last_shown, undated_articles, first_outlet, agencies
FROM story_summary
ORDER BY articles DESC, first_seen;

-- name: story_first_outlet
-- Which outlet was the first to carry the biggest story, with which article and credits?
SELECT story_id, outlet, title, date_shown, date_basis, sources
FROM story_timeline
WHERE position = 1
  AND story_id = (SELECT story_id FROM story_summary ORDER BY articles DESC, story_id LIMIT 1);

-- name: story_timeline
-- Who carried the biggest story, in what order (dated articles by date, an undated original just
-- before the first article that copies it), with which credits, copying whom?
SELECT position, outlet, title, date_shown, date_basis, sources, copied_from
FROM story_timeline
WHERE story_id = (SELECT story_id FROM story_summary ORDER BY articles DESC, story_id LIMIT 1)
ORDER BY position;

-- name: story_agencies_per_day
-- Articles per day per agency for the biggest story: whose copy carried it, day by day?
SELECT a.day, a.date_basis, r.source AS agency, r.role, count(DISTINCT a.article_id) AS articles
FROM stg_articles a
JOIN stg_article_roles r USING (article_id)
WHERE r.kind = 'agency'
  AND a.story_id = (SELECT story_id FROM story_summary ORDER BY articles DESC, story_id LIMIT 1)
GROUP BY ALL
ORDER BY a.day, agency, r.role;

-- name: agency_copy
-- Which articles are AFP's own copy (an origin credit), and what shows it?
SELECT a.outlet, a.title, a.date_shown, r.evidence_count, r.first_evidence
FROM stg_article_roles r
JOIN article_summary a USING (article_id)
WHERE r.source = 'AFP' AND r.role = 'origin'
ORDER BY a.seen_at, a.title;

-- name: uncredited_copies
-- Which outlets ran an agency's copy without crediting the agency, and how much of it?
SELECT outlet, agency, count(*) AS articles,
       sum(copied_chars) AS copied_chars, max(share) AS max_share,
       list(title ORDER BY title) AS titles
FROM uncredited_copies
GROUP BY ALL
ORDER BY copied_chars DESC;

-- name: copied_passages
-- Which passages did each article copy, and from which earlier article?
SELECT c.title AS copying_article, s.title AS copied_from, p.passage.text AS passage,
       p.passage."end" - p.passage."start" AS chars
FROM (SELECT article_id, copied_from_id, unnest(passages) AS passage FROM article_reuse) p
JOIN articles c ON c.article_id = p.article_id
JOIN articles s ON s.article_id = p.copied_from_id
ORDER BY copying_article, p.passage."start";

-- name: wire_share
-- What share of each outlet's text is agency copy (its agency-origin articles plus pasted passages)?
SELECT outlet, articles, origin_articles, reusing_articles, agency_chars, total_chars, agency_share
FROM wire_share
ORDER BY agency_share DESC, outlet;

-- name: agency_daily
-- How many articles per day carry each agency's copy (origin or pasted), and how many cite it
-- (date_basis 'first_seen': undated articles, counted on the day wiretrace first loaded them)?
SELECT day, date_basis, agency, carried, origin, reuse, cited
FROM agency_daily
ORDER BY day, agency, date_basis;

-- name: topic_this_week
-- Which articles of the last seven days match a topic (a tracked topic, or the word in title or text),
-- counting only articles that give their date (an undated one first seen this week may be years old)?
SELECT s.outlet, s.title, s.date_shown, s.topics
FROM article_summary s
JOIN articles a USING (article_id)
WHERE (list_contains(s.topics, 'wechat') OR a.title ILIKE '%wechat%' OR a.text ILIKE '%wechat%')
  AND s.date_basis <> 'first_seen'
  AND s.day >= current_date - INTERVAL 7 DAY
ORDER BY s.seen_at DESC, s.outlet, s.title;

-- name: sources_by_outlet
-- Which sources does each outlet credit, in which role, how often?
SELECT outlet, source, kind, role, articles, first_day, last_day
FROM sources_by_outlet
ORDER BY outlet, articles DESC, source, role;

-- name: coverage_by_outlet
-- What does each outlet publish, since when, and whose copy does it carry?
SELECT outlet, articles, stories, first_day, last_day, agencies_origin, agencies_reused,
       uncredited_articles, sources_cited
FROM coverage_by_outlet
ORDER BY articles DESC, outlet;

-- name: near_duplicates
-- Which articles are the same article published again (another URL or boilerplate)?
SELECT l.outlet, l.title, e.outlet AS earlier_outlet, e.title AS earlier_title, d.similarity
FROM near_duplicates d
JOIN article_summary l ON l.article_id = d.article_id
JOIN article_summary e ON e.article_id = d.duplicate_of_id
ORDER BY d.similarity DESC;

-- name: open_failures
-- Which inputs failed to load, why, and how many runs have tried them?
SELECT origin, source_ref, stage, reason, attempts, last_failed_at
FROM open_failures;

-- name: recent_runs
-- What did the last runs do?
SELECT run_id, flow, started_at, finished_at - started_at AS took, status,
       inputs_seen, articles_new, articles_updated, articles_unchanged, failures
FROM runs
ORDER BY started_at DESC
LIMIT 10;
