"""Sub-forms of the session page: one per carried item, and blanks for new items."""

from wtforms import HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from tracker.forms import SubForm, choices
from tracker.threads.models import (
    BELIEF_DECISIONS,
    STRATEGY_CATEGORIES,
    STRATEGY_DECISIONS,
    THEME_CATEGORIES,
    THEME_DECISIONS,
)

# A draft may leave an item undecided; signing needs every decision (sessions/services.py).


def _require(field, message: str) -> bool:
    """A field needed because of another one (Optional() stops inline validators, so these
    checks run after the fields' own)."""
    if field.data in (None, "") and not field.errors:
        field.errors = [*field.errors, message]
        return False
    return not field.errors


def _conviction(label):
    return IntegerField(label, validators=[Optional(), NumberRange(min=0, max=100,
                        message="Enter a number from 0 to 100.")],
                        render_kw={"inputmode": "numeric"})


def _target_field(label="Target (times a week)"):
    return IntegerField(label, validators=[Optional(), NumberRange(
        min=1, max=50, message="Enter a number of times a week from 1 to 50.")])


class StrategyReviewForm(SubForm):
    item_id = HiddenField()
    decision = RadioField("Decision", choices=choices(STRATEGY_DECISIONS),
                          validators=[Optional()])
    times_practised = IntegerField(
        "Times practised since the last session",
        validators=[Optional(), NumberRange(min=0, max=500, message="Enter 0 to 500.")])
    helpfulness = IntegerField(
        "How helpful (0–10)",
        validators=[Optional(), NumberRange(min=0, max=10, message="Enter 0 to 10.")])
    barriers = TextAreaField("What got in the way", validators=[Length(max=2000)],
                             render_kw={"rows": 2})
    new_category = SelectField("New version: category", choices=choices(STRATEGY_CATEGORIES))
    new_description = StringField("New version: description", validators=[Length(max=300)])
    new_target = _target_field("New version: times a week")

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.decision.data == "modify":
            valid &= _require(self.new_description, "Describe the modified strategy.")
            valid &= _require(self.new_target, "Give the modified strategy a target.")
        return valid


class BeliefReviewForm(SubForm):
    item_id = HiddenField()
    decision = RadioField("Where the shift stands", choices=choices(BELIEF_DECISIONS),
                          validators=[Optional()])
    old_conviction = _conviction("Conviction in the old belief (0–100)")
    new_conviction = _conviction("Conviction in the new belief (0–100)")
    note = TextAreaField("Note", validators=[Length(max=2000)], render_kw={"rows": 2})


class ThemeReviewForm(SubForm):
    item_id = HiddenField()
    decision = RadioField("In this session", choices=choices(THEME_DECISIONS),
                          validators=[Optional()])
    notes = TextAreaField("What came up (imagery, emotion, in the client's words)",
                          validators=[Length(max=5000)], render_kw={"rows": 2})


class NewThemeForm(SubForm):
    label = StringField("Theme, in the client's words", validators=[Length(max=200)])
    # A block added on the page starts on its first category, as a browser's select does.
    category = SelectField("Category", choices=choices(THEME_CATEGORIES),
                           default=next(iter(THEME_CATEGORIES)))
    notes = TextAreaField("What came up", validators=[Length(max=5000)], render_kw={"rows": 2})

    def is_blank(self) -> bool:
        return not self.label.data and not self.notes.data

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.notes.data:
            valid &= _require(self.label, "Name the theme, or clear its notes.")
        return valid


class NewBeliefForm(SubForm):
    old_belief = StringField("Old belief or pattern", validators=[Length(max=300)])
    new_belief = StringField("Emerging belief or pattern", validators=[Length(max=300)])
    old_conviction = _conviction("Conviction in the old belief (0–100)")
    new_conviction = _conviction("Conviction in the new belief (0–100)")

    def is_blank(self) -> bool:
        return not (self.old_belief.data or self.new_belief.data)

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if not self.is_blank():
            valid &= _require(self.old_belief, "Give both the old and the emerging belief.")
            valid &= _require(self.new_belief, "Give both the old and the emerging belief.")
        return valid


class NewStrategyForm(SubForm):
    category = SelectField("Category", choices=choices(STRATEGY_CATEGORIES),
                           default=next(iter(STRATEGY_CATEGORIES)))
    description = StringField("Strategy", validators=[Length(max=300)],
                              description="Small and concrete: “a 10-minute walk after lunch”.")
    target_per_week = _target_field()

    def is_blank(self) -> bool:
        return not self.description.data

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.description.data:
            valid &= _require(self.target_per_week, "How many times a week?")
        return valid


class AddedThemeForm(NewThemeForm):
    """A theme added in this draft, edited in place."""

    item_id = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        valid = SubForm.validate(self, extra_validators)  # (not the blank block's rules)
        return _require(self.label, "A theme needs a name; remove it instead.") and valid


class AddedBeliefForm(NewBeliefForm):
    item_id = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        valid &= _require(self.old_belief, "Give both the old and the emerging belief.")
        return _require(self.new_belief, "Give both the old and the emerging belief.") and valid


class AddedStrategyForm(NewStrategyForm):
    item_id = HiddenField()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        valid &= _require(self.description, "Describe the strategy; remove it instead.")
        return _require(self.target_per_week, "How many times a week?") and valid


# The sub-fields that hold what was typed about a carried item, besides its decision.
DETAIL_FIELDS = {
    "strategies": ("times_practised", "helpfulness", "barriers", "new_description",
                   "new_target"),
    "beliefs": ("old_conviction", "new_conviction", "note"),
    "themes": ("notes",),
}
