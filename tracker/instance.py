"""Where the app keeps its instance folder: config.py, which holds the secret key, the audit
key and the encryption keys, and the SQLite database.

In order: TRACKER_INSTANCE_PATH; in a checkout, its own instance/ folder; once installed, the
platform's data folder of the account that runs the app (~/.local/share/kap-tracker on
Linux). Never inside the Python environment: rebuilding it to upgrade would delete the keys,
and the private notes could no longer be read."""

from __future__ import annotations

import os
import sys
import sysconfig
from pathlib import Path

import platformdirs

from tracker.config import ConfigError

VARIABLE = "TRACKER_INSTANCE_PATH"
APP_NAME = "kap-tracker"
CHECKOUT = Path(__file__).resolve().parents[1]
# Where Flask put the instance folder of an installed package before this module existed.
LEGACY = Path(sys.prefix) / "var" / "tracker-instance"


def environment_folders() -> list[Path]:
    """The folders of this Python environment: the virtual environment itself, and where
    packages are installed (for a system Python)."""
    folders = {Path(sysconfig.get_paths()[name]) for name in ("purelib", "platlib")}
    if sys.prefix != sys.base_prefix:
        folders.add(Path(sys.prefix))
    return [folder.resolve() for folder in folders]


def inside_environment(path: str | Path) -> Path | None:
    """The environment folder that holds `path`, if one does."""
    resolved = Path(path).expanduser().resolve()
    return next((folder for folder in environment_folders()
                 if resolved == folder or folder in resolved.parents), None)


def is_checkout() -> bool:
    return (CHECKOUT / "pyproject.toml").is_file() and inside_environment(CHECKOUT) is None


def instance_path() -> str:
    configured = os.environ.get(VARIABLE)
    if configured:
        return str(Path(configured).expanduser())
    if is_checkout():
        return str(CHECKOUT / "instance")
    chosen = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    if (LEGACY / "config.py").is_file() and not (chosen / "config.py").exists():
        raise ConfigError(
            f"The instance folder (configuration, keys and database) is at {LEGACY}, inside "
            f"the Python environment, where rebuilding it would delete the keys. Move that "
            f"folder out of the environment, to {chosen} or anywhere you set {VARIABLE} to, "
            f"before going on.")
    return str(chosen)


def refuse_environment(path: str | Path) -> None:
    """Before writing secrets: a ConfigError when `path` lies inside the environment."""
    folder = inside_environment(path)
    if folder is not None:
        raise ConfigError(
            f"Refusing to write the app's secrets and encryption keys to {path}: it lies "
            f"inside the Python environment {folder}, which an upgrade rebuilds, and the "
            f"private notes cannot be read without their keys. Set {VARIABLE} to a folder "
            f"outside it, for example /var/lib/{APP_NAME} (README, \"Production\").")
