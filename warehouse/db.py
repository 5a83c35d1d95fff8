"""The one connection helper, schema migrations, and the core loads.

Every SQL statement of wiretrace lives in this package: the schema in numbered
`sql/lake/*.sql` files (DuckLake; `sql/0NN_*.sql` are the legacy DuckDB-file migrations, kept
for `wiretrace migrate` and its tests), the statements the pipeline runs here and in sibling modules.
DuckLake has no PRIMARY KEY: every upsert is a DELETE+INSERT or a MERGE inside `transaction()`,
which holds the load lock (warehouse/lake.py), so two writers never store one key twice.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import duckdb
import pyarrow as pa

from settings import ARCHIVE_FOLDER, archive_override
from transforms.dates import parse_iso
from transforms.records import Failure, TaggedArticle
from warehouse import lake

SQL_DIR = Path(__file__).parent / "sql"
LAKE_SQL_DIR = SQL_DIR / "lake"
T = TypeVar("T")


class MigrationError(RuntimeError):
    """An applied migration file was edited: schema changes must be new numbered files."""


def connect(
    path: str | Path, read_only: bool = False, wait: float | None = None
) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (creating it and applying pending migrations when writable)."""
    con = lake.connect(path, read_only=read_only, wait=wait)
    if not read_only:
        try:
            migrate(con)
        except BaseException:
            con.close()
            raise
    if (root := archive_root_for(path)) is not None:
        set_archive_root(con, root)
    return con


def archive_root_for(db: str | Path) -> Path | None:
    """The archive folder of the warehouse `db` names (None: none known, set WIRETRACE_ARCHIVE).

    WIRETRACE_ARCHIVE, else archive/ beside a SQLite catalog, else beside a PostgreSQL catalog's data
    folder (WIRETRACE_DATA): the writers of a shared catalog see that place, so they see the archive too.
    Never inside the data folder, whose files DuckLake manages.
    """
    if (given := archive_override()) is not None:
        return given
    where = lake.locate(db)
    if where.file is not None:
        return (where.file.parent / ARCHIVE_FOLDER).resolve()
    if where.data_path:
        return (Path(where.data_path).parent / ARCHIVE_FOLDER).resolve()
    return None


def set_archive_root(con: duckdb.DuckDBPyConnection, root: Path) -> None:
    """Where this connection's raw inputs are archived (raw_documents.warc_path is relative to it)."""
    con.execute("SET VARIABLE wiretrace_archive = ?", [str(root)])


def archive_root(con: duckdb.DuckDBPyConnection) -> Path:
    """The archive folder of a connection opened by connect() (or given one by set_archive_root())."""
    root = con.execute("SELECT getvariable('wiretrace_archive')").fetchone()[0]
    if not root:
        raise RuntimeError(
            "no archive folder for this warehouse: set WIRETRACE_ARCHIVE (a PostgreSQL catalog without"
            " WIRETRACE_DATA has no folder of its own), or open it with warehouse.db.connect"
        )
    return Path(root)


def migration_files(folder: Path = LAKE_SQL_DIR) -> list[Path]:
    """The numbered migrations of the lake (default) or of the legacy DuckDB file (SQL_DIR)."""
    return sorted(folder.glob("[0-9][0-9][0-9]_*.sql"))


