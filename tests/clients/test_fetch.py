"""clients/fetch.py against servers on 127.0.0.1: credentials, deadline, size cap, redirects, robots."""

from __future__ import annotations

import asyncio
import gzip
import threading
import time
import tracemalloc
import zlib
from http.server import BaseHTTPRequestHandler

import pytest

from clients import guard
from clients.fetch import Fetcher, FetchError, Response
from clients.robots import DISALLOWED, RobotsCache
from tests.clients.conftest import LocalServer, send

UA = "wiretrace/0.1 (test)"


def get(url: str, *, allow_private: bool = True, robots: RobotsCache | None = None, **limits) -> Response:
    options = {"timeout": 5.0, "max_bytes": 1_000_000, "concurrency": 4, **limits}

    async def main() -> Response:
        async with Fetcher(user_agent=UA, allow_private=allow_private, robots=robots, **options) as client:
            return await client.get(url)

    return asyncio.run(main())


def fetch_error(url: str, **options) -> FetchError:
    with pytest.raises(FetchError) as caught:
        get(url, **options)
    return caught.value


def ok(body: bytes = b"<html><body>ok</body></html>", **headers: str):
    return lambda h: send(h, 200, body, {"Content-Type": "text/html", **headers})


def redirect(status: int, location: str):
    return lambda h: send(h, status, b"", {"Location": location})


# -- credentials and schemes --------------------------------------------------------------------


def test_credentials_are_stripped_and_never_sent(local: LocalServer):
    local.routes["/a"] = ok()
    resp = get(local.url("/a").replace("http://", "http://alice:s3cret@"))
    [(path, headers)] = local.requests
    assert path == "/a" and "Authorization" not in headers
    assert resp.url == local.url("/a") and "s3cret" not in resp.url


@pytest.mark.parametrize("url", ["ftp://example.com/x", "file:///etc/passwd", "http://[::1", "javascript:x"])
def test_only_http_urls_are_fetched(url: str):
    assert "URL" in fetch_error(url).reason


# -- deadline -----------------------------------------------------------------------------------


