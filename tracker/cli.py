"""Commands under `flask --app tracker`: init, db upgrade, create-user, seed-demo,
generate-key, rotate-keys."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from tracker import crypto, migrate
from tracker.db import get_db, get_engine

CONFIG_TEMPLATE = """\
# Written by `flask --app tracker init`. Keep this file private: it holds the app's secrets.
# Settings here override the defaults in tracker/config.py; TRACKER_* environment variables
# override these.
SECRET_KEY = {secret!r}
"""

KEYS_TEMPLATE = """
# Encryption keys of the private notes and drafts (README, "Keys"): key id -> key. Every key
# listed decrypts; ENCRYPTION_KEY_ID encrypts. Never remove a key that stored values (or the
# backups you keep) still use: rotate with `flask --app tracker rotate-keys` first.
ENCRYPTION_KEYS = {{
    {key_id!r}: {key!r},
}}
ENCRYPTION_KEY_ID = {key_id!r}
"""
HAS_KEYS = re.compile(r"^ENCRYPTION_KEYS\s*=", re.MULTILINE)
AUDIT_TEMPLATE = """
# The audit trail's HMAC key (docs/security.md). Keep a copy apart from the database backups:
# without it the chain cannot be verified.
AUDIT_KEY = {key!r}
"""
HAS_AUDIT_KEY = re.compile(r"^AUDIT_KEY\s*=", re.MULTILINE)


def write_instance_config(instance_path: str) -> Path | None:
    """Create instance/config.py with fresh secrets; returns its path if it was created."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.py"
    if path.exists():
        return None
    with open(path, "x", encoding="utf-8", opener=_private_opener) as handle:
        handle.write(CONFIG_TEMPLATE.format(secret=secrets.token_hex(32)) + _keys_block()
                     + _audit_block())
    return path


def add_missing_encryption_key(path: Path) -> bool:
    """Append a fresh encryption key to an existing config.py that has none (written before
    private notes were encrypted), unless the keys come from the environment. Returns
    whether it did."""
    if any(name.startswith("TRACKER_ENCRYPTION_KEYS") for name in os.environ):
        return False
    if HAS_KEYS.search(path.read_text(encoding="utf-8")):
        return False
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(_keys_block())
    return True


def add_missing_audit_key(path: Path) -> bool:
    """Append an audit key to an existing config.py written before the audit trail."""
    if "TRACKER_AUDIT_KEY" in os.environ:
        return False
    if HAS_AUDIT_KEY.search(path.read_text(encoding="utf-8")):
        return False
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(_audit_block())
    return True


def _audit_block() -> str:
    return AUDIT_TEMPLATE.format(key=secrets.token_hex(32))


def _keys_block() -> str:
    return KEYS_TEMPLATE.format(key_id=crypto.new_key_id(), key=crypto.new_key())


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
    added = not created and add_missing_encryption_key(Path(path) / "config.py")
    audit_added = not created and add_missing_audit_key(Path(path) / "config.py")
    click.echo(f"Configuration: {Path(path) / 'config.py'}" + (" (created)" if created else "")
               + (" (encryption key added)" if added else "")
               + (" (audit key added)" if audit_added else ""))
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


@click.command("generate-key")
def generate_key_command() -> None:
    """Print a new encryption key, ready to paste into ENCRYPTION_KEYS (instance/config.py).

    Also a plugin command (entry point flask.commands), so that it runs while the app still
    refuses to start for want of a key.
    """
    key_id, key = crypto.new_key_id(), crypto.new_key()
    click.echo(f"    {key_id!r}: {key!r},")
    click.echo(f"# Add the line above to ENCRYPTION_KEYS; to encrypt with it, set "
               f"ENCRYPTION_KEY_ID = {key_id!r}", err=True)
    click.echo(f"# (environment: TRACKER_ENCRYPTION_KEYS__{key_id}={key})", err=True)


@click.command("rotate-keys")
@click.option("--batch-size", default=500, show_default=True, type=click.IntRange(1, 100_000),
              help="Values read and rewritten per round trip.")
@with_appcontext
def rotate_keys_command(batch_size: int) -> None:
    """Re-encrypt the private notes and drafts with the current key (ENCRYPTION_KEY_ID).

    Values already on the current key are left alone; the others are read with the key they
    name and rewritten, all in one transaction (on error nothing changes). Safe to run again.

    \b
    Rotating a key, without downtime:
      1. Add a new key (`flask --app tracker generate-key`) to ENCRYPTION_KEYS next to the
         old one, make it ENCRYPTION_KEY_ID on every app server, restart them: new values
         use the new key, the old key still decrypts.
      2. Run `flask --app tracker rotate-keys`.
      3. Remove the old key from ENCRYPTION_KEYS and restart. Keep it as long as any backup
         made before step 2 is kept: restoring one needs it.
    """
    ring = crypto.keyring()
    db = get_db()
    connection = db.connection()
    total = crypto.count_encrypted(connection)
    try:
        values = crypto.rotate(connection, ring, batch_size=batch_size)
        with click.progressbar(values, length=total, label="Re-encrypting",
                               show_pos=True) as bar:
            rotated = sum(bar)
    except crypto.DecryptionError as error:
        db.rollback()
        raise click.ClickException(f"{error} Nothing was changed.") from None
    db.commit()
    click.echo(f"Re-encrypted {rotated} of {total} values with key {ring.current_id!r} "
               f"({total - rotated} were already on it).")
    others = sorted(set(ring.ciphers) - {ring.current_id})
    if others:
        click.echo(f"No stored value uses {', '.join(map(repr, others))} any more: remove "
                   f"{'them' if len(others) > 1 else 'it'} "
                   "from ENCRYPTION_KEYS once no backup made before now needs it.")


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, writable=True))
@with_appcontext
def backup_command(path: str) -> None:
    """Write a consistent backup of the database to PATH (a new file, readable by you only),
    while the app keeps serving: SQLite's backup API, or pg_dump for PostgreSQL."""
    from tracker import backup

    url = get_engine().url
    try:
        outcome = backup.backup(url, path)
    except backup.BackupError as error:
        raise click.ClickException(str(error)) from error
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


def init_app(app: Flask) -> None:
    for command in (db_group, create_user_command, seed_demo_command, export_patient_command,
                    generate_key_command, rotate_keys_command, backup_command, restore_command):
        app.cli.add_command(command)
