"""Rate limits on guessing passwords and codes (Flask-Limiter): sign-in per account and per
address, the two-factor code step per account and per address, and re-authentication (the
current password, and a code where asked) per signed-in account, one counter shared by the
pages that ask for it.

One Limiter per app, so that each app (and each test) has its own counters; with a
redis:// RATELIMIT_STORAGE_URI the counters are shared by every worker and app server.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user

from tracker.auth import pending
from tracker.auth.services import normalize_email

# The pages that ask a signed-in account for its current password: one shared counter.
REAUTHENTICATION_ENDPOINTS = ("account.change_password", "account.two_factor_disable",
                              "account.recovery_codes", "care_team.emergency_access")


def _account_key() -> str:
    return "account:" + normalize_email(request.form.get("email", ""))[:254]


def _signed_in_account_key() -> str:
    return f"user:{getattr(current_user, 'id', 'anonymous')}"


def _pending_account_key() -> str:
    """The account whose password was just accepted (from the signed session marker: it
    cannot be chosen by the client, and only someone who knew the password has one)."""
    return f"pending:{pending.user_id()}"


def _failed(response) -> bool:
    """Only refused credentials count: a typo in a form or a success costs nothing."""
    return response.status_code == 401


def _per_account() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]


def _per_address() -> str:
    return current_app.config["LOGIN_LIMIT_PER_ADDRESS"]


def _code_per_account() -> str:
    return current_app.config["TWO_FACTOR_LIMIT_PER_ACCOUNT"]


def _code_per_address() -> str:
    return current_app.config["TWO_FACTOR_LIMIT_PER_ADDRESS"]


def init_app(app: Flask) -> Limiter:
    limiter = Limiter(get_remote_address, app=app)
    # Keep it alive: the wrapped views hold it weakly, and with RATELIMIT_ENABLED off
    # nothing else would.
    app.extensions["tracker.limiter"] = limiter
    _wrap(app, "auth.login",
          limiter.limit(_per_account, key_func=_account_key, methods=["POST"],
                        deduct_when=_failed),
          limiter.limit(_per_address, key_func=get_remote_address, methods=["POST"],
                        scope="login-address", deduct_when=_failed))
    _wrap(app, "auth.login_code",
          limiter.limit(_code_per_account, key_func=_pending_account_key, methods=["POST"],
                        scope="code-account", deduct_when=_failed),
          limiter.limit(_code_per_address, key_func=get_remote_address, methods=["POST"],
                        scope="code-address", deduct_when=_failed))
    reauthentication = limiter.shared_limit(
        _per_account, scope="reauth", key_func=_signed_in_account_key, methods=["POST"],
        deduct_when=_failed)
    for endpoint in REAUTHENTICATION_ENDPOINTS:
        _wrap(app, endpoint, reauthentication)
    return limiter


def _wrap(app: Flask, endpoint: str, *decorators) -> None:
    view = app.view_functions[endpoint]
    for decorate in decorators:
        view = decorate(view)
    app.view_functions[endpoint] = view
