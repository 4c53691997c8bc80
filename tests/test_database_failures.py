"""A failing database part never answers an empty 500 (issue 15): a PostgreSQL connection
killed in the middle of a request gives the error page, the log names the error without
SQL, and the next request succeeds."""

from __future__ import annotations

import logging
import os

import pytest
from sqlalchemy import text

from tracker import create_app
from tracker.db import get_db

postgres_only = pytest.mark.skipif(not os.environ.get("TRACKER_TEST_DATABASE_URL"),
                                   reason="PostgreSQL leg only (TRACKER_TEST_DATABASE_URL)")


@pytest.fixture
def cut_app(app_config, tmp_path, monkeypatch):
    """An app outside testing mode with a route whose connection is killed under it."""
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    application = create_app(dict(app_config, TESTING=False))
    application.config["PROPAGATE_EXCEPTIONS"] = False

    def cut():
        db = get_db()
        db.execute(text("SELECT pg_terminate_backend(pg_backend_pid())"))
        db.execute(text("SELECT 'never reached'"))
        return "unreachable"

    def cut_after():
        """The page is built; its connection is then killed from outside, before the
        request's audit event is written."""
        db = get_db()
        pid = db.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with application.extensions["tracker.engine"].connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        return "the page"

    application.add_url_rule("/cut", "cut", cut)
    application.add_url_rule("/cut-after", "cut_after", cut_after)
    return application


@postgres_only
# Killed before the page is built: the error page. Killed after: the page, and the request's
# end (its rollback on the dead connection) no longer turns it into an empty 500.
@pytest.mark.parametrize(("path", "status", "shown"), [
    ("/cut", 500, "Something went wrong"), ("/cut-after", 200, "the page")])
def test_a_connection_killed_mid_request_gives_the_error_page_and_then_recovers(
        cut_app, make_user, login_as, caplog, path, status, shown):
    client = login_as(make_user(), client=cut_app.test_client())
    with caplog.at_level(logging.INFO):
        response = client.get(path)
    assert response.status_code == status
    assert shown in response.get_data(as_text=True)
    assert "OperationalError" in caplog.text or "AdminShutdown" in caplog.text
    assert "SELECT" not in caplog.text and "pg_terminate_backend" not in caplog.text
    health = client.get("/healthz").get_json()
    assert (health["status"], health["database"]) == ("ok", "ok")
    assert client.get("/patients/").status_code == 200
