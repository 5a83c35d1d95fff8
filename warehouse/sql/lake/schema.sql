-- The warehouse schema as it stands after every migration in this folder: written by
-- warehouse/schema_listing.py (`make schema`), checked by tests/warehouse/test_schema_listing.py.
-- For reading, never applied: the migrations (NNN_*.sql) are what builds a warehouse. Tables are
-- shown as the lake holds them, views as their last definition (the file named above each).
-- A table's logical key is named in its column comments; DuckLake has no PRIMARY KEY or UNIQUE.

-- ===== tables =====

-- One row per flow run of `wiretrace run` (or a deployment run).
CREATE TABLE runs (
    run_id             VARCHAR NOT NULL,             -- logical key; uuid of the run (the Prefect flow run id when there is one)
    flow               VARCHAR NOT NULL,             -- 'wiretrace-run', ...
    started_at         TIMESTAMPTZ NOT NULL,
    finished_at        TIMESTAMPTZ,                  -- when the run completed or crashed; null while it runs, or if its process was killed
    status             VARCHAR NOT NULL,             -- 'running' while the run loads its batches, 'completed' when it finished, 'crashed' when it failed (the batches it committed stay; its error is in Prefect); a run whose process was killed stays 'running'
    inputs_seen        INTEGER,                      -- seed files looked at (unchanged ones too) and stored articles re-tagged; feed pages count in pages_fetched
    articles_new       INTEGER,                      -- articles loaded for the first time
    articles_updated   INTEGER,                      -- articles whose content changed and were re-loaded
    articles_unchanged INTEGER,                      -- inputs skipped because already loaded as they are
    failures           INTEGER,                      -- inputs that failed in this run (see ingest_failures)
    note               VARCHAR,
    feeds_polled       INTEGER,                      -- feeds asked for their entries
    feeds_failed       INTEGER,                      -- feeds whose poll failed (see feed_state)
    pages_fetched      INTEGER,                      -- pages requested for feed entries
    pages_failed       INTEGER,                      -- pages whose fetch or extraction failed
    inputs_duplicate   INTEGER                       -- inputs left out as the same article as another
);  -- 001_schema.sql

-- Every input's bytes, content-addressed, so articles can be re-tagged without re-reading sources.
CREATE TABLE raw_documents (
    content_hash  VARCHAR NOT NULL,                  -- logical key; sha256 of the raw bytes, hex
    size_bytes    BIGINT NOT NULL,                   -- size of the raw bytes
    media_type    VARCHAR,                           -- 'text/html' or 'text/plain' as read
    data_gzip     BLOB,                              -- the raw bytes, gzip-compressed
    first_seen_at TIMESTAMPTZ NOT NULL,
    warc_path     VARCHAR,                           -- The archive file, relative to the archive root (WIRETRACE_ARCHIVE, default archive/ beside the warehouse), so the folder can move: 'YYYY/MM/DD/<run_id>.warc.gz'.
    warc_offset   BIGINT,                            -- Byte offset of the record's gzip member in that file, and its length in bytes: one range read.
    warc_length   BIGINT
);  -- 001_schema.sql

