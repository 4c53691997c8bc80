"""Log lines cannot be forged (issue 14, item 6): a request for /x%0aINJECTED%1b[31m wrote a
second, forged line and a raw terminal escape into gunicorn's access log. Control characters
are escaped in every line: the access log, gunicorn's error log and the app's own log."""

import io
import logging
import socket
import subprocess

from tests.support.server import CONFIG, GUNICORN, free_port, server_environment, wait_for
from tracker import logs

ATTACK = b"/x%0aINJECTED%1b[31m%0d%e2%80%a8end"


def _raw_get(port: int, path: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\n"
                           b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_the_access_log_escapes_control_characters(database_url, tmp_path):
    port = free_port()
    env = server_environment(tmp_path, database_url, GUNICORN_BIND=f"127.0.0.1:{port}",
                             GUNICORN_WORKERS="1")
    process = subprocess.Popen([str(GUNICORN), "-c", CONFIG], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
        answer = _raw_get(port, ATTACK)
        assert answer.split(b"\r\n", 1)[0] in (b"HTTP/1.1 404 NOT FOUND", b"HTTP/1.1 302 FOUND")
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    log = (out + err).decode("utf-8", "replace")
    line = next(line for line in log.splitlines() if "/x" in line and "INJECTED" in line)
    # One line, the path visible (decoded as WSGI does, Latin-1: the C1 byte escaped too).
    assert "\\x0aINJECTED\\x1b[31m\\x0d\u00e2\\x80\u00a8end" in line
    assert not any(line.startswith("INJECTED") for line in log.splitlines())
    assert "\x1b" not in log and "\r" not in log and "\u2028" not in log


def test_the_apps_own_log_escapes_control_characters(app):
    """What the app logs reaches Flask's handler (the error log under gunicorn), from the
    app's logger and its children (tracker.errors logs a failed request's path)."""
    from flask.logging import default_handler

    stream = io.StringIO()
    previous = default_handler.setStream(stream)
    try:
        for name, message, args in (("tracker.errors", "Exception on %s [GET]",
                                     ("/x\nINJECTED\x1b[31m",)),
                                    ("tracker", "path /y\r\nFORGED", ())):
            default_handler.handle(logging.getLogger(name).makeRecord(
                name, logging.ERROR, __file__, 1, message, args, None))
    finally:
        default_handler.setStream(previous)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[0].endswith("Exception on /x\\x0aINJECTED\\x1b[31m [GET]")
    assert lines[1].endswith("path /y\\x0d\\x0aFORGED")


def test_flask_default_log_handler_escapes(app):
    from flask.logging import default_handler

    assert any(isinstance(f, logs.EscapeControlCharacters) for f in default_handler.filters)


def test_no_log_line_carries_a_check_in_links_token(app, database_url, tmp_path, therapist,
                                                    therapist_client):
    """The token opens the link (with the code): gunicorn's access log, its error log and
    the app's own log write /c/… instead (issue 16)."""
    from tests.support.checkins import make_link, patient_with_plan

    handover = make_link(therapist_client, patient_with_plan(app, therapist).patient_id)
    port = free_port()
    env = server_environment(tmp_path, database_url, GUNICORN_BIND=f"127.0.0.1:{port}",
                             GUNICORN_WORKERS="1", SESSION_COOKIE_SECURE="false")
    process = subprocess.Popen([str(GUNICORN), "-c", CONFIG], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process)
        for path in (handover.path, handover.path + "?x=1", handover.path + "/more"):
            _raw_get(port, path.encode())
    finally:
        process.terminate()
        out, err = process.communicate(timeout=30)
    log = (out + err).decode("utf-8", "replace")
    assert '"GET /c/…" 200' in log
    assert handover.token not in log
    # The development server's request lines (Werkzeug), and the app's own log.
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logs.escape_handler(handler)
    for name, message in (("werkzeug", '"POST %s HTTP/1.1" 401 -'),
                          ("tracker.errors", "Exception on %s [POST]")):
        handler.handle(logging.getLogger(name).makeRecord(name, logging.ERROR, __file__, 1,
                                                          message, (handover.path,), None))
    assert stream.getvalue().count("/c/…") == 2 and handover.token not in stream.getvalue()
