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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warehouse.compare import SKIPPED_TABLES, base_tables, compare

__all__ = ["compare", "main"]


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
        compared = len(set(base_tables(con_a)) - SKIPPED_TABLES)
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
