"""`make cluster`: wiretrace scaled out on this one machine, then checked against an embedded run.

Everything listens on 127.0.0.1:

- PostgreSQL from the Debian package (wiretrace/postgres.py), in a temporary folder: the DuckLake
  catalog of the cluster's warehouse and the Prefect server's database;
- a Dask scheduler and 2 Dask workers (one process, one thread each): extraction and tagging;
- a Prefect server, the work pool with the deployments of prefect.yaml, and 2 process workers;
- a feed server: RSS feeds whose entries are pages of the shared corpus (../shared/corpus/aeb).

Then the seed deployment and the feed deployments (one shard of the hosts per worker) are triggered
together, so the two workers write to the one catalog at the same time, while an embedded
`wiretrace run` (no server, no Dask: the local default) reads the same seeds and feeds into its own
warehouse. scripts/compare_warehouses.py then
checks that both hold the same rows.

The cluster keeps running for a look around (the Prefect UI, `wiretrace sql --db …`) until
`make cluster-stop`, which ends exactly the processes recorded in .cluster/state.json. The
deployments' schedules are off here (the scheduler service is disabled): a schedule would write
into the checkout's own warehouse.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

from wiretrace import postgres, serve

STATE_DIR = Path(".cluster")
STATE_FILE = "state.json"
DASK_WORKERS = 2
PREFECT_WORKERS = 2
# Feed pages: more than Settings.pool_threshold, so the feed run's extraction goes to the Dask workers.
FEED_PAGES = 48
FEEDS = 4
# Every entry's date: feeds date their entries, and an undated one would be dated when first seen,
# which differs between the cluster's runs and the embedded one.
PUBLISHED = "Mon, 18 Nov 2019 10:00:00 GMT"
RUN_TIMEOUT = 900.0  # seconds a flow run may take on a loaded machine
UP_TIMEOUT = 180.0  # seconds a server may take to answer


class ClusterError(RuntimeError):
    """The cluster could not start, or something it ran failed; the message says what and where."""


# -- state: what runs, so that cluster-stop ends exactly that ------------------------------------


def load_state(state_dir: Path) -> dict:
    path = state_dir / STATE_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def _save(state_dir: Path, state: dict) -> None:
    # written after every start, so a start that fails midway still leaves the list to stop from
    tmp = state_dir / f"{STATE_FILE}.tmp"
    tmp.write_text(json.dumps(state, indent=2), encoding="utf-8")
    tmp.replace(state_dir / STATE_FILE)


def _started(state_dir: Path, state: dict, name: str, proc: subprocess.Popen) -> None:
    state.setdefault("processes", {})[name] = proc.pid
    _save(state_dir, state)


def running(state: dict) -> list[str]:
    """Names of the recorded processes (and PostgreSQL) that still run."""
    names = [n for n, pid in state.get("processes", {}).items() if serve._group_alive(pid)]
    pg = _postgres(state)
    if pg and (pid := pg.pid()) and postgres.alive(pid):
        names.append("postgres")
    return names


def _postgres(state: dict) -> postgres.Postgres | None:
    pg = state.get("postgres")
    return postgres.Postgres(Path(pg["folder"]), pg["port"]) if pg else None


# -- starting ------------------------------------------------------------------------------------


def _wait_port(port: int, proc: subprocess.Popen, what: str, log: Path, timeout: float = UP_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ClusterError(f"{what} exited ({proc.returncode}); see {log}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.3)
    raise ClusterError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s; see {log}")


def _bin(name: str) -> str:
    """A console script of this interpreter's environment (the venv's `dask`, `wiretrace`)."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name


