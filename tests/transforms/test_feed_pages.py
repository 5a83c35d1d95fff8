"""transforms/feed_pages.py: what page responses mean and how fetched pages are sorted, without network."""

from __future__ import annotations

from tests.transforms.test_feed_decisions import FEED, NOW, entry, row
from transforms.feed_pages import FetchedPage, fetched_page, media_type, page_verdict, sort_pages
from transforms.feeds import FetchPolicy


def test_page_verdicts():
    policy = FetchPolicy(retry_base=1.0)
    assert page_verdict(200, None, 1, policy, NOW, 30).keep
    busy = page_verdict(503, None, 2, policy, NOW, 30)
    assert (busy.retry, busy.wait, busy.error) == (True, 2.0, "HTTP 503")
    assert page_verdict(500, None, 2, policy, NOW, 30).wait == 2.0
    assert page_verdict(429, "10", 1, policy, NOW, 30).wait == 10.0
    too_long = page_verdict(429, "3600", 1, policy, NOW, 30)
    assert not too_long.retry and "left to a later run" in too_long.error
    assert not page_verdict(404, None, 1, policy, NOW, 30).retry
    moved = page_verdict(404, None, 1, policy, NOW, 30, redirected_to="https://b.example/x")
    assert moved.error == "HTTP 404 from https://b.example/x (the link redirected there)"


def test_media_types_and_empty_bodies():
    assert media_type({"content-type": "text/html; charset=ISO-8859-1"}) == (
        "text/html; charset=iso-8859-1",
        None,
    )
    assert media_type({}) == (None, None)
    assert (
        media_type({"content-type": "application/pdf"})[1]
        == "not an article page: content type application/pdf"
    )
    e = row(entry("a", "https://news.example.com/a"), status="pending")
    assert (
        fetched_page(e, 1, "https://news.example.com/a", {"content-type": "text/html"}, b"  ").error
        == "empty body"
    )


def test_pages_are_sorted_into_failures_duplicates_and_work():
    base = "https://news.example.com"
    html = b'<html><head><link rel="canonical" href="/story?utm_source=x"></head><body>s</body></html>'
    e1, e2, e3, e4 = (row(entry(k, f"{base}/{k}"), status="pending") for k in ("1", "2", "3", "4"))
    pages = [
        fetched_page(e1, 1, f"{base}/1", {"content-type": "text/html"}, html),  # canonical: /story
        fetched_page(e2, 1, f"{base}/2", {"content-type": "text/html"}, html),  # the same page again
        fetched_page(e3, 1, f"{base}/old", {"content-type": "text/html"}, b"<html><body>o</body></html>"),
        FetchedPage(e4, 3, error="HTTP 500 (after 3 attempts)"),
    ]
    assert pages[0].url == f"{base}/story"
    result = sort_pages(pages, {f"{base}/old": "art-old"}, {FEED.url: "Example"}, NOW, "r1")
    assert [(e.entry_key, raw.url, raw.outlet) for e, raw in result.work] == [
        ("1", f"{base}/story", "Example")
    ]
    settled = {e.entry_key: (e.status, e.article_id, e.attempts) for e in result.settled}
    assert settled == {
        "2": ("duplicate", None, 2),
        "3": ("duplicate", "art-old", 2),
        "4": ("failed", "art1", 2),
    }
    [failure] = result.fetch_failures
    assert (failure.source_ref, failure.stage) == (f"{base}/4", "fetch")
    assert failure.reason == "HTTP 500 (after 3 attempts)"  # the count stated once
    assert result.fetched_links == (f"{base}/1", f"{base}/2", f"{base}/3")
