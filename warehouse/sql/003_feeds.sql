-- 003_feeds: polling state of each feed and every feed entry ever seen.
-- Written by flows/feeds.py through warehouse/feeds.py. Page fetch failures go to ingest_failures
-- (origin 'feed', stage 'fetch', source_ref = the page URL); feed poll/parse failures too
-- (origin 'feed', stage 'poll' or 'parse', source_ref = the feed URL).

-- One row per feed URL ever configured: what the last poll gave and when the next one is due.
CREATE TABLE feed_state (
    feed_url             VARCHAR PRIMARY KEY,  -- the URL as written in feeds.yaml
    outlet               VARCHAR,              -- outlet from feeds.yaml, if given
    last_polled_at       TIMESTAMPTZ,          -- start of the last poll
    last_status          VARCHAR,              -- 'parsed', 'not_modified' (304), 'unchanged' (same body hash), 'failed'
    last_http_status     INTEGER,              -- HTTP status of the last response; null when none came
    last_error           VARCHAR,              -- why the last poll failed; null after a success
    etag                 VARCHAR,              -- ETag of the last 200 response (sent as If-None-Match)
    last_modified        VARCHAR,              -- Last-Modified of the last 200 response (sent as If-Modified-Since)
    body_hash            VARCHAR,              -- sha256 of the last body parsed: an equal body is not parsed again
    bozo_reason          VARCHAR,              -- why feedparser found the last body ill-formed (its entries were kept)
    entries_in_feed      INTEGER,              -- entries in the last body parsed
    consecutive_failures INTEGER NOT NULL,     -- failed polls in a row; 0 after a success (drives the backoff)
    next_poll_at         TIMESTAMPTZ,          -- not polled before this (interval, backoff, Retry-After) unless --force
    last_success_at      TIMESTAMPTZ           -- last poll that was parsed, 304 or unchanged
);

-- One row per entry seen in a feed, matched or not, so that no page is fetched twice.
CREATE TABLE feed_entries (
    feed_url      VARCHAR NOT NULL,            -- feed_state.feed_url of the feed it was first seen in
    entry_key     VARCHAR NOT NULL,            -- the entry's guid, else its canonical link, else a digest of title+date
    link          VARCHAR,                     -- the page URL as the feed gives it (fetched as is)
    canonical_link VARCHAR,                    -- canonicalize_url(link): equal ones are one page, fetched once
    canonical_url VARCHAR,                     -- the page's canonical URL once fetched (final URL after redirects,
                                               --   or its rel=canonical on the same site): articles.url
    title         VARCHAR,                     -- the entry's title
    published     VARCHAR,                     -- the entry's date (ISO 8601 UTC, else as written)
    status        VARCHAR NOT NULL,            -- 'pending' (to fetch), 'matched' (loaded into articles),
                                               --   'unmatched' (fetched, no topic matched: not loaded),
                                               --   'failed' (fetch or extraction failed; retried while attempts < limit),
                                               --   'duplicate' (same page as another entry: not fetched again),
                                               --   'skipped' (no http(s) link to fetch)
    article_id    VARCHAR,                     -- articles.article_id when matched (or of the entry it duplicates)
    topics        VARCHAR[],                   -- topic names matched (null unless matched)
    attempts      INTEGER NOT NULL,            -- runs that tried to fetch and process the page
    last_error    VARCHAR,                     -- stage and reason of the last failure
    first_seen_at TIMESTAMPTZ NOT NULL,        -- when a poll first saw the entry
    updated_at    TIMESTAMPTZ NOT NULL,        -- when its status last changed
    last_run_id   VARCHAR,                     -- runs.run_id of the run that last changed it
    PRIMARY KEY (feed_url, entry_key)
);
