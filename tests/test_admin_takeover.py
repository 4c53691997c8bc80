"""An administrator cannot become a therapist to read their notes (issue 14, item 2).

The attack: reset the therapist's two-factor login, reset their password (the temporary
password used to be shown to the administrator), sign in as them, open the psychotherapy
notes; the audit trail then recorded the reads under the therapist's id. Now a password
reset gives a one-time set-password link, never a password; the link needs one of the
holder's own codes when the account has two-factor login; and without any factor of the
holder's left, the account opens no patient record until another administrator confirms
the holder, after which its reads are audited as "reset …" and shown to the primary
therapist (tracker/auth/resets.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from tests.support.forms import post_form
from tests.support.histories import build_history
from tests.support.patients import add_patient
from tests.support.sign_in import unused_code
from tests.support.users import TEST_PASSWORD
from tracker.audit.models import AuditEvent
from tracker.db import get_db

LINK_RE = re.compile(r'<code id="reset-link">([^<]+)</code>')
ADMINS_PASSWORD = "the administrator's own choice"
PRIVATE = "Private 0"


def admin_post(client, user_id: int, action: str):
    """The action's button, then its confirmation page's."""
    return post_form(client, f"/admin/users/{user_id}/{action}", {"confirmed": "yes"},
                     form_path="/admin/users")


def reset_link(client, user_id: int) -> str:
    response = admin_post(client, user_id, "reset-password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert 'id="temporary-password"' not in page
    url = urlsplit(LINK_RE.search(page).group(1).replace("&amp;", "&"))
    return f"{url.path}?{url.query}"


def use_link(client, link: str, password: str = ADMINS_PASSWORD, code: str = ""):
    return post_form(client, link, {"new_password": password, "confirm": password,
                                    "code": code})


def sign_in(app, user, password=ADMINS_PASSWORD):
    client = app.test_client()
    response = post_form(client, "/login", {"email": user.email, "password": password})
    return client, response


@pytest.fixture
def notes(app, therapist):
    """A patient of the therapist with one session and its private note."""
    patient_id = add_patient(app, therapist)
    with app.app_context():
        ids = build_history(get_db(), therapist.id, patient_id, 1)
        get_db().commit()
    return patient_id, ids["sessions"][0]


def test_resetting_both_factors_does_not_open_the_notes_to_the_administrator(
        app, admin, therapist, enrol, login_as, notes):
    patient_id, session_id = notes
    enrol(therapist)
    assert PRIVATE in login_as(therapist).get(f"/sessions/{session_id}").get_data(as_text=True)
    admin_client = login_as(admin)

    # 1. Reset two-factor login, then the password: a link, no password.
    assert admin_post(admin_client, therapist.id, "reset-two-factor").status_code == 302
    link = reset_link(admin_client, therapist.id)
    assert sign_in(app, therapist, TEST_PASSWORD)[1].status_code == 401  # The old one is dead.
    # 2. The administrator uses the link (no factor of the holder's is left to ask for)...
    assert use_link(app.test_client(), link).headers["Location"] == "/login"
    # 3. ...and signs in as the therapist: but records stay closed.
    client, response = sign_in(app, therapist)
    assert response.status_code == 302
    for path in (f"/sessions/{session_id}", f"/patients/{patient_id}", "/patients/",
                 "/search?q=Maya", f"/patients/{patient_id}/export.json"):
        response = client.get(path)
        assert response.status_code == 403, path
        assert PRIVATE not in response.get_data(as_text=True)
    assert "another administrator" in client.get("/patients/").get_data(as_text=True)
    # 4. The same administrator cannot confirm the holder themselves.
    assert admin_post(admin_client, therapist.id, "confirm-recovery").status_code == 302
    assert client.get(f"/sessions/{session_id}").status_code == 403


def test_a_password_link_needs_the_holders_code_when_they_have_two_factor(
        app, admin, therapist, enrol, login_as, notes):
    _patient_id, session_id = notes
    enrol(therapist)
    admin_client = login_as(admin)
    link = reset_link(admin_client, therapist.id)
    # The administrator has the link but not the phone: refused, 401, nothing set.
    response = use_link(app.test_client(), link, code="123456")
    assert response.status_code == 401
    assert use_link(app.test_client(), link).status_code == 401  # No code at all.
    assert sign_in(app, therapist)[1].status_code == 401
    # Resetting two-factor login afterwards does not make the earlier link do more: it is
    # checked when used, and with nothing of the holder's left the records stay closed.
    admin_post(admin_client, therapist.id, "reset-two-factor")
    assert use_link(app.test_client(), link).status_code == 302
    client, _ = sign_in(app, therapist)
    assert client.get(f"/sessions/{session_id}").status_code == 403


def test_the_holder_sets_a_password_with_the_link_and_their_own_code(
        app, admin, therapist, enrol, login_as, notes):
    _patient_id, session_id = notes
    enrol(therapist)
    link = reset_link(login_as(admin), therapist.id)
    new = "my own new passphrase"
    response = use_link(app.test_client(), link, new, unused_code(app, therapist.id))
    assert response.headers["Location"] == "/login"
    assert app.test_client().get(link).status_code == 404  # Once only.
    client = login_as(therapist, password=new)
    assert PRIVATE in client.get(f"/sessions/{session_id}").get_data(as_text=True)


def test_a_second_administrator_confirms_and_the_reads_are_attributed_and_told(
        app, admin, therapist, make_user, login_as, notes):
    patient_id, session_id = notes
    second = make_user(email="second@example.org", name="Ben Admin", is_admin=True)
    admin_client = login_as(admin)
    link = reset_link(admin_client, therapist.id)  # The therapist has no two-factor login.
    assert use_link(app.test_client(), link).status_code == 302
    assert "another administrator" in admin_client.get("/admin/users").get_data(as_text=True)
    client, _ = sign_in(app, therapist)
    assert client.get(f"/sessions/{session_id}").status_code == 403

    assert admin_post(login_as(second), therapist.id, "confirm-recovery").status_code == 302
    client, _ = sign_in(app, therapist)
    assert PRIVATE in client.get(f"/sessions/{session_id}").get_data(as_text=True)
    with app.app_context():
        actions = get_db().scalars(select(AuditEvent.action).where(
            AuditEvent.actor_id == therapist.id, AuditEvent.patient_id == patient_id)).all()
    assert "reset view sessions.show" in actions
    page = client.get(f"/patients/{patient_id}/care-team").get_data(as_text=True)
    assert "Seen after an account reset" in page and therapist.name in page
