"""The lake's schema as it stands after every migration, in one file to read: `sql/lake/schema.sql`.

The migrations are history: `lake/001_schema.sql` folds thirteen legacy files in their order, so some
views are defined two or three times there (`CREATE OR REPLACE`) and columns arrive by `ALTER TABLE`
later on. An analyst wants the result, not the history. This module writes it:

- each table as the lake has it (columns, types, NOT NULL, in column order), with the comments its
  migrations give the table and each column (a column's COMMENT ON, which the catalog keeps, over the
  note beside its definition);
- each view as the last migration that (re)defined it wrote it, comments and layout kept, with the
  file it comes from.

`tests/warehouse/test_schema_listing.py` builds a fresh lake and checks that the committed file is what
this module writes from it, so the listing cannot drift from the migrations. To write it again after a
new migration: `make schema` (or `.venv/bin/python -m warehouse.schema_listing`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from warehouse.db import LAKE_SQL_DIR, migration_files

if TYPE_CHECKING:
    import duckdb

LISTING = LAKE_SQL_DIR / "schema.sql"

_CREATE_TABLE = re.compile(r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\(", re.IGNORECASE)
_CREATE_VIEW = re.compile(r"CREATE\s+(?:OR\s+REPLACE\s+)?VIEW\s+(\w+)\s+AS\b", re.IGNORECASE)
_ADD_COLUMN = re.compile(
    r"ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\b", re.IGNORECASE
)
_COLUMN_LINE = re.compile(r"^\s*(\w+)\s+[A-Za-z]")


@dataclass(frozen=True)
class Statement:
    """One statement of a migration file: its leading comment lines, its text, where it is."""

    comments: tuple[str, ...]
    text: str
    file: str


def split_statements(sql: str, file: str = "") -> list[Statement]:
    """The statements of a SQL script, split on semicolons outside quotes and comments.

    Each keeps the comment lines just above it (after the last blank line), which say what it is.
    A trailing comment on the statement's last line stays with the statement.
    """
    statements: list[Statement] = []
    start = 0
    i = 0
    quote: str | None = None
    while i < len(sql):
        ch = sql[i]
        if quote:
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif sql.startswith("--", i):
            i = sql.find("\n", i)
            if i < 0:
                break
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = len(sql) if end < 0 else end + 1
        elif ch == ";":
            line_end = sql.find("\n", i)
            line_end = len(sql) if line_end < 0 else line_end
            tail = sql[i + 1 : line_end]
            end = line_end if tail.strip().startswith("--") or not tail.strip() else i + 1
            statements.append(_statement(sql[start:end], file))
            start = i = end
            continue
        i += 1
    return statements


def _statement(chunk: str, file: str) -> Statement:
    lines = chunk.strip("\n").splitlines()
    # the comment block right above the statement: comment lines after the last blank line
    is_body = [bool(line.strip()) and not line.lstrip().startswith("--") for line in lines]
    body_at = is_body.index(True) if True in is_body else 0
    head = lines[:body_at]
    if "" in (line.strip() for line in head):
        last_blank = max(n for n, line in enumerate(head) if not line.strip())
        head = head[last_blank + 1 :]
    return Statement(tuple(line.rstrip() for line in head), "\n".join(lines[body_at:]).rstrip(), file)


@dataclass(frozen=True)
class History:
    """What the migrations say about each table and view, in the order they first appear."""

    tables: dict[str, Statement]  # the CREATE TABLE
    column_notes: dict[tuple[str, str], str]  # (table, column) -> the comment beside its definition
    views: dict[str, Statement]  # the last (re)definition


def read_history(files: list[Path] | None = None) -> History:
    tables: dict[str, Statement] = {}
    notes: dict[tuple[str, str], str] = {}
    views: dict[str, Statement] = {}
    for path in files if files is not None else migration_files():
        for st in split_statements(path.read_text(encoding="utf-8"), path.name):
            if m := _CREATE_TABLE.match(st.text):
                table = m.group(1).lower()
                tables.setdefault(table, st)
                for line in st.text.splitlines()[1:]:
                    col, note = _COLUMN_LINE.match(line), _note(line)
                    if col and note:
                        notes[(table, col.group(1).lower())] = note
            elif m := _ADD_COLUMN.match(st.text):
                above = " ".join(line.lstrip("- ").strip() for line in st.comments)
                if note := _note(st.text.splitlines()[-1]) or above:
                    notes[(m.group(1).lower(), m.group(2).lower())] = note
            elif m := _CREATE_VIEW.match(st.text):
                views[m.group(1).lower()] = st  # the last definition; the place of the first
    return History(tables, notes, _dependencies_first(views))


def _dependencies_first(views: dict[str, Statement]) -> dict[str, Statement]:
    """The views in an order that creates each after the views its (last) definition reads."""
    reads = {
        name: {other for other in views if other != name and re.search(rf"\b{other}\b", st.text)}
        for name, st in views.items()
    }
    ordered: dict[str, Statement] = {}

    def place(name: str, path: tuple[str, ...] = ()) -> None:
        if name in ordered or name in path:
            return
        for other in sorted(reads[name], key=list(views).index):
            place(other, (*path, name))
        ordered[name] = views[name]

    for name in views:
        place(name)
    return ordered


def _note(line: str) -> str | None:
    """The `-- comment` at the end of a line of SQL (outside quotes), if any."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif line.startswith("--", i):
            return line[i + 2 :].strip() or None
    return None


