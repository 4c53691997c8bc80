"""Imports every model so that Base.metadata is complete (for Alembic and tests)."""

from tracker.audit.models import AuditEvent, AuditHead, AuditSubject
from tracker.auth.models import LoginSession, PasswordReset, User
from tracker.care_team.models import CareTeamMember, EmergencyAccess
from tracker.checkins.models import (
    Checkin,
    CheckinLink,
    CheckinPractice,
    PatientOpening,
    QuestionnaireSchedule,
    ReminderSent,
)
from tracker.courses.models import Course
from tracker.dosing.models import BoosterDose, DosingRecord, VitalSigns
from tracker.measures.models import MeasureResponse, SafetyFollowUp
from tracker.patients.models import Patient
from tracker.search.models import SearchDocument
from tracker.sessions.models import Addendum, PsychotherapyNote, SessionDraft, TherapySession
from tracker.threads.models import (
    Belief,
    BeliefRating,
    Strategy,
    StrategyReview,
    Theme,
    ThemeMention,
)

__all__ = [
    "Addendum",
    "AuditEvent",
    "AuditHead",
    "AuditSubject",
    "Belief",
    "BeliefRating",
    "BoosterDose",
    "CareTeamMember",
    "Checkin",
    "CheckinLink",
    "CheckinPractice",
    "Course",
    "DosingRecord",
    "EmergencyAccess",
    "LoginSession",
    "MeasureResponse",
    "PasswordReset",
    "Patient",
    "PatientOpening",
    "PsychotherapyNote",
    "QuestionnaireSchedule",
    "ReminderSent",
    "SafetyFollowUp",
    "SearchDocument",
    "SessionDraft",
    "Strategy",
    "StrategyReview",
    "Theme",
    "ThemeMention",
    "TherapySession",
    "User",
    "VitalSigns",
]
