"""Smaller holes an attacker found (issue 14, item 9): JSON answers a cache could keep, an
autosave that stored a 900 kB field, state-changing requests from another origin over plain
HTTP, and CSP violations nobody heard of."""

from __future__ import annotations

import json
import logging

import pytest

from tests.support.database import count, database, snapshot
from tests.support.sessions import edit_page, save
from tracker.headers import csp_violations
from tracker.sessions.models import SessionDraft, TherapySession

# Cache-Control on JSON ---------------------------------------------------------------------


def test_every_json_answer_is_no_store(app, practice):
    client = practice.client
    sid = practice.start("preparation", 2)
    _, form = edit_page(client, sid)
    answers = {
        "saved": client.post(f"/sessions/{sid}/autosave", data=form),
        "csrf": client.post(f"/sessions/{sid}/autosave",
                            data={k: v for k, v in form.items() if k != "csrf_token"}),
        "invalid": client.post(f"/sessions/{sid}/autosave", data={**form, "editor_id": "x"}),
        "token": client.get("/account/csrf-token"),
        "health": client.get("/healthz"),
    }
    for name, response in answers.items():
        assert response.mimetype == "application/json", name
        assert response.headers.get("Cache-Control") == "no-store", name
    assert answers["token"].get_json()["csrf_token"]


# The size of an autosaved draft ------------------------------------------------------------


@pytest.mark.parametrize(("field", "size"), [("summary", 900_000), ("private_notes", 60_000)],
                         ids=["900 kB summary", "60 kB notes"])
def test_an_oversized_autosave_is_refused_with_a_clear_json_error(app, practice, field, size):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    form[field] = "x" * size

    # As the page's script sends it: multipart form data (FormData).
    response = practice.client.post(f"/sessions/{sid}/autosave", data=form,
                                    content_type="multipart/form-data")

    assert response.status_code == 413
    answer = response.get_json()
    assert answer["status"] == "too_large"
    assert "not saved" in answer["message"].lower() and "shorten" in answer["message"].lower()
    assert response.headers["Cache-Control"] == "no-store"
    with database(app) as db:
        assert count(db, SessionDraft) == 0


def test_a_form_with_an_oversized_field_is_not_kept_as_a_draft_either(app, practice):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    form["summary"] = "x" * 300_000  # Refused by the form (20,000 at most) and not stored.
    response = save(practice.client, sid, form)
    assert response.status_code == 200
    with database(app) as db:
        assert count(db, SessionDraft) == 0
        assert db.get(TherapySession, sid).summary == ""


def test_a_draft_of_a_normal_size_is_still_saved(app, practice):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    form["private_notes"] = "y" * 50_000  # The longest field the form accepts.
    response = practice.client.post(f"/sessions/{sid}/autosave", data=form,
                                    content_type="multipart/form-data")
    assert response.get_json()["status"] == "saved"


# Origin ------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin", ["http://evil.example", "http://localhost.evil.example",
                                    "null", "https://localhost:8443"])
def test_a_state_changing_request_from_another_origin_is_refused_over_plain_http(
        app, practice, origin):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)  # A valid token: only the Origin is wrong.
    before = snapshot(app)
    form["summary"] = "Sent from another origin."
    response = practice.client.post(f"/sessions/{sid}/edit", data={**form, "save": "1"},
                                    headers={"Origin": origin},
                                    base_url="http://localhost")
    assert response.status_code == 403
    assert "another site" in response.get_data(as_text=True)
    assert snapshot(app) == before


@pytest.mark.parametrize(("fetch_site", "status"), [("same-origin", 302), ("cross-site", 403),
                                                    ("none", 403), (None, 403)])
def test_origin_null_passes_only_from_a_page_of_this_site(app, practice, fetch_site, status):
    """The patient's pages send no Referer (Referrer-Policy: no-referrer), so their forms
    post with Origin "null": the browser's Sec-Fetch-Site tells them from a sandboxed frame."""
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    headers = {"Origin": "null", **({"Sec-Fetch-Site": fetch_site} if fetch_site else {})}
    response = practice.client.post(f"/sessions/{sid}/edit", data={**form, "save": "1"},
                                    headers=headers)
    assert response.status_code == status


def test_the_same_origin_and_no_origin_pass(app, practice):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    same = practice.client.post(f"/sessions/{sid}/autosave", data=form,
                                headers={"Origin": "http://localhost"})
    assert same.get_json()["status"] == "saved"
    absent = practice.client.post(f"/sessions/{sid}/autosave", data=form)
    assert absent.get_json()["status"] == "saved"


# CSP reports -------------------------------------------------------------------------------

SECRET_SAMPLE = "patient-name-in-a-sample"


def test_the_csp_names_a_report_endpoint_for_new_and_older_browsers(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "report-uri /csp-report" in csp and "report-to csp" in csp
    assert response.headers["Reporting-Endpoints"] == 'csp="/csp-report"'


def test_csp_reports_are_counted_by_directive_and_nothing_else_is_kept(app, client, caplog):
    before = snapshot(app)
    start = dict(csp_violations(app))
    legacy = {"csp-report": {"document-uri": f"http://localhost/patients/1?{SECRET_SAMPLE}",
                             "violated-directive": "script-src-elem",
                             "blocked-uri": f"https://evil.example/{SECRET_SAMPLE}.js",
                             "script-sample": SECRET_SAMPLE}}
    modern = [{"type": "csp-violation", "url": f"http://localhost/{SECRET_SAMPLE}",
               "body": {"effectiveDirective": "style-src-attr", "sample": SECRET_SAMPLE,
                        "blockedURL": "inline"}},
              {"type": "csp-violation", "body": {"effectiveDirective": SECRET_SAMPLE}}]
    with caplog.at_level(logging.INFO):
        answers = [
            client.post("/csp-report", data=json.dumps(legacy),
                        content_type="application/csp-report"),
            client.post("/csp-report", data=json.dumps(modern),
                        content_type="application/reports+json"),
            client.post("/csp-report", data="not json", content_type="application/json"),
        ]
    assert [a.status_code for a in answers] == [204, 204, 204]
    counted = csp_violations(app)
    assert counted["script-src-elem"] == start.get("script-src-elem", 0) + 1
    assert counted["style-src-attr"] == start.get("style-src-attr", 0) + 1
    assert counted["other"] == start.get("other", 0) + 1  # An unknown name is not kept.
    assert SECRET_SAMPLE not in caplog.text and "evil.example" not in caplog.text
    assert "script-src-elem" in caplog.text
    assert snapshot(app) == before
    health = client.get("/healthz").get_json()
    assert health["csp_violations"]["script-src-elem"] >= 1
    assert SECRET_SAMPLE not in json.dumps(health)
