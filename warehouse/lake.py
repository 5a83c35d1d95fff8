"""The warehouse is a DuckLake: a SQL catalog plus Parquet data files. This module connects to it.

`--db` (WIRETRACE_DB) names the catalog:

- a file path (default ``warehouse/wiretrace.sqlite``): a SQLite catalog in WAL mode, with the data
  folder beside it (``wiretrace.sqlite.files/``). The embedded default: nothing but Python.
- ``postgres:dbname=… host=… port=…``: a PostgreSQL catalog that writers on many machines commit to;
  the data folder is WIRETRACE_DATA, a path every writer and reader sees (a shared mount).

Readers attach READ_ONLY and read snapshots: a run never blocks them and they never block a run.
DuckLake enforces no key, so writers serialise their short load transactions on the *load lock*
(`flock` beside a SQLite catalog, `pg_advisory_lock` for PostgreSQL), held per batch, not per run;
everything else a run does (fetch, extract, tag) goes on in parallel.

Extensions (ducklake, sqlite_scanner, postgres_scanner) come from their pinned wheels and are
loaded from those files; `install_extensions()` also copies them into DuckDB's default extension
folder once, so the stock `duckdb` shell autoloads them (README, Warehouse).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import importlib.util
import json
import logging
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from settings import lake_data_path, lock_wait

ALIAS = "wiretrace"  # the name the lake is attached as (and USEd) in every session
POSTGRES = "postgres:"
EXTENSIONS = {
    "ducklake": "duckdb_extension_ducklake",
    "sqlite_scanner": "duckdb_extension_sqlite_scanner",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}
_POLL = 0.25  # seconds between two attempts at the load lock
_NOTE_EVERY = 60.0  # seconds between two "still waiting" log lines
# One advisory lock per PostgreSQL database: every wiretrace writer of that catalog takes it.
_PG_LOCK_SQL = "hashtext('wiretrace-load')"

T = TypeVar("T")


class WarehouseBusy(RuntimeError):
    """Another writer held the load lock for longer than this run was willing to wait."""


class LegacyWarehouse(RuntimeError):
    """The path is a DuckDB file of the storage before DuckLake: `wiretrace migrate` converts it."""


class WarehouseNotFound(FileNotFoundError):
    """There is no warehouse at the path: nothing has run yet, or the path is wrong."""


@dataclass(frozen=True)
class Lake:
    """Where one warehouse lives: its catalog and its data folder."""

    catalog: str  # after 'ducklake:': 'sqlite:/abs/wiretrace.sqlite' or 'postgres:dbname=… host=…'
    data_path: str | None  # absolute, ending in '/'; None: the one stored in the catalog
    file: Path | None  # the SQLite catalog file; None for PostgreSQL

    @property
    def postgres(self) -> bool:
        return self.file is None

    @property
    def dsn(self) -> str:
        """The libpq connection string of a PostgreSQL catalog."""
        return self.catalog[len(POSTGRES) :]

    @property
    def lock_file(self) -> Path | None:
        return None if self.file is None else self.file.parent / f".{self.file.name}.lock"

    def exists(self) -> bool:
        # A PostgreSQL catalog is there once its database is; attaching it says the rest.
        return self.postgres or self.file.is_file()  # type: ignore[union-attr]

    def attach_sql(self, read_only: bool, alias: str = ALIAS, inline: bool = True) -> str:
        """The ATTACH statement, as the stock `duckdb` shell runs it too.
        `inline=False`: this session writes every row to Parquet, none into the catalog (maintenance)."""
        options = []
        if self.data_path:
            # An absolute data path, given on every attach, so the folder can move with its catalog.
            options += [f"DATA_PATH {_quote(self.data_path)}", "OVERRIDE_DATA_PATH true"]
        if read_only:
            options.append("READ_ONLY")
        if not inline:
            options.append("DATA_INLINING_ROW_LIMIT 0")
        given = f" ({', '.join(options)})" if options else ""
        return f"ATTACH {_quote('ducklake:' + self.catalog)} AS {alias}{given}"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def data_folder(catalog_file: Path) -> Path:
    """The data folder of a SQLite catalog: beside it, named after it (DuckLake's own convention)."""
    return catalog_file.with_name(catalog_file.name + ".files")


def locate(db: str | Path) -> Lake:
    """The lake `--db` names: a catalog file path, or 'postgres:<libpq connection string>'."""
    text = str(db)
    if text.startswith(POSTGRES):
        data = lake_data_path()
        return Lake(catalog=text, data_path=_folder(Path(data).absolute()) if data else None, file=None)
    path = Path(text).expanduser().absolute()
    return Lake(catalog=f"sqlite:{path}", data_path=_folder(data_folder(path)), file=path)


def _folder(path: Path) -> str:
    return str(path).rstrip("/") + "/"


def is_legacy(path: str | Path) -> bool:
    """True for a DuckDB database file (the storage before DuckLake)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(12)[8:12] == b"DUCK"
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return False


def legacy_message(path: str | Path, new: str | Path | None = None) -> str:
    """What to do with a legacy DuckDB warehouse: the command that converts it (into `new`)."""
    target = f" --db {new}" if new is not None else ""
    return (
        f"{path} is a warehouse of the storage before DuckLake; convert it once with "
        f"`wiretrace migrate --from {path}{target}` (the old file is left as it is)"
    )


# -- extensions ---------------------------------------------------------------------------------


@functools.cache
def extension_files() -> dict[str, Path]:
    """name -> the extension file inside its pinned wheel (the version must be duckdb's)."""
    files = {}
    for name, module in EXTENSIONS.items():
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(f"the {module} package is missing: run `make setup`")
        folder = Path(next(iter(spec.submodule_search_locations)))
        found = sorted(folder.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
        if not found:
            raise RuntimeError(
                f"{module} holds no {name} build for duckdb {duckdb.__version__}: the pins of duckdb and "
                "duckdb-extension-* in pyproject.toml must move together"
            )
        files[name] = found[0]
    return files


# Extension files whose signature a LOAD in this process has checked already.
_VERIFIED: set[Path] = set()


def _extensions_of(lake: Lake) -> list[Path]:
    """The extension files a connection to this lake loads: ducklake and its catalog's scanner."""
    files = extension_files()
    return [files[name] for name in ("ducklake", "postgres_scanner" if lake.postgres else "sqlite_scanner")]


def _open_with_extensions(lake: Lake, verified: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with ducklake and the catalog's own scanner loaded.

    DuckDB checks an extension's signature on every LOAD: hashing the 36 MB ducklake file costs
    0.3–0.7 s per connection, and a run or a test session opens many. The first LOAD of a file in a
    process is checked; later connections load the same, already verified file without the check.
    `verified`: the caller's process checked these files already (compact's child process).
    """
    wanted = _extensions_of(lake)
    verified = verified or all(path in _VERIFIED for path in wanted)
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"} if verified else {})
    try:
        for path in wanted:
            con.execute(f"LOAD {_quote(str(path))}")
    except BaseException:
        con.close()
        raise
    _VERIFIED.update(wanted)
    return con


def install_extensions(extension_directory: str | Path | None = None) -> list[str]:
    """Copy the extensions into DuckDB's extension folder (default: ~/.duckdb/extensions) if missing.

    Then the stock `duckdb` shell of the same version autoloads them on `ATTACH 'ducklake:…'`.
    Returns the names installed now (none when they were there already).
    """
    config = {"extension_directory": str(extension_directory)} if extension_directory else {}
    done = []
    with duckdb.connect(config=config) as con:
        installed = {
            name: (path, version)
            for name, path, version in con.execute(
                "SELECT extension_name, install_path, extension_version FROM duckdb_extensions() "
                "WHERE installed"
            ).fetchall()
        }
        for name, path in extension_files().items():
            there = installed.get(name)
            if there and Path(there[0]).is_file() and Path(there[0]).stat().st_size == path.stat().st_size:
                continue
            con.execute(f"FORCE INSTALL {_quote(str(path))}")
            done.append(name)
    return done


# -- connections --------------------------------------------------------------------------------

# The lake (and the load-lock wait) of each connection `connect()` made, for `locked()`.
_LAKES: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, tuple[Lake, float | None]] = (
    weakref.WeakKeyDictionary()
)


def _wal(catalog_file: Path) -> None:
    """Create the SQLite catalog in WAL mode: readers then never block a writer's commit."""
    catalog_file.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.closing(sqlite3.connect(catalog_file)) as con:
        if con.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            con.execute("PRAGMA journal_mode=WAL")


def connect(db: str | Path, read_only: bool = False, wait: float | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the lake attached as `wiretrace` and USEd (nothing migrated here).

    Read-only: WarehouseNotFound when there is no catalog yet. Writable: the catalog and its
    data folder are created when missing; its batches wait up to `wait` s for the load lock.
    """
    lake = locate(db)
    if lake.file is not None:
        if is_legacy(lake.file):
            raise LegacyWarehouse(legacy_message(db))
        if read_only and not lake.file.is_file():
            raise WarehouseNotFound(f"no warehouse at {db}: run `wiretrace run` first, or pass its path")
        if not read_only:
            _wal(lake.file)
            Path(lake.data_path or "").mkdir(parents=True, exist_ok=True)
    elif not read_only and lake.data_path:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    con = _open_with_extensions(lake)
    try:
        con.execute(lake.attach_sql(read_only))
        con.execute(f"USE {ALIAS}")
    except BaseException:
        con.close()
        raise
    _LAKES[con] = (lake, wait)
    return con


def lake_of(con: duckdb.DuckDBPyConnection) -> Lake | None:
    """The lake a connection of `connect()` is attached to (None for any other connection)."""
    found = _LAKES.get(con)
    return found[0] if found else None


# -- the load lock ------------------------------------------------------------------------------


def _logger() -> logging.Logger | logging.LoggerAdapter:
    # Inside a flow run the lines belong in the run's log (the Prefect UI); elsewhere, a plain logger.
    # Prefect is not imported for it: a run has it loaded already, and a plain writer does not need it.
    if "prefect" in sys.modules:
        try:
            from prefect import get_run_logger

            return get_run_logger()
        except Exception:
            pass
    return logging.getLogger("wiretrace.lake")


class _LoadLock:
    """A process-wide, re-entrant hold on one lake's load lock (one per lake and process)."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.local = threading.RLock()
        self.depth = 0
        self.fd: int | None = None
        self.pg = None  # psycopg connection holding the advisory lock's session

    def _try(self) -> bool:
        if self.lake.postgres:
            if self.pg is None or self.pg.closed:
                import psycopg

                self.pg = psycopg.connect(self.lake.dsn, autocommit=True)
            return bool(self.pg.execute(f"SELECT pg_try_advisory_lock({_PG_LOCK_SQL})").fetchone()[0])
        if self.fd is None:
            path = self.lake.lock_file
            path.parent.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
            self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)  # type: ignore[arg-type]
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        # Who holds the lock, for a waiting writer's log line (advisory only).
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
        return True

    def _holder(self) -> str:
        if self.lake.postgres:
            return "another writer"
        try:
            return self.lake.lock_file.read_text(encoding="utf-8").strip() or "unknown"  # type: ignore[union-attr]
        except OSError:
            return "unknown"

    def acquire(self, wait: float) -> None:
        self.local.acquire()
        if self.depth:
            self.depth += 1
            return
        try:
            deadline = time.monotonic() + wait
            next_note = 0.0
            while not self._try():
                now = time.monotonic()
                if now >= deadline:
                    raise WarehouseBusy(
                        f"another writer ({self._holder()}) still holds the warehouse's load lock after "
                        f"{wait:.0f} s; this run skipped, nothing of this batch was written"
                    )
                if now >= next_note:
                    _logger().warning(
                        "waiting for another run (%s) to finish loading (up to %.0f s more)",
                        self._holder(),
                        deadline - now,
                    )
                    next_note = now + _NOTE_EVERY
                time.sleep(_POLL)
        except BaseException:
            self.local.release()
            raise
        self.depth = 1

    def release(self) -> None:
        self.depth -= 1
        try:
            if self.depth == 0:
                if self.lake.postgres:
                    if self.pg is not None and not self.pg.closed:
                        self.pg.execute(f"SELECT pg_advisory_unlock({_PG_LOCK_SQL})")
                elif self.fd is not None:
                    os.ftruncate(self.fd, 0)
                    fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.local.release()


_LOCKS: dict[Lake, _LoadLock] = {}
_LOCKS_GUARD = threading.Lock()


@contextlib.contextmanager
def load_lock(lake: Lake, wait: float | None = None) -> Iterator[None]:
    """Hold the lake's load lock (waiting up to `wait` s, default WIRETRACE_LOCK_WAIT, else WarehouseBusy).

    flock and a session-level advisory lock are both released by the system when their holder
    dies, so a killed writer never leaves the warehouse locked.
    """
    with _LOCKS_GUARD:
        held = _LOCKS.setdefault(lake, _LoadLock(lake))
    held.acquire(lock_wait() if wait is None else wait)
    try:
        yield
    finally:
        held.release()


def locked(con: duckdb.DuckDBPyConnection) -> contextlib.AbstractContextManager:
    """The load lock of the lake `con` writes to; nothing for a connection not made by `connect()`."""
    found = _LAKES.get(con)
    return load_lock(*found) if found else contextlib.nullcontext()


def is_conflict(exc: BaseException) -> bool:
    """A DuckLake commit refused because another transaction changed the catalog meanwhile.

    DuckLake says "conflict" when the same table changed; a SQLite catalog says "database is
    locked" when the snapshot the transaction read is no longer the newest (SQLITE_BUSY_SNAPSHOT).
    """
    text = str(exc).lower()
    return isinstance(exc, duckdb.Error) and ("conflict" in text or "database is locked" in text)


def retry_on_conflict(batch: Callable[[], T]) -> T:
    """Run `batch` (a whole transaction); once more if its commit met a DuckLake conflict.

    Under the load lock conflicts do not happen between wiretrace writers; this covers a
    writer that is not wiretrace (an analyst's UPDATE, a maintenance job). The batch must be
    idempotent: it is, when it loads the same computed records again.
    """
    try:
        return batch()
    except duckdb.Error as exc:
        if not is_conflict(exc):
            raise
        _logger().warning("batch met a concurrent commit (%s); running it once more", exc)
        return batch()


# -- table options ------------------------------------------------------------------------------

# Articles are read a few at a time by id (the batch, the sources it copies): row groups of 2,048 rows
# (DuckDB's smallest) instead of 122,880, so such a read decompresses 2,048 texts, not a whole file's.
TABLE_OPTIONS = {("articles", "parquet_row_group_size"): "2048"}

# Tables a run reads a few rows of by a hashed key (an article id, a digest, a story id), which no
# file's min/max of the key can rule out: their rows are written in BUCKETS partitions by the key's
# hash (DuckLake's bucket() partitioning), and a read of `key IN (...)` opens the files of those keys'
# partitions only. Few partitions: DuckLake pays for every file a query opens (footer, statistics),
# so 256 partitions of a small table made every read of it slower; 16 keep a lookup of 5 ids to at
# most 5 files (62,500 rows each at a million articles) and a whole-table read to 16 files.
# Every write adds a file per partition it touches (a small commit is inlined in the catalog instead):
# `wiretrace compact` (daily) merges them, per partition.
# The count follows the warehouse's size (buckets_for): 16 up to 1.6 million articles, then doubled
# each time the partitions would hold over ROWS_PER_BUCKET rows each (32 to 3.2 million, 64 to 6.4
# million...), so a lookup of 5 ids reads at most 5 x ROWS_PER_BUCKET keys at any size. The daily
# compaction re-partitions when the count changes: a rewrite of the keyed tables each time the
# warehouse doubles, so a constant cost per stored article.
BUCKETS = 16
ROWS_PER_BUCKET = 100_000
# Partitions pay off only in a large warehouse: below this many articles a lookup's scan of every key
# costs milliseconds, while partitions cost each write a file per partition and each read a file to
# open (a fresh 181-page run took 1.19x as long with them, benchmarks/whole_run.py). A warehouse that
# grows past it is partitioned by the daily `compact` (or when a migration is applied).
PARTITION_FROM_ARTICLES = 50_000
PARTITIONED = {
    "articles": "article_id",
    "article_sources": "article_id",
    "raw_documents": "content_hash",
    "story_term_sets": "article_id",
    "stories": "story_id",
}


def set_table_options(con: duckdb.DuckDBPyConnection) -> None:
    """Apply TABLE_OPTIONS and PARTITIONED to a lake connection of `connect()` (nothing for any other).

    Once the warehouse holds PARTITION_FROM_ARTICLES articles, a table not partitioned as PARTITIONED
    says yet is (re)partitioned and its stored rows rewritten into the partitions (DuckLake partitions
    only what it writes from then on); a smaller warehouse is left as it is. The rewrite runs in a
    child process, as compact's steps do (_run_isolated). The caller holds the load lock
    (warehouse.db.migrate, compact) and is in no transaction.
    """
    if lake_of(con) is None:
        return
    _set_options(con)
    if statements := _partition_statements(con):
        _run_isolated(con, _partition_steps(statements))


def _set_options(con: duckdb.DuckDBPyConnection) -> None:
    for (table, option), value in TABLE_OPTIONS.items():
        con.execute(
            f"CALL ducklake_set_option({_quote(ALIAS)}, {_quote(option)}, {_quote(value)}, "
            f"table_name => {_quote(table)})"
        )


def _partition_steps(statements: list[str]) -> list[tuple[str, list[str]]]:
    """The steps that partition: inlined rows flushed to Parquet first, then the partitioning in one
    commit (all converted, or none) by a session that inlines nothing (compaction_child). So its
    UPDATE writes whole partition files and retires the old files whole, at any size: no inlined
    rows or deletions of a freshly partitioned table are left for a flush or a rewrite to work on
    (a test on 5 articles, all inlined, once died in the flush or the rewrite right after)."""
    return [
        ("flush", [f"CALL ducklake_flush_inlined_data({_quote(ALIAS)})"]),
        ("partition", ["BEGIN TRANSACTION", *statements, "COMMIT"]),
    ]


def _partition_statements(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The statements that (re)partition the keyed tables, for one transaction (set_table_options);
    none while the warehouse is smaller than PARTITION_FROM_ARTICLES or partitioned as it should be."""
    articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    if articles < PARTITION_FROM_ARTICLES:
        return []
    done = partitioned_tables(con)
    buckets = buckets_for(articles)
    statements = []
    for table, key in PARTITIONED.items():
        if _bucket_count(done.get(table)) < buckets:
            statements.append(f"ALTER TABLE {table} SET PARTITIONED BY (bucket({buckets}, {key}))")
            # the same values written again: the stored rows move into their partitions' files
            statements.append(f"UPDATE {table} SET {key} = {key}")
    return statements


def buckets_for(articles: int) -> int:
    """The partitions of the keyed tables for a warehouse of this many articles (BUCKETS at the least)."""
    buckets = BUCKETS
    while articles > buckets * ROWS_PER_BUCKET:
        buckets *= 2
    return buckets


def _bucket_count(partitioning: str | None) -> int:
    """N of a table partitioned 'bucket(N)' (partitioned_tables); 0 for anything else."""
    found = re.fullmatch(r"bucket\((\d+)\)", partitioning or "")
    return int(found.group(1)) if found else 0


def partitioned_tables(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """The lake's partitioned tables now, with their partitioning (e.g. 'bucket(16)'; DuckLake's catalog)."""
    meta = f"__ducklake_metadata_{ALIAS}"
    rows = con.execute(
        f"""SELECT t.table_name, string_agg(c.transform, ', ' ORDER BY c.partition_key_index)
            FROM {meta}.ducklake_table t
            JOIN {meta}.ducklake_partition_info p USING (table_id)
            JOIN {meta}.ducklake_partition_column c USING (partition_id, table_id)
            WHERE t.end_snapshot IS NULL AND p.end_snapshot IS NULL
            GROUP BY t.table_name"""
    ).fetchall()
    return dict(rows)


# -- maintenance --------------------------------------------------------------------------------


class CompactionFailed(RuntimeError):
    """A step of `compact` failed or died in its own process: the warehouse is as that step found it
    (each step commits on its own), the steps before it done."""

    def __init__(self, step: str, why: str, done: list[str]) -> None:
        self.step, self.why, self.done = step, why, done
        before = f" (steps done: {', '.join(done)})" if done else ""
        super().__init__(
            f"compaction step {step!r} {why}{before}; the warehouse is as the steps before it left it "
            "(nothing of that step was committed), and the next `wiretrace compact` runs it again"
        )


# How `compact` starts its child process (the interpreter's arguments after sys.executable).
_CHILD: tuple[str, ...] = ("-c", "from warehouse import lake; lake.compaction_child()")


def compact(con: duckdb.DuckDBPyConnection, days: float | None = None) -> dict[str, int]:
    """Partition a warehouse grown large enough (set_table_options), flush inlined rows to Parquet,
    rewrite files with many deleted rows, merge small files (per partition), expire snapshots older
    than `days` (default WIRETRACE_SNAPSHOT_DAYS), delete the files no snapshot needs any more.

    Daily, never on every run: it rewrites files. Under the load lock, so no batch commits meanwhile.
    Time travel reaches back `days`; an analyst's session older than that may lose its files.
    The steps run in a child process (_run_isolated): DuckLake's file rewriting is native code, and
    a crash there (a fresh-clone test run once segfaulted in ducklake_rewrite_data_files) fails this
    call with CompactionFailed instead of killing the run, the deployment's worker or a test session.
    """
    from settings import snapshot_days

    keep = snapshot_days() if days is None else days
    name = _quote(ALIAS)
    done: dict[str, int] = {}
    with locked(con):
        snapshots = f"SELECT snapshot_id FROM ducklake_snapshots({name})"
        before = {i for (i,) in con.execute(snapshots).fetchall()}
        files = con.execute(f"SELECT count(*) FROM ducklake_list_files({name}, 'articles')").fetchone()[0]
        _set_options(con)  # a catalog write, no file rewritten
        if partition := _partition_statements(con):
            # Not rewritten right after partitioning: that wrote every row of the keyed tables afresh
            # (the other tables' deletions wait a day), and it left nothing inlined to flush.
            steps = _partition_steps(partition)
        else:
            steps = [
                ("flush", [f"CALL ducklake_flush_inlined_data({name})"]),
                # files most of whose rows a later write deleted (an update, a conversion) are written
                # again without them, so a lookup no longer opens a file and its deletions for nothing
                ("rewrite", [f"CALL ducklake_rewrite_data_files({name})"]),
            ]
        steps += [
            ("merge", [f"CALL ducklake_merge_adjacent_files({name})"]),
            (
                "expire",
                [
                    f"CALL ducklake_expire_snapshots({name}, older_than => now() - "
                    f"to_microseconds({int(keep * 86_400 * 1_000_000)}))"
                ],
            ),
            # Only files of expired snapshots are scheduled for deletion: none a kept snapshot reads.
            ("cleanup", [f"CALL ducklake_cleanup_old_files({name}, cleanup_all => true)"]),
        ]
        rows = _run_isolated(con, steps)
        # compaction commits snapshots of its own: count only the old ones that are gone
        done["snapshots expired"] = len(before - {i for (i,) in con.execute(snapshots).fetchall()})
        done["files deleted"] = rows["cleanup"]
        done["articles files before"] = files
        done["articles files after"] = con.execute(
            f"SELECT count(*) FROM ducklake_list_files({name}, 'articles')"
        ).fetchone()[0]
    return done


def _run_isolated(con: duckdb.DuckDBPyConnection, steps: list[tuple[str, list[str]]]) -> dict[str, int]:
    """Run the named steps on the lake of `con` in a child process (_run_steps) and attach it to `con`
    afresh after: DuckLake caches the catalog per attachment, and `con`'s cache would still name the
    inlined tables the child flushed and dropped ("ducklake_inlined_data_9_2 does not exist")."""
    where = lake_of(con)
    if where is None:
        raise ValueError("maintenance needs a lake connection of warehouse.lake.connect()")
    try:
        return _run_steps(where, steps)
    finally:
        _reattach(con, where)


def _reattach(con: duckdb.DuckDBPyConnection, where: Lake) -> None:
    """Attach the lake to `con` afresh (after another connection rewrote it), as connect() did."""
    con.execute("USE memory")
    con.execute(f"DETACH {ALIAS}")
    con.execute(where.attach_sql(read_only=False))
    con.execute(f"USE {ALIAS}")


def _run_steps(where: Lake, steps: list[tuple[str, list[str]]]) -> dict[str, int]:
    """Run the named steps' statements in a child process (compaction_child); rows each step's last
    statement returned. A step whose process died (a signal: DuckLake's native code) is run once
    more in a new process, with the steps after it: it committed nothing, and every step is safe to
    run again. CompactionFailed names the step that failed or died twice, and why.

    Why: DuckLake 1.5.5's maintenance calls crash now and then. Stress loops of these steps on small
    lakes (about 1,000 sequences, 2 cores at load 7-17) died three times: glibc's "double free or
    corruption" in ducklake_flush_inlined_data after a partitioning and in an unpartitioned lake,
    and a SIGSEGV while partitioning; a fresh-clone test run once segfaulted in the rewrite."""
    rows: dict[str, int] = {}
    retried = False
    while True:
        todo = [step for step in steps if step[0] not in rows]
        step, returncode, error = _child(where, todo, rows)
        if step is None:
            return rows
        if returncode >= 0:
            why = f"failed (exit {returncode}): {error or 'no message'}"
            raise CompactionFailed(step, why, list(rows))
        try:
            why = f"died of {signal.Signals(-returncode).name}"
        except ValueError:
            why = f"died of signal {-returncode}"
        why += f" ({error})" if error else ""
        if retried:
            raise CompactionFailed(step, f"{why}, twice", list(rows))
        _logger().warning("compaction step %r %s; running it once more in a new process", step, why)
        retried = True


def _child(
    where: Lake, steps: list[tuple[str, list[str]]], rows: dict[str, int]
) -> tuple[str | None, int, str]:
    """One child process for `steps`; adds each finished step's rows to `rows`. (None, 0, '') when all
    finished, else (the step it was in, its exit code, the last line of its error output)."""
    job = {
        "catalog": where.catalog,
        "data_path": where.data_path,
        "file": None if where.file is None else str(where.file),
        "steps": steps,
        # this process loaded the extension files with their signatures checked (connect())
        "verified": all(path in _VERIFIED for path in _extensions_of(where)),
    }
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])  # the project, wherever the caller's cwd is
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    child = subprocess.run(
        [sys.executable, *_CHILD], input=json.dumps(job), capture_output=True, text=True, env=env, check=False
    )
    started = "start-up (opening the warehouse)"
    for line in child.stdout.splitlines():
        try:
            said = json.loads(line)
        except ValueError:
            continue
        if "start" in said:
            started = said["start"]
        elif "done" in said:
            rows[said["done"]] = said["rows"]
    if child.returncode == 0 and all(name in rows for name, _ in steps):
        return None, 0, ""
    errors = [line.strip() for line in child.stderr.splitlines() if line.strip()]
    return started, child.returncode, errors[-1] if errors else ""


def compaction_child(before: Callable[[str], object] | None = None) -> None:
    """The child process of `compact`: read the job (JSON) from stdin, run each step's statements in
    order, say on stdout when a step starts and when it is done (JSON lines).

    Its session inlines nothing (its writes are Parquet files). It never takes the load lock: the
    parent holds it for it. `before(step)`: called as each step starts (tests make a step die with it).
    """
    job = json.load(sys.stdin)
    where = Lake(job["catalog"], job["data_path"], None if job["file"] is None else Path(job["file"]))
    con = _open_with_extensions(where, verified=job["verified"])
    con.execute("SET enable_progress_bar = false")  # stdout carries the steps only
    con.execute(where.attach_sql(read_only=False, inline=False))
    con.execute(f"USE {ALIAS}")
    for name, statements in job["steps"]:
        print(json.dumps({"start": name}), flush=True)
        if before is not None:
            before(name)
        result: list = []
        for sql in statements:
            result = con.execute(sql).fetchall()
        print(json.dumps({"done": name, "rows": len(result)}), flush=True)
    con.close()
