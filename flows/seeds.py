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
from settings import SEED_REPLACED_BELOW, Settings
from transforms.pipeline import article_id_for, content_hash, given_key
from transforms.records import Failure, RawDocument
from transforms.reuse import words
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
    fixed = [ref for ref in db.open_failure_refs(con, "seed", ["manifest"]) if ref not in still]
    if fixed:
        with db.transaction(con):
            db.resolve_failures(con, "seed", fixed, now())


# The stages at which a seed file fails (clients/seedfiles.py, transforms/pipeline.py, flows/workers.py,
# flows/tasks.py); 'manifest' failures are a manifest's rows, resolved by _resolve_fixed_manifest_rows.
_INPUT_STAGES = ("read", "decode", "extract", "timeout", "crash", "archive")


def _resolve_gone_inputs(con: duckdb.DuckDBPyConnection, present: set[str]) -> None:
    """Open errors of seed files no longer in the folder just read: resolved, so they stop counting
    (their rows keep what failed and why). Reads the open failures only, never the articles."""
    gone = [ref for ref in db.open_failure_refs(con, "seed", _INPUT_STAGES) if ref not in present]
    if gone:
        get_run_logger().info("%d seed files gone from the folder: their open failures resolved", len(gone))
        with db.transaction(con):
            db.resolve_failures(con, "seed", gone, now())


def _stored_texts(con: duckdb.DuckDBPyConnection, refs: list[str]) -> dict[str, str]:
    """ref -> stored text of the articles keyed by these seeds' names (those loaded without a URL)."""
    ids = {article_id_for(None, "seed", ref): ref for ref in refs}
    return {ids[i]: text for i, text in db.article_texts(con, list(ids)).items()}


def _replaced(before: dict[str, str], after: dict[str, str], folder: str) -> list[Failure]:
    """Warnings for the seeds whose new text is another article than the one stored under their name."""
    warnings = []
    for ref, old in before.items():
        new = after.get(ref)
        if new is None or new == old:
            continue
        old_words, new_words = set(words(old)), set(words(new))
        shared = len(old_words & new_words) / max(len(old_words | new_words), 1)
        if shared < SEED_REPLACED_BELOW:
            reason = (
                f"replaced the stored article of this name with a different text ({shared:.0%} of words "
                f"shared), read from {folder}: the file was rewritten, or another seeds folder has a file "
                "of this name; a url for it in manifest.csv keeps such articles apart"
            )
            warnings.append(Failure(ref, "seed", "replace", reason, severity="warning"))
    return warnings


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
    # Seeds without a URL are keyed by their name in the folder, not by the folder: say when one
    # replaced another article (another folder's file of the same name), instead of doing it silently.
    before = _stored_texts(con, [d.source_ref for d in todo if d.url is None])
    counts = extract_and_load(con, todo, run_id, version, pool, settings, claims)
    if replaced := _replaced(before, _stored_texts(con, list(before)), str(Path(seeds_dir).resolve())):
        record_failures(con, replaced, run_id)
    unreadable = sum(f.stage == "read" for f in read_failures)
    return counts + InputCounts(inputs=len(docs) + unreadable, unchanged=unchanged, failed=unreadable)
