"""The marks of a chart's points: a circle, or a shape of its own for a point of another
style (a questionnaire answered at home: a hollow diamond), so that a style never rests on
colour alone. The legend explains each style used."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup

from tracker.progress.svg import escaped, num, tag, text_width

# Point style -> the legend's words for it.
POINT_STYLES = {"home": "At home (patient-reported)"}


def point_mark(x: float, y: float, r: float, style: str, title: str) -> Markup:
    """One point: a circle, or for a styled point a diamond a little larger than it."""
    if not style:
        # What tag("circle", tag("title", title), ...) gives, written out: a chart has one
        # per point, and this is most of its drawing.
        return Markup(f'<circle class="series__point" cx="{num(x)}" cy="{num(y)}" '  # noqa: S704
                      f'r="{num(r)}"><title>{escaped(title)}</title></circle>')
    d = r * 1.45
    return tag("polygon", tag("title", title), class_=f"series__point series__point--{style}",
               points=f"{num(x)},{num(y - d)} {num(x + d)},{num(y)} {num(x)},{num(y + d)} "
                      f"{num(x - d)},{num(y)}")


def legend_points(x: float, y: float, baseline: float, font: int,
                  styles: Sequence[str]) -> list[Markup]:
    """Legend entries for the point styles a chart uses, from x onwards."""
    items = []
    for style in styles:
        label = POINT_STYLES[style]
        items.append(tag("g", point_mark(x + 9, y, 3, style, label),
                         tag("text", label, class_="legend__label", x=x + 22, y=baseline),
                         class_=f"legend__item legend__item--{style}"))
        x += 22 + text_width(label, font) + 14
    return items
