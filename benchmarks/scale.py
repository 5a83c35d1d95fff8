"""Issue #13's targets: does a run cost what its new articles cost, whatever the warehouse holds?

    .venv/bin/python benchmarks/scale.py [--sizes 10000 100000] [--parts incremental profile writers dask]
                                         [--repeat 3]

**incremental**: a warehouse with N stored articles is generated once per size and cached under
WIRETRACE_CACHE (scale-N/; `--rebuild` makes it again). Then, in a fresh process on a copy of it,
`wiretrace_run` ingests 5 new articles (plain-text files from the same generator, undated, so their
story window is the stored articles' last 7 days). Printed per size: the flow's wall time (Prefect's
temporary API is up before the clock), its ratio to the smallest size, the process's peak RSS, and
the largest file the run wrote against the size of the warehouse's tables on disk, its archive
apart (a transient copy of the warehouse would show as a file as large as the tables), and the seconds
of each Prefect task of the run. The sizes take turns for `--repeat` rounds (they share the load of a
busy machine); the medians are printed. Targets:
time at the largest size <= 1.5x the smallest's and <= 10 s; peak RSS <= 1.5 GB; no transient copy.

How the stored articles are made (in SQL, in bulk: warehouse/synthetic.py; ids are digests, in no
order, as real ones):
texts from benchmarks/provenance.py's generator
(Zipf vocabulary of made-up words, 5-9 paragraphs, ~450 words), POOL distinct bodies, each article's
made unique by its own first sentence; raw bytes of a realistic size in the WARC archive, one file a
day (an AEB page, gzip, behind a gzip member of its own, so no two are equal); two credits each; the
provenance indexes as the stage writes them: reuse fingerprints (one per 4 words), a 512-byte MinHash
signature and its band keys, the story keyword vectors and term sets of the real `transforms.stories`
code, the document frequencies, stories of 5 articles. They arrive at `--per-day` articles a day
(default 1,000) up to now, so the 7-day story window holds the same number of articles at every
size: what grows is the history only.

**profile**: the incremental run again (`--repeat` rounds), every statement it sends through its
warehouse connection timed (execute + fetch) by the line that sent it and its caller, medians, the
slowest at the largest size first: which reads grow with what is stored.

**writers**: two `wiretrace run`s at once on one PostgreSQL catalog (the throwaway server of
wiretrace/postgres.py), each with its own seeds folder (half of them in both), against the same two
runs one after the other on a second catalog: both must complete and the warehouses must hold the
same rows (scripts/compare_warehouses.py).

**dask**: 1000 pages (the 181 AEB pages, byte-different copies) extracted and tagged through the Dask
pool (flows/dask_pool.py) on a LocalCluster of 1, then 2 workers (one process, one thread each).
Target: 2 workers >= 1.7x one. Feed figures come from benchmarks/feed_polling.py.

The machine this runs on is shared: ratios mean more than seconds.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import gzip
import hashlib
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpus"
NEW_ARTICLES = 5
POOL = 2_000  # distinct generated bodies
SEED = 7
TARGET_RATIO = 1.5
TARGET_SECONDS = 10.0
TARGET_RSS_MB = 1536
TARGET_DASK = 1.7


# -- the stored articles ------------------------------------------------------------------------


def _pool(seed: int) -> tuple[list[str], list[dict[str, tuple[int, bool]]]]:
    """POOL generated bodies and their story term counts (the real transforms code)."""
    from benchmarks.provenance import Corpus
    from transforms.stories import term_counts

    corpus = Corpus.make(seed)
    texts = ["\n\n".join(corpus.original()) for _ in range(POOL)]
    return texts, [term_counts(t) for t in texts]


def _raw_pages() -> list[bytes]:
    """gzip bytes of real pages (AEB): the size of what the archive keeps per article."""
    return [p.read_bytes() for p in sorted((CORPUS / "aeb" / "html").glob("*.html.gz"))]


def _archive(root: Path, pages: list[bytes], lo: int, hi: int, t0: datetime, step: float) -> dict:
    """Raw bytes of articles lo..hi into the WARC archive, one file a day as runs write them; their rows.

    Each article's bytes: a gzip member of its own, then a real page's (a `.gz` input, as a seed can
    be), so no two are equal and the archive grows by a real page's size per article.
    """
    from clients import warc

    by_day: dict = {}
    for i in range(lo, hi):
        data = gzip.compress(f"<!-- page {i} -->".encode(), 1, mtime=0) + pages[i % len(pages)]
        when = t0 + timedelta(seconds=i * step)
        payload = warc.Payload(hashlib.sha256(data).hexdigest(), data, "text/html", f"https://bench/{i}")
        by_day.setdefault(when.date(), []).append((i, payload, when))
    rows: dict[str, list] = {k: [] for k in ("i", "content_hash", "size_bytes", "warc_path", "warc_offset")}
    rows["warc_length"] = []
    for day, items in by_day.items():
        records = warc.encode_records([p for _, p, _ in items], items[0][2])
        placed = warc.append_records(root, warc.run_file(f"bench-{day}", day), records, items[0][2])
        for i, payload, _ in items:
            where = placed[payload.digest]
            rows["i"].append(i)
            rows["content_hash"].append(payload.digest)
            rows["size_bytes"].append(len(payload.data))
            rows["warc_path"].append(where.path)
            rows["warc_offset"].append(where.offset)
            rows["warc_length"].append(where.length)
    return rows


def build(path: str, size: int, per_day: int, seed: int = SEED) -> dict:
    """A warehouse at `path` holding `size` generated articles; what it holds, for the record."""
    import pyarrow as pa

    from flows.tasks import pipeline_version
    from transforms.near_duplicates import lsh_params
    from transforms.stories import vectorize
    from warehouse import db, synthetic
    from warehouse.session import run_session

    # the current code's version: stored articles made by other code would all be re-tagged
    version = pipeline_version()
    texts, counts = _pool(seed)
    df: dict[str, int] = {}
    for c in counts:
        for term in c:
            df[term] = df.get(term, 0) + 1
    vectors = [vectorize(c, df, POOL) for c in counts]
    pool = pa.table(
        {
            "k": pa.array(range(POOL), pa.int32()),
            "body": texts,
            "words": pa.array([len(t.split()) for t in texts], pa.int32()),
            "terms": pa.array([sorted(c) for c in counts], pa.list_(pa.string())),
        }
    )
    vector_rows = pa.table(
        {
            "k": pa.array([k for k, v in enumerate(vectors) for _ in v], pa.int32()),
            "term": [t for v in vectors for t in v],
            "weight": pa.array([w for v in vectors for w in v.values()], pa.float64()),
        }
    )
    pages = _raw_pages()
    bands = lsh_params()[0]
    step = 86_400 / per_day
    now = datetime.now(UTC).replace(microsecond=0)
    t0 = now - timedelta(seconds=step * size)
    chunk = 20_000
    with run_session(path) as con:
        root = db.archive_root(con)
        for lo in range(0, size, chunk):
            raw = pa.table(_archive(root, pages, lo, min(size, lo + chunk), t0, step))
            synthetic.fill_history(
                con, raw, pool, vector_rows, start=t0, step=step, version=version, bands=bands
            )
        held = synthetic.finish_history(con)
    return held


# -- the incremental run -------------------------------------------------------------------------


def _disk_size(path: Path) -> tuple[int, int]:
    """Bytes on disk of the warehouse at `path` (its catalog or file and data files), and of its
    archive (`archive/` beside it): a transient copy would be a write as large as the first."""
    tables = archive = 0
    for p in path.parent.rglob("*"):
        if p.is_file():
            if p.relative_to(path.parent).parts[0] == "archive":
                archive += p.stat().st_size
            else:
                tables += p.stat().st_size
    return tables, archive


class WriteWatch:
    """Largest file under a folder that appeared or grew while the watch ran (polled, 20 Hz)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.before = {p: p.stat().st_size for p in folder.rglob("*") if p.is_file()}
        self.largest = (0, "")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.look()
            time.sleep(0.05)

    def look(self) -> None:
        for p in self.folder.rglob("*"):
            try:
                size = p.stat().st_size
            except OSError:  # gone between listing and stat: a temporary file
                continue
            if p.is_file() and size != self.before.get(p) and size > self.largest[0]:
                self.largest = (size, str(p.relative_to(self.folder)))

    def __enter__(self) -> WriteWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.look()


