"""prefect.yaml end to end: a local server, `prefect deploy --all`, a process worker, the seed deployment.

Everything listens on a free 127.0.0.1 port with a temporary PREFECT_HOME, and every process
started here is stopped (as a process group) whatever happens. The scheduler service is off so
the cron schedules create no runs of their own while the test runs.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from wiretrace import open_warehouse, serve

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def prefect_server(tmp_path: Path):
    port = serve.free_port()
    env = serve.prefect_env(
        tmp_path / "prefect",
        port,
        REPO,
        {
            "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
            "PREFECT_WORKER_QUERY_SECONDS": "1",  # pick the triggered run up at once
            "WIRETRACE_WORKERS": "1",
        },
    )
    (tmp_path / "prefect").mkdir()
    server = serve.start_server(env, REPO, tmp_path / "server.log")
    try:
        t0 = time.monotonic()
        serve.wait_healthy(env["PREFECT_API_URL"], server, timeout=60)
        print(f"server up in {time.monotonic() - t0:.1f} s")
        yield env
    finally:
        serve.stop(server)
        assert not serve._group_alive(server.pid)


def test_seed_deployment_runs_through_a_worker(prefect_server: dict, tmp_path: Path) -> None:
    env, api = prefect_server, prefect_server["PREFECT_API_URL"]
    serve.create_pool(env, REPO)
    t0 = time.monotonic()
    out = serve.deploy(env, REPO)
    print(f"deployed in {time.monotonic() - t0:.1f} s")
    names = {d["name"] for d in httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()}
    assert {"seed-ingest", "feed-poll", "daily-report"} <= names, out
    seed = httpx.get(f"{api}/deployments/name/{serve.SEED_DEPLOYMENT}", timeout=10).json()
    assert seed["work_pool_name"] == serve.POOL
    assert seed["pull_steps"][0]["prefect.deployments.steps.set_working_directory"]["directory"] == str(REPO)
    crons = {s["schedule"]["cron"] for s in seed["schedules"]}
    assert crons == {"0 5 * * *"}

    db_path = tmp_path / "wiretrace.duckdb"  # never the checkout's warehouse
    run_id = serve.run_deployment(env, REPO, serve.SEED_DEPLOYMENT, {"db_path": str(db_path)})
    worker = serve.start_worker(env, REPO, tmp_path / "worker.log")
    t0 = time.monotonic()
    try:
        run = serve.wait_flow_run(api, run_id, timeout=75)
        print(f"flow run done in {time.monotonic() - t0:.1f} s")
    finally:
        serve.stop(worker)
    log = (tmp_path / "worker.log").read_text(errors="replace")
    assert run["state"]["type"] == "COMPLETED", log[-4000:]

    con = open_warehouse(db_path)
    try:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    finally:
        con.close()
    tasks = httpx.post(
        f"{api}/task_runs/filter", json={"flow_runs": {"id": {"any_": [run_id]}}}, timeout=10
    ).json()
    assert {"read-seeds", "load-batch", "publish-summary"} <= {t["name"].rsplit("-", 1)[0] for t in tasks}
    artifacts = httpx.post(
        f"{api}/artifacts/filter", json={"artifacts": {"flow_run_id": {"any_": [run_id]}}}, timeout=10
    ).json()
    assert "run-summary" in {a["key"] for a in artifacts}
