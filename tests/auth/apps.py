"""Backends and raw ASGI apps shared by the auth tests (only starlette_core and starlette_auth are used)."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Callable

from starlette_auth.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
    SimpleUser,
)
from starlette_core._utils import is_async_callable
from starlette_core.datastructures import URLPath
from starlette_core.exceptions import HTTPException
from starlette_core.requests import HTTPConnection, Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import ASGIApp, Receive, Scope, Send
from starlette_core.websockets import WebSocket

PASSWORDS = {"ada": "lovelace", "alan": "turing"}
TOKENS = {"t0k3n-admin": ("root", ["authenticated", "admin"]), "t0k3n-reader": ("reader", ["authenticated"])}


class BasicAuthBackend(AuthenticationBackend):
    """HTTP Basic: a missing header is anonymous, a malformed or wrong one is an AuthenticationError."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("Authorization")
        if header is None:
            return None
        scheme, _, encoded = header.partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
        except (ValueError, UnicodeDecodeError, binascii.Error) as exc:
            raise AuthenticationError("Invalid basic auth credentials") from exc
        username, sep, password = decoded.partition(":")
        if not sep or PASSWORDS.get(username) != password:
            raise AuthenticationError("Wrong username or password")
        return AuthCredentials(["authenticated"]), SimpleUser(username)


class TokenBackend(AuthenticationBackend):
    """Bearer tokens, from the header or (for WebSockets) the ``token`` query parameter."""

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("Authorization")
        if header is not None:
            scheme, _, token = header.partition(" ")
            if scheme != "Bearer" or not token:
                raise AuthenticationError("Malformed Authorization header")
        else:
            token = conn.query_params.get("token", "")
            if not token:
                return None
        if token not in TOKENS:
            raise AuthenticationError("Unknown token")
        username, scopes = TOKENS[token]
        return AuthCredentials(scopes), SimpleUser(username)


class NamedRoutes:
    """Just enough of a router for ``request.url_for``: every name maps to ``/<name>``."""

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        return URLPath(f"/{name}")


def http_app(endpoint: Callable[[Request], Any]) -> ASGIApp:
    """An ASGI app calling ``endpoint(request)`` (sync or async); HTTPException becomes a plain-text response."""
    is_async = is_async_callable(endpoint)

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["router"] = NamedRoutes()
        request = Request(scope, receive, send)
        try:
            response: Response = await endpoint(request) if is_async else endpoint(request)
        except HTTPException as exc:
            response = PlainTextResponse(exc.detail, status_code=exc.status_code)
        await response(scope, receive, send)

    return app


def websocket_app(endpoint: Callable[[WebSocket], Any]) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await endpoint(WebSocket(scope, receive, send))

    return app


def whoami(request: Request) -> Response:
    """Reports what the middleware put in the scope."""
    return PlainTextResponse(
        f"{request.user.display_name}|{request.user.is_authenticated}|{','.join(request.auth.scopes)}"
    )
