"""A print view as printed: Chromium's PDF at A4 and at Letter, each page rendered to an
image (pypdfium2) and read back. Nothing may run past the page's printable area into the
side margins, page one may not be left half empty before a page break, and no page may end
on a section's heading."""

from __future__ import annotations

import re

FORMATS = ("A4", "Letter")
MM = 72 / 25.4  # PDF points per millimetre
# print.css: @page { margin: 16mm 14mm 18mm }.
TOP, SIDE, BOTTOM = 16 * MM, 14 * MM, 18 * MM
SCALE = 1.0  # one pixel per point
INK = 200  # a pixel darker than this in any channel is ink


def _ink_rows_and_columns(page) -> tuple[list[int], list[int], int, int]:
    bitmap = page.render(scale=SCALE, grayscale=True)
    width, height, stride = bitmap.width, bitmap.height, bitmap.stride
    pixels = bytes(bitmap.buffer)
    rows, columns = [], set()
    for y in range(height):
        line = pixels[y * stride:y * stride + width]
        inked = [x for x in range(width) if line[x] < INK]
        if inked:
            rows.append(y)
            if TOP < y < height - BOTTOM:
                columns.update((inked[0], inked[-1]))
    return rows, sorted(columns), width, height


def problems(pdf: bytes, headings: list[str], fmt: str) -> tuple[int, list[str]]:
    """The page count and what is wrong with the printed pages."""
    import pypdfium2 as pdfium  # Installed for make e2e only (requirements/e2e.lock).

    document = pdfium.PdfDocument(pdf)
    found = []
    for number, page in enumerate(document, start=1):
        rows, columns, width, height = _ink_rows_and_columns(page)
        outside = [x for x in columns if x < SIDE - 2 or x > width - SIDE + 2]
        if outside:
            found.append(f"{fmt} page {number}: ink in the side margin at x={outside[-1]}")
        text = page.get_textpage().get_text_range()
        lines = [line.strip() for line in text.splitlines()
                 if line.strip() and not re.fullmatch(r"Page \d+ of \d+", line.strip())]
        # A heading among a page's last three lines: nothing of its section below it.
        ending = [line for line in lines[-3:]
                  if any(line.startswith(heading) for heading in headings)]
        if number < len(document) and ending:
            found.append(f"{fmt} page {number} ends on the heading {ending[0]!r}")
        if number == 1 and len(document) > 1:
            body = [y for y in rows if TOP < y < height - BOTTOM]
            filled = (max(body) - TOP) / (height - TOP - BOTTOM) if body else 0
            if filled < 0.6:
                found.append(f"{fmt} page 1 is only {filled:.0%} full before the break")
    return len(document), found


# The narrower printable width (Letter: 215.9 mm less the side margins), in CSS pixels.
PRINTABLE_PX = round((215.9 - 2 * 14) / 25.4 * 96)


def overflowing_cards(page) -> list[str]:
    """In print media at the printable width, what runs past the right edge of its card."""
    before = page.viewport_size
    page.set_viewport_size({"width": min(PRINTABLE_PX, 210 / 25.4 * 96), "height": 1000})
    page.emulate_media(media="print")
    try:
        return page.evaluate("""() => [...document.querySelectorAll(".card")].flatMap(card => {
            const edge = card.getBoundingClientRect().right + 1;
            return [...card.querySelectorAll("*")]
                .filter(e => e.getBoundingClientRect().right > edge)
                .slice(0, 1).map(e => `${e.tagName}.${e.className} in ${card.id ||
                    card.querySelector("h2")?.textContent}`);
        })""")
    finally:
        page.emulate_media(media="screen")
        page.set_viewport_size(before)


def check_printed(page, headings: list[str], most_pages: int) -> None:
    past = overflowing_cards(page)
    assert not past, f"past the edge of their card on paper: {past}"
    for fmt in FORMATS:
        pdf = page.pdf(format=fmt)
        count, found = problems(pdf, headings, fmt)
        assert not found, "\n".join(found)
        assert count <= most_pages, f"{fmt}: {count} pages, more than {most_pages}"
