"""Runs an endpoint so that the app's exception handlers turn its exceptions into responses
(``starlette._exception_handler``).

ExceptionMiddleware puts ``(exception_handlers, status_handlers)`` in ``scope["starlette.exception_handlers"]``;
routing wraps each endpoint with ``wrap_app_handling_exceptions(app, conn)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, Union

from starlette_core._utils import is_async_callable
from starlette_core.concurrency import run_in_threadpool
from starlette_core.exceptions import HTTPException
from starlette_core.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from starlette_core.requests import Request
    from starlette_core.websockets import WebSocket

__all__ = ["ExceptionHandlers", "StatusHandlers", "wrap_app_handling_exceptions"]

ExceptionHandlers = Dict[Any, ExceptionHandler]
StatusHandlers = Dict[int, ExceptionHandler]


def _lookup_exception_handler(exc_handlers: ExceptionHandlers, exc: Exception) -> ExceptionHandler | None:
    """The handler registered for the exception's class or its nearest base class."""
    for cls in type(exc).__mro__:
        if cls in exc_handlers:
            return exc_handlers[cls]
    return None


class _TrackingSend:
    """Forwards messages to ``send``, noting whether the HTTP response has started."""

    __slots__ = ("response_started", "send")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.response_started = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.response_started = True
        await self.send(message)


class _HandlingExceptions:
    """The ASGI app returned by ``wrap_app_handling_exceptions``."""

    __slots__ = ("app", "conn", "exception_handlers", "status_handlers")

    def __init__(self, app: ASGIApp, conn: Union[Request, WebSocket]) -> None:
        self.app = app
        self.conn = conn
        self.exception_handlers: ExceptionHandlers
        self.status_handlers: StatusHandlers
        try:
            self.exception_handlers, self.status_handlers = conn.scope["starlette.exception_handlers"]
        except KeyError:
            self.exception_handlers, self.status_handlers = {}, {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracking_send = _TrackingSend(send)
        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            handler: ExceptionHandler | None = None
            if isinstance(exc, HTTPException):
                handler = self.status_handlers.get(exc.status_code)
            if handler is None:
                handler = _lookup_exception_handler(self.exception_handlers, exc)
            if handler is None:
                raise
            if tracking_send.response_started:
                raise RuntimeError("Caught handled exception, but response already started.") from exc

            if scope["type"] == "websocket":
                # WebSocket handlers act on the connection themselves (close it, send a denial response...).
                if is_async_callable(handler):
                    await handler(self.conn, exc)
                else:
                    await run_in_threadpool(handler, self.conn, exc)  # type: ignore[arg-type]
                return

            if is_async_callable(handler):
                response = await handler(self.conn, exc)
            else:
                response = await run_in_threadpool(handler, self.conn, exc)  # type: ignore[arg-type]
            if response is not None:
                await response(scope, receive, send)


def wrap_app_handling_exceptions(app: ASGIApp, conn: Request | WebSocket) -> ASGIApp:
    """Wrap ``app`` so that exceptions with a registered handler (by status code for HTTPException, else by
    exception class through the MRO) are turned into the handler's response; others propagate.
    """
    return _HandlingExceptions(app, conn)
