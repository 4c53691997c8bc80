"""/healthz: a load balancer's view of the app. Public, and says nothing but status."""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from tracker.db import get_db

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
    return jsonify(status="ok", database="ok")
