"""`pip install .` outside the checkout gives a working app (the wheel carries templates/,
static files and migrations)."""

import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pytest

from tests.support.server import clean_environment, free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent


def run(args, **kwargs):
    result = subprocess.run(args, capture_output=True, text=True, timeout=300, **kwargs)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh virtual environment outside the checkout with the built wheel installed.
    Dependencies come from the test environment (a .pth line), so no network is needed."""
    work = tmp_path_factory.mktemp("pkg")
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(work / "dist"),
            str(ROOT),
        ]
    )
    wheel = next((work / "dist").glob("kap_tracker-*.whl"))
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    Path(site.stdout.strip(), "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)])
    env = clean_environment()
    env["TRACKER_INSTANCE_PATH"] = str(work / "instance")
    return python, work, env


def test_wheel_contains_templates_static_and_migrations(installed):
    python, work, env = installed
    listing = run(
        [
            python,
            "-c",
            (
                "import tracker, pathlib; p = pathlib.Path(tracker.__file__).parent; "
                "print(p); print(int((p / 'templates' / 'base.html').is_file())); "
                "print(int((p / 'static' / 'css' / 'app.css').is_file())); "
                "print(len(list((p / 'migrations' / 'versions').glob('*.py'))))"
            ),
        ],
        cwd=work,
        env=env,
    )
    package, templates, static, migrations = listing.stdout.split()
    assert str(ROOT) not in package and "site-packages" in package
    assert (templates, static) == ("1", "1") and int(migrations) >= 1


def test_installed_app_initialises_and_serves_the_login_page(installed):
    python, work, env = installed
    init = run([python, "-m", "flask", "--app", "tracker", "init", "--demo"], cwd=work, env=env)
    assert "rivera@demo.kap" in init.stdout
    probe = run(
        [
            python,
            "-c",
            (
                "from tracker import create_app\n"
                "app = create_app()\n"
                "client = app.test_client()\n"
                "page = client.get('/login')\n"
                "print(page.status_code, 'Sign in' in page.get_data(as_text=True))\n"
                "print(app.template_folder)\n"
            ),
        ],
        cwd=work,
        env=env,
    )
    status_line, folder = probe.stdout.strip().split("\n")
    assert status_line == "200 True"
    assert str(ROOT) not in folder


def test_installed_app_keeps_its_keys_outside_the_environment(installed, tmp_path):
    """Without TRACKER_INSTANCE_PATH an installed app uses the platform's data folder of the
    account (XDG_DATA_HOME here), never <venv>/var/tracker-instance, which an upgrade that
    rebuilds the venv would delete with the keys."""
    python, work, env = installed
    env = {k: v for k, v in env.items() if k != "TRACKER_INSTANCE_PATH"}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    init = run([python, "-m", "flask", "--app", "tracker", "init"], cwd=work, env=env)
    config = tmp_path / "data" / "kap-tracker" / "config.py"
    assert f"Configuration: {config} (created)" in init.stdout
    assert "ENCRYPTION_KEYS" in config.read_text()
    assert not (work / "venv" / "var").exists()


def test_init_refuses_to_write_keys_into_the_environment(installed):
    python, work, env = installed
    inside = work / "venv" / "instance"
    result = subprocess.run(
        [python, "-m", "flask", "--app", "tracker", "init"], cwd=work, capture_output=True,
        text=True, timeout=120, env={**env, "TRACKER_INSTANCE_PATH": str(inside)})
    assert result.returncode != 0
    assert "Refusing to write the app's secrets and encryption keys" in result.stderr
    assert "TRACKER_INSTANCE_PATH" in result.stderr and "Traceback" not in result.stderr
    assert not inside.exists()


def test_installed_app_serves_with_the_documented_command(installed):
    """README's serve command after a package install: kap-tracker-serve, gunicorn with the
    configuration shipped in the package."""
    python, work, env = installed
    run([python, "-m", "flask", "--app", "tracker", "init"], cwd=work, env=env)
    port = free_port()
    serve = work / "venv" / "bin" / "kap-tracker-serve"
    process = subprocess.Popen(
        [str(serve), "--bind", f"127.0.0.1:{port}", "--workers", "1"], cwd=work, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert wait_for(f"http://127.0.0.1:{port}/healthz", process).status == 200
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login") as page:  # noqa: S310
            assert page.status == 200 and "Sign in" in page.read().decode()
    finally:
        process.terminate()
        process.wait(timeout=30)
