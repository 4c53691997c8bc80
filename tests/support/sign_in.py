"""Signing in as a browser does: login_as and therapist_client through the real login form,
the code step of two-factor login (codes computed with pyotp from the secret, as an
authenticator app would) and enrolment."""

from __future__ import annotations

import re
import time

import pyotp
import pytest

from tests.support.forms import post_form
from tests.support.users import TEST_PASSWORD
from tracker.auth import two_factor
from tracker.db import get_db
from tracker.models import User

RECOVERY_RE = re.compile(r'<code class="recovery-code">([A-Z2-7-]+)</code>')


def away_from_step_edge(margin: float = 4.0) -> None:
    """Wait, if needed, until the current 30-second step has at least `margin` seconds left."""
    left = 30 - time.time() % 30
    if left < margin:
        time.sleep(left + 0.05)


def code(secret: str, steps_from_now: int = 0) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_from_now)


def unused_code(app, user_id: int) -> str:
    """A current TOTP code of a step the account has not used yet."""
    with app.app_context():
        account = get_db().get(User, user_id)
        secret, last_step = account.totp_secret, account.totp_last_step
    while True:
        now = int(time.time()) // 30
        for step in (now, now + 1):  # The next step's code is accepted too (drift).
            if last_step is None or step > last_step:
                return pyotp.TOTP(secret).at(step * 30)
        time.sleep(30 - time.time() % 30 + 0.05)


def password_step(client, user, *, next_path=None, **kwargs):
    """The first step of sign-in; returns the response (a redirect to the code step)."""
    path = "/login" + (f"?next={next_path}" if next_path else "")
    return post_form(client, path, {"email": user.email, "password": TEST_PASSWORD},
                     form_path="/login", **kwargs)


def code_step(client, value, path="/login/code", **kwargs):
    return post_form(client, path, {"code": value}, **kwargs)


def signed_in(client) -> bool:
    return client.get("/patients/").status_code == 200


@pytest.fixture
def login_as(app):
    """Sign a test client in through the real login form (and its code step, computed from
    the stored secret, when the account has two-factor login). Returns the client."""

    def login(user: User, password: str = TEST_PASSWORD, client=None):
        client = client or app.test_client()
        response = post_form(client, "/login", {"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        if response.headers["Location"].startswith("/login/code"):
            response = post_form(client, response.headers["Location"],
                                 {"code": unused_code(app, user.id)})
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return client

    return login


@pytest.fixture
def therapist_client(login_as, therapist, client):
    return login_as(therapist, client=client)


@pytest.fixture
def enrol(app):
    """Turn two-factor login on for an account through the services (with last step's
    code, so that this step's is still unused); returns (secret, recovery codes)."""

    def enrol_user(user: User) -> tuple[str, list[str]]:
        away_from_step_edge()
        with app.app_context():
            db = get_db()
            account = db.get(User, user.id)
            secret = two_factor.begin_enrolment(db, account)
            codes = two_factor.confirm_enrolment(db, account, code(secret, -1))
            db.commit()
        return secret, codes

    return enrol_user
