"""Main job vs bare trafilatura on the 181 AEB pages: pages/s of both and their ratio.

    .venv/bin/python benchmarks/extraction_speed.py

The main job is what `wiretrace run` runs (`run_main_job`: read, decode, extract, clean,
tag, load into DuckDB, find reuse and stories, publish) with its worker pool, against Prefect's
temporary API as `make run` has it; the baseline is trafilatura's `bare_extraction` alone,
default settings, one process, on the same bytes. Both have their libraries imported before
the clock starts. Prefect's temporary API is started, and has run one empty flow, before the
clock starts too: that takes 8-10 s once per process, not per run, and is printed separately.
The worker pool's warm-up is inside the clock.
"""

from __future__ import annotations

import gzip
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# A Prefect home of its own: the temporary API's database is made fresh, as on a new machine.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="wiretrace-bench-prefect-")
AEB = REPO.parent / "shared" / "corpus" / "aeb" / "html"


def bare_trafilatura(pages: list[bytes]) -> float:
    from trafilatura import bare_extraction

    start = time.perf_counter()
    for data in pages:
        bare_extraction(gzip.decompress(data).decode("utf-8", "replace"), with_metadata=True)
    return time.perf_counter() - start


def warm_pool_throughput(files: list[Path]) -> float:
    """Seconds for extract-and-tag of the pages on a pool whose workers have already started:
    the steady state of a long run, without per-run start-up costs."""
    from flows.tasks import run_in_pool
    from flows.workers import worker_pool
    from transforms.records import RawDocument
    from wiretrace.config import SETTINGS

    docs = [RawDocument(source_ref=f.name, data=f.read_bytes()) for f in files]
    parts = [docs[i : i + 8] for i in range(0, len(docs), 8)]
    with worker_pool(SETTINGS) as pool:
        run_in_pool(parts[: SETTINGS.workers * 2], pool, 10_000_000)  # start every worker
        start = time.perf_counter()
        run_in_pool(parts, pool, 10_000_000)
        return time.perf_counter() - start


def start_prefect() -> None:
    """Start the temporary API and run one empty flow through it (per process, not per run)."""
    from prefect import flow

    @flow(name="benchmark-start-up")
    def start_up() -> None:
        pass

    start_up()


def main() -> None:
    from flows.ingest import run_main_job
    from wiretrace.config import SETTINGS

    files = sorted(AEB.glob("*.html.gz"))
    pages = [f.read_bytes() for f in files]
    bare_trafilatura(pages[:5])  # imports and warm caches, as the main job's workers have
    baseline = bare_trafilatura(pages)

    started = time.perf_counter()
    start_prefect()
    server = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_main_job(seeds_dir=str(AEB), db_path=str(Path(tmp) / "bench.duckdb"))
        job = time.perf_counter() - start
    n = len(pages)
    print(f"pages: {n} ({result['new']} loaded, {result['failed']} failed); workers: {SETTINGS.workers}")
    print(f"trafilatura alone, 1 process : {baseline:6.2f} s  {n / baseline:6.1f} pages/s")
    print(f"wiretrace main job (flow)    : {job:6.2f} s  {n / job:6.1f} pages/s")
    print(f"ratio main job / trafilatura : {baseline / job:6.2f}x  (>= 1.0 is the target)")
    print(f"(Prefect temporary API start-up, once per process: {server:.1f} s)")
    steady = warm_pool_throughput(files)
    print(f"extract-and-tag on warm workers : {steady:6.2f} s  {n / steady:6.1f} pages/s  "
          f"ratio {baseline / steady:.2f}x (a long run's steady state, no per-run start-up)")  # fmt: skip


if __name__ == "__main__":
    main()
