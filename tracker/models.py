"""Imports every model so that Base.metadata is complete (for Alembic and tests)."""

from tracker.auth.models import LoginSession, User
from tracker.patients.models import Patient

__all__ = ["LoginSession", "Patient", "User"]
