import re

import pytest
from sqlalchemy import func, select

from tests.support.forms import post_form
from tests.support.patients import add_patient
from tests.support.users import TEST_PASSWORD
from tracker.db import get_db
from tracker.models import User

TEMPORARY_PASSWORD_RE = re.compile(r'<code id="temporary-password">([^<]+)</code>')


@pytest.fixture
def admin_client(admin, login_as):
    return login_as(admin)


def temporary_password(response) -> str:
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    match = TEMPORARY_PASSWORD_RE.search(response.get_data(as_text=True))
    assert match, response.get_data(as_text=True)[:2000]
    return match.group(1)


def load_user(app, email) -> User | None:
    with app.app_context():
        return get_db().scalar(select(User).where(User.email == email))


def user_count(app) -> int:
    with app.app_context():
        return get_db().scalar(select(func.count()).select_from(User))


def log_in(app, email, password):
    client = app.test_client()
    return client, post_form(client, "/login", {"email": email, "password": password})


def email_errors(page: str) -> str:
    match = re.search(r'<ul class="field__errors" id="email-error">(.*?)</ul>', page, re.S)
    return match.group(1) if match else ""


def admin_post(admin_client, user_id, action):
    """The action's button, then its confirmation page's (issue 13: they are confirmed)."""
    return post_form(admin_client, f"/admin/users/{user_id}/{action}",
                     {"confirmed": "yes"}, form_path="/admin/users")


def test_admin_lists_accounts(admin, therapist, admin_client):
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "Test Therapist" in page and "therapist@example.org" in page
    assert "Ada Admin" in page and "Administrator" in page
    assert "Disable Test Therapist" in page
    assert "Disable Ada Admin" not in page  # No button to lock oneself out.


def test_creating_an_account_shows_a_temporary_password_once(app, admin_client):
    response = post_form(
        admin_client, "/admin/users/new", {"name": "Noor Haddad", "email": " Noor@Example.org "}
    )
    password = temporary_password(response)
    assert len(password) >= 12
    assert "Noor Haddad" in response.get_data(as_text=True)
    created = load_user(app, "noor@example.org")
    assert created.name == "Noor Haddad"
    assert created.must_change_password and not created.is_admin
    assert password not in created.password_hash
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "noor@example.org" in page and "Temporary password" in page
    assert password not in page


