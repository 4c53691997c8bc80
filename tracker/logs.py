"""Logging that carries no clinical text: request lines lose their query strings (a patient
search is a GET with the name in it)."""

from __future__ import annotations

import logging
import re

from flask import Flask

_QUERY = re.compile(r'("[A-Z]+ [^ ?"]*)\?[^ "]*')


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
