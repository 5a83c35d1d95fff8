"""The main job: seeds (and feeds) in, tagged articles, reuse and stories out, into DuckDB.

A flow run is a handful of coarse tasks, one per batch of articles, never one per
article: Prefect spends milliseconds and a database record on every task.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE
from prefect.runtime import flow_run

import transforms
from flows.provenance import update_provenance
from flows.seeds import read_seed_dir
from transforms.pipeline import article_id_for, process_batch
from transforms.records import Failure, RawDocument, TaggedArticle
from warehouse import db, summary
from wiretrace.config import SETTINGS, Settings

FLOW_NAME = "wiretrace-run"


@dataclass(frozen=True)
class BatchResult:
    loaded: list[str]  # article ids
    new: int
    updated: int
    failed: int


def pipeline_version() -> str:
    """A digest of the transforms' code and data: when it changes, every input is processed again."""
    digest = hashlib.sha256()
    root = Path(transforms.__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".yaml", ".yml", ".tsv", ".csv", ".json", ".txt"):
            digest.update(path.relative_to(root).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _now() -> datetime:
    return datetime.now(UTC)


@task(name="read-seeds", cache_policy=NONE)
def read_seeds(seeds_dir: Path, settings: Settings) -> tuple[list[RawDocument], list[Failure]]:
    docs, failures = read_seed_dir(seeds_dir, settings.max_document_bytes)
    get_run_logger().info("read %d seed files from %s (%d unreadable)", len(docs), seeds_dir, len(failures))
    return docs, failures


@task(name="select-changed-inputs", cache_policy=NONE)
def select_changed(con, docs: list[RawDocument], version: str, force: bool) -> tuple[list[RawDocument], int]:
    """Inputs not loaded yet, changed since, or loaded by another version of the transforms."""
    if force:
        return docs, 0
    loaded = db.loaded_versions(con, "seed")
    todo = [
        d for d in docs if loaded.get(d.source_ref) != (hashlib.sha256(d.data).hexdigest(), version)
    ]
    get_run_logger().info("%d inputs to process, %d unchanged since the last run", len(todo), len(docs) - len(todo))
    return todo, len(docs) - len(todo)


@task(name="extract-and-tag", cache_policy=NONE)
def extract_and_tag(
    batch: Sequence[RawDocument], pool: ProcessPoolExecutor | None, settings: Settings
) -> list[TaggedArticle | Failure]:
    """Clean, describe and tag one batch, split across the worker processes."""
    if pool is None or len(batch) < settings.pool_threshold:
        results = process_batch(batch, settings.max_document_bytes)
    else:
        # A few parts per worker, so one slow page does not leave a core idle.
        size = -(-len(batch) // (settings.workers * 4))
        parts = [batch[i : i + size] for i in range(0, len(batch), size)]
        outputs = pool.map(process_batch, parts, [settings.max_document_bytes] * len(parts))
        results = [result for part in outputs for result in part]
    failed = sum(isinstance(r, Failure) for r in results)
    get_run_logger().info("extracted and tagged %d articles, %d failed", len(results) - failed, failed)
    return results


@task(name="load-batch", cache_policy=NONE, retries=2, retry_delay_seconds=2)
def load_batch(con, results: list[TaggedArticle | Failure], raws: Sequence[RawDocument], run_id: str,
               version: str) -> BatchResult:  # fmt: skip
    """One transaction: articles, sources, raw bytes, failures and their resolution."""
    now = _now()
    ok = [r for r in results if isinstance(r, TaggedArticle)]
    failures = [r for r in results if isinstance(r, Failure)]
    warnings = [
        Failure(r.source_ref, r.origin, "decode", note, r.content_hash, severity="warning") for r in ok for note in r.notes
    ]
    items = [(article_id_for(r.article.url, r.origin, r.source_ref), r) for r in ok]
    raw_by_hash = {hashlib.sha256(r.data).hexdigest(): (r.data, None) for r in raws}
    raw_kept = {r.content_hash: raw_by_hash[r.content_hash] for r in ok if r.content_hash in raw_by_hash}
    with db.transaction(con):
        counts = db.load_articles(con, items, raw_kept, version, now)
        db.clear_warnings(con, "seed", [r.source_ref for r in raws])
        db.record_failures(con, failures + warnings, run_id, now)
        db.resolve_failures(con, "seed", [r.source_ref for r in ok], now)
    logger = get_run_logger()
    logger.info("loaded %d new and %d updated articles", counts["new"], counts["updated"])
    for f in failures:
        logger.warning("failed: %s (%s): %s", f.source_ref, f.stage, f.reason)
    return BatchResult([i for i, _ in items], counts["new"], counts["updated"], len(failures))


@task(name="record-failures", cache_policy=NONE)
def record_read_failures(con, failures: list[Failure], run_id: str) -> None:
    with db.transaction(con):
        db.record_failures(con, failures, run_id, _now())
    for f in failures:
        get_run_logger().warning("failed: %s (%s): %s", f.source_ref, f.stage, f.reason)


@task(name="find-reuse-and-stories", cache_policy=NONE)
def provenance(con, article_ids: list[str]) -> dict[str, int]:
    with db.transaction(con):
        counts = update_provenance(con, article_ids)
    get_run_logger().info("provenance: %s", counts)
    return counts


@task(name="publish-summary", cache_policy=NONE)
def publish_summary(con, run_id: str) -> dict:
    report = summary.run_summary(con, run_id)
    create_table_artifact(key="run-summary", table=report["table"], description="Articles per source and role")
    create_markdown_artifact(key="run-summary-text", markdown=report["markdown"], description="wiretrace run")
    return report


@flow(name=FLOW_NAME, flow_run_name="wiretrace-run-{seeds_dir}", log_prints=True)
def wiretrace_run(
    seeds_dir: str = "seeds",
    feeds_file: str | None = None,
    db_path: str = "warehouse/wiretrace.duckdb",
    force: bool = False,
) -> dict:
    """Ingest seeds (and poll feeds), extract and tag, load, find reuse and stories, summarise."""
    settings = SETTINGS
    run_id = str(flow_run.get_id() or uuid.uuid4())
    version = pipeline_version()
    con = db.connect(db_path)
    try:
        db.mark_crashed_runs(con, _now())
        db.start_run(con, run_id, FLOW_NAME, _now())
        docs, read_failures = read_seeds(Path(seeds_dir), settings)
        record_read_failures(con, read_failures, run_id)
        todo, unchanged = select_changed(con, docs, version, force)

        totals = {"inputs": len(docs) + len(read_failures), "new": 0, "updated": 0, "unchanged": unchanged,
                  "failed": len(read_failures)}  # fmt: skip
        loaded: list[str] = []
        pool = None
        if len(todo) >= settings.pool_threshold and settings.workers > 1:
            pool = ProcessPoolExecutor(settings.workers, mp_context=multiprocessing.get_context("spawn"))
        try:
            for batch in _chunks(todo, settings.batch_size):
                results = extract_and_tag(batch, pool, settings)
                outcome = load_batch(con, results, batch, run_id, version)
                loaded += outcome.loaded
                totals["new"] += outcome.new
                totals["updated"] += outcome.updated
                totals["failed"] += outcome.failed
        finally:
            if pool is not None:
                pool.shutdown()
        if loaded:
            provenance(con, loaded)
        db.finish_run(con, run_id, _now(), totals)
        report = publish_summary(con, run_id)
        return {"run_id": run_id, **totals, "summary": report}
    except BaseException:
        db.finish_run(con, run_id, _now(), {}, status="crashed")
        raise
    finally:
        con.close()