def _new_articles(folder: Path, seed: int) -> None:
    """NEW_ARTICLES plain-text files from the stored articles' generator (another seed), undated."""
    from benchmarks.provenance import Corpus

    corpus = Corpus.make(seed)
    folder.mkdir(parents=True)
    for n in range(NEW_ARTICLES):
        paragraphs = corpus.original()
        (folder / f"new-{n}.txt").write_text(
            f"Fresh report {n}\n\n" + "\n\n".join(paragraphs), encoding="utf-8"
        )


def _link_or_copy(src: str, dst: str) -> None:
    if src.endswith((".warc.gz", ".parquet")):
        os.link(src, dst)
    else:
        shutil.copy2(src, dst)


class _TimedResult:
    """What `_Timed.execute` returns: the connection, its fetches timed into the statement's entry."""

    def __init__(self, con, entry: list) -> None:
        self._con, self._entry = con, entry

    def __getattr__(self, name: str):
        found = getattr(self._con, name)
        if not name.startswith(("fetch", "to_arrow", "arrow", "df")):
            return found

        def timed(*args, **kwargs):
            began = time.perf_counter()
            try:
                return found(*args, **kwargs)
            finally:
                self._entry[1] += time.perf_counter() - began

        return timed


class _Timed:
    """A warehouse connection that times each statement (execute + fetch) by the line that sent it."""

    def __init__(self, con, log: dict) -> None:
        self._con, self._log = con, log

    def execute(self, sql, *args, **kwargs):
        frame = sys._getframe(1)
        where = f"{Path(frame.f_code.co_filename).stem}.{frame.f_code.co_name}:{frame.f_lineno}"
        where += f" < {frame.f_back.f_code.co_name}" if frame.f_back else ""
        began = time.perf_counter()
        self._con.execute(sql, *args, **kwargs)
        entry = self._log.setdefault(where, [0, 0.0, " ".join(str(sql).split())[:90]])
        entry[0] += 1
        entry[1] += time.perf_counter() - began
        return _TimedResult(self._con, entry)

    def __getattr__(self, name: str):
        return getattr(self._con, name)


