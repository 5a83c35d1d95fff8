"""Politeness per host: at most `per_host` requests at once to one host, their starts `min_delay` apart."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class HostGate:
    """At most `per_host` requests at once to one host, their starts at least `min_delay` apart."""

    def __init__(self, per_host: int, min_delay: float) -> None:
        self.per_host = per_host
        self.min_delay = min_delay
        self._sems: dict[str, asyncio.Semaphore] = {}
        self._next: dict[str, float] = {}
        self._lock = asyncio.Lock()

    async def run(self, host: str, call: Callable[[], Awaitable[T]]) -> T:
        sem = self._sems.setdefault(host, asyncio.Semaphore(self.per_host))
        async with sem:
            if self.min_delay > 0:
                async with self._lock:
                    clock = asyncio.get_running_loop().time()
                    start = max(clock, self._next.get(host, clock))
                    self._next[host] = start + self.min_delay
                if start > clock:
                    await asyncio.sleep(start - clock)
            return await call()
