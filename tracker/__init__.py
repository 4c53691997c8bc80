"""KAP integration tracker: create_app() builds one configured app instance."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from flask.cli import NoAppException
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import access, db, errors, headers, labels, limits, logs, models  # noqa: F401  (all models mapped)
from tracker.config import MIN_SECRET_LENGTH, PLACEHOLDER_SECRETS, Defaults
from tracker.converters import IdConverter

PACKAGE_DIR = Path(__file__).resolve().parent
csrf = CSRFProtect()


class ConfigError(NoAppException):
    """The configuration cannot be used. A NoAppException, so the flask CLI prints one line."""


def template_folder() -> str:
    """Installed wheels carry the templates inside the package; a checkout has them on top."""
    installed = PACKAGE_DIR / "templates"
    return str(installed if installed.is_dir() else PACKAGE_DIR.parent / "templates")


def instance_path() -> str | None:
    return os.environ.get("TRACKER_INSTANCE_PATH") or None


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """Defaults, then instance/config.py, then TRACKER_* environment variables, then
    test_config; then the database, login, blueprints, error pages and commands."""
    app = Flask(
        __name__,
        instance_path=instance_path(),
        instance_relative_config=True,
        template_folder=template_folder(),
    )
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("TRACKER")
    if test_config is not None:
        app.config.from_mapping(test_config)
    _finish_config(app)

    app.url_map.converters["id"] = IdConverter
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1
        )

    db.init_app(app)
    from tracker.auth import passwords

    passwords.init_app(app)
    csrf.init_app(app)
    access.init_app(app)
    _register_blueprints(app)
    limits.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    labels.init_app(app)
    logs.init_app(app)
    from tracker.audit import hooks as audit_hooks
    from tracker.search import index as search_index

    audit_hooks.init_app(app)
    search_index.init_sync()
    app.cli.add_command(search_index.reindex_command)

    from tracker import cli

    cli.init_app(app)
    return app


INTEGER_SETTINGS = ("SESSION_IDLE_MINUTES", "SESSION_LIFETIME_HOURS", "SQLITE_BUSY_TIMEOUT_MS",
                    "PASSWORD_MIN_LENGTH", "PATIENTS_PER_PAGE", "THEME_CARRY_SESSIONS",
                    "INTEGRATION_WINDOW_DAYS", "EMERGENCY_ACCESS_MINUTES",
                    "PROXY_FIX_X_FOR", "ARGON2_TIME_COST", "ARGON2_MEMORY_COST",
                    "ARGON2_PARALLELISM")


def _finish_config(app: Flask) -> None:
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


def _register_blueprints(app: Flask) -> None:
    from tracker.account.views import bp as account_bp
    from tracker.admin.views import bp as admin_bp
    from tracker.audit.views import bp as audit_bp
    from tracker.auth.views import bp as auth_bp
    from tracker.care_team.views import bp as care_team_bp
    from tracker.courses.views import bp as courses_bp
    from tracker.export.views import bp as export_bp
    from tracker.health import bp as health_bp
    from tracker.measures.views import bp as measures_bp
    from tracker.patients.views import bp as patients_bp
    from tracker.progress.views import bp as progress_bp
    from tracker.search.views import bp as search_bp
    from tracker.sessions.views import bp as sessions_bp

    for blueprint in (auth_bp, account_bp, admin_bp, patients_bp, courses_bp, sessions_bp,
                      measures_bp, progress_bp, export_bp, audit_bp, care_team_bp, search_bp,
                      health_bp):
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "home", lambda: redirect(url_for("patients.index")))
    if app.config["BENCH_HELLO_ROUTE"]:
        # `make bench` only: the ceiling a page is compared with, through the same app,
        # sign-in check and headers, doing nothing else.
        app.add_url_rule("/bench/hello", "bench_hello", lambda: "hello")
