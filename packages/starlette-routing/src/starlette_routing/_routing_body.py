"""Request body size limits (``max_body_size``), beyond upstream Starlette.

Every level that has a limit (Starlette, Router, Mount, Route) records it on one per-request ``_BodyLimiter``
kept in the scope; the innermost level that the request reaches sets the last value, so the innermost setting
wins. The first level with a limit creates the limiter and hands ``limiter.receive`` down: it refuses the body as
soon as a Content-Length above the limit is seen, or as soon as the bytes received so far exceed it. The route
that finally handles the request refuses a declared Content-Length above the limit before calling the endpoint.
"""

from __future__ import annotations

import sys

from starlette_core.exceptions import HTTPException
from starlette_core.responses import PlainTextResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

SCOPE_KEY = "starlette_routing.body_limiter"
_DETAIL = "Request body too large"


class BodyTooLarge(HTTPException):
    """Raised (as an HTTPException with status 413) when a request body goes over ``max_body_size``."""

    def __init__(self) -> None:
        # The refused body is left (partly) unread on the connection: tell the client not to reuse it, or a server
        # that closes it anyway (hypercorn) fails the client's next request on that connection.
        super().__init__(status_code=413, detail=_DETAIL, headers={"Connection": "close"})


def check_limit(value: object) -> int | None:
    """Validate a ``max_body_size`` value: None (no limit of its own) or a non-negative int."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"max_body_size must be a non-negative integer or None, got {value!r}")
    return value


def _declared_length(scope: Scope) -> int:
    """The request's Content-Length, or -1 when it has none (or not a valid one)."""
    for key, value in scope["headers"]:
        if key == b"content-length":
            if value.isdigit():
                # More than 18 digits is beyond any sensible limit (and int() refuses very long strings).
                return int(value) if len(value) <= 18 else sys.maxsize
            return -1
    return -1


class BodyLimiter:
    """Counts the request body as it arrives; ``limit`` is updated by each level the request passes."""

    __slots__ = ("_receive", "_send", "declared", "limit", "received", "started")

    def __init__(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        self._receive = receive
        self._send = send
        self.limit = limit
        self.declared = _declared_length(scope)
        self.received = 0
        self.started = False

    def over(self) -> bool:
        return self.declared > self.limit or self.received > self.limit

    async def receive(self) -> Message:
        if self.declared > self.limit:
            raise BodyTooLarge()
        message = await self._receive()
        if message["type"] == "http.request":
            self.received += len(message.get("body", b""))
            if self.received > self.limit:
                raise BodyTooLarge()
        return message

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
        await self._send(message)


def limit_applies(own_limit: int | None, scope: Scope) -> bool:
    """Whether a body limit governs this request at a level whose own setting is ``own_limit``: its own, or one
    that an enclosing level set for the request."""
    return own_limit is not None or SCOPE_KEY in scope


async def _refuse(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse(_DETAIL, status_code=413, headers={"Connection": "close"})(scope, receive, send)


async def run_limited(limit: int | None, app: ASGIApp, scope: Scope, receive: Receive, send: Send, leaf: bool) -> None:
    """Run ``app`` for an HTTP request under ``limit`` (None: keep the limit set further out).

    ``leaf`` is true for the route that handles the request: a declared Content-Length above the limit in force
    is refused there without calling the endpoint (raising HTTPException(413) inside a Starlette app, so that
    exception handlers see it).
    """
    limiter: BodyLimiter | None = scope.get(SCOPE_KEY)
    owner = limiter is None
    if limiter is None:
        assert limit is not None
        limiter = BodyLimiter(scope, receive, send, limit)
        scope[SCOPE_KEY] = limiter
    elif limit is not None:
        limiter.limit = limit
    if leaf and limiter.over():
        if "app" in scope:
            raise BodyTooLarge()
        await _refuse(scope, receive, send)
        return
    if not owner:
        await app(scope, receive, send)
        return
    try:
        await app(scope, limiter.receive, limiter.send)
    except BodyTooLarge:
        if limiter.started:
            raise
        await _refuse(scope, receive, send)


class BodyLimitMiddleware:
    """Applies an application-wide ``max_body_size`` (placed just inside ServerErrorMiddleware)."""

    def __init__(self, app: ASGIApp, max_body_size: int) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await run_limited(self.max_body_size, self.app, scope, receive, send, leaf=False)
        else:
            await self.app(scope, receive, send)
