"""What a 5-article run costs the warehouse, by how much it already holds, per storage design.

    .venv/bin/python benchmarks/storage.py [--sizes 10000 100000] [--runs 3]

Three designs, each filled with N synthetic stored articles (title, ~1,500 characters of text,
two credits, a raw row pointing into a WARC file; warehouse/synthetic.py, one statement per table),
then given `--runs` runs of 5 new articles. A run is what the pipeline's loads do: the runs row,
one batch (articles, sources, raw bytes, failures), the run's end. Printed: the median seconds of a
run, and the growth from the smallest size.

Raw bytes are in WARC files (migration 011), so the rows hold only where each record lies.

- copy-publish: the storage before DuckLake (one DuckDB file, legacy schema), with its publish:
  CHECKPOINT, a copy of the file, fsync, rename (what warehouse/session.py did before DuckLake).
- DuckLake + SQLite: the embedded default (catalog in WAL mode, Parquet beside it).
- DuckLake + PostgreSQL: a throwaway server from the Debian package (skipped when it is missing).

The machine is shared: compare the growth and the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from transforms.pipeline import article_id_for, process
from transforms.records import Failure, RawDocument
from warehouse import db, synthetic

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def _new_items(run: int) -> tuple[list, dict]:
    items, raw = [], {}
    for k in range(5):
        text = f"Run {run} article {k}. " + " ".join(
            f"word{(run * 7 + k * 13 + j) % 251}" for j in range(300)
        )
        text += "\n\n(AFP) — agency copy."
        data = text.encode()
        tagged = process(RawDocument(source_ref=f"r{run}-{k}.txt", data=data, origin="seed"))
        items.append((article_id_for(None, "seed", f"r{run}-{k}.txt"), tagged))
        # the row of an archived input (the archive itself is benchmarks/archive.py's subject)
        raw[tagged.content_hash] = db.RawRow(len(data), "text/plain", f"bench/{run}.warc.gz", k * 4096, 4096)
    return items, raw


def _one_run(con: duckdb.DuckDBPyConnection, run: int) -> None:
    run_id = f"bench-{run}"
    moment = NOW + timedelta(hours=run)
    items, raw = _new_items(run)
    db.start_run(con, run_id, "bench", moment)
    with db.transaction(con):
        db.load_articles(con, items, raw, "v1", moment)
        db.record_failures(con, [Failure(f"bad-{run}.txt", "seed", "decode", "empty file")], run_id, moment)
    db.finish_run(con, run_id, moment, {"articles_new": 5})


def _fill(con: duckdb.DuckDBPyConnection, n: int) -> None:
    with db.transaction(con):
        synthetic.fill_stored(con, n, NOW)


def _publish(work: Path, published: Path) -> None:
    """The publish of the storage before DuckLake: copy the checkpointed file, fsync, rename."""
    tmp = published.with_name(published.name + ".tmp")
    shutil.copyfile(work, tmp)
    with open(tmp, "rb+") as handle:
        os.fsync(handle.fileno())
    os.replace(tmp, published)


def bench_copy_publish(folder: Path, n: int, runs: int) -> list[float]:
    work, published = folder / "work.duckdb", folder / "published.duckdb"
    con = duckdb.connect(str(work))
    db.migrate(con, db.SQL_DIR)
    _fill(con, n)
    synthetic.checkpoint(con)
    con.close()
    times = []
    for run in range(runs):
        t0 = time.perf_counter()
        con = duckdb.connect(str(work))
        _one_run(con, run)
        synthetic.checkpoint(con)
        con.close()
        _publish(work, published)
        times.append(time.perf_counter() - t0)
    return times


def bench_lake(catalog: str, n: int, runs: int) -> list[float]:
    con = db.connect(catalog)
    _fill(con, n)
    con.close()
    times = []
    for run in range(runs):
        t0 = time.perf_counter()
        con = db.connect(catalog)
        _one_run(con, run)
        con.close()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    server = None
    try:
        from wiretrace import postgres

        server = postgres.start()
    except Exception as exc:  # no Debian package here: the PostgreSQL column is left out
        print(f"PostgreSQL catalog skipped: {exc}")
    results: dict[str, dict[int, float]] = {}
    try:
        for size in args.sizes:
            with tempfile.TemporaryDirectory(prefix="wiretrace-storage-") as tmp:
                folder = Path(tmp)
                results.setdefault("copy-publish (before DuckLake)", {})[size] = statistics.median(
                    bench_copy_publish(folder, size, args.runs)
                )
                results.setdefault("DuckLake + SQLite catalog", {})[size] = statistics.median(
                    bench_lake(str(folder / "lake.sqlite"), size, args.runs)
                )
                if server is not None:
                    os.environ["WIRETRACE_DATA"] = str(folder / "pg-data")
                    dsn = server.create_database(f"bench_{size}")
                    results.setdefault("DuckLake + PostgreSQL catalog", {})[size] = statistics.median(
                        bench_lake(f"postgres:{dsn}", size, args.runs)
                    )
    finally:
        if server is not None:
            postgres.stop(server)
    first = args.sizes[0]
    header = " | ".join(f"{s:,} stored" for s in args.sizes)
    print(f"\n5-article run, median of {args.runs} (seconds; growth from {first:,} stored)\n")
    print(f"| storage | {header} | growth |")
    print("|---|" + "---|" * (len(args.sizes) + 1))
    for name, by_size in results.items():
        cells = " | ".join(f"{by_size[s]:.2f}" for s in args.sizes)
        print(f"| {name} | {cells} | {by_size[args.sizes[-1]] / by_size[first]:.1f}× |")


if __name__ == "__main__":
    main()
