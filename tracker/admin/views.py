"""Account administration. Admins manage accounts; they see no clinical content here."""

import secrets

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user
from sqlalchemy import select

from tracker import confirm, dates, settings_store
from tracker.access import require_admin
from tracker.admin.forms import NewUserForm, PracticeSettingsForm
from tracker.auth import resets, services, two_factor
from tracker.auth.models import User
from tracker.db import get_db
from tracker.forms import zone_choices

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
    if not confirm.confirmed() and user_id != current_user.id:  # (Its own: refused at once.)
        user = _user_or_404(get_db(), user_id)
        return confirm.ask(
            title=f"Disable the account of {user.name}?",
            consequence=f"{user.name} ({user.email}) can no longer sign in, and every browser "
                        "signed in as them is signed out now. Their records stay; enable the "
                        "account again to give access back.",
            button="Disable the account", cancel_url=url_for("admin.users"), undoable=True)
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
    """The old password stops working; the administrator gets a one-time set-password link
    for the holder, never a password (tracker/auth/resets.py)."""
    db = get_db()
    user = _user_or_404(db, user_id)
    if user.id == current_user.id:
        flash("Change your own password from your account page.", "error")
        return redirect(url_for("admin.users"))
    if not confirm.confirmed():
        return confirm.ask(
            title=f"Reset the password of {user.name}?",
            consequence=f"Their current password stops working and every browser signed in as "
                        f"{user.name} is signed out. You get a one-time link to hand over; "
                        "with it they choose a new password themselves.",
            button="Reset the password", cancel_url=url_for("admin.users"))
    token = resets.issue(db, current_user, user)
    db.commit()
    response = make_response(render_template(
        "admin/reset_link.html", user=user, hours=current_app.config["RESET_LINK_HOURS"],
        link=url_for("auth.set_password", token=token, _external=True)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/users/<id:user_id>/confirm-recovery", methods=["POST"])
def confirm_recovery(user_id: int):
    """A second administrator confirms that the account reset without any factor of its
    holder's left is in its holder's hands: its patient records open again."""
    db = get_db()
    user = _user_or_404(db, user_id)
    if not confirm.confirmed():
        return confirm.ask(
            title=f"Confirm that {user.name} holds their account again?",
            consequence=f"Its password was set through a reset link with no second factor, "
                        f"so only you can vouch that it was {user.name}: ask them in person "
                        "or on a number you know. Their patient records open again, and for "
                        "a while every page they see is marked in the audit trail.",
            button="Confirm", cancel_url=url_for("admin.users"))
    try:
        resets.approve(db, current_user, user)
    except services.AccountError as error:
        flash(str(error), "error")
    else:
        db.commit()
        flash(f"Confirmed: {user.name} can open patient records again.", "success")
    return redirect(url_for("admin.users"))


@bp.route("/users/<id:user_id>/reset-two-factor", methods=["POST"])
def reset_two_factor(user_id: int):
    """For a lost phone: the account's two-factor login is removed and every session of it
    ends; it signs in with its password and sets two-factor login up again."""
    db = get_db()
    user = _user_or_404(db, user_id)
    if not confirm.confirmed() and user.id != current_user.id:
        return confirm.ask(
            title=f"Reset the two-factor login of {user.name}?",
            consequence=f"Their authenticator app and recovery codes stop working, and every "
                        f"browser signed in as {user.name} is signed out. They sign in with "
                        "their password and set two-factor login up again.",
            button="Reset two-factor login", cancel_url=url_for("admin.users"))
    try:
        two_factor.reset(db, current_user, user)
    except services.AccountError as error:
        flash(str(error), "error")
    else:
        db.commit()
        flash(f"The two-factor login of {user.name} was removed and every session of the "
              "account has ended. They set it up again after signing in with their password.",
              "success")
    return redirect(url_for("admin.users"))


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Practice settings kept in the database (the same for every app server)."""
    db = get_db()
    form = PracticeSettingsForm()
    default_zone = current_app.config.get("PRACTICE_TIMEZONE") or dates.server_zone_name()
    form.timezone.choices = zone_choices(f"The server's setting ({default_zone})")
    if form.validate_on_submit():
        # Requiring two-factor login without having it would lock this administrator out of
        # everything but enrolment, these settings included: it waits until they have it.
        waits = bool(form.require_two_factor.data) and not current_user.has_two_factor
        if not waits:
            settings_store.set_setting(db, settings_store.REQUIRE_TWO_FACTOR,
                                       bool(form.require_two_factor.data))
        if "timezone" in request.form:  # (A post without it leaves the zone as it was.)
            settings_store.set_setting(db, settings_store.TIMEZONE, form.timezone.data or "")
        db.commit()
        if waits:
            flash("Set up your own two-factor login first; then turn the requirement on in "
                  "Accounts → Settings. The other settings were saved.", "info")
            return redirect(url_for("account.two_factor"))
        flash("The practice settings were saved.", "success")
        return redirect(url_for("admin.settings"))
    if not form.is_submitted():
        form.require_two_factor.data = settings_store.two_factor_required(db)
        form.timezone.data = settings_store.get_setting(db, settings_store.TIMEZONE)
    return render_template("admin/settings.html", form=form)
