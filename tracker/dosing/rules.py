"""Dosing rules as pure functions: plausible ranges, medication and route constraints, the
limits past which a value can only be a typing error. (What is accepted but flagged is in
alerts.py.)

Nothing here reads a request, the configuration or the database, so every rule can be tested
on its own and called from forms, services or templates. Checks return a message (or None);
they never raise on odd input (None, NaN, infinities) so that a typing error can never turn
into a server error.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import time
from decimal import Decimal, InvalidOperation
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
        return f"{self.noun} of {show_number(value)}{_sep(self.unit)}{self.unit}"

    @property
    def span(self) -> str:
        return f"{show_number(self.low)}–{show_number(self.high)}{_sep(self.unit)}{self.unit}"


MAX_BOOSTERS = 6  # Booster rows a dosing record holds at most.
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
# The session's total, initial dose and boosters together: whole devices, 28, 56 or 84 mg.
ESKETAMINE_TOTALS_MG = (Decimal(28), Decimal(56), Decimal(84))
def _sep(unit: str) -> str:
    return "" if unit == "%" else " "


def show_number(value: Number) -> str:
    """A number as typed, without trailing '.0' on whole numbers. Never expands exponents
    (1e999999999 stays short)."""
    if isinstance(value, Decimal) and value.is_finite() and -6 <= value.adjusted() < 12:
        if value == value.to_integral_value():
            return str(int(value))
        return str(value.normalize())
    return str(value)


def is_finite(value) -> bool:
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
    if not is_finite(value):
        return ENTER_A_NUMBER
    if not plausible.low <= value <= plausible.high:
        return (
            f"{plausible.describe(value)} is outside the plausible range ({plausible.span})."
            " Check for a typing error."
        )
    if isinstance(value, Decimal) and value.normalize().as_tuple().exponent < -plausible.places:
        step = show_number(Decimal(1).scaleb(-plausible.places))
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
            f" dosing (1–{show_number(route_max)} mg). Check for a typing error."
        )
    if medication == ESKETAMINE and (
        dose_mg % ESKETAMINE_DEVICE_MG != 0 or dose_mg > ESKETAMINE_MAX_MG
    ):
        return (
            f"{MEDICATIONS[ESKETAMINE]} comes as 28 mg devices: enter 28, 56 or 84 mg"
            f" (not {show_number(dose_mg)} mg)."
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
            f"The diastolic pressure ({show_number(diastolic)}) must be below the systolic pressure"
            f" ({show_number(systolic)}). Check whether the two were swapped."
        )
    return errors


def check_monitoring(start: time | None, end: time | None) -> str | None:
    """Monitoring cannot end before it started (times of day on the session's date)."""
    if start is not None and end is not None and end < start:
        return f"Monitoring cannot end ({end:%H:%M}) before it started ({start:%H:%M})."
    return None


def hard_limits(values: Mapping[str, object]) -> dict[str, Decimal]:
    """MAX_MG_PER_KG as decimals by route; ValueError names what is not usable."""
    try:
        limits = {str(route): Decimal(str(limit)) for route, limit in values.items()}
    except (AttributeError, InvalidOperation, TypeError):
        raise ValueError("MAX_MG_PER_KG must map routes to mg/kg numbers.") from None
    if any(not limit.is_finite() or limit <= 0 for limit in limits.values()):
        raise ValueError("MAX_MG_PER_KG must map routes to positive mg/kg.")
    return limits


def check_dose_per_kg(route: str | None, total_mg, weight_kg,
                      limits: Mapping[str, Decimal]) -> str | None:
    """A session's total dose per kg above the route's hard limit can only be a typing error
    (a dose or a weight off by a factor of ten). No weight: nothing to check."""
    limit = limits.get(route or "")
    if (limit is None or not total_mg or not weight_kg
            or range_error(weight_kg, WEIGHT) or not is_finite(total_mg)
            or not 0 < total_mg <= DOSE.high + MAX_BOOSTERS * BOOSTER.high):
        return None  # Nothing to check, or a value its own check already refuses.
    per_kg = (Decimal(total_mg) / Decimal(weight_kg)).quantize(Decimal("0.01"))
    if per_kg <= limit:
        return None
    return (f"{show_number(Decimal(total_mg))} mg for {show_number(Decimal(weight_kg))} kg is "
            f"{show_number(per_kg)} mg/kg, above the {show_number(limit)} mg/kg that "
            f"{ROUTE_NAMES[route]} dosing can plausibly reach. Check the dose and the weight "
            "for a typing error.")


def check_esketamine_total(medication: str | None, dose_mg, boosters: Iterable) -> str | None:
    """Esketamine is given in whole 28 mg devices, 28, 56 or 84 mg per session: a booster
    that takes the total anywhere else is refused."""
    boosters = [b for b in boosters if b is not None]
    if medication != ESKETAMINE or dose_mg is None or not boosters:
        return None
    total = Decimal(dose_mg) + sum((Decimal(b) for b in boosters), Decimal(0))
    if total in ESKETAMINE_TOTALS_MG:
        return None
    parts = " + ".join(show_number(Decimal(v)) for v in (dose_mg, *boosters))
    return (f"With this booster the session's total is {parts} = {show_number(total)} mg: "
            f"{MEDICATIONS[ESKETAMINE]} is given as 28, 56 or 84 mg per session, in whole "
            "28 mg devices.")

