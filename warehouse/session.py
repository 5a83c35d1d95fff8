"""How a run gets its warehouse connection, and how analysts never block it.

DuckDB lets one process write a file or several read it, and a process that cannot get
the lock fails at once. Analysts keep read-only sessions open for hours, so a run never
writes the file they read. Instead, for the warehouse PATH (`warehouse/wiretrace.duckdb`):

- ``PATH`` is the *published* copy: analysts, reports and checks open it read-only.
  It is only ever replaced whole, with ``os.replace``; a session holding the old file
  keeps its snapshot, the next session sees the new rows.
- ``.PATH.work`` (next to it) is the *working* copy, the master the runs write to.
  It persists between runs so a run does not copy the warehouse before it starts.
- ``.PATH.lock`` serialises runs: a run holds an exclusive ``flock`` on it from before it
  opens the working copy until after it has published. A second run waits for it (up to
  ``WIRETRACE_LOCK_WAIT`` seconds, default 600) and then gives up with `WarehouseBusy`.
- ``.PATH.published`` records which file the last run published. It is deleted when a
  run starts and written back after it publishes, so a run that crashed (or was killed)
  leaves no record, and the next run throws the working copy away and starts again from
  the published file. A crash therefore never publishes a half state, and never leaves
  half a run in the master either.

The published file also wins whenever it changed behind wiretrace's back: deleted
(``make clean``: the next run starts an empty warehouse) or replaced by another file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from settings import lock_wait
from warehouse import db

_POLL = 0.25  # seconds between two attempts at the lock
_NOTE_EVERY = 60.0  # seconds between two "still waiting" log lines


class WarehouseBusy(RuntimeError):
    """Another run held the warehouse for longer than this run was willing to wait."""


@dataclass(frozen=True)
class WarehouseFiles:
    """The files of one warehouse, all in the published file's folder (so renames stay atomic)."""

    published: Path
    work: Path
    lock: Path
    stamp: Path

    @classmethod
    def of(cls, db_path: str | Path) -> WarehouseFiles:
        path = Path(db_path)
        hidden = path.parent / f".{path.name}"
        return cls(
            published=path,
            work=Path(f"{hidden}.work"),
            lock=Path(f"{hidden}.lock"),
            stamp=Path(f"{hidden}.published"),
        )


def _logger() -> logging.Logger | logging.LoggerAdapter:
    # Inside a flow run the lines belong in the run's log (the Prefect UI); elsewhere, a plain logger.
    try:
        from prefect import get_run_logger

        return get_run_logger()
    except Exception:
        return logging.getLogger("wiretrace.session")


@contextlib.contextmanager
def run_lock(lock_path: Path, wait: float) -> Iterator[None]:
    """Hold the exclusive run lock; wait up to `wait` seconds for it, else raise WarehouseBusy.

    flock, unlike a lock file created and deleted, is released by the kernel when its
    holder dies, so a killed run never leaves the warehouse locked.
    """
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        next_note = 0.0
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                now = time.monotonic()
                holder = _read_holder(lock_path)
                if now >= deadline:
                    raise WarehouseBusy(
                        f"another run ({holder}) still holds {lock_path} after {wait:.0f} s; "
                        "this run skipped, nothing was written"
                    ) from None
                if now >= next_note:
                    _logger().warning(
                        "waiting for another run (%s) to finish with the warehouse (up to %.0f s more)",
                        holder,
                        deadline - now,
                    )
                    next_note = now + _NOTE_EVERY
                time.sleep(_POLL)
        # Who holds the lock, for the waiting run's log line (advisory only).
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _read_holder(lock_path: Path) -> str:
    try:
        return lock_path.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


def _identity(path: Path) -> dict | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return {"inode": st.st_ino, "size": st.st_size, "mtime_ns": st.st_mtime_ns}


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _wal(path: Path) -> Path:
    return Path(f"{path}.wal")


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _work_in_sync(files: WarehouseFiles) -> bool:
    """True when the working copy is what the last run published, and the published file is still that."""
    if not files.work.exists():
        return False
    try:
        recorded = json.loads(files.stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return recorded == _identity(files.published)


def _adopt_published(files: WarehouseFiles) -> str:
    """Make the working copy a copy of the published file (or nothing, when there is none)."""
    _unlink(files.work)
    _unlink(_wal(files.work))
    if not files.published.exists():
        return "no published warehouse yet: starting an empty one"
    shutil.copyfile(files.published, files.work)
    # A WAL next to the published file (written by a pre-publishing wiretrace) holds committed rows.
    if _wal(files.published).exists():
        shutil.copyfile(_wal(files.published), _wal(files.work))
    return f"working copy taken from the published {files.published}"


def publish(files: WarehouseFiles) -> None:
    """Copy the (closed, checkpointed) working copy over the published file, atomically."""
    wal = _wal(files.work)
    if wal.exists() and wal.stat().st_size > 0:
        # Rows would be missing from the copy; better not to publish at all.
        raise RuntimeError(f"{wal} still holds changes after the checkpoint; not publishing")
    tmp = files.published.parent / f".{files.published.name}.publish-{os.getpid()}.tmp"
    try:
        shutil.copyfile(files.work, tmp)
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        # A stale WAL must never be replayed onto the new file: drop it first, under the run lock.
        _unlink(_wal(files.published))
        os.replace(tmp, files.published)
    finally:
        _unlink(tmp)
    _fsync_dir(files.published.parent)
    files.stamp.write_text(json.dumps(_identity(files.published)), encoding="utf-8")


def check_writable(db_path: str | Path) -> None:
    """OSError unless a run could write the warehouse at db_path (its folder, lock and files)."""
    files = WarehouseFiles.of(db_path)
    files.published.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(files.lock, os.O_RDWR | os.O_CREAT, 0o644))
    # Publishing writes a temporary file next to the published one and renames it over it.
    for path in (files.published.parent, files.published, files.work):
        if path.exists() and not os.access(path, os.W_OK):
            raise PermissionError(13, "Permission denied", str(path))


@contextlib.contextmanager
def run_session(db_path: str | Path, wait: float | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A writable, migrated connection for one run; its work is published when the block succeeds.

    Waits up to `wait` seconds (default: `lock_wait()`) for a run already going,
    then raises `WarehouseBusy` without touching anything. If the block raises, nothing is
    published and the next run starts again from the published file.
    """
    files = WarehouseFiles.of(db_path)
    log = _logger()
    files.published.parent.mkdir(parents=True, exist_ok=True)
    with run_lock(files.lock, lock_wait() if wait is None else wait):
        if not _work_in_sync(files):
            log.info("%s", _adopt_published(files))
        # From here until the publish, the working copy is ahead of (or broken against) the published file.
        _unlink(files.stamp)
        con = db.connect(files.work)
        try:
            yield con
            con.execute("CHECKPOINT")
        finally:
            con.close()
        publish(files)
        log.info(
            "published the warehouse to %s (analysts: duckdb -readonly %s)", files.published, files.published
        )
