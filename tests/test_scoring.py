"""Scoring of PHQ-9, GAD-7 and PCL-5 against the published rules (docs/DOMAIN.md)."""

from __future__ import annotations

import pytest

from tracker.measures.instruments import INSTRUMENTS, get_instrument
from tracker.measures.pcl5 import PCL5
from tracker.measures.scoring import (
    IncompleteAnswers,
    band_for,
    compare,
    safety_flag,
    score,
)

PFIZER = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc."
)


def answers_totalling(code: str, total: int) -> list[int]:
    """Valid answers for `code` adding up to `total` (items filled from the first)."""
    instrument = INSTRUMENTS[code]
    answers = []
    left = total
    for _ in instrument.items:
        value = min(left, instrument.max_value)
        answers.append(value)
        left -= value
    assert left == 0, "total larger than the instrument allows"
    return answers


def pcl5_answers(endorsed: dict[int, int]) -> list[int]:
    """PCL-5 answers: 0 everywhere except {1-based item number: value}."""
    answers = [0] * 20
    for number, value in endorsed.items():
        answers[number - 1] = value
    return answers


# --- The instruments --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "items", "options", "max_total"),
    [("phq9", 9, 4, 27), ("gad7", 7, 4, 21), ("pcl5", 20, 5, 80)],
)
def test_item_and_option_counts(code, items, options, max_total):
    instrument = INSTRUMENTS[code]
    assert instrument.code == code
    assert len(instrument.items) == items
    assert len(instrument.options) == options
    assert [o.value for o in instrument.options] == list(range(options))
    assert instrument.max_total == max_total == items * (options - 1)


@pytest.mark.parametrize(("code", "max_total"), [("phq9", 27), ("gad7", 21), ("pcl5", 80)])
def test_maximum_total(code, max_total):
    instrument = INSTRUMENTS[code]
    result = score(code, [instrument.max_value] * len(instrument.items))
    assert result.total == max_total
    assert result.answers == (instrument.max_value,) * len(instrument.items)


@pytest.mark.parametrize(
    ("code", "number", "wording"),
    [
        ("phq9", 1, "Little interest or pleasure in doing things"),
        ("phq9", 2, "Feeling down, depressed, or hopeless"),
        (
            "phq9",
            9,
            "Thoughts that you would be better off dead or of hurting yourself in some way",
        ),
        ("gad7", 1, "Feeling nervous, anxious or on edge"),
        ("gad7", 7, "Feeling afraid as if something awful might happen"),
        ("pcl5", 1, "Repeated, disturbing, and unwanted memories of the stressful experience?"),
        ("pcl5", 20, "Trouble falling or staying asleep?"),
    ],
)
def test_standard_item_wording(code, number, wording):
    assert INSTRUMENTS[code].items[number - 1] == wording


@pytest.mark.parametrize(
    ("code", "instructions", "labels"),
    [
        (
            "phq9",
            "Over the last 2 weeks, how often have you been bothered by any of the following "
            "problems?",
            ["Not at all", "Several days", "More than half the days", "Nearly every day"],
        ),
        (
            "gad7",
            "Over the last 2 weeks, how often have you been bothered by the following problems?",
            ["Not at all", "Several days", "More than half the days", "Nearly every day"],
        ),
        (
            "pcl5",
            "In the past month, how much were you bothered by:",
            ["Not at all", "A little bit", "Moderately", "Quite a bit", "Extremely"],
        ),
    ],
)
def test_instructions_and_option_labels(code, instructions, labels):
    instrument = INSTRUMENTS[code]
    assert instrument.instructions == instructions
    assert [o.label for o in instrument.options] == labels


@pytest.mark.parametrize(
    ("code", "attribution"),
    [
        ("phq9", PFIZER),
        ("gad7", PFIZER),
        (
            "pcl5",
            "PCL-5 (Weathers, Litz, Keane, Palmieri, Marx & Schnurr, 2013), National Center for "
            "PTSD; public domain.",
        ),
    ],
)
def test_attribution(code, attribution):
    assert INSTRUMENTS[code].attribution == attribution


@pytest.mark.parametrize(
    ("code", "mcid", "reliable_change"), [("phq9", 5, None), ("gad7", 4, 6), ("pcl5", 10, None)]
)
def test_change_thresholds(code, mcid, reliable_change):
    assert INSTRUMENTS[code].mcid == mcid
    assert INSTRUMENTS[code].reliable_change == reliable_change


