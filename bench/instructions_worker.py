"""Runs under valgrind --tool=callgrind (started by bench/instructions.py): signs in to the
app in-process, warms each page up, then counts the instructions of K requests of it alone
(the counters are zeroed before them and dumped after, by client requests), and, over K
requests before those, the SQL statements per request. Prints one JSON line per page."""

from __future__ import annotations

import ctypes
import io
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

from tests.support.forms import form_fields  # noqa: E402
from tests.support.queries import audit_statements, data_statements  # noqa: E402


def main() -> None:
    spec = json.loads(sys.argv[1])
    requests = ctypes.CDLL(spec["library"])
    os.environ.update(spec["environment"])
    from tracker import create_app
    from tracker.audit import apart

    app = create_app()
    # Under callgrind a request takes seconds, not milliseconds: the views' time limit
    # would write a batch every few views, which served at full speed it does not.
    app.config["AUDIT_VIEW_SECONDS"] = 3600
    client = app.test_client()
    token = form_fields(client.get("/login").get_data(as_text=True), action=None)["csrf_token"]
    answer = client.post("/login", data={"csrf_token": token, "email": spec["email"],
                                         "password": spec["password"]})
    assert answer.status_code == 302, answer.status_code
    engine = app.extensions["tracker.engine"]
    k = spec["k"]
    for name, path in spec["pages"].items():
        for _ in range(spec["warm_up"]):
            status = client.get(path).status_code
            assert status == 200, (name, path, status)
        statements: list[str] = []

        def record(*args, statements=statements):
            statements.append(args[2])

        # Statements per request, the audit trail's amortised over a whole batch of page
        # views (tracker/audit/apart.py: one batch's statements per AUDIT_VIEW_BATCH views).
        over = max(k, app.config["AUDIT_VIEW_BATCH"])
        event.listen(engine, "before_cursor_execute", record)
        for _ in range(over):
            client.get(path)
        event.remove(engine, "before_cursor_execute", record)
        counted = {"data": len(data_statements(statements)) / over,
                   "audit": len(audit_statements(statements)) / over}
        with app.test_request_context():
            apart.flush()  # The K counted requests write no batch (about 1/20 of one each).
        environ = signed_in_environ(app, client, path)
        requests.bench_start()
        requests.bench_zero()
        for _ in range(k):
            serve(app, environ)
        requests.bench_dump(name.encode())
        requests.bench_stop()
        print(json.dumps({"page": name, "statements": counted}), flush=True)
    engine.dispose()


def signed_in_environ(app, client, path: str) -> dict:
    """The WSGI environ of a GET of `path` with the client's session cookie and user agent
    (the login's session protection compares it), built once: the counted requests are the
    app's own work, as a server calls it, not the test client's."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    return EnvironBuilder(path=path, environ_base=client.environ_base,
                          headers={"Cookie": f"{cookie.key}={cookie.value}"}).get_environ()


def serve(app, environ: dict) -> None:
    status = []
    body = app(dict(environ, **{"wsgi.input": io.BytesIO()}),
               lambda line, headers, exc_info=None: status.append(line))
    try:
        for _ in body:
            pass
    finally:
        getattr(body, "close", lambda: None)()
    assert status[0].startswith("200"), status


if __name__ == "__main__":
    main()
