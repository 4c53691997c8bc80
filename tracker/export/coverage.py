"""Which tables the patient export covers, and which it leaves out on purpose, with why.

Every table that holds a patient's data must be in one of the two mappings:
tests/test_export_coverage.py finds those tables from the models' metadata (a table is the
patient's when it has a patient_id column or a foreign key to a table that is) and fails
for any that is in neither, so that a new table cannot be forgotten by the right of access.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table

# Table -> where its rows appear in the export (docs/export.md): dotted keys, "[]" for
# "each item of the list".
EXPORTED = {
    "patients": "patient",
    "courses": "courses[]",
    "therapy_sessions": "courses[].sessions[]",
    "addenda": "courses[].sessions[].addenda[]",
    "dosing_records": "courses[].sessions[].dosing",
    "booster_doses": "courses[].sessions[].dosing.boosters[]",
    "vital_signs": "courses[].sessions[].dosing.vitals[]",
    "theme_mentions": "courses[].sessions[].themes[]",
    "belief_ratings": "courses[].sessions[].belief_ratings[]",
    "strategy_reviews": "courses[].sessions[].strategy_reviews[]",
    "themes": "themes[]",
    "beliefs": "beliefs[]",
    "strategies": "strategies[]",
    "measure_responses": "questionnaires[]",
    "safety_follow_ups": "questionnaires[].follow_ups[]",
    "care_team_members": "care_team[]",
    "emergency_access": "emergency_access[]",
    "checkin_links": "between_sessions.checkin_links[]",
    "checkins": "between_sessions.checkins[]",
    "checkin_practices": "between_sessions.checkins[].practices[]",
    "questionnaire_schedules": "between_sessions.questionnaire_schedules[]",
    # Only on request (HIPAA 45 CFR 164.501): see docs/export.md.
    "psychotherapy_notes": "psychotherapy_notes[]",
}

# Table -> why the export leaves it out.
LEFT_OUT = {
    "session_drafts": "unsaved typing buffers of the session page (autosaves and refused "
                      "saves), private notes included; what is saved is exported from the "
                      "session itself, and a draft is not part of the record",
    "search_documents": "the full-text search index, derived from the sessions' exported text "
                        "and rebuilt from it (search-reindex); it holds nothing of its own",
    "audit_events": "the practice's security log (ids and action codes of every view and "
                    "change), kept for the practice's accounting of access; who was given "
                    "access to the record is exported from care_team_members and "
                    "emergency_access",
    "patient_openings": "when each clinician last opened the patient's page: a reading "
                        "marker of the practice's (the patient list counts what is new "
                        "since), like the audit trail of views",
    "reminders_sent": "which due item of a check-in link a reminder email was sent for, and "
                      "when (so that each is sent once): delivery bookkeeping with no clinical "
                      "content; the address it went to is exported with the link, and each "
                      "reminder is in the audit trail",
    "audit_subjects": "part of the audit trail: the patients each audit event's page showed "
                      "(ids only), left out with the events themselves",
}


def patient_tables(metadata: MetaData) -> set[str]:
    """The tables that hold a patient's data: patients itself, every table with a
    patient_id column, and every table with a foreign key to one of those (transitively)."""
    tables: dict[str, Table] = dict(metadata.tables)
    found = {"patients"} | {name for name, table in tables.items() if "patient_id" in table.c}
    while True:
        more = {name for name, table in tables.items() if name not in found
                and any(fk.column.table.name in found for fk in table.foreign_keys)}
        if not more:
            return found
        found |= more


def uncovered(metadata: MetaData) -> list[str]:
    """Patient tables neither exported nor left out with a reason."""
    return sorted(name for name in patient_tables(metadata)
                  if name not in EXPORTED and not LEFT_OUT.get(name, "").strip())
