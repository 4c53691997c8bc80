"""Over plain HTTP reached by a host name, a Secure cookie never sticks and every sign-in
failed with "The form may have expired" (issue 13): the app says what is wrong and how to
fix it."""

from __future__ import annotations

import re

import pytest

from tests.support.forms import text_of
from tracker import create_app

PLAIN_HTTP = "http://tracker.practice.lan"


@pytest.fixture
def secure_app(app_config):
    return create_app({**app_config, "SESSION_COOKIE_SECURE": True})


def test_the_sign_in_page_says_why_signing_in_cannot_work_over_plain_http(secure_app):
    client = secure_app.test_client()
    page = text_of(client.get("/login", base_url=PLAIN_HTTP).get_data(as_text=True))
    assert "came over plain HTTP" in page and "TRACKER_SESSION_COOKIE_SECURE=false" in page
    for fine in ("https://tracker.practice.lan", "http://localhost:5000", "http://127.0.0.1"):
        page = text_of(client.get("/login", base_url=fine).get_data(as_text=True))
        assert "plain HTTP" not in page, fine


def test_the_refused_sign_in_names_the_cause_not_an_expired_form(secure_app):
    client = secure_app.test_client()
    page = client.get("/login", base_url=PLAIN_HTTP).get_data(as_text=True)
    token = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page).group(1)
    client.delete_cookie(secure_app.config["SESSION_COOKIE_NAME"], domain="tracker.practice.lan")
    response = client.post("/login", base_url=PLAIN_HTTP, data={
        "csrf_token": token, "email": "a@example.org", "password": "x" * 12})
    assert response.status_code == 400
    text = text_of(response.get_data(as_text=True))
    assert "came over plain HTTP" in text and "may have expired" not in text


def test_without_a_secure_cookie_nothing_is_said(app):
    page = app.test_client().get("/login", base_url=PLAIN_HTTP).get_data(as_text=True)
    assert "plain HTTP" not in page
