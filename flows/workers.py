"""The worker processes that extract and tag, forked from one warmed-up fork server, or a Dask cluster.

A worker started from scratch spends about a second importing trafilatura and loading the
language model before its first article, each worker and each run. Workers forked from a fork
server that has done this once start warm; the server is started at the beginning of a run (or
earlier: `wiretrace run` starts it while Prefect's temporary API starts) and lives as long
as this process, so later runs in the same process reuse it.

With WIRETRACE_DASK set, the same batches go to the Dask cluster at that address instead
(flows/dask_pool.py); its workers are warmed once each by a worker plugin. Either way a pool
offers submit/renew/shutdown, and `died` names the errors that mean a worker died under a part.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import resource
import signal
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Any, Protocol

from clients.model_cache import cached_language_model
from settings import Settings
from transforms import language
from transforms.pipeline import content_hash, copy_group, copy_key, process
from transforms.records import Failure, RawDocument, TaggedArticle
from transforms.registry import Registry, load_registry

if TYPE_CHECKING:
    from transforms.feeds import Topic

_WARM_MODULE = "flows.warm_worker"


def _context() -> BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # no fork (Windows): workers start cold
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([_WARM_MODULE])
    return context


def start_fork_server(settings: Settings) -> None:
    """Start warming the fork server now, without waiting for it (no-op if it runs already, or
    when there are not two cores to use)."""
    if settings.workers >= 2 and _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


_PR_SET_PDEATHSIG = 1  # linux/prctl.h


# Prefect's temporary API runs in a process of its own, started by the run's process, that does not
# end with it: the fork server (a sibling) ends it when the run is killed. Matched by its command line.
_PREFECT_API = b"prefect.server.api.server:create_app"


def _children(pid: int) -> dict[int, bytes]:
    """Children of `pid` (Linux /proc) with their start times, to tell a reused pid apart."""
    found: dict[int, bytes] = {}
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                for child in map(int, handle.read().split()):
                    found[child] = _started(child)
    return found


def _started(pid: int) -> bytes:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[19]  # field 22: start time
    except (OSError, IndexError):
        return b""


def _end_prefect_api(siblings: dict[int, bytes]) -> None:
    for pid, started in siblings.items():
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/cmdline", "rb") as handle:
                command = handle.read()
            if _PREFECT_API in command and _started(pid) == started:
                os.kill(pid, signal.SIGTERM)


def watch_parent() -> None:
    """Exit this process when its parent exits: a thread that watches the parent's pid.

    Used in the fork server. It would also exit when the run's process closes its pipe, but every
    worker holds a copy of that pipe, so a killed run would leave the fork server and its workers
    waiting for each other. (prctl is not used here: it fires when the *thread* that started
    the fork server ends, which need not be the run's main thread.) On the way out it also ends
    the run's Prefect temporary API, which would otherwise outlive a killed run.
    """
    parent = os.getppid()

    def watch() -> None:
        siblings: dict[int, bytes] = {}
        while os.getppid() == parent:
            siblings = _children(parent)
            threading.Event().wait(0.5)
        _end_prefect_api(siblings)
        os._exit(1)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _die_with_parent() -> None:
    """Have the kernel kill this worker when its parent (the fork server) dies."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0:
                if os.getppid() != parent:  # it died before the request took effect
                    os._exit(1)
                return
    watch_parent()


_IN_WORKER = False


def _init_worker() -> None:
    mark_worker()
    _die_with_parent()


def mark_worker() -> None:
    """This process only works for a pool: RLIMIT_CPU may back up the per-document limit (which
    kills the process when code never returns to Python; the pool then retries the others)."""
    global _IN_WORKER
    _IN_WORKER = True


class WorkerPool:
    """A process pool that can be replaced when one of its workers dies (segfault, OOM, kill)."""

    died: tuple[type[BaseException], ...] = (BrokenProcessPool,)

    def __init__(self, settings: Settings) -> None:
        self.workers = settings.workers
        self.started = False  # whether a part was submitted: its workers are up (or coming up)
        self._executor = self._new()

    def _new(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.workers, mp_context=_context(), initializer=_init_worker)

    def submit(self, fn: Callable, *args: Any) -> Future:
        self.started = True
        return self._executor.submit(fn, *args)

    def renew(self) -> None:
        """A fresh pool after a worker died: the old one refuses all work once broken."""
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._executor = self._new()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)  # idle workers exit on their own


class Pool(Protocol):
    """What run_in_pool needs of a pool: the local WorkerPool, or DaskPool (flows/dask_pool.py)."""

    workers: int  # parts that run at once
    died: tuple[type[BaseException], ...]  # raised by a part's result when its worker died

    def submit(self, fn: Callable, *args: Any) -> Future: ...

    def renew(self) -> None: ...

    def shutdown(self) -> None: ...


