"""Scheduled mode heals: a run left PENDING by a dead worker no longer blocks its deployment.

A real Prefect server on a free 127.0.0.1 port with a temporary PREFECT_HOME, a deployment with
`concurrency_limit: 1` (CANCEL_NEW) as in prefect.yaml, and a process worker; every process started
here is stopped as a group.
"""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from tests.flows import test_deployment
from warehouse.session import run_session
from wiretrace import serve

REPO = Path(__file__).resolve().parents[1]
prefect_server = test_deployment.prefect_server  # the same temporary server as the deployment test


def _post(url: str, body: dict) -> dict:
    """POST to the test server. Its SQLite database answers 5xx ("database is locked") on a loaded
    machine now and then; that is the server's, not what this test checks, so it is asked again."""
    for _ in range(5):
        answer = httpx.post(url, json=body, timeout=30)
        if answer.status_code < 500:
            break
        time.sleep(1)
    assert answer.status_code < 300, f"{url}: {answer.status_code} {answer.text[:500]}"
    return answer.json()


def _deployment(api: str, db: Path, out: Path) -> str:
    """The daily report, deployed through the API like prefect.yaml's ingest ones: one run at a time."""
    flow = _post(f"{api}/flows/", {"name": "wiretrace-daily-report"})
    body = {
        "name": "report-one-at-a-time",
        "flow_id": flow["id"],
        "work_pool_name": serve.POOL,
        "entrypoint": "flows/report.py:daily_report",
        "path": str(REPO),
        "pull_steps": [{"prefect.deployments.steps.set_working_directory": {"directory": str(REPO)}}],
        "parameters": {"db_path": str(db), "out_dir": str(out)},
        "concurrency_limit": 1,
        "concurrency_options": {"collision_strategy": "CANCEL_NEW"},
    }
    return _post(f"{api}/deployments/", body)["id"]


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
