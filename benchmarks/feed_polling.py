"""Cost of polling 100 unchanged feeds (every one answering 304), the common case of a 15-minute run.

A local HTTP server on 127.0.0.1 serves 100 RSS feeds (two entries each, each a small page). The first
run loads everything; the measured run polls all 100 feeds again (force) and gets 304s. The target is
at most 2 s of work beyond process start: the Prefect API server and imports are started before the clock.

    .venv/bin/python benchmarks/feed_polling.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

FEEDS = 100
ENTRIES = 2
TARGET_SECONDS = 2.0


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: dict[str, int] = {}  # noqa: RUF012 (one server per process)

    def log_message(self, *args: object) -> None:
        pass

    def send(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        kind = "feed" if self.path.startswith("/feed/") else "page"
        Handler.hits[kind] = Handler.hits.get(kind, 0) + 1
        host = f"http://{self.headers['Host']}"
        if kind == "feed":
            n = int(self.path.rsplit("/", 1)[1])
            etag = f'"feed-{n}-v1"'
            if self.headers.get("If-None-Match") == etag:
                self.send(304, b"", "application/rss+xml", {"ETag": etag})
                return
            items = "".join(
                f"<item><title>Story {n}-{i}</title><link>{host}/page/{n}-{i}</link><guid>{n}-{i}</guid>"
                f"<pubDate>Mon, 23 Nov 2026 10:00:00 GMT</pubDate></item>"
                for i in range(ENTRIES)
            )
            body = (
                f"<?xml version='1.0'?><rss version='2.0'><channel><title>F{n}</title>{items}</channel></rss>"
            )
            self.send(200, body.encode(), "application/rss+xml", {"ETag": etag})
        else:
            words = " ".join(f"word{i}" for i in range(300))
            body = f"<html><head><title>{self.path}</title></head><body><article><h1>{self.path}</h1>"
            body += "".join(f"<p>Paragraph {i} of the story about WeChat and {words}.</p>" for i in range(5))
            self.send(200, (body + "</article></body></html>").encode(), "text/html; charset=utf-8")


def main() -> int:
    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    from flows.feeds import ingest_feeds
    from settings import Settings
    from warehouse import db

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    settings = Settings(workers=1)

    with tempfile.TemporaryDirectory() as tmp, prefect_test_harness():
        config = Path(tmp) / "feeds.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "feeds": [{"url": f"{base}/feed/{n}"} for n in range(FEEDS)],
                    "topics": [{"name": "wechat", "query": "wechat"}],
                    "fetch": {"min_delay": 0, "per_host": 8, "max_pages": 1000},
                }
            ),
            encoding="utf-8",
        )
        con = db.connect(Path(tmp) / "bench.duckdb")

        inner: dict[str, float] = {}

        @flow(name="feed-polling-benchmark")
        def poll_once(run_id: str) -> dict:
            started = time.perf_counter()
            result = ingest_feeds(con, str(config), run_id, "bench", True, None, settings)
            inner[run_id] = time.perf_counter() - started
            return result

        started = time.perf_counter()
        first = poll_once("first")
        first_s = time.perf_counter() - started
        print(
            f"first run: {FEEDS} feeds parsed, {first['entries_new']} entries, "
            f"{first['new']} articles loaded in {first_s:.2f} s"
        )

        Handler.hits.clear()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        second = poll_once("second")
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        con.close()
    server.shutdown()

    ok = second["polled"] == FEEDS and second["not_modified"] == FEEDS and second["inputs"] == 0
    print(
        f"second run: polled {second['polled']} feeds, {second['not_modified']} answered 304, "
        f"{Handler.hits.get('feed', 0)} feed requests, {Handler.hits.get('page', 0)} page requests"
    )
    print(
        f"  ingest_feeds {inner['second']:.2f} s (polling, state, its Prefect task runs); "
        f"whole flow run {wall:.2f} s wall, {cpu:.2f} s CPU; target <= {TARGET_SECONDS:.1f} s"
    )
    passed = ok and inner["second"] <= TARGET_SECONDS
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
