"""The self-contained HTML report: one file, inline CSS and inline SVG charts, no network at all.

Charts are drawn here as SVG strings rather than with a charting library, so the file opens
offline (no CDN, no script) and stays small enough to mail or attach to a Prefect artifact.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from warehouse.report_queries import TIMELINE_COLUMNS, ReportData, agency_totals, short_story_id

# Okabe-Ito: distinguishable for the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
MAX_SERIES = 8  # agencies drawn in the coverage chart; the rest are in the table below it
MAX_BARS = 20  # stories / outlets drawn in a bar chart
COLUMN_DAYS = 45  # up to this many days, one column per day; beyond, one line per agency
CONTINUOUS_DAYS = 120  # a longer span plots only the days with articles (a 9-year axis is all gaps)

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


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


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


def _short(text: object, width: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _nice_max(value: float) -> float:
    """A round axis maximum at or above value (1, 2, 5 x 10^n)."""
    if value <= 0:
        return 1
    if value <= 5:
        return float(math.ceil(value))
    step = 1.0
    while step * 10 <= value:
        step *= 10
    for factor in (1, 2, 5, 10):
        if factor * step >= value:
            return factor * step
    return 10 * step


def _ticks(top: float, count: int = 4, counts: bool = True) -> list[float]:
    # counts get whole-number ticks: half an article is not a thing
    if counts and top == int(top) and top >= 1:
        count = int(top) if top <= 5 else next((c for c in (4, 5, 2) if int(top) % c == 0), 1)
    return [top * i / count for i in range(count + 1)]


def _tick_label(value: float, percent: bool = False) -> str:
    if percent:
        return f"{value * 100:.0f}%"
    return f"{value:.0f}" if value == int(value) else f"{value:.1f}"


# -- charts ---------------------------------------------------------------------------------------


def _frame(
    width: int, height: int, box: tuple[int, int, int, float], y_max: float, y_title: str
) -> list[str]:
    """The opening of a chart's SVG: grid lines with their labels, the x axis and the y title."""
    left, right, top, plot_h = box
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{esc(y_title)}">']
    for tick in _ticks(y_max):
        y = top + plot_h - plot_h * tick / y_max
        out.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>')
        out.append(
            f'<text class="muted" x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{_tick_label(tick)}</text>'
        )
    out.append(
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}"/>'
    )
    out.append(
        f'<text class="muted" transform="translate(14 {top + plot_h / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle">{esc(y_title)}</text>'
    )
    return out


def _legend(series: dict[str, list[float]]) -> str:
    items = "".join(
        f'<span><i style="background:{PALETTE[k % len(PALETTE)]}"></i>{esc(name)}</span>'
        for k, name in enumerate(series)
    )
    return f'<div class="legend">{items}</div>'


# The two charts over days (lines, columns) share one size and frame, so they line up on the page.
_DAY_CHART = (1000, 300)  # width, height
_DAY_CHART_MARGINS = (56, 20, 16, 48)  # left, right, top, bottom


