"""Rate limits on guessing passwords and codes: sign-in per account and per address, the
two-factor code step per account and per address, re-authentication (the current password,
and a code where asked) per signed-in account, one counter shared by the pages that ask for
it, and the set-password link per account and per address.

An attempt is counted before it is checked: each guarded POST first takes one from every
limit that applies (the `limits` library's fixed-window hit, an atomic increment in the
storage), and is refused with 429 when one of them is used up. When its answer is not a
refused credential (401), whatever it took is given back. Requests sent together are
therefore counted together: counting only after argon2 had refused a guess let every
request in flight pass the check against the old count (issue 14, item 1).

One Limiter (Flask-Limiter) per app, so that each app (and each test) has its own counters;
it owns the storage and the strategy. With a redis:// RATELIMIT_STORAGE_URI the counters
are shared by every worker and app server; with memory:// each worker counts alone. When
the storage does not answer, the guarded forms answer 503 (an attempt that cannot be
counted is not checked) and /healthz reports it (storage_health); Redis is asked again on
each request, so both recover by themselves when it is back.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

from flask import Flask, abort, current_app, make_response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from limits import RateLimitItem, parse_many
from limits.strategies import FixedWindowRateLimiter

from tracker.auth import pending
from tracker.auth.services import normalize_email
from tracker.errors import render_error

log = logging.getLogger(__name__)

# A Redis that does not answer (its host gone from the network) must not hold a sign-in or a
# health check for long: redis-py waits 5 s by default (older releases wait forever).
# RATELIMIT_STORAGE_OPTIONS overrides these.
REDIS_TIMEOUTS = {"socket_connect_timeout": 1.0, "socket_timeout": 1.0}
STORAGE_DOWN = ("Attempts cannot be counted at the moment: the store that counts them does "
                "not answer. Nothing was checked or saved; try again in a minute, and tell "
                "your administrator if it goes on.")

# The pages that ask a signed-in account for its current password: one shared counter.
REAUTHENTICATION_ENDPOINTS = ("account.change_password", "account.two_factor_disable",
                              "account.recovery_codes", "care_team.emergency_access")


def _account_key() -> str:
    return "account:" + normalize_email(request.form.get("email", ""))[:254]


def _signed_in_account_key() -> str:
    return f"user:{getattr(current_user, 'id', 'anonymous')}"


def _pending_account_key() -> str | None:
    """The account whose password was just accepted (from the signed session marker: it
    cannot be chosen by the client, and only someone who knew the password has one). None
    without a live marker: the code step then only sends back to the password."""
    user_id = pending.user_id()
    return None if user_id is None else f"pending:{user_id}"


def _link_account_key() -> str | None:
    """The account a set-password link belongs to (every link of an account shares it, so
    that making more links gives no more guesses at its code)."""
    from tracker.auth import resets
    from tracker.db import get_db

    user_id = resets.user_id_for(get_db(), request.form.get("token", ""))
    return None if user_id is None else f"link:{user_id}"


def _checkin_link_key() -> str | None:
    """The check-in link a code is tried on (its token's hash: never the token)."""
    from tracker.checkins.links import digest

    token = (request.view_args or {}).get("token", "")
    return f"checkin:{digest(token)[:32]}" if token else None


def _config(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


# endpoint -> the limits it counts against: (scope, limits from config, key).
GUARDED: dict[str, tuple[tuple[str, Callable[[], str], Callable[[], str | None]], ...]] = {
    "auth.login": (("login-account", _config("LOGIN_LIMIT_PER_ACCOUNT"), _account_key),
                   ("login-address", _config("LOGIN_LIMIT_PER_ADDRESS"), get_remote_address)),
    "auth.login_code": (
        ("code-account", _config("TWO_FACTOR_LIMIT_PER_ACCOUNT"), _pending_account_key),
        ("code-address", _config("TWO_FACTOR_LIMIT_PER_ADDRESS"), get_remote_address)),
    "auth.set_password": (
        ("link-account", _config("TWO_FACTOR_LIMIT_PER_ACCOUNT"), _link_account_key),
        ("link-address", _config("TWO_FACTOR_LIMIT_PER_ADDRESS"), get_remote_address)),
    "checkin.open_link": (
        ("checkin-link", _config("CHECKIN_CODE_LIMIT_PER_LINK"), _checkin_link_key),
        ("checkin-address", _config("CHECKIN_CODE_LIMIT_PER_ADDRESS"), get_remote_address)),
    **{endpoint: (("reauth", _config("LOGIN_LIMIT_PER_ACCOUNT"), _signed_in_account_key),)
       for endpoint in REAUTHENTICATION_ENDPOINTS},
}


class Attempts:
    """What one request took from the counters, to give back when it is not a refusal."""

    def __init__(self, limiter: Limiter):
        self.limiter = limiter
        self.taken: list[tuple[RateLimitItem, tuple[str, ...]]] = []

    def _identifiers(self, scope: str, key: str) -> tuple[str, ...]:
        prefix = self.limiter._key_prefix  # RATELIMIT_KEY_PREFIX, as Flask-Limiter uses it.
        return (prefix, scope, key) if prefix else (scope, key)

    def take(self, endpoint: str) -> bool:
        """Count this attempt against every limit of the endpoint; False when one of them
        was already used up (and then nothing stays taken)."""
        allowed = True
        for scope, limits_text, key_func in GUARDED[endpoint]:
            key = key_func()
            if not key:
                continue
            for item in parse_many(limits_text()):
                identifiers = self._identifiers(scope, key)
                allowed = self.limiter.limiter.hit(item, *identifiers) and allowed
                self.taken.append((item, identifiers))
        if not allowed:
            self.give_back()
        return allowed

    def give_back(self) -> None:
        storage = self.limiter.storage
        for item, identifiers in self.taken:
            key = item.key_for(*identifiers)
            decrement = getattr(storage, "decr", None)
            if decrement is not None:  # memory:// (never below zero)
                decrement(key)
            elif storage.incr(key, item.get_expiry(), amount=-1) < 0:  # redis://
                storage.incr(key, item.get_expiry(), amount=1)  # The window had ended.
        self.taken.clear()


def _guard(limiter: Limiter, endpoint: str, view):
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        if request.method != "POST" or not (limiter.enabled and limiter.initialized):
            return view(*args, **kwargs)
        attempts = Attempts(limiter)
        try:
            allowed = attempts.take(endpoint)
        except Exception as error:  # The storage (Redis) cannot be reached: fail closed.
            log.error("rate-limit storage (%s) failed: %s", storage_kind(current_app),
                      type(error).__name__)
            return render_error(503, STORAGE_DOWN)
        if not allowed:
            abort(429)
        try:
            response = make_response(view(*args, **kwargs))
        except BaseException:
            _give_back_quietly(attempts)
            raise
        if response.status_code != 401:  # Only refused credentials keep their count.
            _give_back_quietly(attempts)
        return response

    return guarded


def _give_back_quietly(attempts: Attempts) -> None:
    try:
        attempts.give_back()
    except Exception as error:  # noqa: BLE001 (a count not given back only errs on safety)
        log.error("rate-limit refund failed: %s", type(error).__name__)


def storage_kind(app: Flask) -> str:
    """The storage's kind (memory, redis, rediss, ...): the scheme of RATELIMIT_STORAGE_URI,
    never the rest of it, which may hold a password."""
    return str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://").split(":", 1)[0]


def storage_health(app: Flask) -> str:
    """"ok" when the limiter's storage answers (a PING for Redis, within REDIS_TIMEOUTS),
    "unavailable" when it does not, "disabled" with RATELIMIT_ENABLED off."""
    limiter = app.extensions["tracker.limiter"]
    if not (limiter.enabled and limiter.initialized):
        return "disabled"
    try:
        return "ok" if limiter.storage.check() else "unavailable"
    except Exception:  # noqa: BLE001 (check() catches its own; whatever else, it is down)
        return "unavailable"


def init_app(app: Flask) -> Limiter:
    options = dict(REDIS_TIMEOUTS) if storage_kind(app).startswith("redis") else {}
    limiter = Limiter(get_remote_address, storage_options=options)
    # Flask-Limiter's own request hooks would look for its decorators' and default limits
    # on every request, GETs included; the app has none (its limits are GUARDED's, counted
    # by _guard on the guarded POSTs alone). It installs them only for a Limiter that the
    # app does not list yet: listed first, it keeps its storage and strategy without them.
    app.extensions.setdefault("limiter", set()).add(limiter)
    limiter.init_app(app)
    # Keep it alive: the wrapped views hold it, and with RATELIMIT_ENABLED off nothing else
    # would (tests reset its storage between tests).
    app.extensions["tracker.limiter"] = limiter
    if limiter.enabled and not isinstance(limiter.limiter, FixedWindowRateLimiter):
        raise RuntimeError("RATELIMIT_STRATEGY must be fixed-window: an attempt is counted "
                           "before it is checked and given back afterwards")
    for endpoint in GUARDED:
        if endpoint in app.view_functions:
            app.view_functions[endpoint] = _guard(limiter, endpoint, app.view_functions[endpoint])
    return limiter
