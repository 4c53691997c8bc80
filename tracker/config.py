"""Built-in defaults. Nothing here reads the environment: layering happens in create_app()."""

from datetime import timedelta


class _FreshDict:
    """A dict default that every app gets its own copy of: TRACKER_ENCRYPTION_KEYS__<id>
    environment variables fill it in place, which must not leak into the next app."""

    def __get__(self, instance, owner) -> dict:
        return {}


class Defaults:
    # Secrets: none by default; `flask --app tracker init` writes instance/config.py with one.
    SECRET_KEY = None
    # Encryption at rest of the private notes and drafts (tracker/crypto.py): key id ->
    # urlsafe base64 of 32 random bytes, and the id of the key new values are encrypted with.
    # Required outside debug/testing; `init` writes them, `generate-key` makes another.
    ENCRYPTION_KEYS = _FreshDict()
    ENCRYPTION_KEY_ID = None

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


# Values that must never be used as a real secret.
PLACEHOLDER_SECRETS = frozenset({"", "dev", "change-me", "changeme", "secret", "replace-me"})
MIN_SECRET_LENGTH = 32
