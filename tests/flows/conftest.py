"""A Dask cluster on this machine, for the tests of WIRETRACE_DASK (flows/dask_pool.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def dask_cluster() -> Iterator[str]:
    """A LocalCluster of 2 worker processes on 127.0.0.1; its scheduler's address.

    allowed-failures 0: the scheduler gives up on a part at the first worker that dies under it
    (default 3, each costing a worker restart), so the tests of dying workers stay short.
    """
    import dask
    from distributed import LocalCluster

    with (
        dask.config.set({"distributed.scheduler.allowed-failures": 0}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",
        ) as cluster,
    ):
        yield cluster.scheduler_address
