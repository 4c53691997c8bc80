"""URL converters. <id:...> accepts only ids an INTEGER column holds on every database
(PostgreSQL's is 32-bit), so a malformed or oversized id is a plain 404 rather than an
overflow deep in a driver. <instrument:...> accepts only the codes of the instrument
registry, so an unknown questionnaire is a plain 404."""

from collections.abc import Callable

from flask import url_for
from werkzeug.routing import BaseConverter, ValidationError

from tracker.measures import instruments

MAX_ID = 2**31 - 1


class IdConverter(BaseConverter):
    regex = r"[1-9][0-9]{0,9}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


def id_url(endpoint: str, argument: str, **values) -> Callable[[int], str]:
    """url_for(endpoint, **values, argument=id) as a function of the id, for a page that
    links every row of a list: url_for is asked once, with the largest id, and its answer
    cut around it (building a URL costs more than the rest of a row)."""
    placeholder = str(MAX_ID)
    before, found, after = url_for(endpoint, **values, **{argument: MAX_ID}).partition(
        placeholder)
    if not found or placeholder in after:
        raise ValueError(f"{endpoint} does not give {argument} once")
    return lambda record_id: f"{before}{int(record_id)}{after}"


class InstrumentConverter(BaseConverter):
    """A code of the registry as it is when the request comes (not when the app was built)."""

    regex = instruments.CODE_PATTERN
    part_isolating = True

    def to_python(self, value: str) -> str:
        if value not in instruments.INSTRUMENTS:
            raise ValidationError()
        return value
