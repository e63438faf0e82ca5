"""ServerErrorMiddleware and a client that goes away: ClientDisconnect is no server error.

The endpoint sees ClientDisconnect; the middleware then sends no 500 (there is nobody to answer), runs neither the
handler nor the debug page, and raises nothing into the server (which would log a traceback).
"""

from __future__ import annotations

import sys
from typing import Any, Callable

import anyio
import pytest

from starlette_core.requests import ClientDisconnect, Request
from starlette_core.responses import PlainTextResponse, Response, StreamingResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_middleware.errors import ServerErrorMiddleware

from ._helpers import Recorder, http_scope, receiver

if sys.version_info < (3, 11):  # pragma: no cover
    from exceptiongroup import BaseExceptionGroup

TestClientFactory = Callable[..., Any]


def cut_off_receiver() -> Receive:
    """Two chunks of a body that announces more, then "http.disconnect": the client hung up mid-body."""
    messages: list[Message] = [
        {"type": "http.request", "body": b"first ", "more_body": True},
        {"type": "http.request", "body": b"second ", "more_body": True},
    ]

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    return receive


class Reader:
    """An endpoint-like app that reads the request body one way, recording what the read raised."""

    def __init__(self, how: str) -> None:
        self.how = how
        self.seen: list[str] = []

    async def read(self, request: Request) -> bytes:
        if self.how == "body":
            return await request.body()
        return b"".join([chunk async for chunk in request.stream()])

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            body = await self.read(Request(scope, receive))
        except ClientDisconnect:
            self.seen.append("ClientDisconnect")
            raise
        await PlainTextResponse(body)(scope, receive, send)


class Handler:
    """A 500 handler that records whether it ran."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, request: Request, exc: Exception) -> Response:
        self.calls += 1
        return PlainTextResponse("handled", status_code=500)


@pytest.mark.anyio
@pytest.mark.parametrize("how", ["body", "stream"])
@pytest.mark.parametrize("mode", ["plain", "debug", "handler"])
async def test_disconnect_mid_body_is_quiet(how: str, mode: str) -> None:
    reader = Reader(how)
    handler = Handler()
    middleware = ServerErrorMiddleware(reader, handler=handler if mode == "handler" else None, debug=mode == "debug")
    sent = Recorder()
    await middleware(http_scope("POST"), cut_off_receiver(), sent)  # returns: nothing for the server to log
    assert reader.seen == ["ClientDisconnect"]  # the endpoint's contract
    assert sent.messages == []  # no 500
    assert handler.calls == 0


@pytest.mark.anyio
async def test_disconnect_after_the_response_started_is_quiet() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"part", "more_body": True})
        raise ClientDisconnect()

    sent = Recorder()
    await ServerErrorMiddleware(app, debug=True)(http_scope(), cut_off_receiver(), sent)
    assert sent.types == ["http.response.start", "http.response.body"]  # nothing more: no error page appended


@pytest.mark.anyio
async def test_streaming_response_to_a_closed_connection_is_quiet() -> None:
    # An ASGI 2.4 server reports a closed connection by raising OSError from send(); StreamingResponse turns it
    # into ClientDisconnect.
    class Chunks:  # (not an async generator: the response leaves it unfinished, which is not this test's business)
        def __init__(self) -> None:
            self.left = [b"one", b"two"]

        def __aiter__(self) -> Chunks:
            return self

        async def __anext__(self) -> bytes:
            if not self.left:
                raise StopAsyncIteration
            return self.left.pop(0)

    sent: list[Message] = []

    async def closed_send(message: Message) -> None:
        sent.append(message)
        if message["type"] == "http.response.body":
            raise OSError("connection closed")

    app = ServerErrorMiddleware(StreamingResponse(Chunks()))
    await app(http_scope(asgi={"version": "3.0", "spec_version": "2.4"}), cut_off_receiver(), closed_send)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]


@pytest.mark.anyio
async def test_other_errors_still_get_a_500_and_are_reraised() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await Request(scope, receive).body()
        raise RuntimeError("a real bug")

    sent = Recorder()
    with pytest.raises(RuntimeError, match="a real bug"):
        await ServerErrorMiddleware(app)(http_scope("POST"), receiver([b"whole"]), sent)
    assert sent.start["status"] == 500


def test_test_client_gets_its_response_when_the_app_reads_past_the_end(
    test_client_factory: TestClientFactory,
) -> None:
    # TestClient says "http.disconnect" only once the response is complete: an app that reads on after answering
    # meets ClientDisconnect then, and raise_server_exceptions has nothing to raise (the test has its response).
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        await PlainTextResponse(await request.body())(scope, receive, send)
        try:
            await Request(scope, receive).body()
        except ClientDisconnect:
            seen.append("ClientDisconnect")
            raise

    wrapped: ASGIApp = ServerErrorMiddleware(app)
    response = test_client_factory(wrapped).post("/", content=b"payload")
    assert response.status_code == 200
    assert response.text == "payload"
    assert seen == ["ClientDisconnect"]


class TaskReader:
    """An app that reads the request body in tasks of its own (an anyio task group): what they raise reaches the
    middleware inside an exception group. ``extra`` is raised by one more task beside the readers."""

    def __init__(self, readers: int, extra: Exception | None = None, nested: bool = False) -> None:
        self.readers = readers
        self.extra = extra
        self.nested = nested
        self.seen: list[str] = []

    async def read(self, request: Request) -> None:
        try:
            await request.body()
        except ClientDisconnect:
            self.seen.append("ClientDisconnect")
            raise

    async def fail(self) -> None:
        assert self.extra is not None
        raise self.extra

    async def run(self, request: Request) -> None:
        async with anyio.create_task_group() as task_group:
            for _ in range(self.readers):
                task_group.start_soon(self.read, request)
            if self.extra is not None:
                task_group.start_soon(self.fail)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        if self.nested:
            async with anyio.create_task_group() as outer:
                outer.start_soon(self.run, request)
        else:
            await self.run(request)
        await PlainTextResponse("read")(scope, receive, send)


@pytest.mark.anyio
@pytest.mark.parametrize(("readers", "nested"), [(1, False), (2, False), (1, True)])
@pytest.mark.parametrize("mode", ["plain", "debug", "handler"])
async def test_disconnects_in_an_exception_group_are_quiet(readers: int, nested: bool, mode: str) -> None:
    app = TaskReader(readers, nested=nested)
    handler = Handler()
    middleware = ServerErrorMiddleware(app, handler=handler if mode == "handler" else None, debug=mode == "debug")
    sent = Recorder()
    await middleware(http_scope("POST"), cut_off_receiver(), sent)  # returns: nothing for the server to log
    assert app.seen == ["ClientDisconnect"] * readers
    assert sent.messages == []  # no 500
    assert handler.calls == 0


@pytest.mark.anyio
async def test_a_group_with_another_error_too_gets_a_500_and_is_reraised() -> None:
    app = TaskReader(1, extra=RuntimeError("a real bug"))
    sent = Recorder()
    with pytest.raises(BaseExceptionGroup) as info:
        await ServerErrorMiddleware(app)(http_scope("POST"), cut_off_receiver(), sent)
    assert info.value.split(RuntimeError)[0] is not None
    assert sent.start["status"] == 500
