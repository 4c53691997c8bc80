"""`verify-records`: the sibling of `verify-audit` for the records themselves."""

from __future__ import annotations

import click
from flask.cli import with_appcontext
from sqlalchemy.orm import Session

from tracker.audit.hooks import record_command
from tracker.db import get_db, get_engine


@click.command("verify-records")
@with_appcontext
def verify_records_command() -> None:
    """Check every signed session and every questionnaire against the hash stored with it;
    name (by id, never by content) each one that no longer matches. Exits non-zero if any."""
    from tracker.export.verify import check_records

    with Session(bind=get_engine()) as db:
        verdict = check_records(db)
    record_command(get_db(), "verify-records")
    for mismatch in verdict.mismatches:
        click.echo(str(mismatch))
    counted = (f"{verdict.sessions} signed session{'s' * (verdict.sessions != 1)} and "
               f"{verdict.questionnaires} questionnaire{'s' * (verdict.questionnaires != 1)}")
    if verdict.ok:
        click.echo(f"Records intact: {counted} verified.")
        return
    broken = len(verdict.mismatches)
    raise click.ClickException(f"{broken} record{'s' * (broken != 1)} no longer match "
                               f"{'their' if broken != 1 else 'its'} stored hash (listed above); "
                               f"checked {counted}.")