def test_a_server_dripping_bytes_is_cut_at_the_one_deadline(local: LocalServer):
    client_gone = threading.Event()

    def drip(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.send_header("Content-Length", "100000")
        h.end_headers()
        try:
            for _ in range(100_000):  # each byte well within any per-read timeout
                h.wfile.write(b"x")
                h.wfile.flush()
                time.sleep(0.02)
        except OSError:
            client_gone.set()

    local.routes["/drip"] = drip
    error = fetch_error(local.url("/drip"), timeout=0.5)
    assert error.reason == "timed out: no complete response within 0.5 s" and error.retry
    assert client_gone.wait(10), "the client hung up; the server did not end the response itself"


# -- size and decompression ---------------------------------------------------------------------


def gzip_bomb(inflated: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = bytes(1 << 20)
    return b"".join(packer.compress(zeros) for _ in range(inflated >> 20)) + packer.flush()


def test_a_gzip_bomb_is_cut_at_the_cap_as_it_streams(local: LocalServer):
    bomb = gzip_bomb(256 << 20)  # 256 MB of zeros in ~250 KB
    assert len(bomb) < 1_000_000
    local.routes["/bomb"] = ok(bomb, **{"Content-Encoding": "gzip"})
    tracemalloc.start()
    try:
        error = fetch_error(local.url("/bomb"), max_bytes=1_000_000)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert error.reason == "too large: over the 1.0 MB limit" and not error.retry
    assert peak < 16_000_000, f"peak {peak / 1e6:.0f} MB while reading a 256 MB bomb"


def test_compressed_bodies_are_read_whole(local: LocalServer):
    text = b"<html><body>" + b"word " * 5000 + b"</body></html>"
    members = gzip.compress(text[:1000]) + gzip.compress(text[1000:])
    raw_deflate = zlib.compressobj(6, zlib.DEFLATED, -15)
    local.routes["/multi"] = ok(members, **{"Content-Encoding": "gzip"})
    local.routes["/zlib"] = ok(zlib.compress(text), **{"Content-Encoding": "deflate"})
    local.routes["/raw"] = ok(
        raw_deflate.compress(text) + raw_deflate.flush(), **{"Content-Encoding": "deflate"}
    )
    local.routes["/cut"] = ok(gzip.compress(text)[:-40], **{"Content-Encoding": "gzip"})
    local.routes["/br"] = ok(b"\x0b\x02\x80hello\x03", **{"Content-Encoding": "br"})
    assert [get(local.url(p)).body for p in ("/multi", "/zlib", "/raw")] == [text] * 3
    assert [get(local.url("/multi")).headers["content-encoding"]] == ["gzip"]
    assert fetch_error(local.url("/cut")).reason == "truncated gzip body"
    assert fetch_error(local.url("/br")).reason == "unsupported content encoding 'br'"
    assert local.requests[0][1]["Accept-Encoding"] == "gzip, deflate"


def test_a_declared_length_over_the_cap_is_refused_before_reading(local: LocalServer):
    local.routes["/big"] = ok(b"x" * 2_000_001)
    assert fetch_error(local.url("/big"), max_bytes=2_000_000).reason.startswith("too large: 2.0 MB declared")


# -- redirects ----------------------------------------------------------------------------------


def test_redirects_are_followed_and_permanent_moves_reported(local: LocalServer):
    local.routes["/ok"] = ok()
    local.routes["/moved"] = redirect(301, "/moved-again")
    local.routes["/moved-again"] = redirect(308, local.url("/ok"))
    local.routes["/temporary"] = redirect(302, "/ok")
    local.routes["/moved-then-temporary"] = redirect(301, "/temporary")
    local.routes["/loop"] = redirect(307, "/loop")
    local.routes["/to-ftp"] = redirect(302, "ftp://example.com/feed")

    moved = get(local.url("/moved"))
    assert (moved.status, moved.url, moved.moved_to) == (200, local.url("/ok"), local.url("/ok"))
    assert [s for s, _, _ in moved.redirects] == [301, 308]
    assert get(local.url("/temporary")).moved_to is None
    assert get(local.url("/moved-then-temporary")).moved_to == local.url("/temporary")
    assert fetch_error(local.url("/loop")).reason == "too many redirects (more than 5)"
    assert local.paths().count("/loop") == 6
    assert "not an http(s) URL" in fetch_error(local.url("/to-ftp")).reason


# -- addresses ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("http://127.0.0.1:{port}/ok", "loopback"),
        ("http://localhost:{port}/ok", "loopback"),  # a name: refused for what it resolves to
        ("http://10.20.30.40/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:{port}/ok", "loopback"),
        ("http://[::ffff:127.0.0.1]:{port}/ok", "loopback"),
        ("http://0.0.0.0:{port}/ok", "unspecified"),
        ("http://2130706433:{port}/ok", "loopback"),  # 127.0.0.1 as one number
    ],
)
def test_private_addresses_are_refused_without_the_switch(local: LocalServer, url: str, kind: str):
    local.routes["/ok"] = ok()
    error = fetch_error(url.format(port=local.base.rsplit(":", 1)[1]), allow_private=False)
    assert error.reason.startswith("refused:") and f"{kind} address" in error.reason and not error.retry
    assert local.requests == []


@pytest.fixture
def loopback_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test server's 127.0.0.1 stands for a public host; every other address is judged as usual."""
    judge = guard.refusal
    monkeypatch.setattr(guard, "refusal", lambda address: None if address == "127.0.0.1" else judge(address))


@pytest.mark.parametrize(
    ("target", "kind"),
    [
        ("http://127.0.0.2:{port}/ok", "loopback"),
        ("http://10.0.0.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]:{port}/ok", "loopback"),
    ],
)
def test_a_redirect_to_a_private_address_is_refused(loopback_is_public, local: LocalServer, target, kind):
    local.routes["/ok"] = ok()
    local.routes["/go"] = redirect(302, target.format(port=local.base.rsplit(":", 1)[1]))
    assert get(local.url("/ok"), allow_private=False).status == 200  # the public host itself is fetched
    error = fetch_error(local.url("/go"), allow_private=False)
    assert error.reason.startswith("refused:") and f"{kind} address" in error.reason
    assert local.paths() == ["/ok", "/go"]


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.1", "127.0.0.1 is a loopback address"),
        ("10.1.2.3", "10.1.2.3 is a private address"),
        ("172.16.0.1", "172.16.0.1 is a private address"),
        ("169.254.169.254", "169.254.169.254 is a link-local address"),
        ("224.0.0.1", "224.0.0.1 is a multicast address"),
        ("0.0.0.0", "0.0.0.0 is an unspecified address"),
        ("::", ":: is an unspecified address"),
        ("fe80::1", "fe80::1 is a link-local address"),
        ("fc00::1", "fc00::1 is a private address"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1 is a private address"),
        ("100.64.0.1", "100.64.0.1 is not a public address"),  # carrier-grade NAT
        ("240.0.0.1", "240.0.0.1 is a private address"),
        # 6to4 and Teredo addresses carry an IPv4 address: a private one is refused
        ("2002:7f00:1::", "2002:7f00:1:: is a 6to4 address of 127.0.0.1, a loopback address"),
        ("2002:a00:1::", "2002:a00:1:: is a 6to4 address of 10.0.0.1, a private address"),
        (
            "2001:0:808:808::80ff:fffe",
            "2001:0:808:808::80ff:fffe is a Teredo address of 127.0.0.1, a loopback address",
        ),
    ],
)
def test_refusal_names_the_kind_of_address(address: str, expected: str | None):
    assert guard.refusal(address) == expected


