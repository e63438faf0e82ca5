"""``BaseHTTPMiddleware``: middleware written as ``async def dispatch(request, call_next) -> Response``.

``call_next(request)`` runs the rest of the stack in a task of its own and returns as soon as the app has started
its response: the returned response streams the app's body as the app produces it (nothing is buffered), and the
app's background work finishes before the middleware returns.  The request body may be read in ``dispatch``
(``await request.body()``) and still reaches the app.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterable, Awaitable, Mapping, MutableMapping
from typing import Any, Callable, Optional, Union

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from starlette_core._utils import collapse_excgroups
from starlette_core.requests import ClientDisconnect, Request
from starlette_core.responses import Response
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "AsyncContentStream",
    "BaseHTTPMiddleware",
    "BodyStreamGenerator",
    "DispatchFunction",
    "RequestResponseEndpoint",
]

RequestResponseEndpoint = Callable[[Request], Awaitable[Response]]
DispatchFunction = Callable[[Request, RequestResponseEndpoint], Awaitable[Response]]
BodyStreamGenerator = AsyncGenerator[Union[bytes, MutableMapping[str, Any]], None]
AsyncContentStream = AsyncIterable[Union[str, bytes, memoryview, MutableMapping[str, Any]]]

# States of what the app downstream has been given of the request body.
_BODY_PENDING = 0  # not all of it yet
_BODY_DELIVERED = 1  # all of it; only a disconnect can follow
_DISCONNECTED = 2  # a disconnect


class _Exchange:
    """Everything one request through a ``BaseHTTPMiddleware`` needs, as one object (no per-request closures)."""

    def __init__(self, app: ASGIApp, scope: Scope, receive: Receive) -> None:
        self.app = app
        self.scope = scope
        self.server_receive = receive
        self.request = Request(scope, self.receive_from_server)
        self.client_disconnected = False
        self.body_state = _BODY_PENDING
        self.body_chunks: AsyncGenerator[bytes, None] | None = None
        self.response_sent = False
        self.pending_receives: set[anyio.CancelScope] = set()
        self.task_group: TaskGroup | None = None
        self.send_stream: MemoryObjectSendStream[Message] | None = None
        self.recv_stream: MemoryObjectReceiveStream[Message] | None = None
        self.app_exc: Exception | None = None
        self.app_exc_raised = False

    # -- the request side ---------------------------------------------------------------------------------------

    async def receive_from_server(self) -> Message:
        """The server's ``receive``, noting a disconnect (both ``dispatch`` and the app read through here)."""
        message = await self.server_receive()
        if message["type"] == "http.disconnect":
            self.client_disconnected = True
        return message

    async def receive_for_app(self) -> Message:
        """The body as the app should see it: what ``dispatch`` read (and cached) first, then the rest."""
        if self.body_state == _DISCONNECTED:
            return {"type": "http.disconnect"}
        if self.body_state == _BODY_DELIVERED:
            if self.client_disconnected:
                self.body_state = _DISCONNECTED
                return {"type": "http.disconnect"}
            message = await self.receive_from_server()
            if message["type"] == "http.disconnect":
                self.body_state = _DISCONNECTED
            return message

        request = self.request
        body: bytes | None = getattr(request, "_body", None)
        if body is not None:
            # dispatch called request.body(): hand the app the cached body, even if the client has gone since.
            self.body_state = _BODY_DELIVERED
            return {"type": "http.request", "body": body, "more_body": False}
        if self.client_disconnected:
            self.body_state = _DISCONNECTED
            return {"type": "http.disconnect"}
        if self.body_chunks is None:
            if request._stream_consumed:
                # dispatch consumed request.stream() without keeping it: an empty body rather than a hang.
                self.body_state = _BODY_DELIVERED
                return {"type": "http.request", "body": b"", "more_body": False}
            self.body_chunks = request.stream()
        try:
            chunk = await self.body_chunks.__anext__()
        except ClientDisconnect:
            self.body_state = _DISCONNECTED
            return {"type": "http.disconnect"}
        if request._stream_consumed:
            self.body_state = _BODY_DELIVERED
            await self.body_chunks.aclose()
            return {"type": "http.request", "body": chunk, "more_body": False}
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def app_receive(self) -> Message:
        """``receive_for_app``, but a disconnect once the middleware has sent its response (so the app ends)."""
        if self.response_sent:
            return {"type": "http.disconnect"}
        with anyio.CancelScope() as cancel_scope:
            self.pending_receives.add(cancel_scope)
            try:
                return await self.receive_for_app()
            finally:
                self.pending_receives.discard(cancel_scope)
        # Cancelled by mark_response_sent(): the response is out, the app gets nothing more.
        return {"type": "http.disconnect"}

    def mark_response_sent(self) -> None:
        self.response_sent = True
        for cancel_scope in self.pending_receives:
            cancel_scope.cancel()

    # -- the response side --------------------------------------------------------------------------------------

    async def call_next(self, request: Request) -> Response:
        assert self.task_group is not None
        send_stream, recv_stream = anyio.create_memory_object_stream[Message]()
        self.send_stream, self.recv_stream = send_stream, recv_stream
        self.task_group.start_soon(self.run_app, send_stream)

        info: Any = None
        try:
            message = await recv_stream.receive()
            if message["type"] == "http.response.debug":
                info = message.get("info")
                message = await recv_stream.receive()
        except anyio.EndOfStream:
            app_exc = self.app_exc
            if app_exc is not None:
                self.app_exc_raised = True
                raise app_exc from app_exc.__cause__ or app_exc.__context__ or None
            if self.client_disconnected:
                # The app saw the client go and returned without a response: nobody is left to answer.
                raise ClientDisconnect() from None
            raise RuntimeError("No response returned.") from None

        assert message["type"] == "http.response.start", f"Unexpected message: {message['type']!r}"
        response = _StreamingResponse(status_code=message["status"], content=self.body_stream(recv_stream), info=info)
        response.raw_headers = list(message.get("headers", ()))
        return response

    async def run_app(self, send_stream: MemoryObjectSendStream[Message]) -> None:
        with send_stream:
            try:
                await self.app(self.scope, self.app_receive, self.app_send)
            except Exception as exc:
                self.app_exc = exc

    async def app_send(self, message: Message) -> None:
        assert self.send_stream is not None
        try:
            await self.send_stream.send(message)
        except anyio.BrokenResourceError:
            # dispatch has sent its response and closed the stream: the rest of the app's output is dropped.
            pass

    def close_streams(self) -> None:
        if self.recv_stream is not None:
            self.recv_stream.close()
        if self.send_stream is not None:
            self.send_stream.close()

    @staticmethod
    async def body_stream(recv_stream: MemoryObjectReceiveStream[Message]) -> BodyStreamGenerator:
        async for message in recv_stream:
            if message["type"] == "http.response.pathsend":
                yield message
                return
            assert message["type"] == "http.response.body", f"Unexpected message: {message['type']!r}"
            body = message.get("body", b"")
            if body:
                yield body
            if not message.get("more_body", False):
                return


