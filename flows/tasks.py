"""The coarse Prefect tasks the flows are made of: each one a batch of work, never one article."""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from prefect import get_run_logger, task
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)
from prefect.cache_policies import NONE
from prefect.futures import PrefectFuture
from prefect.utilities.annotations import quote

import transforms
from clients import warc
from flows.counts import InputCounts
from flows.provenance import update_provenance
from flows.workers import (
    Pool,
    find_copies,
    in_pool,
    load_language_model,
    pool_parts,
    process_and_match,
    run_in_pool,
)
from settings import SETTINGS, Settings
from transforms.pipeline import article_id_for, as_copy, content_hash, given_key, split_duplicates
from transforms.records import Failure, RawDocument, TaggedArticle
from warehouse import db, summary

if TYPE_CHECKING:
    from transforms.feeds import Topic


@dataclass(frozen=True)
class BatchResult:
    loaded: list[str]  # article ids
    new: int
    updated: int
    failed: int
    duplicate: int = 0  # inputs left out as the same article as another input


@dataclass
class RunClaims:
    """Which input holds each article id, across the batches of one run (see split_duplicates)."""

    live_seeds: set[str] = field(default_factory=set)  # seed files present in the folder this run
    taken: dict[str, tuple[str, str]] = field(default_factory=dict)  # article_id -> (origin, source_ref)

    def held(self, stored: dict[str, tuple[str, str]]) -> dict[str, tuple[str, str]]:
        """Holders that win over a batch: this run's earlier loads, and stored seeds still present."""
        alive = {i: h for i, h in stored.items() if h[0] == "seed" and h[1] in self.live_seeds}
        return {**alive, **self.taken}


def now() -> datetime:
    return datetime.now(UTC)


# Libraries whose upgrade changes what the transforms output (text, dates, URLs, language, encoding).
_OUTPUT_PACKAGES = ("trafilatura", "htmldate", "courlan", "justext", "lxml", "py3langid", "tldextract",
                    "charset-normalizer")  # fmt: skip


def pipeline_version() -> str:
    """A digest of the transforms' code and data and of the versions of the libraries they use: when
    it changes, every input is processed again."""
    digest = hashlib.sha256()
    for package in _OUTPUT_PACKAGES:
        digest.update(f"{package}=={importlib.metadata.version(package)}\n".encode())
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
def read_stale(con: duckdb.DuckDBPyConnection, version: str, seed_refs: list[str]) -> pa.Table:
    """Stored articles to re-tag because the transforms changed: where their bytes are, not the bytes."""
    stale = db.stale_articles(con, version, seed_refs)
    if stale.num_rows:
        get_run_logger().info(
            "%d stored articles to re-tag with transforms version %s", stale.num_rows, version
        )
    return stale


def stored_documents(
    con: duckdb.DuckDBPyConnection, rows: Sequence[dict]
) -> tuple[list[RawDocument], list[Failure]]:
    """The inputs of stale rows, their bytes read from the archive (or data_gzip for rows from before it).

    A record that is missing or damaged is a failure of that article (stage 'archive'), not of the run.
    """
    root = db.archive_root(con)
    old = db.stored_gzip(con, [r["content_hash"] for r in rows if r["warc_path"] is None])
    docs, failures = [], []
    for row in rows:
        digest = row["content_hash"]
        try:
            if row["warc_path"] is None:
                data = old[digest]
            else:
                where = warc.Location(row["warc_path"], row["warc_offset"], row["warc_length"])
                data = warc.read_record(root, where, digest)
        except warc.ArchiveError as exc:
            failures.append(Failure(row["source_ref"], row["origin"], "archive", str(exc), digest))
            continue
        docs.append(
            RawDocument(
                source_ref=row["source_ref"],
                data=data,
                origin=row["origin"],
                url=row["url"],
                outlet=row["outlet"],
                published=row["published"],
                media_type=row["media_type"],
                title=row["title"],
                topics=tuple(row["topics"] or ()),
            )
        )
    return docs, failures


