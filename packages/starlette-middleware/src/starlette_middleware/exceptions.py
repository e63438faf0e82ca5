"""``ExceptionMiddleware``: the app's exception handlers, by status code (for ``HTTPException``) and by class.

It publishes the handlers in ``scope["starlette.exception_handlers"]`` (so that routing can apply them around each
endpoint) and applies them itself to whatever the rest of the app raises.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette_core._exception_handler import (
    HANDLERS_SCOPE_KEY,
    ExceptionHandlers,
    StatusHandlers,
    lookup_handler,
    respond_with_handler,
    track_response_start,
    wrap_app_handling_exceptions,
)
from starlette_core.exceptions import HTTPException, WebSocketException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import ASGIApp, ExceptionHandler, Receive, Scope, Send
from starlette_core.websockets import WebSocket

__all__ = ["ExceptionMiddleware"]

# What __call__ compares the module global with: code may patch ``wrap_app_handling_exceptions`` here, as on
# upstream's module, and then __call__ runs the app through it, as upstream's does.
_wrap_app_handling_exceptions = wrap_app_handling_exceptions


class ExceptionMiddleware:
    def __init__(
        self,
        app: ASGIApp,
        handlers: Mapping[Any, ExceptionHandler] | None = None,
        debug: bool = False,
    ) -> None:
        self.app = app
        self.debug = debug  # kept for compatibility; not used
        self._status_handlers: StatusHandlers = {}
        self._exception_handlers: ExceptionHandlers = {
            HTTPException: self.http_exception,
            WebSocketException: self.websocket_exception,
        }
        if handlers is not None:
            for key, value in handlers.items():
                self.add_exception_handler(key, value)
        # Built once: every request publishes the same pair of (live) dicts.
        self._handlers = (self._exception_handlers, self._status_handlers)

    def add_exception_handler(
        self,
        exc_class_or_status_code: int | type[Exception],
        handler: ExceptionHandler,
    ) -> None:
        if isinstance(exc_class_or_status_code, int):
            self._status_handlers[exc_class_or_status_code] = handler
        else:
            assert issubclass(exc_class_or_status_code, Exception)
            self._exception_handlers[exc_class_or_status_code] = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope_type = scope["type"]
        if scope_type != "http" and scope_type != "websocket":
            await self.app(scope, receive, send)
            return

        scope[HANDLERS_SCOPE_KEY] = self._handlers
        if wrap_app_handling_exceptions is not _wrap_app_handling_exceptions:
            conn = Request(scope, receive, send) if scope_type == "http" else WebSocket(scope, receive, send)
            await wrap_app_handling_exceptions(self.app, conn)(scope, receive, send)
            return
        if scope_type == "websocket":
            await self._call_websocket(scope, receive, send)
            return
        tracking_send = track_response_start(send)
        try:
            await self.app(scope, receive, tracking_send.forward)
        except Exception as exc:
            if not await self._handle(exc, scope, receive, send, tracking_send.response_started):
                raise

    async def _call_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The app for a websocket scope, with the send untracked: no websocket message starts an HTTP response.

        (A denial response starts with "websocket.http.response.start".) One call less per message. Upstream
        tracks here too; only an app that sends "http.response.start" on a websocket, which servers refuse, sees a
        difference (see the README's "Differences from upstream").
        """
        try:
            await self.app(scope, receive, send)
        except Exception as exc:
            if not await self._handle(exc, scope, receive, send, False):
                raise

    async def _handle(self, exc: Exception, scope: Scope, receive: Receive, send: Send, started: bool) -> bool:
        """Answer ``exc`` with its registered handler; False when it has none (the caller re-raises it)."""
        handler = lookup_handler(exc, self._exception_handlers, self._status_handlers)
        if handler is None:
            return False
        # The Request/WebSocket the handler gets is built only now that it needs one (it is a view on the same
        # scope, so building it later changes nothing).
        conn: Request | WebSocket
        if scope["type"] == "http":
            conn = Request(scope, receive, send)
        else:
            conn = WebSocket(scope, receive, send)
        await respond_with_handler(handler, exc, started, conn, scope, receive, send)
        return True

    async def http_exception(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code in {204, 304}:
            # These statuses have no body.
            return Response(status_code=exc.status_code, headers=exc.headers)
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)

    async def websocket_exception(self, websocket: WebSocket, exc: Exception) -> None:
        assert isinstance(exc, WebSocketException)
        await websocket.close(code=exc.code, reason=exc.reason)