# -- robots.txt ---------------------------------------------------------------------------------


ROBOTS = b"User-agent: wiretrace\nDisallow: /private\n\nUser-agent: *\nDisallow: /\n"


def test_robots_txt_is_read_once_per_site_and_obeyed(local: LocalServer):
    local.routes["/robots.txt"] = lambda h: send(h, 200, ROBOTS, {"Content-Type": "text/plain"})
    for path in ("/a", "/b", "/private/x"):
        local.routes[path] = ok()
    local.routes["/go"] = redirect(302, "/private/y")
    robots = RobotsCache()

    async def main() -> list[Response | FetchError]:
        async with Fetcher(
            timeout=5, max_bytes=100_000, concurrency=2, user_agent=UA, allow_private=True, robots=robots
        ) as client:

            async def one(path: str) -> Response | FetchError:
                try:
                    return await client.get(local.url(path))
                except FetchError as exc:
                    return exc

            return list(await asyncio.gather(*(one(p) for p in ("/a", "/b", "/private/x", "/go"))))

    a, b, private, go = asyncio.run(main())
    assert isinstance(a, Response) and isinstance(b, Response)  # our group allows them; `*` would not
    assert isinstance(private, FetchError) and private.reason == DISALLOWED
    assert isinstance(go, FetchError) and go.reason == DISALLOWED  # a redirect into a disallowed path
    assert local.paths().count("/robots.txt") == 1
    assert sorted(p for p in local.paths() if p != "/robots.txt") == ["/a", "/b", "/go"]


def test_robots_txt_missing_allows_and_unavailable_keeps_the_site_out(local: LocalServer):
    local.routes["/a"] = ok()
    assert get(local.url("/a"), robots=RobotsCache()).status == 200  # robots.txt: 404
    local.requests.clear()
    local.routes["/robots.txt"] = lambda h: send(h, 503, b"busy")
    error = fetch_error(local.url("/a"), robots=RobotsCache())
    assert error.reason == "robots.txt unavailable (HTTP 503): the site is not fetched this run"
    assert local.paths() == ["/robots.txt"]


def test_a_validator_beyond_ascii_is_sent_back_as_the_server_gave_it(local: LocalServer):
    # A server's ETag bytes, decoded as latin-1 when stored, go back as the same bytes.
    local.routes["/feed"] = lambda h: send(h, 304 if h.headers.get("If-None-Match") else 200, b"")

    async def main() -> int:
        async with Fetcher(timeout=5, max_bytes=1000, concurrency=1, user_agent=UA, allow_private=True) as f:
            return (await f.get(local.url("/feed"), {"If-None-Match": '"caf\xe9"'})).status

    assert asyncio.run(main()) == 304
    assert local.requests[0][1]["If-None-Match"] == '"caf\xe9"'


# -- connections --------------------------------------------------------------------------------


def test_many_hosts_in_turn_reuse_their_connections_beyond_the_requests_in_flight():
    from http.server import ThreadingHTTPServer

    from clients.hostgate import HostGate

    seen: list[
        tuple[int, int]
    ] = []  # (server port, client port) of every request: one client port a connection

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append((self.server.server_address[1], self.client_address[1]))
            send(self, 304)

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), Handler) for _ in range(6)]
    for httpd in servers:
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    # 10 feeds a host, the hosts in turn (as feeds.yaml lists them), 2 requests in flight at once
    urls = [f"http://127.0.0.1:{s.server_address[1]}/feed/{n}" for n in range(10) for s in servers]

    async def main() -> list[int]:
        gate = HostGate(1, 0.0)
        async with Fetcher(
            user_agent=UA, allow_private=True, timeout=5.0, max_bytes=1000, concurrency=2
        ) as client:
            return [r.status for r in await asyncio.gather(*(client.get(u, {}, gate) for u in urls))]

    try:
        statuses = asyncio.run(main())
    finally:
        for httpd in servers:
            httpd.shutdown()
            httpd.server_close()
    assert statuses == [304] * len(urls) and len(seen) == len(urls)
    # a connection per host, kept while the other hosts take their turns (not one per request)
    assert len(set(seen)) <= len(servers) + 2