-- One row per article. article_id is stable: from the canonical URL, else from origin + source_ref.
CREATE TABLE articles (
    article_id       VARCHAR NOT NULL,               -- logical key
    url              VARCHAR,                        -- canonical URL when known
    outlet           VARCHAR,                        -- publishing outlet (manifest/feed config, registry by domain, site name, domain)
    title            VARCHAR,
    byline           VARCHAR,                        -- as printed: "Vittorio Hernandez", "By Reuters staff", ...
    published        VARCHAR,                        -- ISO 8601 as extracted: with offset when the time is known, else the date
    published_at     TIMESTAMPTZ,                    -- the instant, when the time and zone are known
    published_date   DATE,                           -- the calendar date of publication (in the outlet's zone), when known
    language         VARCHAR,                        -- ISO 639-1 code
    text             VARCHAR NOT NULL,               -- cleaned main text; article_sources offsets point into it
    word_count       INTEGER NOT NULL,
    content_hash     VARCHAR NOT NULL,               -- raw_documents.content_hash of the input it was read from
    origin           VARCHAR NOT NULL,               -- 'seed' or 'feed'
    source_ref       VARCHAR NOT NULL,               -- seed file name relative to its folder, or the feed URL
    first_seen_at    TIMESTAMPTZ NOT NULL,           -- when wiretrace first loaded it (kept across re-loads)
    updated_at       TIMESTAMPTZ NOT NULL,           -- when its row was last (re)written
    pipeline_version VARCHAR NOT NULL,               -- version of transforms+data that made the row (a change re-processes)
    story_id         VARCHAR,                        -- stories.story_id (set by the provenance stage)
    topics           VARCHAR[],                      -- names of the tracked topics it matched (feed articles)
    given_key        VARCHAR                         -- A digest of what the caller gave with the input (manifest url, outlet, published): part of the key that decides whether an input is unchanged since its last load.
);  -- 001_schema.sql

-- Every credit of an agency or outlet in an article, with its role and the exact words.
CREATE TABLE article_sources (
    article_id VARCHAR NOT NULL,                     -- articles.article_id
    source     VARCHAR NOT NULL,                     -- canonical name from transforms/data/sources.yaml: 'AFP', 'CNN', ...
    kind       VARCHAR NOT NULL,                     -- 'agency' or 'outlet'
    role       VARCHAR NOT NULL,                     -- 'origin', 'cited', 'photo', 'via', 'reuse' (README: Roles)
    evidence   VARCHAR NOT NULL,                     -- the exact words that show the credit
    char_start INTEGER,                              -- offsets of evidence in articles.text; null when outside it
    char_end   INTEGER                               -- (a byline, meta tag, removed caption or credit line)
);  -- 001_schema.sql

-- Inputs that could not become articles (or were read with a caveat): what, where, why.
-- A later run retries every unresolved error; resolved_at is set once it loads.
CREATE TABLE ingest_failures (
    origin          VARCHAR NOT NULL,                -- 'seed' or 'feed'
    source_ref      VARCHAR NOT NULL,                -- seed file name or URL
    content_hash    VARCHAR,                         -- of the bytes that failed, when they were read
    stage           VARCHAR NOT NULL,                -- 'read', 'decode', 'extract', 'fetch', ...
    severity        VARCHAR NOT NULL,                -- 'error' (not loaded) or 'warning' (loaded with a caveat)
    reason          VARCHAR NOT NULL,                -- human-readable cause: "binary file: looks like a PNG image"
    attempts        INTEGER NOT NULL,                -- how many runs have tried it
    first_failed_at TIMESTAMPTZ NOT NULL,
    last_failed_at  TIMESTAMPTZ NOT NULL,
    last_run_id     VARCHAR,                         -- runs.run_id of the latest attempt
    resolved_at     TIMESTAMPTZ                      -- when a later run loaded it
);  -- 001_schema.sql

-- One row per feed URL ever configured: what the last poll gave and when the next one is due.
CREATE TABLE feed_state (
    feed_url             VARCHAR NOT NULL,           -- logical key; the URL as written in feeds.yaml
    outlet               VARCHAR,                    -- outlet from feeds.yaml, if given
    last_polled_at       TIMESTAMPTZ,                -- start of the last poll
    last_status          VARCHAR,                    -- 'parsed', 'not_modified' (304), 'unchanged' (same body hash), 'failed'
    last_http_status     INTEGER,                    -- HTTP status of the last response; null when none came
    last_error           VARCHAR,                    -- why the last poll failed; null after a success
    etag                 VARCHAR,                    -- ETag of the last 200 response (sent as If-None-Match)
    last_modified        VARCHAR,                    -- Last-Modified of the last 200 response (sent as If-Modified-Since)
    body_hash            VARCHAR,                    -- sha256 of the last body parsed: an equal body is not parsed again
    bozo_reason          VARCHAR,                    -- why feedparser found the last body ill-formed (its entries were kept)
    entries_in_feed      INTEGER,                    -- entries in the last body parsed
    consecutive_failures INTEGER NOT NULL,           -- failed polls in a row; 0 after a success (drives the backoff)
    next_poll_at         TIMESTAMPTZ,                -- not polled before this (interval, backoff, Retry-After) unless --force
    last_success_at      TIMESTAMPTZ,                -- last poll that was parsed, 304 or unchanged
    current_url          VARCHAR,                    -- the URL polled when not feed_url (null: feed_url)
    moved_at             TIMESTAMPTZ                 -- when current_url last changed
);  -- 001_schema.sql

-- One row per entry seen in a feed, matched or not, so that no page is fetched twice.
CREATE TABLE feed_entries (
    feed_url       VARCHAR NOT NULL,                 -- feed_state.feed_url of the feed it was first seen in
    entry_key      VARCHAR NOT NULL,                 -- the entry's guid, else its canonical link, else a digest of title+date
    link           VARCHAR,                          -- the page URL as the feed gives it (fetched as is)
    canonical_link VARCHAR,                          -- canonicalize_url(link): equal ones are one page, fetched once
    canonical_url  VARCHAR,                          -- the page's canonical URL once fetched (final URL after redirects,
    title          VARCHAR,                          -- the entry's title
    published      VARCHAR,                          -- the entry's date (ISO 8601 UTC, else as written)
    status         VARCHAR NOT NULL,                 -- 'pending' (to fetch), 'matched' (loaded into articles),
    article_id     VARCHAR,                          -- articles.article_id when matched (or of the entry it duplicates)
    topics         VARCHAR[],                        -- topic names matched (null unless matched)
    attempts       INTEGER NOT NULL,                 -- runs that tried to fetch and process the page
    last_error     VARCHAR,                          -- stage and reason of the last failure
    first_seen_at  TIMESTAMPTZ NOT NULL,             -- when a poll first saw the entry
    updated_at     TIMESTAMPTZ NOT NULL,             -- when its status last changed
    last_run_id    VARCHAR,                          -- runs.run_id of the run that last changed it
    content_hash   VARCHAR                           -- sha256 (first 32 hex digits) of the entry's title, summary and dates as the feed last gave them: a different hash under the same entry_key sets the entry 'pending' again (its page is fetched again).
);  -- 001_schema.sql

-- Index state for reuse detection: the winnowed word 5-shingle fingerprints of each article.
-- A new article's candidates are the articles sharing >= 2 fingerprints (one SQL join).
CREATE TABLE reuse_fingerprints (
    article_id  VARCHAR NOT NULL,                    -- articles.article_id
    fingerprint BIGINT NOT NULL,                     -- stable 64-bit hash of 5 normalized words (casefolded, no punctuation)
    position    INTEGER NOT NULL,                    -- word position of the shingle in the article's normalized text
    loaded_at   TIMESTAMPTZ                          -- when the article's row was written
);  -- 001_schema.sql

-- Passage-level reuse: article_id contains passages of copied_from_id (the earlier one, or the agency original).
CREATE TABLE article_reuse (
    article_id      VARCHAR NOT NULL,                -- the copying article
    copied_from_id  VARCHAR NOT NULL,                -- the article its passages come from
    shared_chars    INTEGER NOT NULL,                -- characters of article_id's text inside copied passages
    share           DOUBLE NOT NULL,                 -- shared_chars / length(text) of article_id (0..1)
    passages        STRUCT("start" INTEGER, "end" INTEGER, src_start INTEGER, src_end INTEGER, "text" VARCHAR)[] NOT NULL,
    direction_basis VARCHAR                          -- How article_reuse's direction was decided, the most certain evidence first (transforms/reuse.py `orient`): 'published' (publication dates a day or more apart), 'credit' (the copy credits the source's outlet or links its address), 'agency' (the source carries an agency origin credit, the copy none), 'first_seen' (the source was loaded in an earlier run), 'undecided' (nothing says which came first: the two share the passages, and article_id is merely the greater id). Edges stored before 009 keep NULL: directed, by the rules of the time, basis not recorded. stg_agency_copy (006) needs no change: an undecided pair never has exactly one agency original (rule 'agency' decides those), and an article that is one counts whole anyway.
);  -- 001_schema.sql