def extract_and_load(
    con: duckdb.DuckDBPyConnection,
    docs: Sequence[RawDocument],
    run_id: str,
    version: str,
    pool: Pool | None,
    settings: Settings,
    claims: RunClaims,
) -> InputCounts:
    """Extract, tag and load inputs batch by batch (seed files, stored articles re-tagged)."""
    counts = InputCounts()
    batches = list(chunks(range(len(docs)), batch_size(len(docs), settings)))
    if len(batches) > 1:  # how far a long run is, on the run's page and the Artifacts page
        progress = create_progress_artifact(
            0.0, key="run-progress", description=f"{len(docs)} inputs in {len(batches)} batches"
        )
    # Copies (the same parsed page, the same given fields) are extracted once: the first of each in
    # the batch k it falls in, the others take its result under their own names when their batch
    # loads (or are extracted then, if the first failed). Every input still loads in its own batch.
    copy_of = copies_of(quote(docs), pool, settings) if docs and settings.extract_copies_once else []
    copy_of = copy_of or [None] * len(docs)
    firsts = {c for c in copy_of if c is not None}
    kept: dict[int, TaggedArticle | Failure] = {}  # results of the inputs others are copies of

    def submit(indices: Sequence[int]) -> PrefectFuture | None:
        work = [docs[i] for i in indices if copy_of[i] is None]
        return extract_and_tag.submit(quote(work), pool, settings) if work else None

    # Batch k+1 is extracted (a submitted task, in the pool) while batch k is loaded here; its WARC
    # records are then encoded here too, since the pool is busy with the next batch.
    # quote(): Prefect need not walk every input and article of a batch looking for futures
    ahead = [submit(indices) for indices in batches[:1]]
    for number, indices in enumerate(batches, 1):
        if number < len(batches):
            ahead.append(submit(batches[number]))
        future = ahead.pop(0)
        done = future.result() if future is not None else []
        extracted = dict(zip([i for i in indices if copy_of[i] is None], done, strict=True))
        kept.update((i, r) for i, r in extracted.items() if i in firsts)
        results = _with_copies(indices, copy_of, extracted, kept, docs, pool, settings)
        batch = [docs[i] for i in indices]
        encoder = pool if number == len(batches) else None
        outcome = load_batch(con, quote(results), quote(batch), run_id, version, claims, pool=encoder)
        counts += InputCounts(
            new=outcome.new,
            updated=outcome.updated,
            failed=outcome.failed,
            duplicate=outcome.duplicate,
            loaded=tuple(outcome.loaded),
        )
        if len(batches) > 1:
            update_progress_artifact(
                progress,
                100 * number / len(batches),
                description=f"batch {number} of {len(batches)}: {counts.describe()}",
            )
    return counts


