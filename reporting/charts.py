"""The report's charts, drawn as SVG strings rather than with a charting library.

Hand-written SVG keeps the report one offline file (no CDN, no script, no dependency) small
enough to mail or attach to a Prefect artifact; keeping the drawing apart from the page lets
each chart be read and changed without wading through the page's sections. Which days a day
chart shows (`days_axis`), and when it is columns or lines, is decided here with the drawing.
"""

from __future__ import annotations

import html
import math
from datetime import date, timedelta

# Okabe-Ito: distinguishable for the common colour-vision deficiencies.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000")
COLUMN_DAYS = 45  # up to this many days, one column per day; beyond, one line per agency
CONTINUOUS_DAYS = 120  # a longer span plots only the days with articles (a 9-year axis is all gaps)


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _short(text: object, width: int) -> str:
    text = "" if text is None else str(text)
    return text if len(text) <= width else text[: width - 1] + "…"


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
# width, height, left, right, top, and the plot area's width and height
_DAY_AREA = (
    *_DAY_CHART,
    *_DAY_CHART_MARGINS[:3],
    _DAY_CHART[0] - _DAY_CHART_MARGINS[0] - _DAY_CHART_MARGINS[1],
    _DAY_CHART[1] - _DAY_CHART_MARGINS[2] - _DAY_CHART_MARGINS[3],
)
_NOTHING_TO_PLOT = '<p class="empty">Nothing to plot yet.</p>'


def days_axis(days: list[date]) -> tuple[list[date], str]:
    """Every day of the span when it is short; else only the days with articles (and say so)."""
    first, last = min(days), max(days)
    if (last - first).days <= CONTINUOUS_DAYS:
        return [first + timedelta(days=i) for i in range((last - first).days + 1)], ""
    return sorted(set(days)), " Days without articles crediting an agency are left out of the axis."


def line_chart(x_labels: list[str], series: dict[str, list[float]], y_title: str) -> str:
    """One line per series over categorical x positions (days); points carry a tooltip."""
    if not x_labels or not series:
        return _NOTHING_TO_PLOT
    width, height, left, right, top, plot_w, plot_h = _DAY_AREA
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
        return _NOTHING_TO_PLOT
    width, height, left, right, top, plot_w, plot_h = _DAY_AREA
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
        return _NOTHING_TO_PLOT
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
