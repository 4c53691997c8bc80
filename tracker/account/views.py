from flask import Blueprint, flash, jsonify, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from tracker.account.forms import ChangePasswordForm
from tracker.auth import services, sessions
from tracker.db import get_db

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    status = 200
    if form.validate_on_submit():
        db = get_db()
        user = current_user._get_current_object()
        try:
            services.change_own_password(db, user, form.current_password.data,
                                         form.new_password.data)
        except services.WrongPassword as error:
            form.current_password.errors.append(str(error))
            status = 401  # Counted by the re-authentication rate limit.
        except services.AccountError as error:
            form.new_password.errors.append(str(error))
        else:
            sessions.sign_in(db, user)  # Every other cookie of this account is now dead.
            db.commit()
            flash("Your password was changed. Other signed-in browsers were signed out.",
                  "success")
            return redirect(url_for("patients.index"))
    return render_template("account/password.html", form=form), status


@bp.route("/ping", methods=["POST"])
def ping():
    """Activity in a long form keeps the login alive (the request itself refreshes it)."""
    return "", 204


@bp.route("/csrf-token")
def csrf_token():
    """A fresh CSRF token for a long-open page whose token went stale at a new sign-in."""
    return jsonify(csrf_token=generate_csrf())
