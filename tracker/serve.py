"""`kap-tracker-serve`: the app served by gunicorn with the configuration shipped in the
package (tracker/gunicorn_conf.py), so an installed wheel serves without a checkout.

Every gunicorn option can follow (`kap-tracker-serve --bind 127.0.0.1:8080`), and the
GUNICORN_* variables the configuration reads still apply."""

from __future__ import annotations

import sys

CONFIG = "python:tracker.gunicorn_conf"


def main() -> None:
    from gunicorn.app.wsgiapp import run

    sys.argv = [sys.argv[0], "--config", CONFIG, *sys.argv[1:]]
    run(prog="kap-tracker-serve")
