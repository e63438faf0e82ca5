from __future__ import annotations

import pytest

from starlette_core.exceptions import HTTPException, WebSocketException


@pytest.mark.parametrize(
    ("status_code", "phrase"),
    [(400, "Bad Request"), (404, "Not Found"), (418, "I'm a Teapot"), (500, "Internal Server Error")],
)
def test_http_exception_default_detail_is_the_reason_phrase(status_code: int, phrase: str) -> None:
    exc = HTTPException(status_code)
    assert exc.status_code == status_code
    assert exc.detail == phrase
    assert exc.headers is None


def test_http_exception_custom_detail_and_headers() -> None:
    exc = HTTPException(401, detail="Login first", headers={"WWW-Authenticate": "Bearer"})
    assert exc.detail == "Login first"
    assert exc.headers == {"WWW-Authenticate": "Bearer"}


def test_http_exception_empty_detail_is_kept() -> None:
    assert HTTPException(400, detail="").detail == ""


def test_http_exception_unregistered_status_code() -> None:
    exc = HTTPException(499)
    assert exc.status_code == 499
    assert exc.detail == ""


def test_http_exception_str_and_repr() -> None:
    exc = HTTPException(404)
    assert str(exc) == "404: Not Found"
    assert repr(exc) == "HTTPException(status_code=404, detail='Not Found')"

    class CustomHTTPException(HTTPException):
        pass

    custom = CustomHTTPException(500, detail="Something broke")
    assert str(custom) == "500: Something broke"
    assert repr(custom) == "CustomHTTPException(status_code=500, detail='Something broke')"


def test_http_exception_is_raisable() -> None:
    with pytest.raises(HTTPException) as info:
        raise HTTPException(403)
    assert info.value.status_code == 403
    assert isinstance(info.value, Exception)


def test_websocket_exception() -> None:
    exc = WebSocketException(1008, reason="Policy violation")
    assert exc.code == 1008
    assert exc.reason == "Policy violation"
    assert str(exc) == "1008: Policy violation"
    assert repr(exc) == "WebSocketException(code=1008, reason='Policy violation')"


def test_websocket_exception_default_reason() -> None:
    exc = WebSocketException(1011)
    assert exc.reason == ""
    assert str(exc) == "1011: "
    assert repr(exc) == "WebSocketException(code=1011, reason='')"

    class CustomWebSocketException(WebSocketException):
        pass

    assert repr(CustomWebSocketException(1000)) == "CustomWebSocketException(code=1000, reason='')"
