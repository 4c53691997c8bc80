"""Patient rules and queries. Lists are scoped to the acting user: their own patients and
those shared with them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import Integer, bindparam, exists, func, select
from sqlalchemy.orm import Session

from tracker import dates
from tracker.auth.models import User
from tracker.care_team import visible as care_team_visible
from tracker.care_team.models import EmergencyAccess
from tracker.checkins import signals
from tracker.db import utcnow
from tracker.patients.models import Patient

PATIENT_FIELDS = (
    "display_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "record_number",
    "weight_kg",
    "treatment_intentions",
)


def page_count(total: int, per_page: int) -> int:
    return max(1, -(-total // per_page))


class ListedPatient(NamedTuple):
    """What the list shows of a patient's record (read as plain columns: loading whole
    records would cost more than the rest of the page)."""

    id: int
    therapist_id: int
    display_name: str
    preferred_name: str | None
    pronouns: str | None
    record_number: str | None
    updated_at: datetime


LISTED_COLUMNS = tuple(getattr(Patient, name) for name in ListedPatient._fields)


@dataclass(frozen=True)
class PatientRow:
    """A patient in the list, with how the user comes to see it."""

    patient: ListedPatient
    role: str  # "primary", or the care-team role "read" / "write"
    primary_name: str
    emergency_unseen: bool = False  # Opened through emergency access, not yet acknowledged.
    # A safety answer given at home awaits its follow-up: listed first, marked.
    needs_attention: bool = False
    between: signals.BetweenSessions = field(default_factory=signals.BetweenSessions)

    @property
    def is_shared(self) -> bool:
        return self.role != "primary"


@dataclass(frozen=True)
class PatientPage:
    items: list[PatientRow]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def _name_key(display_name: str, preferred_name: str | None) -> str:
    return " ".join(filter(None, (display_name, preferred_name))).casefold()


def list_patients(
    db: Session,
    user: User,
    *,
    query: str = "",
    status: str = "active",
    page: int = 1,
    per_page: int = 25,
) -> PatientPage:
    """The user's own patients and those shared with them (a current care-team membership),
    those needing attention first, each with what it shows of between sessions. One query
    for the page and its total (one more for the questionnaires due, when some patient of the
    page has a schedule; two more for a page past the end, which shows the last one)."""
    named = bool(query)
    params = {"user_id": user.id, "status": status, "now": utcnow(), "limit": per_page,
              "name": "%" + query.casefold().translate(_LIKE_ESCAPES) + "%"}
    page = max(page, 1)
    connection = db.connection()  # Plain rows: nothing here is an ORM object.
    rows = connection.execute(_page_statement(named), {
        **params, "offset": (page - 1) * per_page}).all()
    if not rows and page > 1:
        total = connection.scalar(_count_statement(named), params) or 0
        page = page_count(total, per_page)
        rows = connection.execute(_page_statement(named), {
            **params, "offset": (page - 1) * per_page}).all() if total else []
    patients = [ListedPatient(*row[:len(LISTED_COLUMNS)]) for row in rows]
    between = signals.for_list(db, {patient.id: row for patient, row in zip(patients, rows,
                                                                            strict=True)},
                               dates.today())
    items = [PatientRow(patient, care_team_visible.ACCESS[row.access], row.primary_name,
                        emergency_unseen=bool(row.unseen) and patient.therapist_id == user.id,
                        needs_attention=bool(row.needs_attention), between=between[patient.id])
             for patient, row in zip(patients, rows, strict=True)]
    return PatientPage(items, rows[0].total if rows else 0, page, per_page)


_LIKE_ESCAPES = str.maketrans({"/": "//", "%": "/%", "_": "/_"})


def _listed(named: bool):
    """The patients listed (of the status, matching the name when `named`) and how the user
    sees each: (the visible subquery, conditions)."""
    visible = care_team_visible.visible(bindparam("user_id"))
    conditions = [Patient.status == bindparam("status")]
    if named:
        conditions.append(Patient.name_key.like(bindparam("name"), escape="/"))
    return visible, conditions


@functools.cache
def _page_statement(named: bool):
    """One page of the list: LISTED_COLUMNS, then access, primary_name, unseen (opened through
    emergency access, not acknowledged), needs_attention, total and signals.list_columns.
    The page is chosen first (with the total of every patient listed, a window over them),
    then only its patients get their columns. Built once (making it costs more than running
    it); its parameters: user_id, status, name, now, limit and offset."""
    visible, conditions = _listed(named)
    attention = signals.needs_attention().label("needs_attention")
    shown = (
        select(Patient.id, visible.c.access, attention, func.count().over().label("total"))
        .join(visible, visible.c.patient_id == Patient.id)
        .where(*conditions)
        .order_by(attention.desc(), Patient.display_name, Patient.id)
        .limit(bindparam("limit", type_=Integer))
        .offset(bindparam("offset", type_=Integer))
        .subquery("shown")
    )
    unseen = (
        exists().where(EmergencyAccess.patient_id == Patient.id,
                       EmergencyAccess.acknowledged_at.is_(None))
        .correlate(Patient)
    )
    return (
        select(*LISTED_COLUMNS, shown.c.access, User.name.label("primary_name"),
               unseen.label("unseen"), shown.c.needs_attention,
               shown.c.total, *signals.list_columns(bindparam("user_id"), bindparam("now")))
        .join(shown, shown.c.id == Patient.id)
        .join(User, User.id == Patient.therapist_id)
        .order_by(shown.c.needs_attention.desc(), Patient.display_name, Patient.id)
    )


@functools.cache
def _count_statement(named: bool):
    visible, conditions = _listed(named)
    return (select(func.count()).select_from(Patient)
            .join(visible, visible.c.patient_id == Patient.id).where(*conditions))


def create_patient(db: Session, therapist: User, data: dict) -> Patient:
    patient = Patient(therapist_id=therapist.id, status="active")
    _apply(patient, data)
    db.add(patient)
    db.flush()
    return patient


def update_patient(db: Session, patient: Patient, data: dict) -> None:
    _apply(patient, data)
    db.flush()


def _apply(patient: Patient, data: dict) -> None:
    for name in PATIENT_FIELDS:
        setattr(patient, name, data[name])
    patient.name_key = _name_key(patient.display_name, patient.preferred_name)


def set_archived(db: Session, patient: Patient, archived: bool) -> None:
    patient.status = "archived" if archived else "active"
    patient.archived_at = utcnow() if archived else None
    db.flush()
