"""A request to the session page without a valid CSRF token changes nothing (issue 14, item
4). A same-site page (another app on the practice's domain, a planted HTML file) can make the
signed-in therapist's browser post the session form; it cannot read the token. Such a post
used to be kept as a "conflict copy" in the victim's own drafts: planted text they were then
invited to save, and a copy that blocked signing."""

from __future__ import annotations

import pytest

from tests.support.database import count, database, snapshot
from tests.support.forms import text_of
from tests.support.sessions import edit_page, save
from tracker.sessions.models import SessionDraft, TherapySession

PLANTED = "Planted by another page: patient disclosed nothing of note."


def forged(form: dict, token: str | None) -> dict:
    """The posted fields an attacker can guess (all of them: the page's shape is public),
    without the token, or with one that is not the victim's."""
    data = {k: v for k, v in form.items() if k != "csrf_token"}
    data.update(summary=PLANTED, private_notes=PLANTED)
    if token is not None:
        data["csrf_token"] = token
    return data


@pytest.mark.parametrize("token", [None, "", "forged.token.value"],
                         ids=["missing", "empty", "forged"])
def test_a_post_without_a_valid_token_leaves_no_copy_in_the_victims_drafts(
        app, practice, token):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    before = snapshot(app)

    response = save(practice.client, sid, forged(form, token))

    assert response.status_code == 400
    page = text_of(response.get_data(as_text=True))
    assert "nothing was saved" in page.lower()
    assert PLANTED not in response.get_data(as_text=True)
    with database(app) as db:
        assert count(db, SessionDraft) == 0
        assert db.get(TherapySession, sid).summary == ""
    assert snapshot(app) == before  # Not a row changed anywhere (audit events included).
    html, _ = edit_page(practice.client, sid)
    assert PLANTED not in html and "unsaved copy" not in html.lower()


def test_the_other_session_forms_refuse_a_forged_post_without_keeping_it(app, practice):
    sid = practice.start("preparation", 2)
    _, form = edit_page(practice.client, sid)
    before = snapshot(app)
    for path in (f"/sessions/{sid}/autosave", f"/sessions/{sid}/added/theme/1/remove",
                 f"/sessions/{sid}/sign", f"/sessions/{sid}/drafts/1/discard"):
        response = practice.client.post(path, data=forged(form, None))
        assert response.status_code == 400, path
    assert snapshot(app) == before
