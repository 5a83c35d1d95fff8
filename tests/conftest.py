"""Shared fixtures: paths to the seeds and to the real-world corpus in ../shared."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from settings import API_START_SECONDS

# Prefect's telemetry writes to its database from a second thread and logs "database is locked".
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# The worker pool's cache (the language model) goes to a folder of the test session, not the
# user's cache; set before settings reads it.
_CACHE = tempfile.mkdtemp(prefix="wiretrace-test-cache-")
os.environ["WIRETRACE_CACHE"] = _CACHE
atexit.register(shutil.rmtree, _CACHE, ignore_errors=True)
# Prefect's home (its temporary API's SQLite database) is the test process's own: `make test` runs
# two processes, which would lock each other out of one file, and a user's ~/.prefect stays untouched.
_PREFECT_HOME = tempfile.mkdtemp(prefix="wiretrace-test-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
atexit.register(shutil.rmtree, _PREFECT_HOME, ignore_errors=True)

# Prefect's temporary API gets the generous start limit `wiretrace run` gives it (a loaded machine).
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(API_START_SECONDS))

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SEEDS = REPO / "seeds"
CORPUS = SHARED / "corpus"
GOLD = SHARED / "gold" / "seeds.json"


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    return require_corpus(CORPUS)


def resolve_gold(gold: dict, seeds: Path) -> dict[str, dict]:
    """Gold entries keyed by the seed file they describe: each key must be the file it names.

    Checked, not assumed: the file must hold every body_must_contain phrase of its entry (the
    gold once described two files under each other's names).
    """
    entries = {key: entry for key, entry in gold.items() if not key.startswith("_")}
    for key, entry in entries.items():
        text = (seeds / key).read_text(encoding="utf-8")
        missing = [s for s in entry["body_must_contain"] if s not in text]
        assert not missing, f"gold entry {key} does not describe the file {key}: it lacks {missing}"
    return entries


@pytest.fixture(scope="session")
def seed_gold() -> dict[str, dict]:
    """File name -> its gold entry, plus '_reuse'/'_not_reuse' as pairs of file names."""
    import json

    if not GOLD.is_file():
        pytest.fail(f"the seeds' gold is missing at {GOLD}: clone wiretrace next to shared/")
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    by_file = resolve_gold(gold, SEEDS)
    by_file["_reuse"] = [(e["article"], e["copied_from"]) for e in gold["_reuse"]]
    by_file["_not_reuse"] = [(e["a"], e["b"]) for e in gold["_not_reuse"]]
    return by_file


def require_corpus(path: Path) -> Path:
    """`path` under the shared corpus; fails (never skips) with where ../shared should be."""
    if not path.exists():
        pytest.fail(f"{path} is missing: the shared corpus belongs at {CORPUS}; clone wiretrace next to it")
    return path


TEXT_ROLES = {"origin", "cited", "via", "reuse"}


def source_problems(
    tags: list[tuple[str, str]], expected: dict[str, list[str]], with_reuse: bool
) -> list[str]:
    """What is wrong with (source, role) tags against a gold `sources` map.

    Each listed source needs one of its roles; a text role (origin, cited, via, reuse) is
    only right for a listed source and one of its listed roles. Without reuse (no warehouse),
    reuse-only expectations are skipped, and so are via-only ones for outlets in no registry:
    only the stored article a via link points to can name those.
    """
    from transforms.registry import load_registry

    problems = []
    found: dict[str, set[str]] = {}
    for source, role in tags:
        found.setdefault(source, set()).add(role)
    for source, roles in expected.items():
        wanted = set(roles) if with_reuse else set(roles) - {"reuse"}
        if not with_reuse and wanted == {"via"} and source not in load_registry().by_name:
            continue
        if wanted and not wanted & found.get(source, set()):
            problems.append(
                f"{source}: expected one of {sorted(wanted)}, found {sorted(found.get(source, []))}"
            )
    for source, roles in found.items():
        wrong = (roles & TEXT_ROLES) - set(expected.get(source, []))
        if wrong:
            problems.append(f"{source}: tagged {sorted(wrong)} but gold allows {expected.get(source, [])}")
    return problems


@pytest.fixture(scope="session")
def pg_server():
    """One throwaway PostgreSQL (Debian package) on 127.0.0.1 for the session; stopped at its end.

    Skips when the server binaries are missing, except under CI, where that is a failure (.ci/run
    installs the package). Use `pg_dsn`, or `pg_server.create_database(name)` for a database of your own.
    """
    from wiretrace import postgres

    try:
        postgres.bin_dir()
    except postgres.PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set and {exc}")
        pytest.skip(str(exc))
    server = postgres.start()
    try:
        yield server
    finally:
        postgres.stop(server)


@pytest.fixture(scope="session")
def pg_dsn(pg_server) -> str:
    """libpq DSN of the session's PostgreSQL (database `postgres`, superuser, trust auth)."""
    return pg_server.dsn()


def copy_warehouse(path: Path, folder: Path) -> Path:
    """A copy of the warehouse at `path` (its catalog, data and archive: the folder it is in) in `folder`.

    Opened as wiretrace opens it (the data folder given on every attach), a copy reads its own files. Not
    for the README's stock `duckdb` ATTACH, which takes the data folder the catalog was made with.
    """
    shutil.copytree(path.parent, folder)
    return folder / path.name


@pytest.fixture(scope="session")
def seeds_run(prefect_harness, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One `wiretrace_run` on the seeds into a fresh warehouse, made once per test process.

    Read it, or write to a copy of it (copy_warehouse): several modules start from these rows, and a run
    on a fresh lake is seconds.
    """
    from flows.ingest import wiretrace_run

    path = tmp_path_factory.mktemp("seeds-run") / "wiretrace.sqlite"
    result = wiretrace_run(seeds_dir=str(SEEDS), db_path=str(path))
    assert (result["new"], result["failed"]) == (5, 0)
    return path


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for the whole session (it takes seconds to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=API_START_SECONDS):
        yield


# The modules that take longest (each a whole run or more, servers, subprocesses), longest first:
# `make test` (-n 2 --dist loadfile) hands whole modules to its two processes in collection order, so
# these go first and the many short modules last, where they even out the two processes' ends; a long
# module collected last kept one process busy alone (tests/warehouse/test_session.py was last but one).
# Measured with `pytest tests/DIR -p no:randomly --durations=0`, one folder at a time (2026-12-01).
LONGEST_FIRST = (
    "tests/test_serve.py",
    "tests/test_cli.py",
    "tests/warehouse/test_lake.py",
    "tests/warehouse/test_session.py",
    "tests/flows/test_ingest.py",
    "tests/warehouse/test_migrate.py",
    "tests/test_cluster.py",
    "tests/flows/test_deployment.py",
    "tests/flows/test_feeds.py",
    "tests/flows/test_alerts.py",
    "tests/warehouse/test_db.py",
    "tests/flows/test_archive.py",
    "tests/test_fuzz.py",
    "tests/flows/test_provenance.py",
    "tests/test_temporary_api.py",
    "tests/test_report.py",
    "tests/flows/test_workers.py",
    "tests/warehouse/test_questions.py",
    "tests/flows/test_tasks.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The modules of LONGEST_FIRST first, in its order; every other module after them, as collected."""
    rank = {path: n for n, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Stop the Prefect API a flow run outside the harness started in this process, while pytest runs.

    Prefect stops its temporary API from an atexit hook, which logs "Stopping temporary server" after
    pytest has closed the captured stderr its console handler was bound to: "--- Logging error ---
    ValueError: I/O operation on closed file". Events and API logs are drained first, or their
    workers log that they cannot reach the stopped server.
    """
    import logging
    import sys

    server = sys.modules.get("prefect.server.api.server")
    if server is None:
        return
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    prefect_logger = logging.getLogger("prefect")
    level = prefect_logger.level
    prefect_logger.setLevel(logging.ERROR)  # its shutdown chatter: "still processing", "stopping"
    try:
        for service in (EventsWorker, APILogWorker):
            service.drain_all(timeout=30)
        for instance in list(server.SubprocessASGIServer._instances.values()):
            instance.stop()
    finally:
        prefect_logger.setLevel(level)
