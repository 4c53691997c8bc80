"""The demo practice: what `make run` shows someone trying the app for the first time.

Fictional people and fixed demo passwords: never run this against a real practice's database
(`flask --app tracker init --no-demo` skips it).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import dates
from tracker.auth import services as accounts
from tracker.auth.models import User
from tracker.demo import between
from tracker.demo.care_team import seed_care_team
from tracker.demo.course import seed_course
from tracker.demo.measures import seed_measures
from tracker.patients import services as patients

DEMO_LOGINS = (
    ("admin@demo.kap", "demo-admin-passphrase", "admin (accounts, emergency access)"),
    ("rivera@demo.kap", "demo-rivera-passphrase", "therapist"),
    ("chen@demo.kap", "demo-chen-passphrase", "therapist"),
)
_NAMES = {
    "admin@demo.kap": "Sam Whitfield",
    "rivera@demo.kap": "Dr. Ana Rivera",
    "chen@demo.kap": "Jordan Chen, LMFT",
}

_PATIENTS = {
    "rivera@demo.kap": [
        dict(
            display_name="Maya Okafor",
            preferred_name="Maya",
            pronouns="she/her",
            date_of_birth=date(1987, 4, 12),
            record_number="MRN-10482",
            weight_kg=Decimal("64.5"),
            treatment_intentions="Loosen the grip of the depression that returned after her "
            "father's death; reconnect with painting and with her sister.",
        ),
        dict(
            display_name="Daniel Reyes",
            preferred_name="Dan",
            pronouns="he/him",
            date_of_birth=date(1979, 11, 3),
            record_number="MRN-10517",
            weight_kg=Decimal("88.0"),
            treatment_intentions="Step out of the loop of self-criticism at work; sleep through "
            "the night; be more present with his two children.",
        ),
        dict(
            display_name="Priya Natarajan",
            preferred_name=None,
            pronouns="she/her",
            date_of_birth=date(1994, 2, 27),
            record_number=None,
            weight_kg=Decimal("57.2"),
            treatment_intentions="Process the car accident of 2021 and the fear of driving "
            "that followed; feel safe in her body again.",
        ),
        dict(
            display_name="Thomas Becker",
            preferred_name="Tom",
            pronouns="he/him",
            date_of_birth=date(1968, 7, 19),
            record_number="MRN-09931",
            weight_kg=Decimal("79.8"),
            treatment_intentions="Treatment-resistant depression for 15 years; wants to find "
            "meaning again after early retirement.",
        ),
    ],
    "chen@demo.kap": [
        dict(
            display_name="Alex Kim",
            preferred_name=None,
            pronouns="they/them",
            date_of_birth=date(1998, 9, 8),
            record_number="MRN-20114",
            weight_kg=Decimal("61.0"),
            treatment_intentions="Ease social anxiety and the belief of being a burden; "
            "rebuild friendships.",
        ),
        dict(
            display_name="Rosa Delgado",
            preferred_name="Rosie",
            pronouns="she/her",
            date_of_birth=date(1983, 5, 30),
            record_number="MRN-20139",
            weight_kg=Decimal("70.4"),
            treatment_intentions="Grief after a stillbirth; allow the grief without being "
            "swallowed by it.",
        ),
    ],
}
# Finished courses stay in the record but leave the active list.
_ARCHIVED = {"Thomas Becker"}


def demo_present(db: Session) -> bool:
    return db.scalar(select(User.id).where(User.email == DEMO_LOGINS[0][0])) is not None


def seed_demo(db: Session, progress=None) -> bool:
    """Create the demo practice unless its accounts exist. Returns whether it created it.

    progress(items, label) may wrap an iterable to show progress (the CLI passes a bar)."""
    if demo_present(db):
        return False
    wrap = progress or (lambda items, label: _NullBar(items))
    users = {}
    with wrap(DEMO_LOGINS, "Accounts") as logins:
        for email, password, role in logins:
            users[email] = accounts.create_user(
                db,
                email=email,
                name=_NAMES[email],
                password=password,
                is_admin=role.startswith("admin"),
            )
    rows = [(email, data) for email, items in _PATIENTS.items() for data in items]
    today = dates.today()
    created = {}
    with wrap(rows, "Patients and their courses") as bar:
        for email, data in bar:
            patient = patients.create_patient(db, users[email], dict(data))
            created[patient.display_name] = patient
            archived = data["display_name"] in _ARCHIVED
            # A finished course from last year for the archived patient.
            course, sessions = seed_course(db, users[email], patient, today=today,
                                           shift_days=-300 if archived else 0)
            seed_measures(db, users[email], patient, course, sessions)
            if patient.display_name == between.PATIENT:
                between.seed_between(db, users[email], patient, course, today)
            if archived:
                patients.set_archived(db, patient, True)
    seed_care_team(db, users, created)
    return True


class _NullBar:
    def __init__(self, items):
        self.items = items

    def __enter__(self):
        return self.items

    def __exit__(self, *exc):
        return False
