"""Who may reach what: the login manager, deny-by-default, and record ownership."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, abort, flash, redirect, request, url_for
from flask_login import LoginManager, current_user
from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker import settings_store
from tracker.auth import sessions
from tracker.auth.models import User
from tracker.courses.models import TherapySession
from tracker.db import get_db
from tracker.patients.models import Patient

# The only endpoints an anonymous visitor may reach. Everything else requires login. The
# code step of two-factor login is useless without a password accepted minutes before.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "auth.login_code", "static", "health.healthz"})
# What an account that must change its password may still reach.
PASSWORD_CHANGE_ENDPOINTS = frozenset({"account.change_password", "auth.logout", "static"})
# What an account without two-factor login may still reach when the practice requires it.
TWO_FACTOR_ENROLMENT_ENDPOINTS = frozenset(
    {"account.two_factor", "account.two_factor_setup", "auth.logout", "static"}
)

login_manager = LoginManager()
login_manager.session_protection = "basic"


@login_manager.user_loader
def _load_user(token: str) -> User | None:
    return sessions.resume(get_db(), token)


@login_manager.unauthorized_handler
def _unauthorized():
    """Send anonymous visitors to the sign-in page, remembering a same-site GET destination."""
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    if request.endpoint != "patients.index":
        flash("Please sign in to continue.", "info")
    return redirect(url_for("auth.login", next=target if is_safe_next(target) else None))


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.before_request(_deny_by_default)


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
        and settings_store.two_factor_required(get_db())  # Asked only of accounts without.
    ):
        return redirect(url_for("account.two_factor"))
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


def get_patient_or_404(db: Session, user: User, patient_id: int) -> Patient:
    """Load a patient the user may see, or answer 404 (never 403: existence is not revealed)."""
    patient = db.scalar(
        select(Patient).where(Patient.id == patient_id, Patient.therapist_id == user.id)
    )
    if patient is None:
        abort(404)
    return patient


def get_session_or_404(db: Session, user: User, session_id: int, *options) -> TherapySession:
    """A therapy session of one of the user's patients, or 404; loader options may be given."""
    session = db.scalar(
        select(TherapySession)
        .join(Patient, Patient.id == TherapySession.patient_id)
        .where(TherapySession.id == session_id, Patient.therapist_id == user.id)
        .options(*options)
    )
    if session is None:
        abort(404)
    return session
