"""Server-rendered SVG line charts: pure Python, no JavaScript, no inline styles.

Every chart is one inline ``<svg class="chart">`` with ``role="img"``, a ``<title>`` and a
``<desc>``; colours come from CSS classes (static/css/charts.css), so the markup is allowed
under ``style-src 'self'``. All text goes through markupsafe, so labels are always inert.
The page should also show the same numbers as a table: the chart is not the only carrier.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")
# A series with more points than this is drawn as a line without a circle per point.
MAX_MARKED_POINTS = 60
# Band hatching by severity order (lowest band first): (tile size, cross-hatched).
_HATCHES: tuple[tuple[int, bool] | None, ...] = (None, (8, False), (5, False), (7, True), (4, True))


@dataclass(frozen=True)
class Point:
    when: date
    value: float | None  # None (or NaN) = not measured: the line breaks there
    label: str = ""  # e.g. "Session 4"; shown in the point's tooltip


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


# --- markup helpers ------------------------------------------------------------------------


def _num(x: float) -> str:
    text = f"{round(x, 2):g}"
    return "0" if text == "-0" else text


def _tag(name: str, *children: str, **attrs: object) -> Markup:
    """An SVG element; attribute values and str children are escaped, Markup is kept.
    Keyword names map class_ -> class and snake_case -> kebab-case (viewBox stays)."""
    # Plain string building with escape() (Markup.format is several times slower, and a
    # chart of a long course has thousands of elements). Names are the module's own.
    opening = "<" + name
    for key, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, float | int) and not isinstance(value, bool):
            text = _num(value)
        else:
            text = escape(value)
        opening += f' {key.rstrip("_").replace("_", "-")}="{text}"'
    if not children:
        return Markup(opening + "/>")  # noqa: S704 (every value above is escaped)
    inner = "".join([escape(child) for child in children])
    return Markup(f"{opening}>{inner}</{name}>")  # noqa: S704 (escaped above)


def _token(value: str, what: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise ValueError(f"{what} must match [A-Za-z][A-Za-z0-9_-]*, got {value!r}")
    return value


def _text_width(text: str, font: float) -> float:
    return len(text) * font * 0.6


def _clamp(x: float, low: float, high: float) -> float:
    return max(low, min(high, x))


def short_date(d: date, *, with_year: bool = False) -> str:
    """'Mar 4' (or 'Mar 4, 2025'); fixed English abbreviations, whatever the locale."""
    text = f"{MONTHS[d.month - 1]} {d.day}"
    return f"{text}, {d.year}" if with_year else text


def _value(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


# --- scales and ticks ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """The plot area in viewBox units and the data domain it shows."""

    left: float
    top: float
    right: float
    bottom: float
    start: date
    end: date
    y_min: float
    y_max: float

    def x(self, when: date) -> float:
        span = (self.end - self.start).days
        if span <= 0:
            return (self.left + self.right) / 2
        return self.left + (when - self.start).days / span * (self.right - self.left)

    def y(self, value: float) -> float:
        share = (_clamp(value, self.y_min, self.y_max) - self.y_min) / (self.y_max - self.y_min)
        return self.bottom - share * (self.bottom - self.top)


def nice_ticks(low: float, high: float, count: int) -> list[float]:
    """Round values (steps of 1, 2, 2.5 or 5 times a power of ten) from low to high."""
    if high <= low:
        return [low]
    rough = (high - low) / max(count, 1)
    magnitude = 10 ** math.floor(math.log10(rough))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= rough)
    first = math.ceil(low / step - 1e-9)
    ticks = []
    while (tick := round((first + len(ticks)) * step, 10)) <= high + 1e-9:
        ticks.append(tick)
    return ticks


def date_ticks(start: date, end: date, count: int) -> list[date]:
    """Up to `count` evenly spaced dates from start to end inclusive (one if start == end)."""
    span = (end - start).days
    if span <= 0:
        return [start]
    steps = max(count - 1, 1)
    days = sorted({round(i * span / steps) for i in range(steps + 1)})
    return [date.fromordinal(start.toordinal() + d) for d in days]


# --- the chart -----------------------------------------------------------------------------


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
    _token(chart_id, "chart_id")
    if start > end:
        raise ValueError("start is after end")
    if y_min > y_max:
        raise ValueError("y_min is above y_max")
    if y_max == y_min:
        y_max = y_min + 1
    series, bands, markers = list(series), list(bands), list(markers)
    thresholds = [t for t in thresholds if y_min <= t.value <= y_max]
    for item in (*series, *bands, *markers, *thresholds):
        _token(item.key, f"{type(item).__name__} key")
    dates = [p.when for s in series for p in s.points] + [m.when for m in markers]
    start, end = min([start, *dates]), max([end, *dates])

    font = 10 if compact else 11
    y_ticks = nice_ticks(y_min, y_max, 3 if compact else 6)
    marker_rows = (1 if compact else 2) if markers else 0
    legend_base = 4 + font
    row_height = font + 3
    left = max(_text_width(_num(t), font) for t in y_ticks) + 10 + (font + 6 if y_label else 0)
    top = legend_base + 6 + marker_rows * row_height + 4
    bottom = max(height - font - 10, top + 20)
    frame = _Frame(left, top, max(width - 12, left + 20), bottom, start, end, y_min, y_max)

    body = [
        _tag("title", title, id=f"{chart_id}-title"),
        _tag("desc", description, id=f"{chart_id}-desc"),
        _bands(frame, bands, chart_id, font),
        _axes(frame, y_ticks, date_ticks(start, end, 3 if compact else 5), width, font, y_label),
        _markers(frame, markers, legend_base + 6, marker_rows, row_height, width, font),
        _thresholds(frame, thresholds, font),
        _tag("g", *(_series(frame, s, compact) for s in series), class_="chart__series"),
        _legend(frame, series, legend_base, font),
    ]
    return _tag(
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


# --- chart parts ---------------------------------------------------------------------------


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


def _bands(frame: _Frame, bands: list[Band], chart_id: str, font: int) -> Markup:
    defs, groups = [], []
    visible = [b for b in join_bands(bands) if b.high > frame.y_min]
    for level, band in enumerate(b for b in visible if b.low < frame.y_max):
        y_top, y_bottom = frame.y(band.high), frame.y(band.low)
        if y_bottom - y_top <= 0:
            continue
        box = dict(x=frame.left, y=y_top, width=frame.right - frame.left, height=y_bottom - y_top)
        parts = [_tag("rect", class_="band__fill", fill="none", **box)]
        hatch = _HATCHES[min(level, len(_HATCHES) - 1)]
        if hatch:
            size, cross = hatch
            pattern_id = f"{chart_id}-hatch-{level}"
            lines = [_tag("line", class_="band__hatch-line", x1=0, y1=0, x2=0, y2=size)]
            if cross:
                lines.append(_tag("line", class_="band__hatch-line", x1=0, y1=0, x2=size, y2=0))
            defs.append(
                _tag(
                    "pattern",
                    *lines,
                    id=pattern_id,
                    width=size,
                    height=size,
                    patternUnits="userSpaceOnUse",
                    patternTransform="rotate(45)",
                )
            )
            parts.append(_tag("rect", class_="band__hatch", fill=f"url(#{pattern_id})", **box))
        if y_bottom - y_top >= font + 2:
            parts.append(
                _tag("text", band.label, class_="band__label", x=frame.left + 4, y=y_top + font)
            )
        groups.append(_tag("g", *parts, class_=f"band band--{band.key}"))
    head = [_tag("defs", *defs)] if defs else []
    return _tag("g", *head, *groups, class_="chart__bands") if groups else Markup("")


def _axes(
    frame: _Frame, y_ticks: list[float], x_ticks: list[date], width: int, font: int, y_label: str
) -> Markup:
    parts = []
    for tick in y_ticks:
        y = frame.y(tick)
        parts.append(_tag("line", class_="chart__grid", x1=frame.left, x2=frame.right, y1=y, y2=y))
        parts.append(
            _tag(
                "text",
                _num(tick),
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
        half = _text_width(label, font) / 2 + 2
        parts.append(
            _tag("line", class_="chart__axis", x1=x, x2=x, y1=frame.bottom, y2=frame.bottom + 4)
        )
        parts.append(
            _tag(
                "text",
                label,
                class_="chart__tick chart__tick--x",
                x=_clamp(x, half, width - half),
                y=frame.bottom + font + 5,
                text_anchor="middle",
            )
        )
    if y_label:
        middle = (frame.top + frame.bottom) / 2
        parts.append(
            _tag(
                "text",
                y_label,
                class_="chart__y-label",
                x=font,
                y=middle,
                text_anchor="middle",
                transform=f"rotate(-90 {_num(font)} {_num(middle)})",
            )
        )
    axis = f"M{_num(frame.left)} {_num(frame.top)}V{_num(frame.bottom)}H{_num(frame.right)}"
    parts.append(_tag("path", class_="chart__axis", d=axis, fill="none", stroke="currentColor"))
    return _tag("g", *parts, class_="chart__axes")


def _markers(
    frame: _Frame,
    markers: list[Marker],
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
            _tag("title", f"{marker.label} ({short_date(marker.when, with_year=True)})"),
            _tag(
                "line",
                class_="marker__line",
                x1=x,
                x2=x,
                y1=frame.top,
                y2=frame.bottom,
                stroke="currentColor",
            ),
        ]
        half = _text_width(marker.label, font) / 2
        centre = _clamp(x, half + 2, width - half - 2)
        row = next((r for r in range(rows) if centre - half > row_ends[r] + 4), None)
        if row is not None:
            row_ends[row] = centre + half
            parts.append(
                _tag(
                    "text",
                    marker.label,
                    class_="marker__label",
                    x=centre,
                    y=first_row + (row + 1) * row_height - 3,
                    text_anchor="middle",
                )
            )
        groups.append(_tag("g", *parts, class_=f"marker marker--{marker.key}"))
    return _tag("g", *groups, class_="chart__markers") if groups else Markup("")


def _thresholds(frame: _Frame, thresholds: list[Threshold], font: int) -> Markup:
    groups = []
    for threshold in thresholds:
        y = frame.y(threshold.value)
        label_y = y - 3 if y - 3 - font >= frame.top else y + font + 2
        groups.append(
            _tag(
                "g",
                _tag(
                    "line",
                    class_="threshold__line",
                    x1=frame.left,
                    x2=frame.right,
                    y1=y,
                    y2=y,
                    stroke="currentColor",
                    stroke_dasharray="6 4",
                ),
                _tag(
                    "text",
                    threshold.label,
                    class_="threshold__label",
                    x=frame.right - 4,
                    y=label_y,
                    text_anchor="end",
                ),
                class_=f"threshold threshold--{threshold.key}",
            )
        )
    return _tag("g", *groups, class_="chart__thresholds") if groups else Markup("")


def _series(frame: _Frame, series: Series, compact: bool) -> Markup:
    """One polyline per unbroken run of two or more points, and a circle per point (with its
    value as a tooltip). Past MAX_MARKED_POINTS the circles would touch and only blur the
    line, so the line stands alone but for its last point; the page's table has every value."""
    runs: list[list[tuple[float, float]]] = [[]]
    circles = []
    points = sorted(series.points, key=lambda p: p.when)
    marked = points if len(points) <= MAX_MARKED_POINTS else points[-1:]
    for point in points:
        value = _value(point.value)
        if value is None:
            runs.append([])
            continue
        x, y = frame.x(point.when), frame.y(value)
        runs[-1].append((x, y))
        if point not in marked:
            continue
        tip = f"{series.name}: {_num(value)} on {short_date(point.when, with_year=True)}"
        circles.append(
            _tag(
                "circle",
                _tag("title", f"{tip} ({point.label})" if point.label else tip),
                class_="series__point",
                cx=x,
                cy=y,
                r=2.75 if compact else 3.5,
            )
        )
    lines = [
        _tag(
            "polyline",
            class_="series__line",
            points=" ".join(f"{_num(x)},{_num(y)}" for x, y in run),
            fill="none",
            stroke="currentColor",
        )
        for run in runs
        if len(run) > 1
    ]
    return _tag("g", *lines, *circles, class_=f"series series--{series.key}")


def _legend(frame: _Frame, series: Sequence[Series], baseline: float, font: int) -> Markup:
    items, x = [], frame.left
    y = baseline - font * 0.35
    for entry in series:
        items.append(
            _tag(
                "g",
                _tag(
                    "line",
                    class_="series__line",
                    x1=x,
                    x2=x + 18,
                    y1=y,
                    y2=y,
                    stroke="currentColor",
                ),
                _tag("circle", class_="series__point", cx=x + 9, cy=y, r=3),
                _tag("text", entry.name, class_="legend__label", x=x + 22, y=baseline),
                class_=f"legend__item series series--{entry.key}",
            )
        )
        x += 22 + _text_width(entry.name, font) + 14
    return _tag("g", *items, class_="chart__legend") if items else Markup("")