def batch_size(inputs: int, settings: Settings) -> int:
    """settings.batch_size, except that a run of at most one batch that the worker pool extracts is
    cut in two: the second half is then extracted while the first loads (a batch loads only once all
    of it is extracted, so one batch leaves the pool idle while it loads, and the flow while it waits).
    """
    if settings.workers < 2 or inputs > settings.batch_size or inputs < 2 * settings.pool_threshold:
        return settings.batch_size
    return -(-inputs // 2)


@task(name="find-copies", cache_policy=NONE)
def copies_of(docs: Sequence[RawDocument], pool: Pool | None, settings: Settings) -> list[int | None]:
    """For each input, the index of the earlier input it is a copy of, else None (flows/workers.py)."""
    copy_of = find_copies(docs, pool, settings)
    if copies := sum(c is not None for c in copy_of):
        get_run_logger().info("%d of %d inputs are copies of another: extracted once", copies, len(docs))
    return copy_of


def _with_copies(
    indices: Sequence[int],
    copy_of: Sequence[int | None],
    extracted: dict[int, TaggedArticle | Failure],
    kept: dict[int, TaggedArticle | Failure],
    docs: Sequence[RawDocument],
    pool: Pool | None,
    settings: Settings,
) -> list[TaggedArticle | Failure]:
    """A batch's results in input order: a copy takes its first's article under its own name; the
    copies of a first that failed (or timed out) are extracted now, each for itself."""
    again = [i for i in indices if (c := copy_of[i]) is not None and not isinstance(kept[c], TaggedArticle)]
    if again:
        redone = extract_and_tag(quote([docs[i] for i in again]), pool, settings)
        extracted = {**extracted, **dict(zip(again, redone, strict=True))}
    return [
        extracted[i] if i in extracted else as_copy(kept[copy_of[i]], docs[i])  # type: ignore[index, arg-type]
        for i in indices
    ]


def retag_stored(
    con: duckdb.DuckDBPyConnection,
    seed_refs: Sequence[str],
    run_id: str,
    version: str,
    pool: Pool | None,
    settings: Settings,
    claims: RunClaims,
) -> InputCounts:
    """Re-tag, from their raw bytes, stored articles that other transforms made and no input re-read."""
    stale = read_stale(con, version, list(seed_refs))
    counts = InputCounts(inputs=stale.num_rows)
    # A batch's bytes at a time: a re-tag of the whole warehouse never holds all its pages at once.
    for start in range(0, stale.num_rows, settings.batch_size):
        docs, unreadable = stored_documents(con, stale.slice(start, settings.batch_size).to_pylist())
        if unreadable:
            record_failures(con, unreadable, run_id)
        counts += InputCounts(failed=len(unreadable))
        counts += extract_and_load(con, docs, run_id, version, pool, settings, claims)
    return counts


@task(name="extract-and-tag", cache_policy=NONE)
def extract_and_tag(
    batch: Sequence[RawDocument], pool: Pool | None, settings: Settings, topics: Sequence[Topic] = ()
) -> list[TaggedArticle | Failure]:
    """Clean, describe and tag one batch, split across the worker processes.

    With `topics` (feed pages), each article is matched against them there too: those that matched
    carry the topics' names (flows/workers.py process_and_match)."""
    limit = settings.cpu_seconds_per_document
    work = functools.partial(process_and_match, topics=tuple(topics))
    if pool is None or not in_pool(pool, len(batch), settings):
        load_language_model(settings)
        results = work(batch, settings.max_document_bytes, limit)
    else:
        parts = pool_parts(batch, pool.workers)
        results = run_in_pool(parts, pool, settings.max_document_bytes, limit, work)
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
    claims: RunClaims | None = None,
    pool: Pool | None = None,
) -> BatchResult:
    """One transaction: articles, sources, raw bytes, failures and their resolution.

    `results` are the articles to keep (e.g. feed pages that matched a topic) and the failures;
    `raws` are all inputs of the batch, whose old warnings are replaced. Inputs that are one
    article (the same canonical URL) load once: the others are recorded as duplicates.
    Raw bytes not stored yet are archived first (archive_raws), in `pool`'s workers when given.
    """
    claims = claims if claims is not None else RunClaims()
    candidates = [r for r in results if isinstance(r, TaggedArticle)]
    items = [(article_id_for(r.article.url, r.origin, r.source_ref), r) for r in candidates]
    stored = db.article_holders(con, [article_id for article_id, _ in items])
    items, duplicates = split_duplicates(items, claims.held(stored))
    ok = [r for _, r in items]
    failures = [r for r in results if isinstance(r, Failure)]
    warnings = [
        Failure(r.source_ref, r.origin, "decode", note, r.content_hash, severity="warning")
        for r in ok
        for note in r.notes
    ]
    raw_by_hash = {content_hash(r.data): r for r in raws}
    raw_kept = {r.content_hash: raw_by_hash[r.content_hash] for r in ok if r.content_hash in raw_by_hash}
    # A feed's pages share its source_ref (the feed URL): the bytes tell them apart.
    given = {(r.origin, r.source_ref, h): key for h, r in raw_by_hash.items() if (key := given_key(r))}
    stamp = now()
    archived = archive_raws(con, raw_kept, run_id, stamp, pool)

    def load() -> dict[str, int]:  # one transaction, run once more on a DuckLake conflict
        counts = db.load_articles(con, items, archived, version, stamp, given)
        for origin in {r.origin for r in raws}:
            db.clear_warnings(con, origin, [r.source_ref for r in raws if r.origin == origin])
            db.resolve_failures(con, origin, [r.source_ref for r in ok if r.origin == origin], stamp)
        db.record_failures(con, failures + warnings + duplicates, run_id, stamp)
        return counts

    counts = db.batch(con, load)
    claims.taken.update((article_id, (r.origin, r.source_ref)) for article_id, r in items)
    logger = get_run_logger()
    logger.info("loaded %d new and %d updated articles", counts["new"], counts["updated"])
    for f in failures:
        logger.warning("%s: %s (%s): %s", f.severity, f.source_ref, f.stage, f.reason)
    if duplicates:  # one line, not one per input: a folder of copies logs hundreds (each is a failures row)
        names = ", ".join(f.source_ref for f in duplicates[:3]) + (", ..." if len(duplicates) > 3 else "")
        logger.warning(
            "%d inputs are the same article as another input, which was loaded (%s): see ingest_failures, "
            "stage 'duplicate'",
            len(duplicates),
            names,
        )
    return BatchResult(
        [i for i, _ in items], counts["new"], counts["updated"], len(failures), len(duplicates)
    )


