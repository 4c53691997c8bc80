"""Reminders by email (optional, off by default): `flask --app tracker send-reminders`, run by
a timer (deploy/kap-tracker-reminders.timer), emails each patient who has a questionnaire
due at home, or no check-in for CHECKIN_REMINDER_DAYS, while their link is live. Only
patients whose therapist entered an address when making the link are emailed. Without
MAIL_SERVER the command sends nothing and the app contacts no mail server at all.

What the email says: "It's time for your check-in. Open the link your therapist gave you.",
signed with PRACTICE_NAME. It names no condition, questionnaire, score or person, and it
does not hold the link: the link's token is stored only as its hash, so the app cannot
write it again (and an email is a poor place for it). The patient opens the link they were
given in session.

Each due item is reminded once (reminders_sent: one row per link and item, "questionnaire:
<schedule id>:<due date>" or "checkin:<the day the quiet spell reached the threshold>"):
one email per patient and run covers every item not yet reminded. The email is sent outside
any transaction; only once it was accepted is it recorded, with its audit event (ids only),
so that a failed one is tried again on the next run and never stops the others. Output:
counts only, never an address.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tracker import dates
from tracker.audit.hooks import append, record_command
from tracker.checkins import due as due_of
from tracker.checkins import signals
from tracker.checkins.models import ReminderSent
from tracker.db import get_db, utcnow

LINE = "It's time for your check-in. Open the link your therapist gave you."
SUBJECT = "Check-in reminder"
DEFAULT_PRACTICE = "Your therapist's practice"
SMTP_TIMEOUT_SECONDS = 30
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Pending:
    link_id: int
    patient_id: int
    address: str
    kinds: tuple[str, ...]  # The due items not reminded yet.


@dataclass
class Counts:
    sent: int = 0
    skipped: int = 0  # Something is due, and was reminded already.
    failed: int = 0


def due_kinds(db: Session, today: date) -> list[tuple[int, int, str, list[str]]]:
    """(link id, patient id, address, due items) of every live link of an active patient
    that has a reminder address and something due."""
    links = [(link, last_day) for link, last_day in signals.live_links(db)
             if link.reminder_email]
    due = due_of.due_for_patients(db, {link.patient_id for link, _ in links}, today)
    found = []
    for link, last_day in links:
        kinds = [f"questionnaire:{item.schedule_id}:{item.due_on.isoformat()}"
                 for item in due.get(link.patient_id, ())]
        quiet_until = signals.reminder_day(link.created_at, last_day)
        if quiet_until <= today:
            kinds.append(f"checkin:{quiet_until.isoformat()}")
        if kinds:
            found.append((link.id, link.patient_id, link.reminder_email, kinds))
    return found


def pending(db: Session, today: date, counts: Counts) -> list[Pending]:
    """What is due and not reminded yet; counts those with nothing new as skipped."""
    due = due_kinds(db, today)
    sent = {(link_id, kind) for link_id, kind in db.execute(
        select(ReminderSent.link_id, ReminderSent.kind)
        .where(ReminderSent.link_id.in_([link_id for link_id, *_ in due])))} if due else set()
    found = []
    for link_id, patient_id, address, kinds in due:
        new = tuple(kind for kind in kinds if (link_id, kind) not in sent)
        if new:
            found.append(Pending(link_id, patient_id, address, new))
        else:
            counts.skipped += 1
    return found


def message(address: str) -> EmailMessage:
    config = current_app.config
    sender = config["MAIL_FROM"] or config["MAIL_USERNAME"]
    practice = config["PRACTICE_NAME"] or DEFAULT_PRACTICE
    email = EmailMessage()
    email["Subject"] = SUBJECT
    email["From"] = sender
    email["To"] = address
    email["Date"] = format_datetime(utcnow())
    email["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    email.set_content(f"{LINE}\n\n{practice}\n")
    return email


def send(email: EmailMessage) -> None:
    """Hand one email to the practice's SMTP server (its own connection: a failure leaves
    the next email unaffected)."""
    config = current_app.config
    with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"],
                      timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=ssl.create_default_context())
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        smtp.send_message(email)


def _record(db: Session, item: Pending) -> bool:
    """The reminder as sent, with its audit event; False when another run recorded it."""
    db.add_all(ReminderSent(link_id=item.link_id, kind=kind, sent_at=utcnow())
               for kind in item.kinds)
    append(db, action="checkin_reminder_sent", remote_addr="cli",
           patient_id=item.patient_id, record_type="checkin_link", record_id=item.link_id)
    try:
        db.commit()
    except IntegrityError:
        db.rollback()
        return False
    return True


def send_reminders(db: Session, today: date) -> Counts:
    counts = Counts()
    items = pending(db, today, counts)
    db.rollback()  # No transaction (nor SQLite's write lock) is held while mail is sent.
    for item in items:
        try:
            send(message(item.address))
        except (smtplib.SMTPException, OSError) as error:
            counts.failed += 1
            log.warning("reminder for check-in link %d not sent (%s)", item.link_id,
                        type(error).__name__)
            continue
        if _record(db, item):
            counts.sent += 1
        else:
            counts.skipped += 1
    return counts


@click.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """Email each patient with a questionnaire due, or no check-in for
    CHECKIN_REMINDER_DAYS, a neutral reminder (once per due item). Needs MAIL_SERVER."""
    config = current_app.config
    if not config["MAIL_SERVER"]:
        click.echo("Reminders are off: MAIL_SERVER is not set. Nothing was sent.")
        return
    if not (config["MAIL_FROM"] or config["MAIL_USERNAME"]):
        raise click.ClickException("Set MAIL_FROM, the address reminders are sent from.")
    db = get_db()
    counts = send_reminders(db, dates.today())
    record_command(db, "send-reminders")
    click.echo(f"Reminders: {counts.sent} sent, {counts.skipped} skipped (already "
               f"reminded), {counts.failed} failed.")
    if counts.failed:
        raise click.exceptions.Exit(1)
