from decimal import Decimal

from wtforms import DateField, DecimalField, StringField, SubmitField, TextAreaField
from wtforms.validators import (
    DataRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from tracker import dates
from tracker.forms import BaseForm, finite_number

MIN_WEIGHT_KG = Decimal("20")
MAX_WEIGHT_KG = Decimal("350")


def plausible_birth_date(form, field):
    if field.data is None:
        return
    if field.data > dates.today():
        raise ValidationError("The date of birth cannot be in the future.")
    if field.data.year < 1900:
        raise ValidationError("Enter a date of birth after 1900.")


class PatientForm(BaseForm):
    display_name = StringField(
        "Name",
        validators=[DataRequired(), Length(max=120)],
        description="As it should appear in the record, for example “Maya Okafor”.",
    )
    preferred_name = StringField("Preferred name", validators=[Optional(), Length(max=80)])
    pronouns = StringField(
        "Pronouns",
        validators=[Optional(), Length(max=40)],
        description="For example she/her, they/them.",
    )
    date_of_birth = DateField("Date of birth", validators=[Optional(), plausible_birth_date])
    record_number = StringField(
        "External record number",
        validators=[Optional(), Length(max=64)],
        description="The number in another record system, if any.",
    )
    weight_kg = DecimalField(
        "Weight (kg)",
        places=1,
        validators=[
            Optional(),
            finite_number,
            NumberRange(
                min=MIN_WEIGHT_KG,
                max=MAX_WEIGHT_KG,
                message="Enter a weight between 20 and 350 kg.",
            ),
        ],
        description="Used to compute mg/kg doses.",
        render_kw={"inputmode": "decimal"},
    )
    treatment_intentions = TextAreaField(
        "Treatment intentions",
        validators=[Optional(), Length(max=5000)],
        description="What the patient hopes to work on in this treatment, in their words.",
        render_kw={"rows": 5},
    )
    submit = SubmitField("Save patient")

    def patient_data(self) -> dict:
        """The validated values, copied explicitly for the service."""
        return {
            "display_name": self.display_name.data,
            "preferred_name": self.preferred_name.data or None,
            "pronouns": self.pronouns.data or None,
            "date_of_birth": self.date_of_birth.data,
            "record_number": self.record_number.data or None,
            "weight_kg": self.weight_kg.data,
            "treatment_intentions": self.treatment_intentions.data or "",
        }
