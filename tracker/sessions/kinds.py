"""The kinds of session, one table: everything the app does differently by kind is an
attribute here, and code asks the entry (`session.kind_spec`), never compares kind codes.

Adding a kind is one entry here plus a migration that widens the check constraint on
therapy_sessions.kind (tracker/migrations/checks.py)."""

from __future__ import annotations

from dataclasses import dataclass

# The threads a session can carry forward (tracker/threads/carry.py).
THREADS = ("strategies", "beliefs", "themes")


@dataclass(frozen=True)
class SessionKind:
    """One kind of session.

    `label` names it on every page; `short_label` heads a column of the progress grids;
    `choice_label` is its line in the "new session" form. `has_dosing`: it has a dosing
    record (medication, dose, vitals) and counts as a dose of the course. `follows_dosing`:
    it is attached to the dosing session before it ("integration after dose 2").
    `nested`: lists show it indented under the session it belongs after. `carries`: the
    threads its page brings forward for a decision. `css_class`: the modifier of its
    timeline entries (timeline__item--<css_class>). `demo_minutes`: a typical length, for
    the demo data."""

    code: str
    label: str
    short_label: str
    choice_label: str
    has_dosing: bool = False
    follows_dosing: bool = False
    nested: bool = False
    carries: tuple[str, ...] = THREADS
    css_class: str = ""
    demo_minutes: int = 50

    @property
    def lower_label(self) -> str:
        return self.label.lower()

    def title(self, dose: int | None) -> str:
        """A session of this kind named on a page: "Dosing 3", "Integration after dose 3"
        (`dose`: its number in the course, tracker/courses/services.dose_numbers), else the
        label alone."""
        if dose is None:
            return self.label
        return f"{self.label} {dose}" if self.has_dosing else f"{self.label} after dose {dose}"


PREPARATION = SessionKind("preparation", "Preparation", "Prep.", "Preparation",
                          css_class="preparation", demo_minutes=90)
DOSING = SessionKind("dosing", "Dosing", "Dose", "Dosing", has_dosing=True,
                     css_class="dosing", demo_minutes=150)
INTEGRATION = SessionKind("integration", "Integration", "Integ.", "Integration",
                          follows_dosing=True, nested=True, css_class="integration",
                          demo_minutes=60)
CHECK_IN = SessionKind("check_in", "Check-in", "Check-in",
                       "Check-in (call or message between sessions)", nested=True,
                       css_class="check_in", demo_minutes=20)

KINDS: dict[str, SessionKind] = {k.code: k for k in (PREPARATION, DOSING, INTEGRATION,
                                                      CHECK_IN)}
KIND_CODES = tuple(KINDS)
DOSING_CODES = tuple(k.code for k in KINDS.values() if k.has_dosing)


def get_kind(code: str) -> SessionKind:
    """The entry for `code`; ValueError (not KeyError) for an unknown code."""
    try:
        return KINDS[code]
    except KeyError:
        raise ValueError(f"Unknown session kind {code!r} (known: {', '.join(KINDS)}).") from None
