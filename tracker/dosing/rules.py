"""Dosing rules as pure functions: plausible ranges, medication and route constraints,
clinically notable values, the Spravato observation time.

Nothing here reads a request, the configuration or the database, so every rule can be tested
on its own and called from forms, services or templates. Checks return a message (or None);
they never raise on odd input (None, NaN, infinities) so that a typing error can never turn
into a server error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from numbers import Number

from tracker.dosing.models import MEDICATIONS, ROUTES

ENTER_A_NUMBER = "Enter a number."


@dataclass(frozen=True)
class Plausible:
    """A plausible range: values outside it are almost certainly typing errors."""

    low: Decimal
    high: Decimal
    noun: str  # "A dose", "A weight", ...
    unit: str  # "mg", "kg", "%"
    places: int = 0  # decimal places the record keeps (Numeric scale); 0 for integers

    def describe(self, value: Number) -> str:
        return f"{self.noun} of {_show(value)}{_sep(self.unit)}{self.unit}"

    @property
    def span(self) -> str:
        return f"{_show(self.low)}–{_show(self.high)}{_sep(self.unit)}{self.unit}"


DOSE = Plausible(Decimal(1), Decimal(1000), "A dose", "mg", places=1)
BOOSTER = Plausible(Decimal(1), Decimal(500), "A booster dose", "mg", places=1)
WEIGHT = Plausible(Decimal(20), Decimal(350), "A weight", "kg", places=1)
SYSTOLIC = Plausible(Decimal(60), Decimal(260), "A systolic pressure", "mmHg")
DIASTOLIC = Plausible(Decimal(30), Decimal(160), "A diastolic pressure", "mmHg")
HEART_RATE = Plausible(Decimal(30), Decimal(220), "A heart rate", "beats per minute")
SPO2 = Plausible(Decimal(50), Decimal(100), "An SpO2", "%")

VITALS = {"systolic": SYSTOLIC, "diastolic": DIASTOLIC, "heart_rate": HEART_RATE, "spo2": SPO2}

# The most a single dosing session plausibly uses by route (typing-error guard, not a
# clinical limit). Intranasal: esketamine at most 84 mg; racemic nasal sprays rarely exceed
# 252 mg. Sublingual lozenges and troches go up to the overall maximum.
ROUTE_MAX_MG = {
    "im": Decimal(300),
    "iv": Decimal(300),
    "intranasal": Decimal(252),
    "sublingual": Decimal(1000),
}
ROUTE_NAMES = {"im": "IM", "iv": "IV", "intranasal": "intranasal", "sublingual": "sublingual"}

# Spravato (esketamine nasal spray): 28 mg per device; 56 mg or 84 mg per session.
ESKETAMINE = "esketamine"
ESKETAMINE_ROUTE = "intranasal"
ESKETAMINE_DEVICE_MG = Decimal(28)
ESKETAMINE_MAX_MG = Decimal(84)
# Spravato's label requires at least 2 hours of observation after dosing.
ESKETAMINE_OBSERVATION_MINUTES = 120

# Clinically notable blood pressure: accepted, but flagged (DOMAIN.md).
NOTABLE_SYSTOLIC = 180
NOTABLE_DIASTOLIC = 110

TIMEPOINT_PHRASES = {
    "baseline": "at baseline (before dosing)",
    "peak": "at about 40 minutes",
    "discharge": "at discharge",
}


def _sep(unit: str) -> str:
    return "" if unit == "%" else " "


def _show(value: Number) -> str:
    """A number as typed, without trailing '.0' on whole numbers. Never expands exponents
    (1e999999999 stays short)."""
    if isinstance(value, Decimal) and value.is_finite() and -6 <= value.adjusted() < 12:
        if value == value.to_integral_value():
            return str(int(value))
        return str(value.normalize())
    return str(value)


def _finite(value) -> bool:
    if isinstance(value, Decimal):
        return value.is_finite()
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return True


def range_error(value, plausible: Plausible) -> str | None:
    """The message for a value outside its plausible range (None for an empty value).

    >>> range_error(Decimal(5000), DOSE)
    'A dose of 5000 mg is outside the plausible range (1–1000 mg). Check for a typing error.'
    """
    if value is None:
        return None
    if not _finite(value):
        return ENTER_A_NUMBER
    if not plausible.low <= value <= plausible.high:
        return (
            f"{plausible.describe(value)} is outside the plausible range ({plausible.span})."
            " Check for a typing error."
        )
    if isinstance(value, Decimal) and value.normalize().as_tuple().exponent < -plausible.places:
        step = _show(Decimal(1).scaleb(-plausible.places))
        return (
            f"{plausible.describe(value)} has more decimal places than the record keeps:"
            f" round it to the nearest {step}{_sep(plausible.unit)}{plausible.unit}."
        )
    return None


def check_route(medication: str | None, route: str | None) -> str | None:
    """Esketamine (Spravato) is a nasal spray: any other route is an error."""
    if medication == ESKETAMINE and route and route != ESKETAMINE_ROUTE:
        return (
            f"{MEDICATIONS[ESKETAMINE]} is given intranasally only; "
            f"choose “{ROUTES[ESKETAMINE_ROUTE]}”."
        )
    return None


def check_dose(medication: str | None, route: str | None, dose_mg) -> str | None:
    """The initial dose: overall plausible range, the maximum for the route, and for
    esketamine whole devices of 28 mg up to 84 mg."""
    if dose_mg is None:
        return None
    message = range_error(dose_mg, DOSE)
    if message:
        return message
    route_max = ROUTE_MAX_MG.get(route or "")
    if route_max is not None and dose_mg > route_max:
        return (
            f"{DOSE.describe(dose_mg)} is outside the plausible range for {ROUTE_NAMES[route]}"
            f" dosing (1–{_show(route_max)} mg). Check for a typing error."
        )
    if medication == ESKETAMINE and (
        dose_mg % ESKETAMINE_DEVICE_MG != 0 or dose_mg > ESKETAMINE_MAX_MG
    ):
        return (
            f"{MEDICATIONS[ESKETAMINE]} comes as 28 mg devices: enter 28, 56 or 84 mg"
            f" (not {_show(dose_mg)} mg)."
        )
    return None


def check_booster(dose_mg, given_at: time | None) -> str | None:
    """A booster row: empty is fine (ignored); a time without a dose is an error (shown next to
    the dose); a dose must be plausible."""
    if dose_mg is None:
        if given_at is not None:
            return "Enter the booster dose, or clear its time."
        return None
    return range_error(dose_mg, BOOSTER)


def check_vitals(
    systolic: int | None,
    diastolic: int | None,
    heart_rate: int | None,
    spo2: int | None,
) -> dict[str, str]:
    """Messages by field name for one set of vital signs; empty when all is plausible.
    Clinically notable values are not errors (see notable_vitals)."""
    values = {"systolic": systolic, "diastolic": diastolic, "heart_rate": heart_rate, "spo2": spo2}
    errors = {}
    for name, value in values.items():
        message = range_error(value, VITALS[name])
        if message:
            errors[name] = message
    if (
        "systolic" not in errors
        and "diastolic" not in errors
        and systolic is not None
        and diastolic is not None
        and diastolic >= systolic
    ):
        errors["diastolic"] = (
            f"The diastolic pressure ({_show(diastolic)}) must be below the systolic pressure"
            f" ({_show(systolic)}). Check whether the two were swapped."
        )
    return errors


def check_monitoring(start: time | None, end: time | None) -> str | None:
    """Monitoring cannot end before it started (times of day on the session's date)."""
    if start is not None and end is not None and end < start:
        return f"Monitoring cannot end ({end:%H:%M}) before it started ({start:%H:%M})."
    return None


def _get(item, name: str):
    if isinstance(item, Mapping):
        return item.get(name)
    return getattr(item, name, None)


def notable_vitals(vitals: Iterable) -> list[str]:
    """Describe clinically notable blood pressures (systolic ≥ 180 or diastolic ≥ 110 mmHg).

    `vitals`: VitalSigns rows, or mappings with timepoint, systolic and diastolic. Values are
    accepted and flagged, never refused."""
    notes = []
    for item in vitals:
        systolic, diastolic = _get(item, "systolic"), _get(item, "diastolic")
        reasons = []
        if systolic is not None and _finite(systolic) and systolic >= NOTABLE_SYSTOLIC:
            reasons.append(f"systolic ≥ {NOTABLE_SYSTOLIC}")
        if diastolic is not None and _finite(diastolic) and diastolic >= NOTABLE_DIASTOLIC:
            reasons.append(f"diastolic ≥ {NOTABLE_DIASTOLIC}")
        if not reasons:
            continue
        timepoint = _get(item, "timepoint")
        when = TIMEPOINT_PHRASES.get(timepoint, f"at {timepoint}" if timepoint else "")
        pressure = "/".join("—" if v is None else _show(v) for v in (systolic, diastolic))
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


def dosing_warnings(record) -> list[str]:
    """Everything worth a second look on a saved record (a DosingRecord with its vitals
    loaded): notable blood pressures, then a short Spravato observation."""
    found = notable_vitals(record.vitals)
    message = observation_warning(record.medication, record.monitoring_start, record.monitoring_end)
    if message:
        found.append(message)
    return found
