"""The lake itself, on both catalogs: SQLite beside its data folder, and PostgreSQL.

Loads are idempotent, logical keys stay unique (duplicate_keys), readers keep their snapshot,
two concurrent writers end with the rows of two sequential ones, and compaction keeps what it must.
"""

from __future__ import annotations

import fcntl
import importlib.metadata
import itertools
import re
import subprocess
import sys
import textwrap
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.test_db import seed_items
from transforms.records import Failure
from warehouse import db, lake

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
_NAMES = itertools.count()


@pytest.fixture(params=["sqlite", "postgres"])
def catalog(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A new, empty warehouse of each catalog kind: what `--db` names."""
    if request.param == "sqlite":
        return str(tmp_path / "w.sqlite")
    server = request.getfixturevalue("pg_server")
    name = f"lake_{next(_NAMES)}_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("WIRETRACE_DATA", str(tmp_path / "data"))
    return f"postgres:{server.create_database(name)}"


def _rows(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return sorted(con.execute(f"SELECT * FROM {table}").fetchall(), key=repr)


def test_the_extension_wheels_are_built_for_this_duckdb() -> None:
    # The pins of duckdb and duckdb-extension-* move together: a mismatch cannot load at all.
    for name in (
        "duckdb-extension-ducklake",
        "duckdb-extension-sqlite-scanner",
        "duckdb-extension-postgres-scanner",
    ):
        assert importlib.metadata.version(name) == duckdb.__version__, name
    assert set(lake.extension_files()) == {"ducklake", "sqlite_scanner", "postgres_scanner"}


def test_an_extension_signature_is_checked_once_per_process(tmp_path: Path) -> None:
    # A fresh process: its first connection checks the signatures; later ones reuse that check.
    script = textwrap.dedent(
        f"""
        from warehouse import lake
        for _ in range(2):
            con = lake.connect({str(tmp_path / "w.sqlite")!r})
            print(con.execute("SELECT current_setting('allow_unsigned_extensions')").fetchone()[0])
            con.close()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, timeout=120, check=True
    )
    assert done.stdout.split() == ["False", "True"]


def test_no_statement_relies_on_a_key_ducklake_does_not_have() -> None:
    statements = (r"ON\s+CONFLICT", r"INSERT\s+OR\s+REPLACE", r"CREATE\s+(UNIQUE\s+)?INDEX")
    for path in (REPO / "warehouse").glob("*.py"):
        for banned in statements:
            assert not re.search(banned, path.read_text(encoding="utf-8")), f"{path.name}: {banned}"
    for path in (REPO / "warehouse" / "sql" / "lake").glob("*.sql"):
        code = "\n".join(ln.split("--")[0] for ln in path.read_text(encoding="utf-8").splitlines())
        for banned in (*statements, r"PRIMARY\s+KEY", r"\bUNIQUE\b"):
            assert not re.search(banned, code), f"{path.name}: {banned}"


def test_loads_are_idempotent_and_keys_unique(catalog: str) -> None:
    con = db.connect(catalog)
    try:
        items, raw = seed_items()
        failure = Failure("a.txt", "seed", "decode", "empty file")
        for run in ("r1", "r1", "r2"):
            with db.transaction(con):
                db.start_run(con, run, "test", NOW)
                db.load_articles(con, items, raw, "v1", NOW)
                db.record_failures(con, [failure], run, NOW)
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
        assert con.execute("SELECT attempts FROM ingest_failures").fetchall() == [(2,)]
        assert con.execute("SELECT * FROM duplicate_keys").fetchall() == []
        # the schema is the lake's: no migration is left to apply on a second connection
        assert db.migrate(db.connect(catalog)) == []
    finally:
        con.close()


