"""The worker pool: processes forked from a warmed-up fork server (the model cache: tests/clients)."""

from __future__ import annotations

import os
import time

import pytest

from flows.workers import in_pool, worker_pool
from settings import Settings
from transforms import language


def record_inputs(monkeypatch, module, name: str) -> list[str]:
    """`module.name` (a function of one input first) made to note the source_ref of each input it gets."""
    noted: list[str] = []
    real = getattr(module, name)

    def noting(raw, *args):
        noted.append(raw.source_ref)
        return real(raw, *args)

    monkeypatch.setattr(module, name, noting)
    return noted


def _worker_state() -> tuple[int, bool]:
    # runs in a worker, before any article: is the language model there already?
    return os.getpid(), language._model is not None


def test_workers_start_with_the_language_model_loaded() -> None:
    settings = Settings(workers=2)
    with worker_pool(settings) as pool:
        assert pool is not None
        # a few documents stay in this process until the pool's workers are up; then they go there too
        assert not in_pool(pool, settings.pool_threshold - 1, settings)
        assert in_pool(pool, settings.pool_threshold, settings)
        states = [pool.submit(_worker_state).result() for _ in range(4)]
        assert in_pool(pool, 1, settings)
    assert not in_pool(None, 1000, settings)
    assert all(pid != os.getpid() for pid, _ in states)
    assert all(loaded for _, loaded in states)


def test_one_core_gets_no_pool() -> None:
    with worker_pool(Settings(workers=1)) as pool:
        assert pool is None


# -- time limits and dying workers -------------------------------------------------------------

import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

from flows.workers import WorkerPool, process_batch_limited, process_limited, run_in_pool  # noqa: E402
from tests.conftest import REPO, SEEDS  # noqa: E402
from transforms.pipeline import process_batch  # noqa: E402
from transforms.records import Failure, RawDocument, TaggedArticle  # noqa: E402
from transforms.registry import load_registry  # noqa: E402

SEED_DOCS = [RawDocument(source_ref=p.name, data=p.read_bytes()) for p in sorted(SEEDS.glob("*.txt"))]
# Every seed's text many times over: real text that takes about 0.1 s of CPU to tag (a seed: 4 ms).
LONG = RawDocument(source_ref="long.txt", data=b"\n\n".join(d.data for d in SEED_DOCS) * 150)


def test_a_document_over_its_cpu_time_is_a_timeout_failure_and_the_next_one_loads() -> None:
    registry = load_registry()
    stopped = process_limited(LONG, registry, 10_000_000, cpu_seconds=0.01)
    assert isinstance(stopped, Failure)
    assert (stopped.source_ref, stopped.stage) == ("long.txt", "timeout")
    assert stopped.reason == "took more than 0.01 s of CPU time and was stopped"
    after = process_limited(SEED_DOCS[0], registry, 10_000_000, cpu_seconds=30)
    assert isinstance(after, TaggedArticle)
    assert isinstance(process_limited(LONG, registry, 10_000_000, cpu_seconds=60), TaggedArticle)


def test_the_cpu_limit_holds_in_the_workers_too() -> None:
    with worker_pool(Settings(workers=2)) as pool:
        results = run_in_pool([[SEED_DOCS[0], LONG], [SEED_DOCS[1]]], pool, 10_000_000, cpu_seconds=0.03)
    assert [r.source_ref for r in results] == [SEED_DOCS[0].source_ref, "long.txt", SEED_DOCS[1].source_ref]
    assert [type(r).__name__ for r in results] == ["TaggedArticle", "Failure", "TaggedArticle"]
    assert results[1].stage == "timeout"


def test_run_in_pool_keeps_input_order_and_matches_in_process_results() -> None:
    docs = [RawDocument(source_ref=f"{i}-{d.source_ref}", data=d.data) for i in range(4) for d in SEED_DOCS]
    docs.append(RawDocument(source_ref="empty.txt", data=b""))
    parts = [docs[i : i + 3] for i in range(0, len(docs), 3)]
    with worker_pool(Settings(workers=2)) as pool:
        pooled = run_in_pool(parts, pool, 1_000_000)
    assert [r.source_ref for r in pooled] == [d.source_ref for d in docs]
    assert pooled == process_batch(docs, 1_000_000)


def test_topics_matched_in_the_workers_are_those_matched_in_the_flow() -> None:
    import functools

    from flows.workers import process_and_match
    from transforms.feed_pages import filter_topics
    from transforms.feeds import parse_feed_config

    docs = _aeb_docs(30)
    plain = process_batch(docs, 10_000_000)
    config = parse_feed_config(
        {
            "feeds": [{"url": "https://example.org/feed.xml"}],
            "topics": [{"name": "trade", "query": "trade OR tariffs"}, {"name": "iran", "query": "Iran"}],
        }
    )
    work = functools.partial(process_and_match, topics=config.topics)
    with worker_pool(Settings(workers=2)) as pool:
        pooled = run_in_pool([docs[i : i + 4] for i in range(0, len(docs), 4)], pool, 10_000_000, 30, work)
    in_flow = filter_topics(plain, config.topics)
    # a match carries its topics' names, as the flow's own filter gives them; the rest as extracted
    assert pooled == [k if k is not None else r for r, k in zip(plain, in_flow, strict=True)]
    matched = [r for r in pooled if r.topics]
    assert 0 < len(matched) < len(docs)
    assert [r.topics for r in matched] == [k.topics for k in in_flow if k is not None]


