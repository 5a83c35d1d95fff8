"""The coarse Prefect tasks the flows are made of: each one a batch of work, never one article."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NONE

import transforms
from flows.provenance import update_provenance
from flows.workers import load_language_model
from settings import Settings
from transforms.pipeline import article_id_for, content_hash, process_batch
from transforms.records import Failure, RawDocument, TaggedArticle
from warehouse import db, summary


@dataclass(frozen=True)
class BatchResult:
    loaded: list[str]  # article ids
    new: int
    updated: int
    failed: int


def now() -> datetime:
    return datetime.now(UTC)


def pipeline_version() -> str:
    """A digest of the transforms' code and data: when it changes, every input is processed again."""
    digest = hashlib.sha256()
    root = Path(transforms.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".tsv", ".csv", ".json", ".txt"):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@task(name="read-stale-articles", cache_policy=NONE)
def read_stale(con: duckdb.DuckDBPyConnection, version: str, seed_refs: list[str]) -> list[RawDocument]:
    """Stored articles to re-tag from their raw bytes because the transforms changed."""
    docs = [RawDocument(**row) for row in db.stale_articles(con, version, seed_refs)]
    if docs:
        get_run_logger().info("%d stored articles to re-tag with transforms version %s", len(docs), version)
    return docs


def process_and_load(
    con: duckdb.DuckDBPyConnection,
    docs: Sequence[RawDocument],
    run_id: str,
    version: str,
    pool: ProcessPoolExecutor | None,
    settings: Settings,
) -> dict:
    """Extract, tag and load documents batch by batch; counts and the ids loaded."""
    counts: dict = {"new": 0, "updated": 0, "failed": 0, "loaded_ids": []}
    batches = list(chunks(docs, settings.batch_size))
    if len(batches) > 1:  # how far a long run is, on the run's page and the Artifacts page
        progress = create_progress_artifact(
            0.0, key="run-progress", description=f"{len(docs)} inputs in {len(batches)} batches"
        )
    for number, batch in enumerate(batches, 1):
        outcome = load_batch(con, extract_and_tag(batch, pool, settings), batch, run_id, version)
        counts["loaded_ids"] += outcome.loaded
        counts["new"] += outcome.new
        counts["updated"] += outcome.updated
        counts["failed"] += outcome.failed
        if len(batches) > 1:
            update_progress_artifact(
                progress,
                100 * number / len(batches),
                description=f"batch {number} of {len(batches)}: {counts['new']} new, "
                f"{counts['updated']} updated, {counts['failed']} failed",
            )
    return counts


def retag_stored(
    con: duckdb.DuckDBPyConnection,
    seed_refs: list[str],
    run_id: str,
    version: str,
    pool: ProcessPoolExecutor | None,
    settings: Settings,
) -> dict:
    """Re-tag, from their raw bytes, stored articles that other transforms made and no input re-read."""
    stale = read_stale(con, version, seed_refs)
    return {"inputs": 0, **process_and_load(con, stale, run_id, version, pool, settings)}


def run_in_pool(
    parts: Sequence[Sequence[RawDocument]], pool: ProcessPoolExecutor, max_bytes: int
) -> list[TaggedArticle | Failure]:
    """process_batch over parts in the pool's workers; the results in input order."""
    futures = [pool.submit(process_batch, part, max_bytes) for part in parts]
    return [result for future in futures for result in future.result()]


@task(name="extract-and-tag", cache_policy=NONE)
def extract_and_tag(
    batch: Sequence[RawDocument], pool: ProcessPoolExecutor | None, settings: Settings
) -> list[TaggedArticle | Failure]:
    """Clean, describe and tag one batch, split across the worker processes."""
    if pool is None or len(batch) < settings.pool_threshold:
        load_language_model(settings)
        results = process_batch(batch, settings.max_document_bytes)
    else:
        # Small parts, so that no core idles behind one slow page.
        size = max(1, min(8, len(batch) // (settings.workers * 4)))
        parts = [batch[i : i + size] for i in range(0, len(batch), size)]
        results = run_in_pool(parts, pool, settings.max_document_bytes)
    failed = sum(isinstance(r, Failure) for r in results)
    get_run_logger().info("extracted and tagged %d articles, %d failed", len(results) - failed, failed)
    return results


@task(name="load-batch", cache_policy=NONE)
def load_batch(
    con: duckdb.DuckDBPyConnection,
    results: Sequence[TaggedArticle | Failure],
    raws: Sequence[RawDocument],
    run_id: str,
    version: str,
) -> BatchResult:
    """One transaction: articles, sources, raw bytes, failures and their resolution.

    `results` are the articles to keep (e.g. feed pages that matched a topic) and the failures;
    `raws` are all inputs of the batch, whose old warnings are replaced.
    """
    ok = [r for r in results if isinstance(r, TaggedArticle)]
    failures = [r for r in results if isinstance(r, Failure)]
    warnings = [
        Failure(r.source_ref, r.origin, "decode", note, r.content_hash, severity="warning")
        for r in ok
        for note in r.notes
    ]
    items = [(article_id_for(r.article.url, r.origin, r.source_ref), r) for r in ok]
    raw_by_hash = {content_hash(r.data): (r.data, r.media_type) for r in raws}
    raw_kept = {r.content_hash: raw_by_hash[r.content_hash] for r in ok if r.content_hash in raw_by_hash}
    stamp = now()
    with db.transaction(con):
        counts = db.load_articles(con, items, raw_kept, version, stamp)
        for origin in {r.origin for r in raws}:
            db.clear_warnings(con, origin, [r.source_ref for r in raws if r.origin == origin])
            db.resolve_failures(con, origin, [r.source_ref for r in ok if r.origin == origin], stamp)
        db.record_failures(con, failures + warnings, run_id, stamp)
    logger = get_run_logger()
    logger.info("loaded %d new and %d updated articles", counts["new"], counts["updated"])
    for f in failures:
        logger.warning("failed: %s (%s): %s", f.source_ref, f.stage, f.reason)
    return BatchResult([i for i, _ in items], counts["new"], counts["updated"], len(failures))


@task(name="record-failures", cache_policy=NONE)
def record_failures(con: duckdb.DuckDBPyConnection, failures: list[Failure], run_id: str) -> None:
    with db.transaction(con):
        db.record_failures(con, failures, run_id, now())
    for f in failures:
        get_run_logger().warning("failed: %s (%s): %s", f.source_ref, f.stage, f.reason)


@task(name="find-reuse-and-stories", cache_policy=NONE)
def find_reuse_and_stories(con: duckdb.DuckDBPyConnection, article_ids: list[str]) -> dict[str, int]:
    with db.transaction(con):
        counts = update_provenance(con, article_ids)
    get_run_logger().info("provenance of %d articles: %s", len(article_ids), counts)
    return counts


@task(name="publish-summary", cache_policy=NONE)
def publish_summary(con: duckdb.DuckDBPyConnection, run_id: str) -> dict:
    report = summary.run_summary(con, run_id)
    create_table_artifact(
        key="run-summary", table=report["table"], description="Articles per source and role"
    )
    create_markdown_artifact(key="run-summary-text", markdown=report["markdown"], description="wiretrace run")
    return report