def test_a_reader_keeps_its_snapshot_while_a_writer_commits(catalog: str) -> None:
    writer = db.connect(catalog)
    reader = lake.connect(catalog, read_only=True)
    try:
        db.start_run(writer, "r1", "test", NOW)
        reader.execute("BEGIN TRANSACTION")
        assert reader.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        db.start_run(writer, "r2", "test", NOW)
        assert reader.execute("SELECT count(*) FROM runs").fetchone()[0] == 1
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM runs").fetchone()[0] == 2
        with pytest.raises(duckdb.Error, match=r"read.only"):
            reader.execute("DELETE FROM runs")
    finally:
        reader.close()
        writer.close()


WRITER = """
    import sys
    from datetime import UTC, datetime
    from tests.warehouse.test_db import seed_items
    from transforms.records import Failure
    from warehouse import db, feeds
    from transforms.feed_decisions import FeedStateRow

    catalog, run, first, last = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    items, raw = seed_items()
    con = db.connect(catalog)
    print("ready", flush=True)
    sys.stdin.readline()  # the barrier: both writers start their batch at once
    for part in range(first, last):
        with db.transaction(con):
            db.start_run(con, run, "test", now)
            db.load_articles(con, items[part : part + 2], raw, "v1", now)
            db.record_failures(con, [Failure(f"{part}.txt", "seed", "decode", "empty")], run, now)
            if part == first:  # a run meets an input in one batch only (its batches split its inputs)
                db.record_failures(con, [Failure("shared.txt", "seed", "decode", "empty")], run, now)
    con.close()
    print("done", flush=True)
"""


def _writer(catalog: str, run: str, first: int, last: int, env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(WRITER), catalog, run, str(first), str(last)],
        cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def _expect(proc: subprocess.Popen, word: str) -> None:
    """Read the writer's lines until `word`; at its end without it, fail with what it said on stderr."""
    for line in proc.stdout:
        if line.strip() == word:
            return
    proc.wait(timeout=30)
    pytest.fail(f"the writer ended without {word!r}: {proc.stderr.read()[-3000:]}")


def _start_together(writers: list[subprocess.Popen]) -> None:
    for w in writers:
        _expect(w, "ready")
    for w in writers:  # the barrier: both begin their batches at once
        w.stdin.write("\n")
        w.stdin.flush()
    for w in writers:
        _expect(w, "done")
        assert w.wait(timeout=120) == 0, w.stderr.read()[-3000:]


