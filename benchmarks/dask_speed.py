"""Extraction and tagging on Dask: 1000 pages on a LocalCluster of 1 worker, then of 2 workers.

The pages are the 181 AEB pages (../shared/corpus/aeb/html), repeated to --pages with a different
source_ref each. Each cluster is started (processes, 1 thread each, 127.0.0.1) and warmed by the
plugin outside the clock; the clock covers run_in_pool over the parts that extract_and_tag makes
(flows/workers.py pool_parts: several pages per future, sent with their task, no scatter), results
back in the flow's process. Target: 2 workers >= 1.7 x 1 worker.

The wall ratio needs two idle cores. On a shared machine it says little, so the CPU time is measured
too: each worker process's, and this process's (the flow's side: the client, and LocalCluster's
scheduler, which runs here). Their CPU-normalised ratio compares the busiest worker's CPU plus the
flow side's (counted as if serial) at 1 and 2 workers: what a serial part (a future per page, pages
pickled through the scheduler) or an unbalanced split would cap shows there, whatever the load.

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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class DaskTiming:
    """One cluster's figures: wall time, and the CPU time behind it, where it was spent."""

    workers: int
    pages: int
    wall: float
    worker_cpu: tuple[float, ...]  # each worker process's CPU seconds during the clock
    local_cpu: float  # this process: the flow's side, the client and (LocalCluster) the scheduler
    parts: int
    failed: int

    @property
    def cpu_bound(self) -> float:
        """The time on idle cores if CPU were all it took: the busiest worker, plus the flow's side as
        if it never overlapped the workers (the serial part, counted in full)."""
        return max(self.worker_cpu) + self.local_cpu

    def line(self) -> str:
        per_page = 1000 / self.pages
        each = " + ".join(f"{c:.1f}" for c in self.worker_cpu)
        return (
            f"{self.workers} Dask worker(s): {self.pages} pages in {self.parts} parts, "
            f"{self.wall:.1f} s wall ({self.pages / self.wall:.1f} pages/s), {self.failed} failed; "
            f"CPU: workers {each} s ({sum(self.worker_cpu) * per_page:.1f} ms "
            f"a page), flow side {self.local_cpu:.1f} s ({self.local_cpu * per_page:.1f} ms a page); "
            f"load average {os.getloadavg()[0]:.1f}"
        )


def dask_timing(docs: Sequence, workers: int) -> DaskTiming:
    """Extract and tag `docs` on a fresh LocalCluster of `workers` processes (started and warmed
    outside the clock), in the parts extract_and_tag makes: many pages per future, each part's pages
    sent with its task (no scatter, no future per page)."""
    from distributed import Client, LocalCluster

    from flows.workers import pool_parts, run_in_pool, worker_pool
    from settings import SETTINGS, Settings
    from transforms.records import Failure

    with LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address="127.0.0.1:0",
    ) as cluster:
        settings = Settings(dask_address=cluster.scheduler_address)
        with worker_pool(settings) as pool, Client(cluster, set_as_default=False) as probe:
            assert pool is not None
            parts = [
                part
                for start in range(0, len(docs), settings.batch_size)
                for part in pool_parts(docs[start : start + settings.batch_size], pool.workers)
            ]
            before = probe.run(time.process_time)
            local0, started = time.process_time(), time.perf_counter()
            results = run_in_pool(parts, pool, SETTINGS.max_document_bytes)
            wall = time.perf_counter() - started
            local = time.process_time() - local0
            after = probe.run(time.process_time)
    cpu = tuple(after[w] - before[w] for w in sorted(before))
    failed = sum(isinstance(r, Failure) for r in results)
    return DaskTiming(workers, len(docs), wall, cpu, local, len(parts), failed)


def dask_seconds(docs: Sequence, workers: int) -> tuple[float, int]:
    """Wall seconds of dask_timing and how many pages failed (what benchmarks/scale.py prints)."""
    timing = dask_timing(docs, workers)
    return timing.wall, timing.failed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    docs = aeb_docs(args.pages)
    timings = {}
    for workers in args.workers:
        timings[workers] = dask_timing(docs, workers)
        print(timings[workers].line(), flush=True)
    if 1 in timings and 2 in timings:
        one, two = timings[1], timings[2]
        ratio, normalised = one.wall / two.wall, one.cpu_bound / two.cpu_bound
        print(
            f"2 workers / 1 worker: {ratio:.2f}x wall (needs two idle cores); "
            f"{normalised:.2f}x CPU-normalised "
            f"(busiest worker's CPU + the flow side's, {one.cpu_bound:.1f} s against {two.cpu_bound:.1f} s); "
            f"target >= {TARGET}"
        )
        return 0 if max(ratio, normalised) >= TARGET else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
