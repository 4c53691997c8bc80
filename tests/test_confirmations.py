"""Actions hard to take back ask first (issue 13): disabling an account, resetting its
password or two-factor login, archiving a patient, revoking care-team access. The step works
without JavaScript (a page and a form) and names what will happen; archiving and revoking
offer their undo on the page that follows."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.support.care_team import team_member
from tests.support.database import database
from tests.support.forms import only_post_form, post_with_token, text_of
from tests.support.patients import add_patient
from tests.support.users import load_user
from tracker.care_team.models import CareTeamMember
from tracker.patients.models import Patient


def _asked(response, *phrases: str) -> dict:
    """The confirmation page: it names what will happen; returns its form."""
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = text_of(html)
    for phrase in phrases:
        assert phrase in text, phrase
    form = only_post_form(html)
    assert form["confirmed"] == "yes"
    return form


@pytest.mark.parametrize(("action", "phrases"), [
    ("disable", ["Disable the account of Test Therapist?", "can no longer sign in"]),
    ("reset-password", ["Reset the password of Test Therapist?", "one-time link"]),
    ("reset-two-factor", ["Reset the two-factor login of Test Therapist?",
                          "set two-factor login up again"]),
])
def test_account_actions_ask_first_and_change_nothing_until_confirmed(
        app, admin, login_as, therapist, action, phrases):
    admin_client = login_as(admin)
    before = load_user(app, therapist.id).password_hash
    path = f"/admin/users/{therapist.id}/{action}"
    form = _asked(post_with_token(admin_client, path), *phrases)
    account = load_user(app, therapist.id)
    assert not account.is_disabled and account.password_hash == before
    assert admin_client.post(path, data=form).status_code in (200, 302)
    after = load_user(app, therapist.id)
    assert after.is_disabled or after.password_hash != before or action == "reset-two-factor"


def test_archiving_asks_then_offers_its_undo(app, therapist, therapist_client):
    patient_id = add_patient(app, therapist, "Maya Okafor")
    path = f"/patients/{patient_id}/archive"
    form = _asked(post_with_token(therapist_client, path), "Archive Maya Okafor?",
                  "nothing is deleted")
    with database(app) as db:
        assert not db.get(Patient, patient_id).is_archived
    response = therapist_client.post(path, data=form)
    page = therapist_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Maya Okafor was archived." in text_of(page)
    undo = re.search(r'<form method="post" action="([^"]+)" class="inline-form" id="undo">\s*'
                     r'<input type="hidden" name="csrf_token" value="([^"]+)">', page)
    assert undo.group(1) == f"/patients/{patient_id}/restore"
    therapist_client.post(undo.group(1), data={"csrf_token": undo.group(2)})
    with database(app) as db:
        assert not db.get(Patient, patient_id).is_archived
    # Offered once: the next page no longer shows it.
    assert "was archived" not in therapist_client.get(f"/patients/{patient_id}").get_data(
        as_text=True)


def test_revoking_asks_then_offers_to_share_again(app, therapist, therapist_client, make_user):
    colleague = make_user(email="chen@example.org", name="Jordan Chen")
    patient_id = add_patient(app, therapist, "Maya Okafor")
    with database(app) as db:
        member = team_member(patient_id, colleague.id, "write", added_by=therapist.id,
                             relationship="prescriber")
        db.add(member)
        db.commit()
        member_id = member.id
    path = f"/patients/{patient_id}/care-team/{member_id}/revoke"
    form = _asked(post_with_token(therapist_client, path), "Revoke the access of Jordan Chen?",
                  "no longer sees Maya Okafor's record")
    response = therapist_client.post(path, data=form)
    page = therapist_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Jordan Chen no longer has access to this patient." in text_of(page)
    undo = re.search(r'<form method="post" action="([^"]+)" class="inline-form" id="undo">'
                     r'(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', undo.group(2)))
    assert therapist_client.post(undo.group(1), data=fields).status_code == 302
    with database(app) as db:
        current = db.scalars(select(CareTeamMember).where(
            CareTeamMember.patient_id == patient_id, CareTeamMember.revoked_at.is_(None))).all()
        assert [(m.user_id, m.role, m.relationship_) for m in current] == [
            (colleague.id, "write", "prescriber")]
