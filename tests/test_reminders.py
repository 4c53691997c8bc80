"""Reminders by email (issue 16, optional): `send-reminders` emails each patient with a
questionnaire due or no check-in for CHECKIN_REMINDER_DAYS a neutral line, once per due item,
through the practice's SMTP server (here a local aiosmtpd the test starts; never an outside
one), and nothing at all without MAIL_SERVER."""

from __future__ import annotations

import secrets
import smtplib
from datetime import timedelta
from email import message_from_string
from email.policy import default

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from tests.support.checkins import db_checkin, db_link, db_schedule, patient_with_plan
from tests.support.database import database
from tests.support.forms import field_errors, form_fields
from tests.support.server import free_port
from tracker import dates
from tracker.audit.models import AuditEvent
from tracker.checkins import reminders
from tracker.checkins.models import CheckinLink, QuestionnaireSchedule, ReminderSent
from tracker.db import utcnow
from tracker.patients.models import Patient

# What a reminder must never hold: instruments, conditions, scores, clinical words.
CLINICAL_WORDS = ("phq", "gad", "pcl", "depress", "anxi", "ptsd", "trauma", "ketamine",
                  "dos", "mood", "score", "safety", "suicid", "harm", "crisis", "symptom",
                  "questionnaire", "treatment", "therapy session", "integration")


class Inbox:
    """An aiosmtpd handler: keeps what it accepts, refuses the addresses in `refuse`."""

    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 Message accepted for delivery"


@pytest.fixture
def inbox(app):
    """A local SMTP server, and the app configured to send through it."""
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_TLS=False,
                      MAIL_FROM="reminders@practice.example", PRACTICE_NAME="Riverside Practice")
    yield handler
    controller.stop()


def patient_due(app, therapist, name: str, address: str | None, **link_changes) -> int:
    """A patient whose PHQ-9 fell due yesterday and who has not checked in since the link
    was made five days ago: two due items."""
    plan = patient_with_plan(app, therapist, name)
    with database(app) as db:
        link = db_link(db, plan.patient_id, therapist.id, token_hash=secrets.token_hex(32))
        link.created_at = utcnow() - timedelta(days=5)
        link.reminder_email = address
        for field, value in link_changes.items():
            setattr(link, field, value)
        db_schedule(db, plan.patient_id, therapist.id, "phq9", "every", 14,
                    starts_on=dates.today() - timedelta(days=1))
        db.commit()
    return plan.patient_id


def run(app):
    return app.test_cli_runner().invoke(args=["send-reminders"])


def sent_kinds(app) -> list[str]:
    with database(app) as db:
        return sorted(db.scalars(select(ReminderSent.kind)))


def reminder_events(app) -> list[tuple[int, str, int]]:
    with database(app) as db:
        return db.execute(select(AuditEvent.patient_id, AuditEvent.record_type,
                                 AuditEvent.record_id)
                          .where(AuditEvent.action == "checkin_reminder_sent")).all()


def test_a_reminder_is_sent_once_per_due_item_and_says_nothing_clinical(
        app, therapist, inbox):
    patient_id = patient_due(app, therapist, "Maya Okafor", "maya@example.org")

    result = run(app)

    assert result.exit_code == 0, result.output
    assert "1 sent, 0 skipped (already reminded), 0 failed" in result.output
    assert "maya@example.org" not in result.output
    [(recipients, content)] = inbox.messages
    assert recipients == ["maya@example.org"]
    email = message_from_string(content, policy=default)
    body = email.get_content()
    assert body.startswith("It's time for your check-in. Open the link your therapist gave "
                           "you.")
    assert "Riverside Practice" in body and email["From"] == "reminders@practice.example"
    assert email["Subject"] == "Check-in reminder"
    words = f"{email['Subject']} {body}".lower()
    assert [word for word in CLINICAL_WORDS if word in words] == []
    assert "maya" not in words and "okafor" not in words
    assert not any(char.isdigit() for char in words)  # No score, no date, no count.
    with database(app) as db:
        today = dates.today()
        link = db.scalar(select(CheckinLink))
        schedule_id = db.scalar(select(QuestionnaireSchedule.id))
    assert sent_kinds(app) == sorted([
        f"checkin:{(today - timedelta(days=2)).isoformat()}",
        f"questionnaire:{schedule_id}:{(today - timedelta(days=1)).isoformat()}"])
    assert reminder_events(app) == [(patient_id, "checkin_link", link.id)]

    again = run(app)

    assert again.exit_code == 0 and "0 sent, 1 skipped" in again.output
    assert len(inbox.messages) == 1


def test_nothing_is_sent_and_no_server_contacted_without_mail_server(
        app, therapist, monkeypatch):
    patient_due(app, therapist, "Maya Okafor", "maya@example.org")

    def no_connection(*args, **kwargs):
        raise AssertionError("an SMTP connection was attempted")

    monkeypatch.setattr(smtplib, "SMTP", no_connection)
    assert app.config["MAIL_SERVER"] is None  # The default: off.

    result = run(app)

    assert result.exit_code == 0 and "Reminders are off" in result.output
    assert sent_kinds(app) == [] and reminder_events(app) == []


