"""Screenshots of what an analyst sees: the HTML report, and the Prefect UI of scheduled mode.

Renders with headless Chromium (`apt-get install -y chromium`; not needed by the tests) and writes
PNGs to --out (default screenshots/), for a person to look at. It prints the files it wrote.

    .venv/bin/python benchmarks/screenshots.py                  # a fresh seed warehouse, report + UI
    .venv/bin/python benchmarks/screenshots.py --db warehouse/wiretrace.duckdb --no-ui

The Prefect UI part starts a server on a free 127.0.0.1 port with a temporary PREFECT_HOME,
deploys prefect.yaml, runs seed-ingest once through a worker into a temporary warehouse, shoots
the deployments, runs and artifacts pages, and stops everything it started.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from wiretrace import serve  # noqa: E402

WIDTH, HEIGHT = int(os.environ.get("SHOT_WIDTH", 1280)), 2400


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    sys.exit("no headless Chromium found: apt-get install -y chromium")


def shoot(url: str, png: Path, height: int = HEIGHT, wait_ms: int = 0) -> Path:
    """One page to one PNG; wait_ms lets a script-driven page (the Prefect UI) render first."""
    args = [
        chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
        f"--window-size={WIDTH},{height}", f"--screenshot={png}",
    ]  # fmt: skip
    if wait_ms:
        args.append(f"--virtual-time-budget={wait_ms}")
    subprocess.run([*args, url], check=True, capture_output=True, timeout=180)
    print(png)
    return png


def seed_warehouse(folder: Path) -> Path:
    db = folder / "wiretrace.duckdb"
    subprocess.run(
        [str(Path(sys.executable).with_name("wiretrace")), "run", "--db", str(db), "--feeds", "/dev/null"],
        cwd=REPO, check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return db


def report_shots(db: Path, out: Path, work: Path) -> None:
    wiretrace = str(Path(sys.executable).with_name("wiretrace"))
    subprocess.run(
        [wiretrace, "report", "--db", str(db), "--out", str(work)], check=True, capture_output=True
    )
    shoot((work / "wiretrace-report.html").as_uri(), out / "report.png", height=3200)


def ui_shots(out: Path, work: Path) -> None:
    port = serve.free_port()
    env = serve.prefect_env(
        work / "prefect", port, REPO, {"PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false"}
    )
    (work / "prefect").mkdir()
    server = serve.start_server(env, REPO, work / "server.log")
    worker = None
    try:
        api, ui = env["PREFECT_API_URL"], f"http://127.0.0.1:{port}"
        serve.wait_healthy(api, server)
        serve.create_pool(env, REPO)
        serve.deploy(env, REPO)
        worker = serve.start_worker(env, REPO, work / "worker.log")
        run = serve.run_deployment(env, REPO, serve.SEED_DEPLOYMENT, {"db_path": str(work / "ui.duckdb")})
        serve.wait_flow_run(api, run, timeout=300)
        shoot(f"{ui}/deployments", out / "ui-deployments.png", height=900, wait_ms=15000)
        shoot(f"{ui}/runs/flow-run/{run}", out / "ui-flow-run.png", height=1400, wait_ms=15000)
        shoot(f"{ui}/artifacts", out / "ui-artifacts.png", height=900, wait_ms=15000)
    finally:
        serve.stop(worker)
        serve.stop(server)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", type=Path, help="warehouse to report on (default: a fresh run on the seeds)")
    parser.add_argument("--out", type=Path, default=REPO / "screenshots", help="folder of the PNGs")
    parser.add_argument("--no-ui", action="store_true", help="the HTML report only, no Prefect server")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wiretrace-shots-") as tmp:
        work = Path(tmp)
        db = args.db or seed_warehouse(work)
        report_shots(db, args.out, work)
        if not args.no_ui:
            ui_shots(args.out, work)


if __name__ == "__main__":
    main()
