"""Configuration in one place: defaults, environment overrides, limits.

This module sits below every other floor (transforms take plain values; warehouse, flows, the I/O
clients and the CLI import from here), so a setting is read once and named once.

Environment variables:
  WIRETRACE_DB                      the warehouse: its DuckLake catalog (default warehouse/wiretrace.sqlite),
                                    or postgres:dbname=… host=… port=… (README: Warehouse)
  WIRETRACE_DATA                    the data folder of a PostgreSQL catalog (a path every writer sees)
  WIRETRACE_SNAPSHOT_DAYS           days of snapshots `wiretrace compact` keeps for time travel (default 7)
  WIRETRACE_WORKERS                 extraction processes (default: one per core)
  WIRETRACE_LOCK_WAIT               seconds a run waits for another one (default 600)
  WIRETRACE_CACHE                   derived files that make start-up faster (default ~/.cache/wiretrace)
  WIRETRACE_ALLOW_PRIVATE_NETWORKS  1 lets fetching reach loopback and private networks (tests, local feeds)
  WIRETRACE_ARCHIVE                 the WARC archive of raw inputs (default: archive/ beside a SQLite catalog,
                                    or beside a PostgreSQL catalog's WIRETRACE_DATA)
  WIRETRACE_DASK                    tcp://host:8786: extraction and tagging run on that Dask cluster
  WIRETRACE_FEED_BUDGET             seconds of page fetching per run (default 600); the rest waits
  WIRETRACE_REUSE_DAYS              reuse and near-duplicates look for sources among the articles loaded in
                                    the last N days (default 30)
  WIRETRACE_UNDATED_DAYS            an undated article joins stories of dated articles up to N days before
                                    the batch's earliest time (default 7)
  WIRETRACE_SERVE_RUNNER            how `wiretrace serve` runs its deployments: warm (default: one long-lived
                                    process runs them one after another) or process (Prefect's process
                                    worker: a fresh process per run)
  WIRETRACE_SERVE_RUN_TIMEOUT       seconds a run may take in the warm runner before it is stopped as
                                    Crashed and its process restarted (default 3600)
  WIRETRACE_EXTRACT_COPIES_ONCE     0 extracts every input on its own, even byte-different copies of one
                                    page (default 1: a copy takes its first's result; for measuring)
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

# -- storage (warehouse/lake.py) ----------------------------------------------------------------
# The warehouse's DuckLake catalog (SQLite, WAL); its Parquet files go to wiretrace.sqlite.files/.
DEFAULT_DB = Path("warehouse") / "wiretrace.sqlite"
# The single DuckDB file of the storage before DuckLake: `wiretrace migrate` converts it.
LEGACY_DB = Path("warehouse") / "wiretrace.duckdb"
# Snapshots older than this are expired by `wiretrace compact` (time travel reaches this far back).
DEFAULT_SNAPSHOT_DAYS = 7
DEFAULT_SEEDS = Path("seeds")
DEFAULT_FEEDS = Path("feeds.yaml")
MANIFEST_NAME = "manifest.csv"
MAX_MANIFEST_BYTES = 10_000_000  # a manifest is read whole: a bigger one is refused with that reason
# Folders below the seeds folder are read this deep; a deeper one is a recorded 'read' failure (its
# name and why), so a runaway tree (a symlink loop copied out, 1000 nested folders) never fails a run.
MAX_SEED_DEPTH = 64
# A seed without a URL is keyed by its name in the folder: when its new text shares less than this
# share of its words with the stored article of that name, the run records a warning (stage 'replace').
SEED_REPLACED_BELOW = 0.5
# Seconds Prefect's temporary API may take to start (its default, 20 s, is missed on a busy machine).
API_START_SECONDS = 120
# Hosts whose idle connections a run's HTTP client keeps open (the ones used last): a host's next
# feed or page reuses its connection instead of opening one (1000 feeds on 100 hosts opened one a
# request). Bounded: each host holds up to the feeds' `concurrency` file descriptors.
KEEPALIVE_HOSTS = 128
# Sent with every feed, page and robots.txt request; robots.txt rules are matched on its first word.
USER_AGENT = "wiretrace/0.1 (media monitoring; +https://example.org/wiretrace)"
# Seconds a run waits for another run's lock; below the 15-minute polling interval, so polls never pile up.
DEFAULT_LOCK_WAIT = 600.0


def default_db() -> Path:
    """WIRETRACE_DB overrides the default warehouse path."""
    return Path(os.environ.get("WIRETRACE_DB") or DEFAULT_DB)


def lake_data_path() -> str | None:
    """WIRETRACE_DATA: the data folder of a PostgreSQL catalog (a SQLite catalog keeps its own beside it)."""
    return os.environ.get("WIRETRACE_DATA") or None


def snapshot_days() -> float:
    """WIRETRACE_SNAPSHOT_DAYS overrides how many days of snapshots compaction keeps."""
    return float(os.environ.get("WIRETRACE_SNAPSHOT_DAYS") or DEFAULT_SNAPSHOT_DAYS)


# -- provenance lookups (warehouse/provenance.py) ------------------------------------------------
# DuckLake has no index: a lookup costs what it scans. Every lookup of the provenance stage reads a
# window of time (rows are stored in the order they are loaded, so the Parquet min/max of a time column
# skip every older file), so a run costs the same whatever history the warehouse holds.
DEFAULT_REUSE_DAYS = 30
DEFAULT_UNDATED_DAYS = 7


def reuse_days() -> float:
    """WIRETRACE_REUSE_DAYS: how far back (by load time) reuse and near-duplicates find sources."""
    return float(os.environ.get("WIRETRACE_REUSE_DAYS") or DEFAULT_REUSE_DAYS)


def undated_days() -> float:
    """WIRETRACE_UNDATED_DAYS: how far before the batch an undated article may join a dated story."""
    return float(os.environ.get("WIRETRACE_UNDATED_DAYS") or DEFAULT_UNDATED_DAYS)


# -- archive of raw inputs (WARC files, clients/warc.py) --------------------------------------------
ARCHIVE_FOLDER = "archive"


def archive_override() -> Path | None:
    """WIRETRACE_ARCHIVE: the folder of the WARC archive, wherever the warehouse is (absolute)."""
    given = os.environ.get("WIRETRACE_ARCHIVE")
    return Path(given).resolve() if given else None


def lock_wait() -> float:
    """WIRETRACE_LOCK_WAIT (seconds) overrides how long a run waits for another one."""
    return float(os.environ.get("WIRETRACE_LOCK_WAIT") or DEFAULT_LOCK_WAIT)


def allow_private_networks() -> bool:
    """WIRETRACE_ALLOW_PRIVATE_NETWORKS=1: fetching may reach loopback and private addresses."""
    return os.environ.get("WIRETRACE_ALLOW_PRIVATE_NETWORKS", "").strip().lower() in ("1", "true", "yes")


# -- scheduled mode (wiretrace/serve.py, wiretrace/warm_runner.py) ------------------------------------
# "warm": `wiretrace serve` runs its deployments' flow runs in a process of its own that outlives them
# (imports, the extraction fork server and the language model are paid once); "process": Prefect's
# process worker, which starts a fresh Python process for every run.
SERVE_RUNNERS = ("warm", "process")
DEFAULT_SERVE_RUN_TIMEOUT = 3600.0
# How often the warm runner asks the API for due runs, and checks a running one for cancellation.
WARM_RUNNER_POLL_SECONDS = 5.0


def serve_runner() -> str:
    """WIRETRACE_SERVE_RUNNER: warm (default) or process; anything else is an error that says so."""
    runner = (os.environ.get("WIRETRACE_SERVE_RUNNER") or "warm").strip().lower()
    if runner not in SERVE_RUNNERS:
        raise ValueError(f"WIRETRACE_SERVE_RUNNER={runner!r}: expected one of {', '.join(SERVE_RUNNERS)}")
    return runner


def serve_run_timeout() -> float:
    """WIRETRACE_SERVE_RUN_TIMEOUT: seconds a warm-runner run may take before it is stopped (Crashed)."""
    return float(os.environ.get("WIRETRACE_SERVE_RUN_TIMEOUT") or DEFAULT_SERVE_RUN_TIMEOUT)


def _cache_dir() -> Path:
    """WIRETRACE_CACHE, else wiretrace/ in the user's cache folder (XDG_CACHE_HOME or ~/.cache)."""
    if os.environ.get("WIRETRACE_CACHE"):
        return Path(os.environ["WIRETRACE_CACHE"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "wiretrace"


# -- compute: Dask, feeds at volume (issue #13) ------------------------------------------------------


def _dask_address() -> str | None:
    """WIRETRACE_DASK: the address of a Dask scheduler (tcp://host:8786); unset means local processes."""
    return os.environ.get("WIRETRACE_DASK", "").strip() or None


def _feed_budget() -> float:
    """WIRETRACE_FEED_BUDGET (seconds) overrides how long a run starts new page fetches."""
    return float(os.environ.get("WIRETRACE_FEED_BUDGET") or 600.0)


def _copies_once() -> bool:
    """WIRETRACE_EXTRACT_COPIES_ONCE=0 extracts every input on its own (to measure what it saves)."""
    return os.environ.get("WIRETRACE_EXTRACT_COPIES_ONCE", "1").strip().lower() not in ("0", "false", "no")


def _workers() -> int:
    """WIRETRACE_WORKERS, else one per core."""
    return int(os.environ.get("WIRETRACE_WORKERS") or 0) or os.cpu_count() or 1


@dataclass(frozen=True)
class Settings:
    # Largest input read as an article; a bigger file or page is recorded as a failure.
    max_document_bytes: int = 10_000_000
    # Articles per batch: one Prefect task and one warehouse transaction each (a run of at most one batch
    # that the worker pool extracts is cut in two, so that one half loads while the other is extracted).
    batch_size: int = 250
    # Worker processes for extraction and tagging (the machine has 2 cores).
    workers: int = field(default_factory=lambda: _workers())
    # Below this many documents a worker pool costs more than it saves.
    pool_threshold: int = 24
    # Derived files that make start-up faster and can be deleted at any time (the language model).
    cache_dir: Path = field(default_factory=_cache_dir)
    # Feed pages fetched, processed and saved together: bounds memory (pages are up to 10 MB each).
    # A batch's worth: loading a chunk costs a fixed number of warehouse statements (0.1-0.3 s each on
    # DuckLake), in the flow's process while the workers extract the next chunk, so at 100 pages a chunk
    # the loads, not the extraction, set the pace of a 3000-page poll.
    pages_per_chunk: int = 250
    # Longest Retry-After waited for inside a run; a longer one leaves the page to a later run.
    max_wait_in_run: float = 30.0
    # CPU seconds one input may take in extraction and tagging (a page takes ~0.03 s); more is a
    # recorded failure (stage 'timeout'), so no document can hold the run lock for hours.
    cpu_seconds_per_document: float = 20.0
    # -- compute (issue #13) --
    # A Dask scheduler to run extraction and tagging on, instead of local processes (None: local).
    dask_address: str | None = field(default_factory=_dask_address)
    # Seconds to reach that scheduler before the run fails with a clear error.
    dask_connect_seconds: float = 20.0
    # Seconds of a run in which new page fetches start (the per-run page cap): pages not reached stay
    # pending for the next run. Below the 15-minute schedule, so one run ends before the next is due.
    feed_fetch_budget: float = field(default_factory=_feed_budget)
    # Feed pages fetched ahead of extraction at most (they wait in memory, up to 10 MB each; at least
    # two chunks: the one extracted and the one loaded).
    pages_ahead: int = 500
    # -- the whole process (issue #13, throughput) --
    # Inputs whose parsed pages are the same (copies saved twice, a comment apart) are extracted once,
    # the others take that result under their own names (flows/tasks.py extract_and_load). Off: each
    # input is extracted on its own, as before; the warehouse rows are the same either way.
    extract_copies_once: bool = field(default_factory=lambda: _copies_once())


SETTINGS = Settings()