@contextlib.contextmanager
def worker_pool(settings: Settings) -> Iterator[Pool | None]:
    """Processes for extraction and tagging: the Dask cluster of settings.dask_address when set, else
    local ones; None when there are not two local cores to use."""
    if settings.dask_address:
        from flows.dask_pool import DaskPool

        dask = DaskPool(settings)
        try:
            yield dask
        finally:
            dask.shutdown()
        return
    if settings.workers < 2:
        yield None
        return
    start_fork_server(settings)
    pool = WorkerPool(settings)
    try:
        yield pool
    finally:
        pool.shutdown()


def in_pool(pool: Pool | None, inputs: int, settings: Settings) -> bool:
    """Whether `inputs` documents go to the pool's workers rather than this process's own loop: when
    there are `pool_threshold` of them or more, or any number once this run's local pool has started
    its workers. Those are forked warm; this process would pay the warm-up itself (the transforms'
    imports, the language model, first-use tables: a second or more of CPU) for a run's last few pages.
    """
    if pool is None:
        return False
    return inputs >= settings.pool_threshold or getattr(pool, "started", False)


# -- one input's CPU-time limit ------------------------------------------------------------------


class DocumentTimeout(BaseException):
    """Raised by the CPU timer inside a document; a BaseException so no `except Exception` in the
    transforms (which turn library errors into failures) swallows it."""


_armed = False


def _on_cpu_timer(signum: int, frame: object) -> None:
    if _armed:
        raise DocumentTimeout


def _timer_usable() -> bool:
    # Signal handlers can only be set from the main thread of the main interpreter.
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


def process_limited(
    raw: RawDocument, registry: Registry, max_bytes: int, cpu_seconds: float
) -> TaggedArticle | Failure:
    """process() with a CPU-time limit: exceeding it is a Failure(stage='timeout'), not a stalled run.

    The limit is CPU time (ITIMER_PROF; in a thread other than the main one, that thread's CPU clock),
    not wall time, so a busy machine does not fail documents. In a worker, RLIMIT_CPU backs it up:
    code that never returns to Python (and so never sees the timer) gets the process killed, and the
    pool retries its other documents (run_in_pool).
    """
    global _armed
    if _IN_WORKER:
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = used.ru_utime + used.ru_stime
        _, hard = resource.getrlimit(resource.RLIMIT_CPU)
        soft = int(spent + 3 * cpu_seconds + 5)
        if hard == resource.RLIM_INFINITY or soft < hard:
            resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))
    if not _timer_usable():
        return _process_in_thread(raw, registry, max_bytes, cpu_seconds)
    previous = signal.signal(signal.SIGPROF, _on_cpu_timer)
    _armed = True
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    try:
        return process(raw, registry, max_bytes)
    except DocumentTimeout:
        return _timeout(raw, cpu_seconds)
    finally:
        _armed = False
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.signal(signal.SIGPROF, previous)


def _timeout(raw: RawDocument, cpu_seconds: float) -> Failure:
    reason = f"took more than {cpu_seconds:g} s of CPU time and was stopped"
    return Failure(raw.source_ref, raw.origin, "timeout", reason, content_hash(raw.data))


class _ThreadCpuWatch:
    """The CPU-time limit for a thread other than the main one (a Dask worker runs tasks in threads;
    signals only reach the main thread): a watcher reads this thread's own CPU clock and raises
    DocumentTimeout in it, between two bytecodes as a signal handler would, once the limit is passed.
    """

    def __init__(self, cpu_seconds: float) -> None:
        self._target = threading.get_ident()
        self._clock = time.pthread_getcpuclockid(self._target)
        self._limit = time.clock_gettime(self._clock) + cpu_seconds
        self._lock = threading.Lock()
        self._armed = True
        self._fired = False
        self._done = threading.Event()
        threading.Thread(target=self._watch, name="cpu-limit", daemon=True).start()

    def _raise(self, exc: type[BaseException] | None) -> None:
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(self._target), ctypes.py_object(exc) if exc else None
        )

    def _watch(self) -> None:
        while (left := self._limit - time.clock_gettime(self._clock)) > 0:
            if self._done.wait(left):  # a thread's CPU time never grows faster than wall time
                return
        with self._lock:
            if self._armed:
                self._fired = True
                self._raise(DocumentTimeout)

    def stop(self) -> None:
        with self._lock:
            self._armed = False
            self._done.set()
            if self._fired:  # raised already, or still pending: it must not surface after this
                self._raise(None)


def _process_in_thread(
    raw: RawDocument, registry: Registry, max_bytes: int, cpu_seconds: float
) -> TaggedArticle | Failure:
    if not hasattr(time, "pthread_getcpuclockid"):
        return process(raw, registry, max_bytes)  # no per-thread CPU clock (not Unix): no limit
    try:
        watch = _ThreadCpuWatch(cpu_seconds)
        try:
            return process(raw, registry, max_bytes)
        finally:
            watch.stop()
    except DocumentTimeout:
        return _timeout(raw, cpu_seconds)


def process_batch_limited(
    raws: Sequence[RawDocument], max_bytes: int, cpu_seconds: float
) -> list[TaggedArticle | Failure]:
    """process_limited() over a batch, in order: the unit of work of one worker process."""
    registry = load_registry()
    return [process_limited(raw, registry, max_bytes, cpu_seconds) for raw in raws]


