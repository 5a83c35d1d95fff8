"""Prefect's temporary API, started first thing by `wiretrace run`, while the pipeline is imported.

Without a configured server (PREFECT_API_URL), Prefect starts a temporary API server process when the
flow is called, and waits for it (8-20 s on a busy machine), after the imports (4-7 s). Started here
before the imports, in the same way Prefect starts it (uvicorn on Prefect's app factory, on 127.0.0.1),
the two overlap. Only the standard library is imported here: importing Prefect is what we overlap.

If anything may configure an API (the environment, a Prefect profile, prefect.toml, .env or
pyproject.toml naming one), nothing is started and Prefect decides as usual; run_main_job checks
again once Prefect is imported, and stops this server when a configured API wins.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

_APP = "prefect.server.api.server:create_app"
# Words that, in a config file Prefect reads, may name an API to use instead of a temporary one.
_API_WORDS = ("PREFECT_API_URL", "api.url", "[api]", "prefect.api", "api_url")


# Prefect settings (documented ones) for the temporary API of one run only, unless the environment sets
# them: a server that lives for one run sends no telemetry heartbeat of its own (a database query and an
# HTTPS request at its start; on a machine without internet, an "ERROR ... Failed to send telemetry" line
# in the run's output). A configured server is never started here, so it keeps its own settings.
TEMPORARY_DEFAULTS = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false"}


def _mentions_api(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return False
    return any(word in text for word in _API_WORDS)


def _may_be_configured() -> bool:
    """True unless no source Prefect reads can name an API (or forbid the temporary one)."""
    env = os.environ
    if env.get("PREFECT_API_URL") or env.get("PREFECT_PROFILE"):
        return True
    if env.get("PREFECT_SERVER_EPHEMERAL_ENABLED", "").strip().lower() in ("0", "false", "no"):
        return True
    home = Path(env.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    profiles = Path(env.get("PREFECT_PROFILES_PATH") or home / "profiles.toml").expanduser()
    return any(
        _mentions_api(p) for p in (profiles, Path("prefect.toml"), Path(".env"), Path("pyproject.toml"))
    )


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TemporaryAPI:
    """A Prefect API server process of this run, on a free 127.0.0.1 port, stopped with `stop()`."""

    def __init__(self) -> None:
        spec = importlib.util.find_spec("prefect")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("prefect is not installed")
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        app_dir = str(Path(spec.submodule_search_locations[0]).parent)
        # The command line Prefect uses for its own temporary server (prefect.server.api.server), so the
        # fork server of flows/workers.py recognises and ends it if this run is killed.
        command = [sys.executable, "-m", "uvicorn", "--app-dir", app_dir, "--factory", _APP,
                   "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error",
                   "--lifespan", "on"]  # fmt: skip
        ephemeral = {
            "PREFECT_UI_ENABLED": "0",
            "PREFECT__SERVER_EPHEMERAL": "1",
            "PREFECT__SERVER_FINAL": "1",
        }
        self.process: subprocess.Popen | None = subprocess.Popen(
            command, env={**TEMPORARY_DEFAULTS, **os.environ, **ephemeral}, stdin=subprocess.DEVNULL
        )

    def wait(self, timeout: float) -> bool:
        """Until the API answers /health (True), the process ends or `timeout` passes (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.process is not None and self.process.poll() is None:
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/health", timeout=2) as answer,
            ):
                if answer.status == 200:
                    return True
            time.sleep(0.1)
        return False

    def terminate(self) -> None:
        """Send the run's queued logs and events, then ask the server to stop, without waiting for it."""
        if self.process is None or self.process.returncode is not None:
            return
        _drain_prefect_queues()
        self.process.terminate()

    def stop(self) -> None:
        """terminate(), then wait until it ended (killed after 10 s)."""
        if self.process is None:
            return
        self.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


def start_early() -> TemporaryAPI | None:
    """A temporary API starting now, or None when a configured one may be used (or it cannot start)."""
    if _may_be_configured():
        return None
    try:
        return TemporaryAPI()
    except (OSError, RuntimeError):
        return None  # Prefect starts its own when the flow is called, as without this


def _drain_prefect_queues() -> None:
    """Send the run's logs and events still queued while the API answers.

    Prefect's workers send them from threads after the flow returns; once the API is gone they
    print "Error logging to API" at the end of the run's output.
    """
    if "prefect.logging.handlers" not in sys.modules:
        return  # Prefect was never used in this process
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker

    for service in (EventsWorker, APILogWorker):
        service.drain_all(timeout=5)
