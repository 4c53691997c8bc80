"""Server-rendered SVG line charts: pure Python, no JavaScript, no inline styles.

Every chart is one inline ``<svg class="chart">`` with ``role="img"``, a ``<title>`` and a
``<desc>``; colours come from CSS classes (static/css/charts.css), so the markup is allowed
under ``style-src 'self'``. All text goes through markupsafe, so labels are always inert.
The page should also show the same numbers as a table: the chart is not the only carrier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from tracker.progress.chart_parts import (
    MAX_MARKED_POINTS,
    draw_axes,
    draw_bands,
    draw_legend,
    draw_markers,
    draw_series,
    draw_thresholds,
    join_bands,
)
from tracker.progress.svg import (
    SVG_NS,
    Frame,
    date_ticks,
    nice_ticks,
    num,
    short_date,
    tag,
    text_width,
    token,
)

__all__ = ["MAX_MARKED_POINTS", "Band", "Marker", "Point", "Series", "Threshold", "date_ticks",
           "join_bands", "line_chart", "nice_ticks", "short_date", "small_multiple"]


@dataclass(frozen=True)
class Point:
    when: date
    value: float | None  # None (or NaN) = not measured: the line breaks there
    label: str = ""  # e.g. "Session 4"; shown in the point's tooltip
    style: str = ""  # "" a circle; "home" answered at home (chart_points.POINT_STYLES)


@dataclass(frozen=True)
class Series:
    name: str
    points: list[Point]
    key: str  # CSS class series--{key}, e.g. old, new, score


@dataclass(frozen=True)
class Band:
    low: float
    high: float
    label: str
    key: str  # CSS class band--{key}, e.g. minimal, mild, moderate, moderately-severe, severe


@dataclass(frozen=True)
class Marker:
    when: date
    label: str
    key: str = "dosing"  # CSS class marker--{key}


@dataclass(frozen=True)
class Threshold:
    value: float
    label: str
    key: str  # CSS class threshold--{key}, e.g. remission, response


def line_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[Series],
    y_min: float,
    y_max: float,
    start: date,
    end: date,
    bands: Iterable[Band] = (),
    markers: Iterable[Marker] = (),
    thresholds: Iterable[Threshold] = (),
    width: int = 640,
    height: int = 240,
    y_label: str = "",
    compact: bool = False,
) -> Markup:
    """An accessible inline SVG line chart.

    The time axis runs from start to end, widened to include every point and marker.
    Values are clamped to [y_min, y_max]; bands are clipped to it (and neighbours with
    integer cut-offs joined halfway, see join_bands) and thresholds outside it are left out.
    chart_id and every key must match [A-Za-z][A-Za-z0-9_-]* (ValueError otherwise).
    """
    token(chart_id, "chart_id")
    if start > end:
        raise ValueError("start is after end")
    if y_min > y_max:
        raise ValueError("y_min is above y_max")
    if y_max == y_min:
        y_max = y_min + 1
    series, bands, markers = list(series), list(bands), list(markers)
    thresholds = [t for t in thresholds if y_min <= t.value <= y_max]
    for item in (*series, *bands, *markers, *thresholds):
        token(item.key, f"{type(item).__name__} key")
    dates = [p.when for s in series for p in s.points] + [m.when for m in markers]
    start, end = min([start, *dates]), max([end, *dates])

    font = 10 if compact else 11
    y_ticks = nice_ticks(y_min, y_max, 3 if compact else 6)
    marker_rows = (1 if compact else 2) if markers else 0
    legend_base = 4 + font
    row_height = font + 3
    left = max(text_width(num(t), font) for t in y_ticks) + 10 + (font + 6 if y_label else 0)
    top = legend_base + 6 + marker_rows * row_height + 4
    bottom = max(height - font - 10, top + 20)
    frame = Frame(left, top, max(width - 12, left + 20), bottom, start, end, y_min, y_max)

    body = [
        tag("title", title, id=f"{chart_id}-title"),
        tag("desc", description, id=f"{chart_id}-desc"),
        draw_bands(frame, tuple(bands), chart_id, font),
        draw_axes(frame, tuple(y_ticks), tuple(date_ticks(start, end, 3 if compact else 5)),
                  width, font, y_label),
        draw_markers(frame, tuple(markers), legend_base + 6, marker_rows, row_height, width,
                     font),
        draw_thresholds(frame, tuple(thresholds), font),
        tag("g", *(draw_series(frame, s, compact) for s in series), class_="chart__series"),
        draw_legend(frame, tuple((s.name, s.key) for s in series), legend_base, font,
                    tuple(sorted({p.style for s in series for p in s.points if p.style}))),
    ]
    return tag(
        "svg",
        *body,
        xmlns=SVG_NS,
        id=chart_id,
        class_="chart chart--compact" if compact else "chart",
        viewBox=f"0 0 {width} {height}",
        role="img",
        aria_labelledby=f"{chart_id}-title {chart_id}-desc",
        font_family="system-ui, sans-serif",
        font_size=font,
    )


def small_multiple(
    *,
    chart_id: str,
    title: str,
    description: str,
    series: Sequence[Series],
    start: date,
    end: date,
    y_min: float = 0,
    y_max: float = 100,
    bands: Iterable[Band] = (),
    markers: Iterable[Marker] = (),
    thresholds: Iterable[Threshold] = (),
    width: int = 320,
    height: int = 140,
    y_label: str = "",
) -> Markup:
    """A compact line_chart for one belief: old and new conviction, 0-100 by default."""
    return line_chart(
        chart_id=chart_id,
        title=title,
        description=description,
        series=series,
        y_min=y_min,
        y_max=y_max,
        start=start,
        end=end,
        bands=bands,
        markers=markers,
        thresholds=thresholds,
        width=width,
        height=height,
        y_label=y_label,
        compact=True,
    )
