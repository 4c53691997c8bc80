from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from tracker.access import is_safe_next
from tracker.auth import services, sessions
from tracker.auth.forms import LoginForm
from tracker.db import get_db

bp = Blueprint("auth", __name__)


def _destination() -> str:
    target = request.args.get("next")
    return target if is_safe_next(target) else url_for("patients.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_destination())
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        db = get_db()
        user = services.authenticate(db, form.email.data, form.password.data)
        if user is None:
            error = "The email or password is not correct, or the account is disabled."
        else:
            sessions.sign_in(db, user)
            db.commit()
            return redirect(_destination())
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    """POST only, CSRF-checked by CSRFProtect: a link or image cannot sign anyone out."""
    db = get_db()
    sessions.end(db, current_user.session_token, "logout")
    db.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))