def test_an_smtp_failure_leaves_that_reminder_unsent_and_the_others_go(
        app, therapist, inbox):
    patient_due(app, therapist, "Maya Okafor", "maya@example.org")
    other = patient_due(app, therapist, "Alex Kim", "alex@example.org")
    inbox.refuse = {"maya@example.org"}

    result = run(app)

    assert result.exit_code == 1
    assert "1 sent, 0 skipped (already reminded), 1 failed" in result.output
    assert "@" not in result.output
    assert [recipients for recipients, _ in inbox.messages] == [["alex@example.org"]]
    assert [patient for patient, *_ in reminder_events(app)] == [other]

    inbox.refuse = set()
    retried = run(app)

    assert retried.exit_code == 0 and "1 sent, 1 skipped" in retried.output
    assert [recipients for recipients, _ in inbox.messages][1] == ["maya@example.org"]


def test_an_unreachable_server_fails_every_reminder_and_records_none(app, therapist, inbox):
    patient_due(app, therapist, "Maya Okafor", "maya@example.org")
    app.config["MAIL_PORT"] = free_port()  # Nobody listens there.
    result = run(app)
    assert result.exit_code == 1 and "0 sent, 0 skipped (already reminded), 1 failed" \
        in result.output
    assert sent_kinds(app) == []


def test_only_live_links_with_an_address_of_active_patients_are_reminded(
        app, therapist, inbox):
    patient_due(app, therapist, "No Address", None)
    patient_due(app, therapist, "Revoked Link", "revoked@example.org", revoked_at=utcnow())
    patient_due(app, therapist, "Locked Link", "locked@example.org", locked_at=utcnow())
    patient_due(app, therapist, "Expired Link", "expired@example.org",
                expires_at=utcnow() - timedelta(minutes=1))
    archived = patient_due(app, therapist, "Archived Patient", "archived@example.org")
    patient_due(app, therapist, "Due Patient", "due@example.org")
    with database(app) as db:
        db.get(Patient, archived).status = "archived"
        db.commit()

    assert "1 sent" in run(app).output
    assert [recipients for recipients, _ in inbox.messages] == [["due@example.org"]]


def test_a_questionnaire_due_again_or_a_new_quiet_spell_is_a_new_due_item(app, therapist):
    patient_due(app, therapist, "Maya Okafor", "maya@example.org")
    with database(app) as db:
        today = dates.today()
        [(_, _, _, now)] = reminders.due_kinds(db, today)
        [(_, _, _, later)] = reminders.due_kinds(db, today + timedelta(days=20))
        assert f"checkin:{(today - timedelta(days=2)).isoformat()}" in now
        assert f"checkin:{(today - timedelta(days=2)).isoformat()}" in later  # Same spell.
        assert [kind.rsplit(":", 1)[1] for kind in now + later
                if kind.startswith("questionnaire:")] == [
            (today - timedelta(days=1)).isoformat(), (today + timedelta(days=13)).isoformat()]

        db_checkin(db, db.scalar(select(CheckinLink)), today)
        db.commit()
        [(_, _, _, after_checkin)] = reminders.due_kinds(db, today + timedelta(days=20))
        assert f"checkin:{(today + timedelta(days=3)).isoformat()}" in after_checkin
        [(_, _, _, soon)] = reminders.due_kinds(db, today + timedelta(days=2))
        assert [kind for kind in soon if kind.startswith("checkin:")] == []  # Not quiet yet.


def test_the_reminder_address_is_asked_with_a_new_link_only_when_reminders_are_on(
        app, therapist, therapist_client):
    plan = patient_with_plan(app, therapist)
    page = f"/patients/{plan.patient_id}/between-sessions"
    action = f"/patients/{plan.patient_id}/checkin-link"
    assert "reminder_email" not in therapist_client.get(page).get_data(as_text=True)

    app.config["MAIL_SERVER"] = "127.0.0.1"
    form = form_fields(therapist_client.get(page).get_data(as_text=True), action=action)
    assert "reminder_email" in form
    refused = therapist_client.post(action, data={**form, "reminder_email": "not an address"})
    assert refused.status_code == 400
    assert field_errors(refused.get_data(as_text=True), "reminder_email")
    with database(app) as db:
        assert db.scalars(select(CheckinLink)).all() == []

    made = therapist_client.post(action, data={**form, "reminder_email": "maya@example.org"})

    assert made.status_code == 200 and 'class="checkin-code"' in made.get_data(as_text=True)
    with database(app) as db:
        assert db.scalar(select(CheckinLink.reminder_email)) == "maya@example.org"
    assert "to maya@example.org" in therapist_client.get(page).get_data(as_text=True)

    app.config["MAIL_SERVER"] = None  # Off: an address posted all the same is not kept.
    therapist_client.post(action, data={**form, "reminder_email": "maya@example.org"})
    with database(app) as db:
        live = db.scalar(select(CheckinLink).where(CheckinLink.revoked_at.is_(None)))
        assert live.reminder_email is None
