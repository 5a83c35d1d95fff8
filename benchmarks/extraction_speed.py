"""Main job vs bare trafilatura on the 181 AEB pages: pages/s of both and their ratio.

    .venv/bin/python benchmarks/extraction_speed.py [--rounds 5]
    .venv/bin/python benchmarks/extraction_speed.py --extraction-only [--rounds 5]
    .venv/bin/python benchmarks/extraction_speed.py --per-page [--rounds 5]

With --extraction-only, only `extract_html` and trafilatura's `bare_extraction` (with metadata)
are timed, in one process, page after page in turn (CPU seconds), so that both see the same
load on a shared machine: the ratio to compare between versions of the extraction. With --per-page,
the same for a worker's whole chain (`process`: decode, extract, metadata, language, tags) against
`trafilatura.extract(html, with_metadata=True)`, the loop benchmarks/whole_run.py compares against.

The main job is what `wiretrace run` runs (`run_main_job`: read, decode, extract, clean,
tag, load into DuckDB, find reuse and stories, publish) with its worker pool, against Prefect's
temporary API as `make run` has it; the baseline is trafilatura's `bare_extraction` alone,
default settings, one process, on the same bytes.

Each round is a fresh Python process that times both, one after the other: its worker pool,
fork server and language model start cold, inside the clock. Outside the clock, as for any run:
the libraries are imported (the baseline's too), and Prefect's temporary API is started and has
run one empty flow (8-10 s once per process, not per run; printed separately). The language
model's cache (flows/workers.py) is made before the first round if this machine has none, as
the first run on a machine makes it. Timings on a shared 2-core machine vary by 10-15% from
run to run, so the figures are the medians of the rounds, each round's ratio printed too.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
AEB = REPO.parent / "shared" / "corpus" / "aeb" / "html"


def bare_trafilatura(pages: list[bytes]) -> float:
    from trafilatura import bare_extraction

    start = time.perf_counter()
    for data in pages:
        bare_extraction(gzip.decompress(data).decode("utf-8", "replace"), with_metadata=True)
    return time.perf_counter() - start


def start_prefect() -> float:
    """Start the temporary API and run one empty flow through it; the seconds it took."""
    from prefect import flow

    @flow(name="benchmark-start-up")
    def start_up() -> None:
        pass

    started = time.perf_counter()
    start_up()
    return time.perf_counter() - started


def one_round() -> dict:
    """Both timings in this (fresh) process."""
    from flows.ingest import run_main_job

    pages = [f.read_bytes() for f in sorted(AEB.glob("*.html.gz"))]
    bare_trafilatura(pages[:5])  # imports and warm caches, as a warmed-up worker has them
    baseline = bare_trafilatura(pages)
    server = start_prefect()
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_main_job(seeds_dir=str(AEB), db_path=str(Path(tmp) / "bench.duckdb"))
        job = time.perf_counter() - start
    return {
        "pages": len(pages),
        "loaded": result["new"],
        "failed": result["failed"],
        "baseline": baseline,
        "job": job,
        "server": server,
    }


def warm_pool_throughput() -> float:
    """Seconds for extract-and-tag of the pages on a pool whose workers have already started:
    the steady state of a long run, without per-run start-up costs."""
    from flows.tasks import run_in_pool
    from flows.workers import worker_pool
    from settings import SETTINGS
    from transforms.records import RawDocument

    docs = [RawDocument(source_ref=f.name, data=f.read_bytes()) for f in sorted(AEB.glob("*.html.gz"))]
    parts = [docs[i : i + 8] for i in range(0, len(docs), 8)]
    with worker_pool(SETTINGS) as pool:
        run_in_pool(parts[: SETTINGS.workers * 2], pool, 10_000_000)  # start every worker
        start = time.perf_counter()
        run_in_pool(parts, pool, 10_000_000)
        return time.perf_counter() - start


def extraction_only(rounds: int, whole: bool = False) -> None:
    """CPU seconds of extract_html and of bare trafilatura, interleaved page by page, per round.

    `whole` (--per-page): a worker's whole chain per page (transforms.pipeline.process: decode,
    extract, metadata, language, tags) against `trafilatura.extract(html, with_metadata=True)`, the
    loop of benchmarks/whole_run.py: what a page costs the workers beside what it costs the library.
    """
    import logging

    from trafilatura import bare_extraction, extract

    from transforms.html import extract_html
    from transforms.pipeline import process
    from transforms.records import RawDocument
    from transforms.registry import load_registry

    logging.disable(logging.CRITICAL)  # trafilatura warns on every discarded candidate
    raw = [gzip.decompress(f.read_bytes()) for f in sorted(AEB.glob("*.html.gz"))]
    pages = [data.decode("utf-8", "replace") for data in raw]
    registry = load_registry()
    docs = {
        html: RawDocument(f"{n}.html", data) for n, (html, data) in enumerate(zip(pages, raw, strict=True))
    }

    def ours(html: str) -> None:
        if whole:
            process(docs[html], registry)
            return
        with contextlib.suppress(ValueError):  # a page without article text costs its time all the same
            extract_html(html)

    def theirs(html: str) -> None:
        if whole:
            extract(html, with_metadata=True)
        else:
            bare_extraction(html, with_metadata=True)

    for html in pages[:10]:  # imports and first-use tables
        ours(html)
        theirs(html)
    ratios = []
    name = "process" if whole else "extract_html"
    for number in range(1, rounds + 1):
        spent = {ours: 0.0, theirs: 0.0}
        for html in pages:
            for fn in spent:
                start = time.process_time()
                fn(html)
                spent[fn] += time.process_time() - start
        ratios.append(spent[theirs] / spent[ours])
        speeds = f"{name} {len(pages) / spent[ours]:.1f}, trafilatura {len(pages) / spent[theirs]:.1f}"
        print(f"round {number}: {speeds} pages/s, ratio {ratios[-1]:.3f}", flush=True)
    print(f"{name} / trafilatura speed, median of {rounds} rounds: {statistics.median(ratios):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh processes to time (default 5)")
    parser.add_argument("--one-round", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--extraction-only", action="store_true", help="time the extraction alone (see above)"
    )
    parser.add_argument(
        "--per-page",
        action="store_true",
        help="time a worker's whole chain per page against trafilatura.extract (see extraction_only)",
    )
    args = parser.parse_args()
    if args.extraction_only or args.per_page:
        extraction_only(args.rounds, whole=args.per_page)
        return
    if args.one_round:
        # A Prefect home of its own: the temporary API's database is made fresh, as on a new machine.
        os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="wiretrace-bench-prefect-")
        print(json.dumps(one_round()))
        return

    from clients.model_cache import cached_language_model
    from settings import SETTINGS

    cached_language_model(SETTINGS.cache_dir)
    rounds = []
    for number in range(1, args.rounds + 1):
        out = subprocess.run(
            [sys.executable, __file__, "--one-round"], check=True, capture_output=True, text=True
        ).stdout
        rounds.append(json.loads(out.strip().splitlines()[-1]))
        r = rounds[-1]
        print(f"round {number}: trafilatura {r['baseline']:.2f} s, main job {r['job']:.2f} s, "
              f"ratio {r['baseline'] / r['job']:.2f}x", flush=True)  # fmt: skip
    first = rounds[0]
    n = first["pages"]
    baseline = statistics.median(r["baseline"] for r in rounds)
    job = statistics.median(r["job"] for r in rounds)
    ratios = sorted(r["baseline"] / r["job"] for r in rounds)
    print(f"pages: {n} ({first['loaded']} loaded, {first['failed']} failed); workers: {SETTINGS.workers}")
    print(f"medians of {len(rounds)} rounds, each a fresh process:")
    print(f"trafilatura alone, 1 process : {baseline:6.2f} s  {n / baseline:6.1f} pages/s")
    print(f"wiretrace main job (flow)    : {job:6.2f} s  {n / job:6.1f} pages/s")
    print(f"ratio main job / trafilatura : {baseline / job:6.2f}x  (>= 1.0 is the target; "
          f"rounds {ratios[0]:.2f}-{ratios[-1]:.2f}x)")  # fmt: skip
    server = statistics.median(r["server"] for r in rounds)
    print(f"(Prefect temporary API start-up, once per process: {server:.1f} s)")
    steady = warm_pool_throughput()
    print(f"extract-and-tag on warm workers : {steady:6.2f} s  {n / steady:6.1f} pages/s  "
          f"ratio {baseline / steady:.2f}x (a long run's steady state, no per-run start-up)")  # fmt: skip


if __name__ == "__main__":
    main()
