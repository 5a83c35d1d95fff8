"""The daily report flow: the HTML report written to a folder, and its numbers as Prefect artifacts.

It reads the published warehouse read-only, so it never waits for (or blocks) an ingest run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NONE

from reporting.html_report import write_report
from settings import DEFAULT_DB
from warehouse import summary
from warehouse.lake import WarehouseNotFound
from warehouse.readonly import open_read_only
from warehouse.report_queries import ReportData, report_data

FLOW_NAME = "wiretrace-daily-report"


@task(name="read-warehouse", cache_policy=NONE)
def read_warehouse(db_path: str, story_id: str | None) -> ReportData:
    path = Path(db_path)
    try:
        con = open_read_only(path)
    except WarehouseNotFound:
        raise FileNotFoundError(
            f"no warehouse at {path.resolve()}: run the seed-ingest deployment first"
        ) from None
    try:
        return report_data(con, str(path), story_id)
    finally:
        con.close()


@task(name="write-html-report", cache_policy=NONE)
def write_html(data: ReportData, out_dir: str) -> Path:
    path = write_report(data, out_dir).resolve()
    get_run_logger().info("wrote the HTML report to %s", path)
    return path


@task(name="publish-report-artifacts", cache_policy=NONE)
def publish_artifacts(data: ReportData, html_path: Path) -> None:
    create_markdown_artifact(
        key="daily-report",
        markdown=summary.report_markdown(data) + f"\n\nFull report: `{html_path}`",
        description="wiretrace daily report: stories, wire share, uncredited copies",
    )
    create_table_artifact(
        key="daily-report-stories",
        table=[
            {k: (", ".join(v) if isinstance(v, list) else str(v)) for k, v in s.items()} for s in data.stories
        ],
        description="Stories: articles, outlets, first outlet, agency copy",
    )
    create_link_artifact(
        key="daily-report-html",
        link=html_path.as_uri(),
        link_text=f"HTML report ({html_path.name})",
        description="Open on the machine that ran the flow (a local file)",
    )


def _run_name() -> str:
    # The day it reports on reads better in the runs list than a folder name.
    return f"daily-report-{datetime.now(UTC):%Y-%m-%d}"


@flow(name=FLOW_NAME, flow_run_name=_run_name, log_prints=True)
def daily_report(
    db_path: str = str(DEFAULT_DB), out_dir: str = "reports", story_id: str | None = None
) -> str:
    """Write the HTML report of the published warehouse into out_dir and publish its summary."""
    data = read_warehouse(db_path, story_id)
    html_path = write_html(data, out_dir)
    publish_artifacts(data, html_path)
    return str(html_path)
