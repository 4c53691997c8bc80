"""Whether the browser can keep the login cookie over the connection this request came on.

A Secure cookie is dropped by the browser on a plain-HTTP page (except on localhost, which
browsers treat as secure): every sign-in then fails its CSRF check. Say so, and how to fix
it, instead of "the form may have expired"."""

from __future__ import annotations

from flask import current_app, request

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
PROBLEM = (
    "This page came over plain HTTP, but the sign-in cookie is set to travel over HTTPS only "
    "(Secure), so your browser will not keep it and signing in cannot work. Serve the app "
    "over HTTPS (README, “Production”: a reverse proxy with TLS). For local testing only, "
    "open it as http://localhost or http://127.0.0.1, or set "
    "TRACKER_SESSION_COOKIE_SECURE=false."
)


def cookie_problem() -> str | None:
    """The explanation when the login cookie cannot stick on this request, else None."""
    if not current_app.config.get("SESSION_COOKIE_SECURE") or request.is_secure:
        return None
    host = request.host.rsplit(":", 1)[0] if not request.host.startswith("[") \
        else request.host.split("]")[0] + "]"
    return None if host.lower() in LOCAL_HOSTS else PROBLEM
