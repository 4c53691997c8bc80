"""KAP integration tracker: create_app() builds one configured app instance."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, redirect, url_for
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

from tracker import access, confirm, dates, db, errors, headers, labels, limits, logs, models  # noqa: F401  (all models mapped)
from tracker.config import ConfigError, Defaults, finish_config
from tracker.converters import IdConverter, InstrumentConverter
from tracker.file_modes import FOLDER_MODE, tighten
from tracker.instance import instance_path
from tracker.origin import init_app as check_origins

__all__ = ["ConfigError", "create_app"]
PACKAGE_DIR = Path(__file__).resolve().parent
csrf = CSRFProtect()


def template_folder() -> str:
    """Installed wheels carry the templates inside the package; a checkout has them on top."""
    installed = PACKAGE_DIR / "templates"
    return str(installed if installed.is_dir() else PACKAGE_DIR.parent / "templates")


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
    finish_config(app)
    if Path(app.instance_path).is_dir():
        tighten(Path(app.instance_path), FOLDER_MODE)  # It holds the keys and the database.

    app.url_map.converters["id"] = IdConverter
    app.url_map.converters["instrument"] = InstrumentConverter
    if app.config["PROXY_FIX_X_FOR"]:
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"], x_proto=1, x_host=1
        )

    db.init_app(app)
    from tracker.auth import passwords

    passwords.init_app(app)
    check_origins(app)
    csrf.init_app(app)
    access.init_app(app)
    _register_blueprints(app)
    limits.init_app(app)
    errors.init_app(app)
    from tracker import sqlite_writable

    sqlite_writable.init_app(app)  # After errors: it keeps their 500 page for the rest.
    headers.init_app(app)
    labels.init_app(app)
    from tracker import controls

    controls.init_app(app)
    dates.init_app(app)
    confirm.init_app(app)
    logs.init_app(app)
    from tracker.audit import hooks as audit_hooks
    from tracker.audit import labels as audit_labels
    from tracker.search import index as search_index

    audit_hooks.init_app(app)
    audit_labels.init_app(app)
    search_index.init_sync()

    from tracker import cli

    cli.init_app(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from tracker.account.views import bp as account_bp
    from tracker.admin.views import bp as admin_bp
    from tracker.audit.views import bp as audit_bp
    from tracker.auth.views import bp as auth_bp
    from tracker.care_team.views import bp as care_team_bp
    from tracker.checkins.patient_views import bp as checkin_bp
    from tracker.checkins.views import bp as checkins_bp
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
                      health_bp, checkin_bp, checkins_bp):
        app.register_blueprint(blueprint)
    app.add_url_rule("/", "home", lambda: redirect(url_for("patients.index")))
    if app.config["BENCH_HELLO_ROUTE"]:
        # `make bench` only: the ceiling a page is compared with, through the same app,
        # sign-in check and headers, doing nothing else.
        app.add_url_rule("/bench/hello", "bench_hello", lambda: "hello")
