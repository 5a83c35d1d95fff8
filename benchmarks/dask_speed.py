"""Extraction and tagging on Dask: 1000 pages on a LocalCluster of 1 worker, then of 2 workers.

The pages are the 181 AEB pages (../shared/corpus/aeb/html), repeated to --pages with a different
source_ref each. Each cluster is started (processes, 1 thread each, 127.0.0.1) and warmed by the
plugin outside the clock; the clock covers run_in_pool over the parts that extract_and_tag would make
(flows/tasks.py), results back in the flow's process. Target: 2 workers >= 1.7 x 1 worker. The ratio
needs two idle cores: the load average is printed with it.

    .venv/bin/python benchmarks/dask_speed.py [--pages 1000] [--workers 1 2]

`dask_seconds(docs, workers)` is what benchmarks/scale.py calls.
"""

from __future__ import annotations

import argparse
import gzip
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
AEB = REPO.parent / "shared" / "corpus" / "aeb" / "html"
TARGET = 1.7


def aeb_docs(n: int) -> list:
    from transforms.records import RawDocument

    paths = sorted(AEB.glob("*.html.gz"))
    if not paths:
        raise SystemExit(f"no AEB pages under {AEB}: clone wiretrace next to the shared corpus")
    pages = [gzip.decompress(p.read_bytes()) for p in paths]
    return [
        RawDocument(source_ref=f"{i}-{paths[i % len(paths)].name}", data=pages[i % len(pages)])
        for i in range(n)
    ]


def dask_seconds(docs: Sequence, workers: int) -> tuple[float, int]:
    """Seconds to extract and tag `docs` on a fresh LocalCluster of `workers` processes (started and
    warmed outside the clock), and how many of them failed."""
    from distributed import LocalCluster

    from flows.workers import run_in_pool, worker_pool
    from settings import SETTINGS, Settings
    from transforms.records import Failure

    with LocalCluster(
        n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        settings = Settings(dask_address=cluster.scheduler_address)
        with worker_pool(settings) as pool:
            assert pool is not None
            size = max(1, min(8, settings.batch_size // (pool.workers * 4)))
            parts = [docs[i : i + size] for i in range(0, len(docs), size)]
            started = time.perf_counter()
            results = run_in_pool(parts, pool, SETTINGS.max_document_bytes)
            seconds = time.perf_counter() - started
    return seconds, sum(isinstance(r, Failure) for r in results)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    docs = aeb_docs(args.pages)
    timings = {}
    for workers in args.workers:
        seconds, failed = dask_seconds(docs, workers)
        timings[workers] = seconds
        print(
            f"{workers} Dask worker(s): {len(docs)} pages in {seconds:.1f} s "
            f"({len(docs) / seconds:.1f} pages/s), {failed} failed; load average {os.getloadavg()[0]:.1f}"
        )
    if 1 in timings and 2 in timings:
        ratio = timings[1] / timings[2]
        print(f"2 workers / 1 worker: {ratio:.2f}x; target >= {TARGET} (on two idle cores)")
        return 0 if ratio >= TARGET else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