def migrate(con: duckdb.DuckDBPyConnection, folder: Path = LAKE_SQL_DIR) -> list[str]:
    """Apply every migration not applied yet, each in its own transaction; return their names.

    Under the load lock, so two writers starting on a new catalog apply each file once; a
    warehouse that is up to date is only read (runs do not take turns to start).
    """
    if _up_to_date(con, folder):
        return []
    with lake.locked(con):
        # No key (DuckLake has none): the lock makes each version appear once (duplicate_keys checks).
        con.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version INTEGER NOT NULL, name VARCHAR NOT NULL,
                   checksum VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"""
        )
        applied = {
            v: (n, c)
            for v, n, c in con.execute("SELECT version, name, checksum FROM schema_migrations").fetchall()
        }
        done = []
        for file in migration_files(folder):
            version = int(file.name[:3])
            sql = file.read_text(encoding="utf-8")
            checksum = _checksum(file)
            if version in applied:
                if applied[version][1] != checksum:
                    raise MigrationError(
                        f"{file.name} changed after it was applied; add a new migration instead"
                    )
                continue
            with transaction(con):
                con.execute(sql)
                con.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES (?, ?, ?)",
                    [version, file.name, checksum],
                )
            done.append(file.name)
        if done and folder == LAKE_SQL_DIR:  # a new or newly migrated lake: its table options too
            lake.set_table_options(con)
    return done


def _up_to_date(con: duckdb.DuckDBPyConnection, folder: Path) -> bool:
    """Every file applied as it is now (an edited one is not: migrate() then refuses it)."""
    try:
        applied = dict(con.execute("SELECT version, checksum FROM schema_migrations").fetchall())
    except duckdb.CatalogException:
        return False
    return all(applied.get(int(f.name[:3])) == _checksum(f) for f in migration_files(folder))


def _checksum(file: Path) -> str:
    return hashlib.sha256(file.read_text(encoding="utf-8").encode()).hexdigest()


# Connections inside a transaction() now: an inner transaction() joins the outer one.
_OPEN: weakref.WeakSet[duckdb.DuckDBPyConnection] = weakref.WeakSet()


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All or nothing, under the load lock: a failure inside leaves the warehouse as it was before.

    A batch is the unit: the lock is held from BEGIN to COMMIT, never for a whole run. Nested
    inside another transaction() of the same connection, it is part of that one.
    """
    if con in _OPEN:
        yield con
        return
    with lake.locked(con):
        con.execute("BEGIN TRANSACTION")
        _OPEN.add(con)
        try:
            yield con
        except BaseException:
            _OPEN.discard(con)
            con.execute("ROLLBACK")
            raise
        _OPEN.discard(con)
        con.execute("COMMIT")


def batch(con: duckdb.DuckDBPyConnection, work: Callable[[], T]) -> T:
    """`work()` as one transaction(); run once more when its commit met a DuckLake conflict.

    `work` must be idempotent (it is, when it loads the same computed records again). Between
    wiretrace writers the load lock prevents conflicts; this covers any other writer.
    """

    def once() -> T:
        with transaction(con):
            return work()

    return lake.retry_on_conflict(once)


# -- runs ---------------------------------------------------------------------------------------


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str, now: datetime) -> None:
    with transaction(con):
        con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
        con.execute(
            "INSERT INTO runs (run_id, flow, started_at, status) VALUES (?, ?, ?, 'running')",
            [run_id, flow, now],
        )


RUN_COUNT_COLUMNS = (
    "inputs_seen", "articles_new", "articles_updated", "articles_unchanged", "failures", "inputs_duplicate",
    "feeds_polled", "feeds_failed", "pages_fetched", "pages_failed",
)  # fmt: skip


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, now: datetime, counts: Mapping[str, int]) -> None:
    """Mark the run completed with its counts, keyed by the runs columns of RUN_COUNT_COLUMNS."""
    unknown = set(counts) - set(RUN_COUNT_COLUMNS)
    if unknown:
        raise ValueError(f"not columns of runs: {sorted(unknown)}")
    assignments = ", ".join(f"{name} = ?" for name in RUN_COUNT_COLUMNS)
    with transaction(con):
        con.execute(
            f"UPDATE runs SET finished_at = ?, status = 'completed', {assignments} WHERE run_id = ?",
            [now, *(counts.get(name, 0) for name in RUN_COUNT_COLUMNS), run_id],
        )


