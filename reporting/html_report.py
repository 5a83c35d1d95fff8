"""The self-contained HTML report: one file, inline CSS and inline SVG charts, no network at all.

This module assembles the page; the charts are SVG strings from `reporting.charts`, so the file
opens offline (no CDN, no script) and stays small enough to mail or attach to a Prefect artifact.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from reporting.charts import COLUMN_DAYS, bar_chart, column_chart, days_axis, esc, line_chart
from warehouse.report_queries import TIMELINE_COLUMNS, ReportData, agency_totals, short_story_id
from warehouse.summary import plural

MAX_SERIES = 8  # agencies drawn in the coverage chart; the rest are in the table below it
MAX_BARS = 20  # stories / outlets drawn in a bar chart

CSS = """
:root { --ink:#1d2733; --muted:#5b6775; --line:#d9dee4; --bg:#f6f7f9; --card:#fff; --accent:#0072B2; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; color:var(--ink);
       background:var(--bg); }
header { background:#12202e; color:#fff; padding:20px 32px; }
header h1 { margin:0 0 4px; font-size:22px; font-weight:600; }
header p { margin:0; color:#b8c4d0; font-size:13px; }
main { max-width:1200px; margin:0 auto; padding:24px 32px 48px; }
.cards { display:grid; grid-template-columns:repeat(auto-fit,minmax(150px,1fr)); gap:12px;
         margin-bottom:24px; }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 16px; }
.card b { display:block; font-size:24px; font-weight:600; }
.card span { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px 20px;
          margin-bottom:20px; }
section h2 { margin:0 0 4px; font-size:17px; }
section p.note { margin:0 0 12px; color:var(--muted); font-size:13px; }
svg { display:block; max-width:100%; height:auto; margin:8px 0 12px; }
svg text { font-family:inherit; font-size:12px; fill:var(--ink); }
svg .axis { stroke:#9aa5b1; stroke-width:1; }
svg .grid { stroke:#eceff2; stroke-width:1; }
svg .muted { fill:var(--muted); font-size:11px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th, td { text-align:left; padding:5px 8px; border-bottom:1px solid var(--line); vertical-align:top; }
th { color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.03em; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
tr:hover td { background:#f3f6f9; }
.empty { color:var(--muted); font-style:italic; }
td.undated { color:#a15c00; font-style:italic; }
.legend { display:flex; flex-wrap:wrap; gap:6px 16px; font-size:12px; color:var(--muted); margin:4px 0 0; }
.legend i { display:inline-block; width:10px; height:10px; border-radius:2px; margin-right:5px;
            vertical-align:-1px; }
.tag { display:inline-block; background:#eef3f8; border-radius:4px; padding:0 5px; margin:1px 2px 1px 0;
       font-size:12px; white-space:nowrap; }
.tag.origin { background:#dcecf7; } .tag.reuse { background:#fde9d2; } .tag.photo { background:#eee; }
footer { color:var(--muted); font-size:12px; text-align:center; margin-top:24px; }
a { color:var(--accent); }
"""


def _fmt(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, float):
        return f"{value:.2f}"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


# -- sections -------------------------------------------------------------------------------------


def _table(rows: list[dict], columns: list[tuple[str, str]], numeric: set[str] = frozenset()) -> str:
    if not rows:
        return '<p class="empty">None.</p>'
    head = "".join(
        f'<th class="{"num" if key in numeric else ""}">{esc(title)}</th>' for key, title in columns
    )
    body = []
    for row in rows:
        cells = []
        for key, _ in columns:
            value = row.get(key)
            if key == "sources" and isinstance(value, list):
                cells.append("<td>" + "".join(_credit_tag(v) for v in value) + "</td>")
            elif key == "date_shown" and row.get("date_basis") == "first_seen":
                cells.append(f'<td class="undated">{esc(value)}</td>')
            elif key == "share" or key == "agency_share":
                cells.append(f'<td class="num">{"" if value is None else f"{value * 100:.1f}%"}</td>')
            else:
                cls = ' class="num"' if key in numeric else ""
                cells.append(f"<td{cls}>{esc(_fmt(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _credit_tag(credit: str) -> str:
    _, _, role = credit.rpartition(":")
    return f'<span class="tag {esc(role)}">{esc(credit)}</span>'


def _undated_note(data: ReportData) -> str:
    if not data.undated_credited:
        return ""
    names = ", ".join(f"{r['agency']} ({r['articles']})" for r in data.undated_credited)
    return (
        " Left out: articles that give no publication date, by agency: " + names + ". Their first-seen day "
        "is not when they were published; the story timeline lists them, marked undated."
    )


def coverage_section(data: ReportData) -> str:
    rows = data.agency_daily
    if not rows:
        note = "No dated article credits an agency yet." + _undated_note(data)
        return _section("Coverage over time per agency", note, "")
    totals: dict[str, int] = defaultdict(int)
    for r in rows:
        totals[r["agency"]] += r["carried"] + r["cited"]
    agencies = sorted(totals, key=lambda a: (-totals[a], a))[:MAX_SERIES]
    axis, note = days_axis([r["day"] for r in rows])
    index = {d: i for i, d in enumerate(axis)}
    series = {a: [0.0] * len(axis) for a in agencies}
    for r in rows:
        if r["agency"] in series:
            series[r["agency"]][index[r["day"]]] += r["carried"] + r["cited"]
    labels = [d.isoformat() for d in axis]
    # Columns while each day gets room (and always on a gappy axis); lines for a long continuous span.
    if note or len(axis) <= COLUMN_DAYS:
        chart = column_chart(labels, series, "articles per day")
    else:
        chart = line_chart(labels, series, "articles per day")
    table = _table(
        agency_totals(data),
        [
            ("agency", "agency"),
            ("carried", "carried (origin + pasted)"),
            ("origin", "origin"),
            ("reuse", "pasted"),
            ("cited", "cited"),
            ("days", "days with dated ones"),
            ("undated", "of them undated"),
        ],
        {"carried", "origin", "reuse", "cited", "days", "undated"},
    )
    text = (
        "Articles per day that carry an agency's copy (origin or pasted passages) or cite it, by "
        "publication date." + note + _undated_note(data)
    )
    return _section("Coverage over time per agency", text, chart + table)


def stories_section(data: ReportData) -> str:
    shown = data.stories[:MAX_BARS]
    chart = bar_chart(
        [
            (
                s["label"] or s["story_id"],
                [s["outlets"]],
                plural(s["outlets"], "outlet") + " · " + plural(s["articles"], "article"),
            )
            for s in shown
        ],
        ["outlets"],
        "outlets carrying the story",
    )
    table = _table(
        [{**s, "short_id": short_story_id(s["story_id"])} for s in data.stories],
        [
            ("label", "story"),
            ("articles", "articles"),
            ("outlets", "outlets"),
            ("first_outlet", "first outlet"),
            ("first_shown", "first article"),
            ("last_shown", "latest article"),
            ("undated_articles", "undated"),
            ("agencies", "agency copy"),
            ("short_id", "id (--story)"),
        ],
        {"articles", "outlets", "undated_articles"},
    )
    more = f" The {MAX_BARS} biggest are drawn." if len(data.stories) > MAX_BARS else ""
    return _section(
        "Outlets per story",
        "Stories are articles reporting one event within 7 days of each other; an unknown outlet counts once."
        + more,
        chart + table,
    )


def wire_section(data: ReportData) -> str:
    rows = data.wire_share[:MAX_BARS]
    if data.story:
        bars = [(r["outlet"], [r["agency_share"] or 0.0], f"{r['agency_share'] * 100:.0f}%") for r in rows]
        chart = bar_chart(
            bars, ["agency copy"], "share of the outlet's text in this story that is agency copy", True
        )
        columns = [
            ("outlet", "outlet"),
            ("articles", "articles"),
            ("origin_articles", "agency-origin"),
            ("reusing_articles", "pasting"),
            ("agency_share", "agency share"),
        ]
    else:
        bars = []
        for r in rows:
            total = r["total_chars"] or 1
            bars.append(
                (
                    r["outlet"],
                    [r["origin_chars"] / total, r["reused_chars"] / total],
                    f"{r['agency_share'] * 100:.0f}%",
                )
            )
        chart = bar_chart(
            bars, ["agency-origin articles", "pasted agency passages"], "share of the outlet's text", True
        )
        columns = [
            ("outlet", "outlet"),
            ("articles", "articles"),
            ("origin_articles", "agency-origin"),
            ("reusing_articles", "pasting"),
            ("total_chars", "characters"),
            ("agency_share", "agency share"),
        ]
    table = _table(
        data.wire_share, columns, {"articles", "origin_articles", "reusing_articles", "total_chars"}
    )
    return _section(
        "Wire share per outlet",
        "How much of what each outlet publishes is news-agency copy: its articles credited to an agency as "
        "origin, plus agency passages pasted into its other articles.",
        chart + table,
    )


def timeline_section(data: ReportData) -> str:
    story = data.timeline_story
    if not story:
        return ""
    table = _table(
        data.timeline,
        list(TIMELINE_COLUMNS),
        {"position"},
    )
    which = "" if data.story else " (the biggest story; pick another with --story)"
    undated = sum(r["date_basis"] == "first_seen" for r in data.timeline)
    how = (
        f" {plural(undated, 'article')} give no date: marked undated, each placed just before the first "
        "article that copies it, else at the end, never at the day wiretrace first saw it."
        if undated
        else ""
    )
    return _section(
        f"Story timeline: {story['label'] or story['story_id']}",
        f"{story['story_id']}{which}: who carried it, in order of publication, with the credits found in "
        f"each article. Times are UTC; a date alone means the article gives no time.{how}",
        table,
    )


def _section(title: str, note: str, body: str) -> str:
    return f'<section><h2>{esc(title)}</h2><p class="note">{esc(note)}</p>{body}</section>'


def render(data: ReportData, generated_at: datetime | None = None) -> str:
    """The whole report as one HTML document."""
    generated_at = generated_at or datetime.now(UTC)
    t = data.totals
    scope = f"story {data.story['label']!r}" if data.story else "all articles"
    span = (
        f"published {t['first_dated_day']} – {t['last_dated_day']}"
        if t.get("first_dated_day")
        else "no dated articles yet"
    )
    if t.get("undated"):
        span += f" (+ {plural(t['undated'], 'undated article')})"
    cards = "".join(
        f'<div class="card"><b>{esc(value)}</b><span>{esc(label)}</span></div>'
        for value, label in (
            (t["articles"], "articles"),
            (t["outlets"], "known outlets"),
            (t["stories"], "stories"),
            (t["agencies"], "agencies credited"),
            (len(data.uncredited), "uncredited copies"),
            (t["open_failures"], "open failures"),
        )
    )
    run = data.last_run
    run_line = (
        f"last run {_fmt(run['started_at'])} UTC, {run['status']}: {run['articles_new']} new, "
        f"{run['articles_updated']} updated"
        if run
        else "no run yet"
    )
    sections = [
        coverage_section(data),
        stories_section(data),
        wire_section(data),
        _section(
            "Agency copy without credit",
            "Articles that paste an agency's text without crediting the agency.",
            _table(
                data.uncredited,
                [
                    ("outlet", "outlet"),
                    ("title", "title"),
                    ("agency", "agency"),
                    ("passages", "passages"),
                    ("copied_chars", "characters"),
                    ("share", "share of text"),
                ],
                {"passages", "copied_chars"},
            ),
        ),
        timeline_section(data),
        _section(
            "Sources credited by each outlet",
            "Every agency or outlet credited, by role: origin (their copy), reuse (pasted), cited, "
            "via (linked as source), photo.",
            _table(
                data.sources_by_outlet,
                [
                    ("outlet", "outlet"),
                    ("source", "source"),
                    ("kind", "kind"),
                    ("role", "role"),
                    ("articles", "articles"),
                ],
                {"articles"},
            ),
        ),
        _section(
            "Open failures",
            "Inputs that could not be loaded; every run retries them.",
            _table(
                data.open_failures,
                [
                    ("origin", "origin"),
                    ("source_ref", "input"),
                    ("stage", "stage"),
                    ("reason", "reason"),
                    ("attempts", "attempts"),
                ],
                {"attempts"},
            ),
        ),
        _section(
            "Recent runs",
            "",
            _table(
                data.runs,
                [
                    ("started_at", "started (UTC)"),
                    ("status", "status"),
                    ("inputs_seen", "inputs"),
                    ("articles_new", "new"),
                    ("articles_updated", "updated"),
                    ("articles_unchanged", "unchanged"),
                    ("failures", "failed"),
                    ("run_id", "run"),
                ],
                {"inputs_seen", "articles_new", "articles_updated", "articles_unchanged", "failures"},
            ),
        ),
    ]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>wiretrace report – {esc(scope)}</title>
<style>{CSS}</style></head>
<body>
<header><h1>wiretrace report</h1>
<p>{esc(scope)} · {esc(span)} · {esc(run_line)} · warehouse {esc(data.db_path)}</p></header>
<main>
<div class="cards">{cards}</div>
{"".join(sections)}
<footer>Generated {esc(generated_at.strftime("%Y-%m-%d %H:%M"))} UTC by <code>wiretrace report</code> from the
published warehouse (read-only).</footer>
</main></body></html>
"""


def write_report(data: ReportData, out_dir: str | Path, name: str = "wiretrace-report.html") -> Path:
    """Write the report into out_dir (created if needed) atomically; return its path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    tmp = out / f".{name}.tmp"
    tmp.write_text(render(data), encoding="utf-8")
    tmp.replace(path)  # a browser or a web server never sees half a report
    return path
