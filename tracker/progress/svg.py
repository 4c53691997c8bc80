"""SVG markup and scales for the charts: an element builder that escapes every value, number
formatting, the plotting frame (data to viewBox units) and tick positions."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

SVG_NS = "http://www.w3.org/2000/svg"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


def num(x: float) -> str:
    """x to two decimals, without trailing zeros ("12.5", "3")."""
    text = _NUMS.get(x)
    if text is None:  # Formatting a float is most of the cost of drawing a chart.
        if len(_NUMS) >= 10_000:
            _NUMS.clear()
        text = "%g" % round(x, 2)  # noqa: UP031 (faster than an f-string here)
        text = _NUMS[x] = "0" if text == "-0" else text
    return text


_NUMS: dict[float, str] = {}  # Recently formatted numbers: a chart repeats most of them.


def escaped(text: str) -> str:
    """Text safe in an attribute or element: what markupsafe.escape does, without building
    a Markup of every value (most are class names without a character to escape)."""
    if "&" in text or "<" in text or ">" in text or '"' in text or "'" in text:
        return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
                .replace('"', "&#34;").replace("'", "&#39;"))
    return text


def tag(name: str, *children: str, **attrs: object) -> Markup:
    """An SVG element; attribute values and str children are escaped, Markup is kept.
    Keyword names map class_ -> class and snake_case -> kebab-case (viewBox stays)."""
    # Plain string building (Markup.format is several times slower, and a page has several
    # charts of a hundred elements each). Names are the module's own.
    opening = "<" + name
    for key, value in attrs.items():
        if value is None:
            continue
        kind = type(value)
        text = num(value) if kind is float or kind is int else escaped(str(value))
        opening += f' {_ATTRIBUTES.get(key) or _attribute(key)}="{text}"'
    if not children:
        return Markup(opening + "/>")  # noqa: S704 (every value above is escaped)
    inner = "".join([child if isinstance(child, Markup) else escape(child)
                     for child in children])
    return Markup(f"{opening}>{inner}</{name}>")  # noqa: S704 (escaped above)


_ATTRIBUTES: dict[str, str] = {}  # keyword -> attribute name


def _attribute(key: str) -> str:
    name = _ATTRIBUTES[key] = key.rstrip("_").replace("_", "-")
    return name


def token(value: str, what: str) -> str:
    if not _TOKEN.fullmatch(value):
        raise ValueError(f"{what} must match [A-Za-z][A-Za-z0-9_-]*, got {value!r}")
    return value


def text_width(text: str, font: float) -> float:
    return len(text) * font * 0.6


def clamp(x: float, low: float, high: float) -> float:
    return max(low, min(high, x))


def short_date(d: date, *, with_year: bool = False) -> str:
    """'Mar 4' (or 'Mar 4, 2025'); fixed English abbreviations, whatever the locale."""
    text = f"{MONTHS[d.month - 1]} {d.day}"
    return f"{text}, {d.year}" if with_year else text


def finite(v: float | None) -> float | None:
    return v if v is not None and math.isfinite(v) else None


@dataclass(frozen=True)
class Frame:
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
        share = (clamp(value, self.y_min, self.y_max) - self.y_min) / (self.y_max - self.y_min)
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
