"""Feed polls and page fetches over clients/fetch.py: many at once, each with its retries.

Pages stream (PageStream): they are fetched in a thread of their own and handed over as they come,
so the caller extracts one batch while the next is fetched, with a bounded number of pages waiting.

I/O only: what a response means is decided in transforms/feed_decisions.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
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
                resp.status, resp.headers.get("retry-after"), attempt, policy, datetime.now(UTC), max_wait,
                resp.url if resp.redirects else None,
            )  # fmt: skip
            if verdict.keep:
                return fetched_page(entry, attempt, resp.url, resp.headers, resp.body)
            error = verdict.error or ""
            if not verdict.retry:
                return FetchedPage(entry, attempt, error=error)
            wait = verdict.wait
        if attempt < policy.attempts:
            await asyncio.sleep(wait)
    return FetchedPage(entry, policy.attempts, error=f"{error} (after {policy.attempts} attempts)")


_DONE = object()  # the end of a stream, in its queue


class PageStream:
    """Pages of `entries` fetched in a background thread while the caller works on earlier ones.

    - at most `ahead` pages are fetched and not yet done with (handed out in a batch that the caller
      has not finished): memory stays bounded, and fetching waits for a slow extraction;
    - politeness is one HostGate for the whole stream (`per_host` at once per host, `min_delay` apart);
    - no fetch starts after `deadline` (time.monotonic()): the entries not reached are `not_started`
      once the stream is done, and stay pending for a later run.

        with PageStream(entries, ...) as stream:
            for batch in stream.batches(100):
                ...
    """

    def __init__(
        self,
        entries: Sequence[EntryRow],
        policy: FetchPolicy,
        max_bytes: int,
        allow_private: bool,
        robots: RobotsCache,
        max_wait: float,
        ahead: int,
        deadline: float = float("inf"),
    ) -> None:
        self._entries = list(entries)
        self._policy = policy
        self._fetcher = fetcher(policy, max_bytes, allow_private, robots)
        self._max_wait = max_wait
        self._ahead = max(1, ahead)
        self._deadline = deadline
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task | None = None
        self._room: asyncio.Semaphore | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="fetch-pages", daemon=True)
        self.not_started: list[EntryRow] = []

    def __enter__(self) -> PageStream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop fetching (pages in flight are dropped: their entries stay as they were) and wait."""
        if self._loop is not None and self._task is not None:
            with contextlib.suppress(RuntimeError):  # the loop has ended already
                self._loop.call_soon_threadsafe(self._task.cancel)
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except asyncio.CancelledError:
            pass
        except BaseException as exc:  # handed to the caller by batches()
            self._error = exc
        finally:
            self._queue.put(_DONE)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._task = asyncio.current_task()
        self._room = asyncio.Semaphore(self._ahead)
        gate = HostGate(self._policy.per_host, self._policy.min_delay)
        async with self._fetcher as client:
            await asyncio.gather(*(self._one(client, gate, entry) for entry in self._entries))

    async def _one(self, client: Fetcher, gate: HostGate, entry: EntryRow) -> None:
        assert self._room is not None
        await self._room.acquire()  # in entry order: asyncio's semaphore wakes its waiters first come first
        if time.monotonic() >= self._deadline:
            self._room.release()
            self.not_started.append(entry)
            return
        self._queue.put(await _fetch_one(client, gate, entry, self._policy, self._max_wait))

    def _done_with(self, count: int) -> None:
        if self._loop is None or self._room is None:
            return
        for _ in range(count):
            with contextlib.suppress(RuntimeError):  # the loop has ended: nothing waits for room
                self._loop.call_soon_threadsafe(self._room.release)

    def batches(self, size: int, linger: float = 5.0) -> Iterator[list[FetchedPage]]:
        """Fetched pages, `size` at a time, in the order they arrive; a smaller batch when the stream
        ends, or when `linger` seconds passed since the batch's first page (fetching is the slow side:
        the pages that are there get processed meanwhile). The pages of a batch count against `ahead`
        until the next batch is asked for."""
        size = max(1, min(size, self._ahead))
        batch: list[FetchedPage] = []
        started = 0.0
        while True:
            wait = None if not batch else max(0.0, started + linger - time.monotonic())
            try:
                item = self._queue.get(timeout=wait)
            except queue.Empty:
                item = None
            if item is _DONE:
                break
            if item is not None:
                if not batch:
                    started = time.monotonic()
                batch.append(item)
            if batch and (item is None or len(batch) >= size):
                yield batch
                self._done_with(len(batch))
                batch = []
        if batch:
            yield batch
        if self._error is not None:
            raise self._error
