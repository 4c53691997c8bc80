"""What a questionnaire is: its response options, severity bands and thresholds, and what a
valid set of answers to it looks like. The entries themselves live in phq9_gad7.py and
pcl5.py, the registry of them in instruments.py; nothing here touches Flask or the database.

Conventions:
- `items` are in published order; item numbers shown to people are 1-based, indices are
  0-based (`safety_item=8` is PHQ-9 item 9).
- `Band.low` and `Band.high` are inclusive totals.
- A lower total always means fewer symptoms.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def _join(numbers: Sequence[int]) -> str:
    text = [str(n) for n in numbers]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class IncompleteAnswers(ValueError):
    """Some items are unanswered. `missing` holds their 1-based item numbers, in order."""

    def __init__(self, missing: Sequence[int]) -> None:
        self.missing: tuple[int, ...] = tuple(sorted(missing))
        if len(self.missing) == 1:
            subject = f"Item {self.missing[0]} is"
        else:
            subject = f"Items {_join(self.missing)} are"
        super().__init__(
            f"{subject} unanswered: a questionnaire is scored only when every item is answered."
        )


@dataclass(frozen=True)
class Option:
    """One response option: the stored value and the label printed on the form."""

    value: int
    label: str


@dataclass(frozen=True)
class Band:
    """A severity band: totals `low` to `high` inclusive. `key` is stable (CSS classes,
    exports); `label` is for people."""

    low: int
    high: int
    label: str
    key: str

    def contains(self, total: int) -> bool:
        return self.low <= total <= self.high


@dataclass(frozen=True)
class Finding:
    """One line that an instrument's own rules add to a scored questionnaire's page: what
    was checked (`label`) and the outcome (`value`), both plain text."""

    label: str
    value: str


@dataclass(frozen=True)
class Instrument:
    """One questionnaire.

    `instructions` is the question printed directly above the items; `preamble` is any
    paragraph the published form prints before it (PCL-5 only). `difficulty_question` and
    `difficulty_options` are the closing functional question of the PHQ-9 and the GAD-7,
    part of the printed form but never scored (score() takes only `items`). `event_question`
    asks which index event the answers refer to (PCL-5): optional free text, clinical.

    Change thresholds: `mcid` is the minimal clinically important difference in points;
    `reliable_change` (GAD-7 only) is a separate, larger reliable change index. Response is
    a drop from baseline of at least `response_percent` % (PHQ-9, GAD-7) or of at least
    `response_points` points (PCL-5); remission is a total below `remission_below` (None: not
    defined). Both apply only from a baseline of at least `min_baseline` (the HEDIS
    depression measures count an index PHQ-9 of 10 or more; None: any baseline).
    `response_label` / `remission_label` describe the rules for people; the
    `*_is_convention` flags mark rules borrowed from another instrument rather than
    established for this one, and the UI must label them so. `cutoff_low` to `cutoff_high`
    (inclusive) is a provisional cut-off range of the total (PCL-5 only).

    Rules of one instrument only are methods of its entry: a subclass overrides
    findings() (see pcl5.py), so that no code elsewhere asks which instrument it holds.
    """

    code: str
    name: str
    title: str
    instructions: str
    timeframe: str
    items: tuple[str, ...]
    options: tuple[Option, ...]
    max_total: int
    bands: tuple[Band, ...]
    mcid: int
    mcid_source: str
    attribution: str
    licence: str
    response_label: str
    response_percent: int | None = None
    response_points: int | None = None
    response_is_convention: bool = False
    remission_below: int | None = None
    remission_label: str | None = None
    remission_is_convention: bool = False
    min_baseline: int | None = None
    reliable_change: int | None = None
    reliable_change_source: str | None = None
    cutoff_low: int | None = None
    cutoff_high: int | None = None
    safety_item: int | None = None
    safety_note: str | None = None
    preamble: str | None = None
    difficulty_question: str | None = None
    difficulty_options: tuple[Option, ...] = ()
    event_question: str | None = None

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def option_values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)

    @property
    def max_value(self) -> int:
        return max(option.value for option in self.options)

    def check_answers(self, answers: Sequence[int | None]) -> None:
        """ValueError unless `answers` has one entry per item, each None (unanswered) or
        one of the option values."""
        if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
            raise ValueError(f"{self.name} answers must be a sequence of item values.")
        if len(answers) != self.item_count:
            raise ValueError(
                f"{self.name} has {self.item_count} items; got {len(answers)} answers.")
        allowed = self.option_values
        invalid = [
            number
            for number, value in enumerate(answers, start=1)
            if value is not None and not (_is_int(value) and value in allowed)
        ]
        if invalid:
            subject = (f"Item {invalid[0]} has" if len(invalid) == 1
                       else f"Items {_join(invalid)} have")
            raise ValueError(
                f"{subject} an answer that is not a {self.name} option "
                f"(a whole number from {min(allowed)} to {max(allowed)})."
            )

    def complete_answers(self, answers: Sequence[int | None]) -> tuple[int, ...]:
        """The answers as a tuple of ints: check_answers(), then IncompleteAnswers (a
        ValueError) when any item is None."""
        self.check_answers(answers)
        missing = [number for number, value in enumerate(answers, start=1) if value is None]
        if missing:
            raise IncompleteAnswers(missing)
        return tuple(value for value in answers if value is not None)

    def check_total(self, name: str, total: int) -> None:
        """ValueError unless `total` (called `name` in the message) is a possible total."""
        if not _is_int(total) or not 0 <= total <= self.max_total:
            raise ValueError(
                f"{name} must be a {self.name} total from 0 to {self.max_total}; "
                f"got {total!r}."
            )

    def cutoff(self, total: int) -> str | None:
        """Where `total` sits against the provisional cut-off range: "below", "in_range"
        (cutoff_low to cutoff_high inclusive) or "above"; None without a range."""
        self.check_total("total", total)
        if self.cutoff_low is None or self.cutoff_high is None:
            return None
        if total < self.cutoff_low:
            return "below"
        if total <= self.cutoff_high:
            return "in_range"
        return "above"

    def findings(self, answers: tuple[int, ...], total: int) -> tuple[Finding, ...]:
        """What this instrument's own rules say about complete `answers` scoring `total`,
        in the order shown. Here: the cut-off range, where the instrument has one."""
        position = self.cutoff(total)
        if position is None:
            return ()
        low, high = self.cutoff_low, self.cutoff_high
        outcome = {"below": f"Below {low}", "in_range": f"Within {low}–{high}",
                   "above": f"Above {high}"}[position]
        return (Finding(f"Cut-off range {low}–{high}", outcome),)
