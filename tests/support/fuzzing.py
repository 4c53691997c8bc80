"""Hypothesis fuzzing of forms: what a field may receive (values a careful user could type,
and odd ones: any unicode, odd numbers, dates and times, several values), whole
submissions, and running them against a form so that both its outcomes occur."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

EXAMPLES = 25  # Per form (and edge cases); each fuzzing file stays well under a minute.


def fuzz_settings(examples: int = EXAMPLES):
    return settings(max_examples=examples, derandomize=True, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much],
                    print_blob=False)


# Any code point but surrogates (which no browser sends): NUL, C0/C1 controls, bidi marks,
# combining characters, astral planes.
CHARACTERS = st.characters(exclude_categories=("Cs",))
ODD_NUMBERS = [
    "", " ", "\x00", "NaN", "nan", "-NaN", "sNaN", "Infinity", "-Infinity", "inf", "-inf",
    "1e999999", "-1e999999", "1E+400", "1e-400", "9" * 40, "-" + "9" * 40, "9" * 5000, "-1",
    "0", "-0", "0.0", "2147483647", "2147483648", "-2147483649", "9223372036854775808",
    "1_000", "²", "١٢", "１２", "0x1F", "1.5", "1,5", " 12 ", "+3", "12abc", "\u202e12",
    "0.05", "999.95", "35.25", "1e2", ".5", "5.", "--5", "٣٥",
]
ODD_DATES = [
    "", "0000-00-00", "0001-01-01", "1000-01-01", "1899-12-31", "1900-01-01", "1989-12-31",
    "9999-12-31", "2026-02-29", "2024-02-29", "2026-13-01", "2026-00-10", "2026-01-32",
    "-001-01-01", "+2026-01-01", "2026-1-1", "20260101", "2026-01-01T10:00", "2026/01/01",
    "01.01.2026", "today", "２０２６-０１-０１", "2026-01-01\x00",
    (date.today() + timedelta(days=1)).isoformat(),
    (date.today() + timedelta(days=366)).isoformat(),
    (date.today() + timedelta(days=367)).isoformat(),
    (date.today() - timedelta(days=1)).isoformat(),
]
ODD_TIMES = ["", "00:00", "23:59", "24:00", "23:60", "12:00:00", "12:00:60", "25:00", "-1:00",
             "1:2", "12", "12:00 PM", "noon", "12:00:00.000001", "１２:００", "12:00\x00"]


def free_text(max_size: int = 60):
    return st.text(CHARACTERS, max_size=max_size)


def long_text(limit: int):
    """Text around a field's length limit (built by repetition: cheap to generate)."""
    return st.builds(lambda c, n: c * n, st.sampled_from(["a", "é", "\x00", "😀", " ", "<"]),
                     st.integers(limit - 2, limit + 2))


def anything(limit: int = 60):
    """What may arrive in any field: text, numbers, dates, times, several values."""
    return st.one_of(free_text(limit), st.sampled_from(ODD_NUMBERS), st.sampled_from(ODD_DATES),
                     st.sampled_from(ODD_TIMES), st.integers().map(str),
                     st.floats().map(str), st.lists(free_text(10), min_size=2, max_size=3))


@dataclass(frozen=True)
class Value:
    """What a field may receive: values a careful user could type, and odd ones."""

    valid: st.SearchStrategy
    odd: st.SearchStrategy


def text_value(limit: int, *, required: bool = False) -> Value:
    """Any unicode, control characters included; a required field starts with a letter or
    digit (so that something is left once white space and controls are stripped)."""
    size = min(limit - 1, 200)
    valid = st.builds(lambda first, rest: first + rest,
                      st.characters(categories=("L", "N")) if required else st.just(""),
                      free_text(size))
    return Value(valid, st.one_of(free_text(size), long_text(limit)))


def number_value(low, high, *, places: int = 0) -> Value:
    valid = (st.integers(low, high).map(str) if not places else
             st.decimals(low, high, places=places).map(str))
    odd = st.one_of(st.integers(low - 5, high + 5).map(str), st.sampled_from(ODD_NUMBERS),
                    st.integers().map(str), st.floats().map(str),
                    st.decimals(allow_nan=True).map(str))
    return Value(valid, odd)


def date_value(low: date | None = None, high: date | None = None) -> Value:
    low = low or date.today() - timedelta(days=400)
    high = high or date.today()
    return Value(st.dates(low, high).map(date.isoformat),
                 st.one_of(st.dates().map(date.isoformat), st.sampled_from(ODD_DATES)))


def time_value() -> Value:
    return Value(st.times().map(lambda t: t.strftime("%H:%M")), st.sampled_from(ODD_TIMES))


def choice_value(valid: list[str]) -> Value:
    return Value(st.sampled_from(valid),
                 st.one_of(free_text(12), st.sampled_from(["", "0", "-1", "999999", "None"])))


def optional(value: Value) -> Value:
    return Value(st.one_of(st.just(""), value.valid), value.odd)


def form(fields: dict[str, Value], *, garbage: int = 3):
    """A submission. Half of them hold only valid values (arbitrary, but what a form should
    accept); the others mix valid and odd values, replace up to `garbage` fields (or unknown
    names) by anything, and leave some fields out."""
    names = list(fields)

    @st.composite
    def build(draw):
        if draw(st.booleans()):
            return {name: draw(value.valid) for name, value in fields.items()}
        data = {name: draw(st.one_of(value.valid, value.odd)) for name, value in fields.items()}
        for name in draw(st.lists(st.sampled_from([*names, "unknown", "csrf_token_2"]),
                                  max_size=garbage, unique=True)):
            data[name] = draw(anything())
        for name in draw(st.lists(st.sampled_from(names), max_size=2, unique=True)):
            data.pop(name, None)
        return data

    return build()


def changed_tables(before: dict, after: dict) -> set[str]:
    return {name for name in before if before[name] != after[name]}


class Outcomes:
    """How the examples of one form ended: the fuzzing must reach both the success and the
    refusal paths, or it proves little."""

    def __init__(self):
        self.saved = self.refused = 0

    def check(self) -> None:
        assert self.saved and self.refused, f"saved {self.saved}, refused {self.refused}"


def fuzz(strategy, submit, *, examples: int = EXAMPLES, explicit=()) -> None:
    """Run `submit(data, outcomes)` on the examples of `strategy`, after the `explicit` ones
    (edge cases always tried); both outcomes must occur."""
    outcomes = Outcomes()

    def run(data):
        submit(data, outcomes)

    for case in reversed(explicit):
        run = example(case)(run)
    fuzz_settings(examples)(given(strategy)(run))()
    outcomes.check()
