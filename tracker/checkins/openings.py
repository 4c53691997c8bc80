"""When a clinician opens a patient's page, the patient list's "new check-ins" start again
from then: the opening is stored (one row per clinician and patient, its time moved on).

A page is a GET, whose transaction only reads (on SQLite it begins DEFERRED and blocks
nobody), so the opening is written apart, in a short transaction of its own. When the
database cannot take it at once (SQLite's write lock held past the busy timeout, a
read-only database, a lost connection), the page is shown all the same: the list then
counts from the opening before, and the next opening catches up."""

from __future__ import annotations

import logging

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from tracker.checkins.models import PatientOpening
from tracker.db import get_engine, utcnow

log = logging.getLogger(__name__)


def mark_opened(user_id: int, patient_id: int) -> None:
    """Upsert the clinician's opening of the patient to now (ids only in any log line)."""
    engine = get_engine()
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    now = utcnow()
    statement = dialect.insert(PatientOpening).values(
        user_id=user_id, patient_id=patient_id, opened_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[PatientOpening.user_id, PatientOpening.patient_id],
        set_={"opened_at": now})
    try:
        with engine.begin() as connection:
            connection.execute(statement)
    except DBAPIError as error:  # Busy, read-only, or gone: the page goes on.
        log.warning("patient opening not recorded (%s)", type(error.orig).__name__)
