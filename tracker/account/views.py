from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    url_for,
)
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from tracker import dates, settings_store
from tracker.account.forms import (
    ChangePasswordForm,
    ConfirmTwoFactorForm,
    ReauthenticateForm,
    StartTwoFactorForm,
    TimeZoneForm,
)
from tracker.auth import login_sessions, services, two_factor
from tracker.db import get_db
from tracker.forms import zone_choices

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
            login_sessions.sign_in(db, user)  # Every other cookie of this account is now dead.
            db.commit()
            flash("Your password was changed. Other signed-in browsers were signed out.",
                  "success")
            return redirect(url_for("patients.index"))
    return render_template("account/password.html", form=form), status


def _show_recovery_codes(codes: list[str], *, first: bool):
    """The recovery codes are shown in this response only; only their digests are stored."""
    response = make_response(render_template("account/recovery_codes.html", codes=codes,
                                             first=first))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/two-factor", methods=["GET", "POST"], endpoint="two_factor")
def two_factor_page():
    """Two-factor login: its state when on; otherwise the enrolment (a QR code and the text
    secret of a fresh secret, confirmed by a current code)."""
    db = get_db()
    user = current_user._get_current_object()
    required = settings_store.two_factor_required(db)
    if user.has_two_factor:
        return render_template("account/two_factor.html", required=required,
                               codes_left=two_factor.recovery_codes_left(db, user))
    if user.totp_secret is None:
        return render_template("account/two_factor.html", required=required,
                               start_form=StartTwoFactorForm())
    form = ConfirmTwoFactorForm()
    if form.validate_on_submit():
        try:
            codes = two_factor.confirm_enrolment(db, user, form.code.data)
        except two_factor.WrongCode as error:
            form.code.errors.append(str(error))
        else:
            login_sessions.sign_in(db, user)  # Other browsers signed in with the password only.
            db.commit()
            return _show_recovery_codes(codes, first=True)
    issuer = current_app.config["TWO_FACTOR_ISSUER"]
    return render_template(
        "account/two_factor.html", required=required, form=form,
        start_form=StartTwoFactorForm(),
        qr_code=two_factor.qr_svg(two_factor.provisioning_uri(user, issuer)),
        secret=two_factor.grouped_secret(user.totp_secret),
    )


@bp.route("/two-factor/setup", methods=["POST"])
def two_factor_setup():
    """Make a fresh secret (also "start again" during enrolment). Never while two-factor
    login is on: replacing a secret in force is turning it off, which re-authenticates."""
    form = StartTwoFactorForm()
    if form.validate_on_submit():
        db = get_db()
        try:
            two_factor.begin_enrolment(db, current_user._get_current_object())
        except two_factor.AlreadyEnrolled as error:
            flash(str(error), "error")
        else:
            db.commit()
    return redirect(url_for("account.two_factor"))


def _reauthenticate_page(template_title: str, action):
    """A page asking for the password and a code; `action(db, user, password, code)`
    returns the response on success. Wrong answers are 401 (the shared re-authentication
    rate limit counts them)."""
    db = get_db()
    user = current_user._get_current_object()
    if not user.has_two_factor:
        return redirect(url_for("account.two_factor"))
    form = ReauthenticateForm()
    status = 200
    if form.validate_on_submit():
        try:
            return action(db, user, form.password.data, form.code.data)
        except services.WrongPassword as error:
            form.password.errors.append(str(error))
            status = 401
        except two_factor.WrongCode as error:
            form.code.errors.append(str(error))
            status = 401
    return render_template("account/reauthenticate.html", form=form,
                           title=template_title), status


@bp.route("/two-factor/disable", methods=["GET", "POST"])
def two_factor_disable():
    def turn_off(db, user, password, code):
        two_factor.disable(db, user, password, code)
        login_sessions.sign_in(db, user)
        db.commit()
        flash("Two-factor login is off. Other signed-in browsers were signed out.", "success")
        return redirect(url_for("account.two_factor"))

    return _reauthenticate_page("Turn off two-factor login", turn_off)


@bp.route("/two-factor/recovery-codes", methods=["GET", "POST"])
def recovery_codes():
    def replace(db, user, password, code):
        codes = two_factor.regenerate_recovery_codes(db, user, password, code)
        db.commit()
        return _show_recovery_codes(codes, first=False)

    return _reauthenticate_page("New recovery codes", replace)


@bp.route("/time-zone", methods=["GET", "POST"])
def time_zone():
    """The account's own time zone, or the practice's."""
    db = get_db()
    form = TimeZoneForm()
    form.timezone.choices = zone_choices(f"The practice's ({dates.practice_zone_name()})")
    if form.validate_on_submit():
        current_user._get_current_object().timezone = form.timezone.data or None
        db.commit()
        flash("Your time zone was saved.", "success")
        return redirect(url_for("account.time_zone"))
    if not form.is_submitted():
        form.timezone.data = current_user.timezone or ""
    return render_template("account/time_zone.html", form=form, now=dates.now())


@bp.route("/ping", methods=["POST"])
def ping():
    """Activity in a long form keeps the login alive (the request itself refreshes it)."""
    return "", 204


@bp.route("/csrf-token")
def csrf_token():
    """A fresh CSRF token for a long-open page whose token went stale at a new sign-in."""
    return jsonify(csrf_token=generate_csrf())
