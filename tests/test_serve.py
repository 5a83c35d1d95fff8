"""Scheduled mode heals: a run left PENDING by a dead worker no longer blocks its deployment; the warm
runner runs a deployment's runs one after another in one process, and survives runs that hang, are
cancelled or kill their process.

A real Prefect server on a free 127.0.0.1 port with a temporary PREFECT_HOME, deployments with
`concurrency_limit: 1` (CANCEL_NEW) as in prefect.yaml, and a process worker or the warm runner; every
process started here is stopped as a group.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx
from prefect import flow

from tests.flows import test_deployment
from warehouse.session import run_session
from wiretrace import serve
from wiretrace.warm_runner import infrastructure_id

REPO = Path(__file__).resolve().parents[1]
prefect_server = test_deployment.prefect_server  # the same temporary server as the deployment test


def _post(url: str, body: dict) -> dict:
    return serve.api_post(url, body)


def _deployment(api: str, db: Path, out: Path) -> str:
    """The daily report, deployed through the API like prefect.yaml's ingest ones: one run at a time."""
    params = {"db_path": str(db), "out_dir": str(out)}
    return serve.api_deployment(
        api, "wiretrace-daily-report", "report-one-at-a-time", "flows/report.py:daily_report", REPO, params
    )


def _new_run(api: str, deployment_id: str) -> str:
    return _post(f"{api}/deployments/{deployment_id}/create_flow_run", {})["id"]


def _to_pending(api: str, run_id: str) -> dict:
    """What a worker does when it takes a run: propose PENDING (which takes a concurrency slot)."""
    return _post(f"{api}/flow_runs/{run_id}/set_state", {"state": {"type": "PENDING", "name": "Pending"}})


def _state(api: str, run_id: str) -> str:
    return httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]["type"]


def test_a_run_left_pending_is_closed_and_the_next_run_completes(
    prefect_server: dict, tmp_path: Path
) -> None:
    env, api = prefect_server, prefect_server["PREFECT_API_URL"]
    db = tmp_path / "wiretrace.duckdb"
    with run_session(db):
        pass  # an empty published warehouse: the report has nothing to say, and completes
    serve.create_pool(env, REPO)
    deployment = _deployment(api, db, tmp_path / "reports")

    # A worker took a run (PENDING: the slot is taken) and was killed before it started it (Ctrl-C).
    stuck = _new_run(api, deployment)
    assert _to_pending(api, stuck)["status"] == "ACCEPT"
    # Every later run is now turned away, as in the issue: "Deployment concurrency limit reached".
    blocked = _new_run(api, deployment)
    _to_pending(api, blocked)
    assert _state(api, blocked) in ("CANCELLED", "SCHEDULED") and _state(api, stuck) == "PENDING"
    assert _state(api, blocked) != "PENDING"

    healed = serve.heal_stuck_runs(api, [deployment])
    assert [(was, now) for _, was, now in healed if was == "PENDING"] == [("PENDING", "CRASHED")]
    assert _state(api, stuck) == "CRASHED"

    # The next run goes through a real worker to the end.
    following = _new_run(api, deployment)
    worker = serve.start_worker(env, REPO, tmp_path / "worker.log")
    try:
        done = serve.wait_flow_run(api, following, timeout=180)
    finally:
        serve.stop(worker)
    assert done["state"]["type"] == "COMPLETED", (tmp_path / "worker.log").read_text()[-3000:]
    assert (tmp_path / "reports" / "wiretrace-report.html").is_file()
    # a second heal finds nothing left to close
    time.sleep(0.5)
    assert [h for h in serve.heal_stuck_runs(api, [deployment]) if h[1] != "SCHEDULED"] == []


def test_two_workers_get_the_sharded_feed_polling_instead_of_one_deployment_for_all() -> None:
    import yaml

    one, two = serve.deployment_names(REPO, workers=1), serve.deployment_names(REPO, workers=2)
    assert "feed-poll" in one and not any("shard" in name for name in one)
    assert "feed-poll" not in two and {"seed-ingest", "daily-report"} <= set(two) & set(one)
    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    sharded = [d for d in config["deployments"] if d["name"] in set(two) - set(one)]
    # the shards of one split cover it exactly: 0 .. shards-1, each once, the same feeds file
    (shards,) = {d["parameters"]["shards"] for d in sharded}
    assert sorted(d["parameters"]["shard"] for d in sharded) == list(range(shards)) and shards >= 2
    assert {d["parameters"]["feeds_file"] for d in sharded} == {"feeds.yaml"}
    assert all(d["entrypoint"] == "flows/ingest.py:wiretrace_run" for d in sharded)


def test_every_deployment_writes_the_one_default_warehouse() -> None:
    """Seeds, feeds (sharded or not) and reports are one warehouse: the default of `make run`."""
    import yaml

    from settings import DEFAULT_DB

    config = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))
    paths = {d["name"]: d["parameters"].get("db_path") for d in config["deployments"]}
    assert {p for p in paths.values() if p is not None} == {DEFAULT_DB.as_posix()}, paths


# -- the warm runner (wiretrace/warm_runner.py) ------------------------------------------------------

AEB = REPO.parent / "shared" / "corpus" / "aeb" / "html"


@flow(name="wiretrace-test-stall")
def stall(seconds: float = 0.0, exit_code: int | None = None) -> str:
    """A deployment for the warm runner's tests (loaded by it from this file): sleeps, or kills its
    process as a segfault or the OOM killer would."""
    if exit_code is not None:
        os._exit(exit_code)
    time.sleep(seconds)
    return "slept"


