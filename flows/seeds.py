"""The seeds' part of a run: read the folder (clients/seedfiles.py), select what changed, extract and load."""

from __future__ import annotations

from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NONE

from clients.seedfiles import read_seed_dir
from flows.counts import InputCounts
from flows.tasks import RunClaims, extract_and_load, now, record_failures
from flows.workers import Pool
from settings import Settings
from transforms.pipeline import content_hash, given_key
from transforms.records import Failure, RawDocument
from warehouse import db


@task(name="read-seeds", cache_policy=NONE, retries=2, retry_delay_seconds=2)
def read_seeds(seeds_dir: Path, settings: Settings) -> tuple[list[RawDocument], list[Failure]]:
    docs, failures = read_seed_dir(seeds_dir, settings.max_document_bytes)
    get_run_logger().info("read %d seed files from %s (%d problems)", len(docs), seeds_dir, len(failures))
    return docs, failures


@task(name="select-changed-inputs", cache_policy=NONE)
def select_changed(
    con: duckdb.DuckDBPyConnection, docs: list[RawDocument], version: str, force: bool
) -> tuple[list[RawDocument], int]:
    """Inputs not loaded yet, changed since (bytes or manifest row), or loaded by another version of
    the transforms."""
    if force:
        return docs, 0
    loaded = db.loaded_versions(con, "seed")
    todo = [d for d in docs if loaded.get(d.source_ref) != (content_hash(d.data), version, given_key(d))]
    get_run_logger().info(
        "%d inputs to process, %d unchanged since the last run", len(todo), len(docs) - len(todo)
    )
    return todo, len(docs) - len(todo)


def _resolve_fixed_manifest_rows(con: duckdb.DuckDBPyConnection, failures: list[Failure]) -> None:
    """Manifest problems not seen again this run were fixed (or their rows removed): resolve them."""
    still = {f.source_ref for f in failures if f.stage == "manifest"}
    fixed = [ref for ref in db.open_failure_refs(con, "seed", "manifest") if ref not in still]
    if fixed:
        with db.transaction(con):
            db.resolve_failures(con, "seed", fixed, now())


# The stages at which a seed file fails (clients/seedfiles.py, transforms/pipeline.py, flows/workers.py,
# flows/tasks.py); 'manifest' failures are a manifest's rows, resolved by _resolve_fixed_manifest_rows.
_INPUT_STAGES = ("read", "decode", "extract", "timeout", "crash", "archive")


def _resolve_gone_inputs(con: duckdb.DuckDBPyConnection, present: set[str]) -> None:
    """Open errors of seed files no longer in the folder just read: resolved, so they stop counting
    (their rows keep what failed and why). Reads the open failures only, never the articles."""
    gone = [
        ref
        for stage in _INPUT_STAGES
        for ref in db.open_failure_refs(con, "seed", stage)
        if ref not in present
    ]
    if gone:
        get_run_logger().info("%d open failures of seed files no longer in the folder: resolved", len(gone))
        with db.transaction(con):
            db.resolve_failures(con, "seed", gone, now())


def ingest_seeds(
    con: duckdb.DuckDBPyConnection,
    seeds_dir: str,
    run_id: str,
    version: str,
    force: bool,
    pool: Pool | None,
    settings: Settings,
    claims: RunClaims,
) -> InputCounts:
    """Read the seeds folder, then extract, tag and load what is new or changed."""
    docs, read_failures = read_seeds(Path(seeds_dir), settings)
    _resolve_fixed_manifest_rows(con, read_failures)
    present = {d.source_ref for d in docs} | {f.source_ref for f in read_failures if f.stage == "read"}
    _resolve_gone_inputs(con, present)
    if read_failures:
        record_failures(con, read_failures, run_id)
    todo, unchanged = select_changed(con, docs, version, force)
    claims.live_seeds.update(d.source_ref for d in docs)
    counts = extract_and_load(con, todo, run_id, version, pool, settings, claims)
    unreadable = sum(f.stage == "read" for f in read_failures)
    return counts + InputCounts(inputs=len(docs) + unreadable, unchanged=unchanged, failed=unreadable)
