-- 001_core: articles, the sources they carry, raw inputs, runs and failures.
-- Applied once, in file-name order, by warehouse.db.migrate(); recorded in schema_migrations.

-- One row per flow run of `wiretrace run` (or a deployment run).
CREATE TABLE runs (
    run_id        VARCHAR PRIMARY KEY,   -- uuid of the run (the Prefect flow run id when there is one)
    flow          VARCHAR NOT NULL,      -- 'wiretrace-run', ...
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,           -- null while running, or if the run crashed
    status        VARCHAR NOT NULL,      -- 'running', 'completed', 'crashed'
    inputs_seen   INTEGER,               -- seed files / feed pages considered
    articles_new  INTEGER,               -- articles loaded for the first time
    articles_updated INTEGER,            -- articles whose content changed and were re-loaded
    articles_unchanged INTEGER,          -- inputs skipped because already loaded as they are
    failures      INTEGER,               -- inputs that failed in this run (see ingest_failures)
    note          VARCHAR
);

-- Every input's bytes, content-addressed, so articles can be re-tagged without re-reading sources.
CREATE TABLE raw_documents (
    content_hash  VARCHAR PRIMARY KEY,   -- sha256 of the raw bytes, hex
    size_bytes    BIGINT NOT NULL,       -- size of the raw bytes
    media_type    VARCHAR,               -- 'text/html' or 'text/plain' as read
    data_gzip     BLOB NOT NULL,         -- the raw bytes, gzip-compressed
    first_seen_at TIMESTAMPTZ NOT NULL
);

-- One row per article. article_id is stable: from the canonical URL, else from origin + source_ref.
CREATE TABLE articles (
    article_id     VARCHAR PRIMARY KEY,
    url            VARCHAR,              -- canonical URL when known
    outlet         VARCHAR,              -- publishing outlet (manifest/feed config, registry by domain, site name, domain)
    title          VARCHAR,
    byline         VARCHAR,              -- as printed: "Vittorio Hernandez", "By Reuters staff", ...
    published      VARCHAR,              -- ISO 8601 as extracted: with offset when the time is known, else the date
    published_at   TIMESTAMPTZ,          -- the instant, when the time and zone are known
    published_date DATE,                 -- the calendar date of publication (in the outlet's zone), when known
    language       VARCHAR,              -- ISO 639-1 code
    text           VARCHAR NOT NULL,     -- cleaned main text; article_sources offsets point into it
    word_count     INTEGER NOT NULL,
    content_hash   VARCHAR NOT NULL,     -- raw_documents.content_hash of the input it was read from
    origin         VARCHAR NOT NULL,     -- 'seed' or 'feed'
    source_ref     VARCHAR NOT NULL,     -- seed file name relative to its folder, or the feed URL
    first_seen_at  TIMESTAMPTZ NOT NULL, -- when wiretrace first loaded it (kept across re-loads)
    updated_at     TIMESTAMPTZ NOT NULL, -- when its row was last (re)written
    pipeline_version VARCHAR NOT NULL,   -- version of transforms+data that made the row (a change re-processes)
    story_id       VARCHAR,              -- stories.story_id (set by the provenance stage)
    topics         VARCHAR[]             -- names of the tracked topics it matched (feed articles)
);

-- Every credit of an agency or outlet in an article, with its role and the exact words.
CREATE TABLE article_sources (
    article_id  VARCHAR NOT NULL,        -- articles.article_id
    source      VARCHAR NOT NULL,        -- canonical name from transforms/data/sources.yaml: 'AFP', 'CNN', ...
    kind        VARCHAR NOT NULL,        -- 'agency' or 'outlet'
    role        VARCHAR NOT NULL,        -- 'origin', 'cited', 'photo', 'via', 'reuse' (README: Roles)
    evidence    VARCHAR NOT NULL,        -- the exact words that show the credit
    char_start  INTEGER,                 -- offsets of evidence in articles.text; null when outside it
    char_end    INTEGER                  --   (a byline, meta tag, removed caption or credit line)
);

-- Inputs that could not become articles (or were read with a caveat): what, where, why.
-- A later run retries every unresolved error; resolved_at is set once it loads.
CREATE TABLE ingest_failures (
    origin          VARCHAR NOT NULL,    -- 'seed' or 'feed'
    source_ref      VARCHAR NOT NULL,    -- seed file name or URL
    content_hash    VARCHAR,             -- of the bytes that failed, when they were read
    stage           VARCHAR NOT NULL,    -- 'read', 'decode', 'extract', 'fetch', ...
    severity        VARCHAR NOT NULL,    -- 'error' (not loaded) or 'warning' (loaded with a caveat)
    reason          VARCHAR NOT NULL,    -- human-readable cause: "binary file: looks like a PNG image"
    attempts        INTEGER NOT NULL,    -- how many runs have tried it
    first_failed_at TIMESTAMPTZ NOT NULL,
    last_failed_at  TIMESTAMPTZ NOT NULL,
    last_run_id     VARCHAR,             -- runs.run_id of the latest attempt
    resolved_at     TIMESTAMPTZ,         -- when a later run loaded it
    PRIMARY KEY (origin, source_ref, stage)
);
