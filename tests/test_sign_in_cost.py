"""What every signed-in request pays (issue 17): the sign-in check is one statement on one
connection, the cookie is signed again only when the session changed or the login record
was touched, and the rate limiter does nothing on requests it does not guard."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import event, select, update

from tests.support.database import database
from tests.support.forms import csrf_token
from tests.support.queries import data_statements
from tracker.auth.login_sessions import TOUCH_INTERVAL
from tracker.auth.models import LoginSession, User
from tracker.db import utcnow

COOKIE = "tracker_session"


@pytest.fixture
def hello(app_config):
    """The benchmark's hello route: the sign-in check, the headers, and nothing else."""
    app_config["BENCH_HELLO_ROUTE"] = True


def _last_seen(app):
    with database(app) as db:
        return db.scalar(select(LoginSession.last_seen_at))


def _used_ago(app, age: timedelta) -> None:
    with database(app) as db:
        db.execute(update(LoginSession).values(last_seen_at=utcnow() - age))
        db.commit()


def _sets_cookie(response) -> bool:
    return any(value.startswith(f"{COOKIE}=") for value in response.headers.getlist("Set-Cookie"))


def test_the_sign_in_check_is_one_statement_on_one_connection(
        hello, app, therapist, login_as, count_queries):
    client = login_as(therapist)
    assert client.get("/bench/hello").status_code == 200  # The login's first touch.
    checkouts = []
    engine = app.extensions["tracker.engine"]

    def checked_out(*_args):
        checkouts.append(1)

    event.listen(engine, "checkout", checked_out)
    try:
        with count_queries() as statements:
            response = client.get("/bench/hello")
    finally:
        event.remove(engine, "checkout", checked_out)
    assert response.status_code == 200
    [sign_in] = data_statements(statements)
    # The account, its login record and the practice's two-factor requirement together.
    assert all(table in sign_in for table in ("users", "login_sessions", "practice_settings"))
    assert len(checkouts) == 1


@pytest.mark.parametrize("path", ["/patients/", "/account/time-zone", "/admin/users"])
def test_every_signed_in_page_reads_its_sign_in_once(app, admin, login_as, count_queries, path):
    client = login_as(admin)
    client.get(path)
    with count_queries() as statements:
        assert client.get(path).status_code == 200
    reads = data_statements(statements)
    assert sum("login_sessions" in s for s in reads) == 1
    assert not any("FROM users" in s and "login_sessions" not in s
                   and "WHERE users.id = " in s for s in reads)  # No second look.


def test_the_cookie_is_signed_again_only_when_the_login_is_touched(
        hello, app, therapist, login_as):
    client = login_as(therapist)
    client.get("/bench/hello")
    assert not _sets_cookie(client.get("/bench/hello"))  # Nothing changed: nothing sent.

    _used_ago(app, TOUCH_INTERVAL + timedelta(seconds=1))
    touched = client.get("/bench/hello")
    assert _sets_cookie(touched)  # Its age starts again with the record's.
    assert utcnow() - _last_seen(app) < timedelta(seconds=10)
    assert not _sets_cookie(client.get("/bench/hello"))


def test_a_touch_due_on_a_post_is_committed_with_it(app, therapist, login_as, caplog):
    """A POST holds SQLite's write lock from its first statement: a touch written apart would
    wait for it (the busy timeout), then be lost. It joins the request's transaction."""
    client = login_as(therapist)
    token = csrf_token(client, "/account/time-zone")
    _used_ago(app, TOUCH_INTERVAL + timedelta(seconds=1))
    with caplog.at_level(logging.WARNING, logger="tracker.auth.login_sessions"):
        response = client.post("/account/time-zone",
                               data={"csrf_token": token, "timezone": "Europe/Berlin"})
    assert response.status_code == 302
    assert "login record not updated" not in caplog.text
    assert utcnow() - _last_seen(app) < timedelta(seconds=10)
    with database(app) as db:
        assert db.get(User, therapist.id).timezone == "Europe/Berlin"


def test_a_post_signed_out_for_inactivity_ends_the_login(app, therapist, login_as):
    client = login_as(therapist)
    token = csrf_token(client, "/account/time-zone")
    _used_ago(app, timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1))
    response = client.post("/account/time-zone",
                           data={"csrf_token": token, "timezone": "Europe/Berlin"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    with database(app) as db:
        assert db.get(User, therapist.id).timezone is None
    assert client.get("/account/time-zone").status_code == 302  # Still refused.
    with database(app) as db:
        assert db.scalar(select(LoginSession.ended_reason)) == "idle"


def test_the_rate_limiter_has_no_hook_on_every_request(app):
    """Flask-Limiter's own before/after/teardown hooks looked for limits the app has none
    of on every request; the guarded POSTs count through tracker/limits.py alone."""
    hooks = [function for chain in (app.before_request_funcs, app.after_request_funcs,
                                    app.teardown_request_funcs)
             for functions in chain.values() for function in functions]
    assert hooks and not [f for f in hooks
                          if "flask_limiter" in getattr(f, "__module__", "")
                          or "flask_limiter" in getattr(getattr(f, "func", None),
                                                        "__module__", "")]
    assert app.extensions["tracker.limiter"].initialized