def incremental(cached: str, work: str, profile: bool = False) -> dict:
    """In a fresh process: copy the cached warehouse, run 5 new articles into the copy, measure.

    `profile`: every statement the run sends through its connection timed by the line that sent it
    (the connection is wrapped, so the load lock is not taken: one writer only)."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from settings import API_START_SECONDS

    # a busy machine misses Prefect's default 20 s for its temporary API, as `wiretrace run` does
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(API_START_SECONDS))
    from prefect import flow

    from flows.ingest import wiretrace_run

    statements: dict[str, list] = {}
    if profile:
        from warehouse import db

        plain = db.connect
        db.connect = lambda *a, **k: _Timed(plain(*a, **k), statements)
    work_dir = Path(work)
    # Files a run never changes (archive files, Parquet data files) are linked, not copied: only
    # the catalog or the DuckDB file is written in place.
    shutil.copytree(Path(cached).parent, work_dir / "warehouse", copy_function=_link_or_copy)
    db_path = work_dir / "warehouse" / Path(cached).name
    seeds = work_dir / "seeds"
    _new_articles(seeds, SEED + 1)

    @flow
    def warm() -> None:  # starts Prefect's temporary API before the clock
        return None

    warm()
    tables, archive = _disk_size(db_path)
    with WriteWatch(work_dir / "warehouse") as watch:
        began = time.perf_counter()
        result = wiretrace_run(seeds_dir=str(seeds), feeds_file=None, db_path=str(db_path))
        took = time.perf_counter() - began
    return {
        "seconds": took,
        "stages": _stage_seconds(result["run_id"]) if isinstance(result, dict) else {},
        "result": {k: v for k, v in result.items() if isinstance(v, int)}
        if isinstance(result, dict)
        else result,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "largest_write": watch.largest,
        "warehouse_bytes": tables,
        "archive_bytes": archive,
        "statements": statements,
    }


def _schema_version() -> str:
    """A digest of this generator: a warehouse it built with other code is rebuilt. The lake's
    migrations are not in it: a cached warehouse built at an older schema is migrated in place
    before the rounds (_migrated), as a deployed warehouse is, and never inside the clock."""
    import inspect

    digest = hashlib.sha256("".join(inspect.getsource(f) for f in (_pool, _archive, build)).encode())
    return digest.hexdigest()[:8]


def _migrate(path: str) -> list[str]:
    """Apply the migrations a cached warehouse lacks and the partitions (lake.PARTITIONED) it does not
    have (in a process of its own); what was done."""
    from warehouse import db

    con = db.lake.connect(path)
    try:
        done = db.migrate(con)
        before = db.lake.partitioned_tables(con)
        with db.lake.locked(con):  # a cache converted with other partitions: as this code has them
            db.lake.set_table_options(con)
        if (after := db.lake.partitioned_tables(con)) != before:
            done.append(f"partitions {', '.join(sorted(set(after.values())))}")
        if done:
            # as the daily `compact` leaves a deployed warehouse: the files and snapshots from before the
            # conversion gone (each DuckLake query reads the catalog's file lists, ended files included)
            db.lake.compact(con, days=0)
        return done
    finally:
        con.close()


def _stage_seconds(run_id: str) -> dict[str, float]:
    """Seconds per task of the flow run, summed by task name, as Prefect recorded them."""
    from uuid import UUID

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        runs = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[UUID(run_id)])))
    stages: dict[str, float] = {}
    for run in runs:
        name = run.name.rsplit("-", 1)[0]
        stages[name] = stages.get(name, 0.0) + run.total_run_time.total_seconds()
    return stages


def _cached(size: int, per_day: int, rebuild: bool) -> Path:
    from flows.tasks import pipeline_version
    from settings import DEFAULT_DB, SETTINGS

    # one per code version: articles that other code made are re-tagged by the run (flows.tasks.retag_stored)
    folder = SETTINGS.cache_dir / f"scale-{size}-{per_day}-{pipeline_version()[:12]}-{_schema_version()}"
    path = folder / DEFAULT_DB.name
    done = folder / "built.txt"
    if rebuild or not done.is_file():
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        began = time.perf_counter()
        held = _in_fresh_process(build, str(path), size, per_day)
        took = time.perf_counter() - began
        done.write_text(f"{held}\nbuilt in {took:.0f} s\n", encoding="utf-8")
        print(f"  built {size:,} articles in {took:.0f} s: {held}", flush=True)
    began = time.perf_counter()
    if applied := _in_fresh_process(_migrate, str(path)):
        took = time.perf_counter() - began
        with done.open("a", encoding="utf-8") as log:
            log.write(f"migrated ({', '.join(applied)}) in {took:.0f} s\n")
        print(f"  migrated the {size:,} warehouse ({', '.join(applied)}) in {took:.0f} s", flush=True)
    return path


def _in_fresh_process(fn, *args):
    ctx = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        return pool.submit(fn, *args).result()


def _median_run(runs: list[dict]) -> dict:
    """The run of median flow time, with the median of each task's seconds over all the runs."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    chosen = dict(ordered[len(ordered) // 2])
    names = {k for r in runs for k in r["stages"]}
    chosen["stages"] = {k: statistics.median(r["stages"].get(k, 0.0) for r in runs) for k in names}
    chosen["rss_mb"] = max(r["rss_mb"] for r in runs)
    chosen["largest_write"] = max(r["largest_write"] for r in runs)
    chosen["all_seconds"] = [r["seconds"] for r in runs]
    return chosen


