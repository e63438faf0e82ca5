from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from starlette_core.config import Config, Environ, EnvironError, environ, undefined
from starlette_core.datastructures import URL, CommaSeparatedStrings, Secret


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_config_reads_env_file(tmp_path: Path) -> None:
    path = write_env(
        tmp_path,
        "# a comment\n"
        "DATABASE_URL=postgres://user:pass@localhost/dbname\n"
        "REQUEST_HOSTNAME = example.com \n"
        "\n"
        "SECRET_KEY='12345'\n"
        'QUOTED="quoted value"\n'
        "BOOL_AS_INT=0\n"
        "EQUALS=a=b=c\n"
        "   # indented comment=ignored\n"
        "no equals sign here\n",
    )
    config = Config(path, environ={"DEBUG": "true"})

    assert config("DEBUG", cast=bool) is True
    assert config("DATABASE_URL", cast=URL) == URL("postgres://user:pass@localhost/dbname")
    assert config("DATABASE_URL", cast=URL).password == "pass"
    assert config("REQUEST_HOSTNAME") == "example.com"
    assert config("SECRET_KEY", cast=Secret).__repr__() == "Secret('**********')"
    assert str(config("SECRET_KEY", cast=Secret)) == "12345"
    assert config("QUOTED") == "quoted value"
    assert config("BOOL_AS_INT", cast=bool) is False
    assert config("EQUALS") == "a=b=c"
    assert "# indented comment" not in config.file_values
    assert "no equals sign here" not in config.file_values
    assert len(config.file_values) == 6


def test_config_env_file_is_utf8(tmp_path: Path) -> None:
    path = tmp_path / ".env"
    path.write_bytes("GREETING=h\u00e9llo \u20ac\n".encode())
    assert Config(path, environ={})("GREETING") == "h\u00e9llo \u20ac"


def test_config_env_file_as_str(tmp_path: Path) -> None:
    path = write_env(tmp_path, "A=1\n")
    assert Config(str(path), environ={})("A", cast=int) == 1


def test_config_missing_env_file_warns(tmp_path: Path) -> None:
    missing = tmp_path / "missing.env"
    with pytest.warns(UserWarning, match=f"Config file '{missing}' not found."):
        config = Config(missing, environ={"A": "1"})
    assert config("A") == "1"
    assert config.file_values == {}


def test_config_env_file_that_is_a_directory_warns(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="not found"):
        Config(tmp_path, environ={})


def test_environ_wins_over_env_file(tmp_path: Path) -> None:
    path = write_env(tmp_path, "A=from file\nB=only in file\n")
    config = Config(path, environ={"A": "from environ"})
    assert config("A") == "from environ"
    assert config("B") == "only in file"


def test_config_defaults() -> None:
    config = Config(environ={})
    assert config("MISSING", default="fallback") == "fallback"
    assert config("MISSING", default=None) is None
    assert config("MISSING", cast=int, default="42") == 42
    assert config("MISSING", cast=bool, default=True) is True
    assert config("MISSING", cast=bool, default="false") is False
    assert config("MISSING", cast=int, default=None) is None
    assert config.get("MISSING", default="via get") == "via get"


def test_config_missing_without_default_raises_key_error() -> None:
    config = Config(environ={})
    with pytest.raises(KeyError, match=r"Config 'MISSING' is missing, and has no default\."):
        config("MISSING")
    with pytest.raises(KeyError):
        config.get("MISSING", cast=int)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("True", True), ("TRUE", True), ("1", True), ("false", False), ("False", False), ("0", False)],
)
def test_config_bool_cast(value: str, expected: bool) -> None:
    assert Config(environ={"FLAG": value})("FLAG", cast=bool) is expected


@pytest.mark.parametrize("value", ["yes", "on", "2", "", "truee"])
def test_config_invalid_bool(value: str) -> None:
    config = Config(environ={"FLAG": value})
    with pytest.raises(ValueError, match=f"Config 'FLAG' has value '{value}'. Not a valid bool."):
        config("FLAG", cast=bool)


