"""Error pages, request limits, security headers and the health check."""

import logging

import pytest

from tests.support.forms import post_form
from tracker import create_app


def test_unknown_page_is_a_404_in_the_apps_look(client):
    response = client.get("/no/such/page")
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Not found" in page and "KAP Tracker" in page


def test_missing_csrf_token_is_a_400(therapist_client):
    response = therapist_client.post("/patients/new", data={"display_name": "No token"})
    assert response.status_code == 400
    assert "Something in the request was not right" in response.get_data(as_text=True)


def test_oversized_request_is_a_413(therapist_client):
    response = post_form(
        therapist_client,
        "/patients/new",
        {"display_name": "Big", "treatment_intentions": "x" * (2 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert "Too large" in response.get_data(as_text=True)


@pytest.fixture
def failing_app(app_config, tmp_path, monkeypatch):
    """An app with a route that fails the way a bug would, outside testing mode."""
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    config = dict(app_config, TESTING=False)
    application = create_app(config)

    def explode():
        raise ValueError("patient said: I have to earn love")

    application.add_url_rule("/explode", "explode", explode)
    application.config["PROPAGATE_EXCEPTIONS"] = False
    return application


def test_unexpected_error_is_a_generic_500_without_clinical_text(
    failing_app, make_user, login_as, caplog
):
    # The route is not on the allow-list, so the request must be signed in.
    client = login_as(make_user(), client=failing_app.test_client())
    with caplog.at_level(logging.ERROR):
        response = client.get("/explode")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "earn love" not in page and "Traceback" not in page
    assert "ValueError" in caplog.text
    assert "earn love" not in caplog.text


def test_security_headers_on_every_response(client):
    for path in ("/login", "/healthz", "/no/such/page"):
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "object-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
        assert "unsafe-inline" not in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert "camera=()" in headers["Permissions-Policy"]
        assert headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_are_not_cached(therapist_client):
    assert therapist_client.get("/patients/").headers["Cache-Control"] == "no-store"


def test_templates_have_no_inline_scripts_or_styles(app):
    import re
    from pathlib import Path

    folder = Path(app.template_folder)
    for template in folder.rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template
        assert "style=" not in text and "<style" not in text, template


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    answer = response.get_json()
    assert (answer["status"], answer["database"]) == ("ok", "ok")
    assert isinstance(answer["csp_violations"], dict)  # Counts by directive name only.


def test_healthz_reports_an_unreachable_database(app_config, tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    broken = create_app(
        dict(app_config, DATABASE_URL=f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    )
    response = broken.test_client().get("/healthz")
    answer = response.get_json()
    assert response.status_code == 503
    assert (answer["status"], answer["database"]) == ("error", "unavailable")


def test_static_files_are_served_without_login(client):
    response = client.get("/static/css/app.css")
    assert response.status_code == 200
    assert "text/css" in response.headers["Content-Type"]


def test_the_error_page_survives_a_database_failure(app_config, tmp_path, monkeypatch):
    """When the database itself fails, the 500 page must not need it (for the user menu)."""
    from tracker import migrate
    from tracker.auth import services as accounts
    from tracker.db import get_db

    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    path = tmp_path / "own.sqlite3"
    app = create_app(dict(app_config, TESTING=False, DATABASE_URL=f"sqlite:///{path}"))
    app.config["PROPAGATE_EXCEPTIONS"] = False
    migrate.upgrade(app.extensions["tracker.engine"])
    with app.app_context():
        accounts.create_user(get_db(), email="t@example.org", name="T", password="x" * 12)
        get_db().commit()
    client = app.test_client()
    post_form(client, "/login", {"email": "t@example.org", "password": "x" * 12})
    assert client.get("/patients/").status_code == 200
    app.extensions["tracker.engine"].dispose()
    app.extensions["tracker.read_engine"].dispose()
    path.rename(tmp_path / "gone.sqlite3")
    path.mkdir()  # Now a folder: every connection fails.
    response = client.get("/patients/")
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_request_logs_lose_query_strings(app):
    import logging

    from tracker.logs import RedactQueryStrings

    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1, '%s - - [%s] %s',
                               ("127.0.0.1", "date", '"GET /patients/?q=okafor HTTP/1.1" 200 -'),
                               None)
    RedactQueryStrings().filter(record)
    assert "okafor" not in record.getMessage()
    assert '"GET /patients/?…' in record.getMessage()
    assert any(isinstance(f, RedactQueryStrings) for f in logging.getLogger("werkzeug").filters)
