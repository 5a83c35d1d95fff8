"""clients/feeds.py PageStream against a server on 127.0.0.1: fetching goes on while the caller
works, never more than `ahead` pages waiting; nothing starts after the deadline."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from clients.feeds import PageStream
from clients.robots import RobotsCache
from tests.clients.conftest import LocalServer, send
from transforms.feed_decisions import EntryRow
from transforms.feeds import FetchPolicy

POLICY = FetchPolicy(timeout=5, per_host=4, min_delay=0, attempts=1, concurrency=4)
MOMENT = datetime(2026, 12, 1, tzinfo=UTC)


def entry(link: str) -> EntryRow:
    return EntryRow(
        "http://feed.example/rss", link, link, link, None, None, None, "pending", None, None, 0, None,
        MOMENT, MOMENT, None,
    )  # fmt: skip


def pages(local: LocalServer, n: int) -> list[EntryRow]:
    for i in range(n):
        body = f"<html><body><p>page {i}</p></body></html>".encode()
        local.routes[f"/p/{i}"] = lambda h, body=body: send(h, 200, body, {"Content-Type": "text/html"})
    return [entry(local.url(f"/p/{i}")) for i in range(n)]


def stream(entries: list[EntryRow], ahead: int, deadline: float = float("inf")) -> PageStream:
    return PageStream(entries, POLICY, 1_000_000, True, RobotsCache(), 0.0, ahead, deadline)


def fetched(local: LocalServer) -> set[str]:
    return {path for path in local.paths() if path.startswith("/p/")}


def wait_for(condition, seconds: float = 30.0) -> bool:
    """Until `condition()` holds; a bound for a loaded machine, not a speed check."""
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()


def test_pages_are_fetched_while_the_caller_holds_a_batch_and_never_more_than_ahead(local: LocalServer):
    entries = pages(local, 10)
    seen: list[str] = []
    with stream(entries, ahead=4) as s:
        for number, batch in enumerate(s.batches(2, linger=30)):
            seen += [p.url for p in batch]
            if number == 0:
                # The caller works on its first 2 pages: the stream fetches 2 more meanwhile...
                assert wait_for(lambda: len(fetched(local)) == 4)
                time.sleep(0.3)
                # ...and no further: 4 pages fetched and not done with is the bound.
                assert len(fetched(local)) == 4
    assert sorted(seen) == sorted(e.link for e in entries)
    assert all(p is not None for p in seen) and s.not_started == []


def test_no_fetch_starts_after_the_deadline_and_the_entries_are_kept(local: LocalServer):
    entries = pages(local, 5)
    with stream(entries, ahead=4, deadline=time.monotonic()) as s:
        batches = list(s.batches(2))
    assert batches == [] and fetched(local) == set()
    assert s.not_started == entries


def test_a_caller_that_stops_early_stops_the_fetching(local: LocalServer):
    entries = pages(local, 30)
    with stream(entries, ahead=4) as s:
        first = next(iter(s.batches(2, linger=30)))
    assert len(first) == 2
    assert not any(t.name == "fetch-pages" and t.is_alive() for t in threading.enumerate())
    assert len(fetched(local)) <= 4  # what the bound let through before it stopped
