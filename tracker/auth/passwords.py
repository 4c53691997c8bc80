"""argon2id password hashing with parameters from the app config."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app


def init_app(app: Flask) -> None:
    hasher = PasswordHasher(
        time_cost=app.config["ARGON2_TIME_COST"],
        memory_cost=app.config["ARGON2_MEMORY_COST"],
        parallelism=app.config["ARGON2_PARALLELISM"],
        type=Type.ID,
    )
    app.extensions["tracker.hasher"] = hasher
    # Verified against when the email is unknown, so that both cases cost the same time.
    app.extensions["tracker.dummy_hash"] = hasher.hash("not-a-real-password")


def _hasher() -> PasswordHasher:
    return current_app.extensions["tracker.hasher"]


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches; an unknown account (None) still costs one verification."""
    try:
        return (
            _hasher().verify(
                password_hash or current_app.extensions["tracker.dummy_hash"], password
            )
            and password_hash is not None
        )
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
