"""Pure, deterministic scoring of the registered questionnaires (see instruments.py).

Nothing is guessed: a questionnaire is scored only when every item has a valid answer;
there is no prorating and no imputation. Totals follow the published rule (the sum of the
item values). Change is `later total - earlier total`, so a negative change is an
improvement (fewer symptoms) on every instrument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.measures.instruments import get_instrument
from tracker.measures.questionnaire import Band, Finding, Instrument
from tracker.measures.questionnaire import IncompleteAnswers as IncompleteAnswers


@dataclass(frozen=True)
class Score:
    """A scored, complete questionnaire. `band` is None for the PCL-5 (no validated bands)."""

    code: str
    total: int
    band: Band | None
    answers: tuple[int, ...]

    @property
    def instrument(self) -> Instrument:
        return get_instrument(self.code)

    @property
    def safety_flag(self) -> bool:
        return safety_flag(self.code, self.answers)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """What the instrument's own rules say about this score (Instrument.findings)."""
        return self.instrument.findings(self.answers, self.total)


@dataclass(frozen=True)
class Change:
    """One score compared with the course baseline and the previous score.

    `from_baseline` / `from_previous` are `total - earlier total` (negative = fewer
    symptoms); `from_previous` and the `*_from_previous` flags are None when there is no
    previous score. "By MCID" means a change of at least `mcid` points in that direction.
    `reliable_*` use the instrument's reliable change index, None where it has none (only
    the GAD-7 has one). `response` / `remission` are None where the rule is not defined
    (no remission rule for the PCL-5; no percentage response from a baseline of 0) and
    when the baseline is below the instrument's `min_baseline` (`baseline_qualifies` is then
    False: the page says "n/a (baseline below 10)", never "yes"). The
    labels and `*_is_convention` flags are copied from the instrument so that the UI can
    say which rule was applied and mark borrowed conventions.
    """

    code: str
    baseline_total: int
    previous_total: int | None
    total: int
    from_baseline: int
    from_previous: int | None
    mcid: int
    improved_by_mcid_from_baseline: bool
    worsened_by_mcid_from_baseline: bool
    improved_by_mcid_from_previous: bool | None
    worsened_by_mcid_from_previous: bool | None
    reliable_change: int | None
    reliable_improvement_from_baseline: bool | None
    reliable_worsening_from_baseline: bool | None
    baseline_qualifies: bool
    min_baseline: int | None
    response: bool | None
    response_label: str
    response_is_convention: bool
    remission: bool | None
    remission_label: str | None
    remission_is_convention: bool


def validate_answers(code: str, answers: Sequence[int | None]) -> tuple[int, ...]:
    """The answers as a tuple of ints, or an exception: ValueError for an unknown code, the
    wrong number of answers or a value that is not an option; IncompleteAnswers (a
    ValueError) when any item is None."""
    return get_instrument(code).complete_answers(answers)


def band_for(code: str, total: int) -> Band | None:
    """The severity band holding `total`; None for an instrument without bands (PCL-5)."""
    instrument = get_instrument(code)
    instrument.check_total("total", total)
    for band in instrument.bands:
        if band.contains(total):
            return band
    return None


def score(code: str, answers: Sequence[int | None]) -> Score:
    """Total and band of a complete questionnaire. Refuses (never guesses): wrong length and
    out-of-range values with ValueError, unanswered items with IncompleteAnswers."""
    values = validate_answers(code, answers)
    total = sum(values)
    return Score(code=code, total=total, band=band_for(code, total), answers=values)


def safety_flag(code: str, answers: Sequence[int | None]) -> bool:
    """True when the instrument's safety item (PHQ-9 item 9) is answered above 0; always
    False for instruments without one.

    Works on incomplete answers too (other items may be None), so that a questionnaire
    refused as incomplete still raises the flag. False only means that no positive answer
    to item 9 was recorded; it never means that the patient is safe (see
    Instrument.safety_note). Raises ValueError for the wrong length or an invalid value.
    """
    instrument = get_instrument(code)
    instrument.check_answers(answers)
    if instrument.safety_item is None:
        return False
    value = answers[instrument.safety_item]
    return value is not None and value > 0


def _response(instrument: Instrument, baseline_total: int, total: int) -> bool | None:
    drop = baseline_total - total
    if instrument.response_percent is not None:
        if baseline_total == 0:
            return None  # no reduction from 0 is possible: not defined
        # drop / baseline >= percent / 100, in integers (no floating-point edge cases)
        return drop * 100 >= instrument.response_percent * baseline_total
    if instrument.response_points is not None:
        return drop >= instrument.response_points
    return None


def compare(code: str, baseline_total: int, previous_total: int | None, total: int) -> Change:
    """Compare `total` with the course baseline (the first score of the course) and the
    previous score (None when there is none).

    Rules (docs/DOMAIN.md): MCID PHQ-9 5 points (Löwe 2004), GAD-7 4 (Toussaint 2020),
    PCL-5 10 (clinically meaningful, National Center for PTSD); GAD-7 reliable change 6.
    Response: PHQ-9 and GAD-7 a drop of >= 50% from baseline (for the GAD-7 a borrowed
    convention); PCL-5 a drop of >= 5 points from baseline ("5 points = response to
    treatment"). Remission: PHQ-9 total < 5 (HEDIS); GAD-7 total < 5 (borrowed convention);
    PCL-5 none (None). PHQ-9 and GAD-7 response and remission only from a baseline of 10 or
    more (HEDIS; borrowed for the GAD-7), None below it.
    """
    instrument = get_instrument(code)
    instrument.check_total("baseline_total", baseline_total)
    if previous_total is not None:
        instrument.check_total("previous_total", previous_total)
    instrument.check_total("total", total)

    mcid = instrument.mcid
    from_baseline = total - baseline_total
    from_previous = None if previous_total is None else total - previous_total
    rci = instrument.reliable_change
    qualifies = instrument.min_baseline is None or baseline_total >= instrument.min_baseline
    remission = None
    if instrument.remission_below is not None and qualifies:
        remission = total < instrument.remission_below

    return Change(
        code=code,
        baseline_total=baseline_total,
        previous_total=previous_total,
        total=total,
        from_baseline=from_baseline,
        from_previous=from_previous,
        mcid=mcid,
        improved_by_mcid_from_baseline=from_baseline <= -mcid,
        worsened_by_mcid_from_baseline=from_baseline >= mcid,
        improved_by_mcid_from_previous=None if from_previous is None else from_previous <= -mcid,
        worsened_by_mcid_from_previous=None if from_previous is None else from_previous >= mcid,
        reliable_change=rci,
        reliable_improvement_from_baseline=None if rci is None else from_baseline <= -rci,
        reliable_worsening_from_baseline=None if rci is None else from_baseline >= rci,
        baseline_qualifies=qualifies,
        min_baseline=instrument.min_baseline,
        response=_response(instrument, baseline_total, total) if qualifies else None,
        response_label=instrument.response_label,
        response_is_convention=instrument.response_is_convention,
        remission=remission,
        remission_label=instrument.remission_label,
        remission_is_convention=instrument.remission_is_convention,
    )
