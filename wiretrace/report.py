"""Terminal output of runs and reports (rich)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from warehouse.report_queries import TIMELINE_COLUMNS, ReportData, agency_totals, short_story_id
from warehouse.summary import failing_phrase, plural

TERMINAL_ROWS = 15  # rows per table in the terminal; the HTML report has them all


def print_summary(result: dict, db_path: str | Path, console: Console | None = None) -> None:
    """The short summary `wiretrace run` prints: the run's articles, outlets, stories, sources with roles."""
    console = console or Console()
    if result.get("skipped"):
        # A run that found another run holding the warehouse: say so, and that nothing changed.
        console.print(f"[bold yellow]wiretrace run skipped[/]: {result['skipped']}")
        return
    summary = result["summary"]
    console.print(f"[bold]wiretrace run[/] {result['run_id']}: {result['line']}")
    if result.get("feeds_line"):
        console.print(f"feeds: {result['feeds_line']}")
    console.print(
        f"loaded: [bold]{plural(summary['articles'], 'article')}[/] "
        f"from [bold]{plural(summary['outlets'], 'outlet')}[/] "
        f"in [bold]{plural(summary['stories'], 'story', 'stories')}[/]"
    )
    console.print(
        f"warehouse {db_path}: {failing_phrase(summary['failing'])}"
        + (" (SELECT * FROM open_failures says which and why)" if summary["open_failures"] else "")
    )
    title = "Sources credited in this run's articles"
    if not summary["table"]:  # a rerun that loaded nothing new: one line, not an empty table
        console.print(f"{title}: none")
        return
    table = Table("source", "kind", "articles", "roles", title=title, title_justify="left")
    for row in summary["table"]:
        table.add_row(row["source"], row["kind"], str(row["articles"]), row["roles"])
    console.print(table)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _table(
    title: str,
    rows: list[dict],
    columns: list[tuple[str, str]],
    console: Console,
    keep: frozenset = frozenset(),
) -> None:
    table = Table(title=title, title_justify="left", title_style="bold")
    for key, label in columns:
        # a column in `keep` is never cut: its values are what the reader types next (a story id)
        table.add_column(label, no_wrap=key in keep, min_width=max((len(_cell(r.get(key))) for r in rows),
                         default=None) if key in keep else None)  # fmt: skip
    for row in rows[:TERMINAL_ROWS]:
        table.add_row(*(_cell(row.get(key)) for key, _ in columns))
    if not rows:
        console.print(f"[bold]{title}[/]: none")
        return
    if len(rows) > TERMINAL_ROWS:
        table.caption = f"{len(rows) - TERMINAL_ROWS} more in the HTML report"
    console.print(table)


def print_report(data: ReportData, console: Console | None = None) -> None:
    """The report as terminal tables: totals, stories, agency coverage, wire share, uncredited copies."""
    console = console or Console()
    t = data.totals
    scope = (
        f"story [bold]{data.story['label']}[/] ({data.story['story_id']})" if data.story else "all articles"
    )
    console.print(f"[bold]wiretrace report[/] of {data.db_path}: {scope}")
    console.print(
        f"[bold]{plural(t['articles'], 'article')}[/], [bold]{plural(t['outlets'], 'known outlet')}[/], "
        f"[bold]{plural(t['stories'], 'story', 'stories')}[/], "
        f"[bold]{plural(t['agencies'], 'agency', 'agencies')}[/] credited, "
        f"[bold]{plural(len(data.uncredited), 'uncredited copy', 'uncredited copies')}[/], "
        f"[bold]{plural(t['open_failures'], 'open failure')}[/]"
        + (f"; published {t['first_dated_day']} to {t['last_dated_day']}" if t.get("first_dated_day") else "")
        + (f"; {plural(t['undated'], 'article')} without a date (marked undated)" if t.get("undated") else "")
    )
    _table(
        "Stories",
        [{**s, "short_id": short_story_id(s["story_id"])} for s in data.stories],
        [
            ("short_id", "id"),
            ("label", "story"),
            ("articles", "articles"),
            ("outlets", "outlets"),
            ("first_outlet", "first outlet"),
            ("first_shown", "first article"),
            ("agencies", "agency copy"),
        ],
        console,
        keep=frozenset({"short_id", "first_shown"}),
    )
    if data.stories:
        console.print("[dim]wiretrace report --story ID: one story (the id above, or its whole story_id)[/]")
    _table(
        "Agencies",
        agency_totals(data),
        [
            ("agency", "agency"),
            ("carried", "articles with its copy"),
            ("cited", "articles citing it"),
            ("days", "days with dated ones"),
            ("undated", "of them undated"),
        ],
        console,
    )
    _table(
        "Wire share per outlet",
        [{**r, "pct": f"{(r['agency_share'] or 0) * 100:.1f}%"} for r in data.wire_share],
        [
            ("outlet", "outlet"),
            ("articles", "articles"),
            ("origin_articles", "agency-origin"),
            ("reusing_articles", "pasting"),
            ("pct", "agency share"),
        ],
        console,
    )
    _table(
        "Agency copy without credit",
        data.uncredited,
        [("outlet", "outlet"), ("title", "title"), ("agency", "agency"), ("copied_chars", "characters")],
        console,
    )
    if data.timeline_story:
        _table(
            f"Timeline of {data.timeline_story['label'] or data.timeline_story['story_id']}",
            data.timeline,
            list(TIMELINE_COLUMNS),
            console,
        )
        if any(r["date_basis"] == "first_seen" for r in data.timeline):
            console.print(
                "[dim]undated: the article gives no date; it is placed before the articles that copy it, "
                "else last, never at the day wiretrace first saw it[/]"
            )
