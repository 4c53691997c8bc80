"""The parts of a chart (tracker/progress/charts.py): severity bands, axes, dosing markers,
thresholds, the series and the legend, each drawn into a frame as escaped SVG.

Every part but the series is a function of the frame, dates, dose numbers and the charts' own
words (never a record's text), and the same for each chart that shares its frame (every
belief of a page, the same page again): those are drawn once and kept in small caches (their
arguments are tuples for that)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING

from markupsafe import Markup

from tracker.progress.chart_points import legend_points, point_mark
from tracker.progress.svg import Frame, clamp, finite, num, short_date, tag, text_width

if TYPE_CHECKING:
    from tracker.progress.charts import Band, Marker, Series, Threshold

# A series with more points than this is drawn as a line without a circle per point.
MAX_MARKED_POINTS = 60
# Band hatching by severity order (lowest band first): (tile size, cross-hatched).
_HATCHES: tuple[tuple[int, bool] | None, ...] = (None, (8, False), (5, False), (7, True), (4, True))


def join_bands(bands: Iterable[Band]) -> list[Band]:
    """Sorted by low; neighbours with integer cut-offs (0-4, 5-9) meet halfway (4.5), so no
    blank strip shows between them and every whole score sits inside its band."""
    joined = sorted(bands, key=lambda b: b.low)
    for i in range(len(joined) - 1):
        below, above = joined[i], joined[i + 1]
        if 0 < above.low - below.high <= 1:
            middle = (below.high + above.low) / 2
            joined[i], joined[i + 1] = replace(below, high=middle), replace(above, low=middle)
    return joined


@lru_cache(maxsize=64)
def draw_bands(frame: Frame, bands: Sequence[Band], chart_id: str, font: int) -> Markup:
    defs, groups = [], []
    visible = [b for b in join_bands(bands) if b.high > frame.y_min]
    for level, band in enumerate(b for b in visible if b.low < frame.y_max):
        y_top, y_bottom = frame.y(band.high), frame.y(band.low)
        if y_bottom - y_top <= 0:
            continue
        box = dict(x=frame.left, y=y_top, width=frame.right - frame.left, height=y_bottom - y_top)
        parts = [tag("rect", class_="band__fill", fill="none", **box)]
        hatch = _HATCHES[min(level, len(_HATCHES) - 1)]
        if hatch:
            size, cross = hatch
            pattern_id = f"{chart_id}-hatch-{level}"
            lines = [tag("line", class_="band__hatch-line", x1=0, y1=0, x2=0, y2=size)]
            if cross:
                lines.append(tag("line", class_="band__hatch-line", x1=0, y1=0, x2=size, y2=0))
            defs.append(
                tag(
                    "pattern",
                    *lines,
                    id=pattern_id,
                    width=size,
                    height=size,
                    patternUnits="userSpaceOnUse",
                    patternTransform="rotate(45)",
                )
            )
            parts.append(tag("rect", class_="band__hatch", fill=f"url(#{pattern_id})", **box))
        if y_bottom - y_top >= font + 2:
            parts.append(
                tag("text", band.label, class_="band__label", x=frame.left + 4, y=y_top + font)
            )
        groups.append(tag("g", *parts, class_=f"band band--{band.key}"))
    head = [tag("defs", *defs)] if defs else []
    return tag("g", *head, *groups, class_="chart__bands") if groups else Markup("")


@lru_cache(maxsize=64)
def draw_axes(frame: Frame, y_ticks: Sequence[float], x_ticks: Sequence[date], width: int,
              font: int, y_label: str) -> Markup:
    parts = []
    for tick in y_ticks:
        y = frame.y(tick)
        parts.append(tag("line", class_="chart__grid", x1=frame.left, x2=frame.right, y1=y, y2=y))
        parts.append(
            tag(
                "text",
                num(tick),
                class_="chart__tick chart__tick--y",
                x=frame.left - 5,
                y=y + font * 0.35,
                text_anchor="end",
            )
        )
    with_year = frame.start.year != frame.end.year
    previous_year = None
    for day in x_ticks:
        x = frame.x(day)
        label = short_date(day, with_year=with_year and day.year != previous_year)
        previous_year = day.year
        half = text_width(label, font) / 2 + 2
        parts.append(
            tag("line", class_="chart__axis", x1=x, x2=x, y1=frame.bottom, y2=frame.bottom + 4)
        )
        parts.append(
            tag(
                "text",
                label,
                class_="chart__tick chart__tick--x",
                x=clamp(x, half, width - half),
                y=frame.bottom + font + 5,
                text_anchor="middle",
            )
        )
    if y_label:
        middle = (frame.top + frame.bottom) / 2
        parts.append(
            tag(
                "text",
                y_label,
                class_="chart__y-label",
                x=font,
                y=middle,
                text_anchor="middle",
                transform=f"rotate(-90 {num(font)} {num(middle)})",
            )
        )
    axis = f"M{num(frame.left)} {num(frame.top)}V{num(frame.bottom)}H{num(frame.right)}"
    parts.append(tag("path", class_="chart__axis", d=axis, fill="none", stroke="currentColor"))
    return tag("g", *parts, class_="chart__axes")


@lru_cache(maxsize=64)
def draw_markers(
    frame: Frame,
    markers: Sequence[Marker],
    first_row: float,
    rows: int,
    row_height: float,
    width: int,
    font: int,
) -> Markup:
    """Vertical lines; labels go in up to `rows` rows above the plot, or only in the tooltip
    when they would overlap (the line and its <title> are always drawn)."""
    row_ends = [-math.inf] * rows
    groups = []
    for marker in sorted(markers, key=lambda m: m.when):
        x = frame.x(marker.when)
        parts = [
            tag("title", f"{marker.label} ({short_date(marker.when, with_year=True)})"),
            tag(
                "line",
                class_="marker__line",
                x1=x,
                x2=x,
                y1=frame.top,
                y2=frame.bottom,
                stroke="currentColor",
            ),
        ]
        half = text_width(marker.label, font) / 2
        centre = clamp(x, half + 2, width - half - 2)
        row = next((r for r in range(rows) if centre - half > row_ends[r] + 4), None)
        if row is not None:
            row_ends[row] = centre + half
            parts.append(
                tag(
                    "text",
                    marker.label,
                    class_="marker__label",
                    x=centre,
                    y=first_row + (row + 1) * row_height - 3,
                    text_anchor="middle",
                )
            )
        groups.append(tag("g", *parts, class_=f"marker marker--{marker.key}"))
    return tag("g", *groups, class_="chart__markers") if groups else Markup("")


def _label_rows(frame: Frame, thresholds: Sequence[Threshold], font: int) -> list[float]:
    """A baseline per threshold label: just above its line (below at the top of the plot),
    moved clear of the labels already placed, so lines that meet keep readable labels."""
    placed: list[float] = []
    for threshold in thresholds:
        y = frame.y(threshold.value)
        candidates = [y - 3, y + font + 2, y - font - 5, y + 2 * font + 4]
        fits = [c for c in candidates if frame.top + font <= c <= frame.bottom]
        free = [c for c in fits if all(abs(c - p) >= font + 1 for p in placed)]
        placed.append((free or fits or candidates)[0])
    return placed


@lru_cache(maxsize=64)
def draw_thresholds(frame: Frame, thresholds: Sequence[Threshold], font: int) -> Markup:
    """Dashed lines; labels written from the left edge, where a falling score rarely is (the
    series ends on the right, often right on a threshold)."""
    groups = []
    for threshold, label_y in zip(thresholds, _label_rows(frame, thresholds, font),
                                  strict=True):
        y = frame.y(threshold.value)
        groups.append(
            tag(
                "g",
                tag(
                    "line",
                    class_="threshold__line",
                    x1=frame.left,
                    x2=frame.right,
                    y1=y,
                    y2=y,
                    stroke="currentColor",
                    stroke_dasharray="6 4",
                ),
                tag(
                    "text",
                    threshold.label,
                    class_="threshold__label",
                    x=frame.left + 4,
                    y=label_y,
                    text_anchor="start",
                ),
                class_=f"threshold threshold--{threshold.key}",
            )
        )
    return tag("g", *groups, class_="chart__thresholds") if groups else Markup("")


def draw_series(frame: Frame, series: Series, compact: bool) -> Markup:
    """One polyline per unbroken run of two or more points, and a circle per point (with its
    value as a tooltip). Past MAX_MARKED_POINTS the circles would touch and only blur the
    line, so the line stands alone but for its last point; the page's table has every value."""
    runs: list[list[tuple[float, float]]] = [[]]
    circles = []
    points = sorted(series.points, key=lambda p: p.when)
    every = len(points) <= MAX_MARKED_POINTS
    for index, point in enumerate(points):
        value = finite(point.value)
        if value is None:
            runs.append([])
            continue
        x, y = frame.x(point.when), frame.y(value)
        runs[-1].append((x, y))
        if not (every or point.style or index == len(points) - 1):
            continue  # Styled points and the last one: always.
        tip = f"{series.name}: {num(value)} on {short_date(point.when, with_year=True)}"
        circles.append(point_mark(x, y, 2.75 if compact else 3.5, point.style,
                                  f"{tip} ({point.label})" if point.label else tip))
    lines = [
        tag(
            "polyline",
            class_="series__line",
            points=" ".join(f"{num(x)},{num(y)}" for x, y in run),
            fill="none",
            stroke="currentColor",
        )
        for run in runs
        if len(run) > 1
    ]
    return tag("g", *lines, *circles, class_=f"series series--{series.key}")


@lru_cache(maxsize=64)
def draw_legend(frame: Frame, series: Sequence[tuple[str, str]], baseline: float, font: int,
                point_styles: Sequence[str] = ()) -> Markup:
    """series: each one's name and key."""
    items, x = [], frame.left
    y = baseline - font * 0.35
    for name, key in series:
        items.append(
            tag(
                "g",
                tag(
                    "line",
                    class_="series__line",
                    x1=x,
                    x2=x + 18,
                    y1=y,
                    y2=y,
                    stroke="currentColor",
                ),
                tag("circle", class_="series__point", cx=x + 9, cy=y, r=3),
                tag("text", name, class_="legend__label", x=x + 22, y=baseline),
                class_=f"legend__item series series--{key}",
            )
        )
        x += 22 + text_width(name, font) + 14
    items += legend_points(x, y, baseline, font, point_styles)
    return tag("g", *items, class_="chart__legend") if items else Markup("")