def run_profile(sizes: list[int], per_day: int, rebuild: bool, repeat: int = 1) -> None:
    """`repeat` runs per size (the sizes taking turns), each statement timed by the line that sent it,
    medians (the slowest at the largest size first): what grows with the stored rows."""
    print(
        f"\n== statements of an incremental run ({NEW_ARTICLES} new articles), seconds (execute + fetch), "
        f"median of {repeat}"
    )
    cached = {size: _cached(size, per_day, rebuild) for size in sizes}
    found: dict[int, list[dict]] = {size: [] for size in sizes}
    for _ in range(repeat):
        for size in sizes:
            with tempfile.TemporaryDirectory(dir=cached[size].parent.parent) as work:
                found[size].append(_in_fresh_process(incremental, str(cached[size]), work, True))

    def median(size: int, where: str) -> float:
        return statistics.median(r["statements"].get(where, [0, 0.0])[1] for r in found[size])

    def total(size: int) -> float:
        return statistics.median(sum(e[1] for e in r["statements"].values()) for r in found[size])

    last = {w: e for r in found[sizes[-1]] for w, e in r["statements"].items()}
    print(f"{'sent by':<60}" + "".join(f"{size:>11,}" for size in sizes) + "  n  statement")
    for where in sorted(last, key=lambda w: -median(sizes[-1], w)):
        times = "".join(f"{median(s, where):>11.3f}" for s in sizes)
        print(f"{where[:60]:<60}{times}  {last[where][0]}  {last[where][2][:70]}")
    print(f"{'all statements':<60}" + "".join(f"{total(s):>11.3f}" for s in sizes))
    print(
        "flow (wall)".ljust(60)
        + "".join(f"{statistics.median(r['seconds'] for r in found[s]):>11.2f}" for s in sizes)
    )
    print(f"load average {os.getloadavg()[0]:.1f}")


