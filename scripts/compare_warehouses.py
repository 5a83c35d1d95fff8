"""Do two warehouses hold the same rows? Prints every difference; exit 1 on any, 0 when equal.

`make cluster` runs the seeds and a feed through the cluster (PostgreSQL catalog, Dask, Prefect
workers) and the same inputs through an embedded `wiretrace run`, then compares the two with this.

Every table of the first warehouse is compared with the same table of the second, row for row
(as multisets). What legitimately differs between two runs of the same inputs is compared only
as present or absent: when wiretrace did something (timestamps, except publication times, which
come from the pages), which run did it (run ids; `runs` is left out, a run is not an article), and
where the raw bytes sit in an archive (which file, at what offset).

Stories depend on the order in which articles arrive, by design: an article joins the most similar
story active when it is grouped, with the keyword weights of that moment. Runs that load the same
articles in another order (two workers at once, feed polling in shards) may group them otherwise.
So the story tables are compared by which articles they cover (ARRIVAL_ORDER), each article's
story_id as present or absent, and story_history (the log of merges and splits) is left out.
Everything else derived from an article alone (credits, reuse, near-duplicates, fingerprints,
keyword sets and their counts) must be equal.

    .venv/bin/python scripts/compare_warehouses.py WAREHOUSE_A WAREHOUSE_B [--show 10]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Columns that say which run did something or where its bytes were archived: compared as null or not.
RUN_COLUMNS = {"run_id", "last_run_id", "warc_path", "warc_offset", "warc_length", "warc_file"}
# Tables whose rows depend on the order articles arrived in: compared by the articles they cover.
ARRIVAL_ORDER = {"story_terms": "DISTINCT article_id", "stories": "unnest(articles) AS article_id"}
ARRIVAL_COLUMNS = {("articles", "story_id")}
SKIPPED_TABLES = {"runs", "story_history"}


def _tables(con) -> dict[str, list[tuple[str, str]]]:
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
    tables_a, tables_b = _tables(con_a), _tables(con_b)
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("first", help="a warehouse as --db takes it (catalog file or postgres:…)")
    parser.add_argument("second")
    parser.add_argument("--show", type=int, default=10, help="rows shown per table and side")
    args = parser.parse_args(argv)

    import wiretrace

    con_a, con_b = wiretrace.open_warehouse(args.first), wiretrace.open_warehouse(args.second)
    try:
        problems = compare(con_a, con_b, args.show)
        compared = len(set(_tables(con_a)) - SKIPPED_TABLES)
    finally:
        con_a.close()
        con_b.close()
    for line in problems:
        print(line)
    verdict = "differ" if problems else "hold the same rows"
    print(f"{args.first} and {args.second} {verdict} ({compared} tables compared)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
