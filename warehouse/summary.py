"""The coverage summary printed after a run and published as Prefect artifacts."""

from __future__ import annotations

import duckdb


def run_summary(con: duckdb.DuckDBPyConnection, run_id: str | None = None) -> dict:
    """Totals of the warehouse, the sources with their roles, and this run's counts."""
    articles, outlets, stories = con.execute(
        "SELECT count(*), count(DISTINCT outlet), count(DISTINCT story_id) FROM articles"
    ).fetchone()
    rows = con.execute(
        """SELECT source, any_value(kind) AS kind, count(DISTINCT article_id) AS articles,
                  string_agg(DISTINCT role, ', ' ORDER BY role) AS roles
           FROM article_sources GROUP BY source ORDER BY articles DESC, source"""
    ).fetchall()
    table = [{"source": s, "kind": k, "articles": n, "roles": r} for s, k, n, r in rows]
    run = None
    if run_id:
        found = con.execute(
            """SELECT status, inputs_seen, articles_new, articles_updated, articles_unchanged, failures
               FROM runs WHERE run_id = ?""",
            [run_id],
        ).fetchone()
        if found:
            run = dict(zip(("status", "inputs", "new", "updated", "unchanged", "failed"), found, strict=True))
    open_failures = con.execute("SELECT count(*) FROM open_failures").fetchone()[0]
    lines = [
        "# wiretrace run",
        "",
        f"**{articles}** articles from **{outlets}** outlets in **{stories}** stories; "
        f"**{open_failures}** inputs failing.",
    ]
    if run:
        lines.append(
            f"This run: {run['inputs']} inputs, {run['new']} new, {run['updated']} updated, "
            f"{run['unchanged']} unchanged, {run['failed']} failed."
        )
    lines += ["", "| source | kind | articles | roles |", "|---|---|---|---|"]
    lines += [f"| {r['source']} | {r['kind']} | {r['articles']} | {r['roles']} |" for r in table]
    return {
        "articles": articles,
        "outlets": outlets,
        "stories": stories,
        "open_failures": open_failures,
        "run": run,
        "table": table,
        "markdown": "\n".join(lines),
    }
