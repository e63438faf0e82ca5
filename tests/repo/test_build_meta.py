"""scripts/build-meta: the meta-package built at its other API level, from the same sources, the checkout untouched."""

from __future__ import annotations

import email.parser
import importlib.machinery
import importlib.util
import re
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "build-meta"
META = ROOT / "packages" / "starlette"


def load_script() -> ModuleType:
    loader = importlib.machinery.SourceFileLoader("build_meta", str(SCRIPT))
    spec = importlib.util.spec_from_loader("build_meta", loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def shared_version() -> str:
    match = re.search(
        r'^version = "([^"]+)"$', (ROOT / "packages" / "starlette-core" / "pyproject.toml").read_text(), re.M
    )
    assert match is not None
    return match.group(1)


def snapshot() -> dict[str, bytes]:
    return {
        str(path.relative_to(META)): path.read_bytes()
        for path in sorted(META.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_builds_the_meta_package_at_1_10_0_with_the_siblings_at_the_shared_version(tmp_path: Path) -> None:
    before = snapshot()
    built = load_script().build("1.10.0", tmp_path)
    assert sorted(path.name for path in built) == ["starlette-1.10.0-py3-none-any.whl", "starlette-1.10.0.tar.gz"]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(path.name for path in built)
    assert snapshot() == before  # the checkout (and so the workspace and uv.lock) stays as it was

    with zipfile.ZipFile(tmp_path / "starlette-1.10.0-py3-none-any.whl") as wheel:
        metadata = email.parser.Parser().parsestr(wheel.read("starlette-1.10.0.dist-info/METADATA").decode())
        init = wheel.read("starlette/__init__.py").decode()
        sources = {name: wheel.read(name) for name in wheel.namelist() if name.endswith(".py")}
    assert metadata["Name"] == "starlette"
    assert metadata["Version"] == "1.10.0"
    assert '__version__ = "1.10.0"' in init
    version = shared_version()
    pins = [r for r in metadata.get_all("Requires-Dist") or [] if r.startswith("starlette")]
    assert pins and all(f"=={version}" in r for r in pins), pins
    # the same sources: every module but starlette/__init__.py is byte for byte the checkout's
    checkout = {name[len("src/") :]: data for name, data in before.items() if name.endswith(".py")}
    assert sources.keys() == checkout.keys()
    assert [name for name in sources if sources[name] != checkout[name]] == ["starlette/__init__.py"]
    with tarfile.open(tmp_path / "starlette-1.10.0.tar.gz") as sdist:
        member = sdist.extractfile("starlette-1.10.0/pyproject.toml")
        assert member is not None
        pyproject = member.read().decode()
    assert 'version = "1.10.0"' in pyproject
    assert f'"starlette-core=={version}"' in pyproject


@pytest.mark.parametrize("version", ["2.0.0", "1.10", "0.47.2", ""])
def test_only_the_api_levels_it_covers(version: str, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not an API level"):
        load_script().build(version, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_source_without_exactly_one_version_line_is_refused() -> None:
    script = load_script()
    with pytest.raises(SystemExit, match="found 0"):
        script.rewrite("[project]\nname = 'x'\n", script.PROJECT_VERSION, "", "pyproject.toml")
    with pytest.raises(SystemExit, match="found 2"):
        script.rewrite('__version__ = "1"\n__version__ = "2"\n', script.DUNDER_VERSION, "", "__init__.py")


def test_only_the_project_version_is_rewritten() -> None:
    script = load_script()
    text = (
        '[build-system]\nrequires = ["x"]\n\n'
        '[project]\nname = "starlette"\nversion = "0.47.3"\n\n'
        '[tool.x]\nversion = "9"\n'
    )
    new = script.rewrite(text, script.PROJECT_VERSION, r'\g<1>version = "1.10.0"', "pyproject.toml")
    assert new == text.replace('version = "0.47.3"', 'version = "1.10.0"')