def start_dask(state_dir: Path, state: dict, env: dict[str, str], repo: Path) -> str:
    """A scheduler and DASK_WORKERS workers; the scheduler's address."""
    port = serve.free_port()
    log = state_dir / "dask-scheduler.log"
    args = [_bin("dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"]
    scheduler = serve.start(args, env, repo, log)
    _started(state_dir, state, "dask-scheduler", scheduler)
    _wait_port(port, scheduler, "the Dask scheduler", log)
    address = f"tcp://127.0.0.1:{port}"
    state["dask"] = address
    workers = []
    for i in range(1, DASK_WORKERS + 1):
        args = [_bin("dask"), "worker", address, "--name", f"wiretrace-{i}", "--host", "127.0.0.1"]
        args += ["--nworkers", "1", "--nthreads", "1", "--no-dashboard"]
        worker = serve.start(args, env, repo, state_dir / f"dask-worker-{i}.log")
        _started(state_dir, state, f"dask-worker-{i}", worker)
        workers.append(worker)
    _wait_dask_workers(address, workers, state_dir)
    return address


def _wait_dask_workers(address: str, workers: list[subprocess.Popen], state_dir: Path) -> None:
    from distributed import Client

    with Client(address, timeout=UP_TIMEOUT, set_as_default=False) as client:
        deadline = time.monotonic() + UP_TIMEOUT
        while len(client.scheduler_info(n_workers=-1)["workers"]) < len(workers):
            if any(w.poll() is not None for w in workers) or time.monotonic() > deadline:
                raise ClusterError(
                    f"the Dask workers did not join {address}; see {state_dir}/dask-worker-*.log"
                )
            time.sleep(0.5)


def cluster_deployments(repo: Path) -> list[str]:
    """What the cluster deploys: with its PREFECT_WORKERS workers, feed polling in shards by host (one
    deployment per shard, instead of the unsharded feed-poll), so both workers poll at once."""
    return serve.deployment_names(repo, PREFECT_WORKERS)


def start_prefect(state_dir: Path, state: dict, env: dict[str, str], repo: Path) -> dict[str, str]:
    """The server (its database in the cluster's PostgreSQL), the pool, the deployments, the workers."""
    pg = _postgres(state)
    assert pg is not None
    pg.create_database("prefect")
    port = 4200 if _port_free(4200) else serve.free_port()
    extra = {
        "PREFECT_API_DATABASE_CONNECTION_URL": f"postgresql+asyncpg://{postgres.SUPERUSER}@127.0.0.1:{pg.port}/prefect",
        "PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED": "false",
        "PREFECT_WORKER_QUERY_SECONDS": "2",
    }
    home = state_dir / "prefect"
    home.mkdir(exist_ok=True)
    env = serve.prefect_env(home, port, repo, {**env, **extra})
    log = state_dir / "prefect-server.log"
    server = serve.start_server(env, repo, log)
    _started(state_dir, state, "prefect-server", server)
    try:
        serve.wait_healthy(env["PREFECT_API_URL"], server, timeout=UP_TIMEOUT)
    except (RuntimeError, TimeoutError) as exc:
        raise ClusterError(f"{exc}; see {log}") from exc
    state["prefect_api"] = env["PREFECT_API_URL"]
    state["prefect_ui"] = f"http://127.0.0.1:{port}"
    _save(state_dir, state)
    serve.create_pool(env, repo)
    state["deployments"] = cluster_deployments(repo)
    serve.deploy(env, repo, state["deployments"])
    for i in range(1, PREFECT_WORKERS + 1):
        name = f"prefect-worker-{i}"
        worker = serve.start_worker(env, repo, state_dir / f"{name}.log", name=f"wiretrace-cluster-{i}")
        _started(state_dir, state, name, worker)
    return env


def _free_ports(n: int) -> list[int]:
    """n different free ports (held open together while chosen: one at a time, the same comes back)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def start_feed_server(state_dir: Path, state: dict, corpus: Path, repo: Path) -> Path:
    """The feed server (a process of its own, like the others); the feeds file that points at it."""
    pages = sorted((corpus / "aeb" / "html").glob("*.html.gz"))[:FEED_PAGES]
    if len(pages) < FEED_PAGES:
        raise ClusterError(
            f"{corpus}/aeb/html holds {len(pages)} pages, {FEED_PAGES} needed: is ../shared there?"
        )
    # one port per feed: a host counts with its port, so the feeds are on FEEDS hosts, as politeness
    # and the sharded feed polling of the two workers see it
    ports = _free_ports(FEEDS)
    log = state_dir / "feed-server.log"
    args = [sys.executable, "-m", "wiretrace.cluster", "feed-server", "--ports", *map(str, ports)]
    args += ["--pages", str(FEED_PAGES), "--corpus", str(corpus)]
    proc = serve.start(args, dict(os.environ), repo, log)
    _started(state_dir, state, "feed-server", proc)
    for port in ports:
        _wait_port(port, proc, "the feed server", log)
    feeds = state_dir / "feeds.yaml"
    config = {
        "feeds": [
            {"url": f"http://127.0.0.1:{port}/feed/{n}.xml", "outlet": f"Feed {n}"}
            for n, port in enumerate(ports)
        ],
        # our own hosts: no politeness delay, loopback allowed
        "fetch": {"min_delay": 0, "per_host": 8, "allow_private_networks": True},
    }
    feeds.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    state["feeds"] = str(feeds)
    _save(state_dir, state)
    return feeds


def warehouses(state_dir: Path, pg: postgres.Postgres) -> tuple[str, str, dict[str, str]]:
    """(the cluster's warehouse, the embedded run's, the environment the cluster's writers need).

    The cluster's is a DuckLake with its catalog in PostgreSQL and its data folder in .cluster/ (a
    shared mount or object store across machines); the embedded run's is the default kind, a SQLite
    catalog with its data beside it.
    """
    from settings import DEFAULT_DB

    data = state_dir / "lake-data"
    data.mkdir(exist_ok=True)
    catalog = f"postgres:{pg.create_database('wiretrace')}"
    return catalog, str(state_dir / "embedded" / DEFAULT_DB.name), {"WIRETRACE_DATA": f"{data}/"}


# -- running the inputs through it ---------------------------------------------------------------


def ingest_runs(repo: Path, deployed: Sequence[str], db_path: str, feeds: str) -> dict[str, dict]:
    """The deployed ingest deployments of prefect.yaml and the parameters the cluster runs them with:
    its warehouse, the bundled seeds where a deployment reads seeds, its feed server's feeds where it
    polls feeds (each shard its hosts)."""
    config = yaml.safe_load((repo / "prefect.yaml").read_text(encoding="utf-8"))
    runs = {}
    for d in config["deployments"]:
        if d["name"] not in deployed or not d["entrypoint"].endswith(":wiretrace_run"):
            continue
        params = {"db_path": db_path}
        if d["parameters"].get("seeds_dir"):
            params["seeds_dir"] = "seeds"
        if d["parameters"].get("feeds_file"):
            params["feeds_file"] = feeds
        runs[d["name"]] = params
    return runs


def run_through(state_dir: Path, state: dict, env: dict[str, str], repo: Path, embedded_db: str) -> int:
    """Seeds and feeds through the cluster and through an embedded run; compare; the exit code."""
    api, db_path, feeds = env["PREFECT_API_URL"], state["warehouse"], state["feeds"]
    embedded_env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "WIRETRACE_"))}
    (state_dir / "embedded").mkdir(exist_ok=True)
    embedded_env["PREFECT_HOME"] = str(state_dir / "embedded" / "prefect")
    embedded_env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    embedded_log = state_dir / "embedded-run.log"
    with open(embedded_log, "wb") as out:
        embedded = subprocess.Popen(
            [_bin("wiretrace"), "run", "--seeds", "seeds", "--feeds", feeds, "--db", embedded_db],
            env=embedded_env,
            cwd=repo,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    runs = {
        name: serve.run_deployment(env, repo, f"wiretrace-run/{name}", params)
        for name, params in ingest_runs(repo, state["deployments"], db_path, feeds).items()
    }
    print(f"triggered {', '.join(runs)}; their runs: {state['prefect_ui']}/runs", flush=True)
    failed = []
    for name, run_id in runs.items():
        run = serve.wait_flow_run(api, run_id, timeout=RUN_TIMEOUT)
        print(
            f"  {name}: {run['state']['type'].lower()} in {run.get('total_run_time') or 0:.1f} s", flush=True
        )
        if run["state"]["type"] != "COMPLETED":
            failed.append(f"{name} ended {run['state']['type']}: {run['state'].get('message')}")
    if embedded.wait(timeout=RUN_TIMEOUT) != 0:
        failed.append(f"the embedded run failed ({embedded.returncode}); see {embedded_log}")
    print(f"  embedded wiretrace run: exit {embedded.returncode} (log: {embedded_log})", flush=True)
    if failed:
        raise ClusterError("; ".join(failed) + f"; worker logs in {state_dir}")
    compare = subprocess.run(
        [sys.executable, str(repo / "scripts" / "compare_warehouses.py"), db_path, embedded_db],
        env={**os.environ, **{k: v for k, v in env.items() if k.startswith("WIRETRACE_")}},
        cwd=repo,
    )
    return compare.returncode


def up(repo: Path, state_dir: Path = STATE_DIR, corpus: Path | None = None, run: bool = True) -> int:
    """Start the cluster, run the inputs through it, compare; on a failed start, stop what started."""
    repo = repo.resolve()
    state_dir = (state_dir if state_dir.is_absolute() else repo / state_dir).resolve()
    corpus = (corpus or repo.parent / "shared" / "corpus").resolve()
    if still := running(load_state(state_dir)):
        print(
            f"wiretrace cluster: already running ({', '.join(still)}): make cluster-stop first",
            file=sys.stderr,
        )
        return 2
    state_dir.mkdir(parents=True, exist_ok=True)
    state: dict = {}
    _save(state_dir, state)
    try:
        pg = postgres.start()
        state["postgres"] = {"folder": str(pg.folder), "port": pg.port}
        _save(state_dir, state)
        print(f"PostgreSQL {pg.dsn()} (data in {pg.folder})", flush=True)
        db_path, embedded_db, lake_env = warehouses(state_dir, pg)
        state["warehouse"] = db_path
        env = {**os.environ, **lake_env}
        address = start_dask(state_dir, state, env, repo)
        print(f"Dask scheduler {address} with {DASK_WORKERS} workers", flush=True)
        start_feed_server(state_dir, state, corpus, repo)
        env = start_prefect(state_dir, state, {**lake_env, "WIRETRACE_DASK": address}, repo)
        print(
            f"Prefect server {state['prefect_ui']}, pool {serve.POOL!r}, {PREFECT_WORKERS} workers",
            flush=True,
        )
    except (ClusterError, RuntimeError, TimeoutError, OSError) as exc:
        print(f"wiretrace cluster: {exc}\nstopping what started ...", file=sys.stderr)
        down(state_dir)
        return 1
    if not run:
        return 0
    try:
        code = run_through(state_dir, state, env, repo, embedded_db)
    except (ClusterError, RuntimeError, TimeoutError) as exc:
        print(f"wiretrace cluster: {exc}", file=sys.stderr)
        code = 1
    print(
        f"\nThe cluster runs until `make cluster-stop`.\n"
        f"  Prefect UI: {state['prefect_ui']}\n"
        f"  Warehouse:  {_bin('wiretrace')} sql --db '{db_path}' -c 'FROM story_summary'"
        + (f"  (with WIRETRACE_DATA={lake_env['WIRETRACE_DATA']})" if lake_env else "")
        + f"\n  Logs:       {state_dir}/*.log",
        flush=True,
    )
    return code


# -- stopping ------------------------------------------------------------------------------------


def down(state_dir: Path = STATE_DIR) -> int:
    """Stop exactly the recorded processes (workers before servers) and PostgreSQL; 1 if any is left."""
    state = load_state(state_dir)
    if not state:
        print(f"wiretrace cluster: nothing recorded in {state_dir / STATE_FILE}: nothing to stop")
        return 0
    # reverse start order: workers before the servers they talk to
    for name, pid in reversed(list(state.get("processes", {}).items())):
        if serve._group_alive(pid):
            serve.stop_group(pid)
            print(f"stopped {name} (process group {pid})")
    pg = _postgres(state)
    if pg is not None:
        pid = pg.pid()
        try:
            postgres.stop(pg)
        except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
            print(f"pg_ctl stop failed ({exc}); killing the postmaster", file=sys.stderr)
            if pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            shutil.rmtree(pg.folder, ignore_errors=True)
        if pid:
            print(f"stopped postgres (postmaster {pid})")
    left = running(state)
    if left:
        print(f"wiretrace cluster: still running: {', '.join(left)}", file=sys.stderr)
        return 1
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    return 0


# -- the feed server -----------------------------------------------------------------------------


def feed_server(ports: Sequence[int], pages: int, corpus: Path) -> None:
    """RSS feeds on 127.0.0.1, each port a host: /feed/N.xml lists every FEEDS-th of the first `pages`
    corpus pages, linked on the host that serves the feed."""
    files = sorted((corpus / "aeb" / "html").glob("*.html.gz"))[:pages]
    bodies = {f.name.removesuffix(".html.gz"): gzip.decompress(f.read_bytes()) for f in files}
    names = list(bodies)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            host = f"http://{self.headers['Host']}"
            if self.path.startswith("/feed/") and self.path.endswith(".xml"):
                n = int(self.path.removeprefix("/feed/").removesuffix(".xml"))
                items = "".join(
                    f"<item><title>Page {name[:12]}</title><link>{host}/page/{name}</link>"
                    f"<guid>{name}</guid><pubDate>{PUBLISHED}</pubDate></item>"
                    for name in names[n::FEEDS]
                )
                rss = f"<?xml version='1.0'?><rss version='2.0'><channel><title>Feed {n}</title>"
                rss += f"{items}</channel></rss>"
                self._send(200, rss.encode(), "application/rss+xml")
            elif self.path.startswith("/page/") and self.path.removeprefix("/page/") in bodies:
                self._send(200, bodies[self.path.removeprefix("/page/")], "text/html; charset=utf-8")
            else:
                self._send(404, b"not found", "text/plain")

    servers = [ThreadingHTTPServer(("127.0.0.1", port), Handler) for port in ports]
    for server in servers[1:]:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    servers[0].serve_forever()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m wiretrace.cluster", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("up", help="start the cluster, run seeds and feeds through it, compare")
    start.add_argument("--state", type=Path, default=STATE_DIR)
    start.add_argument(
        "--corpus", type=Path, default=None, help="the shared corpus (default ../shared/corpus)"
    )
    start.add_argument("--no-run", action="store_true", help="only start the cluster")
    stop = sub.add_parser("down", help="stop what `up` started")
    stop.add_argument("--state", type=Path, default=STATE_DIR)
    feeds = sub.add_parser("feed-server", help="(internal) the cluster's feed server")
    feeds.add_argument("--ports", type=int, nargs="+", required=True)
    feeds.add_argument("--pages", type=int, default=FEED_PAGES)
    feeds.add_argument("--corpus", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "up":
        return up(Path.cwd(), args.state, args.corpus, run=not args.no_run)
    if args.command == "down":
        return down(args.state)
    feed_server(args.ports, args.pages, args.corpus)
    return 0


if __name__ == "__main__":
    sys.exit(main())