def _dies_on_marker(raws, max_bytes, cpu_seconds):
    # A stand-in for a document that crashes its worker (a segfault in a C library, the OOM killer).
    if any(raw.source_ref == "kills-its-worker.txt" for raw in raws):
        os.kill(os.getpid(), signal.SIGKILL)
    return process_batch_limited(raws, max_bytes, cpu_seconds)


def test_a_dead_worker_fails_only_its_own_document() -> None:
    culprit = RawDocument(source_ref="kills-its-worker.txt", data=SEED_DOCS[0].data)
    docs = [*SEED_DOCS[:3], culprit, *SEED_DOCS[3:]]
    parts = [docs[i : i + 2] for i in range(0, len(docs), 2)]
    pool = WorkerPool(Settings(workers=2))
    try:
        results = run_in_pool(parts, pool, 10_000_000, 30, work=_dies_on_marker)
        assert [r.source_ref for r in results] == [d.source_ref for d in docs]
        crashed = [r for r in results if isinstance(r, Failure)]
        assert [(f.source_ref, f.stage) for f in crashed] == [("kills-its-worker.txt", "crash")]
        # the pool works on after it
        assert all(isinstance(r, TaggedArticle) for r in run_in_pool([SEED_DOCS[:2]], pool, 10_000_000, 30))
    finally:
        pool.shutdown()


KILLED_RUN = """
import sys, time
from flows.workers import WorkerPool, worker_pool
from settings import Settings
with worker_pool(Settings(workers=2)) as pool:
    futures = [pool.submit(time.sleep, 600) for _ in range(2)]
    time.sleep(1)
    import multiprocessing
    print(" ".join(str(p) for p in pool._executor._processes), flush=True)
    time.sleep(600)
"""


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"  # a zombie has already exited
    except FileNotFoundError:
        return False


def test_kill_9_of_a_run_leaves_no_worker_behind() -> None:
    run = subprocess.Popen([sys.executable, "-c", KILLED_RUN], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(pid) for pid in run.stdout.readline().split()]
        assert len(workers) == 2 and all(_alive(pid) for pid in workers)
    finally:
        run.kill()
        run.wait()
    deadline = time.monotonic() + 30  # a wait for the kernel to deliver, not a speed check
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


# -- the same work on a Dask cluster (WIRETRACE_DASK) ------------------------------------------

from flows.dask_pool import DaskUnavailable  # noqa: E402
from tests.conftest import CORPUS, require_corpus  # noqa: E402


def _aeb_docs(n: int) -> list[RawDocument]:
    import gzip

    paths = sorted((require_corpus(CORPUS) / "aeb" / "html").glob("*.html.gz"))[:n]
    return [RawDocument(source_ref=p.name, data=gzip.decompress(p.read_bytes())) for p in paths]


def test_a_batch_goes_to_the_pool_in_parts_of_several_pages_each_in_order() -> None:
    from flows.workers import pool_parts

    docs = [RawDocument(source_ref=f"{i}.txt", data=b"x") for i in range(250)]
    for workers in (1, 2, 8):
        parts = pool_parts(docs, workers)
        assert [d for part in parts for d in part] == docs  # every page once, in order
        assert max(map(len, parts)) <= 8  # no worker idles long behind a slow part
        assert len(parts) >= 4 * workers  # work for every worker, and some to balance with
        assert len(parts) <= len(docs) // 4  # a future carries pages, never one page each
    assert pool_parts(docs[:3], 2) == [docs[:1], docs[1:2], docs[2:3]]  # a small batch: still spread
    assert pool_parts([], 2) == []


def test_dask_workers_give_the_results_of_local_workers_in_input_order(dask_cluster) -> None:
    docs = [*SEED_DOCS, *_aeb_docs(24), RawDocument(source_ref="empty.txt", data=b"")]
    parts = [docs[i : i + 3] for i in range(0, len(docs), 3)]
    with worker_pool(Settings(dask_address=dask_cluster)) as dask:
        assert dask is not None and dask.workers == 2
        on_dask = run_in_pool(parts, dask, 10_000_000, 30)
        # warmed by the plugin before any part: the model is there already
        states = [dask.submit(_worker_state).result() for _ in range(4)]
    with worker_pool(Settings(workers=2)) as pool:
        local = run_in_pool(parts, pool, 10_000_000, 30)
    assert [r.source_ref for r in on_dask] == [d.source_ref for d in docs]
    assert on_dask == local
    assert sum(isinstance(r, TaggedArticle) for r in on_dask) >= len(docs) - 2
    assert all(pid != os.getpid() and loaded for pid, loaded in states)


