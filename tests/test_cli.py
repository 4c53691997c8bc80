"""The commands under `flask --app tracker`."""

import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import func, select

from tests.support.server import clean_environment
from tracker import create_app
from tracker.cli import init_command
from tracker.db import get_db
from tracker.demo import DEMO_LOGINS
from tracker.export.record import patient_export
from tracker.models import Patient, User

ROOT = Path(__file__).resolve().parent.parent


def count(app, model):
    with app.app_context():
        return get_db().scalar(select(func.count()).select_from(model))


def test_init_writes_config_migrates_seeds_and_is_idempotent(tmp_path, monkeypatch):
    instance = tmp_path / "instance"
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(instance))
    monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
    runner = CliRunner()

    result = runner.invoke(init_command, ["--demo"])
    assert result.exit_code == 0, result.output
    config = instance / "config.py"
    assert config.stat().st_mode & 0o777 == 0o600
    first_config = config.read_text()
    assert "SECRET_KEY = " in first_config
    assert "(created)" in result.output and "migrated empty" in result.output
    for email, password, _role in DEMO_LOGINS:
        assert email in result.output and password in result.output

    app = create_app()  # Starts now: init wrote a real secret.
    users, patients = count(app, User), count(app, Patient)
    assert users == 3 and patients >= 5

    again = runner.invoke(init_command, ["--demo"])
    assert again.exit_code == 0, again.output
    assert "up to date" in again.output and "(created)" not in again.output
    assert config.read_text() == first_config
    assert (count(app, User), count(app, Patient)) == (users, patients)


def test_init_seeds_no_demo_unless_asked(tmp_path, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / "instance"))
    result = CliRunner().invoke(init_command, [])
    assert result.exit_code == 0, result.output
    assert "Demo logins" not in result.output
    assert count(create_app(), User) == 0


def test_each_instance_gets_its_own_secret(tmp_path, monkeypatch):
    secrets = []
    for name in ("one", "two"):
        monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(tmp_path / name))
        CliRunner().invoke(init_command, ["--no-demo"])
        secrets.append((tmp_path / name / "config.py").read_text())
    assert secrets[0] != secrets[1]


def test_demo_logins_work(app, login_as):
    with app.app_context():
        from tracker.demo import seed_demo

        db = get_db()
        assert seed_demo(db) is True
        db.commit()
        assert seed_demo(db) is False  # A second run adds nothing.
        users = {u.email: u for u in db.scalars(select(User))}
    clients = {}
    for email, password, _role in DEMO_LOGINS:
        clients[email] = login_as(users[email], password)
        assert clients[email].get("/patients/").status_code == 200
    # The demo shows the care teams: a co-therapist, a supervisor, a past break-glass opening.
    chen = clients["chen@demo.kap"].get("/patients/").get_data(as_text=True)
    assert "Priya Natarajan" in chen and "Shared · read and write" in chen
    assert "Opened in an emergency" in chen
    rivera = clients["rivera@demo.kap"].get("/patients/").get_data(as_text=True)
    assert "Rosa Delgado" in rivera and "Shared · read only" in rivera
    assert "Maya Okafor" not in clients["admin@demo.kap"].get("/patients/").get_data(
        as_text=True)


def test_seed_demo_command(runner, app):
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "seeded" in result.output
    result = runner.invoke(args=["seed-demo"])
    assert "already present" in result.output
    assert count(app, User) == 3
    # The demo's signed sessions and questionnaires verify, and its export carries the
    # questionnaires, follow-ups and access history (a revoked consultation included).
    verified = runner.invoke(args=["verify-records"])
    assert verified.exit_code == 0, verified.output
    assert "Records intact" in verified.output
    with app.app_context():
        db = get_db()
        exports = {p.display_name: patient_export(db, p) for p in db.scalars(select(Patient))}
    assert any(q["follow_ups"] for e in exports.values() for q in e["questionnaires"])
    assert exports["Priya Natarajan"]["questionnaires"]
    assert [m["revoked_at"] is not None
            for m in exports["Priya Natarajan"]["care_team"]] == [False, True]
    assert exports["Alex Kim"]["emergency_access"]


def test_create_user_prompts_for_a_hidden_password(runner, app, login_as):
    result = runner.invoke(
        args=["create-user", "--email", "New@Example.org", "--name", "Dr New", "--admin"],
        input="a long enough password\na long enough password\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough password" not in result.output
    with app.app_context():
        user = get_db().scalar(select(User).where(User.email == "new@example.org"))
        assert user.is_admin and user.name == "Dr New"
    assert login_as(user, "a long enough password").get("/admin/users").status_code == 200


def test_create_user_refuses_short_passwords_and_duplicates(runner, app, therapist):
    short = runner.invoke(
        args=["create-user", "--email", "x@example.org", "--name", "X"], input="short\nshort\n"
    )
    assert short.exit_code != 0 and "at least 12" in short.output
    duplicate = runner.invoke(
        args=["create-user", "--email", therapist.email, "--name", "Again"],
        input="a long enough password\na long enough password\n",
    )
    assert duplicate.exit_code != 0 and "already exists" in duplicate.output
    assert count(app, User) == 1


def test_db_upgrade_and_current(runner):
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    current = runner.invoke(args=["db", "current"])
    lines = current.output.split("\n")
    assert lines[0].split()[-1] == lines[1].split()[-1] != "None"


def test_flask_cli_explains_a_missing_secret_in_one_line(tmp_path):
    env = clean_environment()
    env["TRACKER_INSTANCE_PATH"] = str(tmp_path / "empty")
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "tracker", "seed-demo"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY is missing" in result.stderr
    assert "Traceback" not in result.stderr


def test_every_command_is_registered_in_one_place_and_listed_there(app):
    from tracker import cli

    registered = {command.name for command in cli.COMMANDS}
    assert set(app.cli.commands) == registered
    for name in registered | {"init", "generate-key"}:
        assert f"\n    {name}" in cli.__doc__, name


def test_create_user_takes_no_password_on_the_command_line(runner, app, monkeypatch):
    refused = runner.invoke(args=["create-user", "--email", "x@example.org", "--name", "X",
                                  "--password", "a long enough password"])
    assert refused.exit_code != 0 and "No such option" in refused.output
    assert count(app, User) == 0
    monkeypatch.setenv("TRACKER_NEW_PASSWORD", "a long enough password")
    scripted = runner.invoke(args=["create-user", "--email", "x@example.org", "--name", "X"])
    assert scripted.exit_code == 0, scripted.output
    assert count(app, User) == 1
