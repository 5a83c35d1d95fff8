"""The warm runner of `wiretrace serve`: the deployments' flow runs, one after another, in one process.

Prefect's process worker (and `flow.serve()`'s runner) starts a fresh Python process for every flow
run, so each scheduled run pays the imports (Prefect, trafilatura, DuckDB, the transforms), the
extraction fork server and the language model again: about ten seconds every 15 minutes. This loop
takes the work pool's due runs from the API itself and runs each inside this one process with Prefect's
engine (`prefect.flow_engine.run_flow`, with the flow run's id and parameters), so all of that is
paid once, when the runner starts (it warms up before its first run), and every run after reuses it.

Isolation where it matters:
- one run at a time per process (a run is claimed, PENDING, only when the last one has ended);
- a run that raises ends Failed (the engine's own bookkeeping) and the loop goes on;
- a run that hangs past WIRETRACE_SERVE_RUN_TIMEOUT is set Crashed and the process exits; a
  run cancelled from the UI or the CLI (CANCELLING) is set Cancelled and the process exits. Code
  that hangs cannot be stopped inside a process, so its process goes, with its fork server and
  workers (they end with it), and `wiretrace serve`, which supervises this process, starts a new one;
- a process that dies (a segfault, the OOM killer) is restarted the same way, and its run, found by
  the `infrastructure_pid` the runner set on it, is set Crashed.
The code it runs is the code it loaded: when a source file it imported changes (a `git pull`), it
exits before its next run and is started again on the new code.

    python -m wiretrace.warm_runner --pool wiretrace-local [--name wiretrace-runner]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import socket
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from settings import WARM_RUNNER_POLL_SECONDS, serve_run_timeout

# Exit codes `wiretrace serve` reads: the process is restarted in every case; only a crash counts
# towards giving up.
EXIT_RELOAD = 75  # a source file changed: start again on the new code
EXIT_TIMEOUT = 76  # a run hung past the timeout (set Crashed)
EXIT_CANCELLED = 77  # a run was cancelled while it ran (set Cancelled)
HEARTBEAT_SECONDS = 30.0
REPO = Path(__file__).resolve().parents[1]


def infrastructure_id(pid: int | None = None) -> str:
    """What the runner writes into a run's `infrastructure_pid`: host and process id (as Prefect's
    workers do), so the supervisor can tell which runs a dead runner held."""
    return f"{socket.gethostname()}:{pid or os.getpid()}"


def fork_server_pid() -> int | None:
    """The extraction pool's fork server, when one runs in this process (for the run's log line)."""
    from multiprocessing import forkserver

    return getattr(forkserver._forkserver, "_forkserver_pid", None)  # informational only


def _say(message: str) -> None:
    print(f"{datetime.now(UTC):%H:%M:%S} warm runner: {message}", flush=True)


class CodeWatch:
    """The mtimes of this repository's modules that are loaded: a change means new code on disk."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def note(self) -> None:
        for module in list(sys.modules.values()):
            path = getattr(module, "__file__", None)
            if path and path not in self.seen and path.startswith(str(REPO)) and "/.venv/" not in path:
                with contextlib.suppress(OSError):
                    self.seen[path] = os.stat(path).st_mtime_ns

    def changed(self) -> str | None:
        for path, mtime in self.seen.items():
            try:
                if os.stat(path).st_mtime_ns != mtime:
                    return path
            except OSError:
                return path
        return None


class Watchdog:
    """A thread beside the run: the worker's heartbeat, and the running flow run's cancellation and
    time limit (the main thread is inside the run and cannot look)."""

    def __init__(self, pool: str, name: str, timeout: float, poll: float) -> None:
        self.pool, self.name, self.timeout, self.poll = pool, name, timeout, poll
        self._lock = threading.Lock()
        self._run: tuple[Any, float] | None = None  # (flow run id, deadline)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="warm-runner-watchdog", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def running(self, flow_run_id: Any | None) -> None:
        with self._lock:
            self._run = (flow_run_id, time.monotonic() + self.timeout) if flow_run_id else None

    def _loop(self) -> None:
        from prefect.client.orchestration import get_client

        last_beat = 0.0
        with get_client(sync_client=True) as client:
            while not self._stop.wait(self.poll if last_beat else 0):
                if time.monotonic() - last_beat >= HEARTBEAT_SECONDS:
                    with contextlib.suppress(Exception):  # the API may be restarting: beat again later
                        client.send_worker_heartbeat(self.pool, self.name, HEARTBEAT_SECONDS)
                    last_beat = time.monotonic()
                with self._lock:
                    current = self._run
                if current:
                    with contextlib.suppress(Exception):
                        self._check(client, *current)

    def _check(self, client: Any, flow_run_id: Any, deadline: float) -> None:
        from prefect.states import Cancelled, Crashed

        state = client.read_flow_run(flow_run_id).state
        kind = state.type.value if state else ""
        if kind in ("CANCELLING", "CANCELLED"):
            message = "cancelled while it ran in the warm runner; the runner's process is restarted"
            client.set_flow_run_state(flow_run_id, Cancelled(message=message), force=True)
            _say(f"flow run {flow_run_id} cancelled: stopping this process (a new one starts)")
            os._exit(EXIT_CANCELLED)
        if time.monotonic() > deadline:
            message = (
                f"ran longer than {self.timeout:g} s (WIRETRACE_SERVE_RUN_TIMEOUT) in the warm runner; "
                "stopped with its process, which is restarted for the next run"
            )
            client.set_flow_run_state(flow_run_id, Crashed(message=message), force=True)
            _say(f"flow run {flow_run_id} {message}")
            os._exit(EXIT_TIMEOUT)


