"""clients/hostgate.py: requests to one host are limited and spaced; other hosts do not wait for them."""

from __future__ import annotations

import asyncio
import itertools

from clients.hostgate import HostGate


def test_host_gate_limits_concurrency_and_spaces_requests_per_host():
    async def main() -> tuple[list[float], list[str], int]:
        gate = HostGate(per_host=1, min_delay=0.1)
        starts: list[float] = []
        order: list[str] = []
        running = {"a": 0, "peak": 0}
        loop = asyncio.get_running_loop()

        async def call(host: str) -> None:
            order.append(host)
            if host == "a":
                starts.append(loop.time())
                running["a"] += 1
                running["peak"] = max(running["peak"], running["a"])
                await asyncio.sleep(0.01)
                running["a"] -= 1

        await asyncio.gather(*(gate.run(h, lambda h=h: call(h)) for h in ["a", "a", "a", "b"]))
        return starts, order, running["peak"]

    starts, order, peak = asyncio.run(main())
    assert peak == 1
    # Politeness, not speed: the starts to one host are at least min_delay apart.
    assert all(later - earlier >= 0.095 for earlier, later in itertools.pairwise(starts))
    assert order.index("b") < 2  # host b starts before host a's second request: it is not queued behind a


def test_politeness_counts_a_host_with_its_port_and_default_ports_as_one():
    from transforms.feed_decisions import host_key

    assert host_key("https://example.org/a") == host_key("http://example.org/b") == "example.org"
    assert host_key("http://127.0.0.1:8001/feed") != host_key("http://127.0.0.1:8002/feed")
    assert host_key("http://user:pw@Example.ORG:8080/x?y") == "example.org:8080"
    assert host_key("http://example.org:port/x") == "example.org"  # fails when fetched, not here
