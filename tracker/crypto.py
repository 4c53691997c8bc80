"""Encryption at rest of the private columns (psychotherapy notes, autosaved drafts, the
two-factor secrets, emergency-access reasons).

AES-256-GCM with a fresh 96-bit random nonce per value. A stored value reads

    v2:<key id>:<urlsafe base64 of nonce (12 bytes) + ciphertext + tag (16 bytes)>

and is authenticated together with its place: the table and column, the row's id and its
owner ("psychotherapy_notes.body|id=7|session_id=3|author_id=2", see `binding`), so that a
value copied into another column, into another row (another patient's, another author's),
or altered by one byte, does not decrypt. tracker/sealing.py writes and reads the columns.
Values of the first format (v1) were bound to their column only; migration 0014 re-encrypted
them, and `encrypt`/`decrypt` remain for the migrations alone. The keys live in the
configuration (instance/config.py or TRACKER_* environment variables), never in the database:

    ENCRYPTION_KEYS = {"20261123_a1f3": "<urlsafe base64 of 32 random bytes>", ...}
    ENCRYPTION_KEY_ID = "20261123_a1f3"   # the key new values are encrypted with

Every key listed keeps decrypting, so keys can be rotated without downtime: add a new key
and make it current, run `flask --app tracker rotate-keys` (tracker/cli/keys.py), then
remove the old key.
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app, has_app_context

VERSION = "v1"  # Bound to the column only: read and written by the migrations alone.
BOUND = "v2"  # Bound to the row: table and column, id, owner.
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")
_EXTENSION = "tracker.keyring"


class KeyConfigError(ValueError):
    """ENCRYPTION_KEYS / ENCRYPTION_KEY_ID cannot be used (the message is one line)."""


class DecryptionError(Exception):
    """A stored value could not be decrypted. Names the column and the key id, never the
    value: the key is unknown (removed from ENCRYPTION_KEYS too early, or another instance's
    key), or authentication failed (the value was altered or moved from another column)."""

    def __init__(self, message: str, *, label: str, key_id: str | None):
        super().__init__(message)
        self.label = label
        self.key_id = key_id


def new_key() -> str:
    """A fresh 256-bit key, urlsafe base64 (the form ENCRYPTION_KEYS holds)."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def new_key_id(today: date | None = None) -> str:
    """A key id that says when the key was made and does not repeat within a day; usable in
    an environment variable name (TRACKER_ENCRYPTION_KEYS__<id>)."""
    return f"{(today or date.today()):%Y%m%d}_{secrets.token_hex(2)}"


def decode_key(key_id: str, value: object) -> bytes:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        raise KeyConfigError(
            f"ENCRYPTION_KEYS[{key_id!r}] must be a urlsafe base64 string, "
            f"not {type(value).__name__}.")
    try:
        raw = base64.b64decode(value.strip(), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"ENCRYPTION_KEYS[{key_id!r}] is not urlsafe base64.") from None
    if len(raw) != KEY_BYTES:
        raise KeyConfigError(f"ENCRYPTION_KEYS[{key_id!r}] is {len(raw)} bytes, not {KEY_BYTES}.")
    return raw