def test_config_bool_cast_of_non_string_default() -> None:
    # Only strings go through the "true"/"false" table; other values use bool() itself.
    config = Config(environ={})
    assert config("FLAG", cast=bool, default=0) is False
    assert config("FLAG", cast=bool, default=[1]) is True


def test_config_cast_error_is_value_error() -> None:
    config = Config(environ={"PORT": "eighty", "RATIO": "x"})
    with pytest.raises(ValueError, match=r"Config 'PORT' has value 'eighty'\. Not a valid int\."):
        config("PORT", cast=int)
    with pytest.raises(ValueError, match=r"Config 'RATIO' has value 'x'\. Not a valid float\."):
        config("RATIO", cast=float)


def test_config_cast_type_error_is_value_error() -> None:
    def needs_two(a: Any, b: Any) -> None:
        raise AssertionError("not called")  # pragma: no cover

    config = Config(environ={"X": "1"})
    with pytest.raises(ValueError, match=r"Config 'X' has value '1'\. Not a valid needs_two\."):
        config("X", cast=needs_two)  # type: ignore[arg-type]


def test_config_cast_error_names_callables_without_name() -> None:
    class Caster:
        def __call__(self, value: str) -> int:
            raise ValueError(value)

        def __repr__(self) -> str:
            return "Caster()"

    with pytest.raises(ValueError, match=r"Not a valid Caster\(\)\."):
        Config(environ={"X": "1"})("X", cast=Caster())


def test_config_other_casts() -> None:
    config = Config(environ={"HOSTS": "a.org, b.org", "N": "3"})
    assert list(config("HOSTS", cast=CommaSeparatedStrings)) == ["a.org", "b.org"]
    assert config("N", cast=lambda value: int(value) * 2) == 6


def test_config_env_prefix(tmp_path: Path) -> None:
    path = write_env(tmp_path, "APP_FROM_FILE=file\n")
    config = Config(path, environ={"APP_DEBUG": "1", "DEBUG": "0"}, env_prefix="APP_")
    assert config("DEBUG", cast=bool) is True
    assert config("FROM_FILE") == "file"
    with pytest.raises(KeyError, match="Config 'APP_MISSING' is missing"):
        config("MISSING")


def test_config_default_environ_is_the_module_environ() -> None:
    assert Config().environ is environ
    assert Config().file_values == {}


def test_undefined_is_a_sentinel_class() -> None:
    assert isinstance(undefined, type)
    assert Config(environ={"A": "1"}).get("A", None, undefined) == "1"


def test_environ_reads_and_writes_through() -> None:
    backing: dict[str, str] = {"A": "1"}
    env = Environ(backing)
    env["B"] = "2"
    assert backing == {"A": "1", "B": "2"}
    del env["B"]
    assert backing == {"A": "1"}
    assert len(env) == 1
    assert list(env) == ["A"]
    assert env["A"] == "1"
    assert "A" in env
    assert env.get("MISSING") is None


def test_environ_refuses_to_change_a_read_key() -> None:
    env = Environ({"A": "1"})
    assert env["A"] == "1"
    with pytest.raises(EnvironError, match=r"Attempting to set environ\['A'\], but the value has already been read."):
        env["A"] = "2"
    with pytest.raises(
        EnvironError, match=r"Attempting to delete environ\['A'\], but the value has already been read."
    ):
        del env["A"]
    assert env["A"] == "1"


def test_environ_key_read_through_config_is_frozen() -> None:
    env = Environ({"A": "1"})
    config = Config(environ=env)
    assert config("A") == "1"
    with pytest.raises(EnvironError):
        env["A"] = "2"
    # Keys that were never read can still change.
    env["B"] = "3"
    del env["B"]


def test_environ_missing_key_is_recorded_as_read() -> None:
    env = Environ({})
    with pytest.raises(KeyError):
        env["A"]
    with pytest.raises(EnvironError):
        env["A"] = "1"


def test_environ_defaults_to_os_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STARLETTE_CORE_TEST_VALUE", "from os")
    env = Environ()
    assert env["STARLETTE_CORE_TEST_VALUE"] == "from os"
    assert len(env) == len(os.environ)
