"""CPU seconds of one chunk's feed_entries look-ups (known_entries, known_urls, known_settled_urls) as the
warehouse grows: the lists of constants of warehouse/feeds.py against the semi-joins on a registered
table they replaced (kept here as the baseline).

It makes a DuckLake warehouse in a temporary folder, adds feed entries in files of 100,000 (as runs
add them) and, at each size, times one chunk's look-ups (250 entry keys and 250 URLs, half of them
stored). CPU seconds, best of three within one run, with the load average.

    .venv/bin/python benchmarks/feed_lookups.py [--entries 1000000]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from warehouse import db  # noqa: E402
from warehouse import feeds as wf  # noqa: E402

FILE_ROWS = 100_000
CHUNK = 250


def registered(con, name: str, table: pa.Table, sql: str) -> list[tuple]:
    """The look-up before: a join against a registered table."""
    con.register(name, table)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.unregister(name)


def semi_join_entries(con, keys):
    batch = pa.table({"feed_url": [k[0] for k in keys], "entry_key": [k[1] for k in keys]})
    sql = "SELECT * FROM feed_entries SEMI JOIN batch_keys USING (feed_url, entry_key)"
    return registered(con, "batch_keys", batch, sql)


def semi_join_settled(con, urls):
    sql = """SELECT e.canonical_url, max(e.article_id) FROM feed_entries e
             SEMI JOIN batch_urls u ON e.canonical_url = u.url
             WHERE e.status IN ('matched', 'unmatched') GROUP BY e.canonical_url"""
    return registered(con, "batch_urls", pa.table({"url": urls}), sql)


def join_urls(con, urls):
    sql = """SELECT u.url, max(e.article_id) FROM batch_urls u
             JOIN feed_entries e ON u.url = e.canonical_link OR u.url = e.canonical_url GROUP BY u.url"""
    return registered(con, "batch_urls", pa.table({"url": urls}), sql)


def add_entries(con, start: int, count: int) -> None:
    con.execute(
        f"""INSERT INTO feed_entries (feed_url, entry_key, link, canonical_link, canonical_url, title, status,
                                      article_id, attempts, first_seen_at, updated_at)
            SELECT 'https://feeds.example/' || (i % 1000) || '.xml', 'https://site' || (i % 5000)
                   || '.example/news/' || md5(i::VARCHAR), 'https://site' || (i % 5000) || '.example/news/'
                   || md5(i::VARCHAR), 'https://site' || (i % 5000) || '.example/news/' || md5(i::VARCHAR),
                   'https://site' || (i % 5000) || '.example/news/' || md5(i::VARCHAR), 'Title ' || i,
                   'matched', md5('a' || i), 1, now(), now()
            FROM range({start}, {start + count}) t(i)"""
    )


def url(i: int) -> str:
    import hashlib

    return f"https://site{i % 5000}.example/news/{hashlib.md5(str(i).encode()).hexdigest()}"


def cpu(call: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        call()
        best = min(best, time.process_time() - start)
    return best


def measure(con, numbers: list[int]) -> str:
    """CPU-s per chunk, before -> now, of each look-up; they are checked to give the same rows first."""
    urls = [url(i) for i in numbers]
    keys = [(f"https://feeds.example/{i % 1000}.xml", url(i)) for i in numbers]
    assert len(wf.known_entries(con, keys)) == len(semi_join_entries(con, keys))
    assert wf.known_settled_urls(con, urls) == dict(semi_join_settled(con, urls))
    assert wf.known_urls(con, urls) == dict(join_urls(con, urls))
    pairs = {
        "known_entries": (lambda: semi_join_entries(con, keys), lambda: wf.known_entries(con, keys)),
        "known_settled_urls": (
            lambda: semi_join_settled(con, urls),
            lambda: wf.known_settled_urls(con, urls),
        ),
        "known_urls": (lambda: join_urls(con, urls), lambda: wf.known_urls(con, urls)),
    }
    return ", ".join(f"{name} {cpu(before):.3f} -> {cpu(now):.3f}" for name, (before, now) in pairs.items())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    total = parser.parse_args().entries
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        con = db.connect(Path(folder) / "w.sqlite")
        stored = 0
        for size in sorted({10_000, 100_000, total}):
            while stored < size:
                step = min(FILE_ROWS, size - stored)
                add_entries(con, stored, step)
                stored += step
            old = rng.sample(range(stored), CHUNK // 2)
            new = [stored + i for i in rng.sample(range(10**6), CHUNK // 2)]
            print(f"{stored:>9,} entries (load average {os.getloadavg()[0]:.1f}): {measure(con, old + new)}")
        con.close()


if __name__ == "__main__":
    main()
