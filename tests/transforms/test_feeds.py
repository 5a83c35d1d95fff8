"""feeds.yaml parsing, feed documents to entries, and poll scheduling."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from transforms.feeds import (
    DEFAULT_INTERVAL,
    FeedConfigError,
    FetchPolicy,
    backoff_delay,
    next_poll_at,
    parse_duration,
    parse_feed,
    parse_feed_config,
    parse_retry_after,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def corpus_feeds(corpus_dir: Path) -> list[Path]:
    return sorted(p for p in (corpus_dir / "feeds").rglob("*") if p.is_file() and p.name != "LICENSE")


def simulated_headers(data: bytes) -> dict[str, str]:
    """feedparser's http_* test files give HTTP headers in a comment: 'Header: Name: value'."""
    found = re.findall(rb"^Header:\s*([\w-]+):\s*(.+?)\s*$", data, re.MULTILINE)
    return {k.decode(): v.decode() for k, v in found}


# -- config -------------------------------------------------------------------------------------


def test_parse_feed_config():
    config = parse_feed_config(
        {
            "feeds": [
                {"url": "https://rss.example.com/a.xml", "outlet": "CNN", "interval": "30m"},
                "https://b.example.com/feed",
            ],
            "topics": [{"name": "wechat", "query": "wechat AND russia"}],
            "fetch": {"per_host": 1, "min_delay": 2.5},
        }
    )
    a, b = config.feeds
    assert (a.url, a.outlet, a.interval) == ("https://rss.example.com/a.xml", "CNN", timedelta(minutes=30))
    assert (b.outlet, b.interval) == (None, DEFAULT_INTERVAL)
    assert config.topics[0].query.matches("WeChat in Russia", "")
    assert config.fetch == FetchPolicy(per_host=1, min_delay=2.5)
    assert parse_feed_config(None).feeds == ()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "must be a mapping"),
        ({"feed": []}, "unknown top-level key"),
        ({"feeds": [{"url": "ftp://x.org/f"}]}, r"feeds\[0\]: url must be an http\(s\) URL"),
        ({"feeds": [{"url": "http://x.org/f", "intervall": "5m"}]}, "unknown key"),
        ({"feeds": [{"url": "http://x.org/f", "interval": 15}]}, "not a duration"),
        ({"feeds": [{"url": "http://x.org/f", "interval": "10s"}]}, "below one minute"),
        ({"feeds": [{"url": "http://x.org/f"}, {"url": "http://x.org/f"}]}, "listed twice"),
        ({"topics": [{"name": "t", "query": "a AND"}]}, r"topics\[0\] \(t\): bad query"),
        ({"topics": [{"name": "t"}]}, "exactly name and query"),
        ({"topics": [{"name": "t", "query": "a"}, {"name": "t", "query": "b"}]}, "topic name listed twice"),
        ({"fetch": {"per_host": 0}}, "at least 1"),
        ({"fetch": {"timeout": "fast"}}, "non-negative float"),
        ({"fetch": {"speed": 1}}, "unknown key"),
    ],
)
def test_bad_config_says_what_and_where(data, message):
    with pytest.raises(FeedConfigError, match=message):
        parse_feed_config(data)


def test_durations():
    assert parse_duration("90s", "x") == timedelta(seconds=90)
    assert parse_duration("2h", "x") == timedelta(hours=2)
    assert parse_duration("1D", "x") == timedelta(days=1)
    with pytest.raises(FeedConfigError):
        parse_duration("15", "x")


# -- parsing ------------------------------------------------------------------------------------


def test_every_corpus_feed_parses_or_fails_with_a_reason(corpus_dir):
    files = corpus_feeds(corpus_dir)
    assert len(files) == 54  # 38 from feedparser's tests, 16 captured from publishers
    failed = {}
    for path in files:
        data = path.read_bytes()
        result = parse_feed(
            data, simulated_headers(data) or {"content-type": "application/xml"}, "http://t.test/f"
        )
        if result.ok:
            assert all(e.key for e in result.entries)
            assert all(e.link is None or e.link.startswith(("http://", "https://")) for e in result.entries)
        else:
            assert result.error and not result.entries
            failed[path.name] = result.error
    # An empty document and an HTML "moved" page are not feeds; everything else is read.
    assert set(failed) == {"rss_empty_document.xml", "unrecognized.rss"}


