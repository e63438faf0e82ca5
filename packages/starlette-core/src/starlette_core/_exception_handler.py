"""Applying an application's exception handlers (``starlette._exception_handler``).

ExceptionMiddleware publishes ``(exception_handlers, status_handlers)`` in ``scope["starlette.exception_handlers"]``;
routing runs each endpoint so that those handlers turn its exceptions into responses
(``wrap_app_handling_exceptions(app, conn)`` is upstream's name for that).

This is also the documented internal module that starlette-middleware and starlette-routing share for the rule
"answer an exception with its registered handler". Every layer that applies the handlers uses these names:

- ``track_response_start(send)``: a tracker whose ``forward`` records whether "http.response.start" went through it
  (from :mod:`starlette_core._tracking`, with ``send_after_start``).
- ``lookup_handler(exc, exception_handlers, status_handlers)``: the handler registered for an exception.
- ``respond_with_handler(handler, exc, started, conn, scope, receive, send)``: run the handler and send its
  response (a RuntimeError if the response has already started; to a websocket request, a denial response).
- ``handle_exception(exc, handlers, started, conn, scope, receive, send)``: the two together; False when no
  handler is registered (the caller re-raises).
- ``published_handlers(scope)``: the handlers ExceptionMiddleware published for this request (none outside an app).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any, Dict, Tuple, Union

from starlette_core._tracking import TrackingSend, send_after_start, track_response_start
from starlette_core._utils import is_async_callable
from starlette_core.concurrency import run_in_threadpool
from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.types import ASGIApp, ExceptionHandler, Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket

__all__ = [
    "HANDLERS_SCOPE_KEY",
    "ExceptionHandlers",
    "StatusHandlers",
    "TrackingSend",
    "handle_exception",
    "lookup_handler",
    "published_handlers",
    "respond_with_handler",
    "send_after_start",
    "track_response_start",
    "wrap_app_handling_exceptions",
]

ExceptionHandlers = Dict[Any, ExceptionHandler]
StatusHandlers = Dict[int, ExceptionHandler]
Handlers = Tuple[ExceptionHandlers, StatusHandlers]

# Where ExceptionMiddleware publishes its handlers for the layers below it (the key upstream uses).
HANDLERS_SCOPE_KEY = "starlette.exception_handlers"
_NO_HANDLERS: Handlers = ({}, {})


def published_handlers(scope: Scope) -> Handlers:
    """The ``(exception_handlers, status_handlers)`` published in the scope, or empty ones."""
    handlers: Handlers = scope.get(HANDLERS_SCOPE_KEY, _NO_HANDLERS)
    return handlers


def _lookup_exception_handler(exc_handlers: ExceptionHandlers, exc: Exception) -> ExceptionHandler | None:
    """The handler registered for the exception's class or its nearest base class."""
    for cls in type(exc).__mro__:
        if cls in exc_handlers:
            return exc_handlers[cls]
    return None


def lookup_handler(
    exc: Exception, exception_handlers: ExceptionHandlers, status_handlers: StatusHandlers
) -> ExceptionHandler | None:
    """By status code for an HTTPException, else by the exception's class through its MRO."""
    handler: ExceptionHandler | None = None
    if isinstance(exc, HTTPException):
        handler = status_handlers.get(exc.status_code)
    if handler is None:
        handler = _lookup_exception_handler(exception_handlers, exc)
    return handler


class _DenialSend:
    """Sends a response's "http.*" messages on a websocket connection as "websocket.http.*" ones.

    ``Response`` itself names its messages after the scope; this covers every other response class (a
    ``StreamingResponse`` names its messages "http.*" whatever the scope, which no server accepts on a websocket).
    """

    __slots__ = ("send",)

    def __init__(self, send: Send) -> None:
        self.send = send

    def __call__(self, message: Message) -> Awaitable[None]:
        message_type = message["type"]
        if message_type.startswith("http."):
            message = {**message, "type": "websocket." + message_type}
        return self.send(message)


async def _send_handler_response(
    handler: ExceptionHandler,
    conn: Union[Request, WebSocket],
    exc: Exception,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Run ``handler(conn, exc)`` (in the thread pool if it is sync) and send the response it returns."""
    if is_async_callable(handler):
        response = await handler(conn, exc)
    else:
        response = await run_in_threadpool(handler, conn, exc)  # type: ignore[arg-type]
    if response is not None:
        if scope["type"] == "websocket":
            # A response to a websocket request is a denial response: its messages go out as "websocket.http.*",
            # sent as upstream sends them, whether or not the server offers the "websocket.http.response"
            # extension and whether or not the handshake was accepted. (A handler that acts on the connection
            # itself, closing it, returns None.)
            send = _DenialSend(send)
        await response(scope, receive, send)


async def respond_with_handler(
    handler: ExceptionHandler,
    exc: Exception,
    started: bool,
    conn: Union[Request, WebSocket],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Answer ``exc`` with ``handler``; a handled exception after the response has started is a RuntimeError."""
    if started:
        raise RuntimeError("Caught handled exception, but response already started.") from exc
    await _send_handler_response(handler, conn, exc, scope, receive, send)


async def handle_exception(
    exc: Exception,
    handlers: Handlers,
    started: bool,
    conn: Union[Request, WebSocket],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> bool:
    """Answer ``exc`` with its handler among ``handlers``; False when it has none (the caller re-raises it)."""
    handler = lookup_handler(exc, *handlers)
    if handler is None:
        return False
    await respond_with_handler(handler, exc, started, conn, scope, receive, send)
    return True


class _HandlingExceptions:
    """The ASGI app returned by ``wrap_app_handling_exceptions``."""

    __slots__ = ("app", "conn", "handlers")

    def __init__(self, app: ASGIApp, conn: Union[Request, WebSocket]) -> None:
        self.app = app
        self.conn = conn
        self.handlers = published_handlers(conn.scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracking_send = track_response_start(send)
        try:
            await self.app(scope, receive, tracking_send.forward)
        except Exception as exc:
            started = tracking_send.response_started
            if not await handle_exception(exc, self.handlers, started, self.conn, scope, receive, send):
                raise


def wrap_app_handling_exceptions(app: ASGIApp, conn: Request | WebSocket) -> ASGIApp:
    """Wrap ``app`` so that exceptions with a registered handler (by status code for HTTPException, else by
    exception class through the MRO) are turned into the handler's response; others propagate.
    """
    return _HandlingExceptions(app, conn)
