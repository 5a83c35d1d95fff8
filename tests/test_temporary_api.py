"""wiretrace/temporary_api.py: Prefect's temporary API started before the imports, used by the run,
and left alone whenever an API may be configured."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SEEDS
from wiretrace import temporary_api

RUN = """
import json, sys, urllib.request
from wiretrace.temporary_api import start_early
api = start_early()
from flows.ingest import run_main_job
result = run_main_job(seeds_dir={seeds!r}, db_path={db!r}, api=api)
request = urllib.request.Request(api.url + "/flow_runs/filter", data=b"{{}}",
                                 headers={{"Content-Type": "application/json"}})
runs = json.loads(urllib.request.urlopen(request, timeout=60).read())
process = api.process
with open(f"/proc/{{process.pid}}/environ", "rb") as handle:  # the settings the server runs with
    settings = [v.decode() for v in handle.read().split(b"\\0") if v.startswith(b"PREFECT_SERVER_")]
api.stop()
print(json.dumps({{"new": result["new"], "runs": [r["id"] for r in runs], "run_id": result["run_id"],
                  "ended": process.poll() is not None, "settings": settings}}))
"""


def test_the_run_uses_the_api_started_before_its_imports_and_it_ends(tmp_path: Path) -> None:
    # as a user's shell has it: no API, and no telemetry setting of ours
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_API", "PREFECT_SERVER_"))}
    env |= {"PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONPATH": str(REPO)}
    code = RUN.format(seeds=str(SEEDS), db=str(tmp_path / "w.duckdb"))
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["new"] == 5
    assert out["runs"] == [out["run_id"]]  # the flow run was recorded by our API, not another one
    assert out["ended"]
    assert "Starting temporary server" not in done.stderr  # Prefect did not start one of its own
    # a server of one run sends no telemetry heartbeat (nor logs its failure on a machine offline)
    assert out["settings"] == ["PREFECT_SERVER_ANALYTICS_ENABLED=false"]
    assert "telemetry" not in done.stderr


@pytest.mark.parametrize(
    "where, text",
    [
        ("env", None),
        ("profiles.toml", 'active = "x"\n[profiles.x]\nPREFECT_API_URL = "http://10.0.0.1:4200/api"\n'),
        ("prefect.toml", '[api]\nurl = "http://10.0.0.1:4200/api"\n'),
    ],
)
def test_nothing_is_started_when_an_api_may_be_configured(tmp_path, monkeypatch, where, text) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    assert not temporary_api._may_be_configured()  # nothing names an API yet
    if where == "env":
        monkeypatch.setenv("PREFECT_API_URL", "http://10.0.0.1:4200/api")
    elif where == "profiles.toml":
        (tmp_path / "home" / "profiles.toml").write_text(text, encoding="utf-8")
    else:
        (tmp_path / where).write_text(text, encoding="utf-8")
    assert temporary_api.start_early() is None
