"""All six distributions share one version: pyproject.toml files, ``__version__``, installed metadata, sibling pins."""

from __future__ import annotations

import importlib
import importlib.metadata
import re
import sys
from pathlib import Path
from typing import Any

import pytest

import starlette

if sys.version_info >= (3, 11):  # pragma: no cover
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

PACKAGES = Path(__file__).resolve().parents[2] / "packages"
DISTRIBUTIONS = [
    "starlette",
    "starlette-core",
    "starlette-middleware",
    "starlette-routing",
    "starlette-auth",
    "starlette-testing",
]
REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*?)\s*(;.*)?$")
VERSION = starlette.__version__


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def load_pyproject(distribution: str) -> dict[str, Any]:
    with (PACKAGES / distribution / "pyproject.toml").open("rb") as file:
        project: dict[str, Any] = tomllib.load(file)["project"]
    return project


def requirements_of(project: dict[str, Any]) -> list[str]:
    found: list[str] = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        found.extend(extra)
    return found


def sibling_pins(requirements: list[str]) -> list[tuple[str, str]]:
    """(sibling name, version specifier) for every requirement that names one of our distributions."""
    pins = []
    for requirement in requirements:
        match = REQUIREMENT.match(requirement)
        assert match is not None, f"cannot parse requirement {requirement!r}"
        if normalize(match.group(1)) in DISTRIBUTIONS:
            pins.append((normalize(match.group(1)), match.group(3).replace(" ", "")))
    return pins


def test_the_version_is_in_the_047_series() -> None:
    assert re.fullmatch(r"0\.47\.\d+", VERSION), VERSION


def test_every_distribution_has_a_pyproject_and_nothing_else_does() -> None:
    found = sorted(path.parent.name for path in PACKAGES.glob("*/pyproject.toml"))
    assert found == sorted(DISTRIBUTIONS)
    assert sorted(load_pyproject(name)["name"] for name in DISTRIBUTIONS) == sorted(DISTRIBUTIONS)


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_pyproject_version(distribution: str) -> None:
    project = load_pyproject(distribution)
    assert "version" not in project.get("dynamic", [])
    assert project["version"] == VERSION


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_dunder_version_and_installed_metadata(distribution: str) -> None:
    module = importlib.import_module(distribution.replace("-", "_"))
    assert module.__version__ == VERSION
    assert importlib.metadata.version(distribution) == VERSION


@pytest.mark.parametrize("distribution", DISTRIBUTIONS)
def test_sibling_requirements_are_pinned_to_the_shared_version(distribution: str) -> None:
    declared = sibling_pins(requirements_of(load_pyproject(distribution)))
    installed = sibling_pins(importlib.metadata.requires(distribution) or [])
    assert sorted(installed) == sorted(declared)
    for sibling, specifier in declared:
        assert sibling != distribution
        assert specifier == f"=={VERSION}", f"{distribution} requires {sibling}{specifier}, not =={VERSION}"


def test_the_meta_package_pins_every_sibling() -> None:
    pinned = {name for name, _ in sibling_pins(load_pyproject("starlette")["dependencies"])}
    assert pinned == set(DISTRIBUTIONS) - {"starlette"}


def test_sibling_pins_parse_extras_and_markers() -> None:
    pins = sibling_pins(
        [
            "starlette-core[multipart] == 0.47.3 ; python_version >= '3.9'",
            "Starlette_Auth==1.0",
            "anyio>=4",
            "starlette-routing",
        ]
    )
    assert pins == [("starlette-core", "==0.47.3"), ("starlette-auth", "==1.0"), ("starlette-routing", "")]
