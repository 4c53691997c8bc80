"""Who may reach what: the login manager, deny-by-default, and record ownership."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask, abort, flash, g, redirect, request, url_for
from flask_login import LoginManager, current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import settings_store
from tracker.auth import login_sessions, resets
from tracker.auth.models import User
from tracker.care_team import emergency
from tracker.care_team.models import CareTeamMember
from tracker.db import SAFE_METHODS, get_db
from tracker.errors import render_error
from tracker.patients.models import Patient
from tracker.sessions.models import TherapySession

# The only endpoints an anonymous visitor may reach. Everything else requires login. The
# code step of two-factor login is useless without a password accepted minutes before.
# The CSP report endpoint only counts (tracker/headers.py): a page blocked before sign-in
# reports too.
# The patient's check-in pages (tracker/checkins/patient_views.py) answer only to their own
# cookie, given for a link and its code: a therapist's login opens nothing there.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.login_code", "auth.set_password", "static",
                              "health.healthz", "csp_report", "checkin.open_link",
                              "checkin.home", "checkin.submit", "checkin.questionnaire",
                              "checkin.crisis", "checkin.leave"})
# What an account that must change its password may still reach.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"account.change_password", "auth.logout", "static"})
# What an account without two-factor login may still reach when the practice requires it.
TWO_FACTOR_ENROLMENT_ENDPOINTS = frozenset(
    {"account.two_factor", "account.two_factor_setup", "auth.logout", "static"}
)

# Blueprints of patient records (and the administrators' emergency access to them): closed to
# an account in recovery after an administrator's reset (tracker/auth/resets.py).
RECORD_BLUEPRINTS = frozenset({"patients", "courses", "sessions", "measures", "progress",
                               "export", "audit", "care_team", "search", "checkins"})

login_manager = LoginManager()
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    return login_sessions.resume(get_db(), token)


@login_manager.unauthorized_handler
def _unauthorized():
    """Send anonymous visitors to the sign-in page, remembering a same-site GET destination."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    if request.method == "POST" and request.endpoint == "sessions.edit":
        from tracker.sessions import signed_out

        if signed_out.keep_save():
            flash("You had been signed out for inactivity, so your save was not applied. "
                  "What you sent is kept: sign in again to get it back.", "warning")
            return redirect(url_for("auth.login"))
    if request.endpoint != "patients.index":
        flash("Please sign in to continue.", "info")
    return redirect(url_for("auth.login", next=target if is_safe_next(target) else None))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_deny_by_default)
    app.context_processor(lambda: {"patient_access": current_access()})


def _deny_by_default():
    """Refuse every endpoint that is not on the allow-list to anonymous visitors; keep an
    account with a temporary password on the password page, and one without two-factor
    login on its enrolment when the practice requires two-factor login."""
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None  # Unknown URLs fall through to the 404 handler.
    if not current_user.is_authenticated:
        return _unauthorized()
    if current_user.must_change_password and endpoint not in PASSWORD_CHANGE_ENDPOINTS:
        return redirect(url_for("account.change_password"))
    if (
        not current_user.has_two_factor
        and endpoint not in TWO_FACTOR_ENROLMENT_ENDPOINTS
        and settings_store.two_factor_required_now(get_db())  # Asked only of accounts without.
    ):
        return redirect(url_for("account.two_factor"))
    if resets.records_closed(current_user) and request.blueprint in RECORD_BLUEPRINTS:
        return render_error(403, "An administrator reset this account's password while it had "
                                 "no two-factor login: patient records open again once another "
                                 "administrator of your practice has confirmed it with you.")
    return None


def require_admin() -> None:
    if not (current_user.is_authenticated and current_user.is_admin):
        abort(403)


def is_safe_next(target: str | None) -> bool:
    """Only same-site absolute paths are accepted as a post-login destination."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if "\\" in target or any(ord(c) < 32 for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


# What each kind of access allows. "need" names the least a view requires: "read" to look,
# "write" to document and change, "primary" to manage the care team or archive the record.
ROLES_FOR = {
    "read": frozenset({"primary", "write", "read", "emergency"}),
    "write": frozenset({"primary", "write"}),
    "primary": frozenset({"primary"}),
}
ROLE_LABELS = {"primary": "Primary therapist", "write": "Care team (can document)",
               "read": "Care team (read only)", "emergency": "Emergency access (read only)"}


@dataclass(frozen=True)
class PatientAccess:
    """The current user's relation to the patient of this request (kept in g for templates)."""

    patient_id: int
    role: str

    @property
    def can_write(self) -> bool:
        return self.role in ROLES_FOR["write"]

    @property
    def is_primary(self) -> bool:
        return self.role == "primary"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self.role]


def current_access() -> PatientAccess | None:
    return g.get("patient_access")


def _member_role(user: User, patient_id):
    """The user's current care-team role on a patient, as a correlated scalar subquery."""
    return (
        select(CareTeamMember.role)
        .where(CareTeamMember.patient_id == patient_id, CareTeamMember.user_id == user.id,
               CareTeamMember.revoked_at.is_(None))
        .scalar_subquery()
    )


def _grant(db: Session, user: User, patient_id: int, therapist_id: int, member_role: str | None,
           need: str | None) -> None:
    """Decide the request's access, or abort: 404 when the user has none (existence is not
    revealed), 403 when they may look but this needs more. By default a request that may
    change something (not GET/HEAD/OPTIONS) needs write access."""
    if therapist_id == user.id:
        role = "primary"
    elif member_role is not None:
        role = member_role
    elif user.is_admin and emergency.is_open(db, user, patient_id):
        role = "emergency"
    else:
        abort(404)
    need = need or ("read" if request.method in SAFE_METHODS else "write")
    g.patient_access = PatientAccess(patient_id, role)
    if role not in ROLES_FOR[need]:
        abort(403)


def get_patient_or_404(db: Session, user: User, patient_id: int, *,
                       need: str | None = None) -> Patient:
    """Load a patient the user may see with the access `need`s, or abort (see _grant)."""
    row = db.execute(
        select(Patient, _member_role(user, Patient.id)).where(Patient.id == patient_id)
    ).first()
    if row is None:
        abort(404)
    patient, member_role = row
    _grant(db, user, patient.id, patient.therapist_id, member_role, need)
    return patient


def get_session_or_404(db: Session, user: User, session_id: int, *options,
                       need: str | None = None) -> TherapySession:
    """A therapy session of a patient the user may see, or abort; loader options may be
    given."""
    row = db.execute(
        select(TherapySession, Patient.therapist_id, _member_role(user, Patient.id))
        .join(Patient, Patient.id == TherapySession.patient_id)
        .where(TherapySession.id == session_id)
        .options(*options)
    ).first()
    if row is None:
        abort(404)
    session, therapist_id, member_role = row
    _grant(db, user, session.patient_id, therapist_id, member_role, need)
    return session
