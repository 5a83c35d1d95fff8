-- 004_provenance: who copied whom (text reuse), whole-article duplicates, stories.
-- Written by flows/provenance.py (statements in warehouse/provenance.py); idempotent per article:
-- the rows of an article are deleted and re-inserted whenever it is (re)processed.
-- "Time" of an article below = published_at, else published_date, else first_seen_at.

-- Index state for reuse detection: the winnowed word 5-shingle fingerprints of each article.
-- A new article's candidates are the articles sharing >= 2 fingerprints (one SQL join).
CREATE TABLE reuse_fingerprints (
    article_id   VARCHAR NOT NULL,   -- articles.article_id
    fingerprint  BIGINT NOT NULL,    -- stable 64-bit hash of 5 normalized words (casefolded, no punctuation)
    position     INTEGER NOT NULL    -- word position of the shingle in the article's normalized text
);

-- Passage-level reuse: article_id contains passages of copied_from_id (the earlier one, or the agency original).
CREATE TABLE article_reuse (
    article_id     VARCHAR NOT NULL, -- the copying article
    copied_from_id VARCHAR NOT NULL, -- the article its passages come from
    shared_chars   INTEGER NOT NULL, -- characters of article_id's text inside copied passages
    share          DOUBLE NOT NULL,  -- shared_chars / length(text) of article_id (0..1)
    passages       STRUCT(
        "start" INTEGER,             -- offset of the passage in article_id's text (articles.text)
        "end" INTEGER,               -- end offset (exclusive) in article_id's text
        src_start INTEGER,           -- offset of the same passage in copied_from_id's text
        src_end INTEGER,             -- end offset (exclusive) in copied_from_id's text
        "text" VARCHAR               -- the passage as it reads in article_id
    )[] NOT NULL
);

-- Index state for near-duplicates: each article's MinHash signature (128 x uint32, little-endian bytes).
CREATE TABLE near_duplicate_signatures (
    article_id  VARCHAR NOT NULL,    -- articles.article_id
    signature   BLOB NOT NULL        -- datasketch MinHash hashvalues (affine32 scheme, seed 1), 512 bytes
);

