"""Encrypted columns, each value sealed to its row (tracker/crypto.py has the format).

A model keeps the stored text in a column of type EncryptedText, which names the columns the
value is bound to (the row's id and its owner), and reads and writes the plaintext through an
`encrypted` attribute:

    body_sealed: Mapped[str] = mapped_column(
        "body", EncryptedText("psychotherapy_notes.body", binds=("id", "session_id", "author_id")))
    body = encrypted("body_sealed", default="")

A row gets its id only at INSERT (SQLite assigns it), so the value cannot be sealed when it is
set: it is sealed in the mapper's before_insert step, once the row's id is chosen there (the
next id of the table: nextval on PostgreSQL; on SQLite, whose writers take the database's
write lock first, one past the largest), and in before_update when the value or one of the
columns it is bound to changed. Reading decrypts on first access, with the row's own values,
so a value copied in from another row raises crypto.DecryptionError (errors.py shows it).
"""

from __future__ import annotations

import functools
import json

from sqlalchemy import Text, event, func, inspect, select, text
from sqlalchemy.orm import Mapper, object_session
from sqlalchemy.types import TypeDecorator

from tracker import crypto

_PENDING = object()  # Set on the stored column when the plaintext changed: sealed at flush.
_IDS = "sealing.next_ids"


class EncryptedText(TypeDecorator):
    """The stored text of an encrypted column: only values sealed for a row are written
    (plaintext never is). `label` is "table.column"; `binds` the columns it is sealed to."""

    impl = Text
    cache_ok = True

    def __init__(self, label: str, binds: tuple[str, ...] = ("id",)):
        super().__init__()
        self.label = label
        self.binds = tuple(binds)

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if not (isinstance(value, str) and value.startswith(f"{crypto.BOUND}:")):
            raise TypeError(f"{self.label} takes values sealed to their row only "
                            "(set the model's encrypted attribute, tracker/sealing.py)")
        return value

    def place(self, values) -> str:
        """Where a value of this column is sealed: `values` maps each bound column to the
        row's value (a mapping, or a row object)."""
        get = values.get if isinstance(values, dict) else lambda name: getattr(values, name)
        return crypto.binding(self.label, {name: get(name) for name in self.binds})

    def serialize(self, value) -> str:
        if not isinstance(value, str):
            raise TypeError(f"{self.label} holds text, not {type(value).__name__}")
        return value

    def deserialize(self, plain: str):
        return plain


class EncryptedJSON(EncryptedText):
    """A JSON document (dict, list, ...) stored encrypted as text."""

    cache_ok = True

    def serialize(self, value) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    def deserialize(self, plain: str):
        return json.loads(plain)


class encrypted:  # noqa: N801  (used like a column: body = encrypted("body_sealed"))
    """The plaintext of an encrypted column, decrypted on first read and sealed at flush."""

    def __init__(self, stored: str, default=None):
        self.stored = stored
        self.default = default

    def __set_name__(self, owner, name: str) -> None:
        self.name = name
        self.cache = f"_plain_{name}"

    def column_type(self, cls) -> EncryptedText:
        return inspect(cls).attrs[self.stored].columns[0].type

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        cached = obj.__dict__.get(self.cache, _PENDING)
        if cached is not _PENDING:
            return cached
        stored = getattr(obj, self.stored)
        if stored is None:
            return None if inspect(obj).has_identity else self.default
        kind = self.column_type(type(obj))
        value = kind.deserialize(crypto.keyring().open(stored, kind.place(obj)))
        obj.__dict__[self.cache] = value
        return value

    def __set__(self, obj, value) -> None:
        obj.__dict__[self.cache] = value
        setattr(obj, self.stored, None if value is None else _PENDING)

    def forget(self, obj) -> None:
        obj.__dict__.pop(self.cache, None)


@functools.cache  # Asked of every row loaded: the classes do not change.
def _fields(cls) -> tuple[encrypted, ...]:
    return tuple(value for klass in cls.__mro__ for value in vars(klass).values()
            if isinstance(value, encrypted))


def _next_id(connection, target) -> int:
    table = inspect(type(target)).local_table
    if connection.dialect.name == "postgresql":
        return connection.execute(text("SELECT nextval(pg_get_serial_sequence(:t, 'id'))"),
                                  {"t": table.name}).scalar_one()
    # Rows of one flush are inserted after all their before_insert steps: remember the ids
    # handed out in this session, above the largest already written.
    handed = object_session(target).info.setdefault(_IDS, {})
    top = connection.execute(select(func.max(table.c.id))).scalar() or 0
    handed[table.name] = max(top, handed.get(table.name, 0)) + 1
    return handed[table.name]


def _old_values(target, kind: EncryptedText) -> dict:
    """The bound columns as they were loaded (before this flush's changes)."""
    state, values = inspect(target), {}
    for name in kind.binds:
        history = state.attrs[name].history
        values[name] = history.deleted[0] if history.deleted else state.attrs[name].value
    return values


def _seal(target, inserting: bool) -> None:
    state = inspect(target)
    for field in _fields(type(target)):
        kind = field.column_type(type(target))
        pending = state.attrs[field.stored].value is _PENDING
        moved = not inserting and any(state.attrs[name].history.has_changes()
                                      for name in kind.binds)
        if inserting:
            plain = target.__dict__.get(field.cache, field.default)
            if not pending and state.attrs[field.stored].value is not None:
                continue  # Already sealed (copied from a row of its own).
        elif pending:
            plain = target.__dict__[field.cache]
        elif moved and state.attrs[field.stored].value is not None:
            plain = kind.deserialize(crypto.keyring().open(
                state.attrs[field.stored].value, kind.place(_old_values(target, kind))))
        else:
            continue
        sealed = None if plain is None else crypto.keyring().seal(kind.serialize(plain),
                                                                  kind.place(target))
        setattr(target, field.stored, sealed)


def _before_insert(_mapper, connection, target) -> None:
    if getattr(target, "id", None) is None:
        target.id = _next_id(connection, target)
    _seal(target, inserting=True)


def _before_update(_mapper, _connection, target) -> None:
    _seal(target, inserting=False)


def _forget(target, *_args) -> None:
    """Expired (a rollback): the plaintext is read again from what is stored."""
    for field in _fields(type(target)):
        field.forget(target)


def _open_loaded(target, *_args) -> None:
    """Loaded or refreshed: decrypt now, so that the object reads like any other once its
    app context is gone. A value that does not open is left for the first read to raise
    (the page that shows it answers with errors.py's clear page; others are unaffected)."""
    state = inspect(target)
    for field in _fields(type(target)):
        field.forget(target)
        kind = field.column_type(type(target))
        if (field.stored in state.unloaded
                or any(name in state.unloaded for name in kind.binds)):
            continue
        try:
            field.__get__(target)
        except (crypto.DecryptionError, RuntimeError):
            field.forget(target)


@event.listens_for(Mapper, "mapper_configured")
def _configure(mapper, cls) -> None:
    if not _fields(cls) or mapper.inherits is not None:
        return
    event.listen(mapper, "before_insert", _before_insert)
    event.listen(mapper, "before_update", _before_update)
    event.listen(mapper, "expire", _forget)
    event.listen(mapper, "load", _open_loaded)
    event.listen(mapper, "refresh", _open_loaded)
