"""Runs and analysts side by side on the lake: snapshots, the load lock, crashes mid-batch.

Analysts and other writers are real second processes here, since SQLite's, DuckLake's and
flock's locking is what is being tested.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from warehouse import db, lake
from warehouse.session import LegacyWarehouse, WarehouseBusy, check_writable, run_session
from wiretrace import open_warehouse

REPO = Path(__file__).resolve().parents[2]


def _python(code: str, *args: str) -> subprocess.Popen:
    """A second process running `code` from the repo root, talking through stdin/stdout lines."""
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _add_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    with db.transaction(con):
        con.execute(
            "INSERT INTO runs (run_id, flow, started_at, status) VALUES (?, 'test', ?, 'completed')",
            [run_id, datetime.now(UTC)],
        )


def _run_ids(path: Path) -> list[str]:
    con = open_warehouse(path)
    try:
        return [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY run_id").fetchall()]
    finally:
        con.close()


def _tell(proc: subprocess.Popen) -> None:
    proc.stdin.write("\n")
    proc.stdin.flush()


# An analyst holding one read transaction (a snapshot) open until told, then a fresh query.
ANALYST = """
    import sys
    from wiretrace import open_warehouse
    con = open_warehouse(sys.argv[1])
    con.execute("BEGIN TRANSACTION")
    print(con.execute("SELECT count(*) FROM runs").fetchone()[0], flush=True)
    sys.stdin.readline()  # hold the snapshot until told
    print(con.execute("SELECT count(*) FROM runs").fetchone()[0], flush=True)
    con.execute("COMMIT")
    print(con.execute("SELECT count(*) FROM runs").fetchone()[0], flush=True)
    con.close()
"""


def test_a_run_commits_while_an_analyst_holds_a_snapshot(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.sqlite"
    with run_session(path) as con:
        _add_run(con, "r1")
    analyst = _python(ANALYST, str(path))
    try:
        assert analyst.stdout.readline().strip() == "1"
        # wait=5: the writer fails if it has to wait for the reader
        with run_session(path, wait=5) as con:
            _add_run(con, "r2")
        # the reader's snapshot did not move
        _tell(analyst)
        assert analyst.stdout.readline().strip() == "1"
        # its next transaction sees the run's rows
        assert analyst.stdout.readline().strip() == "2"
        assert analyst.wait(timeout=30) == 0, analyst.stderr.read()
    finally:
        analyst.kill()
    assert _run_ids(path) == ["r1", "r2"]


def test_a_full_wiretrace_run_lands_under_an_analyst_session(tmp_path: Path, seeds_dir: Path) -> None:
    """The real CLI run (a separate process, as a scheduled run is) with an analyst holding a snapshot."""
    path = tmp_path / "wiretrace.sqlite"
    with run_session(path) as con:
        _add_run(con, "before")
    analyst = _python(ANALYST, str(path))
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "WIRETRACE_WORKERS": "1"}
    try:
        assert analyst.stdout.readline().strip() == "1"
        run = subprocess.run(
            [sys.executable, "-m", "wiretrace.cli", "run", "--seeds", str(seeds_dir), "--db", str(path)],
            cwd=tmp_path,  # not the checkout: its feeds.yaml would make the run poll real feeds
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        _tell(analyst)
        assert analyst.stdout.readline().strip() == "1"
        assert analyst.stdout.readline().strip() == "2"
    finally:
        analyst.kill()
    con = open_warehouse(path)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'completed'").fetchone()[0] == 2
        assert con.execute("SELECT * FROM duplicate_keys").fetchall() == []
    finally:
        con.close()


# A writer that stops in the middle of a batch (rows written, not committed, load lock held).
HOLDER = """
    import sys
    from datetime import UTC, datetime
    from warehouse import db
    from warehouse.session import run_session
    with run_session(sys.argv[1]) as con, db.transaction(con):
        con.execute("INSERT INTO runs (run_id, flow, started_at, status) "
                    "VALUES ('first', 'test', ?, 'completed')", [datetime.now(UTC)])
        print("holding", flush=True)
        sys.stdin.readline()
    print("committed", flush=True)
