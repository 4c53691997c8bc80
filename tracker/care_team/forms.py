from wtforms import (
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length

from tracker.care_team.emergency import MIN_REASON_LENGTH
from tracker.forms import BaseForm, choices

ROLE_CHOICES = {"read": "Read only: can view the record", "write": "Read and write: can "
                "document, sign and enter measures"}
RELATIONSHIP_LABELS = {"co-therapist": "Co-therapist", "prescriber": "Prescriber",
                       "supervisor": "Supervisor", "other": "Other"}


class ShareForm(BaseForm):
    user_id = SelectField("Account", coerce=int, validators=[InputRequired()])
    relationship = SelectField("Relationship to the patient's care",
                               choices=choices(RELATIONSHIP_LABELS))
    role = RadioField("Access", choices=choices(ROLE_CHOICES), default="read")
    submit = SubmitField("Share")


class EmergencyAccessForm(BaseForm):
    patient = StringField(
        "Patient's record number or full name",
        description="As the primary therapist recorded it. The list of patients is not shown "
                    "here: name the one you must open.",
        validators=[DataRequired("Name the patient whose record must be opened."),
                    Length(max=120)])
    reason = TextAreaField(
        "Reason for emergency access",
        description="Shown to the patient's primary therapist. Say why the record must be "
                    "opened now and cannot wait for them.",
        validators=[DataRequired("Say why the record must be opened."),
                    Length(min=MIN_REASON_LENGTH, max=2000,
                           message=f"Give a reason of {MIN_REASON_LENGTH} to 2000 characters.")],
        render_kw={"rows": 3})
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField("Open the record")
