-- 007_feed_moves: a feed that moved permanently is polled at its new URL; an entry whose content
-- changed under the same guid is fetched again. Written by flows/feeds.py through warehouse/feeds.py.

-- feeds.yaml keeps the configured URL (feed_state.feed_url); a 301/308 answered to a poll moves the
-- feed here, and later polls ask for this URL. A temporary redirect (302/303/307) changes nothing.
ALTER TABLE feed_state ADD COLUMN current_url VARCHAR;   -- the URL polled when not feed_url (null: feed_url)
ALTER TABLE feed_state ADD COLUMN moved_at TIMESTAMPTZ;  -- when current_url last changed

-- Every permanent move found, in order: configured URL, the URL it moved from, to, when, which run.
CREATE TABLE feed_moves (
    feed_url VARCHAR NOT NULL,      -- feed_state.feed_url
    old_url  VARCHAR NOT NULL,      -- the URL polled before
    new_url  VARCHAR NOT NULL,      -- where the permanent redirects led: polled from now on
    moved_at TIMESTAMPTZ NOT NULL,
    run_id   VARCHAR                -- runs.run_id of the run whose poll found it
);

-- sha256 (first 32 hex digits) of the entry's title, summary and dates as the feed last gave them:
-- a different hash under the same entry_key sets the entry 'pending' again (its page is fetched again).
ALTER TABLE feed_entries ADD COLUMN content_hash VARCHAR;
