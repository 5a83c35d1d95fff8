"""The main job: seeds and feeds in; tagged articles, reuse and stories out, into DuckDB."""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings
from prefect.states import Completed, State

from flows.alerts import check_alerts
from flows.counts import FeedCounts
from flows.feeds import ingest_feeds
from flows.seeds import ingest_seeds
from flows.tasks import find_reuse_and_stories, now, pipeline_version, publish_summary, retag_stored
from flows.workers import start_fork_server, worker_pool
from settings import DEFAULT_DB, SETTINGS
from warehouse import db
from warehouse.session import WarehouseBusy, run_session

FLOW_NAME = "wiretrace-run"
COUNTS = ("inputs", "new", "updated", "unchanged", "failed")


def run_name() -> str:
    """'seeds-seeds+feeds-feeds.yaml': what the run reads, as the Prefect UI lists it."""
    params = flow_run.parameters
    inputs = (("seeds", "seeds_dir"), ("feeds", "feeds_file"))
    parts = [f"{kind}-{Path(params[key]).name}" for kind, key in inputs if params.get(key)]
    return "+".join(parts) or "nothing-to-read"


@flow(name=FLOW_NAME, flow_run_name=run_name, log_prints=True)
def wiretrace_run(
    seeds_dir: str | None = "seeds",
    feeds_file: str | None = None,
    db_path: str = str(DEFAULT_DB),
    force: bool = False,
) -> dict | State:
    """Ingest seeds and poll feeds, extract and tag, load, find reuse and stories, summarise."""
    settings = SETTINGS
    run_id = str(flow_run.get_id() or uuid.uuid4())
    version = pipeline_version()
    totals = dict.fromkeys(COUNTS, 0)
    loaded: list[str] = []
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(worker_pool(settings))  # first: the workers warm up meanwhile
        try:
            con = stack.enter_context(run_session(db_path))
        except WarehouseBusy as busy:
            # Another run kept the warehouse past the wait: end "Skipped" (completed), nothing written.
            get_run_logger().warning("skipped: %s", busy)
            skipped = {"run_id": run_id, **totals, "skipped": str(busy), "summary": None}
            return Completed(name="Skipped", message=str(busy), data=skipped)
        # A failed run is never published and its working copy is thrown away (warehouse/session.py),
        # so the runs table only ever holds completed runs; Prefect keeps the record of failures.
        db.start_run(con, run_id, FLOW_NAME, now())
        seeds = ingest_seeds(con, seeds_dir, run_id, version, force, pool, settings) if seeds_dir else {}
        stored = retag_stored(con, seeds.get("seed_refs", []), run_id, version, pool, settings)
        feeds = ingest_feeds(con, feeds_file, run_id, version, force, pool, settings) if feeds_file else None
        fed = feeds or FeedCounts()
        fed_totals = {"inputs": fed.pages_fetched, "new": fed.new, "updated": fed.updated,
                      "failed": fed.feeds_failed + fed.pages_failed, "loaded_ids": fed.loaded}  # fmt: skip
        for part in (seeds, stored, fed_totals):
            loaded += list(part.get("loaded_ids", []))
            for key in COUNTS:
                totals[key] += part.get(key, 0)
        if loaded:
            find_reuse_and_stories(con, loaded)
        if feeds_file:  # alert rules live in the feeds file (flows/alerts.py); they never fail the run
            check_alerts(con, feeds_file, run_id, loaded)
        db.finish_run(con, run_id, now(), totals)
        report = publish_summary(con, run_id)
    feed_counts = {"polled": fed.feeds_polled, "not_modified": fed.feeds_not_modified,
                   "entries_new": fed.entries_new, "pages": fed.pages_fetched, "matched": fed.pages_matched,
                   "feeds_failed": fed.feeds_failed}  # fmt: skip
    return {"run_id": run_id, **totals, "summary": report, "feeds": feed_counts if feeds else None}


def run_main_job(
    seeds_dir: str | None = "seeds",
    feeds_file: str | None = None,
    db_path: str = str(DEFAULT_DB),
    force: bool = False,
) -> dict | State:
    """One run of the main job in this process, as `wiretrace run` makes it."""
    start_fork_server(SETTINGS)  # the workers warm up while Prefect starts its temporary API
    settings = contextlib.nullcontext()
    if get_current_settings().api.url is None:
        # The temporary API ends with this process, so no server is left to watch heartbeats;
        # stopping the heartbeat thread would hold the end of the run for up to a second.
        settings = temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
    with settings:
        return wiretrace_run(seeds_dir=seeds_dir, feeds_file=feeds_file, db_path=db_path, force=force)
