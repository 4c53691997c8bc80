"""Serving the app with gunicorn and loading it with hey (Debian's `hey` package)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.support.forms import form_fields
from tests.support.server import CONFIG, GUNICORN, server_environment, wait_for
from tests.support.sessions import decide_all


@dataclass
class Load:
    """What one hey run measured."""

    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]


def hey_path() -> str:
    path = shutil.which("hey")
    if path is None:
        raise SystemExit("make bench drives the load with hey: apt-get install hey")
    return path


def hey(url: str, cookie: str, *, seconds: float = 0, requests: int = 0, workers: int = 8,
        rate: float = 0, method: str = "GET", body: str | None = None) -> Load:
    """Run hey against url with the session cookie; -q is per worker, as hey counts it.
    Every response's time comes back (CSV), so percentiles hold for short runs too (hey's
    own summary leaves p99 out below about a hundred responses)."""
    command = [hey_path(), "-c", str(workers), "-H", f"Cookie: {cookie}", "-o", "csv",
               "-disable-compression"]
    command += ["-z", f"{seconds}s"] if seconds else ["-n", str(requests)]
    if rate:
        command += ["-q", f"{max(rate / workers, 0.1):.2f}"]
    if method != "GET":
        command += ["-m", method, "-T", "application/x-www-form-urlencoded", "-d", body or ""]
    output = subprocess.run([*command, url], capture_output=True, text=True,  # noqa: S603
                            check=True).stdout
    return _parse(output)


def _parse(output: str) -> Load:
    """From hey's CSV: response-time, ..., status-code, offset (seconds from the start)."""
    times, statuses, end = [], {}, 0.0
    for line in output.splitlines()[1:]:
        fields = line.split(",")
        if len(fields) < 8:
            continue
        seconds, status, offset = float(fields[0]), int(fields[6]), float(fields[7])
        times.append(seconds * 1000)
        statuses[status] = statuses.get(status, 0) + 1
        end = max(end, offset + seconds)
    times.sort()
    return Load(len(times), round(len(times) / end, 1) if end else 0.0, percentile(times, 0.50),
                percentile(times, 0.99), statuses)


def percentile(times: list[float], share: float) -> float:
    """The response time below which `share` of the sorted `times` fall (ms, 0 when none)."""
    return round(times[min(len(times) - 1, int(share * len(times)))], 2) if times else 0.0


def session_form(browser, session_id: int) -> dict:
    """The session page's form as a browser would submit it (one GET of the page), every
    carried item decided. `browser`: tests/support/browser.Browser or its like."""
    html = browser.request(f"/sessions/{session_id}/edit")[2]
    return decide_all(form_fields(html, form_id="session-form"))


def save_session(browser, session_id: int, form: dict) -> tuple[int, str]:
    """A real save: POST the session form with its Save button; (status, Location)."""
    return browser.request(f"/sessions/{session_id}/edit", {**form, "save": "1"})[:2]


class Server:
    """gunicorn with the documented configuration, on its own port."""

    def __init__(self, database_url: str, instance: Path, port: int, workers: int | None):
        self.url = f"http://127.0.0.1:{port}"
        # Every simulated therapist signs in from 127.0.0.1 at about the same time: the
        # sign-in limits per account and per address are raised. Two-factor sign-in is off
        # (the practice setting's default) and no benchmark account has a factor.
        env = server_environment(
            instance, database_url, SESSION_COOKIE_SECURE="false", BENCH_HELLO_ROUTE="true",
            LOGIN_LIMIT_PER_ACCOUNT='"1000 per minute"',
            LOGIN_LIMIT_PER_ADDRESS='"1000 per minute"', GUNICORN_BIND=f"127.0.0.1:{port}",
            GUNICORN_MAX_REQUESTS="0",  # No recycling: worker memory is measured.
            **({"GUNICORN_WORKERS": str(workers)} if workers else {}))  # Else the config's.
        self.process = subprocess.Popen([str(GUNICORN), "-c", CONFIG], env=env,  # noqa: S603
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            wait_for(f"{self.url}/healthz", self.process, seconds=60)
        except AssertionError as error:
            raise SystemExit(f"gunicorn did not start: {error}") from None

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)
