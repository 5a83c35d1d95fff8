"""The HTML report, as `wiretrace report` and the README name it; it lives in reporting/html_report.py,
below the flows, so the daily report flow can write it without importing the command line's package."""

from reporting.html_report import CSS, MAX_BARS, MAX_SERIES, render, write_report

__all__ = ["CSS", "MAX_BARS", "MAX_SERIES", "render", "write_report"]
