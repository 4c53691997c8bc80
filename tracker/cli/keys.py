"""The encryption keys of the private columns: `generate-key` prints a new one, `rotate-keys`
re-encrypts every stored value with the current one (tracker/crypto.py has the format)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import click
from flask.cli import with_appcontext
from sqlalchemy import Text, bindparam, func, select, table, update
from sqlalchemy import column as sql_column

from tracker import crypto, sealing
from tracker.audit.hooks import record_command
from tracker.db import get_db


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
    Each value stays sealed to its row (id and owner): one that does not open in its row
    (copied there from another) stops the rotation, and is never re-sealed where it lies.

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
    total = count_encrypted(connection)
    try:
        values = rotate(connection, ring, batch_size=batch_size)
        with click.progressbar(values, length=total, label="Re-encrypting",
                               show_pos=True) as bar:
            rotated = sum(bar)
    except crypto.DecryptionError as error:
        db.rollback()
        raise click.ClickException(f"{error} Nothing was changed.") from None
    db.commit()
    record_command(db, "rotate-keys")
    click.echo(f"Re-encrypted {rotated} of {total} values with key {ring.current_id!r} "
               f"({total - rotated} were already on it).")
    others = sorted(set(ring.ciphers) - {ring.current_id})
    if others:
        click.echo(f"No stored value uses {', '.join(map(repr, others))} any more: remove "
                   f"{'them' if len(others) > 1 else 'it'} "
                   "from ENCRYPTION_KEYS once no backup made before now needs it.")


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    primary_key: str
    column: str
    type: sealing.EncryptedText

    @property
    def label(self) -> str:
        return self.type.label


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column of the models (found by type, so new ones are rotated too)."""
    from tracker.db import Base
    from tracker.models import __all__ as _models  # noqa: F401  (fills Base.metadata)

    found = []
    for mapped in Base.metadata.sorted_tables:
        for column in mapped.columns:
            if isinstance(column.type, sealing.EncryptedText):
                [primary_key] = mapped.primary_key.columns
                found.append(EncryptedColumn(mapped.name, primary_key.name, column.name,
                                             column.type))
    return found


def rotate(connection, ring: crypto.Keyring, *, batch_size: int = 500) -> Iterator[bool]:
    """Re-encrypt with the current key every value that names another key, in batches, on
    `connection` (the caller owns the transaction). Reads the raw text, never the models,
    so that nothing else about a row changes (no updated_at bump). Yields, per value, whether
    it is rewritten (for a progress bar and the count)."""
    for spec in encrypted_columns():
        bound = [name for name in spec.type.binds if name != spec.primary_key]
        raw = table(spec.table, sql_column(spec.primary_key), sql_column(spec.column, Text),
                    *(sql_column(name) for name in bound))
        key, value = raw.c[spec.primary_key], raw.c[spec.column]
        last = None
        while True:
            query = (select(key, value, *(raw.c[name] for name in bound))
                     .where(value.is_not(None)).order_by(key).limit(batch_size))
            if last is not None:
                query = query.where(key > last)
            rows = connection.execute(query).all()
            if not rows:
                break
            changes = []
            for row_key, stored, *owners in rows:
                if stored is None or ring.is_current(stored, spec.label):
                    yield False
                    continue
                place = spec.type.place({spec.primary_key: row_key,
                                         **dict(zip(bound, owners, strict=True))})
                plaintext = ring.open(stored, place)
                changes.append({"row_key": row_key, "stored": stored,
                                "new": ring.seal(plaintext, place)})
                yield True
            if changes:
                connection.execute(
                    update(raw).where(key == bindparam("row_key"),
                                      value == bindparam("stored"))
                    .values({spec.column: bindparam("new")}),
                    changes)
            last = rows[-1][0]


def count_encrypted(connection) -> int:
    total = 0
    for spec in encrypted_columns():
        raw = table(spec.table, sql_column(spec.column, Text))
        total += connection.execute(select(func.count()).select_from(raw)
                                    .where(raw.c[spec.column].is_not(None))).scalar()
    return total
