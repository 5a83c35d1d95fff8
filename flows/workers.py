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
import os
import pickle
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from pathlib import Path
from typing import Any

from settings import Settings
from transforms import language

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


@contextlib.contextmanager
def worker_pool(settings: Settings) -> Iterator[ProcessPoolExecutor | None]:
    """Processes for extraction and tagging; None when there are not two cores to use."""
    if settings.workers < 2:
        yield None
        return
    start_fork_server(settings)
    pool = ProcessPoolExecutor(settings.workers, mp_context=_context())
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)  # idle workers exit on their own


def cached_language_model(cache_dir: Path) -> Any:
    """py3langid's identifier, from a pickle in `cache_dir` made the first time.

    Reading py3langid's LZMA-compressed model takes ~0.5 s, half of a worker's warm-up; the
    pickle (68 MB, named after the model file it was made from) takes ~0.1 s. A cache that
    cannot be read or written only costs the slow path.
    """
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    source = (MODEL_DIR / MODEL_FILE).stat()
    path = cache_dir / f"py3langid-{source.st_size}-{source.st_mtime_ns}.pickle"
    with contextlib.suppress(OSError):  # none yet, or a cache that cannot be read
        data = path.read_bytes()
        try:
            return pickle.loads(data)
        except Exception:  # a truncated or foreign file: made again below
            path.unlink(missing_ok=True)
    model = language.read_model()
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        partial.write_bytes(pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
        os.replace(partial, path)  # whole or absent, even with several writers
    except OSError:  # read-only or full: the next process takes the slow path again
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return model


def load_language_model(settings: Settings) -> None:
    """Give this process the language model from the cache, unless it has one already."""
    if not language.model_loaded():
        language.use_model(cached_language_model(settings.cache_dir))
