"""`patients list`: the ids and record numbers an operator needs for `export-patient`."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from tracker.audit.hooks import record_command
from tracker.auth.models import User
from tracker.db import get_db
from tracker.patients.models import Patient


@click.group("patients")
def patients_group() -> None:
    """Patients, for the commands that take one."""


@patients_group.command("list")
@click.option("--search", default="", help="Only names or record numbers containing this.")
@with_appcontext
def list_command(search: str) -> None:
    """Every patient's id, record number, name, status and primary therapist. Names are
    patient data: the listing is recorded in the audit trail."""
    db = get_db()
    rows = db.execute(
        select(Patient.id, Patient.record_number, Patient.display_name, Patient.status,
               User.email)
        .join(User, User.id == Patient.therapist_id)
        .order_by(Patient.display_name, Patient.id)).all()
    needle = search.casefold()
    shown = 0
    click.echo(f"{'id':>6}  {'record number':<16} {'name':<32} {'status':<9} primary therapist")
    for row in rows:
        if needle and needle not in f"{row.display_name} {row.record_number or ''}".casefold():
            continue
        shown += 1
        click.echo(f"{row.id:>6}  {row.record_number or '—':<16} {row.display_name:<32} "
                   f"{row.status:<9} {row.email}")
    record_command(db, "patients list")
    click.echo(f"{shown} patient(s).", err=True)
