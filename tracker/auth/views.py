from flask import (
    Blueprint,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, logout_user

from tracker.access import is_safe_next
from tracker.audit.hooks import name_subject
from tracker.auth import login_sessions, pending, resets, services, two_factor
from tracker.auth.forms import CodeForm, LoginForm, SetPasswordForm
from tracker.auth.models import User
from tracker.db import get_db
from tracker.errors import render_error
from tracker.sessions import signed_out
from tracker.transport import cookie_problem

bp = Blueprint("auth", __name__)


def _next() -> str | None:
    target = request.args.get("next")
    return target if is_safe_next(target) else None


def _destination() -> str:
    return _next() or url_for("patients.index")


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
        elif user.has_two_factor:
            # Not signed in yet: the code step finishes the sign-in.
            if user in db.dirty:
                db.commit()  # A password hash upgraded to the current parameters.
            pending.start(user)
            return redirect(url_for("auth.login_code", next=_next()))
        else:
            return _signed_in(db, user)
    status = 401 if error else 200
    return render_template("auth/login.html", form=form, error=error,
                           cookie_problem=cookie_problem()), status


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step for accounts with two-factor login. Public (the browser is not signed
    in yet), but useless without the marker of a password accepted minutes ago; wrong codes
    answer 401, which the rate limits count per account and per address."""
    if current_user.is_authenticated:
        return redirect(_destination())
    db = get_db()
    user = pending.load_user(db)
    if user is None:
        if pending.present():
            pending.clear()
            flash("Signing in took too long. Please enter your password again.", "info")
        return redirect(url_for("auth.login", next=_next()))
    form = CodeForm()
    error = None
    if form.validate_on_submit():
        kind = two_factor.verify_second_factor(db, user, form.code.data)
        if kind is None:
            error = "This code is not correct, or it was already used."
        else:
            notice = None
            if kind == "recovery":
                left = two_factor.recovery_codes_left(db, user)
                notice = (f"You signed in with a recovery code; {left} of them are left. "
                          "Make new ones from your account page if you are running out.")
            return _signed_in(db, user, notice)
    status = 401 if error else 200
    return render_template("auth/code.html", form=form, error=error), status


def _signed_in(db, user: User, notice: str | None = None):
    """Every factor was checked: sign in (which clears the browser's session, flashed
    messages included: `notice` comes after), and go on where the account was, or back to a
    save kept after its last login ended for inactivity."""
    services.finish_login(db, user)
    if notice:
        flash(notice, "warning")
    kept = signed_out.restore_after_sign_in(user)
    db.commit()
    return redirect(kept or _destination())


@bp.route("/logout", methods=["POST"])
def logout():
    """POST only, CSRF-checked by CSRFProtect: a link or image cannot sign anyone out."""
    db = get_db()
    login_sessions.end(db, current_user.session_token, "logout")
    db.commit()
    logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@bp.route("/set-password", methods=["GET", "POST"])
def set_password():
    """The holder's side of an administrator's password reset (tracker/auth/resets.py):
    public, like sign-in, and useless without the link's token; with two-factor login on
    the account, also without one of the holder's codes (wrong ones answer 401, which the
    rate limits count per account and per address). The token is in the query string,
    which no log writes, and the page sends no Referer."""
    db = get_db()
    form = SetPasswordForm()
    token = request.form.get("token") or request.args.get("token")
    reset = resets.find(db, token)
    if reset is None:
        return render_error(404, "This link does not work any more: it was used, it expired, "
                                 "or a newer one was made. Ask your administrator for a new one.")
    user = db.get(User, reset.user_id)
    form.token.data = token
    status = 200
    if form.validate_on_submit():
        try:
            resets.use(db, reset, form.new_password.data, form.code.data)
        except two_factor.WrongCode as error:
            form.code.errors.append(str(error))
            status = 401
        except resets.LinkInvalid as error:
            return render_error(404, str(error))
        else:
            name_subject("user", user.id, None)
            db.commit()
            flash("Your password is set. Sign in with it.", "success")
            return redirect(url_for("auth.login"))
    response = make_response(render_template("auth/set_password.html", form=form, user=user,
                                             needs_code=user.has_two_factor), status)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
