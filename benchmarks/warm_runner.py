"""Scheduled mode: what a run costs through Prefect's process worker against `wiretrace serve`'s warm runner.

A Prefect server (temporary PREFECT_HOME, free 127.0.0.1 port, scheduler off) with the seed-ingest
deployment of this checkout, made through the API as prefect.yaml makes it. Each mode gets a worker
(Prefect's process worker: a fresh process per run; or the warm runner, wiretrace/warm_runner.py: one
process that runs them all), started and online before the clock. Then --runs runs are triggered one
after another, each ingesting the same --pages AEB pages into a fresh warehouse (the same work every
time), and timed from the trigger to the final state as the API reports it, which is what a schedule
waits for. Beside it, the flow's own time (Prefect's record of the run, start to end): the
difference is the fixed cost around the flow (a process, its imports, the fork server, the language
model). Both workers poll every second.

    .venv/bin/python benchmarks/warm_runner.py [--runs 3] [--pages 30] [--modes process warm]

The machine is shared: compare the modes' ratios, and read the load average printed beside them.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
AEB = REPO.parent / "shared" / "corpus" / "aeb" / "html"


def _online(api: str, name: str, timeout: float = 300) -> None:
    """Until the worker `name` has sent its first heartbeat to the pool."""
    from wiretrace import serve

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = httpx.post(f"{api}/work_pools/{serve.POOL}/workers/filter", json={}, timeout=10)
        if answer.status_code == 200 and any(w["name"] == name for w in answer.json()):
            return
        time.sleep(0.5)
    raise TimeoutError(f"worker {name} not online after {timeout:.0f} s")


def _flow_seconds(run: dict) -> float:
    from datetime import datetime

    start, end = run.get("start_time"), run.get("end_time")
    if not start or not end:
        return float("nan")
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds()


def measure(mode: str, runs: int, pages: int, root: Path) -> list[tuple[float, float, float]]:
    """(trigger to final state, the flow's own time, load average) of each run, in order."""
    from wiretrace import serve

    home = root / f"prefect-{mode}"
    home.mkdir()
    env = serve.prefect_env(
        home,
        serve.free_port(),
        REPO,
        {"PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false", "PREFECT_WORKER_QUERY_SECONDS": "1"},
    )
    api = env["PREFECT_API_URL"]
    seeds = root / f"seeds-{mode}"
    seeds.mkdir()
    for page in sorted(AEB.glob("*.html.gz"))[:pages]:
        shutil.copy(page, seeds / page.name)
    server = serve.start_server(env, REPO, home / "server.log")
    worker = None
    out: list[tuple[float, float, float]] = []
    try:
        serve.wait_healthy(api, server, timeout=180)
        serve.create_pool(env, REPO)
        deployment = serve.api_deployment(
            api, "wiretrace-run", "seed-ingest", "flows/ingest.py:wiretrace_run", REPO, {"feeds_file": None}
        )
        name = f"bench-{mode}"
        log = root / f"{mode}.log"
        if mode == "warm":
            worker = serve.start_runner(env, REPO, log, name=name, extra=["--poll", "1"])
        else:
            worker = serve.start_worker(env, REPO, log, name=name)
        _online(api, name)
        if mode == "warm":  # online means polling; warm means it has imported everything first
            while "warm in" not in log.read_text():
                time.sleep(0.2)
        for n in range(runs):
            params = {"seeds_dir": str(seeds), "db_path": str(root / f"{mode}-{n}.sqlite")}
            began = time.perf_counter()
            run_id = serve.api_post(
                f"{api}/deployments/{deployment}/create_flow_run", {"parameters": params}
            )["id"]
            run = serve.wait_flow_run(api, run_id, timeout=900)
            took = time.perf_counter() - began
            if run["state"]["type"] != "COMPLETED":
                raise RuntimeError(f"{mode} run {n}: {run['state']['type']}; log: {log}")
            out.append((took, _flow_seconds(run), os.getloadavg()[0]))
            print(
                f"  {mode:<8} run {n + 1}: {took:6.1f} s trigger to Completed, flow {out[-1][1]:5.1f} s, "
                f"load average {out[-1][2]:.1f}",
                flush=True,
            )
    finally:
        serve.stop(worker)
        serve.stop(server)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", type=int, default=30)
    parser.add_argument("--modes", nargs="+", default=["process", "warm"], choices=["process", "warm"])
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    results = {}
    with tempfile.TemporaryDirectory(prefix="wiretrace-warm-") as tmp:
        for mode in args.modes:
            results[mode] = measure(mode, args.runs, args.pages, Path(tmp))
    print(f"\n{args.pages} AEB pages a run, each into a fresh warehouse; seconds from trigger to Completed")
    print(f"{'mode':<10}{'run 1':>8}{'later (median)':>16}{'flow, later':>13}{'outside the flow':>18}  load")
    for mode, rows in results.items():
        later = rows[1:] or rows
        wall = statistics.median(r[0] for r in later)
        flow = statistics.median(r[1] for r in later)
        loads = [r[2] for r in rows]
        print(
            f"{mode:<10}{rows[0][0]:>8.1f}{wall:>16.1f}{flow:>13.1f}{wall - flow:>18.1f}  "
            f"{min(loads):.1f}-{max(loads):.1f}"
        )
    if {"process", "warm"} <= results.keys():
        later = {m: statistics.median(r[0] for r in (rows[1:] or rows)) for m, rows in results.items()}
        print(f"warm runner / process worker, later runs: {later['warm'] / later['process']:.2f}x the time")
    return 0


if __name__ == "__main__":
    sys.exit(main())
