"""Terminal output of runs and reports (rich)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.table import Table


def print_summary(result: dict, db_path: str | Path, console: Console | None = None) -> None:
    """The short coverage summary `wiretrace run` prints: articles, outlets, sources with roles."""
    console = console or Console()
    summary = result["summary"]
    console.print(
        f"[bold]wiretrace run[/] {result['run_id']}: {result['inputs']} inputs, {result['new']} new, "
        f"{result['updated']} updated, {result['unchanged']} unchanged, {result['failed']} failed"
    )
    console.print(
        f"warehouse {db_path}: [bold]{summary['articles']}[/] articles, [bold]{summary['outlets']}[/] outlets, "
        f"[bold]{summary['stories']}[/] stories, [bold]{summary['open_failures']}[/] inputs failing"
    )
    table = Table("source", "kind", "articles", "roles", title="Sources credited", title_justify="left")
    for row in summary["table"]:
        table.add_row(row["source"], row["kind"], str(row["articles"]), row["roles"])
    console.print(table)
