"""The coverage summary printed after a run and published as Prefect artifacts.

It is about the run: its articles, their sources and stories. A run's cost must follow its new
articles, so nothing here reads the whole warehouse; the warehouse's totals are views to query.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import duckdb

from warehouse.db import ids_sql, where_ids

if TYPE_CHECKING:
    from warehouse.report_queries import ReportData

TOP_STORIES = 5  # stories listed in the run summary; `wiretrace report` lists them all


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 story', '2 stories', '1 uncredited copy': a count with its noun in the right number."""
    if count == 1:
        return f"{count} {word}"
    if many is None:
        many = f"{word[:-1]}ies" if word.endswith("y") and word[-2:-1] not in "aeiou" else f"{word}s"
    return f"{count} {many}"


def open_failure_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Open failures as three kinds that are never added up as one: input files (seeds, manifest
    rows), feeds (a poll or parse that failed) and pages (a feed entry's page)."""
    inputs, feeds, pages = con.execute(
        """SELECT count(*) FILTER (WHERE origin <> 'feed'),
                  count(*) FILTER (WHERE origin = 'feed' AND stage IN ('poll', 'parse')),
                  count(*) FILTER (WHERE origin = 'feed' AND stage NOT IN ('poll', 'parse'))
           FROM open_failures"""
    ).fetchone()
    return {"input": inputs, "feed": feeds, "page": pages}


def failing_phrase(counts: dict[str, int]) -> str:
    """'12 feeds failing', '1 input and 2 pages failing', 'nothing failing'."""
    parts = [plural(n, kind) for kind, n in counts.items() if n]
    if not parts:
        return "nothing failing"
    return (", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]) + " failing"


def _md(value: object) -> str:
    """A value safe inside a markdown table cell."""
    return "" if value is None else str(value).replace("|", "\\|").replace("\n", " ")


def _top_stories(
    con: duckdb.DuckDBPyConnection, story_ids: list[str], since: datetime | None = None
) -> list[str]:
    """The biggest of these stories (the run's): label, articles, outlets, first outlet, agency copy.

    From the stories rows and their members' rows only (story_summary computes every story of the
    warehouse before it filters). The first outlet is that of the story's earliest article
    (stories.articles is in time order); story_summary places an undated original before its copies.
    `since`: when the run started (its own articles, members of its stories, were written since).
    """
    if not story_ids:
        return []
    chosen = con.execute(
        f"""SELECT story_id, label, articles FROM stories WHERE story_id IN {ids_sql(story_ids)}
            ORDER BY len(articles) DESC, first_seen, story_id LIMIT {TOP_STORIES}"""
    ).fetchall()
    members = sorted({a for _, _, ids in chosen for a in ids})
    if not members:
        return []
    # the members' outlets and agency credits, by constant lists of ids (narrow columns, no text);
    # their outlets from the row groups that hold them only (where_ids)
    keys = ids_sql(members)
    where = where_ids(con, members, alias="articles", since=since) or "false"
    outlets, agencies = con.execute(
        f"""SELECT (SELECT map(list(article_id), list(coalesce(outlet, '(unknown)')))
                    FROM articles WHERE {where}),
                   (SELECT map(list(article_id), list(sources)) FROM (
                        SELECT article_id, list(DISTINCT source) AS sources FROM article_sources
                        WHERE article_id IN {keys}
                          AND kind = 'agency' AND role IN ('origin', 'reuse')
                        GROUP BY article_id))"""
    ).fetchone()
    outlets, agencies = outlets or {}, agencies or {}
    rows = [
        (
            label,
            len(ids),
            len({outlets.get(a, "(unknown)") for a in ids}),
            outlets.get(ids[0], "(unknown)") if ids else None,
            sorted({g for a in ids for g in agencies.get(a, [])}),
        )
        for _, label, ids in chosen
    ]
    if not rows:
        return []
    out = ["| story | articles | outlets | first outlet | agency copy |", "|---|---|---|---|---|"]
    out += [
        f"| {_md(lbl)} | {n} | {o} | {_md(first)} | {_md(', '.join(ag))} |" for lbl, n, o, first, ag in rows
    ]
    return out


def _batch_counts(
    con: duckdb.DuckDBPyConnection, ids: list[str], since: datetime | None = None
) -> tuple[int, int, list[str], list[dict]]:
    """The run's articles: how many, their outlets, their stories, and the sources they credit.
    `since`: when the run started (its articles were written since: where_ids' hint)."""
    if not ids:
        return 0, 0, [], []
    # Outlets as story_summary counts them ('(unknown)' once). Constant lists, so each read is the
    # batch's rows (what a run costs follows its articles, never what the warehouse holds).
    keys = ids_sql(ids)
    where = where_ids(con, ids, alias="articles", since=since) or "false"
    articles, outlets, stories = con.execute(
        f"""SELECT count(*), count(DISTINCT coalesce(outlet, '(unknown)')),
                   list(DISTINCT story_id) FILTER (WHERE story_id IS NOT NULL)
            FROM articles WHERE {where}"""
    ).fetchone()
    rows = con.execute(
        f"""SELECT source, any_value(kind) AS kind, count(DISTINCT article_id) AS articles,
                   string_agg(DISTINCT role, ', ' ORDER BY role) AS roles
            FROM article_sources WHERE article_id IN {keys}
            GROUP BY source ORDER BY articles DESC, source"""
    ).fetchall()
    table = [{"source": s, "kind": k, "articles": n, "roles": r} for s, k, n, r in rows]
    return articles, outlets, sorted(stories or []), table


def run_summary(
    con: duckdb.DuckDBPyConnection, run_id: str | None = None, article_ids: Sequence[str] = ()
) -> dict:
    """The run's articles (`article_ids`: those it loaded, new or updated), the sources they credit
    with their roles, the stories they are in, the run's counts, and what is failing.

    Only the run's rows are read, never the whole warehouse: totals of the warehouse are the
    analyst's queries (`SELECT count(*) FROM articles`, story_summary, sources_by_outlet, ...).
    """
    ids = sorted(set(article_ids))
    run, started = None, None
    if run_id:
        found = con.execute(
            """SELECT status, inputs_seen, articles_new, articles_updated, articles_unchanged, failures,
                      started_at
               FROM runs WHERE run_id = ?""",
            [run_id],
        ).fetchone()
        if found:
            run = dict(
                zip(("status", "inputs", "new", "updated", "unchanged", "failed"), found[:6], strict=True)
            )
            started = found[6]
    articles, outlets, story_ids, table = _batch_counts(con, ids, started)
    stories = len(story_ids)
    failing = open_failure_counts(con)
    open_failures = sum(failing.values())
    lines = [
        "# wiretrace run",
        "",
        f"This run loaded **{articles}** articles from **{outlets}** outlets in "
        f"**{plural(stories, 'story')}**; {failing_phrase(failing)}.",
    ]
    if run:
        lines.append(
            f"This run: {run['inputs']} inputs, {run['new']} new, {run['updated']} updated, "
            f"{run['unchanged']} unchanged, {run['failed']} failed."
        )
    lines += [
        "",
        "## Sources credited in this run's articles",
        "",
        "| source | kind | articles | roles |",
        "|---|---|---|---|",
    ]
    lines += [f"| {_md(r['source'])} | {r['kind']} | {r['articles']} | {r['roles']} |" for r in table]
    stories_md = _top_stories(con, story_ids, started)
    if stories_md:
        lines += ["", "## Biggest stories of this run", "", *stories_md]
    return {
        "articles": articles,
        "outlets": outlets,
        "stories": stories,
        "open_failures": open_failures,
        "failing": failing,
        "run": run,
        "table": table,
        "markdown": "\n".join(lines),
    }


def report_markdown(data: ReportData) -> str:
    """The daily report's artifact: the report's headline numbers and tables, in markdown."""
    t = data.totals
    lines = [
        "# wiretrace daily report",
        "",
        f"**{t['articles']}** articles from **{t['outlets']}** known outlets in **{t['stories']}** stories; "
        f"agencies credited: **{t['agencies']}**; uncredited agency copies: **{len(data.uncredited)}**; "
        f"open failures (inputs, feeds and pages): **{t['open_failures']}**.",
        "",
        "## Stories",
        "",
        "| story | articles | outlets | first outlet | agency copy |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| {_md(s['label'])} | {s['articles']} | {s['outlets']} | {_md(s['first_outlet'])} | "
        f"{_md(', '.join(s['agencies']))} |"
        for s in data.stories[:20]
    ]
    lines += ["", "## Wire share per outlet", "", "| outlet | articles | agency share |", "|---|---|---|"]
    lines += [
        f"| {_md(r['outlet'])} | {r['articles']} | {(r['agency_share'] or 0) * 100:.1f}% |"
        for r in data.wire_share[:20]
    ]
    if data.uncredited:
        lines += [
            "",
            "## Agency copy without credit",
            "",
            "| outlet | title | agency | characters |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {_md(u['outlet'])} | {_md(u['title'])} | {u['agency']} | {u['copied_chars']} |"
            for u in data.uncredited[:20]
        ]
    return "\n".join(lines)