def render(con: duckdb.DuckDBPyConnection, history: History | None = None) -> str:
    """The listing of the lake `con` is attached to (its current database)."""
    history = history or read_history()
    columns: dict[str, list[tuple[str, str, bool, str | None]]] = {}
    for table, column, data_type, nullable, comment in con.execute(
        """SELECT table_name, column_name, data_type, is_nullable, comment FROM duckdb_columns()
           WHERE database_name = current_database() AND schema_name = 'main'
             AND table_name IN (SELECT table_name FROM duckdb_tables()
                                WHERE database_name = current_database() AND schema_name = 'main')
           ORDER BY table_name, column_index"""
    ).fetchall():
        columns.setdefault(table.lower(), []).append((column, data_type, not nullable, comment))
    views = {
        name.lower()
        for (name,) in con.execute(
            "SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal"
        ).fetchall()
    }
    out = [
        "-- The warehouse schema as it stands after every migration in this folder: written by",
        "-- warehouse/schema_listing.py (`make schema`), checked by tests/warehouse/test_schema_listing.py.",
        "-- For reading, never applied: the migrations (NNN_*.sql) are what builds a warehouse. Tables are",
        "-- shown as the lake holds them, views as their last definition (the file named above each).",
        "-- A table's logical key is named in its column comments; DuckLake has no PRIMARY KEY or UNIQUE.",
        "",
        "-- ===== tables =====",
    ]
    ordered = [t for t in history.tables if t in columns] + sorted(set(columns) - set(history.tables))
    for table in ordered:
        made = history.tables.get(table)
        out.append("")
        out.extend(made.comments if made else ("-- (made by wiretrace itself, not by a migration)",))
        width = max(len(name) for name, _, _, _ in columns[table])
        lines = []
        for name, data_type, not_null, comment in columns[table]:
            data_type = data_type.replace("TIMESTAMP WITH TIME ZONE", "TIMESTAMPTZ")
            definition = f"{name.ljust(width)} {data_type}{' NOT NULL' if not_null else ''}"
            # a COMMENT ON the catalog keeps is the latest word on the column, over its migration's note
            lines.append((definition, comment or history.column_notes.get((table, name.lower()))))
        out.append(f"CREATE TABLE {table} (")
        for n, (definition, note) in enumerate(lines):
            text = f"    {definition}{',' if n < len(lines) - 1 else ''}"
            out.append(f"{text.ljust(52)} -- {note}" if note else text)
        out.append(f");{f'  -- {made.file}' if made else ''}")
    out += ["", "-- ===== views ====="]
    for name, st in history.views.items():
        if name not in views:
            continue
        out.append("")
        out.append(f"-- {name}: as defined last in {st.file}")
        out.extend(st.comments)
        out.append(st.text if st.text.endswith(";") else st.text + ";")
    for name in sorted(views - set(history.views)):
        out += ["", f"-- {name}: in the lake but defined by no migration"]
    return "\n".join(out) + "\n"


def write(path: Path = LISTING) -> Path:
    """Build a throwaway lake from the migrations and write its listing to `path`."""
    import tempfile

    from warehouse import lake
    from warehouse.session import run_session

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "schema.sqlite"
        with run_session(db):
            pass
        con = lake.connect(db, read_only=True)
        try:
            path.write_text(render(con), encoding="utf-8")
        finally:
            con.close()
    return path


if __name__ == "__main__":
    print(f"wrote {write()}")
