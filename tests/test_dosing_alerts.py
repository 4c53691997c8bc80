"""Dosing alerts that match the label and the protocols (dosing/alerts.py, dosing/rules.py):
esketamine in whole devices per session, vital signs outside the monitoring thresholds, a
dose per kg above the route's alert level (flagged) or above what the route can reach
(refused), every threshold a setting."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from werkzeug.datastructures import MultiDict

from tracker import ConfigError, create_app
from tracker.dosing import alerts, rules
from tracker.dosing.forms import DosingForm

LIMITS = rules.hard_limits({"iv": 5, "im": 15, "sublingual": 20})


# Esketamine: 28, 56 or 84 mg per session, whole devices ---------------------------------

@pytest.mark.parametrize(("dose", "boosters"), [(28, [28]), (56, [28]), (28, [28, 28]),
                                                (84, [])])
def test_esketamine_totals_of_whole_devices_are_accepted(dose, boosters):
    assert rules.check_esketamine_total("esketamine", D(dose), [D(b) for b in boosters]) is None


@pytest.mark.parametrize(("dose", "boosters", "total"), [(84, [84], "168"), (56, [56], "112"),
                                                         (28, [14], "42")])
def test_a_booster_that_leaves_the_devices_is_refused_with_the_reason(dose, boosters, total):
    message = rules.check_esketamine_total("esketamine", D(dose), [D(b) for b in boosters])
    assert message is not None
    assert f"= {total} mg" in message and "28, 56 or 84 mg per session" in message


def test_boosters_of_racemic_ketamine_are_not_held_to_devices():
    assert rules.check_esketamine_total("racemic_ketamine", D(200), [D(100)]) is None


# Vital signs ------------------------------------------------------------------------------

def vitals(**timepoints):
    return [{"timepoint": name, "systolic": None, "diastolic": None, "heart_rate": None,
             "spo2": None, **values} for name, values in timepoints.items()]


def test_a_low_spo2_at_discharge_is_flagged():
    found = alerts.vital_alerts(vitals(discharge={"spo2": 86}), "racemic_ketamine")
    assert found == ["SpO2 86% at discharge is below 92%."]


@pytest.mark.parametrize(("rate", "flagged"), [(111, "above 110"), (49, "below 50"),
                                               (110, None), (50, None)])
def test_heart_rate_outside_its_band_is_flagged_at_any_timepoint(rate, flagged):
    found = alerts.vital_alerts(vitals(peak={"heart_rate": rate}), "racemic_ketamine")
    if flagged is None:
        assert found == []
    else:
        assert found == [f"Heart rate {rate} bpm at about 40 minutes is {flagged} bpm."]


def test_spo2_at_the_threshold_is_not_flagged():
    assert alerts.vital_alerts(vitals(baseline={"spo2": 92}), "racemic_ketamine") == []


def test_esketamine_before_dosing_above_140_90_says_consider_delaying():
    found = alerts.vital_alerts(vitals(baseline={"systolic": 146, "diastolic": 88}),
                                "esketamine")
    assert found == ["Blood pressure 146/88 before dosing is above 140/90: the Esketamine "
                     "(Spravato) label advises considering a delay of the dose."]
    # Not before dosing, or not esketamine: no such advice.
    assert alerts.vital_alerts(vitals(peak={"systolic": 146, "diastolic": 88}),
                               "esketamine") == []
    assert alerts.vital_alerts(vitals(baseline={"systolic": 146, "diastolic": 88}),
                               "racemic_ketamine") == []


def test_the_notable_blood_pressure_flag_stays_at_180_110():
    found = alerts.vital_alerts(vitals(discharge={"systolic": 181, "diastolic": 95}),
                                "racemic_ketamine")
    assert found == ["Blood pressure 181/95 at discharge is clinically notable (systolic ≥ 180)."]


# Dose per kg ------------------------------------------------------------------------------

def test_a_high_dose_per_kg_is_flagged_by_route():
    # 4.3 mg/kg IM passed silently before.
    assert alerts.dose_alerts("im", D(301), D(70)) == [
        "The total dose is 4.3 mg/kg, above the 1.5 mg/kg alert level for IM dosing: check "
        "the dose and the weight."]
    assert alerts.dose_alerts("iv", D(70), D(70)) == []  # 1.0 mg/kg: at the level
    assert alerts.dose_alerts("iv", D(71), D(70)) != []  # 1.01 mg/kg
    assert alerts.dose_alerts("sublingual", D(400), D(60)) != []  # 6.67 mg/kg
    assert alerts.dose_alerts("sublingual", D(300), D(60)) == []  # 5 mg/kg
    assert alerts.dose_alerts("im", D(300), None) == []  # no weight, no mg/kg


def test_a_dose_per_kg_no_route_reaches_is_refused():
    # A tenfold typo for a light patient: 280 mg IV for 45 kg is 6.22 mg/kg.
    message = rules.check_dose_per_kg("iv", D(280), D(45), LIMITS)
    assert message == ("280 mg for 45 kg is 6.22 mg/kg, above the 5 mg/kg that IV dosing can "
                       "plausibly reach. Check the dose and the weight for a typing error.")
    assert rules.check_dose_per_kg("iv", D(28), D(45), LIMITS) is None
    assert rules.check_dose_per_kg("iv", D(280), None, LIMITS) is None


# The form ---------------------------------------------------------------------------------

VALID = {"medication": "racemic_ketamine", "route": "im", "dose_mg": "35",
         "monitoring_start": "10:00", "monitoring_end": "12:15"}


def validated(app, patient_weight=None, **fields) -> DosingForm:
    with app.test_request_context():
        form = DosingForm(formdata=MultiDict({**VALID, **fields}))
        form.patient_weight = patient_weight
        form.validate()
        form.found = form.warnings()
        return form


def test_the_form_refuses_a_booster_past_84_mg_of_esketamine_next_to_the_booster(app):
    form = validated(app, medication="esketamine", route="intranasal", dose_mg="84",
                     **{"boosters-0-dose_mg": "84", "monitoring_end": "12:30"})
    assert form.boosters[0].form.dose_mg.errors == [
        "With this booster the session's total is 84 + 84 = 168 mg: Esketamine (Spravato) is "
        "given as 28, 56 or 84 mg per session, in whole 28 mg devices."]
    assert not form.dose_mg.errors


def test_the_form_refuses_an_impossible_dose_per_kg_with_the_patient_weight(app):
    form = validated(app, patient_weight=D(40), route="iv", dose_mg="250")
    assert form.dose_mg.errors == [
        "250 mg for 40 kg is 6.25 mg/kg, above the 5 mg/kg that IV dosing can plausibly reach. "
        "Check the dose and the weight for a typing error."]


def test_the_form_flags_what_it_accepts(app):
    form = validated(app, patient_weight=D(40), dose_mg="100",
                     **{"discharge-spo2": "86", "peak-heart_rate": "118"})
    assert form.errors == {}
    assert form.found == [  # By timepoint, then the dose.
        "Heart rate 118 bpm at about 40 minutes is above 110 bpm.",
        "SpO2 86% at discharge is below 92%.",
        "The total dose is 2.5 mg/kg, above the 1.5 mg/kg alert level for IM dosing: check the "
        "dose and the weight."]


# Every threshold is a setting -------------------------------------------------------------

def test_thresholds_come_from_the_settings(app_config):
    app = create_app({**app_config, "ALERT_SPO2_BELOW": 95, "ALERT_MG_PER_KG_ABOVE": {"im": 5},
                      "MAX_MG_PER_KG": {"iv": 8}})
    with app.app_context():
        limits = alerts.current_limits()
        assert alerts.vital_alerts(vitals(baseline={"spo2": 94}), None, limits) == [
            "SpO2 94% at baseline (before dosing) is below 95%."]
        assert alerts.dose_alerts("im", D(301), D(70), limits) == []  # 4.3 < 5
    form = validated(app, patient_weight=D(40), route="iv", dose_mg="250")
    assert form.dose_mg.errors == []  # 6.25 mg/kg is under the practice's 8


@pytest.mark.parametrize(("name", "value"), [("ALERT_SPO2_BELOW", "ninety"),
                                             ("ALERT_MG_PER_KG_ABOVE", {"im": "lots"}),
                                             ("MAX_MG_PER_KG", {"iv": -1})])
def test_an_unusable_threshold_stops_the_app_with_its_name(app_config, name, value):
    with pytest.raises(ConfigError, match=name):
        create_app({**app_config, name: value})
