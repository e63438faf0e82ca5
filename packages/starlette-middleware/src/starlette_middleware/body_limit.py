"""Request body size limits (``starlette.middleware.body_limit``).

One mechanism serves every way of setting a limit: ``RequestBodyLimitMiddleware``, and ``max_body_size`` on a
Starlette application, a Router, a Mount or a Route. An HTTP request gets one ``RequestBodyLimitResponder``, made
by the outermost level that has a limit and kept in the scope; every level nearer the endpoint that has a limit of
its own replaces the limit in force, so the innermost setting wins (it may be higher or lower).
``scope[MAX_BODY_SIZE_SCOPE_KEY]`` is the limit in force. WebSocket and lifespan scopes are never limited.

A body over the limit is answered with a 413 ``Content Too Large`` (and ``Connection: close``, since the rest of
the body is left unread):

- when the app asks for the body and the request's ``Content-Length`` is over the limit, or the bytes received so
  far go over it: the app's ``receive`` raises an ``HTTPException(413)``, which exception handlers see;
- when the app starts a response other than a 413 to a request whose ``Content-Length`` is over the limit: that
  response is dropped and the 413 sent instead (the app's ``send`` raises, to stop it); a 413 of the app's own,
  such as an exception handler's page, is sent as it is;
- by a Route, before its endpoint runs, when the ``Content-Length`` is over the limit: the app's exception
  handlers answer the ``HTTPException(413)`` there, as they would have when the endpoint read the body.

Once a response has started, going over the limit only raises the ``HTTPException(413)``.
"""

from __future__ import annotations

import sys

from starlette_core._exception_handler import handle_exception, published_handlers
from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_BODY_SIZE_SCOPE_KEY", "RequestBodyLimitMiddleware", "RequestBodyLimitResponder"]

#: The scope key that holds the body limit in force for a request, in bytes.
MAX_BODY_SIZE_SCOPE_KEY = "starlette.max_body_size"
# The scope key that holds the request's RequestBodyLimitResponder.
_RESPONDER_SCOPE_KEY = "starlette_middleware.body_limit.responder"

_MISSING = object()

_DETAIL = "Content Too Large"
# The refused body is left (partly) unread on the connection: the client must not reuse it (a server that closes
# it anyway, as hypercorn does, would otherwise fail the client's next request on that connection).
_HEADERS = {"Connection": "close"}


class _BodyTooLarge(HTTPException):
    """What the app's ``receive`` raises when the request body goes over the limit: an HTTPException(413)."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail=_DETAIL, headers=dict(_HEADERS))


class _ResponseReplaced(Exception):
    """What the app's ``send`` raises when the 413 has been sent in place of the response it started."""


def _check_limit(value: object) -> int | None:
    """Validate a ``max_body_size``: None (no limit of its own) or a non-negative integer number of bytes."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"max_body_size must be a non-negative integer or None, got {value!r}")
    return value


def _required_limit(value: object) -> int:
    """Validate the ``max_body_size`` of a middleware or responder: a non-negative integer number of bytes."""
    limit = _check_limit(value)
    if limit is None:
        raise ValueError("max_body_size must be a non-negative integer, got None")
    return limit


def _declared_length(scope: Scope) -> int | None:
    """The request's Content-Length (the first such header), or None when it has none or not a number."""
    for key, value in scope["headers"]:
        if key == b"content-length":
            if value.isdigit():
                # More than 18 digits is beyond any limit (and int() refuses very long strings).
                return int(value) if len(value) <= 18 else sys.maxsize
            return None
    return None