def run_incremental(sizes: list[int], per_day: int, rebuild: bool, repeat: int = 1) -> bool:
    print(
        f"\n== incremental run: {NEW_ARTICLES} new articles into N stored ones ({per_day:,} a day); "
        f"{repeat} round(s), the sizes taking turns, medians"
    )
    cached = {size: _cached(size, per_day, rebuild) for size in sizes}
    runs: dict[int, list[dict]] = {size: [] for size in sizes}
    loads = []
    for _ in range(repeat):
        for size in sizes:
            with tempfile.TemporaryDirectory(dir=cached[size].parent.parent) as work:
                runs[size].append(_in_fresh_process(incremental, str(cached[size]), work))
            loads.append(os.getloadavg()[0])
    rows = [(size, _median_run(runs[size])) for size in sizes]
    print(
        f"{'stored':>10} {'flow s':>8} {'ratio':>6} {'peak RSS':>9} {'tables':>10} {'archive':>10} "
        f"{'largest write':>14}  rounds"
    )
    base = rows[0][1]["seconds"]
    ok = True
    for size, r in rows:
        big, name = r["largest_write"]
        print(
            f"{size:>10,} {r['seconds']:>8.2f} {r['seconds'] / base:>6.2f} {r['rss_mb']:>7.0f} MB "
            f"{r['warehouse_bytes'] / 1e6:>7.0f} MB {r['archive_bytes'] / 1e6:>7.0f} MB "
            f"{big / 1e6:>11.2f} MB  ({name or 'none'})  {' '.join(f'{x:.1f}' for x in r['all_seconds'])}"
        )
        ok &= r["rss_mb"] <= TARGET_RSS_MB and big < r["warehouse_bytes"] / 2
    stages = sorted({k for _, r in rows for k in r["stages"]}, key=lambda k: -rows[-1][1]["stages"].get(k, 0))
    print(
        f"\nseconds per task (Prefect's record, median of the rounds); load average during the rounds "
        f"{min(loads):.1f}-{max(loads):.1f}"
    )
    print(f"{'task':<28}" + "".join(f"{size:>12,}" for size, _ in rows))
    for name in stages:
        print(f"{name:<28}" + "".join(f"{r['stages'].get(name, 0):>12.2f}" for _, r in rows))
    print(f"{'flow (wall)':<28}" + "".join(f"{r['seconds']:>12.2f}" for _, r in rows))
    last = rows[-1][1]
    ratio = last["seconds"] / base
    ok &= ratio <= TARGET_RATIO and last["seconds"] <= TARGET_SECONDS
    print(
        f"ratio {ratio:.2f} at {rows[-1][0]:,} against {rows[0][0]:,} (target <= {TARGET_RATIO}); "
        f"flow {last['seconds']:.2f} s (target <= {TARGET_SECONDS:.0f} s); peak RSS target <= "
        f"{TARGET_RSS_MB} MB; no write as large as half the tables (a transient copy): "
        f"{'PASS' if ok else 'FAIL'}"
    )
    return ok


# -- two writers on one PostgreSQL catalog --------------------------------------------------------


def _seed_folders(root: Path, pages: int = 30, shared: int = 15) -> tuple[Path, Path]:
    """Two seeds folders of AEB pages, `shared` of them in both (the same articles, loaded twice)."""
    names = sorted((CORPUS / "aeb" / "html").glob("*.html.gz"))
    folders = (root / "seeds-a", root / "seeds-b")
    for folder, chosen in zip(
        folders, (names[:pages], names[pages - shared : 2 * pages - shared]), strict=True
    ):
        folder.mkdir()
        for page in chosen:
            shutil.copy(page, folder / page.name)
    return folders