def test_a_new_account_logs_in_and_must_choose_its_own_password(app, admin_client):
    password = temporary_password(
        post_form(
            admin_client, "/admin/users/new", {"name": "Noor Haddad", "email": "noor@example.org"}
        )
    )
    client, response = log_in(app, "noor@example.org", password)
    assert response.status_code == 302
    forced = client.get("/patients/")
    assert forced.status_code == 302
    assert forced.headers["Location"] == "/account/password"
    response = post_form(
        client,
        "/account/password",
        {
            "current_password": password,
            "new_password": "noor's own passphrase",
            "confirm": "noor's own passphrase",
        },
    )
    assert response.headers["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200
    assert not load_user(app, "noor@example.org").must_change_password
    assert log_in(app, "noor@example.org", password)[1].status_code == 401


def test_the_administrator_box_creates_an_administrator(app, admin_client):
    post_form(
        admin_client,
        "/admin/users/new",
        {"name": "Second Admin", "email": "boss@example.org", "is_admin": "y"},
    )
    assert load_user(app, "boss@example.org").is_admin


@pytest.mark.parametrize(
    "email, message",
    [
        ("THERAPIST@example.org", "An account with this email already exists."),
        ("therapist@example.org", "An account with this email already exists."),
        ("not-an-email", "Invalid email address."),
        ("two@@example.org", "Invalid email address."),
        ("", "This field is required."),
    ],
)
def test_bad_emails_are_refused_next_to_the_field(app, therapist, admin_client, email, message):
    before = user_count(app)
    response = post_form(admin_client, "/admin/users/new", {"name": "Someone New", "email": email})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in email_errors(page)
    assert 'value="Someone New"' in page
    assert 'id="temporary-password"' not in page
    assert user_count(app) == before


def test_disabling_signs_the_therapist_out_and_locks_them_out(
    app, therapist, therapist_client, admin_client
):
    assert therapist_client.get("/patients/").status_code == 200
    response = admin_post(admin_client, therapist.id, "disable")
    assert response.headers["Location"] == "/admin/users"

    signed_out = therapist_client.get("/patients/")
    assert signed_out.status_code == 302
    assert signed_out.headers["Location"].startswith("/login")
    assert log_in(app, therapist.email, TEST_PASSWORD)[1].status_code == 401
    page = admin_client.get("/admin/users").get_data(as_text=True)
    assert "is disabled" in page
    assert '<span class="badge badge--muted">Disabled</span>' in page
    assert "Enable Test Therapist" in page

    admin_post(admin_client, therapist.id, "enable")
    assert not load_user(app, therapist.email).is_disabled
    client, response = log_in(app, therapist.email, TEST_PASSWORD)
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 200


def test_an_admin_cannot_disable_itself(app, admin, admin_client):
    response = post_form(
        admin_client,
        f"/admin/users/{admin.id}/disable",
        {"confirmed": "yes"},
        form_path="/admin/users",
        follow_redirects=True,
    )
    assert "You cannot disable your own account." in response.get_data(as_text=True)
    assert not load_user(app, admin.email).is_disabled
    assert admin_client.get("/admin/users").status_code == 200


@pytest.mark.parametrize("user_id", [999999, 2**31, 10**18 - 1])
def test_an_unknown_account_is_not_found(admin_client, user_id):
    for action in ["disable", "enable", "reset-password"]:
        assert admin_post(admin_client, user_id, action).status_code == 404, action


def test_reset_password_ends_sessions_and_gives_a_link_not_a_password(
    app, therapist, therapist_client, admin_client
):
    response = admin_post(admin_client, therapist.id, "reset-password")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "Password reset" in page and 'id="temporary-password"' not in page
    link = re.search(r'<code id="reset-link">[^<]*(/set-password\?token=[^<]+)</code>',
                     page).group(1)

    assert therapist_client.get("/patients/").status_code == 302
    assert log_in(app, therapist.email, TEST_PASSWORD)[1].status_code == 401
    client = app.test_client()
    response = post_form(client, link, {"new_password": "chosen by the holder",
                                        "confirm": "chosen by the holder"})
    assert response.headers["Location"] == "/login"
    assert log_in(app, therapist.email, "chosen by the holder")[1].status_code == 302
    assert link not in admin_client.get("/admin/users").get_data(as_text=True)


def test_an_admin_cannot_reset_its_own_password_here(app, admin, admin_client):
    response = admin_post(admin_client, admin.id, "reset-password")
    assert response.status_code == 302
    assert 'id="temporary-password"' not in response.get_data(as_text=True)
    assert admin_client.get("/admin/users").status_code == 200
    assert log_in(app, admin.email, TEST_PASSWORD)[1].status_code == 302


def test_admins_do_not_see_other_therapists_patients(app, therapist, admin_client):
    patient_id = add_patient(app, therapist, "Secret Person", record_number="SECRET-42")
    for path in [f"/patients/{patient_id}", f"/patients/{patient_id}/edit"]:
        response = admin_client.get(path)
        assert response.status_code == 404, path
        assert "Secret Person" not in response.get_data(as_text=True)
    response = post_form(admin_client, f"/patients/{patient_id}/archive", form_path="/patients/")
    assert response.status_code == 404
    listing = admin_client.get("/patients/?q=secret").get_data(as_text=True)
    assert "Secret Person" not in listing
    assert "Secret Person" not in admin_client.get("/admin/users").get_data(as_text=True)


def test_a_concurrent_duplicate_email_is_refused_not_a_500(app, make_user):
    """The unique constraint is the last line: the check before the insert can race."""
    from sqlalchemy import event

    from tracker.auth import services
    from tracker.auth.models import User

    make_user(email="taken@example.org")
    with app.app_context():
        db = get_db()
        # Make the pre-check miss, as if the other request committed just after it ran.
        skip_once = {"done": False}

        @event.listens_for(db, "do_orm_execute")
        def hide_existing(state):
            if not skip_once["done"] and state.is_select:
                skip_once["done"] = True
                state.statement = state.statement.where(User.id < 0)

        with pytest.raises(services.AccountError):
            services.create_user(db, email="taken@example.org", name="Twin",
                                 password="x" * 12)
        db.rollback()
