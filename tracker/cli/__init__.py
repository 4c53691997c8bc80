"""Commands under `flask --app tracker`, all registered here:

    init              write instance/config.py if missing, migrate, seed the demo (--demo)
    db                db upgrade migrates the database, db downgrade goes back to an
                      earlier revision, db current shows where it is
    create-user       create an account (the password is prompted)
    seed-demo         add the fictional demo practice
    patients          patients list: ids and record numbers, for export-patient
    export-patient    one patient's progress record as JSON (docs/export.md)
    backup            a consistent copy of the database, taken while the app serves
    restore           bring a backup back (the app stopped)
    generate-key      print a new encryption key for ENCRYPTION_KEYS
    rotate-keys       re-encrypt the private notes and drafts with the current key
    verify-audit      check the audit trail's chain and its checkpoints (tracker/audit/)
    audit-checkpoint  anchor the chain's end outside the database (daily, by a timer)
    verify-records    name every signed session and questionnaire whose stored hash no
                      longer matches it (tracker/export/verify.py)
    search-reindex    rebuild the full-text index (tracker/search/)
    send-reminders    email the patients with something due between sessions a neutral
                      reminder (off unless MAIL_SERVER is set; tracker/checkins/reminders.py)

`init` and `generate-key` are also plugin commands (entry points flask.commands in
pyproject.toml), because they must run while the app still refuses to start for want of a
secret or a key.
"""

from __future__ import annotations

from flask import Flask

from tracker.audit.commands import audit_checkpoint_command, verify_audit_command
from tracker.checkins.reminders import send_reminders_command
from tracker.cli.keys import generate_key_command, rotate_keys_command
from tracker.cli.patients import patients_group
from tracker.cli.records import backup_command, export_patient_command, restore_command
from tracker.cli.setup import create_user_command, db_group, init_command, seed_demo_command
from tracker.cli.verify import verify_records_command
from tracker.search.index import reindex_command

__all__ = ["generate_key_command", "init_app", "init_command"]

COMMANDS = (db_group, create_user_command, seed_demo_command, patients_group,
            export_patient_command,
            backup_command, restore_command, generate_key_command, rotate_keys_command,
            verify_audit_command, audit_checkpoint_command, verify_records_command,
            reindex_command, send_reminders_command)


def init_app(app: Flask) -> None:
    for command in COMMANDS:
        app.cli.add_command(command)