def _run_cli(seeds: Path, db: str, data: Path, home: Path) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(
        {
            "WIRETRACE_DATA": f"{data}/",
            "PREFECT_HOME": str(home),  # each process its own temporary API database
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "WIRETRACE_WORKERS": "1",
        }
    )
    home.mkdir(parents=True, exist_ok=True)
    wiretrace = str(Path(sys.executable).with_name("wiretrace"))
    return subprocess.Popen(
        [wiretrace, "run", "--seeds", str(seeds), "--db", db],
        env=env,
        cwd=home.parent,  # no feeds.yaml there: seeds only
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(proc: subprocess.Popen, what: str) -> bool:
    out, _ = proc.communicate(timeout=1800)
    if proc.returncode != 0:
        print(f"  {what} failed ({proc.returncode}):\n{out[-2000:]}")
    return proc.returncode == 0


def run_writers() -> bool:
    from scripts import compare_warehouses
    from wiretrace import postgres

    print("\n== two writers on one PostgreSQL catalog (DuckLake), against the same two runs in sequence")
    server = postgres.start()
    try:
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            a, b = _seed_folders(root)
            concurrent_db = f"postgres:{server.create_database('together')}"
            sequential_db = f"postgres:{server.create_database('one_by_one')}"
            began = time.perf_counter()
            procs = [
                _run_cli(folder, concurrent_db, root / "data-together", root / f"home-{n}")
                for n, folder in enumerate((a, b))
            ]
            together_ok = all(_finish(p, f"concurrent writer {n}") for n, p in enumerate(procs))
            together = time.perf_counter() - began
            began = time.perf_counter()
            sequence_ok = all(
                _finish(
                    _run_cli(folder, sequential_db, root / "data-one-by-one", root / f"home-{n}"), f"run {n}"
                )
                for n, folder in enumerate((a, b))
            )
            sequential = time.perf_counter() - began
            os.environ["WIRETRACE_DATA"] = f"{root / 'data-together'}/"
            import wiretrace

            con_a = wiretrace.open_warehouse(concurrent_db)
            os.environ["WIRETRACE_DATA"] = f"{root / 'data-one-by-one'}/"
            con_b = wiretrace.open_warehouse(sequential_db)
            try:
                problems = compare_warehouses.compare(con_a, con_b)
                articles = con_a.execute("SELECT count(*) FROM articles").fetchone()[0]
                duplicates = _duplicates(con_a)
            finally:
                con_a.close()
                con_b.close()
    finally:
        postgres.stop(server)
    for line in problems:
        print(line)
    ok = together_ok and sequence_ok and not problems and not duplicates
    print(
        f"both completed: {together_ok} (at once {together:.1f} s, one after the other {sequential:.1f} s); "
        f"{articles} articles; rows identical to the sequential runs: {not problems}; "
        f"duplicate keys: {duplicates}: {'PASS' if ok else 'FAIL'}"
    )
    return ok


def _duplicates(con) -> int:
    """Rows of the duplicate_keys check view (logical keys seen twice), when the warehouse has it."""
    import duckdb

    try:
        return con.execute("SELECT count(*) FROM duplicate_keys").fetchone()[0]
    except duckdb.CatalogException:
        return 0


# -- Dask: 1 against 2 workers -------------------------------------------------------------------


def run_dask(pages: int) -> bool:
    from benchmarks.dask_speed import TARGET, aeb_docs, dask_seconds

    print(f"\n== Dask: {pages} pages on a LocalCluster of 1, then 2 workers (1 thread each)")
    docs = aeb_docs(pages)
    seconds = {}
    for workers in (1, 2):
        seconds[workers], failed = dask_seconds(docs, workers)
        print(
            f"{workers} worker(s): {seconds[workers]:.1f} s ({pages / seconds[workers]:.1f} pages/s), "
            f"{failed} failed; load average {os.getloadavg()[0]:.1f}"
        )
    ratio = seconds[1] / seconds[2]
    ok = ratio >= TARGET
    verdict = "PASS" if ok else "FAIL"
    print(f"2 workers / 1 worker: {ratio:.2f}x (target >= {TARGET}, on two idle cores): {verdict}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--per-day", type=int, default=1_000)
    parser.add_argument("--parts", nargs="+", default=["incremental", "writers", "dask"])
    parser.add_argument("--pages", type=int, default=1000, help="pages for the Dask part")
    parser.add_argument("--rebuild", action="store_true", help="generate the cached warehouses again")
    parser.add_argument("--repeat", type=int, default=3, help="rounds of the incremental part (medians)")
    args = parser.parse_args()
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    ok = True
    if "profile" in args.parts:
        run_profile(args.sizes, args.per_day, args.rebuild, args.repeat)
    if "incremental" in args.parts:
        ok &= run_incremental(args.sizes, args.per_day, args.rebuild, args.repeat)
    if "writers" in args.parts:
        ok &= run_writers()
    if "dask" in args.parts:
        ok &= run_dask(args.pages)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
