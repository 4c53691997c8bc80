"""Commands under `flask --app tracker`: init, db upgrade, create-user, seed-demo."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from tracker import migrate
from tracker.db import get_db, get_engine

CONFIG_TEMPLATE = """\
# Written by `flask --app tracker init`. Keep this file private: it holds the app's secrets.
# Settings here override the defaults in tracker/config.py; TRACKER_* environment variables
# override these.
SECRET_KEY = {secret!r}
"""


def write_instance_config(instance_path: str) -> Path | None:
    """Create instance/config.py with fresh secrets; returns its path if it was created."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.py"
    if path.exists():
        return None
    with open(path, "x", encoding="utf-8", opener=_private_opener) as handle:
        handle.write(CONFIG_TEMPLATE.format(secret=secrets.token_hex(32)))
    return path


def _private_opener(path, flags):
    return os.open(path, flags, 0o600)


@click.command("init")
@click.option(
    "--demo/--no-demo",
    default=False,
    show_default=True,
    help="Seed the fictional demo practice (published passwords: never in production) "
    "when the database has no accounts yet.",
)
def init_command(demo: bool) -> None:
    """Write instance/config.py if missing, migrate the database, seed the demo practice.

    Safe to run again: existing configuration and data are kept. It is a plugin command
    (entry point flask.commands) because the app cannot start before its secret exists.
    """
    from tracker import create_app, instance_path

    path = instance_path() or Flask("tracker").instance_path
    created = write_instance_config(path)
    click.echo(f"Configuration: {Path(path) / 'config.py'}" + (" (created)" if created else ""))
    app = create_app()
    with app.app_context():
        _upgrade()
        if demo:
            from tracker.demo import demo_present, seed_demo

            if not _has_accounts():
                seed_demo(get_db(), progress=_progress)
                get_db().commit()
            if demo_present(get_db()):
                _print_demo_logins()


def _has_accounts() -> bool:
    from tracker.auth.models import User

    return bool(get_db().scalar(select(func.count()).select_from(User)))


def _progress(items, label):
    return click.progressbar(items, label=label, show_pos=True)


def _upgrade() -> None:
    engine = get_engine()
    before = migrate.current_revision(engine)
    migrate.upgrade(engine)
    after = migrate.current_revision(engine)
    state = "up to date" if before == after else f"migrated {before or 'empty'} -> {after}"
    click.echo(f"Database: {engine.url.render_as_string(hide_password=True)} ({state})")


@click.group("db")
def db_group() -> None:
    """Database schema (Alembic migrations)."""


@db_group.command("upgrade")
@click.option("--revision", default="heads", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Migrate the database to a revision (the latest by default)."""
    engine = get_engine()
    migrate.upgrade(engine, revision)
    click.echo(f"Database at revision {migrate.current_revision(engine)}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's revision and the latest one."""
    click.echo(f"current: {migrate.current_revision(get_engine())}")
    click.echo(f"head:    {migrate.head_revision()}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--admin", is_flag=True, help="The account can manage other accounts.")
@click.password_option(prompt="Password", confirmation_prompt=True)
@with_appcontext
def create_user_command(email: str, name: str, admin: bool, password: str) -> None:
    """Create an account (the password is prompted and not echoed)."""
    from tracker.auth import services

    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        raise click.BadParameter(f"use at least {minimum} characters", param_hint="password")
    if len(email) > 254 or "@" not in email or len(name.strip()) == 0 or len(name) > 120:
        raise click.BadParameter("give a valid email and a name of up to 120 characters")
    db = get_db()
    try:
        user = services.create_user(db, email=email, name=name, password=password, is_admin=admin)
    except services.AccountError as error:
        raise click.ClickException(str(error)) from error
    db.commit()
    click.echo(f"Created {'admin ' if admin else ''}account {user.email} (id {user.id}).")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Add the demo practice (skipped when its accounts already exist)."""
    from tracker.demo import seed_demo

    db = get_db()
    created = seed_demo(db, progress=_progress)
    db.commit()
    click.echo("Demo practice seeded." if created else "Demo practice already present.")
    _print_demo_logins()


def _print_demo_logins() -> None:
    from tracker.demo import DEMO_LOGINS

    click.echo("Demo logins (email / password):")
    for email, password, role in DEMO_LOGINS:
        click.echo(f"  {email:<28} {password:<24} {role}")


@click.command("export-patient")
@click.argument("patient_id", type=int)
@click.option("--include-psychotherapy-notes", is_flag=True,
              help="Also export the private psychotherapy notes (HIPAA 45 CFR 164.501): only "
                   "with the patient's specific authorization.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True),
              help="Write to this file (created private) instead of standard output.")
@with_appcontext
def export_patient_command(patient_id: int, include_psychotherapy_notes: bool,
                           output: str | None) -> None:
    """Export one patient's full progress record as JSON (schema: docs/export.md)."""
    import json

    from tracker.export.record import patient_export
    from tracker.patients.models import Patient

    db = get_db()
    patient = db.get(Patient, patient_id)
    if patient is None:
        raise click.ClickException(f"No patient with id {patient_id}.")
    text = json.dumps(patient_export(db, patient,
                                     include_psychotherapy_notes=include_psychotherapy_notes),
                      ensure_ascii=False, indent=2)
    if output:
        with open(output, "w", encoding="utf-8", opener=_private_opener) as handle:
            handle.write(text + "\n")
        click.echo(f"Wrote {output}", err=True)
    else:
        click.echo(text)


def init_app(app: Flask) -> None:
    for command in (db_group, create_user_command, seed_demo_command, export_patient_command):
        app.cli.add_command(command)
