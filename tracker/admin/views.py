"""Account administration. Admins manage accounts; they see no clinical content here."""

import secrets

from flask import Blueprint, abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from tracker.access import require_admin
from tracker.admin.forms import NewUserForm
from tracker.auth import services
from tracker.auth.models import User
from tracker.db import get_db

bp = Blueprint("admin", __name__, url_prefix="/admin")
bp.before_request(require_admin)


def _temporary_password() -> str:
    return secrets.token_urlsafe(12)


def _user_or_404(db, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _show_password_once(user: User, password: str, *, created: bool):
    """The temporary password is shown in this response only and never stored in clear."""
    response = make_response(
        render_template(
            "admin/temporary_password.html", user=user, password=password, created=created
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users")
def users():
    db = get_db()
    accounts = db.scalars(select(User).order_by(User.is_disabled, User.name)).all()
    return render_template("admin/users.html", users=accounts)


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    form = NewUserForm()
    if form.validate_on_submit():
        db = get_db()
        password = _temporary_password()
        try:
            user = services.create_user(
                db,
                email=form.email.data,
                name=form.name.data,
                password=password,
                is_admin=form.is_admin.data,
                must_change_password=True,
            )
        except services.AccountError as error:
            form.email.errors.append(str(error))
        else:
            db.commit()
            return _show_password_once(user, password, created=True)
    return render_template("admin/new_user.html", form=form)


@bp.route("/users/<id:user_id>/disable", methods=["POST"])
def disable(user_id: int):
    return _set_disabled(user_id, True)


@bp.route("/users/<id:user_id>/enable", methods=["POST"])
def enable(user_id: int):
    return _set_disabled(user_id, False)


def _set_disabled(user_id: int, disabled: bool):
    db = get_db()
    user = _user_or_404(db, user_id)
    try:
        services.set_disabled(db, current_user, user, disabled)
    except services.AccountError as error:
        flash(str(error), "error")
    else:
        db.commit()
        state = "disabled; every session of it has ended" if disabled else "enabled"
        flash(f"The account of {user.name} is {state}.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<id:user_id>/reset-password", methods=["POST"])
def reset_password(user_id: int):
    db = get_db()
    user = _user_or_404(db, user_id)
    if user.id == current_user.id:
        flash("Change your own password from your account page.", "error")
        return redirect(url_for("admin.users"))
    password = _temporary_password()
    services.set_password(db, user, password, must_change=True)
    db.commit()
    return _show_password_once(user, password, created=False)
