"""Politeness per host: at most `per_host` requests at once to one host, their starts `min_delay` apart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class HostGate:
    """At most `per_host` requests at once to one host, their starts at least `min_delay` apart.

    The next start is reckoned from the moment a request really starts, not from when it was due: a
    request that started late (a busy loop) does not let the next one come sooner.
    """

    def __init__(self, per_host: int, min_delay: float) -> None:
        self.per_host = per_host
        self.min_delay = min_delay
        self._sems: dict[str, asyncio.Semaphore] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._next: dict[str, float] = {}

    async def run(self, host: str, call: Callable[[], Awaitable[T]]) -> T:
        sem = self._sems.setdefault(host, asyncio.Semaphore(self.per_host))
        async with sem:
            if self.min_delay > 0:
                # One host's starts are taken in turn; other hosts have locks of their own.
                async with self._locks.setdefault(host, asyncio.Lock()):
                    loop = asyncio.get_running_loop()
                    wait = self._next.get(host, 0.0) - loop.time()
                    if wait > 0:
                        await asyncio.sleep(wait)
                    self._next[host] = loop.time() + self.min_delay
            return await call()
