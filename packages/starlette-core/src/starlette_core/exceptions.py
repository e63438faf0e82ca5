"""Exceptions that applications raise to produce an HTTP error or close a WebSocket (``starlette.exceptions``)."""

from __future__ import annotations

import http
from collections.abc import Mapping

__all__ = ["HTTPException", "StarletteDeprecationWarning", "WebSocketException"]


def _reason_phrase(status_code: int) -> str:
    try:
        return http.HTTPStatus(status_code).phrase
    except ValueError:
        # Not a registered status code (e.g. 499): there is no standard phrase to default to.
        return ""


class HTTPException(Exception):
    """Turned into an HTTP error response by ExceptionMiddleware.

    ``detail`` defaults to the standard reason phrase of ``status_code``; ``headers`` are added to the response.
    """

    def __init__(self, status_code: int, detail: str | None = None, headers: Mapping[str, str] | None = None) -> None:
        if detail is None:
            detail = _reason_phrase(status_code)
        self.status_code = status_code
        self.detail = detail
        self.headers = headers

    def __str__(self) -> str:
        return f"{self.status_code}: {self.detail}"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(status_code={self.status_code!r}, detail={self.detail!r})"


class StarletteDeprecationWarning(UserWarning, DeprecationWarning):
    """The category of upstream 1.x's deprecation warnings (as upstream 0.48).

    Upstream makes it a ``UserWarning``, which Python shows by default; it is a ``DeprecationWarning`` too, so that
    code written for 0.47.3 (``pytest.deprecated_call()``, ``filterwarnings("ignore", category=DeprecationWarning)``)
    still catches it.
    """


class WebSocketException(Exception):
    """Turned into a WebSocket close with ``code`` and ``reason`` by ExceptionMiddleware."""

    def __init__(self, code: int, reason: str | None = None) -> None:
        self.code = code
        self.reason = reason or ""

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}(code={self.code!r}, reason={self.reason!r})"
