"""Logging that carries no clinical text and cannot be forged.

- Request lines lose their query strings (a patient search is a GET with the name in it),
  and every line loses the token of a patient's check-in link (`/c/…`).
- Control characters are escaped in every line (`\\x0a`, `\\x1b`, `\\u2028`): a request for
  `/x%0aINJECTED%1b[31m` is logged on one line, with no terminal escape, by gunicorn's access
  and error logs (GunicornLogger, tracker/gunicorn_conf.py), the development server's log and
  the app's own (Flask's handler and the `tracker` logger's).
"""

from __future__ import annotations

import logging
import re

from flask import Flask
from flask.logging import default_handler
from gunicorn import glogging

# A request line's method and path, then its query string: up to the protocol version, the
# closing quote or the end (Werkzeug logs the line unquoted, its query decoded, words and
# spaces included; gunicorn's access log quotes it).
_QUERY = re.compile(r'((?:GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS) [^ ?"]*)\?.*?'
                    r'(?= HTTP/\d|"|\\x1b|\x1b|$)')
# A check-in link's token in a path (/c/<token>): never written to a log.
_LINK_TOKEN = re.compile(r"/c/[A-Za-z0-9_-]{16,}")
# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def escape_controls(text: str) -> str:
    """Every control character as a visible escape: the text stays on one line."""
    return _CONTROL.sub(lambda m: (f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100
                                   else f"\\u{ord(m[0]):04x}"), text)


class RedactQueryStrings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = _QUERY.sub(r"\1?…", record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(_QUERY.sub(r"\1?…", arg) if isinstance(arg, str) else arg
                                for arg in record.args)
        return True


def redact_link_tokens(text: str) -> str:
    """A patient's check-in link as /c/…: its token opens the link (with the code)."""
    return _LINK_TOKEN.sub("/c/…", text)


class EscapeControlCharacters(logging.Filter):
    """The record's message, formatted, with its control characters escaped (a traceback,
    added by the formatter after, keeps its lines) and any check-in link's token left out."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError):
            message = str(record.msg)
        escaped = escape_controls(redact_link_tokens(message))
        if escaped != message or record.args:
            record.msg, record.args = escaped, None
        return True


def _add_once(target: logging.Logger | logging.Handler, kind: type[logging.Filter]) -> None:
    if not any(isinstance(f, kind) for f in target.filters):
        target.addFilter(kind())


def escape_handler(handler: logging.Handler) -> None:
    """Escape control characters in whatever this handler writes (children's records
    included: a logger's own filters do not see what its children log)."""
    _add_once(handler, EscapeControlCharacters)


class GunicornLogger(glogging.Logger):
    """gunicorn's logger with control characters escaped in the access and error logs
    (`logger_class` in tracker/gunicorn_conf.py): gunicorn writes %(U)s, the decoded path,
    as it is."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for logger in (self.error_log, self.access_log):
            _add_once(logger, EscapeControlCharacters)
            for handler in logger.handlers:
                escape_handler(handler)


def init_app(app: Flask) -> None:
    for name in ("werkzeug", "gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if name != "gunicorn.error":
            _add_once(logger, RedactQueryStrings)
        _add_once(logger, EscapeControlCharacters)  # After the redaction.
    for handler in (default_handler, *app.logger.handlers, *logging.getLogger().handlers):
        escape_handler(handler)
    try:  # The development server colours its lines itself: escaped, that would be noise.
        import werkzeug.serving

        werkzeug.serving._log_add_style = False
    except (ImportError, AttributeError):
        pass
