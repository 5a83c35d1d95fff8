"""Feed polls and page fetches over clients/fetch.py: many at once, each with its retries.

I/O only: what a response means is decided in transforms/feed_decisions.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from clients.fetch import Fetcher, FetchError, run_async
from clients.hostgate import HostGate
from clients.robots import RobotsCache
from settings import USER_AGENT
from transforms.feed_decisions import (
    EntryRow,
    FeedStateRow,
    PollOutcome,
    failed_poll,
    poll_headers,
    poll_outcome,
    poll_url,
)
from transforms.feed_pages import PAGE_ACCEPT, FetchedPage, fetched_page, page_verdict
from transforms.feeds import FeedSpec, FetchPolicy

Item = TypeVar("Item")
Out = TypeVar("Out")


def fetcher(policy: FetchPolicy, max_bytes: int, allow_private: bool, robots: RobotsCache) -> Fetcher:
    return Fetcher(
        timeout=policy.timeout,
        max_bytes=max_bytes,
        concurrency=policy.concurrency,
        user_agent=policy.user_agent or USER_AGENT,
        allow_private=allow_private,
        robots=robots,
    )


async def _poll_one(
    client: Fetcher, gate: HostGate, spec: FeedSpec, state: FeedStateRow | None
) -> PollOutcome:
    url = poll_url(spec, state)
    try:
        resp = await client.get(url, poll_headers(state), gate)
    except FetchError as exc:
        return failed_poll(spec, url, exc.reason, exc.status)
    return poll_outcome(spec, state, url, resp.status, resp.headers, resp.body, resp.url, resp.moved_to)


def _each(
    items: Sequence[Item],
    one: Callable[[Fetcher, HostGate, Item], Awaitable[Out]],
    policy: FetchPolicy,
    max_bytes: int,
    allow_private: bool,
    robots: RobotsCache,
    min_delay: float,
) -> list[Out]:
    """`one` for every item at once, through one Fetcher and one HostGate."""

    async def main() -> list[Out]:
        gate = HostGate(policy.per_host, min_delay)
        async with fetcher(policy, max_bytes, allow_private, robots) as client:
            return list(await asyncio.gather(*(one(client, gate, item) for item in items)))

    return run_async(main) if items else []


def poll(
    specs: Sequence[FeedSpec],
    states: Mapping[str, FeedStateRow],
    policy: FetchPolicy,
    max_bytes: int,
    allow_private: bool,
    robots: RobotsCache,
) -> list[PollOutcome]:
    """Poll feeds concurrently (per-host limits, no delay: one request per feed per interval)."""

    def one(client: Fetcher, gate: HostGate, spec: FeedSpec) -> Awaitable[PollOutcome]:
        return _poll_one(client, gate, spec, states.get(spec.url))

    return _each(specs, one, policy, max_bytes, allow_private, robots, 0.0)


async def _fetch_one(
    client: Fetcher, gate: HostGate, entry: EntryRow, policy: FetchPolicy, max_wait: float
) -> FetchedPage:
    error = ""
    for attempt in range(1, policy.attempts + 1):
        wait = policy.retry_base * 2 ** (attempt - 1)
        try:
            resp = await client.get(entry.link or "", {"Accept": PAGE_ACCEPT}, gate)
        except FetchError as exc:
            error = exc.reason
            if not exc.retry:
                return FetchedPage(entry, attempt, error=error)
        else:
            verdict = page_verdict(
                resp.status, resp.headers.get("retry-after"), attempt, policy, datetime.now(UTC), max_wait
            )
            if verdict.keep:
                return fetched_page(entry, attempt, resp.url, resp.headers, resp.body)
            error = verdict.error or ""
            if not verdict.retry:
                return FetchedPage(entry, attempt, error=error)
            wait = verdict.wait
        if attempt < policy.attempts:
            await asyncio.sleep(wait)
    return FetchedPage(entry, policy.attempts, error=f"{error} (after {policy.attempts} attempts)")


def fetch_pages(
    entries: Sequence[EntryRow],
    policy: FetchPolicy,
    max_bytes: int,
    allow_private: bool,
    robots: RobotsCache,
    max_wait: float,
) -> list[FetchedPage]:
    """Fetch pages concurrently: at most `per_host` at once per host, `min_delay` apart."""

    def one(client: Fetcher, gate: HostGate, entry: EntryRow) -> Awaitable[FetchedPage]:
        return _fetch_one(client, gate, entry, policy, max_wait)

    return _each(entries, one, policy, max_bytes, allow_private, robots, policy.min_delay)