"""


def test_a_second_writer_waits_for_the_batch_of_the_first(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.sqlite"
    db.connect(path).close()
    first = _python(HOLDER, str(path))
    try:
        assert first.stdout.readline().strip() == "holding"
        threading.Timer(1.0, _tell, [first]).start()
        with run_session(path, wait=60) as con, db.transaction(con):
            # the lock came only once the first had committed, and its rows are there
            assert first.stdout.readline().strip() == "committed"
            assert [r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()] == ["first"]
            con.execute(
                "INSERT INTO runs (run_id, flow, started_at, status) VALUES ('second', 't', now(), 'x')"
            )
        assert first.wait(timeout=30) == 0, first.stderr.read()
    finally:
        first.kill()
    assert _run_ids(path) == ["first", "second"]


def test_a_writer_skips_when_the_wait_is_over(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "wiretrace.sqlite"
    db.connect(path).close()
    first = _python(HOLDER, str(path))
    try:
        assert first.stdout.readline().strip() == "holding"
        with (
            run_session(path, wait=0.5) as con,
            pytest.raises(WarehouseBusy, match="skipped, nothing of this batch was written"),
            db.transaction(con),
        ):
            pytest.fail("the batch must not run without the lock")
        assert "waiting for another run (pid" in caplog.text
        _tell(first)
        assert first.wait(timeout=30) == 0, first.stderr.read()
    finally:
        first.kill()
    assert _run_ids(path) == ["first"]


def test_a_failed_batch_leaves_the_warehouse_as_before_it(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.sqlite"
    with run_session(path) as con:
        _add_run(con, "good")
        with pytest.raises(ZeroDivisionError), db.transaction(con):
            con.execute(
                "INSERT INTO runs (run_id, flow, started_at, status) VALUES ('half', 't', now(), 'x')"
            )
            con.execute("DELETE FROM runs WHERE run_id = 'good'")
            1 / 0  # noqa: B018
        # the same session goes on after the failed batch
        _add_run(con, "later")
    assert _run_ids(path) == ["good", "later"]


def test_a_writer_killed_mid_batch_leaves_the_warehouse_as_before_and_unlocked(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.sqlite"
    with run_session(path) as con:
        _add_run(con, "good")
    victim = _python(HOLDER, str(path))
    try:
        assert victim.stdout.readline().strip() == "holding"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        victim.kill()
    with run_session(path, wait=5) as con:  # the kernel released its flock
        assert [r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()] == ["good"]
        _add_run(con, "after")
    assert _run_ids(path) == ["after", "good"]
    with open_warehouse(path) as con:
        assert con.execute("SELECT * FROM duplicate_keys").fetchall() == []


def test_time_travel_reads_the_warehouse_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.sqlite"
    with run_session(path) as con:
        _add_run(con, "r1")
        moment = con.execute("SELECT now()").fetchone()[0]
        time.sleep(0.05)
        _add_run(con, "r2")
    with open_warehouse(path) as con:
        then = con.execute("SELECT run_id FROM runs AT (TIMESTAMP => ?) ORDER BY 1", [moment]).fetchall()
        assert then == [("r1",)]
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 2


def test_a_deleted_warehouse_starts_over_empty(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.sqlite"
    with run_session(path) as con:
        _add_run(con, "old")
    # `make clean`: the catalog and its data folder go; the next run starts an empty warehouse
    path.unlink()
    shutil.rmtree(lake.data_folder(path))
    with run_session(path) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    assert _run_ids(path) == []


def test_a_legacy_warehouse_beside_the_catalog_says_how_to_convert_it(tmp_path: Path) -> None:
    old = tmp_path / "wiretrace.duckdb"
    duckdb.connect(str(old)).close()
    with pytest.raises(LegacyWarehouse, match=r"wiretrace migrate --from .*wiretrace\.duckdb"):
        check_writable(tmp_path / "wiretrace.sqlite")
    with pytest.raises(LegacyWarehouse, match="wiretrace migrate"):
        check_writable(old)
    assert not (tmp_path / "wiretrace.sqlite").exists()
