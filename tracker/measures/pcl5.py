"""The PCL-5 (PTSD Checklist for DSM-5): standard wording, options and thresholds of
docs/DOMAIN.md ("Outcome measures"), and its own rule, the provisional DSM-5 symptom-cluster
rule, as a method of its entry. An entry of the registry (instruments.py)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tracker.measures.questionnaire import Finding, Instrument, Option

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
class Pcl5(Instrument):
    """The PCL-5 entry: an Instrument with the DSM-5 cluster rule."""

    def dsm5(self, answers: Sequence[int | None]) -> Pcl5Provisional:
        """The provisional DSM-5 rule on a complete PCL-5: an item is endorsed when rated 2
        or more; needs at least 1 of items 1-5 (B), 1 of items 6-7 (C), 2 of items 8-14 (D)
        and 2 of items 15-20 (E). Refuses incomplete or invalid answers like score()."""
        values = self.complete_answers(answers)
        counts = {
            cluster: sum(1 for i in items if values[i] >= PCL5_ENDORSED_AT)
            for cluster, (items, _needed) in PCL5_CLUSTERS.items()
        }
        met = {cluster: counts[cluster] >= needed
               for cluster, (_i, needed) in PCL5_CLUSTERS.items()}
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

    def findings(self, answers: tuple[int, ...], total: int) -> tuple[Finding, ...]:
        """The DSM-5 cluster rule, then the cut-off range (Instrument.findings)."""
        rule = self.dsm5(answers)
        clusters = ", ".join(f"{name} {'✓' if ok else '✗'}" for name, ok in (
            ("B", rule.cluster_b), ("C", rule.cluster_c), ("D", rule.cluster_d),
            ("E", rule.cluster_e)))
        outcome = f"{'Met' if rule.met else 'Not met'} ({clusters})"
        return (Finding("Provisional PTSD, DSM-5 cluster rule", outcome),
                *super().findings(answers, total))


PCL5 = Pcl5(
    code="pcl5",
    name="PCL-5",
    title="PTSD Checklist for DSM-5 (PCL-5)",
    preamble=(
        "Below is a list of problems that people sometimes have in response to a very stressful "
        "experience. Please read each problem carefully and then circle one of the numbers to "
        "the right to indicate how much you have been bothered by that problem in the past "
        "month."
    ),
    instructions="In the past month, how much were you bothered by:",
    event_question="The worst stressful experience these answers refer to",
    timeframe="the past month",
    items=(
        "Repeated, disturbing, and unwanted memories of the stressful experience?",
        "Repeated, disturbing dreams of the stressful experience?",
        "Suddenly feeling or acting as if the stressful experience were actually happening "
        "again (as if you were actually back there reliving it)?",
        "Feeling very upset when something reminded you of the stressful experience?",
        "Having strong physical reactions when something reminded you of the stressful "
        "experience (for example, heart pounding, trouble breathing, sweating)?",
        "Avoiding memories, thoughts, or feelings related to the stressful experience?",
        "Avoiding external reminders of the stressful experience (for example, people, places, "
        "conversations, activities, objects, or situations)?",
        "Trouble remembering important parts of the stressful experience?",
        "Having strong negative beliefs about yourself, other people, or the world (for "
        "example, having thoughts such as: I am bad, there is something seriously wrong with "
        "me, no one can be trusted, the world is completely dangerous)?",
        "Blaming yourself or someone else for the stressful experience or what happened after it?",
        "Having strong negative feelings such as fear, horror, anger, guilt, or shame?",
        "Loss of interest in activities that you used to enjoy?",
        "Feeling distant or cut off from other people?",
        "Trouble experiencing positive feelings (for example, being unable to feel happiness or "
        "have loving feelings for people close to you)?",
        "Irritable behavior, angry outbursts, or acting aggressively?",
        "Taking too many risks or doing things that could cause you harm?",
        'Being "superalert" or watchful or on guard?',
        "Feeling jumpy or easily startled?",
        "Having difficulty concentrating?",
        "Trouble falling or staying asleep?",
    ),
    options=(
        Option(0, "Not at all"),
        Option(1, "A little bit"),
        Option(2, "Moderately"),
        Option(3, "Quite a bit"),
        Option(4, "Extremely"),
    ),
    max_total=80,
    bands=(),  # no validated severity bands
    mcid=10,
    mcid_source=(
        "National Center for PTSD: 5 points = response to treatment; 10 points = clinically "
        "meaningful change"
    ),
    attribution=(
        "PCL-5 (Weathers, Litz, Keane, Palmieri, Marx & Schnurr, 2013), National Center for "
        "PTSD; public domain."
    ),
    licence="Public domain (US National Center for PTSD).",
    response_label="Response: a drop of 5 points or more from baseline (National Center for PTSD)",
    response_points=5,
    cutoff_low=31,
    cutoff_high=33,
)
