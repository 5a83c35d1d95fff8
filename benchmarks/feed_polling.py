"""Cost of polling 1000 unchanged feeds (every one answering 304), the common case of a 15-minute run.

A local HTTP server on 127.0.0.1 serves N RSS feeds (one entry each, each a small page; --feeds,
--entries). The first run loads everything; the measured run polls every feed again (force) and gets
304s. Every poll must succeed: with all of them started at once, none may fail waiting for one of the
16 connections (the PoolTimeouts of issue #12). The target is at most 2 s of work per 100 feeds beyond
process start: the Prefect API server and imports are started before the clock.

    .venv/bin/python benchmarks/feed_polling.py [--feeds 1000] [--entries 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

TARGET_SECONDS_PER_100 = 2.0


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

    entries = 1

    def do_GET(self) -> None:
        if self.path == "/robots.txt":
            self.send(404, b"", "text/plain")
            return
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
                for i in range(Handler.entries)
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
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=1)
    args = parser.parse_args()
    feeds_n, Handler.entries = args.feeds, args.entries
    target = TARGET_SECONDS_PER_100 * feeds_n / 100
    os.environ["WIRETRACE_ALLOW_PRIVATE_NETWORKS"] = "1"  # the feeds are served on 127.0.0.1
    # Prefect's telemetry writes to its database from a second thread and logs "database is locked".
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    from flows.counts import FeedCounts
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
                    "feeds": [{"url": f"{base}/feed/{n}"} for n in range(feeds_n)],
                    "topics": [{"name": "wechat", "query": "wechat"}],
                    # One host serves every feed here: per_host as high as the 16 requests in flight.
                    "fetch": {"min_delay": 0, "per_host": 16, "max_pages": feeds_n * Handler.entries},
                }
            ),
            encoding="utf-8",
        )
        con = db.connect(Path(tmp) / "bench.duckdb")

        inner: dict[str, float] = {}

        @flow(name="feed-polling-benchmark")
        def poll_once(run_id: str) -> FeedCounts:
            started = time.perf_counter()
            result = ingest_feeds(con, str(config), run_id, "bench", True, None, settings)
            inner[run_id] = time.perf_counter() - started
            return result

        started = time.perf_counter()
        first = poll_once("first")
        first_s = time.perf_counter() - started
        print(
            f"first run: {feeds_n} feeds polled ({first.feeds_failed} failed), {first.entries_new} entries, "
            f"{first.pages_fetched} pages fetched, {first.new} articles loaded in {first_s:.2f} s"
        )

        Handler.hits.clear()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        second = poll_once("second")
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        errors = con.execute("SELECT count(*) FROM feed_state WHERE last_error IS NOT NULL").fetchone()[0]
        pool_timeouts = con.execute(
            "SELECT count(*) FROM feed_state WHERE last_error LIKE '%PoolTimeout%'"
        ).fetchone()[0]
        con.close()
    server.shutdown()

    ok = (
        second.feeds_polled == feeds_n
        and second.feeds_not_modified == feeds_n
        and second.pages_fetched == 0
        and first.feeds_failed == 0
        and errors == 0
    )
    print(
        f"second run: polled {second.feeds_polled} feeds, {second.feeds_not_modified} answered 304, "
        f"{second.feeds_failed} failed ({pool_timeouts} PoolTimeout), "
        f"{Handler.hits.get('feed', 0)} feed requests, {Handler.hits.get('page', 0)} page requests"
    )
    print(
        f"  ingest_feeds {inner['second']:.2f} s (polling, state, its Prefect task runs); "
        f"whole flow run {wall:.2f} s wall, {cpu:.2f} s CPU; target <= {target:.1f} s"
    )
    passed = ok and inner["second"] <= target
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
