"""Feeds at volume: 1000 feeds on 100 local hosts, first the poll that brings 3000 new pages, then the
poll where every feed answers 304 (the common case of a 15-minute run).

100 HTTP servers on 127.0.0.1 (one host each, to politeness: a host counts with its port), in a process
of their own so that the flow's process does not share its CPU with them, serve N RSS feeds (--feeds,
--hosts) with E entries each (--entries), every entry a page of ~2,000 words.

1. First poll (force): every feed parsed, N x E pages fetched, extracted and tagged in the worker pool
   (settings.workers), loaded. Its page phase (from the first page fetch to the end) is compared with
   2. and 3.: target wall <= 1.2 x the larger of them (fetching overlaps extraction).
2. Fetch alone: the same pages fetched again through the same stream, nothing else done.
3. Extraction alone: the same pages extracted, tagged and matched against the topics in the same
   pool, in the same chunks.
4. Second poll (force): every feed answers 304: 0 failed polls, 0 `PoolTimeout`, no page requests;
   target: `ingest_feeds` <= 2 s (--target) for 1000 feeds.

The Prefect API server and imports are started before the clock. Polite settings as feeds.yaml's
defaults (2 requests at once per host), with min_delay 0: these hosts are ours.

    .venv/bin/python benchmarks/feed_polling.py [--feeds 1000] [--hosts 100] [--entries 3]
    .venv/bin/python benchmarks/feed_polling.py --entries 0 --profile poll   # the 304 poll alone
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

TARGET_SECONDS_304 = 2.0  # for 1000 feeds
TARGET_OVERLAP = 1.2
WORDS = " ".join(f"word{i}" for i in range(40))
HITS: dict[str, int] = {}
HITS_LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    entries = 3

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
        if self.path == "/robots.txt":
            self.send(404, b"", "text/plain")
            return
        if self.path == "/_hits":  # the benchmark asks what was requested since it last asked
            with HITS_LOCK:
                body = json.dumps(HITS).encode()
                HITS.clear()
            self.send(200, body, "application/json")
            return
        kind = "feed" if self.path.startswith("/feed/") else "page"
        with HITS_LOCK:
            HITS[kind] = HITS.get(kind, 0) + 1
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
            body = f"<html><head><title>{self.path}</title></head><body><article><h1>{self.path}</h1>"
            body += "".join(
                f"<p>Paragraph {i} of the story {self.path} about WeChat, {WORDS} {i}.</p>" for i in range(40)
            )
            self.send(200, (body + "</article></body></html>").encode(), "text/html; charset=utf-8")


def serve_hosts(n: int, entries: int) -> None:
    """The process of the hosts: n servers, their ports on one line of stdout, until stdin closes."""
    Handler.entries = entries
    servers = []
    for _ in range(n):
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    print(json.dumps([s.server_address[1] for s in servers]), flush=True)
    sys.stdin.read()


def start_hosts(n: int, entries: int) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(n), "--entries", str(entries)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    ports = json.loads(proc.stdout.readline())
    return proc, [f"http://127.0.0.1:{port}" for port in ports]


def hits(base: str) -> dict[str, int]:
    with urllib.request.urlopen(f"{base}/_hits", timeout=30) as answer:
        return json.loads(answer.read())


def total_hits(bases: list[str]) -> dict[str, int]:
    totals: dict[str, int] = {}
    for base in bases:
        for kind, count in hits(base).items():
            totals[kind] = totals.get(kind, 0) + count
    return totals


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--hosts", type=int, default=100)
    parser.add_argument("--entries", type=int, default=3)
    parser.add_argument("--target", type=float, default=TARGET_SECONDS_304, help="seconds for the 304 poll")
    parser.add_argument(
        "--profile", help="write cProfile stats of the flow's thread to PROFILE-first and PROFILE-second"
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)  # the hosts' own process
    args = parser.parse_args()
    if args.serve:
        serve_hosts(args.serve, args.entries)
        return 0
    feeds_n, Handler.entries = args.feeds, args.entries
    target_304 = args.target * feeds_n / 1000
    os.environ["WIRETRACE_ALLOW_PRIVATE_NETWORKS"] = "1"  # the feeds are served on 127.0.0.1
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")

    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    import flows.feeds
    from clients.config_files import load_feed_config
    from clients.feeds import PageStream
    from clients.robots import RobotsCache
    from flows.counts import FeedCounts
    from flows.feeds import ingest_feeds
    from flows.tasks import chunks, extract_and_tag
    from flows.workers import worker_pool
    from settings import API_START_SECONDS, SETTINGS
    from transforms.feed_pages import sort_pages
    from transforms.feeds import FetchPolicy
    from warehouse import db

    hosts, bases = start_hosts(args.hosts, args.entries)
    settings = SETTINGS
    policy = FetchPolicy(min_delay=0, max_pages=feeds_n * Handler.entries)
    page_phase: dict = {}

    class TimedStream(PageStream):  # the page phase starts when the first run's stream does
        def __enter__(self) -> PageStream:
            page_phase.setdefault("start", time.perf_counter())
            page_phase.setdefault("entries", list(self._entries))
            return super().__enter__()

    flows.feeds.PageStream = TimedStream

    harness = prefect_test_harness(server_startup_timeout=API_START_SECONDS)  # a busy machine
    with tempfile.TemporaryDirectory() as tmp, harness, worker_pool(settings) as pool:
        config = Path(tmp) / "feeds.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "feeds": [{"url": f"{bases[n % len(bases)]}/feed/{n}"} for n in range(feeds_n)],
                    "topics": [{"name": "wechat", "query": "wechat"}],
                    "fetch": {"min_delay": 0, "max_pages": policy.max_pages},
                }
            ),
            encoding="utf-8",
        )
        con = db.connect(Path(tmp) / "bench.duckdb")
        inner: dict[str, float] = {}

        @flow(name="feed-polling-benchmark")
        def poll_once(run_id: str) -> FeedCounts:
            started = time.perf_counter()
            result = ingest_feeds(con, str(config), run_id, "bench", True, pool, settings)
            inner[run_id] = time.perf_counter() - started
            inner[f"{run_id}-end"] = time.perf_counter()
            return result

        alone: dict[str, list] = {}
        topics = load_feed_config(config).topics  # matched in the workers, as the flow does

        @flow(name="extraction-alone")
        def extract_alone() -> float:
            started = time.perf_counter()
            for chunk in chunks(alone["raws"], settings.pages_per_chunk):
                extract_and_tag(chunk, pool, settings, topics)
            return time.perf_counter() - started

        profiler = cProfile.Profile() if args.profile else None
        if profiler is not None:
            profiler.enable()
        first = poll_once("first")
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{args.profile}-first")
        pages_s = inner["first-end"] - page_phase["start"]
        print(
            f"first poll: {feeds_n} feeds on {len(bases)} hosts ({first.feeds_failed} failed), "
            f"{first.entries_new} entries, {first.pages_fetched} pages fetched "
            f"({first.pages_failed} failed), {first.new} articles loaded; "
            f"ingest_feeds {inner['first']:.2f} s, of which pages {pages_s:.2f} s"
        )

        # 2. the same pages fetched again, alone (nothing to compare when the feeds list no pages)
        started = time.perf_counter()
        with PageStream(
            page_phase["entries"], policy, settings.max_document_bytes, True, RobotsCache(), 30.0,
            max(settings.pages_ahead, 2 * settings.pages_per_chunk),
        ) as stream:  # fmt: skip
            pages = [page for batch in stream.batches(settings.pages_per_chunk) for page in batch]
        fetch_s = time.perf_counter() - started
        # 3. the same pages extracted and tagged, alone
        raws = alone["raws"] = [raw for _, raw in sort_pages(pages, {}, {}, datetime.now(UTC), "b").work]
        extract_s = extract_alone()
        bound = max(fetch_s, extract_s, 1e-9)
        overlap_ok = pages_s <= TARGET_OVERLAP * bound or not raws
        print(
            f"  fetch alone {fetch_s:.2f} s ({len(pages)} pages), extraction alone {extract_s:.2f} s "
            f"({len(raws)} pages, {getattr(pool, 'workers', 1)} workers): page phase = "
            f"{pages_s / bound:.2f} x the larger; target <= {TARGET_OVERLAP}"
        )

        # 4. every feed unchanged
        total_hits(bases)  # counted from here
        profiler = cProfile.Profile() if args.profile else None
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        second = poll_once("second")
        wall = time.perf_counter() - wall0
        cpu = time.process_time() - cpu0
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(f"{args.profile}-second")
        errors = con.execute("SELECT count(*) FROM feed_state WHERE last_error IS NOT NULL").fetchone()[0]
        pool_timeouts = con.execute(
            "SELECT count(*) FROM feed_state WHERE last_error LIKE '%PoolTimeout%'"
        ).fetchone()[0]
        requested = total_hits(bases)
        con.close()
    hosts.communicate("")  # stdin closed: the hosts' process ends

    ok = (
        second.feeds_polled == feeds_n
        and second.feeds_not_modified == feeds_n
        and second.pages_fetched == 0
        and first.feeds_failed == 0
        and first.pages_fetched == feeds_n * Handler.entries
        and errors == 0
    )
    print(
        f"second poll: polled {second.feeds_polled} feeds, {second.feeds_not_modified} answered 304, "
        f"{second.feeds_failed} failed ({pool_timeouts} PoolTimeout), "
        f"{requested.get('feed', 0)} feed requests, {requested.get('page', 0)} page requests"
    )
    print(
        f"  ingest_feeds {inner['second']:.2f} s (polling, state, its Prefect task runs); "
        f"whole flow run {wall:.2f} s wall, {cpu:.2f} s CPU; target <= {target_304:.1f} s"
    )
    passed = ok and inner["second"] <= target_304 and overlap_ok
    print("PASS" if passed else "FAIL")
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