class WarmRunner:
    def __init__(self, pool: str, name: str, timeout: float, poll: float) -> None:
        self.pool, self.name, self.poll = pool, name, poll
        self.watchdog = Watchdog(pool, name, timeout, poll)
        self.code = CodeWatch()
        self._flows: dict[Any, Any] = {}  # deployment id -> its loaded flow
        self.runs = 0

    def warm_up(self) -> None:
        """What every run would pay first: the flows' imports and the extraction fork server."""
        began = time.perf_counter()
        for module in ("flows.ingest", "flows.report", "flows.compact"):  # prefect.yaml's entrypoints
            importlib.import_module(module)
        from flows.workers import start_fork_server
        from settings import SETTINGS

        start_fork_server(SETTINGS)
        self.code.note()
        _say(
            f"warm in {time.perf_counter() - began:.1f} s (process {os.getpid()}); polling pool {self.pool!r}"
        )

    def loop(self) -> int:
        from prefect.client.orchestration import get_client

        self.watchdog.start()
        try:
            with get_client(sync_client=True) as client:
                while True:
                    changed = self.code.changed()
                    if changed:
                        _say(f"{changed} changed on disk: restarting on the new code")
                        return EXIT_RELOAD
                    flow_run = self._claim_next(client)
                    if flow_run is None:
                        time.sleep(self.poll)
                        continue
                    self.execute(client, flow_run)
        finally:
            self.watchdog.stop()

    def _claim_next(self, client: Any) -> Any | None:
        """The earliest due run of the pool that this runner could take (PENDING), or None."""
        from prefect.client.schemas.responses import SetStateStatus
        from prefect.states import Pending

        try:
            due = client.get_scheduled_flow_runs_for_work_pool(self.pool, scheduled_before=datetime.now(UTC))
        except Exception as exc:  # the API restarting, or busy: ask again at the next poll
            _say(f"could not read the pool's due runs ({exc})")
            return None
        for item in sorted(due, key=lambda r: r.flow_run.expected_start_time or datetime.now(UTC)):
            run = item.flow_run
            try:
                # the server refuses a run another runner took, and cancels one whose deployment's
                # concurrency limit is reached (prefect.yaml: CANCEL_NEW)
                result = client.set_flow_run_state(run.id, Pending())
            except Exception as exc:
                _say(f"could not take flow run {run.name!r} ({exc})")
                continue
            if result.status == SetStateStatus.ACCEPT and result.state and result.state.is_pending():
                return run
        return None

    def _flow(self, flow_run: Any) -> Any:
        from prefect.flow_engine import load_flow

        key = flow_run.deployment_id
        if key not in self._flows:
            self._flows[key] = load_flow(flow_run)  # runs the deployment's pull steps once
        return self._flows[key]

    def execute(self, client: Any, flow_run: Any) -> str:
        """Run one claimed flow run here, to its final state; that state's type."""
        from prefect.flow_engine import run_flow
        from prefect.logging.loggers import flow_run_logger
        from prefect.states import Crashed, Failed

        began = time.perf_counter()
        with contextlib.suppress(Exception):
            client.update_flow_run(flow_run.id, infrastructure_pid=infrastructure_id())
        self.watchdog.running(flow_run.id)
        kind = "CRASHED"
        try:
            try:
                flow = self._flow(flow_run)
            except Exception as exc:
                client.set_flow_run_state(
                    flow_run.id, Failed(message=f"the warm runner could not load the flow: {exc}"), force=True
                )
                kind = "FAILED"
                return kind
            fresh = client.read_flow_run(flow_run.id)  # PENDING, with any parameters set since
            state = run_flow(flow, flow_run=fresh, return_type="state", error_logger=flow_run_logger(fresh))
            kind = state.type.value if state is not None else "CRASHED"
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # one run never ends the loop (SystemExit included)
            with contextlib.suppress(Exception):
                client.set_flow_run_state(
                    flow_run.id,
                    Crashed(message=f"the run escaped the engine in the warm runner: {exc!r}"),
                    force=True,
                )
        finally:
            self.watchdog.running(None)
            self.runs += 1
            self.code.note()
            _say(
                f"flow run {flow_run.name!r} ({flow_run.id}): {kind} in {time.perf_counter() - began:.1f} s; "
                f"run {self.runs} of process {os.getpid()}, fork server {fork_server_pid()}"
            )
        return kind


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pool", required=True, help="the work pool whose due runs to take")
    parser.add_argument("--name", default="wiretrace-runner", help="the worker name the UI shows")
    parser.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds a run may take (default: WIRETRACE_SERVE_RUN_TIMEOUT, 3600)",
    )
    parser.add_argument("--poll", type=float, default=WARM_RUNNER_POLL_SECONDS, help="seconds between polls")
    args = parser.parse_args(argv)
    if not os.environ.get("PREFECT_API_URL"):
        print(
            "wiretrace warm runner: PREFECT_API_URL is not set (it needs the server's API)", file=sys.stderr
        )
        return 2
    timeout = args.timeout if args.timeout is not None else serve_run_timeout()
    runner = WarmRunner(args.pool, args.name, timeout, args.poll)
    runner.warm_up()
    try:
        return runner.loop()
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
