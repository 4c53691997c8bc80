"""Two-factor login: enrolment, the code step, replay, recovery codes, rate limits, the
pending marker, the practice policy, re-authentication and the administrator's reset.

Codes are computed with pyotp from the secret, as an authenticator app would. A test whose
codes must fall in a given 30-second step first waits until the step has a few seconds
left, so that it never straddles a step boundary."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pyotp
from sqlalchemy import func, select, text, update

from tests.support.forms import csrf_token, post_form
from tests.support.patients import add_patient
from tests.support.routes import urls
from tests.support.sign_in import (
    RECOVERY_RE,
    away_from_step_edge,
    code,
    code_step,
    password_step,
    signed_in,
)
from tests.support.users import TEST_PASSWORD, load_user
from tracker.access import PUBLIC_ENDPOINTS, TWO_FACTOR_ENROLMENT_ENDPOINTS
from tracker.auth import two_factor
from tracker.db import Base, get_db, utcnow
from tracker.models import LoginSession, User
from tracker.settings_store import PracticeSetting

SECRET_RE = re.compile(r'<code id="totp-secret">([A-Z2-7 ]+)</code>')
SVG_RE = re.compile(r"<svg .*?</svg>", re.S)


def live_sessions(app, user_id) -> int:
    with app.app_context():
        return get_db().scalar(select(func.count()).select_from(LoginSession).where(
            LoginSession.user_id == user_id, LoginSession.ended_at.is_(None)))


# Enrolment -------------------------------------------------------------------------------

def test_enrolment_shows_the_apps_own_qr_code_and_a_current_code_turns_it_on(
        app, therapist, login_as):
    client = login_as(therapist)
    elsewhere = login_as(therapist)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "Set up two-factor login" in page
    assert load_user(app, therapist.id).totp_secret is None  # Looking at the page makes nothing.

    assert post_form(client, "/account/two-factor/setup",
                     form_path="/account/two-factor").status_code == 302
    first_secret = load_user(app, therapist.id).totp_secret
    assert post_form(client, "/account/two-factor/setup",
                     form_path="/account/two-factor").status_code == 302
    response = client.get("/account/two-factor")
    page = response.get_data(as_text=True)
    secret = SECRET_RE.search(page).group(1).replace(" ", "")
    assert secret == load_user(app, therapist.id).totp_secret != first_secret  # Fresh each time.
    assert len(secret) == 32

    # The QR code is drawn by the app, inline, and is the otpauth URI of this very secret.
    svg = SVG_RE.search(page).group(0)
    uri = pyotp.TOTP(secret).provisioning_uri(name=therapist.email, issuer_name="KAP Tracker")
    assert svg == str(two_factor.qr_svg(uri))
    assert "style" not in svg and "<script" not in svg
    assert "otpauth" not in svg and secret not in svg  # Encoded in the modules, not as text.
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]

    away_from_step_edge()
    wrong = post_form(client, "/account/two-factor", {"code": code(secret, 3)})
    assert "not correct" in wrong.get_data(as_text=True)
    assert not load_user(app, therapist.id).has_two_factor

    response = post_form(client, "/account/two-factor", {"code": code(secret)})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    codes = RECOVERY_RE.findall(response.get_data(as_text=True))
    assert len(codes) == len(set(codes)) == 10
    account = load_user(app, therapist.id)
    assert account.has_two_factor and account.totp_secret == secret
    assert signed_in(client)
    assert not signed_in(elsewhere)  # Sessions that had the password only have ended.

    # The page now shows the state, never the secret; a new secret cannot replace it.
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert secret not in page and "10 of 10 recovery codes left" in page
    post_form(client, "/account/two-factor/setup", form_path="/account/two-factor")
    assert load_user(app, therapist.id).totp_secret == secret


# The code step ---------------------------------------------------------------------------

def test_login_requires_the_code_and_keeps_next(app, therapist, enrol):
    secret, _codes = enrol(therapist)
    client = app.test_client()
    response = password_step(client, therapist, next_path="/patients/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login/code?next=/patients/new"
    assert not signed_in(client)  # The password alone signs nobody in.
    assert live_sessions(app, therapist.id) == 0

    away_from_step_edge()
    response = code_step(client, "000000", response.headers["Location"])
    assert response.status_code == 401
    assert not signed_in(client)

    response = code_step(client, code(secret), "/login/code?next=/patients/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/patients/new"
    assert signed_in(client)
    assert live_sessions(app, therapist.id) == 1
    assert load_user(app, therapist.id).last_login_at is not None

    # An unsafe next is dropped at the code step too.
    other = app.test_client()
    response = password_step(other, therapist, next_path="//evil.example/x")
    assert response.headers["Location"] == "/login/code"
    response = code_step(other, code(secret, 1), "/login/code?next=//evil.example/x")
    assert response.headers["Location"] == "/patients/"


def test_a_replayed_code_fails_in_the_same_step_also_from_a_second_client(
        app, therapist, enrol):
    secret, _codes = enrol(therapist)
    away_from_step_edge()
    used, its_step = code(secret), int(time.time()) // 30
    first = app.test_client()
    password_step(first, therapist)
    assert code_step(first, used).status_code == 302
    assert signed_in(first)

    second = app.test_client()  # Someone who saw the code over the shoulder.
    password_step(second, therapist, environ_base={"REMOTE_ADDR": "10.0.0.8"})
    response = code_step(second, used, environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert response.status_code == 401
    assert not signed_in(second)

    post_form(first, "/logout", form_path="/patients/")
    password_step(first, therapist)
    assert code_step(first, used).status_code == 401  # The same browser, a second time.
    # The step is remembered in the database, not in the browser.
    assert load_user(app, therapist.id).totp_last_step == its_step


def test_two_requests_racing_with_one_code_cannot_both_win(app, therapist, enrol):
    """The step is claimed in the database: a request that read the account before another
    request used the code (so its copy still looks unused) is refused all the same."""
    secret, _codes = enrol(therapist)
    away_from_step_edge()
    used = code(secret)
    with app.app_context():
        slow = get_db()
        stale = slow.get(User, therapist.id)
        slow.expunge(stale)  # Keep the copy read before the other request's commit.
        slow.rollback()
        with app.app_context():  # The other request, meanwhile.
            fast = get_db()
            assert two_factor.accept_totp(fast, fast.get(User, therapist.id), used)
            fast.commit()
        assert stale.totp_last_step < int(time.time()) // 30
        assert not two_factor.accept_totp(slow, stale, used)


def test_codes_of_other_steps_fail_and_an_earlier_step_after_a_later_one(
        app, therapist, enrol):
    secret, _codes = enrol(therapist)
    client = app.test_client()
    password_step(client, therapist)
    away_from_step_edge()
    for steps in (-3, 3, 20):
        assert code_step(client, code(secret, steps)).status_code == 401, steps
    assert code_step(client, "12345").status_code == 401
    assert not signed_in(client)
    assert code_step(client, code(secret, 1)).status_code == 302  # Next step: clock drift.

    # The current step's code, though within the window, is older than the one used.
    again = app.test_client()
    password_step(again, therapist)
    assert code_step(again, code(secret)).status_code == 401


# Recovery codes --------------------------------------------------------------------------

def test_recovery_codes_work_once_each_and_are_stored_hashed(app, therapist, enrol):
    _secret, codes = enrol(therapist)
    with app.app_context():
        db = get_db()
        every_row = "\n".join(repr(tuple(row)) for table in Base.metadata.sorted_tables
                              for row in db.execute(select(table)))
        hashes = db.execute(text("SELECT code_hash, used_at FROM recovery_codes")).all()
    assert len(hashes) == 10 and all(len(row.code_hash) == 64 for row in hashes)
    for recovery in codes:
        assert recovery not in every_row and recovery.replace("-", "") not in every_row
        assert recovery.replace("-", "").lower() not in every_row.lower()

    client = app.test_client()
    password_step(client, therapist)
    typed = codes[0].replace("-", " ").lower()  # As someone might type it.
    response = code_step(client, typed)
    assert response.status_code == 302
    assert "9 of them are left" in client.get("/patients/").get_data(as_text=True)

    again = app.test_client()
    password_step(again, therapist)
    assert code_step(again, codes[0]).status_code == 401  # Used up.
    assert code_step(again, codes[1]).status_code == 302
    with app.app_context():
        used = get_db().execute(
            text("SELECT count(*) FROM recovery_codes WHERE used_at IS NOT NULL")).scalar()
    assert used == 2


# Rate limits and the pending marker -----------------------------------------------------

def test_the_code_step_is_rate_limited_per_account(app, therapist, enrol):
    secret, _codes = enrol(therapist)
    client = app.test_client()
    password_step(client, therapist)
    for _ in range(5):
        assert code_step(client, "000000").status_code == 401
    response = code_step(client, code(secret))
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)
    assert not signed_in(client)

    # A new password step from another address does not reset the account's counter.
    other = app.test_client()
    password_step(other, therapist, environ_base={"REMOTE_ADDR": "10.0.0.9"})
    response = code_step(other, code(secret), environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert response.status_code == 429


def test_the_code_step_is_rate_limited_per_address(app, make_user, enrol):
    app.config["TWO_FACTOR_LIMIT_PER_ADDRESS"] = "3 per minute"
    users = [make_user(email=f"user{number}@example.org") for number in range(4)]
    for user in users:
        enrol(user)
    for user in users[:3]:
        client = app.test_client()
        password_step(client, user)
        assert code_step(client, "000000").status_code == 401
    client = app.test_client()
    password_step(client, users[3])
    assert code_step(client, "000000").status_code == 429
    # Another address is not affected.
    elsewhere = app.test_client()
    password_step(elsewhere, users[3], environ_base={"REMOTE_ADDR": "10.0.0.7"})
    assert code_step(elsewhere, "000000",
                     environ_base={"REMOTE_ADDR": "10.0.0.7"}).status_code == 401


def test_the_pending_marker_expires_after_five_minutes(app, therapist, enrol):
    secret, _codes = enrol(therapist)
    with app.app_context():  # Long before the marker, so that only its age can refuse it.
        db = get_db()
        db.execute(update(User).values(password_changed_at=utcnow() - timedelta(days=1)))
        db.commit()
    client = app.test_client()
    password_step(client, therapist, next_path="/patients/new")
    token = csrf_token(client, "/login/code")
    with client.session_transaction() as flask_session:
        marker = flask_session["two_factor_pending"]
        assert set(marker) == {"user_id", "issued_at"}  # An id and a time: no secret.
        marker["issued_at"] -= 301
        flask_session["two_factor_pending"] = marker
    away_from_step_edge()
    response = client.post("/login/code?next=/patients/new",
                           data={"csrf_token": token, "code": code(secret)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/patients/new"
    assert not signed_in(client)
    with client.session_transaction() as flask_session:
        assert "two_factor_pending" not in flask_session
    assert "took too long" in client.get("/login").get_data(as_text=True)
    # Without a marker at all, the code step only sends to the password step.
    assert app.test_client().get("/login/code").headers["Location"] == "/login"
    # A marker of four minutes still works.
    password_step(client, therapist)
    with client.session_transaction() as flask_session:
        marker = flask_session["two_factor_pending"]
        marker["issued_at"] -= 240
        flask_session["two_factor_pending"] = marker
    assert code_step(client, code(secret)).status_code == 302


def test_the_marker_dies_with_the_account_being_disabled(app, therapist, enrol):
    secret, _codes = enrol(therapist)
    client = app.test_client()
    password_step(client, therapist)
    with app.app_context():
        db = get_db()
        db.get(User, therapist.id).is_disabled = True
        db.commit()
    response = code_step(client, code(secret), form_path="/login")
    assert response.headers["Location"] == "/login"
    assert live_sessions(app, therapist.id) == 0


# The practice policy --------------------------------------------------------------------

def test_an_admin_without_two_factor_who_requires_it_is_sent_to_enrolment(
        app, admin, login_as, enrol):
    """Issue 14, item 9: turning the requirement on without having two-factor login locked
    the administrator out of the settings (every page but enrolment). Now the requirement
    waits: the administrator is sent to set up their own first, and settings stay open."""
    admin_client = login_as(admin)
    response = post_form(admin_client, "/admin/settings", {"require_two_factor": "y"})
    assert response.headers["Location"] == "/account/two-factor"
    page = admin_client.get("/account/two-factor").get_data(as_text=True)
    assert "Set up your own two-factor login first" in page
    with app.app_context():
        assert get_db().get(PracticeSetting, "require_two_factor") is None
    assert admin_client.get("/admin/settings").status_code == 200  # Not locked out.
    # With two-factor login of their own, the requirement is turned on.
    enrol(admin)
    admin_client = login_as(admin)
    response = post_form(admin_client, "/admin/settings", {"require_two_factor": "y"})
    assert response.headers["Location"] == "/admin/settings"
    with app.app_context():
        assert get_db().get(PracticeSetting, "require_two_factor").value is True
    assert admin_client.get("/admin/settings").status_code == 200


def test_required_two_factor_locks_an_account_without_it_into_enrolment(
        app, admin, make_user, therapist, login_as, enrol):
    enrol(admin)
    admin_client = login_as(admin)
    other_admin = make_user(email="admin2@example.org", name="Ben Admin", is_admin=True)
    second_admin_client = login_as(other_admin)
    patient_id = add_patient(app, therapist, "Maya Okafor")
    page = admin_client.get("/admin/settings").get_data(as_text=True)
    assert "Require two-factor login for everyone" in page and "checked" not in page
    response = post_form(admin_client, "/admin/settings", {"require_two_factor": "y"})
    assert response.status_code == 302
    with app.app_context():
        assert get_db().get(PracticeSetting, "require_two_factor").value is True

    client = login_as(therapist)
    token = csrf_token(client, "/account/two-factor")
    values = {"patient_id": patient_id, "user_id": admin.id, "filename": "favicon.svg",
              "kind": "theme", "instrument": "phq9"}
    checked = set()
    for endpoint, url, methods in urls(app, values):
        if endpoint in PUBLIC_ENDPOINTS or endpoint in TWO_FACTOR_ENROLMENT_ENDPOINTS:
            continue
        for method in sorted(methods & {"GET", "POST"}):
            response = client.open(url, method=method,
                                   data={"csrf_token": token, "display_name": "Too Early"})
            assert response.status_code == 302, (endpoint, method, url)
            assert response.headers["Location"] == "/account/two-factor", (endpoint, url)
        checked.add(endpoint)
    assert {"patients.index", "patients.show", "patients.new", "account.change_password",
            "account.two_factor_disable", "account.recovery_codes", "admin.users",
            "admin.settings", "home"} <= checked
    assert "Your practice requires two-factor login" in client.get(
        "/account/two-factor").get_data(as_text=True)
    assert second_admin_client.get("/admin/users").headers["Location"] == "/account/two-factor"

    # Enrolment is reachable, and once done everything else is again.
    post_form(client, "/account/two-factor/setup", form_path="/account/two-factor")
    secret = load_user(app, therapist.id).totp_secret
    away_from_step_edge()
    assert post_form(client, "/account/two-factor", {"code": code(secret)}).status_code == 200
    assert client.get(f"/patients/{patient_id}").status_code == 200

    # Logout stays reachable for an account without two-factor login.
    assert post_form(second_admin_client, "/logout", form_path="/account/two-factor"
                     ).headers["Location"] == "/login"


def test_without_the_policy_an_account_without_two_factor_is_not_locked(
        app, therapist_client):
    with app.app_context():
        assert get_db().get(PracticeSetting, "require_two_factor") is None  # Demo default.
    assert therapist_client.get("/patients/").status_code == 200


# Re-authentication -----------------------------------------------------------------------

def test_turning_two_factor_off_requires_the_password_and_a_code(
        app, therapist, enrol, login_as):
    secret, codes = enrol(therapist)
    client = login_as(therapist)  # Uses this step's code.
    elsewhere = login_as(therapist)  # And the next step's.
    assert client.get("/account/two-factor/disable").status_code == 200

    def attempt(password, value):
        return post_form(client, "/account/two-factor/disable",
                         {"password": password, "code": value})

    assert attempt("not my password", codes[0]).status_code == 401
    assert attempt(TEST_PASSWORD, "000000").status_code == 401
    assert attempt(TEST_PASSWORD, code(secret)).status_code == 401  # Used at sign-in.
    assert attempt(TEST_PASSWORD, "").status_code == 200  # A form error.
    assert load_user(app, therapist.id).has_two_factor

    response = attempt(TEST_PASSWORD, codes[0])  # The password and a second factor.
    assert response.status_code == 302
    account = load_user(app, therapist.id)
    assert not account.has_two_factor and account.totp_secret is None
    with app.app_context():
        assert get_db().execute(text("SELECT count(*) FROM recovery_codes")).scalar() == 0
    assert signed_in(client) and not signed_in(elsewhere)
    # Signing in is one step again.
    response = password_step(app.test_client(), therapist)
    assert response.headers["Location"] == "/patients/"


def test_new_recovery_codes_require_the_password_and_a_code(app, therapist, enrol, login_as):
    _secret, codes = enrol(therapist)
    client = login_as(therapist)
    wrong = post_form(client, "/account/two-factor/recovery-codes",
                      {"password": "not my password", "code": codes[0]})
    assert wrong.status_code == 401 and not RECOVERY_RE.search(wrong.get_data(as_text=True))
    response = post_form(client, "/account/two-factor/recovery-codes",
                         {"password": TEST_PASSWORD, "code": codes[1]})
    assert response.status_code == 200
    new_codes = RECOVERY_RE.findall(response.get_data(as_text=True))
    assert len(new_codes) == 10 and not set(new_codes) & set(codes)
    fresh = app.test_client()
    password_step(fresh, therapist)
    assert code_step(fresh, codes[2]).status_code == 401  # The old set is gone.
    assert code_step(fresh, new_codes[0]).status_code == 302


def test_reauthentication_for_two_factor_is_rate_limited(app, therapist, enrol, login_as):
    _secret, codes = enrol(therapist)
    client = login_as(therapist)
    for _ in range(5):
        response = post_form(client, "/account/two-factor/disable",
                             {"password": TEST_PASSWORD, "code": "000000"})
        assert response.status_code == 401
    response = post_form(client, "/account/two-factor/disable",
                         {"password": TEST_PASSWORD, "code": codes[0]})
    assert response.status_code == 429
    assert load_user(app, therapist.id).has_two_factor


# Administration --------------------------------------------------------------------------

def test_the_accounts_list_shows_two_factor_and_an_admin_reset_ends_sessions(
        app, admin, therapist, enrol, login_as):
    secret, _codes = enrol(therapist)
    therapist_client = login_as(therapist)
    admin_client = login_as(admin)
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert page.count('<span class="badge badge--ok">On</span>') == 1
    assert "Reset two-factor login of Test Therapist" in page
    assert "Reset two-factor login of Ada Admin" not in page

    response = post_form(admin_client, f"/admin/users/{therapist.id}/reset-two-factor",
                         {"confirmed": "yes"}, form_path="/admin/users")
    assert response.status_code == 302
    assert not signed_in(therapist_client)
    assert live_sessions(app, therapist.id) == 0
    account = load_user(app, therapist.id)
    assert not account.has_two_factor and account.totp_secret is None
    with app.app_context():
        assert get_db().execute(text("SELECT count(*) FROM recovery_codes")).scalar() == 0
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert '<span class="badge badge--ok">On</span>' not in page
    # The password alone signs in now; the account sets two-factor login up again.
    assert password_step(app.test_client(), therapist).headers["Location"] == "/patients/"


def test_an_admin_cannot_reset_its_own_two_factor_without_reauthenticating(
        app, admin, enrol, login_as):
    enrol(admin)
    admin_client = login_as(admin)
    response = post_form(admin_client, f"/admin/users/{admin.id}/reset-two-factor",
                         {"confirmed": "yes"}, form_path="/admin/users")
    assert response.status_code == 302
    assert load_user(app, admin.id).has_two_factor
    assert signed_in(admin_client)


def test_the_totp_secret_is_encrypted_at_rest(app, therapist, enrol):
    from sqlalchemy import text

    secret, _codes = enrol(therapist)
    with app.app_context():
        raw = get_db().execute(text("SELECT totp_secret FROM users WHERE id = :id"),
                               {"id": therapist.id}).scalar()
    assert raw.startswith("v2:") and secret not in raw
    assert load_user(app, therapist.id).totp_secret == secret


def test_signing_out_right_after_turning_two_factor_on_works(app, therapist, login_as):
    """Seen with two new accounts: the sign-out button of the recovery-codes page answered
    400 and left the account signed in (its token belonged to the login that had ended)."""
    client = login_as(therapist)
    post_form(client, "/account/two-factor/setup", form_path="/account/two-factor")
    secret = load_user(app, therapist.id).totp_secret
    away_from_step_edge()
    page = post_form(client, "/account/two-factor", {"code": code(secret)}).get_data(
        as_text=True)
    token = re.search(r'action="/logout".*?name="csrf_token" value="([^"]+)"', page, re.S)
    response = client.post("/logout", data={"csrf_token": token.group(1)})
    assert response.status_code == 302
    assert not signed_in(client)
