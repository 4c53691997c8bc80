"""The lock files in requirements/ (what make run, make test and .ci/run install from) are
in step with pyproject.toml: every dependency pinned to a version its range allows, every
pin with hashes, and the same version wherever two locks pin the same package."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==([^\s\\;]+)", re.MULTILINE)
LOCKS = {"app": [], "dev": ["dev"], "e2e": ["dev", "e2e"]}


def pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / f"{name}.lock").read_text()
    return {canonicalize_name(package): version for package, version in PIN.findall(text)}


def wanted(extras: list[str]) -> list[Requirement]:
    listed = PROJECT["dependencies"] + [
        line for extra in extras for line in PROJECT["optional-dependencies"][extra]]
    return [Requirement(line) for line in listed]


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_dependency_is_pinned_within_its_range(lock):
    pinned = pins(lock)
    for requirement in wanted(LOCKS[lock]):
        version = pinned.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in {lock}.lock: run make lock"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lock}.lock pins {requirement.name}=={version} outside {requirement.specifier}: "
            "run make lock")


@pytest.mark.parametrize("lock", sorted(LOCKS))
def test_every_pin_carries_hashes(lock):
    text = (ROOT / "requirements" / f"{lock}.lock").read_text()
    blocks = re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2])
    for block in blocks:
        if PIN.match(block):
            assert "--hash=sha256:" in block, f"{block.splitlines()[0]} has no hash"


def test_the_locks_agree_on_shared_packages():
    app, dev, e2e = pins("app"), pins("dev"), pins("e2e")
    for package, version in app.items():
        assert dev.get(package) == version == e2e.get(package), package
    for package, version in dev.items():
        assert e2e.get(package) == version, package


def test_every_upper_bound_is_there_for_the_major_versions():
    """A new major version of a runtime dependency must not arrive unread (tzdata is data)."""
    unbounded = [r.name for r in wanted([]) if not any(s.operator in ("<", "<=", "~=", "==")
                 for s in r.specifier) and r.name != "tzdata"]
    assert unbounded == []
