"""transforms/feed_decisions.py: what polls and page responses mean, without any network."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from transforms.feed_decisions import (
    EntryRow,
    FeedStateRow,
    entry_content_hash,
    entry_rows,
    feed_moves,
    next_state,
    poll_headers,
    poll_outcome,
    poll_url,
)
from transforms.feeds import FeedEntry, FeedSpec, parse_feed

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
FEED = FeedSpec("https://news.example.com/rss", "Example", timedelta(minutes=15))
RSS = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
    b"<item><title>One</title><link>https://news.example.com/a/1</link><guid>g1</guid></item>"
    b"</channel></rss>"
)


def outcome_of(status: int, state: FeedStateRow | None = None, moved_to: str | None = None, body=RSS):
    url = poll_url(FEED, state)
    headers = {"etag": '"e2"', "content-type": "application/rss+xml"}
    return poll_outcome(FEED, state, url, status, headers, body, moved_to or url, moved_to)


def entry(key: str, link: str | None, title: str = "t", summary: str | None = None) -> FeedEntry:
    return FeedEntry(key, key, link, link, title, "2026-11-23T10:00:00+00:00", summary)


def row(e: FeedEntry, status: str = "matched", content_hash: str | None = "") -> EntryRow:
    digest = entry_content_hash(e) if content_hash == "" else content_hash
    return EntryRow(FEED.url, e.key, e.link, e.canonical_link, e.canonical_link, e.title, e.published, status,
                    "art1", ("topic",), 1, None, NOW - timedelta(days=1), NOW - timedelta(days=1), "r0",
                    digest)  # fmt: skip


# -- polls --------------------------------------------------------------------------------------


def test_a_permanent_move_changes_the_url_polled_and_a_temporary_one_does_not():
    new = "https://feeds.example.net/news"
    moved = outcome_of(200, moved_to=new)
    state = next_state(moved, None, NOW)
    assert (state.feed_url, state.current_url, state.moved_at) == (FEED.url, new, NOW)
    assert poll_url(FEED, state) == new
    [move] = feed_moves([moved], {}, NOW, "r1")
    assert (move.feed_url, move.old_url, move.new_url, move.run_id) == (FEED.url, FEED.url, new, "r1")
    # Polled at the new URL: no further move, nothing recorded again.
    again = outcome_of(304, state)
    assert again.polled_url == new
    assert next_state(again, state, NOW + timedelta(minutes=15)).current_url == new
    assert feed_moves([again], {FEED.url: state}, NOW, "r2") == []
    # A temporary redirect gives no moved_to (clients/fetch.py), and the state keeps its URL.
    temporary = poll_outcome(FEED, None, FEED.url, 200, {}, RSS, "https://elsewhere.example.org/rss", None)
    assert next_state(temporary, None, NOW).current_url is None


def test_a_move_to_something_that_is_not_a_feed_is_not_followed():
    broken = outcome_of(404, moved_to="https://news.example.com/gone")
    front_page = outcome_of(200, moved_to="https://news.example.com/", body=b"<html><body>Home</body></html>")
    for outcome in (broken, front_page):
        assert outcome.status == "failed"
        assert next_state(outcome, None, NOW).current_url is None
        assert feed_moves([outcome], {}, NOW, "r1") == []


def test_poll_headers_send_the_last_validators():
    state = FeedStateRow(FEED.url, etag='"e1"', last_modified="Mon, 23 Nov 2026 10:00:00 GMT")
    headers = poll_headers(state)
    assert (headers["If-None-Match"], headers["If-Modified-Since"]) == ('"e1"', state.last_modified)
    assert set(poll_headers(None)) == {"Accept"}


def test_failed_polls_back_off_and_a_success_resets():
    failed = outcome_of(500)
    first = next_state(failed, None, NOW)
    second = next_state(failed, first, NOW)
    assert (first.consecutive_failures, second.consecutive_failures) == (1, 2)
    assert second.next_poll_at - NOW == timedelta(minutes=60)
    assert second.last_error == "poll: HTTP 500"
    ok = next_state(outcome_of(200), second, NOW)
    assert (ok.consecutive_failures, ok.last_status, ok.etag, ok.entries_in_feed) == (0, "parsed", '"e2"', 1)


# -- entries ------------------------------------------------------------------------------------


def test_new_entries_are_pending_duplicate_or_skipped():
    a = entry("a", "https://news.example.com/a")
    b = entry("b", "https://news.example.com/a")  # another guid, the same page
    c = entry("c", None)
    d = entry("d", "https://news.example.com/known")
    changes = entry_rows([(FEED.url, e) for e in (a, b, c, d)], {}, {d.link: "art9"}, NOW, "r1")
    assert [(r.entry_key, r.status, r.article_id) for r in changes.new] == [
        ("a", "pending", None), ("b", "duplicate", None), ("c", "skipped", None), ("d", "duplicate", "art9")
    ]  # fmt: skip
    assert changes.changed == () and all(r.content_hash for r in changes.new)


def test_an_entry_whose_content_changed_under_the_same_guid_is_fetched_again():
    old = entry("g1", "https://news.example.com/a", title="Quake: 5 dead", summary="First report.")
    same = entry("g1", "https://news.example.com/a", title="Quake: 5 dead", summary="First report.")
    edited = replace(old, title="Quake: 40 dead", summary="Updated with the toll.")
    touched = replace(old, updated="2026-11-23T14:00:00+00:00")
    stored = {(FEED.url, "g1"): row(old)}
    assert entry_rows([(FEED.url, same)], stored, {}, NOW, "r2").rows == []
    for changed_entry in (edited, touched):
        [again] = entry_rows([(FEED.url, changed_entry)], stored, {}, NOW, "r2").changed
        assert (again.status, again.title, again.last_run_id) == ("pending", changed_entry.title, "r2")
        assert again.first_seen_at == stored[(FEED.url, "g1")].first_seen_at
        assert (
            again.content_hash == entry_content_hash(changed_entry) != stored[(FEED.url, "g1")].content_hash
        )
    # Stored before hashes were kept: the hash is filled in, the page is not fetched again.
    [hashed] = entry_rows(
        [(FEED.url, edited)], {(FEED.url, "g1"): row(old, content_hash=None)}, {}, NOW, "r2"
    ).hashed
    assert (hashed.status, hashed.content_hash) == ("matched", entry_content_hash(edited))


def test_a_parsed_feed_keeps_links_without_credentials():
    data = RSS.replace(b"https://news.example.com/a/1", b"https://bob:hunter2@news.example.com/a/1")
    [e] = parse_feed(data, {}, FEED.url).entries
    assert e.link == "https://news.example.com/a/1" and "hunter2" not in (e.canonical_link or "")
