"""URL converters. <id:...> accepts only ids a database integer can hold, so a malformed or
oversized id is a plain 404 rather than an overflow deep in a driver."""

from werkzeug.routing import BaseConverter


class IdConverter(BaseConverter):
    regex = r"[1-9][0-9]{0,17}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))
