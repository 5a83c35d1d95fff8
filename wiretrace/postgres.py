"""A throwaway PostgreSQL server from the Debian package, for the tests and `make cluster`.

initdb into a fresh folder, then pg_ctl start on 127.0.0.1 and a free port, with fsync off (the data
is thrown away). PostgreSQL refuses to run as root, so as root every command runs as the `postgres`
user (`runuser`), which owns the folder. pytest-postgresql cannot do that, hence these few lines.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from wiretrace.serve import free_port

# Where the Debian/Ubuntu packages put the server binaries, one folder per major version.
PG_ROOT = Path("/usr/lib/postgresql")
SUPERUSER = "postgres"
START_SECONDS = 120  # initdb + start take ~6 s on a quiet machine, much more on a loaded one


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL server binaries here (the Debian package `postgresql` is not installed)."""


def bin_dir() -> Path:
    """The newest installed major version's bin folder (holding initdb and pg_ctl)."""
    found = sorted(PG_ROOT.glob("*/bin/pg_ctl"), key=lambda p: _version_key(p.parent.parent.name))
    if not found:
        raise PostgresUnavailable(
            f"no PostgreSQL server under {PG_ROOT}/*/bin "
            "(install the Debian package: apt-get install postgresql)"
        )
    return found[-1].parent


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", name))


def _as_owner(args: list[str]) -> list[str]:
    # pg_ctl and initdb exit with "cannot be run as root"
    return ["runuser", "-u", SUPERUSER, "--", *args] if os.geteuid() == 0 else args


@dataclass(frozen=True)
class Postgres:
    """One running server: its folder (data/, log, socket) and port."""

    folder: Path
    port: int

    @property
    def data(self) -> Path:
        return self.folder / "data"

    @property
    def log(self) -> Path:
        return self.folder / "postgres.log"

    def dsn(self, dbname: str = "postgres") -> str:
        """A libpq connection string (psycopg, DuckDB's postgres extension) over TCP on 127.0.0.1."""
        return f"host=127.0.0.1 port={self.port} user={SUPERUSER} dbname={dbname}"

    def pid(self) -> int | None:
        """The postmaster's PID from its pid file, or None when it is not running."""
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def create_database(self, name: str) -> str:
        """A new empty database (a test's own catalog); its DSN."""
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", name):
            raise ValueError(f"not a plain database name: {name!r}")
        _run([str(bin_dir() / "psql"), "-X", "-q", "-d", self.dsn(), "-c", f"CREATE DATABASE {name}"])
        return self.dsn(name)


def alive(pid: int) -> bool:
    """Whether a process runs; a zombie (exited, not reaped yet by its parent) does not count."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # the state letter follows the command name, which is in parentheses and may hold spaces
    return stat.rpartition(")")[2].split()[0] != "Z"


def _run(args: list[str], timeout: float = START_SECONDS) -> str:
    done = subprocess.run(_as_owner(args), capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{Path(args[0]).name} failed ({done.returncode}): {done.stderr or done.stdout}")
    return done.stdout


def start(folder: Path | None = None, port: int | None = None) -> Postgres:
    """initdb a new cluster in `folder` (default: a new temporary folder) and start it; fails clearly.

    The folder must be new or empty. As root it is handed to the postgres user, so it has to be
    reachable by that user (a folder under /tmp is; pytest's own tmp_path is not).
    """
    binaries = bin_dir()
    folder = Path(folder or tempfile.mkdtemp(prefix="wiretrace-pg-")).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(folder, SUPERUSER, SUPERUSER)
    server = Postgres(folder, port or free_port())
    _run(
        [
            str(binaries / "initdb"),
            "-D",
            str(server.data),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        ]
    )
    options = f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    options += " -c synchronous_commit=off -c full_page_writes=off"
    _run(
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(server.data),
            "-l",
            str(server.log),
            "-w",
            "-t",
            str(START_SECONDS),
            "-o",
            options,
            "start",
        ],
        timeout=START_SECONDS + 10,
    )
    return server


def stop(server: Postgres, remove: bool = True) -> None:
    """Fast shutdown (open connections are closed), then the folder is deleted."""
    if server.data.is_dir() and server.pid() is not None:
        _run([str(bin_dir() / "pg_ctl"), "-D", str(server.data), "-m", "fast", "-w", "stop"])
    if remove:
        shutil.rmtree(server.folder, ignore_errors=True)
