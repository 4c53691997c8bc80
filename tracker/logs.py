"""Logging that carries no clinical text: request lines lose their query strings (a patient
search is a GET with the name in it)."""

from __future__ import annotations

import logging
import re

from flask import Flask

# A request line's method and path, then its query string: up to the protocol version, the
# closing quote or the end (Werkzeug logs the line unquoted, its query decoded, words and
# spaces included; gunicorn's access log quotes it).
_QUERY = re.compile(r'((?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) [^ ?"]*)\?.*?'
                    r'(?= HTTP/\d|"|\x1b|$)')


class RedactQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub(r"\1?…", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub(r"\1?…", arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        return True


def init_app(app: Flask) -> None:
    for name in ("werkzeug", "gunicorn.access"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactQueryStrings) for f in logger.filters):
            logger.addFilter(RedactQueryStrings())
