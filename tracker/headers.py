"""Security headers on every response, and the endpoint that counts what the
Content-Security-Policy blocked."""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter

from flask import Flask, Response, current_app, request

log = logging.getLogger(__name__)

REPORT_PATH = "/csp-report"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'; "
    f"report-uri {REPORT_PATH}; report-to csp"
)
# The names a report may count under; anything else counts as "other" (a report's fields are
# written by whoever sends it, and are never kept).
DIRECTIVES = frozenset({
    "default-src", "script-src", "script-src-elem", "script-src-attr", "style-src",
    "style-src-elem", "style-src-attr", "img-src", "font-src", "connect-src", "media-src",
    "object-src", "frame-src", "child-src", "worker-src", "manifest-src", "prefetch-src",
    "base-uri", "form-action", "frame-ancestors", "navigate-to", "sandbox", "trusted-types",
    "require-trusted-types-for", "upgrade-insecure-requests", "fenced-frame-src",
})
MAX_REPORT_BYTES = 64 * 1024
_EXTENSION = "tracker.csp_violations"
_lock = threading.Lock()


# Set on every response, unless the view set its own.
EVERY_RESPONSE = (
    ("Content-Security-Policy", CSP),
    ("Reporting-Endpoints", f'csp="{REPORT_PATH}"'),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
    ("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
HSTS = ("Strict-Transport-Security", "max-age=31536000; includeSubDomains")


def _add_headers(response: Response) -> Response:
    headers = response.headers
    present = {name.lower() for name, _ in headers}  # One look at the view's, not one each.
    wanted = list(EVERY_RESPONSE)
    if response.mimetype == "text/html" or response.is_json:
        # Pages and JSON answers (autosave, CSRF tokens) may carry records or secrets: no
        # browser or proxy cache keeps them.
        wanted.append(("Cache-Control", "no-store"))
    if not current_app.debug:
        wanted.append(HSTS)
    headers.extend([(name, value) for name, value in wanted if name.lower() not in present])
    return response


def csp_violations(app: Flask) -> Counter:
    """Violations reported to this process since it started, by directive name."""
    return app.extensions[_EXTENSION]


def _directives(document) -> list[str]:
    """The directive each report names: the report-uri format ({"csp-report": {...}}) or
    the Reporting API's (a list of {"type": "csp-violation", "body": {...}})."""
    if isinstance(document, dict):
        reports = [document.get("csp-report")]
        keys = ("effective-directive", "violated-directive")
    elif isinstance(document, list):
        reports = [r.get("body") for r in document
                   if isinstance(r, dict) and r.get("type") == "csp-violation"]
        keys = ("effectiveDirective", "violatedDirective")
    else:
        return []
    names = []
    for report in reports:
        if not isinstance(report, dict):
            continue
        raw = next((report[k] for k in keys if isinstance(report.get(k), str)), "")
        name = raw.split(" ", 1)[0].lower()  # Older browsers send the directive's value too.
        names.append(name if name in DIRECTIVES else "other")
    return names


def csp_report():
    """Count what the browser reports, by directive; keep nothing of what it sent (its URLs
    and samples can hold a patient's name). Always 204: a sender learns nothing."""
    if (request.content_length or 0) <= MAX_REPORT_BYTES:
        try:
            document = json.loads(request.get_data(cache=False) or b"null")
        except (ValueError, UnicodeDecodeError):
            document = None
        counter = csp_violations(current_app)
        for name in _directives(document)[:100]:
            with _lock:
                counter[name] += 1
                seen = counter[name]
            if seen & (seen - 1) == 0:  # The 1st, 2nd, 4th, 8th...: the log cannot be flooded.
                log.warning("CSP violation of %s (%d in this process so far)", name, seen)
    return Response(status=204)


def init_app(app: Flask) -> None:
    app.extensions[_EXTENSION] = Counter()
    app.add_url_rule(REPORT_PATH, "csp_report", csp_report, methods=["POST"])
    app.extensions["csrf"].exempt(csp_report)
    app.after_request(_add_headers)