def crash_run(con: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Mark the run 'crashed' unless it completed (a run's batches commit one by one, so its row stays)."""
    try:
        with transaction(con):
            con.execute(
                "UPDATE runs SET status = 'crashed', finished_at = now() "
                "WHERE run_id = ? AND status = 'running'",
                [run_id],
            )
    except duckdb.Error:
        pass  # the warehouse is what failed: the run's failure is recorded by Prefect anyway


# -- articles -----------------------------------------------------------------------------------


def loaded_versions(con: duckdb.DuckDBPyConnection, origin: str) -> dict[str, tuple[str, str, str | None]]:
    """source_ref -> (content_hash, pipeline_version, given_key) of every article loaded from `origin`."""
    rows = con.execute(
        "SELECT source_ref, content_hash, pipeline_version, given_key FROM articles WHERE origin = ?",
        [origin],
    ).fetchall()
    return {ref: (h, v, k) for ref, h, v, k in rows}


def ids_sql(ids: Sequence[str]) -> str:
    """Keys as a constant SQL list, for `column IN {ids_sql(ids)}`: a scan filters by it and reads
    only the matching rows' other columns (a join against a registered table reads the columns of
    every row), and nothing is converted per value (a Python list parameter costs DuckDB's client a
    failed pandas import per value). Keys are hex digests or the caller's own; quoted, they stay
    constants whatever they hold."""
    return "(" + (", ".join("'" + i.replace("'", "''") + "'" for i in dict.fromkeys(ids)) or "NULL") + ")"


def timestamps_sql(values: Sequence[datetime]) -> str:
    """Timestamps as SQL literals: a constant IN list is what the scan prunes row groups by."""
    return ", ".join(f"TIMESTAMPTZ '{v.isoformat()}'" for v in sorted(set(values)))


def where_ids(
    con: duckdb.DuckDBPyConnection, ids: Sequence[str], alias: str = "a", since: datetime | None = None
) -> str | None:
    """A filter on `articles {alias}` for the rows of `ids` that the storage prunes by (None: none stored).

    Ids are hashes, in no order the files keep, so a filter on them alone reads every row group of
    the wide columns (the texts). The ids' `updated_at` (a scan of two narrow columns) are in the
    order rows were written: filtering on them too reads only the row groups holding these rows.
    `since`: when most of `ids` are rows written at or after it (a run's own articles), they are
    looked for there first, which reads only the files written since (DuckLake skips the others by
    their min/max `updated_at`: at a million articles 0.03 s instead of 0.16 s); the ids not found
    there are looked for everywhere, so a wrong guess costs time, never a row.
    The ids go in as constants: safe, they are hex digests or the caller's own ids, quoted.
    """
    if not ids:
        return None
    wanted = list(dict.fromkeys(ids))
    times: set[datetime] = set()
    if since is not None:
        rows = con.execute(
            f"""SELECT article_id, updated_at FROM articles
                WHERE updated_at >= ?::TIMESTAMPTZ AND article_id IN {ids_sql(wanted)}""",
            [since],
        ).fetchall()
        found = {a for a, _ in rows}
        times = {t for _, t in rows}
        wanted = [i for i in wanted if i not in found]
    if wanted:
        found_times = con.execute(
            f"SELECT DISTINCT updated_at FROM articles WHERE article_id IN {ids_sql(wanted)}"
        )
        times |= {r[0] for r in found_times.fetchall()}
    return rows_written(ids, times, alias) if times else None


def rows_written(ids: Sequence[str], times: Iterable[datetime], alias: str = "a") -> str:
    """The filter on `articles {alias}` for these ids written at these times (where_ids' answer):
    the storage reads only the row groups whose min/max `updated_at` hold one of the times."""
    return f"{alias}.article_id IN {ids_sql(ids)} AND {alias}.updated_at IN ({timestamps_sql(list(times))})"


@contextlib.contextmanager
def _keys(con: duckdb.DuckDBPyConnection, values: Sequence[str]) -> Iterator[str]:
    """`values` as a one-column table (`value`) for a statement to join; its name.

    Not a Python list parameter: without pandas installed, DuckDB's client looks for it once per value
    of a list (a failed import that searches sys.path: ~1 ms a value, a second for 1000 keys)."""
    name = f"keys_{id(values):x}"
    con.register(name, pa.table({"value": pa.array(list(values), pa.string())}))
    try:
        yield name
    finally:
        con.unregister(name)


def article_holders(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """article_id -> (origin, source_ref) of the input each stored article was loaded from."""
    # Two narrow columns first: a batch's ids are mostly new, found nowhere, and the wide columns are
    # then not read at all (reading them for every row cost 0.5 s a batch at a million articles).
    where = where_ids(con, article_ids, alias="articles")
    if where is None:
        return {}
    rows = con.execute(f"SELECT article_id, origin, source_ref FROM articles WHERE {where}").fetchall()
    return {article_id: (origin, ref) for article_id, origin, ref in rows}


def article_texts(con: duckdb.DuckDBPyConnection, article_ids: Sequence[str]) -> dict[str, str]:
    """article_id -> text of the stored articles among `article_ids` (the rows of these ids only)."""
    where = where_ids(con, article_ids, alias="articles")
    if where is None:
        return {}
    return dict(con.execute(f"SELECT article_id, text FROM articles WHERE {where}").fetchall())


def stale_articles(con: duckdb.DuckDBPyConnection, version: str, seed_refs: Sequence[str]) -> pa.Table:
    """Articles made by another version of the transforms that this run does not re-read.

    Seeds still in the seeds folder are re-read from disk; everything else (feed pages,
    seeds no longer on disk) is re-tagged from its stored raw bytes. One row per article, without
    the bytes (columnar, so a million rows stay small): the columns of a RawDocument but `data`,
    its content_hash, and where its record is (warc_path, warc_offset, warc_length), null for rows
    loaded before 011, whose bytes are in data_gzip (stored_gzip).
    """
    with _keys(con, seed_refs) as on_disk:
        return con.execute(
            f"""SELECT a.origin, a.source_ref, a.url, a.outlet, a.published, a.title, a.topics,
                       r.media_type, r.content_hash, r.warc_path, r.warc_offset, r.warc_length
                FROM articles a JOIN raw_documents r USING (content_hash)
                WHERE a.pipeline_version <> ?
                  AND NOT (a.origin = 'seed' AND a.source_ref IN (SELECT value FROM {on_disk}))
                ORDER BY a.article_id""",
            [version],
        ).to_arrow_table()


def stored_gzip(con: duckdb.DuckDBPyConnection, digests: Sequence[str]) -> dict[str, bytes]:
    """The raw bytes of rows loaded before 011 (data_gzip, decompressed), by content_hash."""
    if not digests:
        return {}
    with _keys(con, digests) as keys:
        rows = con.execute(
            f"""SELECT content_hash, data_gzip FROM raw_documents
                WHERE data_gzip IS NOT NULL AND content_hash IN (SELECT value FROM {keys})"""
        ).fetchall()
    return {digest: gzip.decompress(data) for digest, data in rows}


def archived_digests(con: duckdb.DuckDBPyConnection, digests: Sequence[str]) -> set[str]:
    """Which of these raw inputs are stored already (so are not archived again)."""
    if not digests:
        return set()
    # a constant list: the scan opens only the digests' partitions (lake.PARTITIONED); a join would
    # read every stored digest
    rows = con.execute(f"SELECT content_hash FROM raw_documents WHERE content_hash IN {ids_sql(digests)}")
    return {r[0] for r in rows.fetchall()}


@dataclass(frozen=True, slots=True)
class RawRow:
    """A raw input's row: its bytes are in the archive record (warc_path, warc_offset, warc_length)."""

    size_bytes: int
    media_type: str | None
    warc_path: str
    warc_offset: int
    warc_length: int


_ARTICLE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("url", pa.string()),
        ("outlet", pa.string()),
        ("title", pa.string()),
        ("byline", pa.string()),
        ("published", pa.string()),
        ("published_at", pa.timestamp("us", tz="UTC")),
        ("published_date", pa.date32()),
        ("language", pa.string()),
        ("text", pa.string()),
        ("word_count", pa.int32()),
        ("content_hash", pa.string()),
        ("origin", pa.string()),
        ("source_ref", pa.string()),
        ("pipeline_version", pa.string()),
        ("topics", pa.list_(pa.string())),
        ("given_key", pa.string()),
    ]
)
_SOURCE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("source", pa.string()),
        ("kind", pa.string()),
        ("role", pa.string()),
        ("evidence", pa.string()),
        ("char_start", pa.int32()),
        ("char_end", pa.int32()),
    ]
)


