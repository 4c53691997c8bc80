"""SVG charts: well-formed, accessible, geometrically right, inert labels, CSP-safe."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta

import pytest
from markupsafe import Markup

from tracker.progress.charts import (
    Band,
    Marker,
    Point,
    Series,
    Threshold,
    date_ticks,
    join_bands,
    line_chart,
    nice_ticks,
    short_date,
    small_multiple,
)

NS = "{http://www.w3.org/2000/svg}"
D0 = date(2025, 1, 6)
HOSTILE = '<script>alert("x")</script>" onload="alert(1)'


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def parse(chart: Markup) -> ET.Element:
    """Well-formed XML or an exception. The input is this module's own output."""
    assert isinstance(chart, Markup)  # so Jinja inserts it as is
    return ET.fromstring(str(chart))  # noqa: S314


def render(**overrides) -> ET.Element:
    kwargs = dict(
        chart_id="phq9",
        title="PHQ-9 over the course",
        description="Scores fell from 21 to 4.",
        series=[
            Series("PHQ-9", [Point(day(0), 21), Point(day(14), 12), Point(day(28), 4)], "score")
        ],
        y_min=0,
        y_max=27,
        start=day(0),
        end=day(28),
    )
    kwargs.update(overrides)
    return parse((small_multiple if kwargs.pop("small", False) else line_chart)(**kwargs))


def classes(el: ET.Element) -> set[str]:
    return set(el.get("class", "").split())


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    return [el for el in root.iter() if name in classes(el)]


def tag(el: ET.Element) -> str:
    return el.tag.removeprefix(NS)


def num(el: ET.Element, attr: str) -> float:
    return float(el.get(attr))


