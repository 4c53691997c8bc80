"""The dosing part of a dosing session's page: a sub-form (no CSRF token of its own) nested
with FormField inside the session form.

Fields check shape (types, lengths, NaN); the ranges and cross-field rules live in
tracker.dosing.rules as pure functions and are applied in DosingForm.validate, each message
attached to the field it is about."""

from __future__ import annotations

from flask import current_app
from wtforms import (
    DecimalField,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tracker.dosing import alerts, rules
from tracker.dosing.models import ADVERSE_EVENTS, MEDICATIONS, ROUTES, TIMEPOINTS, TRANSPORT
from tracker.forms import SafeFieldList, SubForm, choices, finite_number

MAX_BOOSTERS = rules.MAX_BOOSTERS
BOOSTER_SLOTS = 2
# <input type="time"> sends HH:MM, or HH:MM:SS when the browser offers seconds.
TIME_FORMATS = ["%H:%M", "%H:%M:%S"]
VITAL_NAMES = ("systolic", "diastolic", "heart_rate", "spo2")


class MultiCheckboxField(SelectMultipleField):
    """A multiple choice rendered as a list of checkboxes."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _time(label: str, description: str | None = None) -> TimeField:
    return TimeField(label, validators=[Optional()], format=TIME_FORMATS, description=description)


def _amount(label: str, description: str | None = None, *, required: bool = False):
    first = InputRequired(message="Enter the dose in mg.") if required else Optional()
    return DecimalField(
        label,
        places=1,
        validators=[first, finite_number],
        description=description,
        render_kw={"inputmode": "decimal"},
    )


def _vital(label: str) -> IntegerField:
    return IntegerField(
        label,
        validators=[Optional()],
        invalid_value_message="Enter a whole number.",
        render_kw={"inputmode": "numeric"},
    )


class BoosterForm(SubForm):
    dose_mg = _amount("Booster dose (mg)")
    given_at = _time("Booster given at")

    @property
    def is_empty(self) -> bool:
        return self.dose_mg.data is None and self.given_at.data is None

    def validate(self, extra_validators=None) -> bool:
        # Rules are applied here, not in DosingForm.validate: FieldList reads each entry's
        # errors as soon as the entry is validated.
        valid = super().validate(extra_validators)
        if self.dose_mg.errors or self.given_at.errors:
            return False
        message = rules.check_booster(self.dose_mg.data, self.given_at.data)
        if message:
            self.dose_mg.errors.append(message)
        return valid and not message


class VitalsForm(SubForm):
    systolic = _vital("Systolic (mmHg)")
    diastolic = _vital("Diastolic (mmHg)")
    heart_rate = _vital("Heart rate (beats per minute)")
    spo2 = _vital("SpO2 (%)")

    def vitals_data(self) -> dict:
        return {name: self[name].data for name in VITAL_NAMES}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        values = {name: None if self[name].errors else self[name].data for name in VITAL_NAMES}
        problems = rules.check_vitals(**values)
        for name, message in problems.items():
            self[name].errors.append(message)
        return valid and not problems


class DosingForm(SubForm):
    medication = SelectField(
        "Medication", choices=choices(MEDICATIONS), validators=[InputRequired()]
    )
    route = SelectField("Route", choices=choices(ROUTES), validators=[InputRequired()])
    dose_mg = _amount(
        "Dose (mg)",
        "The initial dose. Esketamine: 28 mg per device (28, 56 or 84 mg).",
        required=True,
    )
    boosters = SafeFieldList(
        FormField(BoosterForm), min_entries=BOOSTER_SLOTS, max_entries=MAX_BOOSTERS
    )
    weight_kg = DecimalField(
        "Weight (kg)",
        places=1,
        validators=[Optional(), finite_number],
        description="Leave empty to use the weight in the patient's record. Used for mg/kg.",
        render_kw={"inputmode": "decimal"},
    )
    administered_at = _time("Dose given at")
    monitoring_start = _time("Monitoring started")
    monitoring_end = _time("Monitoring ended")
    baseline = FormField(VitalsForm, label=TIMEPOINTS["baseline"])
    peak = FormField(VitalsForm, label=TIMEPOINTS["peak"])
    discharge = FormField(VitalsForm, label=TIMEPOINTS["discharge"])
    adverse_events = MultiCheckboxField("Adverse events", choices=choices(ADVERSE_EVENTS))
    adverse_event_notes = TextAreaField(
        "Adverse event notes",
        validators=[Optional(), Length(max=5000)],
        render_kw={"rows": 3},
        description="What happened, when, and what was done.",
    )
    transport_home = SelectField(
        "Transport home",
        choices=choices(TRANSPORT, blank="— choose —"),
        validators=[Optional()],
        description="No driving until the next day.",
    )
    transport_notes = TextAreaField(
        "Transport notes", validators=[Optional(), Length(max=2000)], render_kw={"rows": 2}
    )

    # The weight in the patient's record, used for mg/kg when none is typed (set by the page).
    patient_weight = None

    @property
    def vitals_forms(self) -> dict[str, FormField]:
        """The three vital-sign sub-forms by timepoint, in display order."""
        return {timepoint: self[timepoint] for timepoint in TIMEPOINTS}

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        problems = list(self._rule_errors())
        for field, message in problems:
            field.errors.append(message)
        return valid and not problems

    def _rule_errors(self):
        """(field, message) for every range or cross-field rule broken on this form's own
        fields (boosters and vitals check theirs). A field that already failed its own
        checks (not a number, NaN) is left alone."""

        def usable(*fields):
            return all(not f.errors for f in fields)

        if usable(self.medication, self.route):
            message = rules.check_route(self.medication.data, self.route.data)
            if message:
                yield self.route, message
        dose_ok = weight_ok = False
        if usable(self.medication, self.route, self.dose_mg):
            message = rules.check_dose(self.medication.data, self.route.data, self.dose_mg.data)
            if message:
                yield self.dose_mg, message
            dose_ok = message is None and self.dose_mg.data is not None
        if usable(self.weight_kg):
            message = rules.range_error(self.weight_kg.data, rules.WEIGHT)
            if message:
                yield self.weight_kg, message
            weight_ok = message is None
        if dose_ok and not self.boosters.errors:
            yield from self._total_errors(weight_ok)
        if usable(self.monitoring_start, self.monitoring_end):
            message = rules.check_monitoring(self.monitoring_start.data, self.monitoring_end.data)
            if message:
                yield self.monitoring_end, message

    def _total_errors(self, weight_ok: bool):
        """Rules on the session's total: esketamine in whole devices, and a dose per kg no
        route can reach (each dose and the weight already passed their own checks)."""
        message = rules.check_esketamine_total(self.medication.data, self.dose_mg.data,
                                               self._booster_doses())
        if message:
            yield self._last_booster().dose_mg, message
        if weight_ok:
            message = rules.check_dose_per_kg(
                self.route.data, self._total_mg(), self._weight(),
                rules.hard_limits(current_app.config["MAX_MG_PER_KG"]))
            if message:
                yield self.dose_mg, message

    def _amounts_plausible(self) -> bool:
        """The dose, boosters and weight are numbers in their plausible ranges (a page shown
        again with what was typed may hold anything)."""
        amounts = [(self.dose_mg.data, rules.DOSE), (self._weight(), rules.WEIGHT)]
        amounts += [(dose, rules.BOOSTER) for dose in self._booster_doses()]
        return (self.dose_mg.data is not None and not self.errors
                and all(rules.range_error(value, plausible) is None
                        for value, plausible in amounts))

    def _booster_doses(self) -> list:
        return [e.form.dose_mg.data for e in self.boosters if e.form.dose_mg.data is not None]

    def _last_booster(self):
        return [e.form for e in self.boosters if e.form.dose_mg.data is not None][-1]

    def _total_mg(self):
        return (self.dose_mg.data or 0) + sum(self._booster_doses())

    def _weight(self):
        return self.weight_kg.data if self.weight_kg.data is not None else self.patient_weight

    def dosing_data(self) -> dict:
        """The validated values, copied explicitly for services.save_dosing."""
        chosen = set(self.adverse_events.data or ())
        return {
            "medication": self.medication.data,
            "route": self.route.data,
            "dose_mg": self.dose_mg.data,
            "boosters": [
                {"dose_mg": entry.form.dose_mg.data, "given_at": entry.form.given_at.data}
                for entry in self.boosters
                if not entry.form.is_empty
            ],
            "weight_kg": self.weight_kg.data,
            "administered_at": self.administered_at.data,
            "monitoring_start": self.monitoring_start.data,
            "monitoring_end": self.monitoring_end.data,
            "vitals": {
                timepoint: sub.form.vitals_data() for timepoint, sub in self.vitals_forms.items()
            },
            "adverse_events": [key for key in ADVERSE_EVENTS if key in chosen],
            "adverse_event_notes": self.adverse_event_notes.data or "",
            "transport_home": self.transport_home.data or None,
            "transport_notes": self.transport_notes.data or "",
        }

    def warnings(self) -> list[str]:
        """Accepted but worth a second look (dosing/alerts.py): vital signs, the dose per kg,
        a short Spravato observation. Call after validate()."""
        limits = alerts.current_limits()
        vitals = [
            {"timepoint": timepoint, **sub.form.vitals_data()}
            for timepoint, sub in self.vitals_forms.items()
            if not sub.form.errors
        ]
        found = alerts.vital_alerts(vitals, self.medication.data, limits)
        if self._amounts_plausible():
            found += alerts.dose_alerts(self.route.data, self._total_mg(), self._weight(),
                                        limits)
        if not (self.monitoring_start.errors or self.monitoring_end.errors):
            message = alerts.observation_warning(
                self.medication.data, self.monitoring_start.data, self.monitoring_end.data
            )
            if message:
                found.append(message)
        return found
