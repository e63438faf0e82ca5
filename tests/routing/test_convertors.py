from __future__ import annotations

import math
import uuid
from datetime import date
from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import JSONResponse
from starlette_routing import convertors
from starlette_routing.convertors import (
    CONVERTOR_TYPES,
    Convertor,
    FloatConvertor,
    IntegerConvertor,
    PathConvertor,
    StringConvertor,
    UUIDConvertor,
    register_url_convertor,
)
from starlette_routing.routing import Route, Router

TestClientFactory = Callable[..., Any]


def echo_params(request: Request) -> JSONResponse:
    return JSONResponse({key: [type(value).__name__, str(value)] for key, value in request.path_params.items()})


@pytest.fixture
def router() -> Router:
    return Router(
        routes=[
            Route("/str/{value}", echo_params, name="str"),
            Route("/path/{value:path}", echo_params, name="path"),
            Route("/int/{value:int}", echo_params, name="int"),
            Route("/float/{value:float}", echo_params, name="float"),
            Route("/uuid/{value:uuid}", echo_params, name="uuid"),
        ]
    )


def test_builtin_convertor_types() -> None:
    assert isinstance(CONVERTOR_TYPES["str"], StringConvertor)
    assert isinstance(CONVERTOR_TYPES["path"], PathConvertor)
    assert isinstance(CONVERTOR_TYPES["int"], IntegerConvertor)
    assert isinstance(CONVERTOR_TYPES["float"], FloatConvertor)
    assert isinstance(CONVERTOR_TYPES["uuid"], UUIDConvertor)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/str/hello", ["str", "hello"]),
        ("/path/a/b/c.txt", ["str", "a/b/c.txt"]),
        ("/path/", ["str", ""]),
        ("/int/42", ["int", "42"]),
        ("/float/3.25", ["float", "3.25"]),
        ("/float/7", ["float", "7.0"]),
        (
            "/uuid/0A1B2C3D-4E5F-6789-ABCD-EF0123456789",
            ["UUID", "0a1b2c3d-4e5f-6789-abcd-ef0123456789"],
        ),
    ],
)
def test_convert_matched_values(
    router: Router, test_client_factory: TestClientFactory, path: str, expected: list[str]
) -> None:
    response = test_client_factory(router).get(path)
    assert response.status_code == 200
    assert response.json() == {"value": expected}


@pytest.mark.parametrize(
    "path",
    [
        "/str/a/b",  # str does not match across segments
        "/int/abc",  # letters for an int
        "/int/-1",
        "/int/1.5",
        "/float/abc",
        "/float/1.",
        "/uuid/not-a-uuid",
        "/uuid/0a1b2c3d4e5f6789abcdef012345678",  # 31 hex digits (32 without hyphens match: test_uuid_convertor)
        "/int/" + "9" * 5000,  # matches the pattern, but int() refuses that many digits: a 404, not a 500
    ],
)
def test_malformed_params_are_not_found(router: Router, test_client_factory: TestClientFactory, path: str) -> None:
    response = test_client_factory(router).get(path)
    assert response.status_code == 404
    assert response.text == "Not Found"


def test_to_string_through_url_path_for(router: Router) -> None:
    assert router.url_path_for("str", value="hello") == "/str/hello"
    assert router.url_path_for("path", value="a/b") == "/path/a/b"
    assert router.url_path_for("int", value=7) == "/int/7"
    assert router.url_path_for("int", value="8") == "/int/8"
    assert router.url_path_for("float", value=1.5) == "/float/1.5"
    assert router.url_path_for("float", value=2.0) == "/float/2"
    assert router.url_path_for("float", value=0.25) == "/float/0.25"
    value = uuid.UUID("12345678-1234-5678-1234-567812345678")
    assert router.url_path_for("uuid", value=value) == "/uuid/12345678-1234-5678-1234-567812345678"


@pytest.mark.parametrize(
    ("convertor", "value", "message"),
    [
        (StringConvertor(), "a/b", "May not contain path separators"),
        (StringConvertor(), "", "Must not be empty"),
        (IntegerConvertor(), -1, "Negative integers are not supported"),
        (FloatConvertor(), -0.5, "Negative floats are not supported"),
        (FloatConvertor(), math.nan, "NaN values are not supported"),
        (FloatConvertor(), math.inf, "Infinite values are not supported"),
    ],
)
def test_to_string_refuses_unrepresentable_values(convertor: Convertor[Any], value: Any, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        convertor.to_string(value)


def test_base_convertor_is_abstract() -> None:
    base: Convertor[Any] = Convertor()
    assert base.regex == ""
    with pytest.raises(NotImplementedError):
        base.convert("x")
    with pytest.raises(NotImplementedError):
        base.to_string("x")


class DateConvertor(Convertor[date]):
    regex = "[0-9]{4}-[0-9]{2}-[0-9]{2}"

    def convert(self, value: str) -> date:
        return date.fromisoformat(value)

    def to_string(self, value: date) -> str:
        return value.isoformat()


def test_register_url_convertor(monkeypatch: pytest.MonkeyPatch, test_client_factory: TestClientFactory) -> None:
    monkeypatch.setattr(convertors, "CONVERTOR_TYPES", dict(CONVERTOR_TYPES))
    monkeypatch.setattr("starlette_routing.routing.CONVERTOR_TYPES", convertors.CONVERTOR_TYPES)
    register_url_convertor("date", DateConvertor())
    assert isinstance(convertors.CONVERTOR_TYPES["date"], DateConvertor)

    async def day(request: Request) -> JSONResponse:
        return JSONResponse({"weekday": request.path_params["day"].weekday()})

    router = Router([Route("/day/{day:date}", day, name="day")])
    client = test_client_factory(router)
    assert client.get("/day/2024-01-01").json() == {"weekday": 0}
    # The pattern matches, but the date is impossible: convert() raises ValueError, which is a 404.
    assert client.get("/day/2024-02-31").status_code == 404
    assert router.url_path_for("day", day=date(2024, 3, 9)) == "/day/2024-03-09"
