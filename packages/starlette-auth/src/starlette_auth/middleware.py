"""``starlette.middleware.authentication``: ``AuthenticationMiddleware`` sets scope["auth"] and scope["user"]."""

from __future__ import annotations

from typing import Callable, Optional

from starlette_auth.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    UnauthenticatedUser,
)
from starlette_core.requests import HTTPConnection
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import ASGIApp, Receive, Scope, Send
from starlette_core.websockets import WebSocketClose

__all__ = ["AuthenticationMiddleware"]

_ErrorHandler = Callable[[HTTPConnection, AuthenticationError], Response]


class AuthenticationMiddleware:
    """Ask ``backend`` who is connecting, for every HTTP request and WebSocket connection.

    A backend returning None means an anonymous connection (no scopes, ``UnauthenticatedUser``). An
    ``AuthenticationError`` is answered by ``on_error(conn, exc)`` (default: 400 with the error's text); a WebSocket
    is closed with code 1000 instead.
    """

    def __init__(
        self,
        app: ASGIApp,
        backend: AuthenticationBackend,
        on_error: Optional[_ErrorHandler] = None,
    ) -> None:
        self.app = app
        self.backend = backend
        self.on_error: _ErrorHandler = on_error if on_error is not None else self.default_on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        if scope_type != "http" and scope_type != "websocket":
            await self.app(scope, receive, send)
            return

        conn = HTTPConnection(scope)
        try:
            result = await self.backend.authenticate(conn)
        except AuthenticationError as exc:
            response = self.on_error(conn, exc)
            if scope_type == "websocket":
                await WebSocketClose()(scope, receive, send)
            else:
                await response(scope, receive, send)
            return

        if result is None:
            scope["auth"] = AuthCredentials()
            scope["user"] = UnauthenticatedUser()
        else:
            scope["auth"], scope["user"] = result
        await self.app(scope, receive, send)

    @staticmethod
    def default_on_error(conn: HTTPConnection, exc: Exception) -> Response:
        return PlainTextResponse(str(exc), status_code=400)