@dataclass(frozen=True)
class Keyring:
    """The usable keys: every one decrypts, `current_id` encrypts."""

    ciphers: Mapping[str, AESGCM]
    current_id: str

    @classmethod
    def from_config(cls, keys: Mapping[str, object] | None, current_id: object) -> Keyring:
        """Validate the two settings; raises KeyConfigError with a one-line message."""
        if not keys:
            raise KeyConfigError("ENCRYPTION_KEYS is empty.")
        if not isinstance(keys, Mapping):
            raise KeyConfigError("ENCRYPTION_KEYS must be a dict of key id -> key.")
        ciphers = {}
        for key_id, value in keys.items():
            key_id = str(key_id)
            if not KEY_ID.match(key_id):
                raise KeyConfigError(
                    f"ENCRYPTION_KEYS has an unusable key id {key_id!r} (use up to 40 "
                    "letters, digits, '.', '_' or '-').")
            ciphers[key_id] = AESGCM(decode_key(key_id, value))
        current = "" if current_id is None else str(current_id)
        if current not in ciphers:
            raise KeyConfigError(
                f"ENCRYPTION_KEY_ID {current_id!r} is not one of ENCRYPTION_KEYS "
                f"({', '.join(map(repr, sorted(ciphers)))}).")
        return cls(ciphers=ciphers, current_id=current)

    def encrypt(self, plaintext: str, label: str, *, version: str = VERSION) -> str:
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = self.ciphers[self.current_id].encrypt(
            nonce, plaintext.encode("utf-8"), label.encode("utf-8"))
        token = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{version}:{self.current_id}:{token}"

    def seal(self, plaintext: str, place: str) -> str:
        """Encrypt for one place (`binding`): the value opens there only."""
        return self.encrypt(plaintext, place, version=BOUND)

    def open(self, stored: str, place: str) -> str:
        """Decrypt a value sealed for `place`; DecryptionError if it was sealed elsewhere."""
        label = place.split("|", 1)[0]
        if stored.startswith(f"{VERSION}:"):
            raise DecryptionError(
                f"A value of {label} ({_row(place)}) is still in the format bound to its "
                "column only: run `flask --app tracker db upgrade` (migration 0014).",
                label=label, key_id=None)
        return self.decrypt(stored, place, version=BOUND)

    def decrypt(self, stored: str, label: str, *, version: str = VERSION) -> str:
        key_id, token = split(stored, label, version)
        aad = label.encode("utf-8")
        where = label if version == VERSION else f"{label.split('|', 1)[0]} ({_row(label)})"
        label = label.split("|", 1)[0]
        cipher = self.ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(
                f"Cannot decrypt a value of {where}: it was encrypted with key {key_id!r}, "
                "which is not in ENCRYPTION_KEYS (removed before `rotate-keys` ran?).",
                label=label, key_id=key_id)
        try:
            raw = base64.urlsafe_b64decode(token.encode("ascii"))
        except (binascii.Error, ValueError, UnicodeEncodeError):
            raw = b""
        if len(raw) < NONCE_BYTES + 16:
            raise DecryptionError(
                f"Cannot decrypt a value of {where} (key {key_id!r}): it is truncated or "
                "damaged.", label=label, key_id=key_id)
        try:
            plain = cipher.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
        except InvalidTag:
            raise DecryptionError(
                f"Cannot decrypt a value of {where} with key {key_id!r}: authentication "
                "failed (the value was altered, or belongs to another row or column).",
                label=label, key_id=key_id) from None
        return plain.decode("utf-8")

    def is_current(self, stored: str, label: str) -> bool:
        """Sealed for its row with the current key (nothing for `rotate-keys` to do)."""
        return (stored.startswith(f"{BOUND}:")
                and split(stored, label, BOUND)[0] == self.current_id)


def binding(label: str, values: dict) -> str:
    """The place a value is sealed for: its "table.column" label and the row's id and owner
    columns, in the order given ("psychotherapy_notes.body|id=7|session_id=3|author_id=2")."""
    parts = [label]
    for name, value in values.items():
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"{label}: the row's {name} must be set before it is written.")
        parts.append(f"{name}={value}")
    return "|".join(parts)


def _row(place: str) -> str:
    """The row part of a place, for messages: ids only ("id=7, session_id=3")."""
    return ", ".join(place.split("|")[1:]) or "no row"


def split(stored: str, label: str, version: str = VERSION) -> tuple[str, str]:
    """(key id, token) of a stored value; refuses anything not in the format (plaintext is
    never accepted in place of ciphertext)."""
    label = label.split("|", 1)[0]
    found, _, rest = stored.partition(":")
    key_id, _, token = rest.partition(":")
    if found != version or not key_id or not token:
        raise DecryptionError(
            f"A value of {label} is not in the encrypted format ({version}:<key id>:...).",
            label=label, key_id=None)
    return key_id, token


def key_id_of(stored: str, label: str = "value") -> str:
    return split(stored, label, stored.partition(":")[0])[0]


def keyring() -> Keyring:
    """The current app's keyring, rebuilt when ENCRYPTION_KEYS or ENCRYPTION_KEY_ID change."""
    if not has_app_context():
        raise RuntimeError("Encrypted columns are read and written inside an app context "
                           "(the keys come from its configuration).")
    config = current_app.config
    keys = config.get("ENCRYPTION_KEYS") or {}
    signature = (tuple(sorted((str(k), str(v)) for k, v in keys.items())),
                 config.get("ENCRYPTION_KEY_ID"))
    cached = current_app.extensions.get(_EXTENSION)
    if cached is None or cached[0] != signature:
        cached = (signature, Keyring.from_config(keys, config.get("ENCRYPTION_KEY_ID")))
        current_app.extensions[_EXTENSION] = cached
    return cached[1]
