"""Patient rules and queries. Lists are scoped to the acting user: their own patients and
those shared with them."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from tracker import dates
from tracker.auth.models import User
from tracker.care_team.models import CareTeamMember, EmergencyAccess
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


@dataclass(frozen=True)
class PatientRow:
    """A patient in the list, with how the user comes to see it."""

    patient: Patient
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
    those needing attention first, each with what it shows of between sessions."""
    membership = and_(CareTeamMember.patient_id == Patient.id, CareTeamMember.user_id == user.id,
                      CareTeamMember.revoked_at.is_(None))
    conditions = [or_(Patient.therapist_id == user.id, CareTeamMember.id.is_not(None)),
                  Patient.status == status]
    if query:
        conditions.append(Patient.name_key.contains(query.casefold(), autoescape=True))
    total = db.scalar(select(func.count()).select_from(Patient)
                      .outerjoin(CareTeamMember, membership).where(*conditions)) or 0
    page = min(max(page, 1), page_count(total, per_page))
    unseen = (
        exists().where(EmergencyAccess.patient_id == Patient.id,
                       EmergencyAccess.acknowledged_at.is_(None))
        .correlate(Patient)
    )
    attention = signals.needs_attention().label("needs_attention")
    rows = db.execute(
        select(Patient, CareTeamMember.role, User.name, unseen, attention)
        .join(User, User.id == Patient.therapist_id)
        .outerjoin(CareTeamMember, membership)
        .where(*conditions)
        .order_by(attention.desc(), Patient.display_name, Patient.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    between = signals.for_list(db, user.id, [row[0].id for row in rows], dates.today())
    items = [PatientRow(patient, role or "primary", primary_name,
                        emergency_unseen=bool(flag) and patient.therapist_id == user.id,
                        needs_attention=bool(attending), between=between[patient.id])
             for patient, role, primary_name, flag, attending in rows]
    return PatientPage(items, total, page, per_page)


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
