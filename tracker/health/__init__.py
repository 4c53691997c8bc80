"""/healthz: a load balancer's view of the app. Public, and says nothing but status: whether
the database answers and can be written, whether the rate limiter's storage answers (and its
kind, never its address), and how many Content-Security-Policy violations this process was
told of, by directive name. 503 when any part is down: sign-in, or every write, would fail.
Cheap enough to be polled: one SELECT 1, a few stat calls for a SQLite file, one PING for
Redis (within the limiter's short timeouts)."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker import limits, sqlite_writable
from tracker.db import get_db
from tracker.headers import csp_violations

bp = Blueprint("health", __name__)


def database_health() -> str:
    db = get_db()
    try:
        db.execute(text("SELECT 1"))
        db.rollback()
    except SQLAlchemyError:
        db.rollback()
        return "unavailable"
    return "ok" if sqlite_writable.writable(current_app) else "read-only"


@bp.route("/healthz")
def healthz():
    parts = {"database": database_health(),
             "rate_limit_storage": limits.storage_health(current_app)}
    healthy = all(state in ("ok", "disabled") for state in parts.values())
    return jsonify(status="ok" if healthy else "error", **parts,
                   rate_limit_storage_kind=limits.storage_kind(current_app),
                   csp_violations=dict(sorted(csp_violations(current_app).items()))
                   ), 200 if healthy else 503
