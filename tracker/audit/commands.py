"""`verify-audit` and `audit-checkpoint`: checking the chain, and anchoring its end outside
the database (tracker/audit/checkpoints.py)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from tracker.audit import apart, chain, checkpoints
from tracker.audit.hooks import key
from tracker.db import get_engine


@click.command("verify-audit")
@with_appcontext
def verify_audit_command() -> None:
    """Check the whole audit chain against its checkpoints; name the first event that does
    not verify. A chain that verifies is checkpointed."""
    try:
        points = checkpoints.read(current_app, key())
    except checkpoints.CheckpointFileError as error:
        raise click.ClickException(f"Audit checkpoints tampered with: {error}.") from error
    apart.flush()  # The page views still waiting in the queue are part of the trail.
    with Session(bind=get_engine()) as db:
        verdict = chain.verify(db, key())
        if not verdict.ok:
            raise click.ClickException(
                f"Audit trail broken at event {verdict.broken_seq}: {verdict.reason} "
                f"({verdict.checked} events verified before it).")
        problem = checkpoints.check(db, points, verdict.checked)
        if problem:
            raise click.ClickException(f"Audit trail cut short: {problem}.")
        point = _checkpoint(db, "verify-audit")
    if not points:
        click.echo("No earlier checkpoint to compare with: from now on the end of the chain "
                   f"is anchored in {checkpoints.file_path(current_app)}.")
    click.echo(f"Audit trail intact: {verdict.checked} events verified"
               f"{f' against {len(points)} checkpoints' if points else ''}; "
               f"checkpoint written at event {point.seq}.")


@click.command("audit-checkpoint")
@with_appcontext
def audit_checkpoint_command() -> None:
    """Write a signed checkpoint of the audit chain's end to the checkpoint file and the log
    (run daily by a timer: deploy/kap-tracker-checkpoint.timer)."""
    apart.flush()
    with Session(bind=get_engine()) as db:
        point = _checkpoint(db, "command")
    click.echo(f"Audit checkpoint written at event {point.seq} to "
               f"{checkpoints.file_path(current_app)}.")


def _checkpoint(db: Session, reason: str) -> checkpoints.Checkpoint:
    try:
        return checkpoints.write_current(current_app, key(), db, reason)
    except checkpoints.CheckpointFileError as error:
        raise click.ClickException(f"No audit checkpoint written: {error}.") from error