-- Index state for near-duplicates: each article's MinHash signature (128 x uint32, little-endian bytes).
CREATE TABLE near_duplicate_signatures (
    article_id VARCHAR NOT NULL,                     -- articles.article_id
    signature  BLOB NOT NULL,                        -- datasketch MinHash hashvalues (affine32 scheme, seed 1), 512 bytes
    loaded_at  TIMESTAMPTZ                           -- when the article's row was written
);  -- 001_schema.sql

-- Index state for near-duplicates: one LSH band key per band of the signature; equal keys = candidates.
CREATE TABLE near_duplicate_bands (
    article_id VARCHAR NOT NULL,                     -- articles.article_id
    band_key   BIGINT NOT NULL,                      -- hash of (band number, the band's rows of the signature)
    loaded_at  TIMESTAMPTZ                           -- when the article's row was written
);  -- 001_schema.sql

-- Whole-article near-duplicates: the same article under other boilerplate or another URL.
CREATE TABLE near_duplicates (
    article_id      VARCHAR NOT NULL,                -- the later article
    duplicate_of_id VARCHAR NOT NULL,                -- the earlier article it repeats
    similarity      DOUBLE NOT NULL                  -- estimated Jaccard similarity of their word 5-shingle sets (0.6..1)
);  -- 001_schema.sql

-- Index state for story grouping: each article's keyword vector (top 40 terms, unit length).
CREATE TABLE story_terms (
    article_id VARCHAR NOT NULL,                     -- articles.article_id
    term       VARCHAR NOT NULL,                     -- casefolded content word or name
    weight     DOUBLE NOT NULL,                      -- its TF-IDF weight in the vector, as computed when the article was grouped
    t          TIMESTAMPTZ,                          -- time of the article when it was grouped
    dated      BOOLEAN                               -- t is a publication time (else: first seen)
);  -- 001_schema.sql

-- Index state for story grouping: every distinct content word of each article (to undo its counts).
CREATE TABLE story_term_sets (
    article_id VARCHAR NOT NULL,                     -- articles.article_id
    terms      VARCHAR[] NOT NULL                    -- its distinct casefolded content words and names
);  -- 001_schema.sql

-- Index state for story grouping: document frequencies, kept up to date per batch (IDF weights).
CREATE TABLE story_term_df (
    term VARCHAR NOT NULL,                           -- logical key; a content word; the row with term '' counts the grouped articles
    df   INTEGER NOT NULL                            -- number of grouped articles containing it
);  -- 001_schema.sql

-- Stories: articles reporting one event within 7 days of each other (articles.story_id points here).
CREATE TABLE stories (
    story_id   VARCHAR NOT NULL,                     -- 'story-' || the article_id of the article that started it (stable)
    label      VARCHAR,                              -- title of the story's earliest article
    first_seen TIMESTAMPTZ,                          -- time of its earliest article
    last_seen  TIMESTAMPTZ,                          -- time of its latest article
    articles   VARCHAR[] NOT NULL                    -- its article_ids in time order
);  -- 001_schema.sql

-- Every permanent move found, in order: configured URL, the URL it moved from, to, when, which run.
CREATE TABLE feed_moves (
    feed_url VARCHAR NOT NULL,                       -- feed_state.feed_url
    old_url  VARCHAR NOT NULL,                       -- the URL polled before
    new_url  VARCHAR NOT NULL,                       -- where the permanent redirects led: polled from now on
    moved_at TIMESTAMPTZ NOT NULL,
    run_id   VARCHAR                                 -- runs.run_id of the run whose poll found it
);  -- 001_schema.sql

-- Alerts: each event that a rule of feeds.yaml (`alerts:`) matched, once (alert_key is stable), and
-- how its delivery went. A failed delivery is retried by the next run until it goes through.
CREATE TABLE alerts (
    alert_key    VARCHAR NOT NULL,                   -- logical key; rule name + what happened: the same event always has the same key
    rule         VARCHAR NOT NULL,                   -- the rule's name in feeds.yaml
    kind         VARCHAR NOT NULL,                   -- 'story_article', 'uncredited_copy', 'new_outlet', 'feed_failing'
    subject      VARCHAR NOT NULL,                   -- one line saying what happened
    payload      VARCHAR NOT NULL,                   -- the JSON body delivered (webhook POST and Prefect event)
    story_id     VARCHAR,                            -- stories.story_id, when it is about a story
    article_id   VARCHAR,                            -- articles.article_id, when it is about an article
    feed_url     VARCHAR,                            -- feed_state.feed_url, when it is about a feed
    created_at   TIMESTAMPTZ NOT NULL,               -- when a run first found it
    run_id       VARCHAR,                            -- runs.run_id of that run
    delivered_at TIMESTAMPTZ,                        -- when every delivery of it succeeded; null while pending
    attempts     INTEGER NOT NULL,                   -- delivery attempts so far
    last_error   VARCHAR                             -- why the last delivery failed
);  -- 001_schema.sql

-- Who moved between stories, and why: a new article that reaches two stories merges them (the
-- larger keeps its id); a re-processed article that leaves a story which keeps other articles
-- splits it.
CREATE TABLE story_history (
    changed_at    TIMESTAMPTZ NOT NULL,              -- when the provenance stage made the change
    kind          VARCHAR NOT NULL,                  -- 'merge' or 'split'
    from_story_id VARCHAR NOT NULL,                  -- merge: the story absorbed; split: the story left
    into_story_id VARCHAR NOT NULL,                  -- merge: the story that kept its id; split: the article's new story
    article_id    VARCHAR NOT NULL,                  -- merge: the bridging article; split: the article that left
    run_id        VARCHAR                            -- runs.run_id of the run in progress (null outside a run)
);  -- 001_schema.sql

-- (made by wiretrace itself, not by a migration)
CREATE TABLE schema_migrations (
    version    INTEGER NOT NULL,
    name       VARCHAR NOT NULL,
    checksum   VARCHAR NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
);

-- ===== views =====

-- stg_articles: as defined last in 001_schema.sql
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

-- stg_article_roles: as defined last in 001_schema.sql
-- Staging: one row per (article, source, role), however many pieces of evidence show it.
CREATE VIEW stg_article_roles AS
SELECT article_id, source, any_value(kind) AS kind, role, count(*) AS evidence_count,
       min(evidence) AS first_evidence
FROM article_sources
GROUP BY article_id, source, role;

-- coverage_daily: as defined last in 001_schema.sql
-- Mart: articles per day per source and role, split by what the day is based on.
--   SELECT day, sum(articles) FROM coverage_daily
--   WHERE source = 'AFP' AND role IN ('origin', 'reuse') AND date_basis <> 'first_seen' GROUP BY day
CREATE OR REPLACE VIEW coverage_daily AS
SELECT a.day, r.source, r.role, count(DISTINCT a.article_id) AS articles, a.date_basis
FROM stg_articles a
JOIN stg_article_roles r USING (article_id)
GROUP BY a.day, r.source, r.role, a.date_basis;

-- open_failures: as defined last in 001_schema.sql
-- Open failures: inputs not loaded yet, newest first.
CREATE VIEW open_failures AS
SELECT origin, source_ref, stage, reason, attempts, first_failed_at, last_failed_at
FROM ingest_failures
WHERE severity = 'error' AND resolved_at IS NULL
ORDER BY last_failed_at DESC;

-- stg_agency_copy: as defined last in 001_schema.sql
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

-- wire_share: as defined last in 001_schema.sql
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

-- reuse_explanations: as defined last in 001_schema.sql
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

-- story_timeline: as defined last in 001_schema.sql
-- ===== from legacy 013_analyst_story_order.sql =====
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

-- uncredited_copies: as defined last in 001_schema.sql
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

-- article_summary: as defined last in 001_schema.sql
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

-- coverage_by_outlet: as defined last in 001_schema.sql
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

-- sources_by_outlet: as defined last in 001_schema.sql
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

-- agency_daily: as defined last in 001_schema.sql
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

-- story_summary: as defined last in 001_schema.sql
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

-- duplicate_keys: as defined last in 002_duplicate_keys.sql
-- lake/002_duplicate_keys: the check that the loads keep every logical key unique.
-- DuckLake enforces no key, so uniqueness comes from the load lock (warehouse/lake.py) and the
-- DELETE+INSERT / MERGE statements run under it. This view lists every logical key stored more
-- than once; it must stay empty (the tests assert it, and so can any analyst or monitor):
--   SELECT * FROM duplicate_keys
CREATE VIEW duplicate_keys AS
SELECT 'runs' AS table_name, run_id AS logical_key, count(*) AS copies
FROM runs GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'raw_documents', content_hash, count(*) FROM raw_documents GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'articles', article_id, count(*) FROM articles GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'ingest_failures', concat_ws(' | ', origin, source_ref, stage), count(*)
FROM ingest_failures GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'feed_state', feed_url, count(*) FROM feed_state GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'feed_entries', concat_ws(' | ', feed_url, entry_key), count(*)
FROM feed_entries GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'story_term_df', term, count(*) FROM story_term_df GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'stories', story_id, count(*) FROM stories GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'near_duplicate_signatures', article_id, count(*)
FROM near_duplicate_signatures GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'story_term_sets', article_id, count(*) FROM story_term_sets GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'alerts', alert_key, count(*) FROM alerts GROUP BY ALL HAVING count(*) > 1
UNION ALL
SELECT 'schema_migrations', CAST(version AS VARCHAR), count(*)
FROM schema_migrations GROUP BY ALL HAVING count(*) > 1;
