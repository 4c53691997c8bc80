from datetime import timedelta

from sqlalchemy import select, update

from tests.support.forms import csrf_token, post_form
from tests.support.users import TEST_PASSWORD
from tracker.db import get_db, utcnow
from tracker.models import LoginSession, User


def session_cookie(client):
    cookie = client.get_cookie("tracker_session")
    return cookie.value if cookie else None


def test_password_is_stored_as_argon2id(app, therapist):
    with app.app_context():
        stored = get_db().get(User, therapist.id).password_hash
    assert stored.startswith("$argon2id$")
    assert TEST_PASSWORD not in stored


def test_login_with_valid_credentials_reaches_patients(client, therapist):
    response = post_form(
        client, "/login", {"email": "Therapist@Example.org ", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/patients/"
    assert client.get("/patients/").status_code == 200


def test_wrong_password_is_refused_and_keeps_the_email(client, therapist):
    response = post_form(client, "/login", {"email": therapist.email, "password": "wrong"})
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "not correct" in page
    assert 'value="therapist@example.org"' in page
    assert client.get("/patients/").status_code == 302


def test_unknown_email_gets_the_same_answer(client, therapist):
    response = post_form(client, "/login", {"email": "nobody@example.org", "password": "x" * 12})
    assert response.status_code == 401
    assert "not correct" in response.get_data(as_text=True)


def test_login_form_validates_fields_next_to_them(client):
    response = post_form(client, "/login", {"email": "", "password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('class="field__errors"') == 2


def test_session_changes_at_login(client, therapist, app):
    client.get("/login")
    with client.session_transaction() as flask_session:
        flask_session["planted"] = "by an attacker"
    before = session_cookie(client)
    post_form(client, "/login", {"email": therapist.email, "password": TEST_PASSWORD})
    after = session_cookie(client)
    assert before and after and before != after
    with client.session_transaction() as flask_session:
        assert "planted" not in flask_session
    with app.app_context():
        assert len(get_db().scalars(select(LoginSession)).all()) == 1


def test_each_login_creates_a_new_server_side_session(app, login_as, therapist):
    first = login_as(therapist)
    second = login_as(therapist)
    assert session_cookie(first) != session_cookie(second)
    with app.app_context():
        records = get_db().scalars(select(LoginSession)).all()
    assert len(records) == 2
    # Only the hash of the token is stored.
    assert all(len(r.token_hash) == 64 for r in records)


def test_next_accepts_same_site_paths_only(client, therapist):
    for target, expected in [
        ("/patients/new", "/patients/new"),
        ("https://evil.example/x", "/patients/"),
        ("//evil.example/x", "/patients/"),
        ("/\\evil.example", "/patients/"),
        ("javascript:alert(1)", "/patients/"),
    ]:
        fresh = client.application.test_client()
        token = csrf_token(fresh, "/login")
        response = fresh.post(
            "/login",
            query_string={"next": target},
            data={"csrf_token": token, "email": therapist.email, "password": TEST_PASSWORD},
        )
        assert response.headers["Location"] == expected, target


def test_anonymous_request_is_sent_to_login_with_next(client):
    response = client.get("/patients/new")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/patients/new"


def test_replaying_a_cookie_after_logout_fails(therapist_client):
    saved = session_cookie(therapist_client)
    assert therapist_client.get("/patients/").status_code == 200
    response = post_form(therapist_client, "/logout", form_path="/patients/")
    assert response.status_code == 302
    assert therapist_client.get("/patients/").status_code == 302

    attacker = therapist_client.application.test_client()
    attacker.set_cookie("tracker_session", saved)
    response = attacker.get("/patients/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_logout_requires_post_with_csrf(therapist_client):
    assert therapist_client.get("/logout").status_code == 405
    assert therapist_client.post("/logout").status_code == 400
    assert therapist_client.get("/patients/").status_code == 200


def test_idle_timeout_ends_the_session(app, therapist_client):
    assert therapist_client.get("/patients/").status_code == 200
    with app.app_context():
        db = get_db()
        db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=16)))
        db.commit()
    assert therapist_client.get("/patients/").status_code == 302
    with app.app_context():
        record = get_db().scalar(select(LoginSession))
        assert record.ended_reason == "idle"


def test_activity_within_the_idle_window_keeps_the_session(app, therapist_client):
    with app.app_context():
        db = get_db()
        db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=14)))
        db.commit()
    assert therapist_client.get("/patients/").status_code == 200
    with app.app_context():
        record = get_db().scalar(select(LoginSession))
        assert utcnow() - record.last_seen_at < timedelta(minutes=1)


def test_idle_timeout_is_configurable(app_config, make_user, login_as, app):
    app.config["SESSION_IDLE_MINUTES"] = 5
    client = login_as(make_user())
    with app.app_context():
        db = get_db()
        db.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=6)))
        db.commit()
    assert client.get("/patients/").status_code == 302


def test_absolute_lifetime_ends_an_active_session(app, therapist_client):
    with app.app_context():
        record = get_db().scalar(select(LoginSession))
        assert (
            timedelta(hours=11, minutes=59)
            < record.expires_at - record.created_at
            <= (timedelta(hours=12))
        )
        db = get_db()
        db.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
        db.commit()
    assert therapist_client.get("/patients/").status_code == 302


