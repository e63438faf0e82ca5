"""Fast paths of multi-dict and header lookups behave like the general ones."""

from __future__ import annotations

from typing import Any

import pytest

from starlette_core import datastructures
from starlette_core.datastructures import Headers, ImmutableMultiDict, MultiDict, QueryParams


class DoublingDict(ImmutableMultiDict[str, str]):
    def __getitem__(self, key: str) -> str:
        if key == "missing":
            raise KeyError(key)
        return super().__getitem__(key) * 2


def test_multidict_get_goes_through_an_overridden_getitem() -> None:
    values = DoublingDict([("a", "1"), ("a", "2")])
    assert values.get("a") == "22"
    assert values.get("missing") is None
    assert values.get("missing", "x") == "x"
    assert values.get("b", "y") == "y"


class DoublingAgain(DoublingDict):
    pass


class OwnGet(DoublingDict):
    def get(self, key: Any, default: Any = None) -> Any:
        return "own"


class UpperKeys:
    """A mixin that changes __getitem__ from outside the multi-dict classes."""

    _dict: dict[str, str]

    def __getitem__(self, key: str) -> Any:
        return self._dict[key.upper()]


class UpperQueryParams(UpperKeys, QueryParams):
    pass


def test_multidict_get_of_subclasses_follows_their_getitem() -> None:
    assert DoublingAgain([("a", "1")]).get("a") == "11"  # inherited from a class that changed __getitem__
    assert DoublingAgain([("a", "1")]).get("missing", "x") == "x"
    assert OwnGet([("a", "1")]).get("a") == "own"  # a get of its own is left alone
    params = UpperQueryParams("A=1&b=2")
    assert params.get("a") == "1"  # through the mixin's __getitem__
    assert params.get("b") is None
    assert params.get("b", "none") == "none"
    assert QueryParams("a=1").get("a") == "1"  # the classes themselves keep the direct lookup
    assert QueryParams.get is ImmutableMultiDict.get
    assert DoublingDict.get is not ImmutableMultiDict.get


def test_multidict_get_default_and_last_value() -> None:
    for cls in (ImmutableMultiDict, MultiDict, QueryParams):
        values: Any = cls([("a", "1"), ("a", "2")])
        assert values.get("a") == "2"
        assert values.get("b") is None
        assert values.get("b", "x") == "x"
    with pytest.raises(TypeError):
        ImmutableMultiDict([("a", "1")]).get([])  # type: ignore[call-overload]


class Shouting(str):
    def lower(self) -> str:
        return "x-shout"


def test_header_names_of_str_subclasses_are_not_cached() -> None:
    headers = Headers(raw=[(b"x-shout", b"1"), (b"accept", b"*/*")])
    assert headers.get(Shouting("Accept")) == "1"
    assert headers[Shouting("Accept")] == "1"
    assert Shouting("Accept") in headers
    assert "Accept" not in datastructures._HEADER_NAMES or datastructures._HEADER_NAMES["Accept"] == b"accept"
    assert headers.get("Accept") == "*/*"
    assert datastructures._HEADER_NAMES["Accept"] == b"accept"


def test_header_name_cache_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(datastructures, "_HEADER_NAMES", {})
    monkeypatch.setattr(datastructures, "_HEADER_NAMES_MAX", 2)
    headers = Headers(raw=[(b"a", b"1"), (b"b", b"2"), (b"c", b"3")])
    assert [headers.get("A"), headers["B"], "C" in headers, headers.get("c")] == ["1", "2", True, "3"]
    assert datastructures._HEADER_NAMES == {"A": b"a", "B": b"b"}
    assert headers.get("A") == "1" and headers["B"] == "2" and "B" in headers


def test_header_lookups_of_non_strings_fail_as_before() -> None:
    headers = Headers(raw=[(b"a", b"1")])
    with pytest.raises(AttributeError):
        headers.get(1)  # type: ignore[call-overload]
    with pytest.raises(AttributeError):
        headers[1]  # type: ignore[index]
    with pytest.raises(AttributeError):
        1 in headers  # type: ignore[comparison-overlap]  # noqa: B015
    assert headers.get("\u20ac") is None and "\u20ac" not in headers


def test_header_repeated_names_keep_the_first_value() -> None:
    raw = [(b"a", b"1"), (b"b", b"2"), (b"a", b"3")]
    headers = Headers(raw=raw)
    assert headers["a"] == "1" and headers.get("b") == "2"
    raw[0] = (b"a", b"4")
    assert headers["a"] == "4"
    del raw[0]
    assert headers["a"] == "3"


def test_multidict_getlist_values_in_order() -> None:
    for cls in (ImmutableMultiDict, MultiDict, QueryParams):
        values: Any = cls([("a", "1"), ("b", "2"), ("a", "3"), ("a", "4")])
        assert values.getlist("a") == ["1", "3", "4"]
        assert values.getlist("b") == ["2"]
        assert values.getlist("c") == []
        # A new list every time: changing it leaves the multi-dict alone.
        values.getlist("a").append("5")
        assert values.getlist("a") == ["1", "3", "4"]
    # Keys match by ==, as in a dict.
    assert ImmutableMultiDict([(1, "x"), (1.0, "y"), (True, "z"), ("1", "w")]).getlist(1) == ["x", "y", "z"]