def test_bozo_feed_keeps_its_entries_and_reason(corpus_dir):
    data = (
        corpus_dir / "feeds/feedparser/tests/illformed/rss_item_link_corrupted_ampersands.xml"
    ).read_bytes()
    result = parse_feed(data, {"content-type": "application/rss+xml"})
    assert result.ok and result.bozo_reason
    assert [e.link for e in result.entries] == ["http://link/get?a=1&b=2"]


def test_relative_links_resolve_against_content_location(corpus_dir):
    path = corpus_dir / "feeds/feedparser/tests/wellformed/base/http_item_link_base_content_location.xml"
    data = path.read_bytes()
    result = parse_feed(data, {"Content-Location": "http://example.com/", "Content-Type": "application/xml"})
    assert result.entries[0].link == "http://example.com/relative/uri"
    # Without the header, the feed's own URL is the base.
    assert (
        parse_feed(data, {}, "https://feeds.test/x/feed").entries[0].link == "https://feeds.test/relative/uri"
    )


def test_charset_comes_from_the_content_type_header(corpus_dir):
    data = (corpus_dir / "feeds/feedparser/tests/encoding/http_text_xml_charset_2.xml").read_bytes()
    result = parse_feed(data, {"Content-Type": "text/xml; charset=windows-1252"})
    assert result.encoding == "windows-1252" and result.bozo_reason is None
    assert result.entries[0].summary == "This is a \xa3\u201ctest.\u201d"


def test_entry_fields_from_a_real_feed(corpus_dir):
    result = parse_feed(
        (corpus_dir / "feeds/real-world/guardian.rss").read_bytes(), {"content-type": "text/xml"}
    )
    assert result.version == "rss20" and len(result.entries) == 55
    first = result.entries[0]
    assert first.link.startswith("https://www.theguardian.com/")
    assert first.key == first.guid
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$", first.published)


def test_heise_tracking_parameters_are_not_part_of_the_canonical_link(corpus_dir):
    result = parse_feed(
        (corpus_dir / "feeds/real-world/heise.atom").read_bytes(), {"content-type": "text/xml"}
    )
    entry = result.entries[0]
    assert "wt_mc=" in entry.link and "wt_mc" not in entry.canonical_link


def test_entries_without_guid_are_keyed_by_link_or_title():
    feed = b"""<rss version="2.0"><channel>
      <item><title>A</title><link>http://x.test/a?utm_source=rss</link></item>
      <item><title>Only a title</title></item>
      <item><description>nothing to identify</description></item>
      <item><title>A again</title><link>http://x.test/a?utm_source=rss</link></item>
    </channel></rss>"""
    result = parse_feed(feed, {"content-type": "application/rss+xml"})
    keys = [e.key for e in result.entries]
    assert keys[0] == "http://x.test/a"
    assert keys[1].startswith("sha256:")
    assert len(keys) == 2  # no identity: dropped; the same link twice: one entry


@pytest.mark.parametrize(
    "data", [b"", b"   ", b"\x00\x01\x02garbage", b"<html><body>hi</body></html>", b"{}"]
)
def test_garbage_is_an_error_not_a_crash(data):
    result = parse_feed(data, {"content-type": "text/html"})
    assert not result.ok and result.error


# -- scheduling ---------------------------------------------------------------------------------


def test_backoff_grows_with_failures_and_is_capped_at_a_day():
    interval = timedelta(minutes=15)
    assert backoff_delay(interval, 0) == interval
    assert backoff_delay(interval, 1) == timedelta(minutes=30)
    assert backoff_delay(interval, 3) == timedelta(hours=2)
    assert backoff_delay(interval, 30) == timedelta(days=1)
    assert backoff_delay(timedelta(days=2), 3) == timedelta(days=2)  # never sooner than the interval


def test_retry_after_in_seconds_or_as_a_date():
    assert parse_retry_after("120", NOW) == timedelta(minutes=2)
    assert parse_retry_after("Mon, 23 Nov 2026 13:00:00 GMT", NOW) == timedelta(hours=1)
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after(None, NOW) is None
    assert parse_retry_after("99999999", NOW) == timedelta(days=7)
    assert parse_retry_after("Mon, 23 Nov 2026 11:00:00 GMT", NOW) == timedelta(0)  # a date in the past


def test_next_poll_honours_retry_after_over_a_shorter_backoff():
    assert next_poll_at(NOW, timedelta(minutes=15), 0) == NOW + timedelta(minutes=15)
    assert next_poll_at(NOW, timedelta(minutes=15), 1, timedelta(hours=3)) == NOW + timedelta(hours=3)
    assert next_poll_at(NOW, timedelta(minutes=15), 2, timedelta(seconds=5)) == NOW + timedelta(hours=1)
