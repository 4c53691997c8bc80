"""QR codes drawn here with segno (no outside service), as inline SVG."""

from __future__ import annotations

import io

import segno
from markupsafe import Markup


def qr_svg(data: str, title: str) -> Markup:
    """`data` as an inline SVG QR code. segno writes colours and size as SVG attributes,
    never a style attribute or element, which the Content-Security-Policy would block.
    Markup is safe: the SVG is segno's own output with our fixed `title` (never user text);
    `data` is encoded in the modules, not written as text."""
    buffer = io.BytesIO()
    segno.make(data, error="m", micro=False).save(
        buffer, kind="svg", xmldecl=False, svgns=True, scale=5, border=4,
        dark="#000", light="#fff", title=title, svgclass="qr", lineclass=None, nl=False,
    )
    svg = buffer.getvalue().decode("ascii")
    if "style" in svg:  # Never expected; a CSP-blocked QR code would fail silently.
        raise RuntimeError("segno wrote a style into the QR code")
    return Markup(svg.replace("<svg ", '<svg role="img" ', 1))  # noqa: S704 (see above)
