"""The export covers every table that holds a patient's data, or says why not (issue 12,
item 1): generated from the models' metadata, so that a new table cannot escape it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, Text

import tracker.models  # noqa: F401 (every model in Base.metadata)
from tests.support.care_team import emergency_access, team_member
from tests.support.checkins import db_checkin, db_link, db_schedule
from tests.support.histories import build_history
from tests.support.measures import db_measure
from tests.support.patients import add_patient
from tests.support.threads import db_strategy
from tracker.db import Base
from tracker.export import coverage
from tracker.export.record import patient_export
from tracker.patients.models import Patient


def test_every_patient_table_is_exported_or_left_out_with_a_reason():
    assert coverage.uncovered(Base.metadata) == []


def test_the_mappings_name_real_patient_tables_once_each():
    patient_tables = coverage.patient_tables(Base.metadata)
    assert not set(coverage.EXPORTED) & set(coverage.LEFT_OUT)
    assert set(coverage.EXPORTED) | set(coverage.LEFT_OUT) == patient_tables
    assert all(len(reason.split()) >= 8 for reason in coverage.LEFT_OUT.values())
    # Accounts, sign-in and the practice's settings are not a patient's data.
    assert not {"users", "login_sessions", "recovery_codes", "practice_settings"} & patient_tables


def test_a_new_patient_table_that_nobody_listed_is_found():
    metadata = MetaData()
    for table in Base.metadata.tables.values():
        table.to_metadata(metadata)
    Table("journal_entries", metadata, Column("id", Integer, primary_key=True),
          Column("patient_id", ForeignKey("patients.id")), Column("body", Text))
    Table("journal_photos", metadata, Column("id", Integer, primary_key=True),
          Column("entry_id", ForeignKey("journal_entries.id")))
    Table("session_ratings", metadata, Column("id", Integer, primary_key=True),
          Column("session_id", ForeignKey("therapy_sessions.id")))
    assert coverage.uncovered(metadata) == ["journal_entries", "journal_photos",
                                            "session_ratings"]


def _values(document, path: str) -> list:
    """Every value at a dotted path ("courses[].sessions[].dosing")."""
    values = [document]
    for part in path.split("."):
        key, each = part.removesuffix("[]"), part.endswith("[]")
        values = [value[key] for value in values if value is not None]
        if each:
            values = [item for value in values for item in value]
    return values


def test_every_exported_table_shows_in_a_full_export(app, db, make_user):
    user = make_user()
    admin = make_user(email="admin@example.org", name="Sam Admin", is_admin=True)
    patient_id = add_patient(app, user)
    history = build_history(db, user.id, patient_id, 2, kinds=("dosing", "integration"),
                            dosing=True, addenda=True)
    db_measure(db, user.id, patient_id, history["course"], "phq9", 12, date(2025, 1, 6),
               session_id=history["sessions"][0], item_9=1, followed_up=True)
    db.add_all([team_member(patient_id, admin.id, added_by=user.id),
                emergency_access(patient_id, admin.id, "Night call.")])
    link = db_link(db, patient_id, user.id)
    strategy = db_strategy(db, patient_id, history["sessions"][0])
    db_checkin(db, link, date(2025, 1, 7), message="The walks help.",
               practised={strategy.id: "yes"})
    db_schedule(db, patient_id, user.id)
    db.commit()
    db.expunge_all()
    export = patient_export(db, db.get(Patient, patient_id), include_psychotherapy_notes=True)
    for table, path in coverage.EXPORTED.items():
        assert [value for value in _values(export, path) if value is not None], (table, path)

    # Every key of the document is documented.
    documented = set(re.findall(r"`([a-z_0-9]+)`", DOCS.read_text(encoding="utf-8")))
    assert _keys(export) - documented == set()


DOCS = Path(__file__).resolve().parent.parent / "docs" / "export.md"


def _keys(document) -> set[str]:
    if isinstance(document, dict):
        return set(document) | {key for value in document.values() for key in _keys(value)}
    if isinstance(document, list):
        return {key for item in document for key in _keys(item)}
    return set()