@pytest.mark.parametrize("code", ["phq9", "gad7"])
def test_bands_cover_every_total_once(code):
    instrument = INSTRUMENTS[code]
    covered = [t for band in instrument.bands for t in range(band.low, band.high + 1)]
    assert covered == list(range(instrument.max_total + 1))


def test_pcl5_has_no_bands_but_a_cutoff_range():
    pcl5 = INSTRUMENTS["pcl5"]
    assert pcl5.bands == ()
    assert (pcl5.cutoff_low, pcl5.cutoff_high) == (31, 33)
    assert score("pcl5", [4] * 20).band is None


def test_safety_item_is_phq9_item_9():
    phq9 = INSTRUMENTS["phq9"]
    assert phq9.safety_item == 8
    assert phq9.items[phq9.safety_item].startswith("Thoughts that you would be better off dead")
    assert "does not mean the patient is safe" in phq9.safety_note
    assert INSTRUMENTS["gad7"].safety_item is None
    assert INSTRUMENTS["pcl5"].safety_item is None


def test_unknown_instrument_is_refused():
    with pytest.raises(ValueError, match="Unknown instrument"):
        get_instrument("bdi")
    with pytest.raises(ValueError, match="Unknown instrument"):
        score("bdi", [0] * 21)


# --- Totals and bands -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "total", "band_key"),
    [
        ("phq9", 0, "minimal"),
        ("phq9", 4, "minimal"),
        ("phq9", 5, "mild"),
        ("phq9", 9, "mild"),
        ("phq9", 10, "moderate"),
        ("phq9", 14, "moderate"),
        ("phq9", 15, "moderately_severe"),
        ("phq9", 19, "moderately_severe"),
        ("phq9", 20, "severe"),
        ("phq9", 27, "severe"),
        ("gad7", 0, "minimal"),
        ("gad7", 4, "minimal"),
        ("gad7", 5, "mild"),
        ("gad7", 9, "mild"),
        ("gad7", 10, "moderate"),
        ("gad7", 14, "moderate"),
        ("gad7", 15, "severe"),
        ("gad7", 21, "severe"),
    ],
)
def test_band_boundaries(code, total, band_key):
    result = score(code, answers_totalling(code, total))
    assert result.code == code
    assert result.total == total
    assert result.band is not None and result.band.key == band_key
    assert band_for(code, total) == result.band


@pytest.mark.parametrize(
    ("answers", "total"),
    [
        ([0, 1, 2, 3, 0, 1, 2, 3, 0], 12),
        ([3, 3, 3, 3, 3, 3, 3, 3, 0], 24),
        ([1, 1, 1, 1, 1, 1, 1, 1, 1], 9),
    ],
)
def test_total_is_the_sum_of_the_items(answers, total):
    assert score("phq9", answers).total == total


# --- Refusals: nothing is guessed -------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "missing", "message"),
    [
        (
            "phq9",
            (3, 7),
            "Items 3 and 7 are unanswered: a questionnaire is scored only when every item is "
            "answered.",
        ),
        (
            "gad7",
            (1,),
            "Item 1 is unanswered: a questionnaire is scored only when every item is answered.",
        ),
        (
            "pcl5",
            (2, 10, 20),
            "Items 2, 10 and 20 are unanswered: a questionnaire is scored only when every item "
            "is answered.",
        ),
    ],
)
def test_incomplete_answers_are_refused(code, missing, message):
    answers: list[int | None] = [1] * len(INSTRUMENTS[code].items)
    for number in missing:
        answers[number - 1] = None
    with pytest.raises(IncompleteAnswers) as caught:
        score(code, answers)
    assert caught.value.missing == missing
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("code", "bad"),
    [
        ("phq9", 4),
        ("phq9", -1),
        ("gad7", 4),
        ("pcl5", 5),
        ("phq9", "2"),
        ("gad7", 1.0),
        ("phq9", True),
    ],
)
def test_answer_outside_the_options_is_refused(code, bad):
    answers = [0] * len(INSTRUMENTS[code].items)
    answers[2] = bad
    with pytest.raises(ValueError, match="Item 3 has an answer that is not") as caught:
        score(code, answers)
    assert not isinstance(caught.value, IncompleteAnswers)


@pytest.mark.parametrize(
    ("code", "count"), [("phq9", 8), ("phq9", 10), ("gad7", 9), ("pcl5", 19), ("pcl5", 0)]
)
def test_wrong_number_of_answers_is_refused(code, count):
    with pytest.raises(ValueError, match=f"items; got {count} answers"):
        score(code, [0] * count)


