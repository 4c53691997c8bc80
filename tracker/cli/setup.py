"""Setting up a practice: `init` (instance/config.py with fresh secrets, migrations, the
demo), `db upgrade` and `db current`, `create-user`, `seed-demo`."""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select

from tracker import crypto, file_modes, migrate
from tracker.config import ConfigError
from tracker.db import get_db, get_engine


def private_opener(path, flags):
    """Files holding secrets or records are created readable by their owner only."""
    return os.open(path, flags, 0o600)


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
    file_modes.secure_folder(folder)  # 0700: it holds the keys, and the database.
    path = folder / "config.py"
    if path.exists():
        return None
    with open(path, "x", encoding="utf-8", opener=private_opener) as handle:
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


@click.command("init")
@click.option(
    "--demo/--no-demo",
    default=False,
    show_default=True,
    help="Seed the fictional demo practice (published passwords: never in production) "
    "when the database has no accounts yet.",
)
@click.option("--demo-url", default="http://127.0.0.1:5000", show_default=True,
              help="Where `make run` serves the app: the demo patient's check-in link starts "
              "with it.")
def init_command(demo: bool, demo_url: str) -> None:
    """Write instance/config.py if missing, migrate the database, seed the demo practice.

    Safe to run again: existing configuration and data are kept. It is a plugin command
    (entry point flask.commands) because the app cannot start before its secret exists.
    """
    from tracker import create_app
    from tracker.instance import instance_path, refuse_environment

    try:
        path = instance_path()
        refuse_environment(path)
    except ConfigError as error:
        raise click.ClickException(str(error)) from None
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
                _print_demo_link(demo_url)


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


@db_group.command("downgrade")
@click.option("--revision", required=True,
              help="The revision to go back to (`db current` names them; -1 is the one before).")
@click.confirmation_option(prompt="Going back may drop columns and the data in them. Take a "
                                  "backup first. Continue?")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Migrate the database back to an earlier revision (before running an older version
    of the app)."""
    engine = get_engine()
    migrate.downgrade(engine, revision)
    click.echo(f"Database at revision {migrate.current_revision(engine)}.")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Show the database's revision and the latest one."""
    click.echo(f"current: {migrate.current_revision(get_engine())}")
    click.echo(f"head:    {migrate.head_revision()}")


NEW_PASSWORD_VARIABLE = "TRACKER_NEW_PASSWORD"  # noqa: S105 (a variable's name)


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--admin", is_flag=True, help="The account can manage other accounts.")
@with_appcontext
def create_user_command(email: str, name: str, admin: bool) -> None:
    """Create an account. The password is prompted and not echoed, or read from the
    TRACKER_NEW_PASSWORD environment variable (for scripts); never from the command line,
    where other users of the machine and the shell history would see it."""
    from tracker.auth import services

    password = os.environ.get(NEW_PASSWORD_VARIABLE) or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True)

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


def _print_demo_link(base_url: str) -> None:
    """A fresh check-in link for the demo patient (made on every run: only its hash is
    kept), to try the patient's side on a phone-sized browser."""
    from tracker.demo.between import PATIENT, demo_link

    made = demo_link(get_db())
    get_db().commit()
    if made is not None:
        token, code = made
        click.echo(f"Demo patient check-in ({PATIENT}, open it on a phone): "
                   f"{base_url.rstrip('/')}/c/{token}  code {code}")


def _print_demo_logins() -> None:
    from tracker.demo import DEMO_LOGINS

    click.echo("Demo logins (email / password):")
    for email, password, role in DEMO_LOGINS:
        click.echo(f"  {email:<28} {password:<24} {role}")
