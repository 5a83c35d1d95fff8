"""The main job: seeds and feeds in; tagged articles, reuse and stories out, into DuckDB."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger
from prefect.runtime import flow_run
from prefect.settings import (
    PREFECT_API_URL,
    PREFECT_FLOWS_HEARTBEAT_FREQUENCY,
    get_current_settings,
    temporary_settings,
)
from prefect.states import Completed, State

from flows.counts import FeedCounts, InputCounts
from flows.preflight import StartupError, check_startup
from flows.seeds import ingest_seeds
from flows.tasks import (
    RunClaims,
    find_reuse_and_stories,
    now,
    pipeline_version,
    publish_summary,
    record_failures,
    retag_stored,
)
from flows.workers import start_fork_server, worker_pool
from settings import API_START_SECONDS, DEFAULT_DB, SETTINGS
from transforms.records import Failure
from warehouse import db
from warehouse.session import WarehouseBusy, run_session

if TYPE_CHECKING:
    import duckdb

    from wiretrace.temporary_api import TemporaryAPI

FLOW_NAME = "wiretrace-run"


def run_name() -> str:
    """'seeds-seeds+feeds-feeds.yaml': what the run reads, as the Prefect UI lists it."""
    params = flow_run.parameters
    inputs = (("seeds", "seeds_dir"), ("feeds", "feeds_file"))
    parts = [f"{kind}-{Path(params[key]).name}" for kind, key in inputs if params.get(key)]
    return "+".join(parts) or "nothing-to-read"


def run_columns(inputs: InputCounts, feeds: FeedCounts) -> dict[str, int]:
    """The counts of the runs table (warehouse.db.RUN_COUNT_COLUMNS): inputs, and feeds apart."""
    return {
        "inputs_seen": inputs.inputs,
        "articles_new": inputs.new + feeds.new,
        "articles_updated": inputs.updated + feeds.updated,
        "articles_unchanged": inputs.unchanged,
        "failures": inputs.failed,
        "inputs_duplicate": inputs.duplicate,
        "feeds_polled": feeds.feeds_polled,
        "feeds_failed": feeds.feeds_failed,
        "pages_fetched": feeds.pages_fetched,
        "pages_failed": feeds.pages_failed,
    }


def _result(run_id: str, inputs: InputCounts, feeds: FeedCounts | None, **extra: object) -> dict:
    # The input counts at the top level (what `wiretrace run` prints first), the feeds apart.
    counts = {k: v for k, v in dataclasses.asdict(inputs).items() if k != "loaded"}
    return {
        "run_id": run_id,
        **counts,
        "line": inputs.describe(),
        "feeds": None
        if feeds is None
        else {k: v for k, v in dataclasses.asdict(feeds).items() if k != "loaded"},
        "feeds_line": None if feeds is None else feeds.describe(),
        **extra,
    }


@flow(name=FLOW_NAME, flow_run_name=run_name, log_prints=True)
def wiretrace_run(
    seeds_dir: str | None = "seeds",
    feeds_file: str | None = None,
    db_path: str = str(DEFAULT_DB),
    force: bool = False,
    shard: int = 0,
    shards: int = 1,
) -> dict | State:
    """Ingest seeds and poll feeds, extract and tag, load, find reuse and stories, summarise.

    `shard` of `shards`: this run polls and fetches only the feeds and pages on its share of the hosts
    (several workers of one pool, one deployment per shard; prefect.yaml).
    """
    if (shard, shards) != (0, 1):  # shard 0 of 1 (every run but a sharded feed poll) is always valid
        from transforms.feed_decisions import check_shard

        check_shard(shard, shards)  # before anything is written
    settings = SETTINGS
    run_id = str(flow_run.get_id() or uuid.uuid4())
    version = pipeline_version()
    claims = RunClaims()
    with contextlib.ExitStack() as stack:
        pool = stack.enter_context(worker_pool(settings))  # first: the workers warm up meanwhile
        try:
            con = stack.enter_context(run_session(db_path))
        except WarehouseBusy as busy:
            # Another run kept the warehouse past the wait: end "Skipped" (completed), nothing written.
            get_run_logger().warning("skipped: %s", busy)
            skipped = _result(run_id, InputCounts(), None, skipped=str(busy), summary=None)
            return Completed(name="Skipped", message=str(busy), data=skipped)
        # Each batch commits on its own (warehouse/session.py): a failed run keeps the batches it
        # committed and its runs row says 'crashed'; Prefect keeps the record of the failure.
        db.start_run(con, run_id, FLOW_NAME, now())
        stack.callback(db.crash_run, con, run_id)  # a no-op once finish_run marked it completed
        inputs = InputCounts()
        if seeds_dir:
            inputs = ingest_seeds(con, seeds_dir, run_id, version, force, pool, settings, claims)
        inputs += retag_stored(con, sorted(claims.live_seeds), run_id, version, pool, settings, claims)
        feeds = FeedCounts()
        if feeds_file:
            feeds = _poll_feeds(
                con, feeds_file, bool(seeds_dir), run_id, version, force, pool, settings, shard, shards
            )
        loaded = [*inputs.loaded, *feeds.loaded]
        if loaded:
            find_reuse_and_stories(con, loaded)
        if feeds_file:  # alert rules live in the feeds file (flows/alerts.py); they never fail the run
            from flows.alerts import check_alerts

            check_alerts(con, feeds_file, run_id, loaded)
        db.finish_run(con, run_id, now(), run_columns(inputs, feeds))
        get_run_logger().info("inputs: %s", inputs.describe())
        report = publish_summary(con, run_id, loaded)
    return _result(run_id, inputs, feeds if feeds_file else None, summary=report)


def _poll_feeds(
    con: duckdb.DuckDBPyConnection, feeds_file: str, with_seeds: bool, run_id: str, *args: object
) -> FeedCounts:
    """The feeds' part. A feeds config that cannot be used is a failure row (origin 'feed', stage
    'config', the file's path; resolved once it loads); a run that read seeds too goes on with them
    (one input never fails a run), a feeds-only run fails, as there is nothing else for it to do."""
    from flows.feeds import ingest_feeds  # feed polling's imports only for runs that poll
    from transforms.feeds import FeedConfigError

    try:
        counts = ingest_feeds(con, feeds_file, run_id, *args)
    except FeedConfigError as exc:
        record_failures(con, [Failure(feeds_file, "feed", "config", str(exc))], run_id)
        if not with_seeds:
            raise
        return FeedCounts(feeds_failed=1)
    with db.transaction(con):
        db.resolve_failures(con, "feed", [feeds_file], now())
    return counts


def _api_start_failed(exc: BaseException) -> bool:
    return "ephemeral Prefect API" in str(exc) or "connect to ephemeral" in str(exc)


def prepare_warehouse(db_path: str) -> None:
    """Create the warehouse, or apply its pending migrations, now: a fresh lake takes 1-3 s (its schema,
    a commit per migration, the extension's signature check), which `wiretrace run` spends while
    Prefect's temporary API starts instead of after. The run's session then opens it in ~0.3 s.

    Never waits for another writer's load lock, and never fails: whatever goes wrong here happens
    again when the flow opens the warehouse, which reports it in the run.
    """
    with contextlib.suppress(Exception):
        db.connect(db_path, wait=0).close()


def run_main_job(
    seeds_dir: str | None = "seeds",
    feeds_file: str | None = None,
    db_path: str = str(DEFAULT_DB),
    force: bool = False,
    api: TemporaryAPI | None = None,
) -> dict | State:
    """One run of the main job in this process, as `wiretrace run` makes it.

    `api`: Prefect's temporary API, started before the imports (wiretrace/temporary_api.py); used
    when no API is configured, stopped when one is (or when it did not start: Prefect starts its own).

    StartupError when the run cannot start: the warehouse cannot be written, or Prefect's
    temporary API did not start twice in a row (a busy machine; settings.API_START_SECONDS each).
    """
    check_startup(db_path)
    start_fork_server(SETTINGS)  # the workers warm up while Prefect starts its temporary API
    updates: dict = {}
    if get_current_settings().api.url is None:
        # The temporary API ends with this process, so no server is left to watch heartbeats;
        # stopping the heartbeat thread would hold the end of the run for up to a second.
        updates[PREFECT_FLOWS_HEARTBEAT_FREQUENCY] = None
        if api is not None:
            prepare_warehouse(db_path)  # while the temporary API starts: off the run's critical path
        if api is not None and api.wait(API_START_SECONDS):
            updates[PREFECT_API_URL] = api.url
        elif api is not None:
            api.stop()
    elif api is not None:
        api.stop()  # a configured API wins
    with temporary_settings(updates=updates) if updates else contextlib.nullcontext():
        try:
            return wiretrace_run(seeds_dir=seeds_dir, feeds_file=feeds_file, db_path=db_path, force=force)
        except RuntimeError as exc:
            if not _api_start_failed(exc):
                raise
        try:  # once more: the first start may have lost a race for the machine
            return wiretrace_run(seeds_dir=seeds_dir, feeds_file=feeds_file, db_path=db_path, force=force)
        except RuntimeError as exc:
            if not _api_start_failed(exc):
                raise
            raise StartupError(
                "Prefect's temporary API did not start in time, twice (is the machine very busy?); "
                "try again, raise PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or start a "
                "server (`prefect server start`) and set PREFECT_API_URL"
            ) from None