-- Index state for near-duplicates: one LSH band key per band of the signature; equal keys = candidates.
CREATE TABLE near_duplicate_bands (
    article_id  VARCHAR NOT NULL,    -- articles.article_id
    band_key    BIGINT NOT NULL      -- hash of (band number, the band's rows of the signature)
);

-- Whole-article near-duplicates: the same article under other boilerplate or another URL.
CREATE TABLE near_duplicates (
    article_id      VARCHAR NOT NULL, -- the later article
    duplicate_of_id VARCHAR NOT NULL, -- the earlier article it repeats
    similarity      DOUBLE NOT NULL   -- estimated Jaccard similarity of their word 5-shingle sets (0.6..1)
);

-- Index state for story grouping: each article's keyword vector (top 40 terms, unit length).
CREATE TABLE story_terms (
    article_id  VARCHAR NOT NULL,    -- articles.article_id
    term        VARCHAR NOT NULL,    -- casefolded content word or name
    weight      DOUBLE NOT NULL      -- its TF-IDF weight in the vector, as computed when the article was grouped
);

-- Index state for story grouping: every distinct content word of each article (to undo its counts).
CREATE TABLE story_term_sets (
    article_id  VARCHAR NOT NULL,    -- articles.article_id
    terms       VARCHAR[] NOT NULL   -- its distinct casefolded content words and names
);

-- Index state for story grouping: document frequencies, kept up to date per batch (IDF weights).
CREATE TABLE story_term_df (
    term        VARCHAR PRIMARY KEY, -- a content word; the row with term '' counts the grouped articles
    df          INTEGER NOT NULL     -- number of grouped articles containing it
);

-- Stories: articles reporting one event within 7 days of each other (articles.story_id points here).
CREATE TABLE stories (
    story_id    VARCHAR NOT NULL,    -- 'story-' || the article_id of the article that started it (stable)
    label       VARCHAR,             -- title of the story's earliest article
    first_seen  TIMESTAMPTZ,         -- time of its earliest article
    last_seen   TIMESTAMPTZ,         -- time of its latest article
    articles    VARCHAR[] NOT NULL   -- its article_ids in time order
);

-- Per outlet: how much of what it publishes is agency copy, its own agency-origin articles plus
-- agency passages it pasted from them.
--   SELECT outlet, agency_share FROM wire_share ORDER BY agency_chars DESC
CREATE VIEW wire_share AS
WITH origin_articles AS (
    SELECT DISTINCT article_id FROM article_sources WHERE role = 'origin' AND kind = 'agency'
),
reused AS (
    SELECT r.article_id, sum(r.shared_chars) AS chars
    FROM article_reuse r
    WHERE r.copied_from_id IN (SELECT article_id FROM origin_articles)
    GROUP BY r.article_id
),
per_article AS (
    SELECT
        coalesce(a.outlet, '(unknown)') AS outlet,
        length(a.text) AS chars,
        o.article_id IS NOT NULL AS is_origin,
        CASE WHEN o.article_id IS NOT NULL THEN length(a.text)
             ELSE least(coalesce(r.chars, 0), length(a.text)) END AS agency_chars
    FROM articles a
    LEFT JOIN origin_articles o USING (article_id)
    LEFT JOIN reused r USING (article_id)
)
SELECT
    outlet,                                                          -- articles.outlet ('(unknown)' when null)
    count(*) AS articles,                                            -- its articles in the warehouse
    count(*) FILTER (WHERE is_origin) AS origin_articles,            -- articles with an agency origin credit
    count(*) FILTER (WHERE NOT is_origin AND agency_chars > 0) AS reusing_articles, -- articles pasting agency passages
    CAST(sum(chars) AS BIGINT) AS total_chars,                                       -- characters of all its article texts
    CAST(coalesce(sum(agency_chars) FILTER (WHERE is_origin), 0) AS BIGINT) AS origin_chars,
                                                   -- characters of its agency-origin articles (whole text)
    CAST(coalesce(sum(agency_chars) FILTER (WHERE NOT is_origin), 0) AS BIGINT) AS reused_chars,
                                                   -- characters of agency passages pasted into its other articles
    CAST(sum(agency_chars) AS BIGINT) AS agency_chars,               -- origin_chars + reused_chars
    round(sum(agency_chars) / nullif(sum(chars), 0), 4) AS agency_share -- agency_chars / total_chars (0..1)
FROM per_article
GROUP BY outlet;

-- Per story, its articles in time order: who carried it when, with which credits, copying whom.
--   SELECT position, outlet, seen_at, sources, copied_from FROM story_timeline WHERE story_id = ? ORDER BY position
CREATE VIEW story_timeline AS
WITH roles AS (
    SELECT article_id, list(DISTINCT source || ':' || role ORDER BY source || ':' || role) AS sources
    FROM article_sources
    GROUP BY article_id
),
copies AS (
    SELECT article_id, list(copied_from_id ORDER BY copied_from_id) AS copied_from
    FROM article_reuse
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
    coalesce(c.copied_from, []) AS copied_from -- article_ids it copies passages from (article_reuse)
FROM stories s
JOIN timed t ON t.story_id = s.story_id
LEFT JOIN roles r ON r.article_id = t.article_id
LEFT JOIN copies c ON c.article_id = t.article_id;

-- Articles that paste an agency's text without crediting the agency (no origin, cited or via credit).
--   SELECT outlet, agency, count(*) FROM uncredited_copies GROUP BY ALL
CREATE VIEW uncredited_copies AS
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
    u.article_id,                    -- the copying article
    a.outlet,                        -- its outlet
    a.title,                         -- its title
    u.source AS agency,              -- the agency whose copy it pasted
    u.passages,                      -- number of pasted passages
    u.copied_chars,                  -- characters of pasted agency text
    round(u.copied_chars / nullif(length(a.text), 0), 4) AS share,  -- copied_chars / its text length
    (SELECT list(r.copied_from_id ORDER BY r.copied_from_id)
     FROM article_reuse r JOIN agency_originals g
       ON g.article_id = r.copied_from_id AND g.source = u.source
     WHERE r.article_id = u.article_id) AS copied_from  -- the agency-origin articles it copied
FROM reuse u
JOIN articles a USING (article_id)
LEFT JOIN credited c ON c.article_id = u.article_id AND c.source = u.source
WHERE c.article_id IS NULL;
