"""Reading a seeds folder: files to RawDocuments, with what manifest.csv adds."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NONE

from flows.tasks import process_and_load, record_failures
from settings import MANIFEST_NAME, Settings
from transforms.decode import too_large
from transforms.manifest import ManifestEntry, ManifestError, parse_manifest
from transforms.pipeline import content_hash
from transforms.records import Failure, RawDocument
from warehouse import db


def read_manifest(path: Path) -> dict[str, ManifestEntry]:
    """Entries of a manifest file; ManifestError (with the path) when it cannot be used."""
    try:
        return parse_manifest(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{path}: cannot read: {exc}") from exc
    except ManifestError as exc:
        raise ManifestError(f"{path}: {exc}") from exc


def read_file(path: Path, ref: str, entry: ManifestEntry | None, max_bytes: int) -> RawDocument | Failure:
    """One file as a RawDocument, or a Failure that says why it could not be read."""
    try:
        size = path.stat().st_size
        if size > max_bytes:  # refuse before reading 50 MB into memory
            return Failure(ref, "seed", "read", too_large(size, max_bytes))
        data = path.read_bytes()
    except OSError as exc:
        return Failure(ref, "seed", "read", f"cannot read file: {exc.strerror or exc}")
    return RawDocument(
        source_ref=ref,
        data=data,
        origin="seed",
        url=entry.url if entry else None,
        outlet=entry.outlet if entry else None,
        published=entry.published if entry else None,
    )


def read_seed_dir(seeds_dir: Path, max_bytes: int) -> tuple[list[RawDocument], list[Failure]]:
    """Every file under seeds_dir (not hidden, not the manifest), in name order."""
    if not seeds_dir.is_dir():
        raise FileNotFoundError(f"seeds folder not found: {seeds_dir}")
    failures: list[Failure] = []
    manifest: dict[str, ManifestEntry] = {}
    if (seeds_dir / MANIFEST_NAME).is_file():
        try:
            manifest = read_manifest(seeds_dir / MANIFEST_NAME)
        except ManifestError as exc:
            failures.append(Failure(MANIFEST_NAME, "seed", "manifest", str(exc)))
    docs: list[RawDocument] = []
    for path in sorted(seeds_dir.rglob("*")):
        ref = path.relative_to(seeds_dir).as_posix()
        if not path.is_file() or ref == MANIFEST_NAME or any(p.startswith(".") for p in ref.split("/")):
            continue
        result = read_file(path, ref, manifest.get(ref), max_bytes)
        (failures if isinstance(result, Failure) else docs).append(result)
    return docs, failures


@task(name="read-seeds", cache_policy=NONE, retries=2, retry_delay_seconds=2)
def read_seeds(seeds_dir: Path, settings: Settings) -> tuple[list[RawDocument], list[Failure]]:
    docs, failures = read_seed_dir(seeds_dir, settings.max_document_bytes)
    get_run_logger().info("read %d seed files from %s (%d unreadable)", len(docs), seeds_dir, len(failures))
    return docs, failures


@task(name="select-changed-inputs", cache_policy=NONE)
def select_changed(
    con: duckdb.DuckDBPyConnection, docs: list[RawDocument], version: str, force: bool
) -> tuple[list[RawDocument], int]:
    """Inputs not loaded yet, changed since, or loaded by another version of the transforms."""
    if force:
        return docs, 0
    loaded = db.loaded_versions(con, "seed")
    todo = [d for d in docs if loaded.get(d.source_ref) != (content_hash(d.data), version)]
    get_run_logger().info(
        "%d inputs to process, %d unchanged since the last run", len(todo), len(docs) - len(todo)
    )
    return todo, len(docs) - len(todo)


def ingest_seeds(
    con: duckdb.DuckDBPyConnection,
    seeds_dir: str,
    run_id: str,
    version: str,
    force: bool,
    pool: ProcessPoolExecutor | None,
    settings: Settings,
) -> dict:
    """Read the seeds folder, then extract, tag and load what is new or changed."""
    docs, read_failures = read_seeds(Path(seeds_dir), settings)
    if read_failures:
        record_failures(con, read_failures, run_id)
    todo, unchanged = select_changed(con, docs, version, force)
    counts = process_and_load(con, todo, run_id, version, pool, settings)
    counts["failed"] += len(read_failures)
    return {
        **counts,
        "inputs": len(docs) + len(read_failures),
        "unchanged": unchanged,
        "seed_refs": [d.source_ref for d in docs],
    }
