"""Dosing: plausible ranges and cross-field rules, the sub-form, saving, and the two macros."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from flask import render_template_string
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import FormField

from tests.support.courses import db_course
from tests.support.database import database
from tests.support.forms import field_errors
from tests.support.patients import add_patient
from tests.support.sessions import db_session
from tracker.dosing import alerts, rules
from tracker.dosing.forms import DosingForm
from tracker.dosing.models import BoosterDose, DosingRecord, VitalSigns
from tracker.dosing.services import dosing_form_data, load_dosing, save_dosing
from tracker.forms import SubForm
from tracker.sessions.models import TherapySession

D = Decimal

# Rules


@pytest.mark.parametrize(
    ("medication", "route", "dose", "expected"),
    [
        ("racemic_ketamine", "im", D("35"), None),
        ("racemic_ketamine", "sublingual", D("1000"), None),
        (
            "racemic_ketamine",
            "sublingual",
            D("5000"),
            "A dose of 5000 mg is outside the plausible"
            " range (1–1000 mg). Check for a typing error.",
        ),
        ("racemic_ketamine", "im", D("0"), "A dose of 0 mg is outside the plausible range"),
        ("racemic_ketamine", "im", D("0.5"), "A dose of 0.5 mg is outside"),
        ("racemic_ketamine", "im", D("300"), None),
        ("racemic_ketamine", "im", D("301"), "plausible range for IM dosing (1–300 mg)"),
        ("racemic_ketamine", "iv", D("400"), "plausible range for IV dosing (1–300 mg)"),
        ("racemic_ketamine", "intranasal", D("252"), None),
        ("racemic_ketamine", "intranasal", D("253"), "for intranasal dosing (1–252 mg)"),
        ("racemic_ketamine", "im", D("35.25"), "round it to the nearest 0.1 mg"),
        ("racemic_ketamine", "im", D("35.50"), None),
        ("esketamine", "intranasal", D("28"), None),
        ("esketamine", "intranasal", D("56"), None),
        ("esketamine", "intranasal", D("84.0"), None),
        ("esketamine", "intranasal", D("50"), "28 mg devices: enter 28, 56 or 84 mg (not 50 mg)"),
        ("esketamine", "intranasal", D("112"), "enter 28, 56 or 84 mg"),
        ("racemic_ketamine", "im", D("NaN"), rules.ENTER_A_NUMBER),
        ("racemic_ketamine", "im", D("sNaN"), rules.ENTER_A_NUMBER),
        ("racemic_ketamine", "im", D("-Infinity"), rules.ENTER_A_NUMBER),
        ("racemic_ketamine", "im", D("1e999999999"), "A dose of 1E+999999999 mg is outside"),
        ("racemic_ketamine", "im", None, None),
    ],
)
def test_check_dose(medication, route, dose, expected):
    message = rules.check_dose(medication, route, dose)
    if expected is None:
        assert message is None
    else:
        assert message is not None and expected in message


@pytest.mark.parametrize(
    ("medication", "route", "refused"),
    [
        ("esketamine", "intranasal", False),
        ("esketamine", "im", True),
        ("esketamine", "iv", True),
        ("esketamine", "sublingual", True),
        ("racemic_ketamine", "im", False),
        ("racemic_ketamine", "intranasal", False),
    ],
)
def test_check_route_esketamine_is_intranasal_only(medication, route, refused):
    message = rules.check_route(medication, route)
    assert (message is not None) is refused
    if refused:
        assert "intranasally only" in message


@pytest.mark.parametrize(
    ("dose", "given_at", "expected"),
    [
        (None, None, None),  # an empty row is ignored
        (D("20"), None, None),
        (D("20"), time(10, 40), None),
        (None, time(10, 40), "Enter the booster dose, or clear its time."),
        (D("501"), None, "A booster dose of 501 mg is outside the plausible range (1–500 mg)"),
        (D("0"), None, "outside the plausible range (1–500 mg)"),
        (D("NaN"), None, rules.ENTER_A_NUMBER),
    ],
)
def test_check_booster(dose, given_at, expected):
    message = rules.check_booster(dose, given_at)
    if expected is None:
        assert message is None
    else:
        assert message is not None and expected in message


@pytest.mark.parametrize(
    ("vitals", "expected"),
    [
        ((120, 80, 72, 98), {}),
        ((None, None, None, None), {}),
        ((182, 96, 90, 97), {}),  # notable, not refused
        ((230, 125, None, None), {}),
        (
            (400, 20, None, None),
            {
                "systolic": "A systolic pressure of 400 mmHg is outside the"
                " plausible range (60–260 mmHg)",
                "diastolic": "A diastolic pressure of 20 mmHg is outside the"
                " plausible range (30–160 mmHg)",
            },
        ),
        ((59, None, None, None), {"systolic": "(60–260 mmHg)"}),
        ((None, 161, None, None), {"diastolic": "(30–160 mmHg)"}),
        ((120, 120, None, None), {"diastolic": "must be below the systolic pressure (120)"}),
        ((80, 120, None, None), {"diastolic": "must be below the systolic pressure (80)"}),
        ((None, None, 29, None), {"heart_rate": "A heart rate of 29 beats per minute is outside"}),
        ((None, None, 221, None), {"heart_rate": "(30–220 beats per minute)"}),
        (
            (None, None, None, 49),
            {"spo2": "An SpO2 of 49% is outside the plausible range (50–100%)"},
        ),
        ((None, None, None, 101), {"spo2": "(50–100%)"}),
    ],
)
def test_check_vitals(vitals, expected):
    found = rules.check_vitals(*vitals)
    assert set(found) == set(expected)
    for name, text in expected.items():
        assert text in found[name]


@pytest.mark.parametrize(
    ("weight", "expected"),
    [
        (D("70"), None),
        (D("20"), None),
        (D("350"), None),
        (D("19.9"), "A weight of 19.9 kg is outside the plausible range (20–350 kg)."),
        (D("700"), "A weight of 700 kg is outside"),
        (D("Infinity"), rules.ENTER_A_NUMBER),
        (None, None),
    ],
)
def test_weight_range(weight, expected):
    message = rules.range_error(weight, rules.WEIGHT)
    if expected is None:
        assert message is None
    else:
        assert message is not None and expected in message


@pytest.mark.parametrize(
    ("vitals", "expected"),
    [
        (
            [{"timepoint": "peak", "systolic": 182, "diastolic": 96}],
            ["Blood pressure 182/96 at about 40 minutes is clinically notable (systolic ≥ 180)."],
        ),
        (
            [{"timepoint": "baseline", "systolic": 150, "diastolic": 110}],
            [
                "Blood pressure 150/110 at baseline (before dosing) is clinically notable"
                " (diastolic ≥ 110)."
            ],
        ),
        (
            [{"timepoint": "discharge", "systolic": 190, "diastolic": 115}],
            [
                "Blood pressure 190/115 at discharge is clinically notable"
                " (systolic ≥ 180, diastolic ≥ 110)."
            ],
        ),
        ([{"timepoint": "peak", "systolic": 179, "diastolic": 109}], []),
        ([{"timepoint": "peak", "systolic": None, "diastolic": None}], []),
        (
            [{"timepoint": "peak", "systolic": None, "diastolic": 112}],
            ["Blood pressure —/112 at about 40 minutes is clinically notable (diastolic ≥ 110)."],
        ),
    ],
)
def test_notable_vitals(vitals, expected):
    assert alerts.notable_vitals(vitals) == expected


def test_notable_vitals_reads_model_rows_too():
    rows = [
        VitalSigns(timepoint="baseline", systolic=130, diastolic=85),
        VitalSigns(timepoint="peak", systolic=182, diastolic=96),
    ]
    assert alerts.notable_vitals(rows) == [
        "Blood pressure 182/96 at about 40 minutes is clinically notable (systolic ≥ 180)."
    ]


@pytest.mark.parametrize(
    ("medication", "start", "end", "expected"),
    [
        ("esketamine", time(10, 0), time(12, 0), None),
        ("esketamine", time(10, 0), time(12, 30), None),
        (
            "esketamine",
            time(10, 0),
            time(11, 59),
            "Monitoring lasted 1 h 59 min: Esketamine"
            " (Spravato) requires at least 2 hours of observation.",
        ),
        ("esketamine", time(10, 0), time(10, 45), "Monitoring lasted 0 h 45 min"),
        ("esketamine", None, time(12, 0), "Record when monitoring started and ended"),
        ("esketamine", time(10, 0), None, "Record when monitoring started and ended"),
        ("esketamine", time(12, 0), time(10, 0), None),  # an input error, reported elsewhere
        ("racemic_ketamine", time(10, 0), time(10, 30), None),
        ("racemic_ketamine", None, None, None),
    ],
)
def test_observation_warning(medication, start, end, expected):
    message = alerts.observation_warning(medication, start, end)
    if expected is None:
        assert message is None
    else:
        assert message is not None and expected in message


@pytest.mark.parametrize(
    ("start", "end", "refused"),
    [
        (time(10, 0), time(12, 0), False),
        (time(10, 0), time(10, 0), False),
        (time(12, 0), time(10, 0), True),
        (None, time(10, 0), False),
        (time(10, 0), None, False),
    ],
)
def test_check_monitoring(start, end, refused):
    message = rules.check_monitoring(start, end)
    assert (message is not None) is refused
    if refused:
        assert message == "Monitoring cannot end (10:00) before it started (12:00)."


# The form

VALID = {
    "medication": "racemic_ketamine",
    "route": "im",
    "dose_mg": "35",
    "administered_at": "10:05",
    "monitoring_start": "10:00",
    "monitoring_end": "12:15",
}


def validated(app, **fields) -> DosingForm:
    with app.test_request_context():
        form = DosingForm(formdata=MultiDict({**VALID, **fields}))
        form.validate()
        return form


def test_valid_form_has_no_errors_and_gives_the_data(app):
    form = validated(
        app,
        **{
            "boosters-0-dose_mg": "17.5",
            "boosters-0-given_at": "10:45",
            "boosters-1-dose_mg": "",
            "boosters-1-given_at": "",
            "weight_kg": "70",
            "baseline-systolic": "128",
            "baseline-diastolic": "82",
            "baseline-heart_rate": "71",
            "baseline-spo2": "98",
            "peak-systolic": "182",
            "peak-diastolic": "96",
            "adverse_events": ["nausea", "anxiety"],
            "adverse_event_notes": "  Mild nausea at 30 minutes.  ",
            "transport_home": "driven_by_companion",
        },
    )
    assert form.errors == {}
    data = form.dosing_data()
    assert data["medication"] == "racemic_ketamine"
    assert data["route"] == "im"
    assert data["dose_mg"] == D("35")
    assert data["boosters"] == [{"dose_mg": D("17.5"), "given_at": time(10, 45)}]
    assert data["weight_kg"] == D("70")
    assert data["administered_at"] == time(10, 5)
    assert data["monitoring_end"] == time(12, 15)
    assert data["vitals"]["baseline"] == {
        "systolic": 128,
        "diastolic": 82,
        "heart_rate": 71,
        "spo2": 98,
    }
    assert data["vitals"]["peak"] == {
        "systolic": 182,
        "diastolic": 96,
        "heart_rate": None,
        "spo2": None,
    }
    assert data["vitals"]["discharge"] == dict.fromkeys(data["vitals"]["peak"])
    assert data["adverse_events"] == ["nausea", "anxiety"]
    assert data["adverse_event_notes"] == "Mild nausea at 30 minutes."
    assert data["transport_home"] == "driven_by_companion"
    assert data["transport_notes"] == ""
    # Accepted, and flagged.
    assert form.warnings() == [
        "Blood pressure 182/96 at about 40 minutes is clinically notable (systolic ≥ 180)."
    ]


def test_form_has_two_booster_rows_and_three_vitals_rows(app):
    with app.test_request_context():
        form = DosingForm()
        assert len(form.boosters) == 2
        assert list(form.vitals_forms) == ["baseline", "peak", "discharge"]
        first = form.transport_home.choices[0]
        assert (first.value, first.label) == ("", "— choose —")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        (
            {"dose_mg": "5000"},
            "dose_mg",
            "A dose of 5000 mg is outside the plausible range (1–1000 mg)."
            " Check for a typing error.",
        ),
        ({"route": "iv", "dose_mg": "400"}, "dose_mg", "plausible range for IV dosing (1–300 mg)"),
        ({"dose_mg": ""}, "dose_mg", "Enter the dose in mg."),
        ({"dose_mg": "abc"}, "dose_mg", "Not a valid decimal value."),
        (
            {"medication": "esketamine", "route": "intranasal", "dose_mg": "50"},
            "dose_mg",
            "enter 28, 56 or 84 mg (not 50 mg)",
        ),
        (
            {"medication": "esketamine", "route": "im", "dose_mg": "56"},
            "route",
            "Esketamine (Spravato) is given intranasally only",
        ),
        ({"medication": "lsd"}, "medication", "Not a valid choice."),
        ({"medication": ""}, "medication", "This field is required."),
        ({"weight_kg": "500"}, "weight_kg", "A weight of 500 kg is outside the plausible range"),
        (
            {"monitoring_start": "12:00", "monitoring_end": "10:00"},
            "monitoring_end",
            "Monitoring cannot end (10:00) before it started (12:00).",
        ),
        ({"monitoring_end": "25:00"}, "monitoring_end", "Not a valid time value."),
        ({"transport_home": "jetpack"}, "transport_home", "Not a valid choice."),
        ({"adverse_event_notes": "x" * 5001}, "adverse_event_notes", "5000"),
        ({"transport_notes": "x" * 2001}, "transport_notes", "2000"),
    ],
)
def test_form_refuses_with_a_message_next_to_the_field(app, fields, field, message):
    form = validated(app, **fields)
    assert field in form.errors, form.errors
    assert any(message in error for error in form.errors[field]), form.errors[field]
    assert set(form.errors) == {field}, form.errors


def test_form_validate_returns_false_on_a_rule_error(app):
    with app.test_request_context():
        form = DosingForm(formdata=MultiDict({**VALID, "dose_mg": "5000"}))
        assert form.validate() is False
        form = DosingForm(formdata=MultiDict({**VALID, "peak-systolic": "400"}))
        assert form.validate() is False
        form = DosingForm(formdata=MultiDict({**VALID, "boosters-1-given_at": "11:00"}))
        assert form.validate() is False
        form = DosingForm(formdata=MultiDict(VALID))
        assert form.validate() is True


def test_booster_with_a_time_but_no_dose_is_an_error_next_to_its_dose(app):
    form = validated(app, **{"boosters-0-dose_mg": "20", "boosters-1-given_at": "11:00"})
    assert form.errors == {
        "boosters": [{}, {"dose_mg": ["Enter the booster dose, or clear its time."]}]
    }
    assert form.boosters[1].form.dose_mg.errors == ["Enter the booster dose, or clear its time."]


def test_booster_out_of_range(app):
    form = validated(app, **{"boosters-0-dose_mg": "600"})
    assert (
        "A booster dose of 600 mg is outside the plausible range (1–500 mg)"
        in (form.boosters[0].form.dose_mg.errors[0])
    )


def test_vitals_errors_are_next_to_the_vital(app):
    form = validated(
        app,
        **{
            "peak-systolic": "400",
            "peak-diastolic": "20",
            "discharge-systolic": "120",
            "discharge-diastolic": "130",
            "baseline-spo2": "12",
        },
    )
    assert set(form.errors) == {"peak", "discharge", "baseline"}
    assert "A systolic pressure of 400 mmHg" in form.peak.form.systolic.errors[0]
    assert "A diastolic pressure of 20 mmHg" in form.peak.form.diastolic.errors[0]
    assert "must be below the systolic pressure (120)" in form.discharge.form.diastolic.errors[0]
    assert "An SpO2 of 12%" in form.baseline.form.spo2.errors[0]


def test_notable_blood_pressure_is_accepted(app):
    form = validated(app, **{"peak-systolic": "182", "peak-diastolic": "96"})
    assert form.errors == {}
    assert form.warnings() == [
        "Blood pressure 182/96 at about 40 minutes is clinically notable (systolic ≥ 180)."
    ]


def test_short_spravato_observation_is_a_warning_not_an_error(app):
    form = validated(
        app,
        medication="esketamine",
        route="intranasal",
        dose_mg="56",
        monitoring_start="10:00",
        monitoring_end="11:30",
    )
    assert form.errors == {}
    assert form.warnings() == [
        "Monitoring lasted 1 h 30 min: Esketamine (Spravato) requires at least 2 hours of"
        " observation."
    ]


@pytest.mark.parametrize(
    "bad", ["NaN", "-nan", "sNaN", "Infinity", "-Infinity", "1e400", "1e999999999", "-1e-999999999"]
)
@pytest.mark.parametrize("name", ["dose_mg", "weight_kg", "boosters-0-dose_mg"])
def test_non_numbers_never_raise(app, bad, name):
    """NaN and infinities parse as decimals; every comparison must be stopped before."""
    form = validated(app, **{name: bad})
    assert form.errors, name
    errors = form.errors[name.split("-")[0]]
    flat = errors[0]["dose_mg"] if name.startswith("boosters") else errors
    assert flat and all(isinstance(message, str) for message in flat)
    if bad.lstrip("-").lower() in ("nan", "snan", "infinity"):
        assert flat == ["Enter a number."]
    # The page re-renders what was typed without trying to format it.
    field = form.boosters[0].form.dose_mg if name.startswith("boosters") else form[name]
    assert field._value() == bad


@pytest.mark.parametrize("bad", ["1e3", "120.5", "nan", "x", "99999999999999999999999"])
def test_vital_signs_must_be_whole_numbers_in_range(app, bad):
    form = validated(app, **{"baseline-heart_rate": bad})
    assert form.baseline.form.heart_rate.errors


@pytest.mark.parametrize(
    "key", ["boosters-²-dose_mg", "boosters-" + "9" * 5000 + "-dose_mg", "boosters-1000-dose_mg"]
)
def test_crafted_booster_indices_are_ignored(app, key):
    """str.isdigit() is true of '²', and int() then raises in stock FieldList."""
    form = validated(app, **{key: "20"})
    assert form.errors == {}
    assert form.dosing_data()["boosters"] == []


def test_at_most_six_boosters_are_read(app):
    fields = {f"boosters-{i}-dose_mg": "10" for i in range(10)}
    form = validated(app, **fields)
    assert len(form.dosing_data()["boosters"]) == 6


def test_adverse_events_keep_a_canonical_order_and_refuse_unknown_codes(app):
    form = validated(app, adverse_events=["dissociation", "nausea", "nausea"])
    assert form.dosing_data()["adverse_events"] == ["nausea", "dissociation"]
    form = validated(app, adverse_events=["nausea", "death"])
    assert "adverse_events" in form.errors


def test_nests_inside_a_page_form_with_prefixed_names_and_dict_data(app):
    class PageForm(SubForm):
        dosing = FormField(DosingForm)

    with app.test_request_context():
        form = PageForm(
            formdata=MultiDict(
                {
                    "dosing-medication": "esketamine",
                    "dosing-route": "intranasal",
                    "dosing-dose_mg": "50",
                    "dosing-peak-systolic": "120",
                }
            )
        )
        assert form.validate() is False
        assert "not 50 mg" in form.errors["dosing"]["dose_mg"][0]
        assert form.dosing.form.peak.form.systolic.name == "dosing-peak-systolic"
        assert form.dosing.form.boosters[0].form.dose_mg.name == "dosing-boosters-0-dose_mg"

        prefilled = PageForm(
            data={
                "dosing": dosing_form_data(
                    None, default_medication="esketamine", default_route="intranasal"
                )
            }
        )
        assert prefilled.dosing.form.medication.data == "esketamine"
        assert prefilled.dosing.form.route.data == "intranasal"


# Services


@pytest.fixture
def dosing_session(app, make_user):
    """A dosing session of a 70 kg patient; returns (session id, patient id)."""
    user = make_user()
    patient_id = add_patient(app, user, weight_kg=D("70"))
    with database(app) as db:
        course = db_course(db, patient_id, "Initial course", date(2026, 1, 5))
        session = db_session(db, user.id, course, "dosing", datetime(2026, 1, 12, 10, 0),
                             duration_minutes=150)
        db.commit()
        return session.id


def form_data(**changes) -> dict:
    data = {
        "medication": "racemic_ketamine",
        "route": "im",
        "dose_mg": D("35"),
        "boosters": [{"dose_mg": D("15"), "given_at": time(10, 45)}],
        "weight_kg": None,
        "administered_at": time(10, 5),
        "monitoring_start": time(10, 0),
        "monitoring_end": time(12, 15),
        "vitals": {
            "baseline": {"systolic": 128, "diastolic": 82, "heart_rate": 71, "spo2": 98},
            "peak": {"systolic": 182, "diastolic": 96, "heart_rate": None, "spo2": None},
            "discharge": dict.fromkeys(("systolic", "diastolic", "heart_rate", "spo2")),
        },
        "adverse_events": ["nausea"],
        "adverse_event_notes": "Mild nausea.",
        "transport_home": "driven_by_companion",
        "transport_notes": "",
    }
    return {**data, **changes}


def counts(db) -> tuple[int, int, int]:
    return tuple(
        db.scalar(select(func.count()).select_from(model))
        for model in (DosingRecord, BoosterDose, VitalSigns)
    )


def test_save_creates_the_record_with_mg_per_kg_from_the_patient_weight(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    record = save_dosing(db, session, form_data(), patient_weight=D("70"))
    db.commit()

    stored = load_dosing(db, dosing_session)
    assert stored is record
    assert stored.weight_kg == D("70")
    assert stored.mg_per_kg == D("0.50")  # 35 mg at 70 kg
    assert stored.total_mg == D("50")
    assert stored.total_mg_per_kg == D("0.71")  # boosters count in the total
    assert [(b.position, b.dose_mg, b.given_at) for b in stored.boosters] == [
        (0, D("15"), time(10, 45))
    ]
    # The discharge timepoint had no value at all: not stored. Positions are fixed.
    assert [(v.position, v.timepoint, v.systolic) for v in stored.vitals] == [
        (0, "baseline", 128),
        (1, "peak", 182),
    ]
    assert stored.adverse_events == ["nausea"]
    assert stored.transport_home == "driven_by_companion"
    assert counts(db) == (1, 1, 2)


def test_a_typed_weight_wins_over_the_patient_weight(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    record = save_dosing(db, session, form_data(weight_kg=D("87.5")), patient_weight=D("70"))
    assert record.weight_kg == D("87.5")
    assert record.mg_per_kg == D("0.40")


def test_no_weight_anywhere_means_no_mg_per_kg(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    record = save_dosing(db, session, form_data(), patient_weight=None)
    assert record.weight_kg is None
    assert record.mg_per_kg is None
    assert record.total_mg_per_kg is None


def test_saving_again_replaces_boosters_and_vitals(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    save_dosing(db, session, form_data(), patient_weight=D("70"))
    db.commit()
    db.expunge_all()

    session = db.get(TherapySession, dosing_session)
    changed = form_data(
        dose_mg=D("42"),
        boosters=[
            {"dose_mg": D("10"), "given_at": time(10, 40)},
            {"dose_mg": D("12.5"), "given_at": None},
        ],
        vitals={
            "baseline": dict.fromkeys(("systolic", "diastolic", "heart_rate", "spo2")),
            "peak": {"systolic": 150, "diastolic": 90, "heart_rate": 88, "spo2": 97},
            "discharge": {"systolic": 130, "diastolic": 84, "heart_rate": None, "spo2": None},
        },
        adverse_events=[],
        transport_home=None,
    )
    save_dosing(db, session, changed, patient_weight=D("70"))
    db.commit()
    db.expunge_all()

    assert counts(db) == (1, 2, 2)
    stored = load_dosing(db, dosing_session)
    assert stored.dose_mg == D("42")
    assert [(b.position, b.dose_mg) for b in stored.boosters] == [(0, D("10")), (1, D("12.5"))]
    assert [(v.position, v.timepoint, v.systolic) for v in stored.vitals] == [
        (1, "peak", 150),
        (2, "discharge", 130),
    ]
    assert stored.total_mg == D("64.5")
    assert stored.adverse_events == []
    assert stored.transport_home is None


def test_save_only_flushes(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    save_dosing(db, session, form_data(), patient_weight=D("70"))
    db.rollback()
    assert counts(db) == (0, 0, 0)


def test_save_refuses_a_session_that_is_not_a_dosing_session(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    session.kind = "integration"
    with pytest.raises(ValueError, match="dosing session"):
        save_dosing(db, session, form_data(), patient_weight=D("70"))


def test_form_data_round_trips_through_the_form(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    save_dosing(db, session, form_data(weight_kg=D("72.5")), patient_weight=D("70"))
    db.commit()
    db.expunge_all()
    record = load_dosing(db, dosing_session)

    data = dosing_form_data(record)
    with app.test_request_context():
        form = DosingForm(data=data)
        assert form.medication.data == "racemic_ketamine"
        assert form.dose_mg._value() == "35.0"
        assert form.weight_kg.data == D("72.5")
        assert form.boosters[0].form.dose_mg.data == D("15")
        assert form.boosters[0].form.given_at.data == time(10, 45)
        assert len(form.boosters) == 2  # min_entries: one blank row left
        assert form.peak.form.systolic.data == 182
        assert form.discharge.form.systolic.data is None
        assert form.adverse_events.data == ["nausea"]
        assert form.transport_home.data == "driven_by_companion"
        assert form.dosing_data() == {**form_data(weight_kg=D("72.5"))}


def test_form_data_for_a_new_record_uses_the_course_defaults(app):
    data = dosing_form_data(None, default_medication="esketamine", default_route="intranasal")
    with app.test_request_context():
        form = DosingForm(data=data)
        assert form.medication.data == "esketamine"
        assert form.route.data == "intranasal"
        assert form.dose_mg.data is None
        assert len(form.boosters) == 2


def test_form_data_always_leaves_a_blank_booster_row(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    boosters = [{"dose_mg": D("10"), "given_at": None}, {"dose_mg": D("10"), "given_at": None}]
    save_dosing(db, session, form_data(boosters=boosters), patient_weight=D("70"))
    record = load_dosing(db, dosing_session)
    with app.test_request_context():
        form = DosingForm(data=dosing_form_data(record))
        assert len(form.boosters) == 3
        assert form.boosters[2].form.dose_mg.data is None


# Templates


FIELDS = '{% from "dosing/_fields.html" import dosing_fields %}{{ dosing_fields(form, warnings) }}'
SUMMARY = (
    '{% from "dosing/_summary.html" import dosing_summary %}{{ dosing_summary(record, warnings) }}'
)


def test_fields_macro_labels_every_input_and_shows_errors_next_to_fields(app):
    with app.test_request_context():
        form = DosingForm(
            formdata=MultiDict(
                {**VALID, "dose_mg": "5000", "peak-systolic": "400", "boosters-1-given_at": "11:00"}
            )
        )
        form.validate()
        page = render_template_string(FIELDS, form=form, warnings=["Check the weight."])

    for label in [
        "Medication",
        "Route",
        "Dose (mg)",
        "Weight (kg)",
        "Dose given at",
        "Monitoring started",
        "Monitoring ended",
        "Adverse events",
        "Nausea",
        "Dissociation beyond expected",
        "Transport home",
        "— choose —",
        "Booster 1: dose (mg)",
        "Booster 2: given at",
        "About 40 minutes: Systolic (mmHg)",
        "At discharge: SpO2 (%)",
        "<caption>Vital signs",
        "<caption>Boosters",
        '<th scope="row">Baseline (before dosing)</th>',
        '<th scope="col">Diastolic (mmHg)</th>',
    ]:
        assert label in page, label
    # Every input, select and textarea has a label.
    ids = re.findall(r'<(?:input|select|textarea)[^>]*\bid="([^"]+)"', page)
    assert len(ids) > 20
    for field_id in ids:
        assert f'for="{field_id}"' in page, field_id
    assert field_errors(page, "dose_mg") == [
        "A dose of 5000 mg is outside the plausible range (1–1000 mg). Check for a typing error."
    ]
    assert "A systolic pressure of 400 mmHg" in field_errors(page, "peak-systolic")[0]
    assert field_errors(page, "boosters-1-dose_mg") == [
        "Enter the booster dose, or clear its time."
    ]
    assert field_errors(page, "route") == []
    assert 'aria-describedby="peak-systolic-error"' in page
    assert "Check the weight." in page
    assert "style=" not in page and "<script" not in page


def test_fields_macro_renders_nested_names(app):
    class PageForm(SubForm):
        dosing = FormField(DosingForm)

    with app.test_request_context():
        form = PageForm(
            data={
                "dosing": dosing_form_data(
                    None, default_medication="esketamine", default_route="intranasal"
                )
            }
        )
        page = render_template_string(FIELDS, form=form.dosing, warnings=())
    assert 'name="dosing-peak-systolic"' in page
    assert 'name="dosing-boosters-1-given_at"' in page
    assert '<option selected value="esketamine">' in page


def test_summary_macro_shows_the_record_and_marks_notable_values(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    save_dosing(
        db, session, form_data(adverse_events=["nausea", "dissociation"]), patient_weight=D("70")
    )
    db.commit()
    db.expunge_all()
    record = load_dosing(db, dosing_session)
    with app.test_request_context():
        page = render_template_string(
            SUMMARY, record=record, warnings=alerts.dosing_warnings(record)
        )

    for shown in [
        "Ketamine (racemic)",
        "Intramuscular (IM)",
        "35.0 mg (0.50 mg/kg)",
        "15.0 mg at 10:45",
        "50.0 mg (0.71 mg/kg)",
        "70.0 kg",
        "10:05",
        "10:00 to 12:15",
        '<th scope="row">About 40 minutes</th>',
        "182/96",
        "Clinically notable",
        "Blood pressure 182/96 at about 40 minutes is clinically notable (systolic ≥ 180).",
        "Nausea, Dissociation beyond expected",
        "Driven home by a companion",
        "Mild nausea.",
    ]:
        assert shown in page, shown
    assert page.count("Clinically notable") == 1  # the 128/82 row is not marked
    assert "style=" not in page and "<script" not in page


def test_summary_macro_without_weight_or_vitals(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    empty_vitals = dict.fromkeys(("systolic", "diastolic", "heart_rate", "spo2"))
    data = form_data(
        medication="esketamine",
        route="intranasal",
        dose_mg=D("56"),
        boosters=[],
        vitals={"baseline": empty_vitals},
        adverse_events=[],
        transport_home=None,
        monitoring_end=time(11, 0),
    )
    save_dosing(db, session, data, patient_weight=None)
    db.commit()
    db.expunge_all()
    record = load_dosing(db, dosing_session)
    with app.test_request_context():
        page = render_template_string(
            SUMMARY, record=record, warnings=alerts.dosing_warnings(record)
        )
    assert "Esketamine (Spravato)" in page
    assert "56.0 mg</dd>" in page
    assert "no weight recorded" in page
    assert "No vital signs recorded." in page
    assert "None recorded" in page
    assert "Monitoring lasted 1 h 00 min" in page
    assert not re.search(r"\d mg/kg", page)


def test_save_refuses_a_signed_session(app, dosing_session, db):
    session = db.get(TherapySession, dosing_session)
    session.status = "signed"
    with pytest.raises(ValueError, match="signed"):
        save_dosing(db, session, form_data(), patient_weight=D("70"))