def line_chart(x_labels: list[str], series: dict[str, list[float]], y_title: str) -> str:
    """One line per series over categorical x positions (days); points carry a tooltip."""
    if not x_labels or not series:
        return '<p class="empty">Nothing to plot yet.</p>'
    width, height = _DAY_CHART
    left, right, top, bottom = _DAY_CHART_MARGINS
    plot_w, plot_h = width - left - right, height - top - bottom
    y_max = _nice_max(max(max(v) for v in series.values()))
    n = len(x_labels)

    def x_at(i: int) -> float:
        return left + (plot_w / 2 if n == 1 else plot_w * i / (n - 1))

    def y_at(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    out = _frame(width, height, (left, right, top, plot_h), y_max, y_title)
    every = max(1, -(-n // 12))  # at most about 12 day labels
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == n - 1:
            anchor = "end" if i == n - 1 and n > 1 else "start" if i == 0 and n > 1 else "middle"
            out.append(
                f'<text class="muted" x="{x_at(i):.1f}" y="{top + plot_h + 18}" text-anchor="{anchor}">'
                f"{esc(label)}</text>"
            )
    for k, (name, values) in enumerate(series.items()):
        colour = PALETTE[k % len(PALETTE)]
        points = " ".join(f"{x_at(i):.1f},{y_at(v):.1f}" for i, v in enumerate(values))
        if n > 1:
            out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for i, v in enumerate(values):
            if v:
                out.append(
                    f'<circle cx="{x_at(i):.1f}" cy="{y_at(v):.1f}" r="4" fill="{colour}">'
                    f"<title>{esc(name)} · {esc(x_labels[i])}: {v:g} articles</title></circle>"
                )
    out.append("</svg>")
    return "".join(out) + _legend(series)


def column_chart(x_labels: list[str], series: dict[str, list[float]], y_title: str) -> str:
    """Columns per x position (days), stacked by series; for short or gappy axes, where lines mislead."""
    if not x_labels or not series:
        return '<p class="empty">Nothing to plot yet.</p>'
    width, height = _DAY_CHART
    left, right, top, bottom = _DAY_CHART_MARGINS
    plot_w, plot_h = width - left - right, height - top - bottom
    n = len(x_labels)
    totals = [sum(v[i] for v in series.values()) for i in range(n)]
    y_max = _nice_max(max(totals))
    slot = plot_w / n
    col = min(64.0, slot * 0.7)

    def y_at(v: float) -> float:
        return top + plot_h - plot_h * v / y_max

    out = _frame(width, height, (left, right, top, plot_h), y_max, y_title)
    every = max(1, -(-n // 12))
    for i, label in enumerate(x_labels):
        x = left + slot * i + (slot - col) / 2
        base = 0.0
        for k, (name, values) in enumerate(series.items()):
            v = values[i]
            if v:
                y0, y1 = y_at(base), y_at(base + v)
                out.append(
                    f'<rect x="{x:.1f}" y="{y1:.1f}" width="{col:.1f}" height="{y0 - y1:.1f}" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"><title>{esc(name)} · {esc(label)}: {v:g} articles'
                    "</title></rect>"
                )
                base += v
        if i % every == 0 or i == n - 1:
            out.append(
                f'<text class="muted" x="{left + slot * i + slot / 2:.1f}" y="{top + plot_h + 18}" '
                f'text-anchor="middle">{esc(label)}</text>'
            )
    out.append("</svg>")
    return "".join(out) + _legend(series)


def bar_chart(
    rows: list[tuple[str, list[float], str]], parts: list[str], x_title: str, percent: bool = False
) -> str:
    """Horizontal bars, stacked from `parts`; each row is (label, values per part, annotation)."""
    if not rows:
        return '<p class="empty">Nothing to plot yet.</p>'
    bar, gap, label_w, right = 20, 8, 310, 150
    width = 1000
    plot_w = width - label_w - right
    top, bottom = 8, 40
    height = top + len(rows) * (bar + gap) + bottom
    total_max = 1.0 if percent else _nice_max(max(sum(v) for _, v, _ in rows))
    out = [f'<svg viewBox="0 0 {width} {height}" role="img" aria-label="{esc(x_title)}">']
    axis_y = top + len(rows) * (bar + gap)
    for tick in _ticks(total_max, counts=not percent):
        x = label_w + plot_w * tick / total_max
        out.append(f'<line class="grid" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{axis_y}"/>')
        out.append(
            f'<text class="muted" x="{x:.1f}" y="{axis_y + 16}" text-anchor="middle">'
            f"{_tick_label(tick, percent)}</text>"
        )
    out.append(
        f'<text class="muted" x="{label_w + plot_w / 2:.0f}" y="{axis_y + 34}" text-anchor="middle">'
        f"{esc(x_title)}</text>"
    )
    for r, (label, values, note) in enumerate(rows):
        y = top + r * (bar + gap)
        out.append(
            f'<text x="{label_w - 10}" y="{y + bar * 0.72:.1f}" text-anchor="end">'
            f"<title>{esc(label)}</title>{esc(_short(label, 38))}</text>"
        )
        x = float(label_w)
        for k, value in enumerate(values):
            w = plot_w * value / total_max
            if w > 0:
                out.append(
                    f'<rect x="{x:.1f}" y="{y}" width="{max(w, 1.5):.1f}" height="{bar}" rx="2" '
                    f'fill="{PALETTE[k % len(PALETTE)]}"><title>{esc(label)} · {esc(parts[k])}: '
                    f"{_tick_label(value, percent) if percent else f'{value:g}'}</title></rect>"
                )
            x += w
        out.append(f'<text class="muted" x="{x + 8:.1f}" y="{y + bar * 0.72:.1f}">{esc(note)}</text>')
    out.append("</svg>")
    if len(parts) > 1:
        legend = "".join(
            f'<span><i style="background:{PALETTE[k % len(PALETTE)]}"></i>{esc(p)}</span>'
            for k, p in enumerate(parts)
        )
        out.append(f'<div class="legend">{legend}</div>')
    return "".join(out)


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


def _days_axis(days: list[date]) -> tuple[list[date], str]:
    """Every day of the span when it is short; else only the days with articles (and say so)."""
    first, last = min(days), max(days)
    if (last - first).days <= CONTINUOUS_DAYS:
        return [first + timedelta(days=i) for i in range((last - first).days + 1)], ""
    return sorted(set(days)), " Days without articles crediting an agency are left out of the axis."


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
    axis, note = _days_axis([r["day"] for r in rows])
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
                _plural(s["outlets"], "outlet") + " · " + _plural(s["articles"], "article"),
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
        f" {_plural(undated, 'article')} give no date: marked undated, each placed just before the first "
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
        span += f" (+ {_plural(t['undated'], 'undated article')})"
    cards = "".join(
        f'<div class="card"><b>{esc(value)}</b><span>{esc(label)}</span></div>'
        for value, label in (
            (t["articles"], "articles"),
            (t["outlets"], "known outlets"),
            (t["stories"], "stories"),
            (t["agencies"], "agencies credited"),
            (len(data.uncredited), "uncredited copies"),
            (t["open_failures"], "inputs failing"),
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