def test_on_dask_the_cpu_limit_holds_in_the_workers_threads(dask_cluster) -> None:
    with worker_pool(Settings(dask_address=dask_cluster)) as dask:
        results = run_in_pool([[SEED_DOCS[0], LONG], [SEED_DOCS[1]]], dask, 10_000_000, cpu_seconds=0.03)
    assert [type(r).__name__ for r in results] == ["TaggedArticle", "Failure", "TaggedArticle"]
    assert (results[1].source_ref, results[1].stage) == ("long.txt", "timeout")


def test_on_dask_a_document_that_kills_its_worker_fails_alone(dask_cluster) -> None:
    culprit = RawDocument(source_ref="kills-its-worker.txt", data=SEED_DOCS[0].data)
    docs = [*SEED_DOCS[:3], culprit, *SEED_DOCS[3:]]
    parts = [docs[i : i + 2] for i in range(0, len(docs), 2)]
    with worker_pool(Settings(dask_address=dask_cluster)) as dask:
        results = run_in_pool(parts, dask, 10_000_000, 30, work=_dies_on_marker)
        assert [r.source_ref for r in results] == [d.source_ref for d in docs]
        crashed = [(r.source_ref, r.stage) for r in results if isinstance(r, Failure)]
        assert crashed == [("kills-its-worker.txt", "crash")]
        # the cluster's nannies restarted the workers: the pool works on
        assert all(isinstance(r, TaggedArticle) for r in run_in_pool([SEED_DOCS[:2]], dask, 10_000_000, 30))


def test_no_scheduler_at_the_address_is_one_clear_error() -> None:
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{s.getsockname()[1]}"
    unreachable = Settings(dask_address=address, dask_connect_seconds=1)
    with (
        pytest.raises(DaskUnavailable, match="no Dask scheduler answered") as caught,
        worker_pool(unreachable),
    ):
        pass
    assert address in str(caught.value) and "unset WIRETRACE_DASK" in str(caught.value)


def test_the_thread_cpu_limit_stops_a_document_in_a_thread_and_leaves_nothing_pending() -> None:
    import threading

    registry = load_registry()
    out: list = []

    def in_thread() -> None:
        out.append(process_limited(LONG, registry, 10_000_000, cpu_seconds=0.01))
        out.append(process_limited(SEED_DOCS[0], registry, 10_000_000, cpu_seconds=30))
        time.sleep(0.2)  # a late exception would surface here and end the thread early
        out.append("finished")

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert (out[0].source_ref, out[0].stage) == ("long.txt", "timeout")
    assert isinstance(out[1], TaggedArticle)
    assert out[2] == "finished"


def test_only_inputs_that_share_a_copy_group_are_parsed_for_copies_and_the_copies_found_are_the_same(
    monkeypatch,
) -> None:
    import gzip
    from dataclasses import replace

    import flows.workers
    from tests.conftest import CORPUS, require_corpus
    from transforms.records import RawDocument

    paths = sorted((require_corpus(CORPUS) / "aeb" / "html").glob("*.html.gz"))[:8]
    pages = [RawDocument(source_ref=p.name, data=gzip.decompress(p.read_bytes())) for p in paths]
    first, second = pages[0], pages[1]
    docs = [
        *pages,
        replace(first, source_ref="a-comment-apart.html", data=first.data + b"\n<!-- saved again -->\n"),
        replace(second, source_ref="gzipped.html.gz", data=gzip.compress(second.data)),
        replace(second, source_ref="re-indented.html", data=second.data.replace(b"\n", b"\n  ")),
        # the same bytes once a "comment" is gone, but inside a script, which the parser keeps: one
        # group, two pages, told apart by their keys
        *(
            replace(first, source_ref=name, data=first.data.replace(b"</head>", script + b"</head>", 1))
            for name, script in (
                ("script-a.html", b'<script>var s = "<!-- a -->";</script>'),
                ("script-b.html", b'<script>var s = "<!-- b -->";</script>'),
            )
        ),
    ]
    real = flows.workers.copy_key
    parsed = record_inputs(monkeypatch, flows.workers, "copy_key")
    settings = Settings(workers=1)
    copy_of = flows.workers.find_copies(docs, None, settings)
    # every input keyed, as before the groups: the same copies
    keyed = [real(d) for d in docs]
    firsts: dict[str, int] = {}
    expected = [None if k is None or firsts.setdefault(k, i) == i else firsts[k] for i, k in enumerate(keyed)]
    assert copy_of == expected
    names = {d.source_ref: c for d, c in zip(docs, copy_of, strict=True)}
    assert names["a-comment-apart.html"] == 0 and names["gzipped.html.gz"] == 1
    assert names["re-indented.html"] is None  # white space inside the text: another page, another group
    assert names["script-a.html"] is None and names["script-b.html"] is None
    # the six other AEB pages and the re-indented one are alone in their groups: never parsed
    grouped = ["a-comment-apart.html", "gzipped.html.gz", "script-a.html", "script-b.html"]
    assert sorted(parsed) == sorted([first.source_ref, second.source_ref, *grouped])