def plot_box(root: ET.Element) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the plot area, read from the L-shaped axis path."""
    (axis,) = [el for el in by_class(root, "chart__axis") if tag(el) == "path"]
    left, top, bottom, right = map(
        float, re.fullmatch(r"M(\S+) (\S+)V(\S+)H(\S+)", axis.get("d")).groups()
    )
    return left, top, right, bottom


def data_series(root: ET.Element) -> list[ET.Element]:
    (group,) = by_class(root, "chart__series")
    return list(group)


def circles(group: ET.Element) -> list[ET.Element]:
    return [el for el in group if tag(el) == "circle"]


def polylines(group: ET.Element) -> list[ET.Element]:
    return [el for el in group if tag(el) == "polyline"]


def texts(root: ET.Element, name: str) -> list[str]:
    return ["".join(el.itertext()) for el in by_class(root, name)]


def test_root_is_an_accessible_image_with_title_and_description():
    root = render()
    assert tag(root) == "svg"
    assert root.get("role") == "img"
    assert root.get("id") == "phq9"
    assert "chart" in classes(root) and "chart--compact" not in classes(root)
    assert root.get("viewBox") == "0 0 640 240"
    assert root.get("width") is None and root.get("height") is None  # sized by .chart in CSS
    ids = root.get("aria-labelledby").split()
    assert ids == ["phq9-title", "phq9-desc"]
    title, desc = root[0], root[1]  # first children, so they are the accessible name
    assert (tag(title), title.get("id"), title.text) == (
        "title",
        "phq9-title",
        "PHQ-9 over the course",
    )
    assert (tag(desc), desc.get("id"), desc.text) == (
        "desc",
        "phq9-desc",
        "Scores fell from 21 to 4.",
    )


def test_one_polyline_per_series_and_a_circle_per_point():
    old = Series("Old belief", [Point(day(0), 90), Point(day(7), 70), Point(day(14), 50)], "old")
    new = Series("New belief", [Point(day(i * 4), 10 + i * 10) for i in range(4)], "new")
    root = render(series=[old, new], y_max=100, end=day(14))
    groups = data_series(root)
    assert [classes(g) for g in groups] == [{"series", "series--old"}, {"series", "series--new"}]
    for group, series in zip(groups, (old, new), strict=True):
        (line,) = polylines(group)
        assert line.get("fill") == "none"
        dots = circles(group)
        assert len(dots) == len(series.points)
        # the line passes through the circles, in order
        assert line.get("points").split() == [f"{d.get('cx')},{d.get('cy')}" for d in dots]
    assert texts(root, "legend__label") == ["Old belief", "New belief"]
    legend = by_class(root, "legend__item")
    assert [classes(i) & {"series--old", "series--new"} for i in legend] == [
        {"series--old"},
        {"series--new"},
    ]


def test_missing_values_break_the_line_and_have_no_circle():
    values = [20, 18, None, 12, 9, None, 5]
    series = Series("PHQ-9", [Point(day(i * 7), v) for i, v in enumerate(values)], "score")
    (group,) = data_series(render(series=[series], end=day(42)))
    runs = [line.get("points").split() for line in polylines(group)]
    assert [len(r) for r in runs] == [2, 2]  # the lone 5 gets a circle only
    assert len(circles(group)) == 5
    gap = [Point(day(0), 10), Point(day(7), None), Point(day(14), float("nan")), Point(day(21), 8)]
    (group,) = data_series(render(series=[Series("s", gap, "score")], end=day(21)))
    assert polylines(group) == []
    assert len(circles(group)) == 2


def test_x_follows_the_date_and_higher_values_are_higher_on_screen():
    points = [Point(day(20), 3), Point(day(0), 27), Point(day(10), 13.5), Point(day(5), 0)]
    root = render(series=[Series("s", points, "score")], end=day(20))
    left, top, right, bottom = plot_box(root)
    dots = circles(data_series(root)[0])
    xs = [num(d, "cx") for d in dots]
    assert xs == sorted(xs) and len(set(xs)) == 4  # drawn in date order, strictly increasing
    by_date = sorted(points, key=lambda p: p.when)
    for dot, point in zip(dots, by_date, strict=True):
        share = (point.when - day(0)).days / 20
        assert num(dot, "cx") == pytest.approx(left + share * (right - left), abs=0.01)
        assert num(dot, "cy") == pytest.approx(bottom - point.value / 27 * (bottom - top), abs=0.01)
    cy = {p.value: num(d, "cy") for p, d in zip(by_date, dots, strict=True)}
    assert cy[27] == pytest.approx(top) and cy[0] == pytest.approx(bottom)
    assert cy[27] < cy[13.5] < cy[3] < cy[0]


def test_values_and_dates_outside_the_range_stay_inside_the_plot():
    points = [Point(day(-3), 40), Point(day(35), -5)]
    root = render(series=[Series("s", points, "score")])
    left, top, right, bottom = plot_box(root)
    first, last = circles(data_series(root)[0])
    assert (num(first, "cx"), num(first, "cy")) == pytest.approx((left, top))
    assert (num(last, "cx"), num(last, "cy")) == pytest.approx((right, bottom))


PHQ9_BANDS = [
    Band(0, 5, "Minimal", "minimal"),
    Band(5, 10, "Mild", "mild"),
    Band(10, 15, "Moderate", "moderate"),
    Band(15, 20, "Moderately severe", "moderately-severe"),
    Band(20, 27, "Severe", "severe"),
]


def test_bands_are_shaded_inside_the_plot_area_with_labels_and_hatching():
    root = render(bands=list(reversed(PHQ9_BANDS)))  # order given does not matter
    left, top, right, bottom = plot_box(root)
    groups = by_class(root, "band")
    assert [classes(g) - {"band"} for g in groups] == [{f"band--{b.key}"} for b in PHQ9_BANDS]
    fills = by_class(root, "band__fill")
    for rect, band in zip(fills, PHQ9_BANDS, strict=True):
        x, y, w, h = (num(rect, a) for a in ("x", "y", "width", "height"))
        assert (x, x + w) == pytest.approx((left, right))
        assert top - 0.01 <= y and y + h <= bottom + 0.01
        assert y == pytest.approx(bottom - band.high / 27 * (bottom - top), abs=0.01)
        assert h == pytest.approx((band.high - band.low) / 27 * (bottom - top), abs=0.02)
    assert num(fills[0], "y") + num(fills[0], "height") == pytest.approx(bottom)
    assert num(fills[-1], "y") == pytest.approx(top)
    assert texts(root, "band__label") == [b.label for b in PHQ9_BANDS]
    # not colour alone: every band above the lowest is hatched with a pattern defined here
    pattern_ids = {el.get("id") for el in root.iter(f"{NS}pattern")}
    hatches = by_class(root, "band__hatch")
    assert len(hatches) == len(PHQ9_BANDS) - 1
    refs = [re.fullmatch(r"url\(#(.+)\)", h.get("fill")).group(1) for h in hatches]
    assert len(set(refs)) == len(refs) and set(refs) <= pattern_ids
    assert all(r.startswith("phq9-") for r in refs)  # unique per chart on a page


def test_bands_are_clipped_to_the_range_and_skipped_outside_it():
    bands = [
        Band(-10, 5, "Low", "minimal"),
        Band(20, 40, "High", "severe"),
        Band(30, 40, "Off", "mild"),
    ]
    root = render(bands=bands)
    left, top, right, bottom = plot_box(root)
    fills = by_class(root, "band__fill")
    assert texts(root, "band__label") == ["Low", "High"]
    low, high = fills
    assert num(low, "y") + num(low, "height") == pytest.approx(bottom)
    assert num(high, "y") == pytest.approx(top)


def test_bands_with_integer_cut_offs_meet_halfway_without_gaps():
    inclusive = [
        Band(0, 4, "Minimal", "minimal"),
        Band(5, 9, "Mild", "mild"),
        Band(10, 27, "Rest", "severe"),
    ]
    assert [(b.low, b.high) for b in join_bands(inclusive)] == [(0, 4.5), (4.5, 9.5), (9.5, 27)]
    apart = [Band(0, 4, "a", "minimal"), Band(10, 27, "b", "severe")]  # a real gap stays
    assert [(b.low, b.high) for b in join_bands(apart)] == [(0, 4), (10, 27)]
    root = render(bands=inclusive)
    left, top, right, bottom = plot_box(root)
    fills = by_class(root, "band__fill")
    edges = [(num(f, "y"), num(f, "y") + num(f, "height")) for f in fills]
    assert edges[0][1] == pytest.approx(bottom) and edges[-1][0] == pytest.approx(top)
    for (upper, _), (_, lower) in zip(edges, edges[1:], strict=False):
        assert upper == pytest.approx(lower, abs=0.02)  # each band's top is the next one's bottom
    assert edges[0][0] == pytest.approx(bottom - 4.5 / 27 * (bottom - top), abs=0.01)


def test_markers_are_vertical_lines_at_their_date_with_labels():
    markers = [
        Marker(day(0), "Dose 1"),
        Marker(day(14), "Dose 2"),
        Marker(day(28), "Dose 3", "other"),
    ]
    root = render(markers=markers)
    left, top, right, bottom = plot_box(root)
    groups = by_class(root, "marker")
    assert [classes(g) - {"marker"} for g in groups] == [{"marker--dosing"}] * 2 + [
        {"marker--other"}
    ]
    lines = by_class(root, "marker__line")
    for line, x in zip(lines, (left, (left + right) / 2, right), strict=True):
        assert num(line, "x1") == pytest.approx(x) and num(line, "x2") == pytest.approx(x)
        assert (num(line, "y1"), num(line, "y2")) == pytest.approx((top, bottom))
    dot = circles(data_series(root)[0])[1]  # the point on day 14
    assert num(lines[1], "x1") == pytest.approx(num(dot, "cx"))
    assert texts(root, "marker__label") == ["Dose 1", "Dose 2", "Dose 3"]
    assert "Dose 2" in "".join(groups[1].find(f"{NS}title").itertext())


def test_crowded_marker_labels_never_overlap_but_lines_stay():
    markers = [Marker(day(i), f"Dose {i + 1}") for i in range(6)]  # daily, over four weeks
    root = render(markers=markers)
    assert len(by_class(root, "marker__line")) == 6
    rows: dict[str, list[tuple[float, float]]] = {}
    for label in by_class(root, "marker__label"):
        half = len(label.text) * 11 * 0.3
        rows.setdefault(label.get("y"), []).append((num(label, "x") - half, num(label, "x") + half))
    for spans in rows.values():
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))
    assert len(rows) == 2  # regular charts stack labels in two rows


def test_thresholds_are_dashed_lines_at_their_value():
    thresholds = [
        Threshold(5, "Remission < 5", "remission"),
        Threshold(10.5, "50% of baseline (response)", "response"),
        Threshold(40, "Off the scale", "other"),
    ]
    series = Series("s", [Point(day(0), 21), Point(day(28), 5)], "score")
    root = render(series=[series], thresholds=thresholds)
    left, top, right, bottom = plot_box(root)
    groups = by_class(root, "threshold")
    assert [classes(g) - {"threshold"} for g in groups] == [
        {"threshold--remission"},
        {"threshold--response"},
    ]
    lines = by_class(root, "threshold__line")
    for line, value in zip(lines, (5, 10.5), strict=True):
        assert line.get("stroke-dasharray")
        y = bottom - value / 27 * (bottom - top)
        assert (num(line, "y1"), num(line, "y2")) == pytest.approx((y, y), abs=0.01)
        assert (num(line, "x1"), num(line, "x2")) == pytest.approx((left, right))
    assert num(lines[0], "y1") == pytest.approx(num(circles(data_series(root)[0])[1], "cy"))
    assert texts(root, "threshold__label") == ["Remission < 5", "50% of baseline (response)"]


def test_hostile_labels_come_out_as_inert_text():
    series = Series(HOSTILE, [Point(day(0), 10, HOSTILE), Point(day(7), 12)], "score")
    chart = line_chart(
        chart_id="c1",
        title=HOSTILE,
        description=HOSTILE,
        series=[series],
        y_min=0,
        y_max=27,
        start=day(0),
        end=day(7),
        bands=[Band(0, 27, HOSTILE, "minimal")],
        markers=[Marker(day(3), HOSTILE)],
        thresholds=[Threshold(5, HOSTILE, "remission")],
        y_label=HOSTILE,
    )
    assert "<script" not in str(chart) and 'onload="' not in str(chart)
    root = parse(chart)
    assert not [el for el in root.iter() if tag(el) == "script"]
    assert not [el for el in root.iter() if any(a.startswith("on") for a in el.attrib)]
    for name in (
        "band__label",
        "marker__label",
        "threshold__label",
        "legend__label",
        "chart__y-label",
    ):
        assert texts(root, name) == [HOSTILE], name
    assert root.find(f"{NS}title").text == HOSTILE and root.find(f"{NS}desc").text == HOSTILE
    tips = ["".join(t.itertext()) for t in root.iter(f"{NS}title")]
    assert any(HOSTILE in t and t.count(HOSTILE) == 2 for t in tips)  # series name and point label


@pytest.mark.parametrize(
    "change",
    [
        {"chart_id": 'x" onload="alert(1)'},
        {"chart_id": "1abc"},
        {"series": [Series("s", [], 'a"><script>')]},
        {"bands": [Band(0, 5, "b", "mild severe")]},
        {"markers": [Marker(day(1), "m", "")]},
        {"thresholds": [Threshold(5, "t", "x;y")]},
    ],
)
def test_ids_and_css_keys_must_be_plain_tokens(change):
    with pytest.raises(ValueError):
        render(**change)


def test_no_style_attribute_or_element_and_no_script():
    everything = dict(
        bands=PHQ9_BANDS,
        markers=[Marker(day(3), "Dose 1")],
        thresholds=[Threshold(5, "Remission < 5", "remission")],
        y_label="Score",
    )
    for root in (render(**everything), render(small=True, y_max=100, **everything)):
        elements = list(root.iter())
        assert len(elements) > 50
        assert not [el for el in elements if "style" in el.attrib]
        assert not [el for el in elements if tag(el) in ("style", "script", "foreignObject")]
        assert not [el for el in elements if any("javascript" in v for v in el.attrib.values())]


def test_single_point_and_empty_series_render():
    single = Series("Old belief", [Point(day(3), 60)], "old")
    empty = Series("New belief", [], "new")
    root = render(series=[single, empty], y_max=100)
    one, none = data_series(root)
    assert polylines(one) == [] and len(circles(one)) == 1
    assert list(none) == []
    assert texts(root, "legend__label") == ["Old belief", "New belief"]
    root = render(series=[])
    assert by_class(root, "chart__series")[0].findall("*") == []
    assert root.find(f"{NS}title").text == "PHQ-9 over the course"


def all_numbers(root: ET.Element) -> list[float]:
    found = []
    for el in root.iter():
        for name in (
            "x",
            "y",
            "x1",
            "x2",
            "y1",
            "y2",
            "cx",
            "cy",
            "width",
            "height",
            "points",
            "d",
        ):
            found += [
                float(n) for n in re.findall(r"-?[\d.]+(?:e-?\d+)?|nan|inf", el.get(name, ""))
            ]
    return found


def test_start_equal_to_end_puts_everything_in_the_middle():
    series = Series("s", [Point(day(0), 10), Point(day(0), 20)], "score")
    root = render(series=[series], start=day(0), end=day(0), markers=[Marker(day(0), "Dose 1")])
    left, top, right, bottom = plot_box(root)
    numbers = all_numbers(root)
    assert numbers and all(math.isfinite(n) for n in numbers)
    middle = (left + right) / 2
    assert [num(c, "cx") for c in circles(data_series(root)[0])] == pytest.approx([middle, middle])
    assert num(by_class(root, "marker__line")[0], "x1") == pytest.approx(middle)
    assert texts(root, "chart__tick--x") == ["Jan 6"]


def test_a_flat_value_range_does_not_divide_by_zero():
    root = render(y_min=5, y_max=5, series=[Series("s", [Point(day(0), 5)], "score")])
    assert all(math.isfinite(n) for n in all_numbers(root))
    with pytest.raises(ValueError):
        render(y_min=10, y_max=0)
    with pytest.raises(ValueError):
        render(start=day(5), end=day(0))


def test_date_ticks_are_short_month_day_labels():
    root = render(series=[], end=day(28))
    labels = texts(root, "chart__tick--x")
    assert labels[0] == "Jan 6" and labels[-1] == "Feb 3" and len(labels) == 5
    assert all(re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}", label) for label in labels)
    ticks = by_class(root, "chart__tick--x")
    assert [num(t, "x") for t in ticks] == sorted(num(t, "x") for t in ticks)
    across = texts(
        render(series=[], start=date(2024, 12, 20), end=date(2025, 1, 17)), "chart__tick--x"
    )
    assert across[0] == "Dec 20, 2024" and "Jan 3, 2025" in across and across[-1] == "Jan 17"
    assert date_ticks(D0, D0, 5) == [D0]
    assert date_ticks(D0, day(1), 5) == [D0, day(1)]
    assert short_date(date(2025, 3, 4)) == "Mar 4"


def test_y_ticks_are_round_numbers_inside_the_range():
    assert nice_ticks(0, 27, 6) == [0, 5, 10, 15, 20, 25]
    assert nice_ticks(0, 100, 3) == [0, 50, 100]
    assert nice_ticks(0, 80, 6) == [0, 20, 40, 60, 80]
    assert nice_ticks(3, 3, 5) == [3]
    root = render()
    left, top, right, bottom = plot_box(root)
    assert texts(root, "chart__tick--y") == ["0", "5", "10", "15", "20", "25"]
    grid = by_class(root, "chart__grid")
    assert num(grid[0], "y1") == pytest.approx(bottom)
    assert num(grid[-1], "y1") == pytest.approx(bottom - 25 / 27 * (bottom - top), abs=0.01)


def test_small_multiple_is_compact_with_a_0_to_100_scale():
    old = Series("Old belief", [Point(day(0), 90), Point(day(14), 40)], "old")
    new = Series("New belief", [Point(day(0), 10), Point(day(14), 65)], "new")
    root = parse(
        small_multiple(
            chart_id="belief-7",
            title="“I am too much”",
            description="Old belief 90 to 40; new belief 10 to 65.",
            series=[old, new],
            start=day(0),
            end=day(14),
        )
    )
    assert classes(root) == {"chart", "chart--compact"}
    assert root.get("viewBox") == "0 0 320 140"
    assert root.get("aria-labelledby") == "belief-7-title belief-7-desc"
    assert texts(root, "chart__tick--y") == ["0", "50", "100"]
    assert len(texts(root, "chart__tick--x")) <= 3
    left, top, right, bottom = plot_box(root)
    old_dots = circles(data_series(root)[0])
    assert num(old_dots[0], "cy") == pytest.approx(bottom - 0.9 * (bottom - top), abs=0.01)
    assert right <= 320 and bottom <= 140


def test_a_long_series_is_a_line_with_its_last_point_marked():
    from tracker.progress.charts import MAX_MARKED_POINTS

    many = [Point(day(i), i % 90) for i in range(MAX_MARKED_POINTS + 1)]
    (group,) = data_series(render(series=[Series("Score", many, "score")],
                                  end=day(MAX_MARKED_POINTS)))
    assert len(circles(group)) == 1
    assert [len(line.get("points").split()) for line in polylines(group)] == [
        MAX_MARKED_POINTS + 1]
    few = many[:MAX_MARKED_POINTS]
    (group,) = data_series(render(series=[Series("Score", few, "score")],
                                  end=day(MAX_MARKED_POINTS)))
    assert len(circles(group)) == MAX_MARKED_POINTS


def test_threshold_labels_clear_each_other_and_the_last_point():
    """GAD-7 from a baseline of 9: "Response" (4.5) and "Remission" (4.5) fall on one line,
    and an improving series ends right on it (issue 12)."""
    thresholds = [Threshold(4.5, "Remission: below 5", "remission"),
                  Threshold(4.5, "Response: half of baseline", "response")]
    series = Series("s", [Point(day(0), 9), Point(day(14), 6), Point(day(28), 4)], "score")
    root = render(series=[series], thresholds=thresholds)
    labels = by_class(root, "threshold__label")
    font = 11
    first, second = (num(label, "y") for label in labels)
    assert abs(first - second) >= font  # Stacked, not on top of each other.
    last = circles(data_series(root)[0])[-1]
    for label in labels:  # Written from the left, away from where the series ends.
        assert label.get("text-anchor") == "start"
        width = len(label.text) * font * 0.6
        assert num(label, "x") + width < num(last, "cx") - 4


def test_charts_sharing_a_frame_draw_their_parts_once_and_only_the_series_each_time():
    """The beliefs of a page share their span, dose markers and axes: those parts are drawn
    once (tracker/progress/chart_parts.py keeps them), the series and the words per chart."""
    from tracker.progress import chart_parts

    markers = [Marker(day(7), "Dose 1"), Marker(day(21), "Dose 2")]

    def belief(chart_id: str, values: list[int], name: str) -> str:
        return str(small_multiple(
            chart_id=chart_id, title=name, description=f"{name}: {values}",
            series=[Series("Old belief", [Point(day(7 * i), v) for i, v in enumerate(values)],
                           "old")],
            start=day(0), end=day(28), markers=markers, y_label="Conviction"))

    parts = (chart_parts.draw_axes, chart_parts.draw_markers, chart_parts.draw_legend)
    belief("belief-1", [80, 60, 30], "First")  # The frame's parts drawn (or kept already).
    before = [part.cache_info() for part in parts]
    second = belief("belief-2", [70, 50, 20], HOSTILE)
    assert [part.cache_info().misses for part in parts] == [info.misses for info in before]
    assert [part.cache_info().hits for part in parts] == [info.hits + 1 for info in before]
    root = parse(Markup(second))  # noqa: S704 (the module's own output)
    assert "".join(root[0].itertext()) == HOSTILE  # The title, escaped, of this chart only.
    values = [t.text for t in root.iter(f"{NS}title") if t.text.startswith("Old belief:")]
    assert [v.split()[2] for v in values] == ["70", "50", "20"]
