"""Runs and analysts side by side: the working copy, the run lock and the atomic publish.

Analysts and other runs are real second processes here, since DuckDB's and flock's locks
are what is being tested.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from warehouse.session import WarehouseBusy, WarehouseFiles, run_session

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
    con.execute(
        "INSERT INTO runs (run_id, flow, started_at, status) VALUES (?, 'test', ?, 'completed')",
        [run_id, datetime.now(UTC)],
    )


def _run_ids(path: Path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return [r[0] for r in con.execute("SELECT run_id FROM runs ORDER BY run_id").fetchall()]
    finally:
        con.close()


ANALYST = """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    print(con.execute("SELECT count(*) FROM runs").fetchone()[0], flush=True)
    sys.stdin.readline()  # hold the session until told
    print(con.execute("SELECT count(*) FROM runs").fetchone()[0], flush=True)
    con.close()
"""


def test_run_completes_while_an_analyst_reads(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.duckdb"
    with run_session(path) as con:
        _add_run(con, "r1")
    analyst = _python(ANALYST, str(path))
    try:
        assert analyst.stdout.readline().strip() == "1"
        with run_session(path, wait=5) as con:
            _add_run(con, "r2")
        # the open session keeps its snapshot; it is not broken by the publish
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        assert analyst.stdout.readline().strip() == "1"
        assert analyst.wait(timeout=20) == 0, analyst.stderr.read()
    finally:
        analyst.kill()
    # the analyst's next session sees the run's rows
    assert _run_ids(path) == ["r1", "r2"]


def test_a_full_wiretrace_run_lands_under_an_analyst_session(tmp_path: Path, seeds_dir: Path) -> None:
    """The real CLI run (a separate process, as a scheduled run is) with an analyst holding the file."""
    path = tmp_path / "wiretrace.duckdb"
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
            timeout=120,
        )
        assert run.returncode == 0, run.stderr[-3000:]
        analyst.stdin.write("\n")
        analyst.stdin.flush()
        assert analyst.stdout.readline().strip() == "1"
    finally:
        analyst.kill()
    con = duckdb.connect(str(path), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'completed'").fetchone()[0] == 2
    finally:
        con.close()


HOLDER = """
    import sys, time
    from datetime import UTC, datetime
    from warehouse.session import run_session
    with run_session(sys.argv[1]) as con:
        con.execute("INSERT INTO runs (run_id, flow, started_at, status) "
                    "VALUES ('first', 'test', ?, 'completed')", [datetime.now(UTC)])
        print("holding", flush=True)
        sys.stdin.readline()
    print("published", flush=True)
"""


def test_a_second_run_waits_for_the_first(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.duckdb"
    first = _python(HOLDER, str(path))
    try:
        assert first.stdout.readline().strip() == "holding"

        def release() -> None:
            time.sleep(1.0)
            first.stdin.write("\n")
            first.stdin.flush()

        import threading

        threading.Thread(target=release, daemon=True).start()
        with run_session(path, wait=30) as con:
            # it got the lock only once the first had published (and said so), and starts from
            # what the first run published, not from an empty or half copy
            assert first.stdout.readline().strip() == "published"
            assert [r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()] == ["first"]
            _add_run(con, "second")
        assert first.wait(timeout=20) == 0, first.stderr.read()
    finally:
        first.kill()
    assert _run_ids(path) == ["first", "second"]


def test_a_second_run_skips_when_the_wait_is_over(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "wiretrace.duckdb"
    first = _python(HOLDER, str(path))
    try:
        assert first.stdout.readline().strip() == "holding"
        with pytest.raises(WarehouseBusy, match="skipped, nothing was written"), run_session(path, wait=0.5):
            pytest.fail("the body must not run without the lock")
        assert "waiting for another run (pid" in caplog.text
        first.stdin.write("\n")
        first.stdin.flush()
        assert first.wait(timeout=20) == 0, first.stderr.read()
    finally:
        first.kill()
    assert _run_ids(path) == ["first"]


def test_a_failed_run_publishes_nothing_and_leaves_nothing_behind(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.duckdb"
    with run_session(path) as con:
        _add_run(con, "good")
    before = path.stat().st_ino
    with pytest.raises(ZeroDivisionError), run_session(path) as con:
        _add_run(con, "half")
        1 / 0  # noqa: B018
    assert path.stat().st_ino == before
    assert _run_ids(path) == ["good"]
    # the next run starts again from the published file, without the failed run's rows
    with run_session(path) as con:
        assert [r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()] == ["good"]


def test_a_killed_run_releases_the_lock_and_is_forgotten(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.duckdb"
    with run_session(path) as con:
        _add_run(con, "good")
    victim = _python(HOLDER, str(path))
    try:
        assert victim.stdout.readline().strip() == "holding"
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=10)
    finally:
        victim.kill()
    with run_session(path, wait=5) as con:
        assert [r[0] for r in con.execute("SELECT run_id FROM runs").fetchall()] == ["good"]
    assert _run_ids(path) == ["good"]


def test_adopts_an_existing_warehouse_and_starts_over_when_it_is_deleted(tmp_path: Path) -> None:
    path = tmp_path / "wiretrace.duckdb"
    # a warehouse written directly (before publishing existed): no working copy next to it
    from warehouse import db

    con = db.connect(path)
    _add_run(con, "old")
    con.close()
    assert not WarehouseFiles.of(path).work.exists()
    with run_session(path) as con:
        _add_run(con, "new")
    assert _run_ids(path) == ["new", "old"]
    path.unlink()  # `make clean`: the user wants an empty warehouse
    with run_session(path) as con:
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0
    assert _run_ids(path) == []
