"""Runs an endpoint so that the app's exception handlers turn its exceptions into responses
(``starlette._exception_handler``).

ExceptionMiddleware puts ``(exception_handlers, status_handlers)`` in ``scope["starlette.exception_handlers"]``;
routing wraps each endpoint with ``wrap_app_handling_exceptions(app, conn)``.

The pieces are also usable one by one, so that hot paths (routing's ``request_response``, ExceptionMiddleware)
can inline them without an extra wrapper object per request:

- ``_tracking(send)`` returns a send that records whether "http.response.start" went through it. A tracker
  handed down unchanged from an enclosing layer (and through which nothing has been sent yet) is reused: it
  sees exactly the messages a new one would, so one tracker serves the whole chain of adjacent layers.
- ``_lookup_handler(exc, exception_handlers, status_handlers)`` finds the handler for an exception.
- ``_send_handler_response(handler, conn, exc, scope, receive, send)`` runs the handler and sends its response.
- ``_answer(exc, handlers, started, conn, scope, receive, send)`` is the two together, as every layer that
  applies the handlers does it (False: no handler, re-raise).
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any, Dict, Tuple, Union

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

_NO_HANDLERS: Tuple[ExceptionHandlers, StatusHandlers] = ({}, {})


def _lookup_exception_handler(exc_handlers: ExceptionHandlers, exc: Exception) -> ExceptionHandler | None:
    """The handler registered for the exception's class or its nearest base class."""
    for cls in type(exc).__mro__:
        if cls in exc_handlers:
            return exc_handlers[cls]
    return None


def _lookup_handler(
    exc: Exception, exception_handlers: ExceptionHandlers, status_handlers: StatusHandlers
) -> ExceptionHandler | None:
    """By status code for an HTTPException, else by the exception's class through its MRO."""
    handler: ExceptionHandler | None = None
    if isinstance(exc, HTTPException):
        handler = status_handlers.get(exc.status_code)
    if handler is None:
        handler = _lookup_exception_handler(exception_handlers, exc)
    return handler


class _TrackingSend:
    """Forwards messages to ``send``, noting whether the HTTP response has started."""

    __slots__ = ("response_started", "send")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.response_started = False

    def __call__(self, message: Message) -> Awaitable[None]:
        # Not a coroutine of its own: it notes the start and hands back the wrapped send's awaitable, so
        # tracking costs no extra coroutine per message. (Callers await it at once, as ASGI sends are.)
        if message["type"] == "http.response.start":
            self.response_started = True
        return self.send(message)


def _tracking(send: Send) -> _TrackingSend:
    """A send that records whether the response started (an unused enclosing tracker is shared)."""
    if type(send) is _TrackingSend and not send.response_started:
        return send
    return _TrackingSend(send)


async def _send_handler_response(
    handler: ExceptionHandler,
    conn: Union[Request, WebSocket],
    exc: Exception,
    scope: Scope,
    receive: Receive,
    send: Send,
) -> None:
    """Run ``handler(conn, exc)`` (in the thread pool if it is sync) and send the response it returns."""
    if scope["type"] == "websocket":
        # WebSocket handlers act on the connection themselves (close it, send a denial response...).
        if is_async_callable(handler):
            await handler(conn, exc)
        else:
            await run_in_threadpool(handler, conn, exc)  # type: ignore[arg-type]
        return

    if is_async_callable(handler):
        response = await handler(conn, exc)
    else:
        response = await run_in_threadpool(handler, conn, exc)  # type: ignore[arg-type]
    if response is not None:
        await response(scope, receive, send)


async def _answer(
    exc: Exception,
    handlers: Tuple[ExceptionHandlers, StatusHandlers],
    started: bool,
    conn: Union[Request, WebSocket],
    scope: Scope,
    receive: Receive,
    send: Send,
) -> bool:
    """Answer ``exc`` with its handler among ``handlers``; False when it has none (the caller re-raises it).
    A handled exception after the response has started is a RuntimeError."""
    handler = _lookup_handler(exc, *handlers)
    if handler is None:
        return False
    if started:
        raise RuntimeError("Caught handled exception, but response already started.") from exc
    await _send_handler_response(handler, conn, exc, scope, receive, send)
    return True


class _HandlingExceptions:
    """The ASGI app returned by ``wrap_app_handling_exceptions``."""

    __slots__ = ("app", "conn", "handlers")

    def __init__(self, app: ASGIApp, conn: Union[Request, WebSocket]) -> None:
        self.app = app
        self.conn = conn
        self.handlers: Tuple[ExceptionHandlers, StatusHandlers] = conn.scope.get(
            "starlette.exception_handlers", _NO_HANDLERS
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        tracking_send = _tracking(send)
        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if not await _answer(exc, self.handlers, tracking_send.response_started, self.conn, scope, receive, send):
                raise


def wrap_app_handling_exceptions(app: ASGIApp, conn: Request | WebSocket) -> ASGIApp:
    """Wrap ``app`` so that exceptions with a registered handler (by status code for HTTPException, else by
    exception class through the MRO) are turned into the handler's response; others propagate.
    """
    return _HandlingExceptions(app, conn)
