"""State-changing requests must come from the app's own pages, over HTTPS and plain HTTP
alike. Flask-WTF compares the Referer with the host over HTTPS only; browsers send an Origin
header with every POST, so a request whose Origin is another site (or "null": a sandboxed
frame, a file, a redirect from elsewhere) is refused before any view runs, even with a valid
CSRF token. "null" from one of our own pages that sends no Referer is told apart by the
browser's Sec-Fetch-Site. A request without Origin (a script, an old client) still needs the
token."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, request

from tracker.db import SAFE_METHODS

# Changes nothing but a counter, and browsers may send it from anywhere the page is shown.
EXEMPT = frozenset({"csp_report"})
REFUSED = ("This request came from another site, not from this app's own page, so it was "
           "refused and nothing was changed. Open the app's page yourself and try again.")


def same_origin(origin: str) -> bool:
    """Whether an Origin header names this app: the host (and port) the request was sent to,
    over the scheme it came on (or HTTPS, when a proxy does not say it terminated TLS)."""
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
        return False
    scheme = request.scheme
    allowed = {scheme} if scheme == "https" else {"http", "https"}
    return parts.netloc.lower() == request.host.lower() and parts.scheme in allowed


def _check_origin():
    if request.method in SAFE_METHODS or request.endpoint in EXEMPT:
        return None
    origin = request.headers.get("Origin")
    if origin is None or same_origin(origin):
        return None
    if origin == "null" and request.headers.get("Sec-Fetch-Site") == "same-origin":
        # A page of ours sent with Referrer-Policy: no-referrer (the patient's pages) posts
        # with Origin "null"; the browser's own Sec-Fetch-Site (which no page can set) says
        # it is this site's. A sandboxed frame or a file is "cross-site" or "none" there.
        return None
    from tracker.errors import render_error

    return render_error(403, REFUSED)


def init_app(app: Flask) -> None:
    """Before the CSRF check: a cross-site request is answered without looking further."""
    app.before_request(_check_origin)
