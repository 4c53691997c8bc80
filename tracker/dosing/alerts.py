"""Dosing alerts: values that are accepted and recorded, but flagged for a second look.

The thresholds are practice settings (tracker/config.py, "Dosing alerts", with their
sources; docs/DOMAIN.md), read through AlertLimits.from_config. The functions are pure:
they take the limits, never the request or the database, so forms, services and templates
all ask the same rules. Refusals (values that can only be typing errors) live in rules.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation

from flask import current_app, has_app_context

from tracker.dosing.models import MEDICATIONS, NOTABLE_DIASTOLIC, NOTABLE_SYSTOLIC
from tracker.dosing.rules import ESKETAMINE, ROUTE_NAMES, is_finite, show_number

ALERT_SETTINGS = ("ALERT_SPO2_BELOW", "ALERT_HEART_RATE_ABOVE", "ALERT_HEART_RATE_BELOW",
                  "ESKETAMINE_DELAY_SYSTOLIC_ABOVE", "ESKETAMINE_DELAY_DIASTOLIC_ABOVE")

# Spravato's label requires at least 2 hours of observation after dosing.
ESKETAMINE_OBSERVATION_MINUTES = 120

TIMEPOINT_PHRASES = {
    "baseline": "at baseline (before dosing)",
    "peak": "at about 40 minutes",
    "discharge": "at discharge",
}


def field_of(item, name: str):
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def notable_vitals(vitals: Iterable) -> list[str]:
    """Describe clinically notable blood pressures (systolic ≥ 180 or diastolic ≥ 110 mmHg).

    `vitals`: VitalSigns rows, or mappings with timepoint, systolic and diastolic. Values are
    accepted and flagged, never refused."""
    notes = []
    for item in vitals:
        systolic, diastolic = field_of(item, "systolic"), field_of(item, "diastolic")
        reasons = []
        if systolic is not None and is_finite(systolic) and systolic >= NOTABLE_SYSTOLIC:
            reasons.append(f"systolic ≥ {NOTABLE_SYSTOLIC}")
        if diastolic is not None and is_finite(diastolic) and diastolic >= NOTABLE_DIASTOLIC:
            reasons.append(f"diastolic ≥ {NOTABLE_DIASTOLIC}")
        if not reasons:
            continue
        timepoint = field_of(item, "timepoint")
        when = TIMEPOINT_PHRASES.get(timepoint, f"at {timepoint}" if timepoint else "")
        pressure = "/".join("—" if v is None else show_number(v) for v in (systolic, diastolic))
        notes.append(
            " ".join(filter(None, ["Blood pressure", pressure, when]))
            + f" is clinically notable ({', '.join(reasons)})."
        )
    return notes


def minutes_between(start: time, end: time) -> int:
    """Whole minutes from start to end on the same day (negative when end is earlier)."""
    day = date(2000, 1, 1)
    return int((datetime.combine(day, end) - datetime.combine(day, start)).total_seconds() // 60)


def observation_warning(
    medication: str | None, monitoring_start: time | None, monitoring_end: time | None
) -> str | None:
    """Spravato requires at least 2 hours of observation: flag a shorter (or unrecorded)
    monitoring period. Other medications: no rule, None."""
    if medication != ESKETAMINE:
        return None
    hours = ESKETAMINE_OBSERVATION_MINUTES // 60
    if monitoring_start is None or monitoring_end is None:
        return (
            f"Record when monitoring started and ended: {MEDICATIONS[ESKETAMINE]} requires at"
            f" least {hours} hours of observation."
        )
    minutes = minutes_between(monitoring_start, monitoring_end)
    if minutes < 0:
        return None  # an input error, reported by check_monitoring
    if minutes < ESKETAMINE_OBSERVATION_MINUTES:
        return (
            f"Monitoring lasted {minutes // 60} h {minutes % 60:02d} min: "
            f"{MEDICATIONS[ESKETAMINE]} requires at least {hours} hours of observation."
        )
    return None


def _decimals(values: Mapping[str, object]) -> dict[str, Decimal]:
    return {str(route): Decimal(str(limit)) for route, limit in values.items()}


@dataclass(frozen=True)
class AlertLimits:
    """The thresholds; the defaults are those of tracker/config.py."""

    spo2_below: int = 92
    heart_rate_above: int = 110
    heart_rate_below: int = 50
    esketamine_delay_systolic_above: int = 140
    esketamine_delay_diastolic_above: int = 90
    mg_per_kg_above: Mapping[str, Decimal] = field(default_factory=lambda: _decimals(
        {"iv": "1.0", "im": "1.5", "sublingual": "6"}))

    @classmethod
    def from_config(cls, config: Mapping[str, object]) -> AlertLimits:
        """From the app's settings; ValueError names a setting that is not usable."""
        values = {}
        for name in ALERT_SETTINGS:
            value = config[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be a whole number, not {value!r}.")
            values[name.removeprefix("ALERT_").lower()] = value
        try:
            per_kg = _decimals(config["ALERT_MG_PER_KG_ABOVE"])
        except (AttributeError, InvalidOperation, TypeError):
            raise ValueError("ALERT_MG_PER_KG_ABOVE must map routes to mg/kg numbers.") from None
        if any(not limit.is_finite() or limit <= 0 for limit in per_kg.values()):
            raise ValueError("ALERT_MG_PER_KG_ABOVE must map routes to positive mg/kg.")
        return cls(mg_per_kg_above=per_kg, **values)


def current_limits() -> AlertLimits:
    """The limits of the current app (the defaults outside an app context)."""
    if not has_app_context():
        return AlertLimits()
    return AlertLimits.from_config(current_app.config)


def vital_alerts(vitals: Iterable, medication: str | None,
                 limits: AlertLimits | None = None) -> list[str]:
    """Flags on the vital signs of every timepoint: blood pressure at or above the notable
    level, SpO2 below its threshold, heart rate outside its band; for esketamine, a pre-dose
    blood pressure above the label's "consider delaying" level. `vitals`: VitalSigns rows or
    mappings with timepoint, systolic, diastolic, heart_rate and spo2."""
    limits = limits or AlertLimits()
    vitals = list(vitals)
    found = notable_vitals(vitals)
    for item in vitals:
        when = TIMEPOINT_PHRASES.get(field_of(item, "timepoint"), "")
        spo2, rate = _usable(field_of(item, "spo2")), _usable(field_of(item, "heart_rate"))
        if spo2 is not None and spo2 < limits.spo2_below:
            found.append(f"SpO2 {show_number(spo2)}% {when} is below {limits.spo2_below}%.")
        if rate is not None and rate > limits.heart_rate_above:
            found.append(f"Heart rate {show_number(rate)} bpm {when} is above "
                         f"{limits.heart_rate_above} bpm.")
        if rate is not None and rate < limits.heart_rate_below:
            found.append(f"Heart rate {show_number(rate)} bpm {when} is below "
                         f"{limits.heart_rate_below} bpm.")
    if medication == ESKETAMINE:
        found += _esketamine_before_dosing(vitals, limits)
    return found


def _usable(value):
    return value if value is not None and is_finite(value) else None


def _esketamine_before_dosing(vitals: list, limits: AlertLimits) -> list[str]:
    for item in vitals:
        if field_of(item, "timepoint") != "baseline":
            continue
        systolic = _usable(field_of(item, "systolic"))
        diastolic = _usable(field_of(item, "diastolic"))
        if ((systolic or 0) > limits.esketamine_delay_systolic_above
                or (diastolic or 0) > limits.esketamine_delay_diastolic_above):
            pressure = "/".join("—" if v is None else show_number(v) for v in (systolic, diastolic))
            return [f"Blood pressure {pressure} before dosing is above "
                    f"{limits.esketamine_delay_systolic_above}/"
                    f"{limits.esketamine_delay_diastolic_above}: the "
                    f"{MEDICATIONS[ESKETAMINE]} label advises considering a delay of the dose."]
    return []


def dose_alerts(route: str | None, total_mg, weight_kg,
                limits: AlertLimits | None = None) -> list[str]:
    """A session's total dose per kg above the route's alert level (no weight: no flag)."""
    limits = limits or AlertLimits()
    threshold = limits.mg_per_kg_above.get(route or "")
    if threshold is None or not total_mg or not weight_kg:
        return []
    per_kg = (Decimal(total_mg) / Decimal(weight_kg)).quantize(Decimal("0.01"))
    if per_kg <= threshold:
        return []
    return [f"The total dose is {show_number(per_kg)} mg/kg, above the "
            f"{show_number(threshold)} mg/kg alert level for {ROUTE_NAMES.get(route, route)} "
            "dosing: check the dose and the weight."]


def dosing_warnings(record, limits: AlertLimits | None = None) -> list[str]:
    """Everything worth a second look on a saved record (a DosingRecord with its boosters
    and vitals loaded): vital signs, the dose per kg, then a short Spravato observation."""
    limits = limits or current_limits()
    found = vital_alerts(record.vitals, record.medication, limits)
    found += dose_alerts(record.route, record.total_mg, record.weight_kg, limits)
    message = observation_warning(record.medication, record.monitoring_start,
                                  record.monitoring_end)
    if message:
        found.append(message)
    return found
