"""The main job: seeds (and feeds) in; tagged articles, reuse and stories out, into DuckDB."""

from __future__ import annotations

import multiprocessing
import uuid
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from prefect import flow
from prefect.runtime import flow_run

from flows.tasks import (
    chunks,
    extract_and_tag,
    find_reuse_and_stories,
    load_batch,
    now,
    pipeline_version,
    publish_summary,
    read_seeds,
    read_stale,
    record_failures,
    select_changed,
)
from warehouse import db
from warehouse.session import run_session
from wiretrace.config import SETTINGS

FLOW_NAME = "wiretrace-run"


def run_name() -> str:
    """'seeds-seeds+feeds-feeds.yaml': what the run reads, as the Prefect UI lists it."""
    params = flow_run.parameters
    parts = [f"{kind}-{Path(params[key]).name}" for kind, key in (("seeds", "seeds_dir"), ("feeds", "feeds_file"))
             if params.get(key)]  # fmt: skip
    return "+".join(parts) or "nothing-to-read"


@flow(name=FLOW_NAME, flow_run_name=run_name, log_prints=True)
def wiretrace_run(
    seeds_dir: str | None = "seeds",
    feeds_file: str | None = None,
    db_path: str = "warehouse/wiretrace.duckdb",
    force: bool = False,
) -> dict:
    """Ingest seeds (and poll feeds), extract and tag, load, find reuse and stories, summarise."""
    settings = SETTINGS
    run_id = str(flow_run.get_id() or uuid.uuid4())
    version = pipeline_version()
    with run_session(db_path) as con:
        db.mark_crashed_runs(con, now())
        db.start_run(con, run_id, FLOW_NAME, now())
        totals = {"inputs": 0, "new": 0, "updated": 0, "unchanged": 0, "failed": 0}
        pool = None
        try:
            docs, read_failures = read_seeds(Path(seeds_dir), settings) if seeds_dir else ([], [])
            record_failures(con, read_failures, run_id)
            todo, totals["unchanged"] = select_changed(con, docs, version, force)
            todo += read_stale(con, version, [d.source_ref for d in docs])
            totals["inputs"] = len(docs) + len(read_failures)
            totals["failed"] = len(read_failures)
            if len(todo) >= settings.pool_threshold and settings.workers > 1:
                pool = ProcessPoolExecutor(settings.workers, mp_context=multiprocessing.get_context("spawn"))
            loaded: list[str] = []
            for batch in chunks(todo, settings.batch_size):
                outcome = load_batch(con, extract_and_tag(batch, pool, settings), batch, run_id, version)
                loaded += outcome.loaded
                totals["new"] += outcome.new
                totals["updated"] += outcome.updated
                totals["failed"] += outcome.failed
            if loaded:
                find_reuse_and_stories(con, loaded)
            db.finish_run(con, run_id, now(), totals)
            report = publish_summary(con, run_id)
        except BaseException:
            db.finish_run(con, run_id, now(), totals, status="crashed")
            raise
        finally:
            if pool is not None:
                pool.shutdown()
    return {"run_id": run_id, **totals, "summary": report}