def pool_parts(batch: Sequence[RawDocument], workers: int) -> list[Sequence[RawDocument]]:
    """A batch split for a pool of `workers`: about four parts a worker, so that no worker idles
    behind one slow page, and at most 8 pages a part; several pages a part, each part one future
    with its pages (the per-future cost of a pool or a Dask scheduler is paid per part, not page)."""
    size = max(1, min(8, len(batch) // (max(1, workers) * 4)))
    return [batch[i : i + size] for i in range(0, len(batch), size)]


def process_and_match(
    raws: Sequence[RawDocument], max_bytes: int, cpu_seconds: float, topics: Sequence[Topic] = ()
) -> list[TaggedArticle | Failure]:
    """process_batch_limited(), and the articles matched against the feeds' topics in the same worker
    (indexing a page's words for its query is ~5 ms, CPU that the flow's process, loading the chunk
    before, has none of): an article that matched a topic carries its names, one that did not none."""
    results = process_batch_limited(raws, max_bytes, cpu_seconds)
    if not topics:
        return results
    from transforms.feed_pages import filter_topics  # feed runs only: a seeds run never imports it

    kept = filter_topics(results, topics)
    return [k if k is not None else r for r, k in zip(results, kept, strict=True)]


def copy_keys(raws: Sequence[RawDocument], max_bytes: int) -> list[str | None]:
    """copy_key() over a batch, in order (a part of find_copies, in a worker)."""
    return [copy_key(raw, max_bytes) for raw in raws]


def find_copies(raws: Sequence[RawDocument], pool: Pool | None, settings: Settings) -> list[int | None]:
    """For each input, the index of the earlier input it is a copy of (transforms.pipeline.copy_key),
    else None. The keys are made in the pool's workers (a parse of each page, ~5 ms), for the inputs
    that share a copy_group with another only; if a worker dies under them, nothing counts as a copy
    and every input is processed on its own."""
    limit = settings.max_document_bytes
    # Only inputs that share their copy_group with another are parsed for their key (a run of
    # distinct pages parses none); the others are no copy, and are processed on their own.
    groups = [copy_group(raw, limit) for raw in raws]
    sizes = Counter(groups)
    maybe = [i for i, group in enumerate(groups) if sizes[group] > 1]
    look = [raws[i] for i in maybe]
    if pool is None or not in_pool(pool, len(look), settings):
        found = copy_keys(look, limit)
    else:
        futures = [pool.submit(copy_keys, part, limit) for part in pool_parts(look, pool.workers)]
        try:
            found = [key for future in futures for key in future.result()]
        except pool.died:
            pool.renew()
            return [None] * len(raws)
    keys: list[str | None] = [None] * len(raws)
    for i, key in zip(maybe, found, strict=True):
        keys[i] = key
    first: dict[str, int] = {}
    copy_of: list[int | None] = []
    for index, key in enumerate(keys):
        earlier = index if key is None else first.setdefault(key, index)
        copy_of.append(None if earlier == index else earlier)
    return copy_of


BatchFunction = Callable[[Sequence[RawDocument], int, float], list[TaggedArticle | Failure]]


def run_in_pool(
    parts: Sequence[Sequence[RawDocument]],
    pool: Pool,
    max_bytes: int,
    cpu_seconds: float | None = None,
    work: BatchFunction = process_batch_limited,
) -> list[TaggedArticle | Failure]:
    """`work` (process_batch_limited) over parts in the pool's workers; the results in input order.

    When a worker dies, every part not finished is run again one document at a time in a fresh
    pool, so only the document that kills its worker fails (stage 'crash').
    """
    if cpu_seconds is None:
        cpu_seconds = Settings.cpu_seconds_per_document
    futures = [pool.submit(work, part, max_bytes, cpu_seconds) for part in parts]
    done: list[list[TaggedArticle | Failure] | None] = []
    for future in futures:
        try:
            done.append(future.result())
        except pool.died:
            done.append(None)
    if any(result is None for result in done):
        pool.renew()
        for index, part in enumerate(parts):
            if done[index] is None:
                done[index] = [_alone(raw, pool, max_bytes, cpu_seconds, work) for raw in part]
    return [result for part in done for result in part or ()]


def _alone(
    raw: RawDocument, pool: Pool, max_bytes: int, cpu_seconds: float, work: BatchFunction
) -> TaggedArticle | Failure:
    try:
        return pool.submit(work, [raw], max_bytes, cpu_seconds).result()[0]
    except pool.died:
        pool.renew()
        reason = "the worker process died while reading it (crash, out of memory or killed)"
        return Failure(raw.source_ref, raw.origin, "crash", reason, content_hash(raw.data))


def load_language_model(settings: Settings) -> None:
    """Give this process the language model from the cache, unless it has one already."""
    if not language.model_loaded():
        language.use_model(cached_language_model(settings.cache_dir))
