"""Scheduled mode: a local Prefect server, the work pool, the deployments of prefect.yaml and a worker.

Every process is started in its own process group and stopped as a group (worker first, then the
server), so Ctrl-C or SIGTERM leaves no stray server, worker or flow-run process behind. The
helpers are public because tests/flows/test_deployment.py drives the same sequence.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import httpx
import yaml

from settings import serve_runner

POOL = "wiretrace-local"
SEED_DEPLOYMENT = "wiretrace-run/seed-ingest"
STOP_GRACE = 15.0  # seconds a process group gets to exit after SIGTERM before SIGKILL


def prefect_bin() -> str:
    """The `prefect` of this interpreter's environment (the venv), not whatever is on PATH."""
    candidate = Path(sys.executable).with_name("prefect")
    return str(candidate) if candidate.exists() else "prefect"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prefect_env(home: Path, port: int, repo: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for the server, deploy, worker and flow runs: one PREFECT_HOME, one API URL."""
    env = dict(os.environ)
    env.update(
        {
            "PREFECT_HOME": str(home.resolve()),
            "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
            "PREFECT_SERVER_API_HOST": "127.0.0.1",
            "PREFECT_SERVER_API_PORT": str(port),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_ENABLED": "true",
            # prefect.yaml's pull step is set_working_directory("{{ $PWD }}"), resolved at deploy time
            "PWD": str(repo.resolve()),
        }
    )
    env.update(extra or {})
    return env


def start(args: Sequence[str], env: dict[str, str], cwd: Path, log: Path | None = None) -> subprocess.Popen:
    """A background process in its own process group (so stopping it stops its children too)."""
    out = open(log, "ab") if log else None  # noqa: SIM115 - the child owns it for its lifetime
    try:
        return subprocess.Popen(
            list(args),
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT if out else None,
            start_new_session=True,
        )
    finally:
        if out:
            out.close()  # the child has its own copy of the descriptor


def stop(proc: subprocess.Popen | None, grace: float = STOP_GRACE) -> None:
    """SIGTERM the process group, then SIGKILL what is left after `grace` seconds; reap the leader."""
    if proc is None:
        return
    stop_group(proc.pid, grace, reap=proc.poll)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def stop_group(pgid: int, grace: float = STOP_GRACE, reap: Callable[[], object] | None = None) -> None:
    """SIGTERM the process group `pgid`, then SIGKILL what is left after `grace` seconds.

    Also for groups another process started (`make cluster-stop`); `reap` polls our own child.
    """
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline and _group_alive(pgid):
            if reap:
                reap()
            time.sleep(0.2)
        if not _group_alive(pgid):
            break


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie still takes signals: a group whose leader's parent exited (and whose new parent does
    # not reap) would look alive forever. Where /proc exists, only members still running count.
    proc = Path("/proc")
    return not proc.is_dir() or any(_running_in_group(stat, pgid) for stat in proc.glob("[0-9]*/stat"))


def _running_in_group(stat: Path, pgid: int) -> bool:
    fields = stat_fields(stat)
    return fields is not None and int(fields[2]) == pgid and fields[0] != "Z"


def stat_fields(stat: Path) -> list[str] | None:
    """The fields of /proc/PID/stat after the command name: state, ppid, pgrp, ...; None if gone."""
    try:
        # the command name is in parentheses and may hold spaces
        return stat.read_text().rpartition(")")[2].split()
    except OSError:
        return None


def start_server(env: dict[str, str], repo: Path, log: Path) -> subprocess.Popen:
    port = env["PREFECT_SERVER_API_PORT"]
    return start([prefect_bin(), "server", "start", "--host", "127.0.0.1", "--port", port], env, repo, log)


def wait_healthy(api_url: str, proc: subprocess.Popen, timeout: float = 90.0) -> None:
    """Until the API answers /health; fails early if the server process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Prefect server exited with code {proc.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{api_url}/health", timeout=2).status_code == 200:
                return
        time.sleep(0.5)
    raise TimeoutError(f"the Prefect server did not answer at {api_url} within {timeout:.0f} s")


def prefect(args: Sequence[str], env: dict[str, str], repo: Path, timeout: float = 180) -> str:
    """Run one prefect CLI command to completion; its output, or an error that includes it."""
    done = subprocess.run(
        [prefect_bin(), *args], env=env, cwd=repo, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"prefect {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
        )
    return done.stdout


def create_pool(env: dict[str, str], repo: Path) -> None:
    # --overwrite makes a second `make serve` a no-op instead of an error
    prefect(["work-pool", "create", POOL, "--type", "process", "--overwrite"], env, repo)


SHARDED_TAG = "sharded"  # prefect.yaml: feed polling split by host between the workers of the pool
UNSHARDED = "feed-poll"  # what the sharded deployments replace


def deployment_names(repo: Path, workers: int = 1) -> list[str]:
    """The deployments of prefect.yaml to deploy for `workers` workers, in file order: with one worker
    feed-poll polls every feed; with two or more, the sharded feed-poll deployments do instead."""
    config = yaml.safe_load((repo / "prefect.yaml").read_text(encoding="utf-8"))
    names = []
    for d in config.get("deployments") or []:
        sharded = SHARDED_TAG in (d.get("tags") or [])
        if sharded if workers < 2 else d["name"] == UNSHARDED:
            continue
        names.append(d["name"])
    return names


def deploy(env: dict[str, str], repo: Path, names: Sequence[str] = ()) -> list[str]:
    """`prefect deploy` of prefect.yaml's deployments (or only `names`), each by name; their ids.

    Each deployment is checked through the API after its command ends, so a deploy that printed
    success without saving (or saved and then failed) is reported with the command's output.
    """
    api = env["PREFECT_API_URL"]
    # In parallel: each deploy imports its flow's module, which takes seconds.
    running = {
        name: subprocess.Popen(
            [prefect_bin(), "--no-prompt", "deploy", "--name", name],
            env=env,
            cwd=repo,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in names or deployment_names(repo)
    }
    ids = []
    for name, proc in running.items():
        output, _ = proc.communicate(timeout=300)
        found = re.search(r"/deployments/deployment/([0-9a-f-]{36})", output)
        saved = found and httpx.get(f"{api}/deployments/{found.group(1)}", timeout=10)
        if not saved or saved.status_code != 200 or saved.json()["name"] != name:
            raise RuntimeError(f"prefect deploy --name {name} failed ({proc.returncode}):\n{output[-3000:]}")
        if proc.returncode != 0:
            raise RuntimeError(f"prefect deploy --name {name} failed ({proc.returncode}):\n{output[-3000:]}")
        ids.append(saved.json()["id"])
    return ids


def start_worker(
    env: dict[str, str], repo: Path, log: Path | None = None, name: str = "wiretrace-worker"
) -> subprocess.Popen:
    return start(
        [prefect_bin(), "worker", "start", "--pool", POOL, "--type", "process", "--name", name],
        env,
        repo,
        log,
    )


def start_runner(
    env: dict[str, str],
    repo: Path,
    log: Path | None = None,
    name: str = "wiretrace-runner",
    extra: Sequence[str] = (),
) -> subprocess.Popen:
    """The warm runner (wiretrace/warm_runner.py): the pool's runs in one long-lived process."""
    command = [sys.executable, "-m", "wiretrace.warm_runner", "--pool", POOL, "--name", name, *extra]
    return start(command, env, repo, log)


def api_post(url: str, body: dict, tries: int = 5) -> dict:
    """POST to a Prefect API; asked again on 5xx (a local server's SQLite answers "database is locked"
    now and then on a loaded machine)."""
    for _ in range(tries):
        answer = httpx.post(url, json=body, timeout=30)
        if answer.status_code < 500:
            break
        time.sleep(1)
    if answer.status_code >= 300:
        raise RuntimeError(f"{url}: {answer.status_code} {answer.text[:500]}")
    return answer.json()


def api_deployment(
    api_url: str,
    flow_name: str,
    name: str,
    entrypoint: str,
    repo: Path,
    parameters: dict | None = None,
    one_at_a_time: bool = True,
) -> str:
    """A deployment of this checkout's `entrypoint` in the pool, made through the API (what `prefect
    deploy` makes of prefect.yaml, without importing the flow); its id."""
    flow = api_post(f"{api_url}/flows/", {"name": flow_name})
    body: dict = {
        "name": name,
        "flow_id": flow["id"],
        "work_pool_name": POOL,
        "entrypoint": entrypoint,
        "path": str(repo),
        "pull_steps": [{"prefect.deployments.steps.set_working_directory": {"directory": str(repo)}}],
        "parameters": parameters or {},
    }
    if one_at_a_time:  # as prefect.yaml's ingest deployments
        body |= {"concurrency_limit": 1, "concurrency_options": {"collision_strategy": "CANCEL_NEW"}}
    return api_post(f"{api_url}/deployments/", body)["id"]


def run_deployment(env: dict[str, str], repo: Path, name: str, params: dict | None = None) -> str:
    """Trigger a deployment now; the flow run's id."""
    args = ["deployment", "run", name]
    for key, value in (params or {}).items():
        args += ["--param", f"{key}={json.dumps(value)}"]
    out = prefect(args, env, repo)
    found = re.search(r"UUID:\s*([0-9a-f-]{36})", out)
    if not found:
        raise RuntimeError(f"no flow run id in the output of prefect deployment run:\n{out}")
    return found.group(1)


def wait_flow_run(api_url: str, flow_run_id: str, timeout: float) -> dict:
    """Poll the flow run until it reaches a final state; the flow run as the API returns it."""
    deadline = time.monotonic() + timeout
    while True:
        run = httpx.get(f"{api_url}/flow_runs/{flow_run_id}", timeout=10).json()
        if (run.get("state") or {}).get("type") in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED"):
            return run
        if time.monotonic() > deadline:
            raise TimeoutError(f"flow run {flow_run_id} still {run.get('state_name')} after {timeout:.0f} s")
        time.sleep(1)


RUNNER_SAYS = {
    "warm": "one after another in a warm process (WIRETRACE_SERVE_RUNNER=warm)",
    "process": "each in a fresh process of Prefect's worker (WIRETRACE_SERVE_RUNNER=process)",
}
RESTARTS_ALLOWED = 5  # warm runner crashes within RESTART_WINDOW seconds before serve gives up
RESTART_WINDOW = 300.0


def _too_many(crashes: list[float], returncode: int | None) -> bool:
    """Count a warm runner's exit; True when it crashed too often to keep restarting it. Exits the
    runner chose (new code, a run that hung or was cancelled) do not count."""
    from wiretrace.warm_runner import EXIT_CANCELLED, EXIT_RELOAD, EXIT_TIMEOUT

    if returncode in (EXIT_RELOAD, EXIT_TIMEOUT, EXIT_CANCELLED):
        return False
    now = time.monotonic()
    crashes[:] = [t for t in crashes if now - t < RESTART_WINDOW] + [now]
    return len(crashes) > RESTARTS_ALLOWED


def keep_runners(
    runners: list[subprocess.Popen],
    env: dict[str, str],
    repo: Path,
    api_url: str,
    deployment_ids: Sequence[str],
    crashes: list[float],
    log: Path | None = None,
) -> str | None:
    """One look at the warm runners: each that exited has the run it held closed (found by its
    infrastructure_pid: CRASHED, which frees the deployment's slot) and is started again with the
    same arguments, in place in `runners`. An error message when they crash too often to go on."""
    from wiretrace.warm_runner import infrastructure_id

    for n, dead in enumerate(runners):
        if dead.poll() is None:
            continue
        if _too_many(crashes, dead.returncode):
            last = dead.returncode
            return (
                f"the warm runner crashed {len(crashes)} times in {RESTART_WINDOW:.0f} s (last exit {last})"
            )
        stop(dead)  # its fork server and workers, if any are left in its group
        print(f"wiretrace serve: the warm runner exited ({dead.returncode}); starting a new one", flush=True)
        with contextlib.suppress(httpx.HTTPError):
            healed = heal_stuck_runs(api_url, deployment_ids, infrastructure_pid=infrastructure_id(dead.pid))
            _report_healed(healed, "runner exited")
        runners[n] = start(dead.args, env, repo, log)
    return None


# A run of ours in one of these states, with no worker of ours alive, is one a dead worker left behind:
# it holds its deployment's concurrency slot, so every later run is "Cancelled: concurrency limit".
STUCK_STATES = ("PENDING", "RUNNING", "CANCELLING")
LATE_AFTER = 300.0  # seconds past its start time after which a SCHEDULED run counts as stranded


def heal_stuck_runs(
    api_url: str,
    deployment_ids: Sequence[str],
    late_after: float = LATE_AFTER,
    infrastructure_pid: str | None = None,
) -> list[tuple[str, str, str]]:
    """Close the runs of these deployments that no worker will ever finish; (run name, was, now) each.

    Called when no worker of ours runs (before starting one, and after stopping it): a PENDING or
    RUNNING run is then orphaned and becomes CRASHED, which releases its concurrency slot; a
    SCHEDULED run more than `late_after` seconds late becomes CANCELLED, since the schedule's next
    run does its work (a backlog of late runs would only cancel each other).

    With `infrastructure_pid`: only the PENDING or RUNNING runs that process held (a warm runner that
    died while other runners of the pool live on), no SCHEDULED ones.
    """
    from datetime import UTC, datetime, timedelta

    if not deployment_ids:
        return []
    late = (datetime.now(UTC) - timedelta(seconds=late_after)).isoformat()
    query = {
        "flow_runs": {
            "deployment_id": {"any_": list(deployment_ids)},
            "state": {"type": {"any_": [*STUCK_STATES, "SCHEDULED"]}},
        },
        "limit": 200,
    }
    healed = []
    for run in httpx.post(f"{api_url}/flow_runs/filter", json=query, timeout=30).json():
        was = run["state"]["type"]
        if infrastructure_pid is not None and (
            was == "SCHEDULED" or run.get("infrastructure_pid") != infrastructure_pid
        ):
            continue
        if was == "SCHEDULED":
            if not run.get("expected_start_time") or run["expected_start_time"] > late:
                continue
            why = "wiretrace serve: scheduled run left late while no worker ran; the next run does its work"
            new = {"type": "CANCELLED", "name": "Cancelled", "message": why}
        else:
            why = f"wiretrace serve: left {was} by a worker that is gone; closed to free its slot"
            new = {"type": "CRASHED", "name": "Crashed", "message": why}
        # force: the server would refuse these transitions from a run no worker reports on
        answer = httpx.post(
            f"{api_url}/flow_runs/{run['id']}/set_state", json={"state": new, "force": True}, timeout=30
        )
        if answer.status_code < 300:
            healed.append((run["name"], was, new["type"]))
    return healed


def _report_healed(healed: list[tuple[str, str, str]], when: str) -> None:
    for name, was, now in healed:
        print(f"{when}: flow run {name!r} was {was} with no worker to finish it; marked {now}", flush=True)


@contextlib.contextmanager
def _signals_as_interrupt() -> Iterator[None]:
    # SIGTERM (systemd, docker stop, kill PID) must run the same clean-up as Ctrl-C; SIGINT too when a
    # shell started us in the background, which makes Python inherit SIGINT as ignored.
    def handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, h in old.items():
            signal.signal(sig, h)


def serve(
    port: int = 4200,
    home: Path = Path(".prefect"),
    worker: bool = True,
    run_seeds: bool = False,
    repo: Path | None = None,
    workers: int = 1,
) -> int:
    """Start everything, print where to look, and run until Ctrl-C or SIGTERM; then stop everything.

    `workers` >= 2: that many process workers in the one pool, and feed polling deployed in shards
    (prefect.yaml) so they share the feeds by host."""
    repo = (repo or Path.cwd()).resolve()
    if not (repo / "prefect.yaml").is_file():
        print(f"wiretrace serve: no prefect.yaml in {repo}: run it from the repository root", file=sys.stderr)
        return 2
    home = home if home.is_absolute() else repo / home
    home.mkdir(parents=True, exist_ok=True)
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", port)) == 0:
            print(f"wiretrace serve: port {port} is taken (another server?); use --port", file=sys.stderr)
            return 2
    try:
        runner = serve_runner()
    except ValueError as exc:
        print(f"wiretrace serve: {exc}", file=sys.stderr)
        return 2
    env = prefect_env(home, port, repo)
    api_url = env["PREFECT_API_URL"]
    ui_url = f"http://127.0.0.1:{port}"
    server = None
    worker_procs: list[subprocess.Popen] = []
    deployment_ids: list[str] = []
    with _signals_as_interrupt():
        try:
            print(f"starting the Prefect server on {ui_url} (log: {home / 'server.log'}) ...", flush=True)
            server = start_server(env, repo, home / "server.log")
            wait_healthy(api_url, server)
            create_pool(env, repo)
            print(f"work pool {POOL!r} ready; deploying prefect.yaml ...", flush=True)
            deployment_ids = deploy(env, repo, deployment_names(repo, workers))
            _report_healed(heal_stuck_runs(api_url, deployment_ids), "on start")
            if worker:
                names = (
                    ["wiretrace-worker"] if workers < 2 else [f"wiretrace-worker-{n}" for n in range(workers)]
                )
                starter = start_runner if runner == "warm" else start_worker
                worker_procs = [starter(env, repo, name=name) for name in names]
            if run_seeds:
                run_id = run_deployment(env, repo, SEED_DEPLOYMENT)
                print(f"triggered {SEED_DEPLOYMENT}: {ui_url}/runs/flow-run/{run_id}", flush=True)
            polling = "feed-poll" if workers < 2 else "feed-poll-shard-*-of-2 (one per worker)"
            print(
                f"\nwiretrace is serving. Prefect UI: {ui_url}\n"
                f"  Deployments: {ui_url}/deployments (seed-ingest, {polling} every 15 min, daily-report)\n"
                f"  Runs:        {ui_url}/runs  (flow runs, their task runs and logs)\n"
                f"  Artifacts:   {ui_url}/artifacts  (run-summary, run-progress, daily-report)\n"
                f"  Run one now: PREFECT_API_URL={api_url} {prefect_bin()} deployment run {SEED_DEPLOYMENT}\n"
                f"  Executed:    {RUNNER_SAYS[runner]}\n"
                "Ctrl-C stops the worker and the server.\n",
                flush=True,
            )
            crashes: list[float] = []
            while True:
                if server.poll() is not None:
                    print(
                        f"wiretrace serve: the Prefect server exited ({server.returncode})", file=sys.stderr
                    )
                    return 1
                if runner == "warm":
                    error = keep_runners(worker_procs, env, repo, api_url, deployment_ids, crashes)
                    if error:
                        print(f"wiretrace serve: {error}", file=sys.stderr)
                        return 1
                for proc in worker_procs:
                    if proc.poll() is not None:
                        print(f"wiretrace serve: a worker exited ({proc.returncode})", file=sys.stderr)
                        return 1
                time.sleep(1)
        except KeyboardInterrupt:
            print("\nstopping the worker and the server ...", flush=True)
            return 0
        except (RuntimeError, TimeoutError) as exc:
            print(f"wiretrace serve: {exc}", file=sys.stderr)
            return 1
        finally:
            for proc in worker_procs:
                stop(proc)
            # A run the worker was starting or executing died with it: close it while the server is
            # still up, so its concurrency slot is free for the next `make serve`.
            if worker_procs and server is not None and server.poll() is None:
                with contextlib.suppress(httpx.HTTPError):
                    _report_healed(heal_stuck_runs(api_url, deployment_ids, late_after=0), "on stop")
            stop(server)
