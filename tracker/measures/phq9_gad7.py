"""PHQ-9 and GAD-7: Pfizer's free questionnaires, with the standard wording, response
options, bands and thresholds of docs/DOMAIN.md ("Outcome measures"). Entries of the
registry (instruments.py)."""

from __future__ import annotations

from tracker.measures.questionnaire import Band, Instrument, Option

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

# The closing functional question of both forms, as printed (answered, never scored).
DIFFICULTY_QUESTION = (
    "If you checked off any problems, how difficult have these problems made it for you to "
    "do your work, take care of things at home, or get along with other people?"
)
DIFFICULTY_OPTIONS = (
    Option(0, "Not difficult at all"),
    Option(1, "Somewhat difficult"),
    Option(2, "Very difficult"),
    Option(3, "Extremely difficult"),
)

# HEDIS (Depression Remission or Response for Adolescents and Adults, DRR-E): response and
# remission are counted only from an index PHQ-9 of 10 or more. The GAD-7 borrows the rule
# along with the criteria (labelled as borrowed).
QUALIFYING_BASELINE = 10

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
    response_label="Response: a drop of 50% or more from a baseline of 10 or more (HEDIS)",
    response_percent=50,
    remission_below=5,
    remission_label="Remission: a total below 5, from a baseline of 10 or more (HEDIS)",
    min_baseline=QUALIFYING_BASELINE,
    safety_item=8,
    safety_note=SAFETY_NOTE,
    difficulty_question=DIFFICULTY_QUESTION,
    difficulty_options=DIFFICULTY_OPTIONS,
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
        "Response: a drop of 50% or more from a baseline of 10 or more (a convention borrowed "
        "from the HEDIS depression measures; the GAD-7 has no standard response criterion)"
    ),
    response_percent=50,
    response_is_convention=True,
    remission_below=5,
    remission_label=(
        "Remission: a total below 5, from a baseline of 10 or more (a convention borrowed from "
        "the HEDIS depression measures; the GAD-7 has no standard remission criterion)"
    ),
    remission_is_convention=True,
    min_baseline=QUALIFYING_BASELINE,
    difficulty_question=DIFFICULTY_QUESTION,
    difficulty_options=DIFFICULTY_OPTIONS,
    reliable_change=6,
    reliable_change_source="Bischoff et al. 2020",
)