# --- Safety flag ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answers", "flagged"),
    [
        ([0, 0, 0, 0, 0, 0, 0, 0, 1], True),
        ([0, 0, 0, 0, 0, 0, 0, 0, 3], True),
        ([3, 3, 3, 3, 3, 3, 3, 3, 0], False),  # total 24 (severe) does not raise it
        ([None, None, None, None, None, None, None, None, 2], True),  # incomplete still flags
        ([None] * 9, False),
    ],
)
def test_safety_flag_on_phq9_item_9(answers, flagged):
    assert safety_flag("phq9", answers) is flagged


def test_safety_flag_on_scores():
    assert score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1]).safety_flag is True
    high = score("phq9", [3, 3, 3, 3, 3, 3, 3, 3, 0])
    assert high.total == 24 and high.safety_flag is False
    assert safety_flag("gad7", [3] * 7) is False
    assert safety_flag("pcl5", [4] * 20) is False


def test_safety_flag_refuses_invalid_answers():
    with pytest.raises(ValueError):
        safety_flag("phq9", [0] * 8 + [7])
    with pytest.raises(ValueError):
        safety_flag("phq9", [0] * 8)


# --- PCL-5: provisional DSM-5 rule and cut-off ------------------------------------------

# One endorsed (>= 2) item in B and C, two in D and E: the least that meets the rule.
MEETS_RULE = {1: 2, 6: 2, 8: 2, 9: 2, 15: 2, 16: 2}


def test_pcl5_dsm5_rule_met():
    result = PCL5.dsm5(pcl5_answers(MEETS_RULE))
    assert (result.cluster_b, result.cluster_c, result.cluster_d, result.cluster_e) == (
        True,
        True,
        True,
        True,
    )
    assert (result.endorsed_b, result.endorsed_c, result.endorsed_d, result.endorsed_e) == (
        1,
        1,
        2,
        2,
    )
    assert result.met is True


def test_pcl5_dsm5_fails_only_cluster_c():
    # Items 6 and 7 rated 1 (A little bit): present but not endorsed. Total stays high.
    answers = pcl5_answers({**MEETS_RULE, 6: 1, 7: 1, 2: 4, 3: 4, 4: 4, 5: 4, 10: 4, 17: 4})
    result = PCL5.dsm5(answers)
    assert (result.cluster_b, result.cluster_c, result.cluster_d, result.cluster_e) == (
        True,
        False,
        True,
        True,
    )
    assert result.met is False
    assert score("pcl5", answers).total >= 34  # above the cut-off, yet the rule fails


@pytest.mark.parametrize(
    ("drop", "failing"),
    [(1, "b"), (6, "c"), (9, "d"), (16, "e")],
)
def test_pcl5_dsm5_each_cluster_minimum(drop, failing):
    answers = pcl5_answers({k: v for k, v in MEETS_RULE.items() if k != drop})
    result = PCL5.dsm5(answers)
    for cluster in "bcde":
        assert getattr(result, f"cluster_{cluster}") is (cluster != failing)
    assert result.met is False


def test_pcl5_items_rated_1_are_not_endorsed():
    result = PCL5.dsm5([1] * 20)
    assert (result.endorsed_b, result.endorsed_c, result.endorsed_d, result.endorsed_e) == (
        0,
        0,
        0,
        0,
    )
    assert result.met is False
    assert PCL5.dsm5([2] * 20).met is True


def test_pcl5_dsm5_refuses_incomplete_answers():
    with pytest.raises(IncompleteAnswers) as caught:
        PCL5.dsm5([2] * 19 + [None])
    assert caught.value.missing == (20,)


@pytest.mark.parametrize(
    ("total", "position"),
    [
        (0, "below"),
        (30, "below"),
        (31, "in_range"),
        (32, "in_range"),
        (33, "in_range"),
        (34, "above"),
        (80, "above"),
    ],
)
def test_pcl5_cutoff(total, position):
    assert PCL5.cutoff(total) == position


@pytest.mark.parametrize("total", [-1, 81])
def test_pcl5_cutoff_refuses_impossible_totals(total):
    with pytest.raises(ValueError):
        PCL5.cutoff(total)


# --- Change, MCID, response, remission --------------------------------------------------


