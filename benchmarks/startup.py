"""Where an empty run's time goes, and the fixed cost before and after issue #13's cuts.

An empty run: `wiretrace run` on an empty seeds folder and no feeds, into a fresh warehouse: nothing
to extract, so all of its time is the process around the work. Each figure is the median of --rounds
fresh processes, the modes alternating so that each sees the same load (a shared machine: the ratios
count, not the seconds).

- `wiretrace --help` and `wiretrace sql -c`: their wall time, and whether they import Prefect or
  trafilatura (they must not: lazy imports).
- empty run, before: Prefect starts its temporary API when the flow is called, after the imports
  (today's way, `wiretrace.temporary_api.start_early` switched off in that process).
- empty run, after: the temporary API starts first thing, while the pipeline is imported.
- empty run with a server configured (PREFECT_API_URL, as `wiretrace serve` sets for its workers): no
  temporary API at all. The server is started once, outside the clock.
- the parts of one empty run, timed inside one process: imports, temporary API, worker pool, flow.

    .venv/bin/python benchmarks/startup.py [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
PY = sys.executable
TARGET = 0.5  # the empty run after, over the empty run before
HEAVY = ("prefect", "trafilatura", "distributed")  # what a light command must not import

RUN = """
import sys, time
started = time.perf_counter()
if {before}:
    import wiretrace.temporary_api as t
    t.start_early = lambda: None
from wiretrace.cli import main
code = main(["run", "--seeds", {seeds!r}, "--db", {db!r}])
print("WALL", time.perf_counter() - started)
sys.exit(code)
"""

PARTS = """
import time
t0 = time.perf_counter()
from wiretrace.temporary_api import TemporaryAPI
api = TemporaryAPI()
t1 = time.perf_counter()
from flows.ingest import run_main_job
from flows.workers import worker_pool
from settings import API_START_SECONDS, SETTINGS
t2 = time.perf_counter()
api.wait(API_START_SECONDS)
t3 = time.perf_counter()
with worker_pool(SETTINGS) as pool:
    if pool is not None:
        pool.submit(int, 1).result()
t4 = time.perf_counter()
run_main_job(seeds_dir={seeds!r}, db_path={db!r}, api=api)
t5 = time.perf_counter()
api.stop()
print(f"PARTS imports {{t2 - t1:.2f}} s; temporary API healthy {{t3 - t0:.2f}} s after its start "
      f"(waited {{t3 - t2:.2f}} s more after the imports); worker pool up {{t4 - t3:.2f}} s; "
      f"the run itself {{t5 - t4:.2f}} s")
"""


def timed(args: list[str], env: dict[str, str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, done.stdout + done.stderr


def imports_of(args: list[str], env: dict[str, str], cwd: Path) -> list[str]:
    done = subprocess.run([PY, "-X", "importtime", *args], env=env, cwd=cwd, capture_output=True, text=True)
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return sorted(n for n in HEAVY if n in names)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from wiretrace import serve

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        seeds = tmp_path / "empty-seeds"
        seeds.mkdir()
        env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PYTHONPATH": str(REPO)}
        env.pop("PREFECT_API_URL", None)
        env.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        db = str(tmp_path / "w.duckdb")
        # once outside the clock: Prefect's database made and migrated, the language model cached
        timed([PY, "-c", RUN.format(before=False, seeds=str(seeds), db=db)], env, tmp_path)

        cli = [PY, "-m", "wiretrace.cli"]
        help_s = statistics.median(timed([*cli, "--help"], env, tmp_path)[0] for _ in range(args.rounds))
        sql = [*cli, "sql", "--db", db, "-c", "SELECT 42"]
        sql_s = statistics.median(timed(sql, env, tmp_path)[0] for _ in range(args.rounds))
        for name, seconds, command in (
            ("--help", help_s, ["-m", "wiretrace.cli", "--help"]),
            ("sql -c", sql_s, sql[1:]),
        ):
            heavy = imports_of(command, env, tmp_path)
            print(f"wiretrace {name}: {seconds:.2f} s; of {HEAVY} it imports {', '.join(heavy) or 'none'}")

        port = serve.free_port()
        server_env = serve.prefect_env(tmp_path / "server-home", port, REPO)
        (tmp_path / "server-home").mkdir()
        server = serve.start_server(server_env, REPO, tmp_path / "server.log")
        try:
            serve.wait_healthy(server_env["PREFECT_API_URL"], server, timeout=300)
            with_server = {**env, "PREFECT_API_URL": server_env["PREFECT_API_URL"]}
            walls: dict[str, list[float]] = {"before": [], "after": [], "server": []}
            for _ in range(args.rounds):
                for mode, before, run_env in (
                    ("before", True, env),
                    ("after", False, env),
                    ("server", False, with_server),
                ):
                    code = RUN.format(before=before, seeds=str(seeds), db=db)
                    walls[mode].append(timed([PY, "-c", code], run_env, tmp_path)[0])
        finally:
            serve.stop(server)
        _, out = timed([PY, "-c", PARTS.format(seeds=str(seeds), db=db)], env, tmp_path)
    median = {mode: statistics.median(values) for mode, values in walls.items()}
    for mode, label in (
        ("before", "temporary API after the imports (before)"),
        ("after", "temporary API started first (after)"),
        ("server", "a server configured: no temporary API"),
    ):
        print(f"empty run, {label}: {median[mode]:.2f} s  ({', '.join(f'{v:.1f}' for v in walls[mode])})")
    print(next(line for line in out.splitlines() if line.startswith("PARTS"))[6:])
    ratio = median["after"] / median["before"]
    print(
        f"after / before: {ratio:.2f}; with a server / before: {median['server'] / median['before']:.2f}; "
        f"target after / before <= {TARGET} (load average {os.getloadavg()[0]:.1f})"
    )
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
