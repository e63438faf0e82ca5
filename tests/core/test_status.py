from __future__ import annotations

import http
import re
import warnings

import pytest

from starlette_core import status

NAMES = [name for name in dir(status) if re.fullmatch(r"(HTTP|WS)_\d+_[A-Z_]+", name)]


def test_every_constant_value_matches_its_name() -> None:
    assert len(NAMES) > 80
    for name in NAMES:
        assert getattr(status, name) == int(name.split("_")[1]), name


def test_all_lists_every_constant() -> None:
    assert sorted(status.__all__) == sorted(NAMES)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HTTP_200_OK", 200),
        ("HTTP_404_NOT_FOUND", 404),
        ("HTTP_418_IM_A_TEAPOT", 418),
        ("HTTP_413_REQUEST_ENTITY_TOO_LARGE", 413),
        ("HTTP_413_CONTENT_TOO_LARGE", 413),
        ("HTTP_414_REQUEST_URI_TOO_LONG", 414),
        ("HTTP_414_URI_TOO_LONG", 414),
        ("HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE", 416),
        ("HTTP_416_RANGE_NOT_SATISFIABLE", 416),
        ("HTTP_422_UNPROCESSABLE_ENTITY", 422),
        ("HTTP_422_UNPROCESSABLE_CONTENT", 422),
        ("WS_1000_NORMAL_CLOSURE", 1000),
        ("WS_1008_POLICY_VIOLATION", 1008),
        ("WS_1015_TLS_HANDSHAKE", 1015),
    ],
)
def test_old_and_new_names_are_available_without_warnings(name: str, value: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert getattr(status, name) == value


def test_every_standard_http_status_has_a_constant() -> None:
    values = {getattr(status, name) for name in NAMES if name.startswith("HTTP_")}
    for code in http.HTTPStatus:
        assert code.value in values, code


def test_websocket_close_codes() -> None:
    ws = {getattr(status, name) for name in NAMES if name.startswith("WS_")}
    assert ws == set(range(1000, 1016)) - {1004}
