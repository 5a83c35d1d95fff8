"""CPU seconds of one chunk's feed_entries look-ups as the warehouse grows, each in two forms: a join
against a registered Arrow table, and constant IN lists (db.ids_sql).

warehouse/feeds.py runs known_urls with IN lists (its join form, on `canonical_link OR
canonical_url`, is a nested-loop join) and known_entries and known_settled_urls with joins: the URLs
and keys are in no order the files keep, so constants let DuckLake skip no file there, and a list of
thousands costs more than the join.

It makes a DuckLake warehouse in a temporary folder, adds feed entries in files of 100,000 (as runs
add them) and, at each size, times one chunk's look-ups (250 entry keys and 250 URLs, half of them
stored; --keys to change). CPU seconds, best of three within one run, with the load average.

    .venv/bin/python benchmarks/feed_lookups.py [--entries 1000000] [--keys 250]
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


def registered(con, name: str, table: pa.Table, sql: str) -> list[tuple]:
    """A join against a registered table."""
    con.register(name, table)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.unregister(name)


def join_urls(con, urls):
    sql = """SELECT u.url, max(e.article_id) FROM batch_urls u
             JOIN feed_entries e ON u.url = e.canonical_link OR u.url = e.canonical_url GROUP BY u.url"""
    return registered(con, "batch_urls", pa.table({"url": urls}), sql)


def in_list_entries(con, keys):
    sql = f"""SELECT * FROM feed_entries WHERE entry_key IN {db.ids_sql([k[1] for k in keys])}
              AND feed_url IN {db.ids_sql([k[0] for k in keys])}"""
    return con.execute(sql).fetchall()


def in_list_settled(con, urls):
    sql = f"""SELECT canonical_url, max(article_id) FROM feed_entries
              WHERE canonical_url IN {db.ids_sql(urls)} AND status IN ('matched', 'unmatched')
              GROUP BY canonical_url"""
    return con.execute(sql).fetchall()


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
    """CPU-s per chunk, join -> IN lists, of each look-up; the forms are checked to agree first."""
    urls = [url(i) for i in numbers]
    keys = [(f"https://feeds.example/{i % 1000}.xml", url(i)) for i in numbers]
    assert len(in_list_entries(con, keys)) == len(wf.known_entries(con, keys))
    assert dict(in_list_settled(con, urls)) == wf.known_settled_urls(con, urls)
    assert wf.known_urls(con, urls) == dict(join_urls(con, urls))
    pairs = {
        "known_entries": (lambda: wf.known_entries(con, keys), lambda: in_list_entries(con, keys)),
        "known_settled_urls": (
            lambda: wf.known_settled_urls(con, urls),
            lambda: in_list_settled(con, urls),
        ),
        "known_urls": (lambda: join_urls(con, urls), lambda: wf.known_urls(con, urls)),
    }
    return ", ".join(f"{name} {cpu(before):.3f} -> {cpu(now):.3f}" for name, (before, now) in pairs.items())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--keys", type=int, default=250)
    args = parser.parse_args()
    total, chunk = args.entries, args.keys
    rng = random.Random(7)
    with tempfile.TemporaryDirectory() as folder:
        con = db.connect(Path(folder) / "w.sqlite")
        stored = 0
        for size in sorted({10_000, 100_000, total}):
            while stored < size:
                step = min(FILE_ROWS, size - stored)
                add_entries(con, stored, step)
                stored += step
            old = rng.sample(range(stored), chunk // 2)
            new = [stored + i for i in rng.sample(range(10**6), chunk // 2)]
            print(f"{stored:>9,} entries (load average {os.getloadavg()[0]:.1f}): {measure(con, old + new)}")
        con.close()


if __name__ == "__main__":
    main()