@pytest.mark.parametrize(
    ("code", "baseline", "total", "improved", "worsened"),
    [
        ("phq9", 15, 10, True, False),  # exactly 5
        ("phq9", 15, 11, False, False),  # 4
        ("phq9", 10, 15, False, True),
        ("phq9", 10, 14, False, False),
        ("gad7", 12, 8, True, False),  # exactly 4
        ("gad7", 12, 9, False, False),  # 3
        ("gad7", 8, 12, False, True),
        ("gad7", 8, 11, False, False),
        ("pcl5", 50, 40, True, False),  # exactly 10
        ("pcl5", 50, 41, False, False),
    ],
)
def test_mcid_from_baseline(code, baseline, total, improved, worsened):
    change = compare(code, baseline, None, total)
    assert change.from_baseline == total - baseline
    assert change.improved_by_mcid_from_baseline is improved
    assert change.worsened_by_mcid_from_baseline is worsened


@pytest.mark.parametrize(
    ("code", "previous", "total", "improved", "worsened"),
    [
        ("phq9", 20, 15, True, False),
        ("phq9", 20, 16, False, False),
        ("phq9", 15, 20, False, True),
        ("gad7", 14, 10, True, False),
        ("gad7", 14, 11, False, False),
        ("gad7", 10, 14, False, True),
    ],
)
def test_mcid_from_previous(code, previous, total, improved, worsened):
    change = compare(code, 21, previous, total)
    assert change.from_previous == total - previous
    assert change.improved_by_mcid_from_previous is improved
    assert change.worsened_by_mcid_from_previous is worsened


def test_no_previous_score():
    change = compare("phq9", 18, None, 12)
    assert change.previous_total is None
    assert change.from_previous is None
    assert change.improved_by_mcid_from_previous is None
    assert change.worsened_by_mcid_from_previous is None


@pytest.mark.parametrize(
    ("total", "improved", "worsened"), [(6, True, False), (7, False, False), (18, False, True)]
)
def test_gad7_reliable_change(total, improved, worsened):
    change = compare("gad7", 12, None, total)
    assert change.reliable_change == 6
    assert change.reliable_improvement_from_baseline is improved
    assert change.reliable_worsening_from_baseline is worsened
    assert compare("phq9", 12, None, total).reliable_improvement_from_baseline is None


@pytest.mark.parametrize(
    ("code", "baseline", "total", "response"),
    [
        ("phq9", 20, 10, True),  # exactly 50%
        ("phq9", 20, 11, False),  # 45%
        ("phq9", 15, 7, True),  # 53%
        ("phq9", 15, 8, False),  # 46.7%: just under
        ("phq9", 0, 0, None),  # no reduction possible from 0
        ("gad7", 16, 8, True),
        ("gad7", 16, 9, False),
        ("pcl5", 40, 35, True),  # a drop of exactly 5 points
        ("pcl5", 40, 36, False),
    ],
)
def test_response(code, baseline, total, response):
    assert compare(code, baseline, None, total).response is response


@pytest.mark.parametrize(
    ("code", "total", "remission"),
    [
        ("phq9", 4, True),
        ("phq9", 5, False),
        ("gad7", 4, True),
        ("gad7", 5, False),
        ("pcl5", 0, None),
    ],
)
def test_remission(code, total, remission):
    assert compare(code, 20, None, total).remission is remission


@pytest.mark.parametrize(
    ("code", "response_convention", "remission_convention", "has_remission_label"),
    [("phq9", False, False, True), ("gad7", True, True, True), ("pcl5", False, False, False)],
)
def test_conventions_are_labelled(
    code, response_convention, remission_convention, has_remission_label
):
    change = compare(code, 12, 10, 4)
    assert change.response_is_convention is response_convention
    assert change.remission_is_convention is remission_convention
    assert change.response_label == INSTRUMENTS[code].response_label
    assert (change.remission_label is not None) is has_remission_label
    if remission_convention:
        assert "convention" in change.remission_label
        assert "convention" in change.response_label


def test_phq9_remission_is_labelled_hedis():
    assert "HEDIS" in compare("phq9", 12, None, 4).remission_label


@pytest.mark.parametrize(
    ("code", "baseline", "previous", "total"),
    [("phq9", 28, None, 0), ("phq9", 10, -1, 5), ("gad7", 10, None, 22), ("phq9", 10, None, 4.0)],
)
def test_compare_refuses_impossible_totals(code, baseline, previous, total):
    with pytest.raises(ValueError):
        compare(code, baseline, previous, total)


def test_results_are_frozen_and_deterministic():
    first = score("phq9", [1, 2, 3, 0, 1, 2, 3, 0, 1])
    assert first == score("phq9", (1, 2, 3, 0, 1, 2, 3, 0, 1))
    with pytest.raises(AttributeError):
        first.total = 0  # type: ignore[misc]
    assert compare("gad7", 15, 10, 6) == compare("gad7", 15, 10, 6)
