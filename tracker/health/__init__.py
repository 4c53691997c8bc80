"""/healthz: a load balancer's view of the app. Public, and says nothing but status, and how
many Content-Security-Policy violations this process was told of, by directive name."""

from flask import Blueprint, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.db import get_db
from tracker.headers import csp_violations

bp = Blueprint("health", __name__)


@bp.route("/healthz")
def healthz():
    db = get_db()
    try:
        db.execute(text("SELECT 1"))
        db.rollback()
    except SQLAlchemyError:
        db.rollback()
        return jsonify(status="error", database="unavailable"), 503
    return jsonify(status="ok", database="ok",
                   csp_violations=dict(sorted(csp_violations(current_app).items())))
