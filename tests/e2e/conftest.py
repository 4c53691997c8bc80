"""Browser tests (make e2e): the app served by gunicorn on a free port against a fresh
database, driven by Playwright in Debian's Chromium (/usr/bin/chromium), with axe-core and
the Nu Html Checker from tests/e2e/node_modules (npm install there; make e2e does it)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pyotp
import pytest

from tests.e2e.layout import AXE, check_widths
from tests.support.keys import TEST_ENCRYPTION_KEY
from tests.support.server import GUNICORN, SERVER_KEY_ID, free_port, server_environment, wait_for
from tracker import create_app, migrate
from tracker.auth import services as accounts
from tracker.db import get_db, utcnow

HERE = Path(__file__).resolve().parent
ARTIFACTS = HERE / "artifacts"
VNU = HERE / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update"]
EMAIL, PASSWORD = "rivera@e2e.kap", "a long e2e passphrase"
# The served database, for tests that set up a situation directly (not what they measure).
SERVED: dict[str, str] = {}


def pytest_collection_modifyitems(items):
    """Every test in this folder is a browser test (the hook sees the whole session's)."""
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def artifacts() -> Path:
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    """gunicorn on a fresh SQLite database with one therapist who has two-factor login.
    Yields (base URL, the therapist's TOTP secret)."""
    for needed in (CHROMIUM, AXE, VNU):
        if not Path(needed).exists():
            pytest.fail(f"{needed} is missing: run make e2e, which installs it")
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'e2e.sqlite3'}"
    SERVED["url"] = url
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "DATABASE_URL": url,
                      "ENCRYPTION_KEYS": {SERVER_KEY_ID: TEST_ENCRYPTION_KEY},
                      "ENCRYPTION_KEY_ID": SERVER_KEY_ID})
    migrate.upgrade(app.extensions["tracker.engine"])
    secret = pyotp.random_base32()
    with app.app_context():
        user = accounts.create_user(get_db(), email=EMAIL, name="Dr. Ana Rivera",
                                    password=PASSWORD)
        user.totp_secret, user.two_factor_enabled_at = secret, utcnow()
        get_db().commit()
    app.extensions["tracker.engine"].dispose()
    port = free_port()
    env = server_environment(folder, url, SESSION_COOKIE_SECURE="false",
                             SESSION_IDLE_MINUTES="1")
    with open(folder / "server.log", "w") as log:
        process = subprocess.Popen(
            [str(GUNICORN), "--workers", "2", "--bind", f"127.0.0.1:{port}",
             "tracker:create_app()"], env=env, stdout=subprocess.DEVNULL, stderr=log)
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz", process)
            yield f"http://127.0.0.1:{port}", secret
        finally:
            process.terminate()
            process.wait(timeout=30)
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(folder / "server.log", ARTIFACTS / "server.log")


@pytest.fixture
def served_database(server) -> str:
    """The URL of the database the server serves (for setting up a situation directly)."""
    return SERVED["url"]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Checks:
    """What every page of the journey goes through: axe-core in the page, and its HTML kept
    for the Nu Html Checker (run once over all of them at the end)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.pages: dict[str, str] = {}

    def page(self, page, name: str, html: str | None = None) -> None:
        check_widths(page, name)
        self.pages[name] = html if html is not None else page.content()

    def validate_html(self) -> list[dict]:
        files = []
        for name, html in self.pages.items():
            path = self.folder / f"{name}.html"
            path.write_text(html)
            files.append(str(path))
        run = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--format", "json",
                              *files], capture_output=True, text=True, timeout=300)
        # Exit status 1 means it found errors; anything else is the checker failing.
        assert run.returncode in (0, 1), run.stderr
        return json.loads(run.stderr or run.stdout)["messages"]
