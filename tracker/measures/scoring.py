"""Pure, deterministic scoring of the bundled questionnaires (see instruments.py).

Nothing is guessed: a questionnaire is scored only when every item has a valid answer;
there is no prorating and no imputation. Totals follow the published rule (the sum of the
item values). Change is `later total - earlier total`, so a negative change is an
improvement (fewer symptoms) on all three instruments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from tracker.measures.instruments import Band, Instrument, get_instrument

Pcl5Cutoff = Literal["below", "in_range", "above"]

PCL5_PROVISIONAL_NOTE = (
    "Provisional, from self-report only; not a diagnosis. A DSM-5 PTSD diagnosis also needs a "
    "qualifying traumatic event, a duration of more than a month, clinically significant "
    "distress or impairment and the exclusion of other causes, established by a clinician."
)

# PCL-5 DSM-5 symptom clusters: (0-based item indices, how many must be endorsed).
PCL5_ENDORSED_AT = 2
PCL5_CLUSTERS: dict[str, tuple[range, int]] = {
    "B": (range(0, 5), 1),  # items 1-5, intrusion
    "C": (range(5, 7), 1),  # items 6-7, avoidance
    "D": (range(7, 14), 2),  # items 8-14, negative alterations in cognitions and mood
    "E": (range(14, 20), 2),  # items 15-20, alterations in arousal and reactivity
}


def _join(numbers: Sequence[int]) -> str:
    text = [str(n) for n in numbers]
    return text[0] if len(text) == 1 else ", ".join(text[:-1]) + " and " + text[-1]


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


@dataclass(frozen=True)
class Pcl5Provisional:
    """The PCL-5 DSM-5 symptom-cluster rule. `cluster_*` say whether each cluster's
    requirement is met; `endorsed_*` count the items rated 2 (Moderately) or more;
    `met` is all four clusters met. See PCL5_PROVISIONAL_NOTE for how to present it."""

    cluster_b: bool
    cluster_c: bool
    cluster_d: bool
    cluster_e: bool
    endorsed_b: int
    endorsed_c: int
    endorsed_d: int
    endorsed_e: int
    met: bool


@dataclass(frozen=True)
class Change:
    """One score compared with the course baseline and the previous score.

    `from_baseline` / `from_previous` are `total - earlier total` (negative = fewer
    symptoms); `from_previous` and the `*_from_previous` flags are None when there is no
    previous score. "By MCID" means a change of at least `mcid` points in that direction.
    `reliable_*` use the instrument's reliable change index, None where it has none (only
    the GAD-7 has one). `response` / `remission` are None where the rule is not defined
    (no remission rule for the PCL-5; no percentage response from a baseline of 0). The
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
    response: bool | None
    response_label: str
    response_is_convention: bool
    remission: bool | None
    remission_label: str | None
    remission_is_convention: bool


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_length(instrument: Instrument, answers: Sequence[int | None]) -> None:
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise ValueError(f"{instrument.name} answers must be a sequence of item values.")
    if len(answers) != instrument.item_count:
        raise ValueError(
            f"{instrument.name} has {instrument.item_count} items; got {len(answers)} answers."
        )


def _check_values(instrument: Instrument, answers: Sequence[int | None]) -> None:
    """Every non-None answer is one of the instrument's option values."""
    allowed = instrument.option_values
    invalid = [
        number
        for number, value in enumerate(answers, start=1)
        if value is not None and not (_is_int(value) and value in allowed)
    ]
    if invalid:
        subject = f"Item {invalid[0]} has" if len(invalid) == 1 else f"Items {_join(invalid)} have"
        raise ValueError(
            f"{subject} an answer that is not a {instrument.name} option "
            f"(a whole number from {min(allowed)} to {max(allowed)})."
        )


def validate_answers(code: str, answers: Sequence[int | None]) -> tuple[int, ...]:
    """The answers as a tuple of ints, or an exception: ValueError for an unknown code, the
    wrong number of answers or a value that is not an option; IncompleteAnswers (a
    ValueError) when any item is None."""
    instrument = get_instrument(code)
    _check_length(instrument, answers)
    _check_values(instrument, answers)
    missing = [number for number, value in enumerate(answers, start=1) if value is None]
    if missing:
        raise IncompleteAnswers(missing)
    return tuple(value for value in answers if value is not None)


def _check_total(instrument: Instrument, name: str, total: int) -> None:
    if not _is_int(total) or not 0 <= total <= instrument.max_total:
        raise ValueError(
            f"{name} must be a {instrument.name} total from 0 to {instrument.max_total}; "
            f"got {total!r}."
        )


def band_for(code: str, total: int) -> Band | None:
    """The severity band holding `total`; None for an instrument without bands (PCL-5)."""
    instrument = get_instrument(code)
    _check_total(instrument, "total", total)
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
    _check_length(instrument, answers)
    _check_values(instrument, answers)
    if instrument.safety_item is None:
        return False
    value = answers[instrument.safety_item]
    return value is not None and value > 0


def pcl5_dsm5(answers: Sequence[int | None]) -> Pcl5Provisional:
    """The provisional DSM-5 rule on a complete PCL-5: an item is endorsed when rated 2 or
    more; needs at least 1 of items 1-5 (B), 1 of items 6-7 (C), 2 of items 8-14 (D) and
    2 of items 15-20 (E). Refuses incomplete or invalid answers like score()."""
    values = validate_answers("pcl5", answers)
    counts = {
        cluster: sum(1 for i in items if values[i] >= PCL5_ENDORSED_AT)
        for cluster, (items, _needed) in PCL5_CLUSTERS.items()
    }
    met = {cluster: counts[cluster] >= needed for cluster, (_i, needed) in PCL5_CLUSTERS.items()}
    return Pcl5Provisional(
        cluster_b=met["B"],
        cluster_c=met["C"],
        cluster_d=met["D"],
        cluster_e=met["E"],
        endorsed_b=counts["B"],
        endorsed_c=counts["C"],
        endorsed_d=counts["D"],
        endorsed_e=counts["E"],
        met=all(met.values()),
    )


def pcl5_cutoff(total: int) -> Pcl5Cutoff:
    """Where a PCL-5 total sits against the 31-33 provisional cut-off range: "below" (< 31),
    "in_range" (31 to 33 inclusive) or "above" (> 33)."""
    instrument = get_instrument("pcl5")
    _check_total(instrument, "total", total)
    low, high = instrument.cutoff_low, instrument.cutoff_high
    if low is None or high is None:  # pragma: no cover - the PCL-5 defines both
        raise RuntimeError("The PCL-5 cut-off range is not defined.")
    if total < low:
        return "below"
    if total <= high:
        return "in_range"
    return "above"


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
    PCL-5 none (None).
    """
    instrument = get_instrument(code)
    _check_total(instrument, "baseline_total", baseline_total)
    if previous_total is not None:
        _check_total(instrument, "previous_total", previous_total)
    _check_total(instrument, "total", total)

    mcid = instrument.mcid
    from_baseline = total - baseline_total
    from_previous = None if previous_total is None else total - previous_total
    rci = instrument.reliable_change
    remission = None
    if instrument.remission_below is not None:
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
        response=_response(instrument, baseline_total, total),
        response_label=instrument.response_label,
        response_is_convention=instrument.response_is_convention,
        remission=remission,
        remission_label=instrument.remission_label,
        remission_is_convention=instrument.remission_is_convention,
    )
