"""What every page of the browser tests must satisfy at each width: axe-core (no serious or
critical violation, no empty table header), no sideways scrolling, chart text legible on a
phone; and the sticky save bar never hiding the field that has the keyboard focus."""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
AXE_SOURCE = AXE.read_text() if AXE.exists() else ""
WIDTHS = {
    "laptop": {"width": 1366, "height": 900},
    "tablet": {"width": 820, "height": 1180},
    "phone": {"width": 390, "height": 844},
}
# Rendered size below which chart text is not legible on a phone (CSS pixels): the
# smallest label of a chart drawn at its own size on a laptop is 9.6 px.
LEGIBLE_PX = 9
# Minor violations fixed once and kept fixed.
ALSO_REFUSED = {"empty-table-header"}


def axe(page) -> list[dict]:
    # Evaluated through the DevTools protocol: the page's own CSP (no inline scripts) stays
    # on, as users have it.
    if not page.evaluate("typeof axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ["violations"]});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                        nodes: v.nodes.map(n => n.target.join(" "))}));
    }""")


def sideways(page) -> int:
    """How far the page scrolls sideways, in CSS pixels."""
    return page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth")


def smallest_chart_text(page) -> float | None:
    """The smallest rendered font size of any visible chart text, in CSS pixels."""
    return page.evaluate("""() => {
        const sizes = [...document.querySelectorAll("svg text")]
            .filter(t => t.getBoundingClientRect().width > 0)
            .map(t => parseFloat(getComputedStyle(t).fontSize)
                      * (t.ownerSVGElement.getScreenCTM()?.a || 1));
        return sizes.length ? Math.min(...sizes) : null;
    }""")


def check_widths(page, name: str) -> None:
    """axe, sideways scrolling and chart text at laptop, tablet and phone width; the
    viewport is put back as it was."""
    before = page.viewport_size
    try:
        for width, size in WIDTHS.items():
            page.set_viewport_size(size)
            found = axe(page)
            refused = [v for v in found
                       if v["impact"] in ("serious", "critical") or v["id"] in ALSO_REFUSED]
            assert not refused, f"axe on {name} at {width}: {json.dumps(refused, indent=1)}"
            moved = sideways(page)
            assert moved <= 0, f"{name} scrolls sideways by {moved}px at {width}"
            if width == "phone":
                smallest = smallest_chart_text(page)
                assert smallest is None or smallest >= LEGIBLE_PX, (
                    f"chart text on {name} is {smallest:.1f}px at {width}")
    finally:
        page.set_viewport_size(before)


def obscured_focus(page, stops: int = 60) -> list[str]:
    """Tab from the top through `stops` focus stops; the ones the sticky bar covers."""
    page.evaluate("window.scrollTo(0, 0); document.activeElement?.blur()")
    hidden = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        covered = page.evaluate("""() => {
            const el = document.activeElement;
            const bar = document.querySelector(".actions--sticky");
            if (!el || el === document.body || !bar || bar.contains(el)) return null;
            const a = el.getBoundingClientRect(), b = bar.getBoundingClientRect();
            // Hidden: its first line is behind the bar, or it would fit above the bar and
            // does not (a field taller than that space may run on below it).
            const overlap = a.bottom > b.top && a.top < b.bottom
                && (a.top >= b.top - 8 || a.height < b.top);
            return overlap ? (el.labels?.[0]?.textContent || el.textContent || el.name)
                .trim().slice(0, 60) : null;
        }""")
        if covered is not None:
            hidden.append(covered)
    return hidden