def test_changing_the_password_ends_every_other_session(app, login_as, therapist):
    here = login_as(therapist)
    elsewhere = login_as(therapist)
    old_cookie = session_cookie(here)
    response = post_form(
        here,
        "/account/password",
        {
            "current_password": TEST_PASSWORD,
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    assert response.status_code == 302
    assert here.get("/patients/").status_code == 200
    assert elsewhere.get("/patients/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("tracker_session", old_cookie)
    assert replay.get("/patients/").status_code == 302
    fresh = app.test_client()
    assert (
        post_form(
            fresh, "/login", {"email": therapist.email, "password": TEST_PASSWORD}
        ).status_code
        == 401
    )
    assert (
        post_form(
            fresh, "/login", {"email": therapist.email, "password": "a brand new passphrase"}
        ).status_code
        == 302
    )


def test_changing_the_password_requires_the_current_one(therapist_client):
    response = post_form(
        therapist_client,
        "/account/password",
        {
            "current_password": "not my password",
            "new_password": "a brand new passphrase",
            "confirm": "a brand new passphrase",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "This is not your current password." in page


def test_new_password_must_be_long_and_confirmed(therapist_client):
    response = post_form(
        therapist_client,
        "/account/password",
        {"current_password": TEST_PASSWORD, "new_password": "short", "confirm": "different"},
    )
    page = response.get_data(as_text=True)
    assert "Use at least 12 characters." in page
    assert "The passwords differ." in page


def test_disabled_account_cannot_log_in(client, make_user):
    user = make_user(email="gone@example.org")
    with client.application.app_context():
        db = get_db()
        db.get(User, user.id).is_disabled = True
        db.commit()
    response = post_form(client, "/login", {"email": "gone@example.org", "password": TEST_PASSWORD})
    assert response.status_code == 401


def test_login_is_rate_limited_per_account(app, client, therapist):
    for _ in range(5):
        assert (
            post_form(client, "/login", {"email": therapist.email, "password": "wrong"}).status_code
            == 401
        )
    other_address = app.test_client()
    response = post_form(
        other_address,
        "/login",
        {"email": therapist.email, "password": TEST_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.9"},
    )
    assert response.status_code == 429
    assert "Too many attempts" in response.get_data(as_text=True)


def test_login_is_rate_limited_per_address(app, client, make_user):
    app.config["LOGIN_LIMIT_PER_ADDRESS"] = "3 per minute"
    for number in range(3):
        response = post_form(
            client, "/login", {"email": f"user{number}@example.org", "password": "wrong"}
        )
        assert response.status_code == 401
    response = post_form(client, "/login", {"email": "user9@example.org", "password": "wrong"})
    assert response.status_code == 429
    # Another address is not affected.
    response = post_form(
        app.test_client(),
        "/login",
        {"email": "user9@example.org", "password": "wrong"},
        environ_base={"REMOTE_ADDR": "10.0.0.7"},
    )
    assert response.status_code == 401


def test_cookie_flags(app_config, app, client, therapist):
    response = post_form(client, "/login", {"email": therapist.email, "password": TEST_PASSWORD})
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Expires=" in header  # Permanent for the absolute lifetime, not a browser session.


def test_reauthentication_is_rate_limited(therapist_client):
    wrong = {"current_password": "not my password", "new_password": "a brand new passphrase",
             "confirm": "a brand new passphrase"}
    for _ in range(5):
        assert post_form(therapist_client, "/account/password", wrong).status_code == 401
    right = dict(wrong, current_password=TEST_PASSWORD)
    assert post_form(therapist_client, "/account/password", right).status_code == 429


def test_the_account_limit_cannot_be_dodged_with_variants_of_the_email(app, client, therapist):
    for variant in ["therapist@example.org", "THERAPIST@example.org", " therapist@example.org",
                    "therap\x01ist@example.org", "therapist@example.org\x00"]:
        response = post_form(client, "/login", {"email": variant, "password": "wrong"})
        assert response.status_code == 401, variant
    other = app.test_client()
    response = post_form(other, "/login", {"email": "therapist\x02@example.org",
                                           "password": TEST_PASSWORD},
                         environ_base={"REMOTE_ADDR": "10.0.0.5"})
    assert response.status_code == 429


def test_a_json_body_is_not_read_as_a_form(app, client, therapist):
    token = csrf_token(client, "/login")
    response = client.post("/login", json={"email": therapist.email, "password": TEST_PASSWORD},
                           headers={"X-CSRFToken": token})
    assert response.status_code == 200  # The form saw no fields: nothing was signed in.
    assert client.get("/patients/").status_code == 302


def test_invalid_forms_and_successes_do_not_count_against_the_limit(client, therapist):
    for _ in range(6):
        assert post_form(client, "/login", {"email": "", "password": ""}).status_code == 200
    for _ in range(6):
        fresh = client.application.test_client()
        assert post_form(fresh, "/login", {"email": therapist.email,
                                           "password": TEST_PASSWORD}).status_code == 302


def test_sign_in_works_with_rate_limiting_switched_off(app_config, make_user, login_as, app):
    import gc

    from tracker import create_app

    config = dict(app_config, RATELIMIT_ENABLED=False)
    unlimited = create_app(config)
    gc.collect()  # The limiter must not depend on a reference nobody keeps.
    user = make_user(email="free@example.org")
    client = login_as(user, client=unlimited.test_client())
    assert client.get("/patients/").status_code == 200
