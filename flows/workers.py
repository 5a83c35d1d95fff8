"""The worker processes that extract and tag, forked from one warmed-up fork server.

A worker started from scratch spends about a second importing trafilatura and loading the
language model before its first article, each worker and each run. Workers forked from a fork
server that has done this once start warm; the server is started at the beginning of a run (or
earlier: `wiretrace run` starts it while Prefect's temporary API starts) and lives as long
as this process, so later runs in the same process reuse it.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext

from wiretrace.config import Settings

_WARM_MODULE = "flows.warm_worker"


def _context() -> BaseContext:
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")  # no fork (Windows): workers start cold
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([_WARM_MODULE])
    return context


def start_fork_server() -> None:
    """Start warming the fork server now, without waiting for it (no-op if it runs already)."""
    if _context().get_start_method() == "forkserver":
        from multiprocessing import forkserver

        forkserver.ensure_running()


@contextlib.contextmanager
def worker_pool(settings: Settings) -> Iterator[ProcessPoolExecutor | None]:
    """Processes for extraction and tagging; None when there are not two cores to use."""
    if settings.workers < 2:
        yield None
        return
    start_fork_server()
    pool = ProcessPoolExecutor(settings.workers, mp_context=_context())
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # idle workers exit on their own
