"""Extraction and tagging on a Dask cluster: the pool of flows/workers.py when WIRETRACE_DASK is set.

Tasks stay batches in the flow's process (Prefect's DaskTaskRunner would start a temporary Prefect
API in every Dask worker, and our tasks take the warehouse connection, which does not pickle); only
the parts of a batch travel, through `distributed.Client.get_executor()`, to workers that were
warmed once each (WarmUp: the transforms imported, the language model loaded). Workers need wiretrace
installed, the same version as the flow's.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from distributed import Client, WorkerPlugin
from distributed.scheduler import KilledWorker

from settings import Settings


class DaskUnavailable(RuntimeError):
    """No Dask scheduler answered at the configured address; the message says what to do."""


class WarmUp(WorkerPlugin):
    """Run once in every worker of the cluster, those that join later included (and a worker
    restarted by its nanny after a document killed it)."""

    name = "wiretrace-warm-up"

    def setup(self, worker: object) -> None:
        from flows.workers import load_language_model, mark_worker
        from settings import SETTINGS
        from transforms.pipeline import warm_up

        mark_worker()
        load_language_model(SETTINGS)
        warm_up()


class DaskPool:
    """The workers of a Dask cluster, as a pool for run_in_pool.

    A document that kills its worker: the nanny restarts the worker, the scheduler gives the part to
    another one, and after `distributed.scheduler.allowed-failures` deaths the part's result raises
    KilledWorker; run_in_pool then runs its documents one by one, so only the culprit fails.
    """

    died: tuple[type[BaseException], ...] = (KilledWorker,)

    def __init__(self, settings: Settings) -> None:
        address = settings.dask_address
        try:
            self._client = Client(address, timeout=settings.dask_connect_seconds, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            raise DaskUnavailable(
                f"WIRETRACE_DASK={address}: no Dask scheduler answered within "
                f"{settings.dask_connect_seconds:g} s ({exc}); start one (`dask scheduler`, README: "
                "Compute on Dask) or unset WIRETRACE_DASK to use local processes"
            ) from exc
        self._client.register_plugin(WarmUp(), name=WarmUp.name)
        self._executor = self._client.get_executor(pure=False)
        # Parts that run at once: one per worker thread (a worker runs one task per thread).
        self.workers = max(1, sum(self._client.nthreads().values()))

    def submit(self, fn: Callable, *args: Any) -> Future:
        return self._executor.submit(fn, *args)

    def renew(self) -> None:
        """Nothing to do: the cluster's nannies restart dead workers."""

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False)
        self._client.close()
