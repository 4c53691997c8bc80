from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import current_user

from tracker.account.forms import ChangePasswordForm
from tracker.auth import passwords, services, sessions
from tracker.db import get_db

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.route("/password", methods=["GET", "POST"])
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not passwords.verify_password(current_user.password_hash, form.current_password.data):
            form.current_password.errors.append("This is not your current password.")
        elif form.new_password.data == form.current_password.data:
            form.new_password.errors.append("Choose a password different from the current one.")
        else:
            db = get_db()
            user = current_user._get_current_object()
            services.set_password(db, user, form.new_password.data)
            sessions.sign_in(db, user)  # Every other cookie of this account is now dead.
            db.commit()
            flash("Your password was changed. Other signed-in browsers were signed out.", "success")
            return redirect(url_for("patients.index"))
    return render_template("account/password.html", form=form)


@bp.route("/ping", methods=["POST"])
def ping():
    """Activity in a long form keeps the login alive (the request itself refreshes it)."""
    return "", 204
