"""Built-in defaults, and the check of the layered settings (create_app() layers them:
defaults, instance/config.py, TRACKER_* variables, test_config). Nothing here reads the
environment at import time."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.cli import NoAppException


class ConfigError(NoAppException):
    """The configuration cannot be used. A NoAppException, so the flask CLI prints one line."""


class _FreshDict:
    """A dict default that every app gets its own copy of: TRACKER_<NAME>__<key>
    environment variables fill it in place, which must not leak into the next app."""

    def __init__(self, values: dict | None = None):
        self.values = values or {}

    def __get__(self, instance, owner) -> dict:
        return dict(self.values)


class Defaults:
    # Secrets: none by default; `flask --app tracker init` writes instance/config.py with one.
    SECRET_KEY = None
    # Encryption at rest of the private notes and drafts (tracker/crypto.py): key id ->
    # urlsafe base64 of 32 random bytes, and the id of the key new values are encrypted with.
    # Required outside debug/testing; `init` writes them, `generate-key` makes another.
    ENCRYPTION_KEYS = _FreshDict()
    ENCRYPTION_KEY_ID = None
    # The audit trail's HMAC key (tracker/audit/chain.py). Required outside debug/testing;
    # `init` writes one. Keep a copy apart from the database backups.
    AUDIT_KEY = None
    # Signed checkpoints of the audit chain's end (tracker/audit/checkpoints.py): None means
    # audit-checkpoints.jsonl in the instance folder.
    AUDIT_CHECKPOINT_FILE = None
    # Page views' events are written into the chain in batches (tracker/audit/apart.py): by
    # a worker's page view once it queued this many, or its oldest waited this many seconds.
    AUDIT_VIEW_BATCH = 20
    AUDIT_VIEW_SECONDS = 5

    # Database: None means instance/tracker.sqlite3.
    DATABASE_URL = None
    SQLITE_BUSY_TIMEOUT_MS = 5000
    SQL_ECHO = False
    RAISE_ON_LAZY_LOAD = (
        False  # The tests turn it on: every relationship must be loaded explicitly.
    )

    # Login sessions (server-side records; see tracker/auth/login_sessions.py).
    SESSION_IDLE_MINUTES = 15
    SESSION_LIFETIME_HOURS = 12
    SESSION_COOKIE_NAME = "tracker_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = None  # None: Secure unless debug.
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    # The cookie is signed again only when the session changed, and when the login record
    # is touched (at most every TOUCH_INTERVAL, tracker/auth/login_sessions.py): it then
    # stays valid for the login's lifetime after it was last used, as the record does,
    # without an HMAC and a Set-Cookie on every response.
    SESSION_REFRESH_EACH_REQUEST = False

    # Password hashing (argon2id). The defaults are argon2-cffi's RFC 9106 "low memory" profile.
    ARGON2_TIME_COST = 3
    ARGON2_MEMORY_COST = 65536
    ARGON2_PARALLELISM = 4
    PASSWORD_MIN_LENGTH = 12

    # Rate limits (Flask-Limiter). Use a redis:// URI when several app servers run.
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = False
    LOGIN_LIMIT_PER_ACCOUNT = "5 per minute;20 per hour"
    LOGIN_LIMIT_PER_ADDRESS = "20 per minute;200 per hour"

    # Two-factor login (TOTP). The issuer names the account in authenticator apps. After the
    # password, the code must follow within TWO_FACTOR_PENDING_SECONDS. Wrong codes are
    # limited per account (only someone who knew the password can spend these) and per
    # address; the daily cap keeps the odds of guessing a 6-digit code small.
    TWO_FACTOR_ISSUER = "KAP Tracker"
    TWO_FACTOR_PENDING_SECONDS = 300
    TWO_FACTOR_LIMIT_PER_ACCOUNT = "5 per minute;20 per hour;50 per day"
    TWO_FACTOR_LIMIT_PER_ADDRESS = "20 per minute;200 per hour"

    # Requests.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024
    WTF_CSRF_TIME_LIMIT = None  # The token lives as long as the login session.
    PROXY_FIX_X_FOR = 0  # Number of trusted reverse proxies setting X-Forwarded-For.

    # The practice's time zone (IANA name, e.g. "Europe/Berlin"): every "today", date check
    # and time shown is in it. None: the server's zone. Practice settings may set another,
    # and each account may choose its own (tracker/dates.py). Times are stored in UTC.
    PRACTICE_TIMEZONE = None

    # Lists.
    PATIENTS_PER_PAGE = 25

    # Carry-forward: an open theme is carried when it came up in this many recent sessions.
    THEME_CARRY_SESSIONS = 3
    # Days after a dosing session counted as its integration window: a clinical working
    # hypothesis (clinics quote hours to weeks), shown as such.
    INTEGRATION_WINDOW_DAYS = 7

    # `make bench` turns this on: a /bench/hello route, the throughput ceiling.
    BENCH_HELLO_ROUTE = False

    # Care teams: how long an administrator's break-glass opening of a record lasts.
    EMERGENCY_ACCESS_MINUTES = 60
    # An administrator's password reset: how long its set-password link lives, and for how
    # long after another administrator confirmed a recovery (no factor of the holder's left)
    # the account's reads are audited as "reset …" (tracker/auth/resets.py).
    RESET_LINK_HOURS = 24
    RESET_WATCH_DAYS = 14

    # Between sessions, the patient's pages (tracker/checkins/): how long a check-in link
    # lives; how many wrong codes lock it until the therapist unlocks it, and the rate limits
    # on codes per link and per address; how long the patient's cookie lasts after the code
    # was accepted; after how many days without a check-in a reminder is due.
    CHECKIN_LINK_DAYS = 56
    CHECKIN_CODE_ATTEMPTS = 5
    CHECKIN_CODE_LIMIT_PER_LINK = "5 per minute;20 per day"
    CHECKIN_CODE_LIMIT_PER_ADDRESS = "20 per minute;100 per day"
    CHECKIN_COOKIE_MINUTES = 60
    CHECKIN_REMINDER_DAYS = 3
    # Reminders (optional, off while MAIL_SERVER is None; tracker/checkins/reminders.py):
    # `flask --app tracker send-reminders`, from a timer, emails a patient with a
    # questionnaire due or no check-in for CHECKIN_REMINDER_DAYS, at the address given
    # with the link, a neutral line signed PRACTICE_NAME (no clinical word, no name, no
    # score, and not the link itself: only its hash is stored). MAIL_USE_TLS: STARTTLS.
    # Without MAIL_SERVER the app never contacts a mail server.
    MAIL_SERVER = None
    MAIL_PORT = 587
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = True
    MAIL_FROM = None
    PRACTICE_NAME = None  # None: "Your therapist's practice".
    # Shown to a patient at once when a PHQ-9 answered at home has item 9 above 0. Replace
    # it with the practice's own text: its phone number, and the local crisis line.
    CRISIS_TEXT = (
        "If you are in danger now or might act on thoughts of harming yourself, call your "
        "local emergency number (911 in the US) or go to the nearest emergency department. "
        "You can also call or text a crisis line at any hour: in the US, 988 (the Suicide "
        "& Crisis Lifeline). Your therapist will see your answers, but not straight away: "
        "they are not watched in real time.")

    # Dosing alerts (tracker/dosing/alerts.py, docs/DOMAIN.md): each value is accepted and
    # recorded, and flagged on the form, the signed session and the brief.
    # Common alert thresholds of procedural monitoring (settings, not law): SpO2 below 92 %,
    # heart rate above 110 or below 50 beats per minute, at any timepoint.
    ALERT_SPO2_BELOW = 92
    ALERT_HEART_RATE_ABOVE = 110
    ALERT_HEART_RATE_BELOW = 50
    # Spravato (esketamine) label: assess blood pressure before dosing and consider delaying
    # the dose above 140/90 mmHg.
    ESKETAMINE_DELAY_SYSTOLIC_ABOVE = 140
    ESKETAMINE_DELAY_DIASTOLIC_ABOVE = 90
    # A session's total dose per kg above which it is flagged, by route. KAP practice: IV
    # about 0.5 mg/kg over 40 minutes, up to about 1 mg/kg; IM about 0.5 to 1.5 mg/kg;
    # sublingual or oral lozenges 100 to 400 mg, about 1.5 to 6 mg/kg. (Blood pressure at or
    # above 180/110 mmHg is always flagged: that definition is part of the signed record.)
    ALERT_MG_PER_KG_ABOVE = _FreshDict({"iv": 1.0, "im": 1.5, "sublingual": 6.0})
    # Refused, as it can only be a typing error: a dose per kg above these, by route. Above
    # the Ketalar label's anaesthetic doses (IV induction 1 to 4.5 mg/kg, IM 6.5 to 13 mg/kg).
    MAX_MG_PER_KG = _FreshDict({"iv": 5.0, "im": 15.0, "sublingual": 20.0})


# Values that must never be used as a real secret.
PLACEHOLDER_SECRETS = frozenset({"", "dev", "change-me", "changeme", "secret", "replace-me"})
MIN_SECRET_LENGTH = 32


INTEGER_SETTINGS = ("SESSION_IDLE_MINUTES", "SESSION_LIFETIME_HOURS", "SQLITE_BUSY_TIMEOUT_MS",
                    "AUDIT_VIEW_BATCH", "AUDIT_VIEW_SECONDS", "PASSWORD_MIN_LENGTH",
                    "PATIENTS_PER_PAGE", "THEME_CARRY_SESSIONS",
                    "INTEGRATION_WINDOW_DAYS", "EMERGENCY_ACCESS_MINUTES",
                    "RESET_LINK_HOURS", "RESET_WATCH_DAYS", "CHECKIN_LINK_DAYS",
                    "CHECKIN_CODE_ATTEMPTS", "CHECKIN_COOKIE_MINUTES", "CHECKIN_REMINDER_DAYS",
                    "PROXY_FIX_X_FOR", "MAIL_PORT", "ARGON2_TIME_COST", "ARGON2_MEMORY_COST",
                    "ARGON2_PARALLELISM")


def finish_config(app: Flask) -> None:
    """Check the layered settings and fill in what debug and testing may leave out; raises
    ConfigError with one line that says what to do."""
    for name in INTEGER_SETTINGS:
        value = app.config.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{name} must be a whole number, not {type(value).__name__}.")
    secret = app.config.get("SECRET_KEY")
    if secret is not None and not isinstance(secret, str):
        secret = str(secret)  # An all-digit TRACKER_SECRET_KEY arrives parsed as a number.
        app.config["SECRET_KEY"] = secret
    if not (app.debug or app.testing):
        if not secret or secret in PLACEHOLDER_SECRETS or len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(
                "SECRET_KEY is missing or too weak: run `flask --app tracker init` to write "
                f"{Path(app.instance_path) / 'config.py'}, or set TRACKER_SECRET_KEY "
                f"(at least {MIN_SECRET_LENGTH} random characters)."
            )
    elif not secret:
        app.config["SECRET_KEY"] = os.urandom(32).hex()
    _check_encryption_keys(app)
    _check_audit_key(app)
    _check_dosing_limits(app)
    _check_zone(app)
    if app.config["SESSION_COOKIE_SECURE"] is None:
        app.config["SESSION_COOKIE_SECURE"] = not app.debug
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=app.config["SESSION_LIFETIME_HOURS"])


def _check_encryption_keys(app: Flask) -> None:
    """Private notes are encrypted with ENCRYPTION_KEYS: refuse to start without usable keys
    (debug and testing without any get a throwaway key: what they write is unreadable after
    a restart)."""
    from tracker import crypto

    keys = app.config.get("ENCRYPTION_KEYS")
    if not keys and (app.debug or app.testing):
        key_id = f"ephemeral-{os.urandom(4).hex()}"
        keys = {key_id: crypto.new_key()}
        app.config["ENCRYPTION_KEY_ID"] = key_id
    try:
        crypto.Keyring.from_config(keys, app.config.get("ENCRYPTION_KEY_ID"))
    except crypto.KeyConfigError as error:
        where = Path(app.instance_path) / "config.py"
        raise ConfigError(
            f"{error} Private notes are encrypted with these keys: `flask --app tracker init` "
            f"adds one to {where}; `flask --app tracker generate-key` prints one to set there "
            "or in TRACKER_ENCRYPTION_KEYS."
        ) from None
    app.config["ENCRYPTION_KEYS"] = {str(k): v for k, v in keys.items()}
    app.config["ENCRYPTION_KEY_ID"] = str(app.config["ENCRYPTION_KEY_ID"])


def _check_audit_key(app: Flask) -> None:
    """The audit trail's HMAC key: required outside debug and testing, which get a throwaway
    one (their chain cannot be verified after a restart)."""
    if app.config.get("AUDIT_KEY"):
        app.config["AUDIT_KEY"] = str(app.config["AUDIT_KEY"])
        return
    if not (app.debug or app.testing):
        raise ConfigError("AUDIT_KEY is missing: run `flask --app tracker init` to add one "
                          "to instance/config.py, or set TRACKER_AUDIT_KEY.")
    app.config["AUDIT_KEY"] = secrets.token_hex(32)


def _check_dosing_limits(app: Flask) -> None:
    from tracker.dosing.alerts import AlertLimits
    from tracker.dosing.rules import hard_limits

    try:
        AlertLimits.from_config(app.config)
        hard_limits(app.config["MAX_MG_PER_KG"])
    except ValueError as error:
        raise ConfigError(str(error)) from None


def _check_zone(app: Flask) -> None:
    from tracker.dates import is_zone

    zone = app.config.get("PRACTICE_TIMEZONE")
    if zone is not None and not is_zone(zone):
        raise ConfigError(f"PRACTICE_TIMEZONE {zone!r} is not a time zone name (IANA, such as "
                          "'America/Chicago' or 'Pacific/Auckland').")