class BaseHTTPMiddleware:
    def __init__(self, app: ASGIApp, dispatch: DispatchFunction | None = None) -> None:
        self.app = app
        self.dispatch_func = self.dispatch if dispatch is None else dispatch

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        exchange = _Exchange(self.app, scope, receive)
        try:
            with collapse_excgroups():
                async with anyio.create_task_group() as task_group:
                    exchange.task_group = task_group
                    response = await self.dispatch_func(exchange.request, exchange.call_next)
                    await response(scope, exchange.receive_for_app, send)
                    exchange.mark_response_sent()
                    if exchange.recv_stream is not None:
                        # An app still sending (its response was replaced) gets its messages dropped, not blocked.
                        exchange.recv_stream.close()
        finally:
            exchange.close_streams()
        if exchange.app_exc is not None and not exchange.app_exc_raised:
            raise exchange.app_exc

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        raise NotImplementedError()  # pragma: no cover


class _StreamingResponse(Response):
    """The app's response as ``call_next`` returns it: its status and headers, its body still streaming."""

    def __init__(
        self,
        content: AsyncContentStream,
        status_code: int = 200,
        headers: Optional[Mapping[str, str]] = None,
        media_type: Optional[str] = None,
        info: Optional[Mapping[str, Any]] = None,
    ) -> None:
        self.info = info
        self.body_iterator = content
        self.status_code = status_code
        self.media_type = media_type
        self.background = None
        self.init_headers(headers)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.info is not None:
            await send({"type": "http.response.debug", "info": self.info})
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})

        complete_body = True
        async for chunk in self.body_iterator:
            if isinstance(chunk, MutableMapping):
                # A non-body message (e.g. "http.response.pathsend") already ends the response.
                complete_body = False
                await send(chunk)
                continue
            if isinstance(chunk, str):
                chunk = chunk.encode(self.charset)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if complete_body:
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        if self.background is not None:
            await self.background()