def _article_rows(
    items: Sequence[tuple[str, TaggedArticle]], version: str, given: Mapping[tuple[str, str, str], str]
) -> pa.Table:
    cols: dict[str, list] = {name: [] for name in _ARTICLE_SCHEMA.names}
    for article_id, item in items:
        a = item.article
        moment, day = parse_iso(a.published)
        values = (
            article_id, a.url, a.outlet, a.title, a.byline, a.published, moment, day, a.language,
            a.text, item.word_count, item.content_hash, item.origin, item.source_ref, version,
            list(item.topics) or None, given.get((item.origin, item.source_ref, item.content_hash)),
        )  # fmt: skip
        for name, value in zip(_ARTICLE_SCHEMA.names, values, strict=True):
            cols[name].append(value)
    return pa.table(cols, schema=_ARTICLE_SCHEMA)


def _source_rows(items: Sequence[tuple[str, TaggedArticle]]) -> pa.Table:
    cols: dict[str, list] = {name: [] for name in _SOURCE_SCHEMA.names}
    for article_id, item in items:
        for tag in item.sources:
            values = (article_id, tag.source, tag.kind, tag.role, tag.evidence, tag.start, tag.end)
            for name, value in zip(_SOURCE_SCHEMA.names, values, strict=True):
                cols[name].append(value)
    return pa.table(cols, schema=_SOURCE_SCHEMA)


