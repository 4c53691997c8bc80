"""Authenticator codes for browser tests that sign in more than once.

The app accepts each code once, so two sign-ins within 30 seconds need two codes. The codes
used are remembered here, in a module every test imports by the same name: pytest imports
test files without a package under their bare names, so a set kept in a test module could
exist twice and let one test replay the code another has just used."""

from __future__ import annotations

import time

import pyotp

_USED_STEPS: set[int] = set()


def fresh_code(secret: str) -> str:
    """The authenticator's code, waiting for the next one when this one was used."""
    while (step := int(time.time()) // 30) in _USED_STEPS:
        time.sleep(30 - time.time() % 30 + 0.1)
    _USED_STEPS.add(step)
    return pyotp.TOTP(secret).at(step * 30)
