import pytest

from tracker import ConfigError, create_app
from tracker.audit import hooks as audit_hooks

SECRET = "a-real-secret-that-is-long-enough-0123456789abcdef"
# What a production config.py holds besides SECRET_KEY (init writes all of them).
KEYS = ("ENCRYPTION_KEYS = {'t': 'EulqDXXqXqvkJEWoeoMCBZiww8NDEO8GpGdwjrf8Kfw='}\n"
        "ENCRYPTION_KEY_ID = 't'\nAUDIT_KEY = 'audit-key-for-config-tests-0123456789'\n")


@pytest.fixture
def instance(tmp_path, monkeypatch):
    folder = tmp_path / "instance"
    folder.mkdir()
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(folder))
    for name in ("TRACKER_SECRET_KEY", "TRACKER_SESSION_IDLE_MINUTES", "FLASK_DEBUG"):
        monkeypatch.delenv(name, raising=False)
    return folder


@pytest.mark.parametrize("secret", [None, "", "dev", "change-me", "too-short-secret"])
def test_refuses_to_start_without_a_real_secret(instance, secret):
    if secret is not None:
        (instance / "config.py").write_text(f"SECRET_KEY = {secret!r}\n")
    with pytest.raises(ConfigError) as raised:
        create_app()
    message = str(raised.value)
    assert "SECRET_KEY" in message and "flask --app tracker init" in message
    assert "\n" not in message


def test_testing_and_debug_may_run_without_a_secret(instance):
    app = create_app({"TESTING": True})
    assert len(app.config["SECRET_KEY"]) >= 32


def test_configuration_layers_in_order(instance, monkeypatch):
    (instance / "config.py").write_text(
        KEYS + f"SECRET_KEY = {SECRET!r}\nSESSION_IDLE_MINUTES = 20\nPATIENTS_PER_PAGE = 7\n"
        "SESSION_LIFETIME_HOURS = 8\n"
    )
    app = create_app()
    assert app.config["SESSION_IDLE_MINUTES"] == 20  # instance/config.py over defaults
    assert app.config["PATIENTS_PER_PAGE"] == 7
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() == 8 * 3600

    monkeypatch.setenv("TRACKER_SESSION_IDLE_MINUTES", "30")
    app = create_app()
    assert app.config["SESSION_IDLE_MINUTES"] == 30  # environment over the instance file
    assert app.config["PATIENTS_PER_PAGE"] == 7

    app = create_app({"SESSION_IDLE_MINUTES": 40})
    assert app.config["SESSION_IDLE_MINUTES"] == 40  # test_config over everything


def test_cookies_are_secure_outside_debug(instance):
    (instance / "config.py").write_text(f"SECRET_KEY = {SECRET!r}\n" + KEYS)
    app = create_app()
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    debug_app = create_app({"DEBUG": True})
    assert debug_app.config["SESSION_COOKIE_SECURE"] is False


def test_secure_cookie_is_sent_with_the_secure_flag(instance, app_config, make_user):
    # A separate app with the production cookie setting, on the test database.
    config = dict(app_config, SESSION_COOKIE_SECURE=None)
    app = create_app(config)
    client = app.test_client()
    response = client.get("/login", base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_default_database_is_sqlite_in_the_instance_folder(instance):
    app = create_app({"TESTING": True})
    url = app.extensions["tracker.engine"].url
    assert url.get_backend_name() == "sqlite"
    assert url.database == str(instance / "tracker.sqlite3")


def test_settings_of_the_wrong_type_are_refused_in_one_line(instance, monkeypatch):
    monkeypatch.setenv("TRACKER_SESSION_IDLE_MINUTES", '"abc"')
    with pytest.raises(ConfigError) as raised:
        create_app({"TESTING": True})
    assert "SESSION_IDLE_MINUTES must be a whole number" in str(raised.value)


def test_an_all_digit_secret_from_the_environment_is_kept_as_text(instance, monkeypatch):
    monkeypatch.setenv("TRACKER_SECRET_KEY", "1234567890" * 4)
    (instance / "config.py").write_text(KEYS)
    app = create_app()
    assert app.config["SECRET_KEY"] == "1234567890" * 4


def test_refuses_to_start_without_an_audit_key(instance):
    (instance / "config.py").write_text(
        f"SECRET_KEY = {SECRET!r}\n" + KEYS.replace("AUDIT_KEY", "# AUDIT_KEY"))
    with pytest.raises(ConfigError) as raised:
        create_app()
    assert "AUDIT_KEY is missing" in str(raised.value) and "\n" not in str(raised.value)


def test_an_all_digit_audit_key_from_the_environment_is_kept_as_text(instance, monkeypatch):
    monkeypatch.setenv("TRACKER_AUDIT_KEY", "9876543210" * 4)
    (instance / "config.py").write_text(f"SECRET_KEY = {SECRET!r}\n" + KEYS.replace(
        "AUDIT_KEY", "# AUDIT_KEY"))
    app = create_app()
    with app.app_context():
        assert audit_hooks.key() == b"9876543210" * 4  # The chain's HMAC key, as text.
