"""Do two warehouses hold the same rows? The comparison behind `make cluster`'s check and
scripts/compare_warehouses.py (whose docstring says what is compared how, and why)."""

from __future__ import annotations

from collections import Counter

# Columns that say which run did something or where its bytes were archived: compared as null or not.
RUN_COLUMNS = {"run_id", "last_run_id", "warc_path", "warc_offset", "warc_length", "warc_file"}
# Tables whose rows depend on the order articles arrived in: compared by the articles they cover.
ARRIVAL_ORDER = {"story_terms": "DISTINCT article_id", "stories": "unnest(articles) AS article_id"}
ARRIVAL_COLUMNS = {("articles", "story_id")}
SKIPPED_TABLES = {"runs", "story_history"}


def base_tables(con) -> dict[str, list[tuple[str, str]]]:
    """Base tables of the connection's current database and schema: name -> [(column, type)]."""
    rows = con.execute(
        """
        SELECT c.table_name, c.column_name, c.data_type
        FROM duckdb_columns() c JOIN duckdb_tables() t
          ON t.database_name = c.database_name AND t.schema_name = c.schema_name
         AND t.table_name = c.table_name
        WHERE c.database_name = current_database() AND c.schema_name = current_schema()
        ORDER BY c.table_name, c.column_index
        """
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, kind in rows:
        tables.setdefault(table, []).append((column, kind))
    return tables


def _volatile(table: str, column: str, kind: str) -> bool:
    """A column whose value depends on when, in which run or after what the row was written."""
    if column in RUN_COLUMNS or (table, column) in ARRIVAL_COLUMNS:
        return True
    return kind.startswith("TIMESTAMP") and not column.startswith("published")


def _select(table: str, columns: list[tuple[str, str]]) -> str:
    if table in ARRIVAL_ORDER:
        return f'SELECT {ARRIVAL_ORDER[table]} FROM "{table}"'
    parts = [
        f'("{name}" IS NULL) AS "{name}"' if _volatile(table, name, kind) else f'"{name}"'
        for name, kind in columns
    ]
    return f'SELECT {", ".join(parts)} FROM "{table}"'


def _rows(con, sql: str) -> Counter:
    return Counter(repr(row) for row in con.execute(sql).fetchall())


def compare(con_a, con_b, show: int = 10) -> list[str]:
    """Differences between the two warehouses, one line each (empty when they hold the same rows)."""
    tables_a, tables_b = base_tables(con_a), base_tables(con_b)
    problems = [f"table {t} only in the second warehouse" for t in sorted(set(tables_b) - set(tables_a))]
    for table, columns in sorted(tables_a.items()):
        if table in SKIPPED_TABLES:
            continue
        if table not in tables_b:
            problems.append(f"table {table} only in the first warehouse")
            continue
        if columns != tables_b[table]:
            problems.append(f"table {table}: columns differ: {columns} against {tables_b[table]}")
            continue
        sql = _select(table, columns)
        rows_a, rows_b = _rows(con_a, sql), _rows(con_b, sql)
        only_a, only_b = rows_a - rows_b, rows_b - rows_a
        if only_a or only_b:
            problems.append(
                f"table {table}: {rows_a.total()} rows against {rows_b.total()}; "
                f"{only_a.total()} only in the first, {only_b.total()} only in the second"
            )
            problems += [f"  - {row[:300]}" for row in sorted(only_a)[:show]]
            problems += [f"  + {row[:300]}" for row in sorted(only_b)[:show]]
    return problems