def load_articles(
    con: duckdb.DuckDBPyConnection,
    items: Sequence[tuple[str, TaggedArticle]],
    raw: Mapping[str, RawRow],
    version: str,
    now: datetime,
    given: Mapping[tuple[str, str, str], str] | None = None,
) -> dict[str, int]:
    """Upsert articles with their sources and raw inputs' rows, in bulk; return counts new/updated.

    `items` hold one input per article id (transforms.pipeline.split_duplicates); `given` maps
    (origin, source_ref, content_hash) to the digest of what the caller gave with the input (given_key).
    `raw` maps content_hash to the row of an input not stored yet, archived before this call
    (so a row never points at a record that is not written).
    A re-loaded article keeps its first_seen_at and story; its sources are replaced.
    The caller wraps this in `transaction()` with the rest of the batch (it holds the load lock).
    """
    if not items:
        return {"new": 0, "updated": 0}
    articles = _article_rows(items, version, given or {})
    sources = _source_rows(items)
    raws = pa.table(
        {
            "content_hash": pa.array(list(raw), pa.string()),
            "size_bytes": pa.array([r.size_bytes for r in raw.values()], pa.int64()),
            "media_type": pa.array([r.media_type for r in raw.values()], pa.string()),
            "warc_path": pa.array([r.warc_path for r in raw.values()], pa.string()),
            "warc_offset": pa.array([r.warc_offset for r in raw.values()], pa.int64()),
            "warc_length": pa.array([r.warc_length for r in raw.values()], pa.int64()),
        }
    )
    ids = articles.column("article_id").to_pylist()
    # Constant lists of the batch's keys, never a join: a scan pushes them down and reads the
    # batch's rows only (a join would read a whole column of every file, which grows with history);
    # the ids and write times first (where_ids), so new articles read no other column.
    where = where_ids(con, ids, alias="articles") or "false"
    kept = con.execute(
        f"SELECT article_id, first_seen_at, story_id FROM articles WHERE {where}"
    ).to_arrow_table()
    existing = kept.num_rows
    con.register("batch_articles", articles)
    con.register("batch_sources", sources)
    con.register("batch_raw", raws)
    con.register("batch_kept", kept)
    try:
        if raw:  # none when every input's bytes are stored already (a re-tag, a re-run)
            con.execute(
                f"""INSERT INTO raw_documents BY NAME
                   SELECT *, ? AS first_seen_at FROM batch_raw
                   WHERE content_hash NOT IN (
                       SELECT content_hash FROM raw_documents WHERE content_hash IN {ids_sql(raw)})""",
                [now],
            )
        if existing:  # new articles (the usual case) have nothing to replace
            con.execute(f"DELETE FROM article_sources WHERE article_id IN {ids_sql(ids)}")
            con.execute(f"DELETE FROM articles WHERE article_id IN {ids_sql(ids)}")
        con.execute(
            """INSERT INTO articles BY NAME
               SELECT b.*, coalesce(k.first_seen_at, ?) AS first_seen_at, ? AS updated_at,
                      k.story_id AS story_id
               FROM batch_articles b LEFT JOIN batch_kept k USING (article_id)""",
            [now, now],
        )
        if sources.num_rows:
            con.execute("INSERT INTO article_sources BY NAME SELECT * FROM batch_sources")
    finally:
        for name in ("batch_articles", "batch_sources", "batch_raw", "batch_kept"):
            con.unregister(name)
    return {"new": len(items) - existing, "updated": existing}