def _ingest_deployment(api: str) -> str:
    """Seed ingest as prefect.yaml deploys it: this checkout, one run at a time."""
    params = {"seeds_dir": "seeds", "feeds_file": None}
    return serve.api_deployment(
        api, "wiretrace-run", "seed-ingest-warm", "flows/ingest.py:wiretrace_run", REPO, params
    )


def _stall_deployment(api: str) -> str:
    return serve.api_deployment(api, "wiretrace-test-stall", "stall", "tests/test_serve.py:stall", REPO)


def _run_with(api: str, deployment_id: str, parameters: dict) -> str:
    return _post(f"{api}/deployments/{deployment_id}/create_flow_run", {"parameters": parameters})["id"]


def _fork_servers(pid: int) -> set[tuple[int, bytes]]:
    """The fork servers among the children of process `pid` (Linux /proc): (pid, start time) each."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            stat = Path(f"/proc/{child}/stat").read_bytes()
            if b"forkserver" in Path(f"/proc/{child}/cmdline").read_bytes():
                found.add((int(child), stat.rsplit(b")", 1)[1].split()[19]))
    return found


def _flow_run(api: str, run_id: str) -> dict:
    return httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()


def _seeds(folder: Path, pages: list[Path]) -> str:
    folder.mkdir()
    for page in pages:
        shutil.copy(page, folder / page.name)
    return str(folder)


def test_the_warm_runner_runs_two_scheduled_runs_in_one_process_with_one_fork_server(
    prefect_server: dict, tmp_path: Path
) -> None:
    env, api = dict(prefect_server), prefect_server["PREFECT_API_URL"]
    env["WIRETRACE_WORKERS"] = "2"  # the extraction pool and its fork server, as on this 2-core machine
    serve.create_pool(env, REPO)
    deployment = _ingest_deployment(api)
    pages = sorted(AEB.glob("*.html.gz"))[:30]  # above the pool's threshold: the workers extract
    log = tmp_path / "runner.log"
    runner = serve.start_runner(env, REPO, log, extra=["--poll", "1"])
    try:
        done, servers = [], []
        for n, chosen in enumerate((pages, pages)):  # the same work twice, each into a new warehouse
            params = {
                "seeds_dir": _seeds(tmp_path / f"seeds-{n}", chosen),
                "db_path": str(tmp_path / f"w{n}.sqlite"),
            }
            run_id = _run_with(api, deployment, params)
            done.append(serve.wait_flow_run(api, run_id, timeout=600))
            assert done[-1]["state"]["type"] == "COMPLETED", log.read_text()[-3000:]
            servers.append(_fork_servers(runner.pid))
        deadline = time.monotonic() + 60  # the runner's line for a run follows its final state
        while log.read_text().count(": COMPLETED in ") < 2 and time.monotonic() < deadline:
            time.sleep(0.5)
        assert runner.poll() is None, log.read_text()[-3000:]  # the same process waits for the next run
    finally:
        serve.stop(runner)
    # both runs in the runner's process, the second with the fork server the first used: no new pool
    assert {r["infrastructure_pid"] for r in done} == {infrastructure_id(runner.pid)}
    assert len(servers[0]) == 1 and servers[0] == servers[1], servers
    for n in range(2):
        with run_session(tmp_path / f"w{n}.sqlite") as con:
            assert con.execute("SELECT count(*) FROM articles").fetchone()[0] >= 25
    lines = [line for line in log.read_text().splitlines() if ": COMPLETED in " in line]
    assert len(lines) == 2 and "run 2 of process" in lines[1], log.read_text()[-3000:]


def test_the_warm_runner_survives_a_hung_a_cancelled_and_a_killed_run(
    prefect_server: dict, tmp_path: Path
) -> None:
    env, api = prefect_server, prefect_server["PREFECT_API_URL"]
    serve.create_pool(env, REPO)
    deployment = _stall_deployment(api)
    log = tmp_path / "runner.log"
    runners = [serve.start_runner(env, REPO, log, extra=["--poll", "1", "--timeout", "20"])]
    crashes: list[float] = []

    def until_final(run_id: str) -> dict:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert serve.keep_runners(runners, env, REPO, api, [deployment], crashes, log) is None
            run = _flow_run(api, run_id)
            if run["state"]["type"] in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
                return run
            time.sleep(0.5)
        raise AssertionError(f"{run_id} not final: {log.read_text()[-3000:]}")

    try:
        first_pid = runners[0].pid
        hung = until_final(_run_with(api, deployment, {"seconds": 3600}))
        assert (
            hung["state"]["type"] == "CRASHED" and "WIRETRACE_SERVE_RUN_TIMEOUT" in hung["state"]["message"]
        )

        cancelled = _run_with(api, deployment, {"seconds": 3600})
        deadline = time.monotonic() + 300
        while _flow_run(api, cancelled)["state"]["type"] != "RUNNING":
            assert serve.keep_runners(runners, env, REPO, api, [deployment], crashes, log) is None
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.5)
        _post(
            f"{api}/flow_runs/{cancelled}/set_state", {"state": {"type": "CANCELLING", "name": "Cancelling"}}
        )
        assert until_final(cancelled)["state"]["type"] == "CANCELLED"

        killed = until_final(_run_with(api, deployment, {"exit_code": 9}))
        assert killed["state"]["type"] == "CRASHED", log.read_text()[-3000:]  # closed by the supervisor

        after = until_final(_run_with(api, deployment, {"seconds": 0}))
        assert after["state"]["type"] == "COMPLETED", log.read_text()[-3000:]
        assert runners[0].poll() is None and runners[0].pid != first_pid
        assert crashes and len(crashes) == 1  # only the kill counts towards giving up
    finally:
        serve.stop(runners[0])
