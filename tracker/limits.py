"""Login rate limits (Flask-Limiter), per account and per address.

One Limiter per app, so that each app (and each test) has its own counters; with a
redis:// RATELIMIT_STORAGE_URI the counters are shared by every app server.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from tracker.auth.services import normalize_email


def _account_key() -> str:
    return "account:" + normalize_email(request.form.get("email", ""))[:254]


def init_app(app: Flask) -> Limiter:
    limiter = Limiter(get_remote_address, app=app)
    login_view = app.view_functions["auth.login"]
    login_view = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
        key_func=_account_key,
        methods=["POST"],
    )(login_view)
    login_view = limiter.limit(
        lambda: current_app.config["LOGIN_LIMIT_PER_ADDRESS"],
        key_func=get_remote_address,
        methods=["POST"],
        scope="login-address",
    )(login_view)
    app.view_functions["auth.login"] = login_view
    return limiter
