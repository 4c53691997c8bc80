"""The three bundled questionnaires: standard wording, response options, bands and
thresholds. Facts follow docs/DOMAIN.md ("Outcome measures"); nothing here touches Flask or
the database.

Conventions:
- `items` are in published order; item numbers shown to people are 1-based, indices are
  0-based (`safety_item=8` is PHQ-9 item 9).
- `Band.low` and `Band.high` are inclusive totals.
- A lower total always means fewer symptoms.
"""

from __future__ import annotations

from dataclasses import dataclass


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
class Instrument:
    """One questionnaire.

    `instructions` is the question printed directly above the items; `preamble` is any
    paragraph the published form prints before it (PCL-5 only). `difficulty_question` and
    `difficulty_options` are PHQ-9's closing functional question, part of the printed form
    but never scored (score() takes only `items`).

    Change thresholds: `mcid` is the minimal clinically important difference in points;
    `reliable_change` (GAD-7 only) is a separate, larger reliable change index. Response is
    a drop from baseline of at least `response_percent` % (PHQ-9, GAD-7) or of at least
    `response_points` points (PCL-5); remission is a total below `remission_below` (None: not
    defined). `response_label` / `remission_label` describe the rules for people; the
    `*_is_convention` flags mark rules borrowed from another instrument rather than
    established for this one, and the UI must label them so.
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
    reliable_change: int | None = None
    reliable_change_source: str | None = None
    cutoff_low: int | None = None
    cutoff_high: int | None = None
    safety_item: int | None = None
    safety_note: str | None = None
    preamble: str | None = None
    difficulty_question: str | None = None
    difficulty_options: tuple[Option, ...] = ()

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def option_values(self) -> frozenset[int]:
        return frozenset(option.value for option in self.options)

    @property
    def max_value(self) -> int:
        return max(option.value for option in self.options)


PFIZER_ATTRIBUTION = (
    "Developed by Drs. Robert L. Spitzer, Janet B.W. Williams, Kurt Kroenke and colleagues, "
    "with an educational grant from Pfizer Inc."
)
PFIZER_LICENCE = (
    "Free to use and reproduce: Pfizer released the PHQ and GAD-7 without restriction in 2010; "
    "no permission is required to reproduce, translate, display or distribute."
)

FREQUENCY_OPTIONS = (
    Option(0, "Not at all"),
    Option(1, "Several days"),
    Option(2, "More than half the days"),
    Option(3, "Nearly every day"),
)

SAFETY_NOTE = (
    "Any answer above 0 to item 9 needs a safety follow-up. Item 9 alone is not a sufficient "
    "suicide-risk screen: an answer of 0 does not mean the patient is safe."
)

PHQ9 = Instrument(
    code="phq9",
    name="PHQ-9",
    title="Patient Health Questionnaire (PHQ-9)",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
    ),
    timeframe="the last 2 weeks",
    items=(
        "Little interest or pleasure in doing things",
        "Feeling down, depressed, or hopeless",
        "Trouble falling or staying asleep, or sleeping too much",
        "Feeling tired or having little energy",
        "Poor appetite or overeating",
        "Feeling bad about yourself \u2014 or that you are a failure or have let yourself or "
        "your family down",
        "Trouble concentrating on things, such as reading the newspaper or watching television",
        "Moving or speaking so slowly that other people could have noticed? Or the opposite "
        "\u2014 being so fidgety or restless that you have been moving around a lot more than "
        "usual",
        "Thoughts that you would be better off dead or of hurting yourself in some way",
    ),
    options=FREQUENCY_OPTIONS,
    max_total=27,
    bands=(
        Band(0, 4, "Minimal", "minimal"),
        Band(5, 9, "Mild", "mild"),
        Band(10, 14, "Moderate", "moderate"),
        Band(15, 19, "Moderately severe", "moderately_severe"),
        Band(20, 27, "Severe", "severe"),
    ),
    mcid=5,
    mcid_source="L\u00f6we et al. 2004",
    attribution=PFIZER_ATTRIBUTION,
    licence=PFIZER_LICENCE,
    response_label="Response: a drop of 50% or more from baseline",
    response_percent=50,
    remission_below=5,
    remission_label="Remission: a total below 5 (HEDIS)",
    safety_item=8,
    safety_note=SAFETY_NOTE,
    difficulty_question=(
        "If you checked off any problems, how difficult have these problems made it for you to "
        "do your work, take care of things at home, or get along with other people?"
    ),
    difficulty_options=(
        Option(0, "Not difficult at all"),
        Option(1, "Somewhat difficult"),
        Option(2, "Very difficult"),
        Option(3, "Extremely difficult"),
    ),
)

GAD7 = Instrument(
    code="gad7",
    name="GAD-7",
    title="Generalized Anxiety Disorder 7-item scale (GAD-7)",
    instructions=(
        "Over the last 2 weeks, how often have you been bothered by the following problems?"
    ),
    timeframe="the last 2 weeks",
    items=(
        "Feeling nervous, anxious or on edge",
        "Not being able to stop or control worrying",
        "Worrying too much about different things",
        "Trouble relaxing",
        "Being so restless that it is hard to sit still",
        "Becoming easily annoyed or irritable",
        "Feeling afraid as if something awful might happen",
    ),
    options=FREQUENCY_OPTIONS,
    max_total=21,
    bands=(
        Band(0, 4, "Minimal", "minimal"),
        Band(5, 9, "Mild", "mild"),
        Band(10, 14, "Moderate", "moderate"),
        Band(15, 21, "Severe", "severe"),
    ),
    mcid=4,
    mcid_source="Toussaint et al. 2020",
    attribution=PFIZER_ATTRIBUTION,
    licence=PFIZER_LICENCE,
    response_label=(
        "Response: a drop of 50% or more from baseline (a convention borrowed from depression "
        "measures; the GAD-7 has no standard response criterion)"
    ),
    response_percent=50,
    response_is_convention=True,
    remission_below=5,
    remission_label=(
        "Remission: a total below 5 (a convention borrowed from depression measures; the GAD-7 "
        "has no standard remission criterion)"
    ),
    remission_is_convention=True,
    reliable_change=6,
    reliable_change_source="Bischoff et al. 2020",
)

PCL5 = Instrument(
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

INSTRUMENTS: dict[str, Instrument] = {i.code: i for i in (PHQ9, GAD7, PCL5)}


def get_instrument(code: str) -> Instrument:
    """The instrument for `code`; ValueError (not KeyError) for an unknown code."""
    try:
        return INSTRUMENTS[code]
    except KeyError:
        known = ", ".join(sorted(INSTRUMENTS))
        raise ValueError(f"Unknown instrument {code!r} (known: {known}).") from None
