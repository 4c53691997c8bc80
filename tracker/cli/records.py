"""The records as a whole: `export-patient` (JSON, docs/export.md), `backup` and `restore`."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from tracker import migrate
from tracker.audit.hooks import record_command
from tracker.cli.setup import private_opener
from tracker.db import get_db, get_engine


@click.command("export-patient")
@click.argument("patient_id", type=int, required=False)
@click.option("--record-number", help="Find the patient by record number instead of id "
                                      "(`flask --app tracker patients list` shows both).")
@click.option("--include-psychotherapy-notes", is_flag=True,
              help="Also export the private psychotherapy notes (HIPAA 45 CFR 164.501): only "
                   "with the patient's specific authorization.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (created private) instead of standard output.")
@with_appcontext
def export_patient_command(patient_id: int | None, record_number: str | None,
                           include_psychotherapy_notes: bool, output: str | None) -> None:
    """Export one patient's full progress record as JSON (schema: docs/export.md), by id or
    by record number. The export is recorded in the audit trail."""
    import json

    from sqlalchemy import select

    from tracker.export.record import patient_export
    from tracker.patients.models import Patient

    if (patient_id is None) == (record_number is None):
        raise click.UsageError("Give the patient's id or --record-number, one of the two.")
    db = get_db()
    if record_number is not None:
        patient = db.scalar(select(Patient).where(Patient.record_number == record_number))
    else:
        patient = db.get(Patient, patient_id)
    if patient is None:
        raise click.ClickException("No such patient.")
    text = json.dumps(patient_export(db, patient,
                                     include_psychotherapy_notes=include_psychotherapy_notes),
                      ensure_ascii=False, indent=2)
    if output:
        with open(output, "w", encoding="utf-8", opener=private_opener) as handle:
            handle.write(text + "\n")
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text)
    record_command(db, "export-patient" + (" with psychotherapy notes"
                                           if include_psychotherapy_notes else ""),
                   patient_id=patient.id, record_type="patient", record_id=patient.id)


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path: str) -> None:
    """Write a consistent backup of the database to PATH (a new file, readable by you only),
    while the app keeps serving: SQLite's backup API, or pg_dump for PostgreSQL."""
    from tracker import backup
    from tracker.audit import apart, checkpoints
    from tracker.audit.hooks import key

    url = get_engine().url
    # Anchored first: the backup holds at least this much of the chain, and the page views
    # still waiting in the queue.
    apart.flush()
    try:
        with Session(bind=get_engine()) as db:
            checkpoints.write_current(current_app, key(), db, "backup")
    except checkpoints.CheckpointFileError as error:
        raise click.ClickException(f"No backup made: {error}.") from error
    except SQLAlchemyError:
        pass  # The database cannot be read: the backup below fails and says why.
    try:
        outcome = backup.backup(url, path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    record_command(get_db(), "backup")
    click.echo(f"Backed up {backup.describe(url)} to {outcome.path}: "
               f"{_size(outcome.size)} in {outcome.seconds:.2f} s.")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, readable=True))
@click.option("--force", is_flag=True,
              help="Replace the contents of a database that is not empty.")
@with_appcontext
def restore_command(path: str, force: bool) -> None:
    """Bring the backup at PATH back into the configured database (stop the app first).
    A database that holds data is refused unless --force."""
    from tracker import backup

    engine = get_engine()
    engine.dispose()  # No pooled connection of this process may hold the database.
    try:
        outcome = backup.restore(engine.url, path, force=force)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
    engine.dispose()
    record_command(get_db(), "restore")  # Into the restored database: its trail goes on.
    _checkpoint_restore()
    click.echo(f"Restored {outcome.path} ({_size(outcome.size)}) into "
               f"{backup.describe(engine.url)} in {outcome.seconds:.2f} s.")
    if migrate.current_revision(engine) != migrate.head_revision():
        click.echo("The backup's schema is older than this version of the app: run "
                   "`flask --app tracker db upgrade` before serving.")


def _size(size: float) -> str:
    if size < 1024:
        return f"{int(size)} bytes"
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"


def _checkpoint_restore() -> None:
    """The restored chain is shorter than the checkpoints of the database it replaced: a
    signed "restore" checkpoint says so, and verify-audit compares with what follows it."""
    from tracker.audit import checkpoints
    from tracker.audit.hooks import key

    with Session(bind=get_engine()) as db:
        checkpoints.write_current(current_app, key(), db, "restore")
