"""Where the instance folder (config.py with the keys, the SQLite database) is looked for."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tracker import instance
from tracker.config import ConfigError


@pytest.fixture
def installed(monkeypatch, tmp_path):
    """As an installed package sees it: no checkout around it, a data folder of its own."""
    monkeypatch.delenv("TRACKER_INSTANCE_PATH", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(instance, "CHECKOUT", tmp_path / "site-packages")
    monkeypatch.setattr(instance, "LEGACY", tmp_path / "venv" / "var" / "tracker-instance")
    return tmp_path


def test_a_checkout_uses_its_own_instance_folder(monkeypatch):
    monkeypatch.delenv("TRACKER_INSTANCE_PATH", raising=False)
    assert instance.instance_path() == str(Path(instance.__file__).parents[1] / "instance")


def test_an_installed_package_uses_the_platform_data_folder(installed):
    assert instance.instance_path() == str(installed / "data" / "kap-tracker")


def test_the_variable_comes_first(installed, monkeypatch):
    monkeypatch.setenv("TRACKER_INSTANCE_PATH", str(installed / "chosen"))
    assert instance.instance_path() == str(installed / "chosen")


def test_keys_left_inside_the_environment_by_an_earlier_version_are_pointed_out(installed):
    instance.LEGACY.mkdir(parents=True)
    (instance.LEGACY / "config.py").write_text("SECRET_KEY = 'x'\n")
    with pytest.raises(ConfigError, match="Move that folder out of the environment"):
        instance.instance_path()


def test_writing_keys_into_the_environment_is_refused():
    with pytest.raises(ConfigError, match="Refusing to write"):
        instance.refuse_environment(Path(sys.prefix) / "var" / "tracker-instance")
    instance.refuse_environment(Path(instance.__file__).parents[1] / "instance")