def _payload(digest: str, raw: RawDocument) -> warc.Payload:
    # The URL fetched for a feed page; a seed's URL from its manifest, else its file name.
    target = raw.source_ref if raw.origin == "feed" else (raw.url or raw.source_ref)
    return warc.Payload(digest, raw.data, raw.media_type, target)


def archive_raws(
    con: duckdb.DuckDBPyConnection,
    raws: dict[str, RawDocument],
    run_id: str,
    stamp: datetime,
    pool: Pool | None = None,
) -> dict[str, db.RawRow]:
    """Write the inputs not stored yet to this run's archive file; their raw_documents rows.

    Called before the batch's transaction: a crash in between leaves records no row points at
    (written again by the next run), never a row pointing at nothing. The WARC encoding and
    gzip run in the pool's workers; this process only appends the finished bytes.
    """
    stored = db.archived_digests(con, list(raws))
    todo = [_payload(digest, raw) for digest, raw in raws.items() if digest not in stored]
    if not todo:
        return {}
    records = _encode(todo, stamp, pool)
    placed = warc.append_records(db.archive_root(con), warc.run_file(run_id, stamp.date()), records, stamp)
    rows = {}
    for p in todo:
        where = placed[p.digest]
        rows[p.digest] = db.RawRow(len(p.data), p.media_type, where.path, where.offset, where.length)
    return rows


def _encode(todo: list[warc.Payload], stamp: datetime, pool: Pool | None) -> list[warc.EncodedRecord]:
    if pool is not None and len(todo) >= SETTINGS.pool_threshold:
        parts = chunks(todo, -(-len(todo) // (2 * pool.workers)))  # two parts per worker
        futures = [pool.submit(warc.encode_records, part, stamp) for part in parts]
        try:
            return [record for future in futures for record in future.result()]
        except pool.died:  # a worker died (killed, out of memory): this process encodes them
            pool.renew()
    return warc.encode_records(todo, stamp)


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
def publish_summary(con: duckdb.DuckDBPyConnection, run_id: str, article_ids: Sequence[str] = ()) -> dict:
    """The run's summary (its articles, `article_ids`: never a read of the whole warehouse) as artifacts."""
    report = summary.run_summary(con, run_id, article_ids)
    create_table_artifact(
        key="run-summary", table=report["table"], description="The run's articles per source and role"
    )
    create_markdown_artifact(key="run-summary-text", markdown=report["markdown"], description="wiretrace run")
    return report
