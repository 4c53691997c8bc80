"""The registry of questionnaires: one entry per instrument, in the order every page shows
them. The registry drives everything that differs by instrument: the new-questionnaire route
(tracker/converters.py), the order of measures on the progress page and the brief, the
"Enter" links of every page (the template global `instruments`), the instrument's own rules
(Instrument.findings) and the check constraint on measure_responses.instrument
(tracker/measures/models.py).

Adding an instrument is one entry here plus a migration that replaces that check constraint
with the new list of codes (tracker/migrations/checks.py).

Code reads the registry at call time, through `instruments.INSTRUMENTS` or the functions
below, never through a copy taken at import: this dict is the one object a test swaps for
a copy with a throwaway entry (tests/test_instrument_registry.py).
"""

from __future__ import annotations

import re

from tracker.measures.pcl5 import PCL5
from tracker.measures.phq9_gad7 import GAD7, PHQ9
from tracker.measures.questionnaire import Instrument

# What a code may look like: it is a URL segment and fits measure_responses.instrument.
CODE_PATTERN = r"[a-z][a-z0-9]{0,7}"


def registry(*entries: Instrument) -> dict[str, Instrument]:
    """The registry of `entries`, in order; ValueError for a malformed or repeated code."""
    by_code: dict[str, Instrument] = {}
    for entry in entries:
        if not re.fullmatch(CODE_PATTERN, entry.code) or entry.code in by_code:
            raise ValueError(f"Instrument code {entry.code!r} is malformed or repeated.")
        by_code[entry.code] = entry
    return by_code


INSTRUMENTS: dict[str, Instrument] = registry(PHQ9, GAD7, PCL5)


def get_instrument(code: str) -> Instrument:
    """The instrument for `code`; ValueError (not KeyError) for an unknown code."""
    try:
        return INSTRUMENTS[code]
    except KeyError:
        known = ", ".join(sorted(INSTRUMENTS))
        raise ValueError(f"Unknown instrument {code!r} (known: {known}).") from None


def all_instruments() -> list[Instrument]:
    """Every instrument, in the order pages show them (the template global `instruments`)."""
    return list(INSTRUMENTS.values())


def codes() -> tuple[str, ...]:
    """Every instrument code, in the order pages show them."""
    return tuple(INSTRUMENTS)