async def _send_413(send: Send) -> None:
    response = PlainTextResponse(_DETAIL, status_code=413, headers=_HEADERS)
    await send({"type": "http.response.start", "status": 413, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class RequestBodyLimitResponder:
    """Runs ``app`` for one HTTP request with its body limited to ``max_body_size`` bytes.

    ``receive_with_limit`` and ``send_with_limit`` are what the app gets as ``receive`` and ``send``; ``scope``,
    ``receive`` and ``send`` are the request's own, once called. ``max_body_size`` may be changed while the request
    runs (a level nearer the endpoint does so); ``content_length`` is the declared length (None: not declared),
    ``total_size`` the bytes received so far, ``response_started`` whether the app has started its response.
    """

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = _required_limit(max_body_size)
        self._scope: Scope | None = None
        self._receive: Receive | None = None
        self._send: Send | None = None
        self.content_length: int | None = None
        self.total_size = 0
        self.response_started = False
        self._replaced = False

    @property
    def scope(self) -> Scope:
        assert self._scope is not None, "the responder has not been called yet"
        return self._scope

    @property
    def receive(self) -> Receive:
        assert self._receive is not None, "the responder has not been called yet"
        return self._receive

    @property
    def send(self) -> Send:
        assert self._send is not None, "the responder has not been called yet"
        return self._send

    def _over(self) -> bool:
        """Whether the declared length is over the limit now in force."""
        return self.content_length is not None and self.content_length > self.max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self._scope, self._receive, self._send = scope, receive, send
        self.content_length = _declared_length(scope)
        self.total_size = 0
        self.response_started = self._replaced = False
        # The scope keys are the responder's while it runs (levels nearer the endpoint update them), and what they
        # were before afterwards.
        before = [(key, scope.get(key, _MISSING)) for key in (_RESPONDER_SCOPE_KEY, MAX_BODY_SIZE_SCOPE_KEY)]
        scope[_RESPONDER_SCOPE_KEY] = self
        scope[MAX_BODY_SIZE_SCOPE_KEY] = self.max_body_size
        try:
            await self.app(scope, self.receive_with_limit, self.send_with_limit)
        except _BodyTooLarge:
            if self.response_started:
                raise
            self.response_started = True
            await _send_413(send)
        except _ResponseReplaced:
            if not self._replaced:  # (raised for a request of another responder)
                raise
        finally:
            for key, value in before:
                if value is _MISSING:
                    scope.pop(key, None)
                else:
                    scope[key] = value

    async def receive_with_limit(self) -> Message:
        """The request's ``receive``, refusing a body over the limit (see the module's documentation)."""
        if self._over():
            raise _BodyTooLarge()
        message = await self.receive()
        if message["type"] == "http.request":
            self.total_size += len(message.get("body", b""))
            if self.total_size > self.max_body_size:
                raise _BodyTooLarge()
        return message

    async def send_with_limit(self, message: Message) -> None:
        """The request's ``send``; a response started for a declared body over the limit is replaced by the 413,
        unless it is a 413 itself (an exception handler's, say)."""
        if self._replaced:
            return  # (the 413 is complete: whatever the app still sends goes nowhere)
        if message["type"] == "http.response.start" and not self.response_started:
            self.response_started = True
            if self._over() and message["status"] != 413:
                self._replaced = True
                await _send_413(self.send)
                raise _ResponseReplaced()
        await self.send(message)


async def _limit(max_body_size: int, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """Run ``app`` for an HTTP request with ``max_body_size`` as the limit in force."""
    responder: RequestBodyLimitResponder | None = scope.get(_RESPONDER_SCOPE_KEY)
    if responder is None:
        await RequestBodyLimitResponder(app, max_body_size)(scope, receive, send)
    else:
        responder.max_body_size = scope[MAX_BODY_SIZE_SCOPE_KEY] = max_body_size
        await app(scope, receive, send)


async def _limit_endpoint(max_body_size: int | None, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    """As ``_limit``, for the route that handles the request, when it has a limit of its own or one is in force
    for the request (None: keep that one): a declared body over the limit is refused before ``app`` runs."""
    responder: RequestBodyLimitResponder | None = scope.get(_RESPONDER_SCOPE_KEY)
    if responder is None:
        assert max_body_size is not None
        declared = _declared_length(scope)
        over = declared is not None and declared > max_body_size
        await RequestBodyLimitResponder(_refuse if over else app, max_body_size)(scope, receive, send)
        return
    if max_body_size is not None:
        responder.max_body_size = scope[MAX_BODY_SIZE_SCOPE_KEY] = max_body_size
    await (_refuse if responder._over() else app)(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    """What runs in place of the endpoint for a declared body over the limit: what it would do on reading the body.
    The app's exception handlers answer the HTTPException(413) if it has any (their response still goes through
    the responder), else it is raised."""
    exc = _BodyTooLarge()
    request = Request(scope, receive, send)
    if not await handle_exception(exc, published_handlers(scope), False, request, scope, receive, send):
        raise exc


class RequestBodyLimitMiddleware:
    """Limits HTTP request bodies to ``max_body_size`` bytes for ``app`` (see the module's documentation); a
    limit set nearer the endpoint (an inner middleware, or a Router, Mount or Route) replaces it."""

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = _required_limit(max_body_size)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await _limit(self.max_body_size, self.app, scope, receive, send)
        else:
            await self.app(scope, receive, send)