# -- failures -----------------------------------------------------------------------------------


def record_failures(
    con: duckdb.DuckDBPyConnection, failures: Sequence[Failure], run_id: str, now: datetime
) -> None:
    """Upsert one row per (origin, source_ref, stage), counting attempts across runs."""
    if not failures:
        return
    unique = {(f.origin, f.source_ref, f.stage): f for f in failures}.values()
    batch = pa.table(
        {
            "origin": [f.origin for f in unique],
            "source_ref": [f.source_ref for f in unique],
            "content_hash": [f.content_hash for f in unique],
            "stage": [f.stage for f in unique],
            "severity": [f.severity for f in unique],
            "reason": [f.reason for f in unique],
        }
    )
    with transaction(con):
        con.register("batch_failures", batch)
        try:
            # The key (origin, source_ref, stage) is kept unique by the load lock around this MERGE.
            con.execute(
                """MERGE INTO ingest_failures t USING batch_failures b
                   ON t.origin = b.origin AND t.source_ref = b.source_ref AND t.stage = b.stage
                   WHEN MATCHED THEN UPDATE SET
                       content_hash = b.content_hash, severity = b.severity, reason = b.reason,
                       last_failed_at = $now, last_run_id = $run_id, resolved_at = NULL,
                       attempts = CASE WHEN t.last_run_id = $run_id THEN t.attempts ELSE t.attempts + 1 END
                   WHEN NOT MATCHED THEN INSERT
                       (origin, source_ref, content_hash, stage, severity, reason, attempts,
                        first_failed_at, last_failed_at, last_run_id, resolved_at)
                       VALUES (b.origin, b.source_ref, b.content_hash, b.stage, b.severity, b.reason, 1,
                               $now, $now, $run_id, NULL)""",
                {"now": now, "run_id": run_id},
            )
        finally:
            con.unregister("batch_failures")


def resolve_failures(
    con: duckdb.DuckDBPyConnection,
    origin: str,
    source_refs: Sequence[str],
    now: datetime,
    stages: Sequence[str] | None = None,
) -> None:
    """Mark the errors of inputs that have now passed `stages` as resolved (None: every stage, for
    inputs that loaded). A page that was fetched but then failed to extract resolves its `fetch`
    error only: its `extract` error stays open."""
    if not source_refs:
        return
    where = (
        "origin = ? AND severity = 'error' AND resolved_at IS NULL AND source_ref IN (SELECT value FROM {})"
        + (f" AND stage IN {ids_sql(stages)}" if stages is not None else "")
    )
    with _keys(con, source_refs) as keys:
        # An UPDATE costs a DuckLake write even when it matches nothing (the usual case): look first.
        if con.execute(
            f"SELECT count(*) FROM ingest_failures WHERE {where.format(keys)}", [origin]
        ).fetchone()[0]:
            con.execute(
                f"UPDATE ingest_failures SET resolved_at = ? WHERE {where.format(keys)}", [now, origin]
            )


def clear_warnings(con: duckdb.DuckDBPyConnection, origin: str, source_refs: Sequence[str]) -> None:
    """Drop old warnings of inputs re-read in this batch (a re-read records its warnings afresh)."""
    if source_refs:
        with _keys(con, source_refs) as keys:
            con.execute(
                f"""DELETE FROM ingest_failures
                    WHERE origin = ? AND severity = 'warning' AND source_ref IN (SELECT value FROM {keys})""",
                [origin],
            )


def open_failure_refs(con: duckdb.DuckDBPyConnection, origin: str, stages: Sequence[str]) -> list[str]:
    """source_refs of the unresolved errors of these stages (e.g. the manifest's rows), in one read."""
    rows = con.execute(
        f"""SELECT DISTINCT source_ref FROM ingest_failures
            WHERE origin = ? AND stage IN {ids_sql(stages)} AND severity = 'error' AND resolved_at IS NULL
            ORDER BY source_ref""",
        [origin],
    ).fetchall()
    return [r[0] for r in rows]