def test_two_concurrent_writers_store_what_two_sequential_ones_do(
    catalog: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    env = dict(os.environ)
    # overlapping batches: both writers load seeds 2-3 and the same failure key
    jobs = [("run-a", 0, 3), ("run-b", 2, 4)]
    db.connect(catalog).close()  # the schema first, as a deployed warehouse has it
    writers = [_writer(catalog, run, first, last, env) for run, first, last in jobs]
    try:
        _start_together(writers)
    finally:
        for w in writers:
            w.kill()
    sequential = str(tmp_path / "sequential.sqlite")
    db.connect(sequential).close()
    for run, first, last in jobs:
        alone = _writer(sequential, run, first, last, env)
        try:
            _start_together([alone])
        finally:
            alone.kill()
    both, one = lake.connect(catalog, read_only=True), lake.connect(sequential, read_only=True)
    try:
        assert both.execute("SELECT * FROM duplicate_keys").fetchall() == []
        for table in ("articles", "article_sources", "raw_documents", "runs"):
            assert _rows(both, table) == _rows(one, table), table
        # attempts of the key both wrote: one per run, whichever committed first
        assert both.execute(
            "SELECT attempts FROM ingest_failures WHERE source_ref = 'shared.txt'"
        ).fetchall() == [(2,)]
        assert both.execute("SELECT count(*) FROM ingest_failures").fetchone()[0] == 5
    finally:
        both.close()
        one.close()


def test_compact_keeps_the_rows_and_the_snapshots_of_the_retention(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    con = db.connect(path)
    try:
        items, raw = seed_items()
        snapshot = "SELECT max(snapshot_id) FROM ducklake_snapshots('wiretrace')"
        versions = []
        for i in range(3):
            with db.transaction(con):
                db.load_articles(con, items, raw, f"v{i}", NOW + timedelta(days=i))
            versions.append(con.execute(snapshot).fetchone()[0])
        before = _rows(con, "articles")
        first = versions[0]
        then = f"SELECT DISTINCT pipeline_version FROM articles AT (VERSION => {first})"
        kept = lake.compact(con, days=7)
        assert kept["snapshots expired"] == 0
        assert _rows(con, "articles") == before
        assert con.execute(then).fetchall() == [("v0",)]  # time travel within the retention
        gone = lake.compact(con, days=0)
        assert gone["snapshots expired"] > 0
        assert _rows(con, "articles") == before
        with pytest.raises(duckdb.Error, match=r"[Nn]o snapshot"):
            con.execute(then).fetchall()
        assert con.execute("SELECT * FROM duplicate_keys").fetchall() == []
    finally:
        con.close()


def _child_dying_in_rewrite(marker: Path | None = None) -> tuple[str, ...]:
    """compact's child process, made to die of SIGSEGV as its rewrite starts (as DuckLake's native code
    once did); with a `marker`, only the first time (the file says it died once)."""
    once = (
        f" and not os.path.exists({str(marker)!r}) and not open({str(marker)!r}, 'w').close()"
        if marker
        else ""
    )
    return (
        "-c",
        "import os, resource, signal; from warehouse import lake; "
        "resource.setrlimit(resource.RLIMIT_CORE, (0, 0)); "
        f"lake.compaction_child(before=lambda step: step == 'rewrite'{once} "
        "and os.kill(os.getpid(), signal.SIGSEGV))",
    )


def test_a_compaction_step_that_dies_runs_again_then_fails_the_call_and_the_warehouse_still_answers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """compact's steps run in a child process: a step that dies natively runs once more in a new one;
    dying twice, it is reported (step, signal, the steps done), this process lives on, the warehouse
    keeps its rows and the load lock is free."""
    con = db.connect(tmp_path / "w.sqlite")
    try:
        items, raw = seed_items()
        with db.transaction(con):
            db.load_articles(con, items, raw, "v1", NOW)
        before = _rows(con, "articles")
        monkeypatch.setattr(lake, "_CHILD", _child_dying_in_rewrite(tmp_path / "died-once"))
        assert lake.compact(con, days=0)["snapshots expired"] > 0
        assert (tmp_path / "died-once").exists() and _rows(con, "articles") == before

        monkeypatch.setattr(lake, "_CHILD", _child_dying_in_rewrite())
        with pytest.raises(
            lake.CompactionFailed, match=r"'rewrite' died of SIGSEGV, twice \(steps done: flush\)"
        ) as failed:
            lake.compact(con, days=0)
        assert (failed.value.step, failed.value.done) == ("rewrite", ["flush"])
        assert _rows(con, "articles") == before
        with open(lake.lake_of(con).lock_file, "rb") as other:  # another writer could take the lock now
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(other, fcntl.LOCK_UN)
        db.start_run(con, "r1", "test", NOW)
        assert con.execute("SELECT run_id FROM runs").fetchall() == [("r1",)]
    finally:
        con.close()


def test_a_batch_that_meets_a_conflict_runs_once_more(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    con, other = db.connect(path), db.connect(path)
    try:
        db.start_run(con, "r0", "test", NOW)
        attempts = []

        def work() -> int:
            attempts.append(len(attempts))
            con.execute("DELETE FROM runs WHERE run_id = 'r0'")
            con.execute(
                "INSERT INTO runs (run_id, flow, started_at, status) VALUES ('r0', 't', now(), 'again')"
            )
            if len(attempts) == 1:
                # a writer outside the load lock (not wiretrace) changes the same table meanwhile
                other.execute("UPDATE runs SET note = 'analyst' WHERE run_id = 'r0'")
            return len(attempts)

        assert db.batch(con, work) == 2  # the first commit met the conflict, the second went through
        rows = con.execute("SELECT status, note FROM runs").fetchall()
        assert rows == [("again", None)]
    finally:
        con.close()
        other.close()
