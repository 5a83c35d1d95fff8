"""HTTP GET that any URL from a feed may be given to: bounded in time, size, address and number.

- http(s) only; `user:password@` is stripped and never sent;
- connections only to public addresses, checked after DNS on every redirect hop (clients/guard.py);
- redirects followed here, at most 5, each hop checked like the first;
- one deadline per request (`timeout`, covering connect, headers, body and redirects): a server that
  drips a byte at a time is cut at the deadline, not at each read;
- the body is decompressed here, as it streams, and the decompressed size counts against `max_bytes`,
  so a gzip bomb stops at the cap instead of inflating in memory;
- at most `concurrency` requests in flight: the wait for a turn comes before the deadline starts and
  never times out, so 1000 feeds in one run queue instead of failing with a pool timeout;
- robots.txt read once per site per run (clients/robots.py) and obeyed.

No Prefect here: plain async functions, used by clients/feeds.py.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import functools
import ssl
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpcore
import httpx

from clients.guard import AddressRefused, GuardedBackend
from clients.hostgate import HostGate
from clients.robots import (
    MAX_ROBOTS_BYTES,
    RobotsCache,
    RobotsRules,
    robots_url,
    rules_from_response,
    site_of,
    unavailable,
)
from settings import KEEPALIVE_HOSTS
from transforms.feed_decisions import host_key
from transforms.urls import strip_credentials

T = TypeVar("T")
MAX_REDIRECTS = 5
REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
_CHUNK = 65_536


class FetchError(Exception):
    """A request that gave no usable response; `retry` says whether trying again in this run may help."""

    def __init__(self, reason: str, retry: bool, status: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry = retry
        self.status = status


class RefusedAddress(FetchError):
    """The host resolves only to addresses fetching may not reach (clients/guard.py)."""


@dataclass(frozen=True)
class Response:
    url: str  # final URL, after redirects
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes  # decompressed
    redirects: tuple[tuple[int, str, str], ...] = ()  # (status, from, to) of each hop followed

    @property
    def moved_to(self) -> str | None:
        """Where the permanent redirects (301/308) at the start of the chain lead; None if the first
        hop is not one. A temporary hop ends the chain: what follows it may change again."""
        target = None
        for status, _, to in self.redirects:
            if status not in PERMANENT:
                break
            target = to
        return target


def checked_url(url: str) -> str:
    """`url` without credentials, or FetchError when it is not an absolute http(s) URL."""
    bare = strip_credentials((url or "").strip())
    try:
        parsed = httpx.URL(bare)
    except (httpx.InvalidURL, ValueError, TypeError) as exc:
        raise FetchError(f"not a valid URL: {url!r} ({exc})", retry=False) from exc
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"not an http(s) URL: {url!r}", retry=False)
    return bare


class _Inflater:
    """Content-Encoding undone chunk by chunk, never producing more than the room left."""

    def __init__(self, encoding: str) -> None:
        coding = encoding.strip().lower()
        if coding in ("", "identity"):
            self._wbits: int | None = None
        elif coding in ("gzip", "x-gzip"):
            self._wbits = 31
        elif coding == "deflate":
            self._wbits = 15  # zlib-wrapped as the RFC says; raw deflate is tried when that fails
        else:
            raise FetchError(f"unsupported content encoding {encoding!r}", retry=False)
        self._coding = coding
        self._d = zlib.decompressobj(self._wbits) if self._wbits else None
        self._started = False

    def feed(self, data: bytes, room: int) -> bytes:
        """Decoded bytes of `data`; more than `room` of them means the cap is passed (the rest is dropped)."""
        if self._d is None:
            return data
        out = bytearray()
        while data and len(out) <= room:
            try:
                out += self._d.decompress(data, room - len(out) + 1)
            except zlib.error as exc:
                if self._coding == "deflate" and not self._started:
                    self._d, self._wbits = zlib.decompressobj(-15), -15
                    self._started = True
                    continue
                raise FetchError(f"bad {self._coding} body: {exc}", retry=False) from exc
            self._started = True
            if self._d.eof:
                data = self._d.unused_data
                # A gzip body may hold several members, each a gzip stream of its own.
                if data.strip(b"\0") and self._wbits == 31:
                    self._d = zlib.decompressobj(31)
                else:
                    data = b""
            else:
                data = self._d.unconsumed_tail
        return bytes(out)

    def finish(self) -> None:
        if self._d is not None and self._started and not self._d.eof:
            raise FetchError(f"truncated {self._coding} body", retry=True)


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """certifi's CAs, as httpx would use; read once per process (0.1 s each time), shared by the
    Fetchers of its runs and threads (an SSLContext is safe to share)."""
    return httpx.create_ssl_context()


Origin = tuple[bytes, bytes, int | None]


class _HostPools:
    """A connection pool per origin (scheme, host, port), the KEEPALIVE_HOSTS used last kept open.

    One pool for all hosts would close a host's idle connection whenever the others' requests need
    room, so 1000 feeds on 100 hosts opened a connection per request; and httpcore's pool checks every
    connection it holds for every queued request, so one big pool costs more CPU than it saves. A pool
    a host keeps each small; a host's next request, after the other hosts' turns, finds its connection.
    """

    def __init__(self, new: Callable[[], httpcore.AsyncConnectionPool]) -> None:
        self._new = new
        self._pools: collections.OrderedDict[Origin, httpcore.AsyncConnectionPool] = collections.OrderedDict()
        self._busy: collections.Counter[Origin] = collections.Counter()

    @contextlib.asynccontextmanager
    async def stream(
        self, method: str, url: httpcore.URL, **options: Any
    ) -> AsyncIterator[httpcore.Response]:
        origin = (url.scheme, url.host, url.port)
        pool = self._pools.pop(origin, None) or self._new()
        self._pools[origin] = pool  # the most recently used last
        self._busy[origin] += 1
        try:
            async with pool.stream(method, url, **options) as response:
                yield response
        finally:
            self._busy[origin] -= 1
            await self._close_beyond(KEEPALIVE_HOSTS)

    async def _close_beyond(self, keep: int) -> None:
        """Close the pools used longest ago, with no request in flight, until `keep` are left."""
        idle = [o for o in self._pools if not self._busy[o]]
        for origin in idle[: max(0, len(self._pools) - keep)]:
            del self._busy[origin]
            await self._pools.pop(origin).aclose()

    async def aclose(self) -> None:
        while self._pools:
            await self._pools.popitem()[1].aclose()


class Fetcher:
    """One run's HTTP client: `async with Fetcher(...) as f: await f.get(url)`."""

    def __init__(
        self,
        *,
        timeout: float,
        max_bytes: int,
        concurrency: int,
        user_agent: str,
        allow_private: bool,
        robots: RobotsCache | None = None,
    ) -> None:
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.user_agent = user_agent
        self.allow_private = allow_private
        self.robots = robots
        self._concurrency = concurrency
        self._robots_locks: dict[str, asyncio.Lock] = {}

    async def __aenter__(self) -> Fetcher:
        self._slots = asyncio.Semaphore(self._concurrency)  # the requests in flight
        self._pools = _HostPools(self._new_pool)
        return self

    def _new_pool(self) -> httpcore.AsyncConnectionPool:
        return httpcore.AsyncConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=self._concurrency,
            max_keepalive_connections=self._concurrency,
            network_backend=GuardedBackend(self.allow_private),
        )

    async def __aexit__(self, *exc: object) -> None:
        await self._pools.aclose()

    async def get(
        self, url: str, headers: dict[str, str] | None = None, gate: HostGate | None = None
    ) -> Response:
        """GET `url`; FetchError when no usable response came (a 4xx/5xx response is returned)."""
        url = checked_url(url)
        await self._obey_robots(url, in_slot=False)
        if gate is None:
            return await self._in_slot(url, headers or {}, obey_robots=True)
        return await gate.run(host_key(url), lambda: self._in_slot(url, headers or {}, obey_robots=True))

    async def _in_slot(
        self, url: str, headers: dict[str, str], obey_robots: bool, max_bytes: int | None = None
    ) -> Response:
        async with self._slots:  # waiting here is queueing, not part of the deadline
            return await self._timed(url, headers, obey_robots, max_bytes)

    async def _timed(
        self, url: str, headers: dict[str, str], obey_robots: bool, max_bytes: int | None
    ) -> Response:
        """The request and its redirects within one deadline; every failure as a FetchError."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._follow(url, headers, obey_robots, max_bytes)
        except TimeoutError as exc:
            raise FetchError(f"timed out: no complete response within {self.timeout:g} s", True) from exc
        except AddressRefused as exc:
            raise RefusedAddress(str(exc), retry=False) from exc
        except httpcore.TimeoutException as exc:
            raise FetchError(f"timed out ({type(exc).__name__})", retry=True) from exc
        except (httpcore.UnsupportedProtocol, httpcore.LocalProtocolError) as exc:
            raise FetchError(f"bad request: {exc}", retry=False) from exc
        except (httpcore.NetworkError, httpcore.RemoteProtocolError, httpcore.ProxyError, OSError) as exc:
            raise FetchError(f"{type(exc).__name__}: {str(exc) or 'connection failed'}", retry=True) from exc
        except FetchError:
            raise
        except Exception as exc:  # whatever a hostile server provokes, it fails this request, not the run
            raise FetchError(f"unexpected {type(exc).__name__}: {exc}", retry=False) from exc

    async def _follow(
        self, url: str, headers: dict[str, str], obey_robots: bool, max_bytes: int | None
    ) -> Response:
        hops: list[tuple[int, str, str]] = []
        while True:
            status, response_headers, body = await self._exchange(url, headers, max_bytes)
            location = response_headers.get("location")
            if status not in REDIRECTS or not location:
                return Response(url, status, response_headers, body, tuple(hops))
            if len(hops) == MAX_REDIRECTS:
                raise FetchError(
                    f"too many redirects (more than {MAX_REDIRECTS})", retry=False, status=status
                )
            try:
                target = checked_url(str(httpx.URL(url).join(location.strip())))
            except (httpx.InvalidURL, ValueError) as exc:
                raise FetchError(f"bad redirect to {location!r}: {exc}", retry=False, status=status) from exc
            hops.append((status, url, target))
            if obey_robots:
                await self._obey_robots(target, in_slot=True)
            url = target

    async def _exchange(
        self, url: str, headers: dict[str, str], max_bytes: int | None
    ) -> tuple[int, dict[str, str], bytes]:
        """One request and its whole body, decompressed, within the size cap."""
        cap = self.max_bytes if max_bytes is None else max_bytes
        truncate = max_bytes is not None  # robots.txt: the first part counts, the rest is ignored
        request_headers = {
            "User-Agent": self.user_agent,
            "Accept-Encoding": "gzip, deflate",
            **headers,
        }
        parsed = httpx.URL(url)
        target = httpcore.URL(
            scheme=parsed.raw_scheme, host=parsed.raw_host, port=parsed.port, target=parsed.raw_path
        )
        timeouts = {"connect": self.timeout, "read": self.timeout, "write": self.timeout, "pool": None}
        # As bytes: httpcore refuses str headers beyond ASCII, and an ETag sent back is the server's bytes.
        raw_headers = [
            (k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in request_headers.items()
        ]
        async with self._pools.stream(
            "GET", target, headers=raw_headers, extensions={"timeout": timeouts}
        ) as resp:
            status = resp.status
            response_headers: dict[str, str] = {}
            for name, value in resp.headers:
                key = name.decode("latin-1").lower()
                text = value.decode("latin-1")
                response_headers[key] = (
                    f"{response_headers[key]}, {text}" if key in response_headers else text
                )
            if status in REDIRECTS and response_headers.get("location"):
                return status, response_headers, b""  # the body of a redirect is not read
            declared = response_headers.get("content-length", "")
            if not truncate and declared.isdigit() and int(declared) > cap:
                raise FetchError(
                    f"too large: {int(declared) / 1e6:.1f} MB declared, the limit is {cap / 1e6:.1f} MB",
                    retry=False,
                    status=status,
                )
            inflater = _Inflater(response_headers.get("content-encoding", ""))
            body = bytearray()
            raw = 0
            async for chunk in resp.aiter_stream():
                raw += len(chunk)
                body += inflater.feed(chunk, cap - len(body))
                if len(body) > cap or raw > cap:
                    if truncate:
                        return status, response_headers, bytes(body[:cap])
                    raise FetchError(
                        f"too large: over the {cap / 1e6:.1f} MB limit", retry=False, status=status
                    )
            inflater.finish()
            return status, response_headers, bytes(body)

    async def _obey_robots(self, url: str, in_slot: bool) -> None:
        """FetchError when robots.txt keeps us from `url`.

        Before a slot is held, fetches of one site wait for one read of its robots.txt. Holding a slot
        (a redirect hop), a missing entry is read with that slot and never waited for: a holder waiting
        for a reader that waits for a slot could otherwise block every slot.
        """
        if self.robots is None:
            return
        site = site_of(url)
        rules = self.robots.rules.get(site)
        if rules is None and in_slot:
            rules = await self._read_robots(url, in_slot=True)
        elif rules is None:
            async with self._robots_locks.setdefault(site, asyncio.Lock()):
                rules = self.robots.rules.get(site) or await self._read_robots(url, in_slot=False)
        reason = rules.refusal(url, self.user_agent)
        if reason:
            raise FetchError(reason, retry=False)

    async def _read_robots(self, url: str, in_slot: bool) -> RobotsRules:
        where = robots_url(url)
        try:
            if in_slot:
                resp = await self._timed(where, {}, obey_robots=False, max_bytes=MAX_ROBOTS_BYTES)
            else:
                resp = await self._in_slot(where, {}, obey_robots=False, max_bytes=MAX_ROBOTS_BYTES)
            rules = rules_from_response(resp.status, resp.body)
        except RefusedAddress as exc:
            rules = RobotsRules(unavailable=exc.reason)  # the refusal itself is the reason to record
        except FetchError as exc:
            rules = unavailable(exc.reason)
        assert self.robots is not None
        self.robots.rules[site_of(url)] = rules
        return rules


def run_async(factory: Callable[[], Awaitable[T]]) -> T:
    """Run a coroutine to completion from sync code, also when the caller's thread has a loop."""

    async def main() -> T:
        return await factory()

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()
