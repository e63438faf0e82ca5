"""A client that goes away in the middle of its request body (or form) is no server error.

Each test announces a bigger body than it sends, sends part of it and closes the socket, on every server kind. The
endpoint sees ``ClientDisconnect`` (the documented contract); nothing escapes the app into the server, no 500 is
sent, and the server logs no error and no traceback (its log records are captured through the root logger).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Callable

import anyio
import httpx
import pytest

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send
from tests.e2e.servers import serve

WAIT = 10.0  # seconds; each wait ends as soon as the server has done its part


@dataclass
class Watch:
    """What the app did with the cut-off request (written by the server thread, read by the test thread)."""

    entered: threading.Event = field(default_factory=threading.Event)
    finished: threading.Event = field(default_factory=threading.Event)
    seen: list[str] = field(default_factory=list)  # what the endpoint's read raised
    sent: list[Message] = field(default_factory=list)  # what the app sent the server
    escaped: list[BaseException] = field(default_factory=list)  # what the app raised into the server


class WatchedApp:
    """A Starlette app whose endpoints read the body, the stream or the form, inside a raw ASGI layer that records
    what the app sends to and raises into the server."""

    def __init__(self, watch: Watch) -> None:
        self.watch = watch
        self.app = Starlette(
            routes=[
                Route("/body", self.read_body, methods=["POST"]),
                Route("/stream", self.read_stream, methods=["POST"]),
                Route("/form", self.read_form, methods=["POST"]),
                Route("/in-a-task", self.read_in_a_task, methods=["POST"]),
                Route("/ok", self.ok),
            ]
        )

    async def read_body(self, request: Request) -> Response:
        async def read() -> int:
            return len(await request.body())

        return await self.reading(read)

    async def read_stream(self, request: Request) -> Response:
        async def read() -> int:
            return sum([len(chunk) async for chunk in request.stream()])

        return await self.reading(read)

    async def read_form(self, request: Request) -> Response:
        async def read() -> int:
            async with request.form() as form:
                return len(form)

        return await self.reading(read)

    async def read_in_a_task(self, request: Request) -> Response:
        # The body read in a task of the endpoint's own: what it raises comes out of the task group in a group.
        sizes: list[int] = []

        async def read_into_sizes() -> None:
            sizes.append(len(await request.body()))

        async def read() -> int:
            async with anyio.create_task_group() as task_group:
                task_group.start_soon(read_into_sizes)
            return sizes[0]

        return await self.reading(read)

    async def reading(self, read: Callable[[], Awaitable[int]]) -> Response:
        self.watch.entered.set()
        try:
            size = await read()
        except BaseException as exc:  # recorded, then left to the app's own layers, as an endpoint would
            self.watch.seen.append(type(exc).__name__)
            raise
        return PlainTextResponse(f"read {size}")

    async def ok(self, request: Request) -> Response:
        return PlainTextResponse("ok")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == "/ok":
            await self.app(scope, receive, send)
            return

        async def recording_send(message: Message) -> None:
            self.watch.sent.append(message)
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except BaseException as exc:
            self.watch.escaped.append(exc)
            raise
        finally:
            self.watch.finished.set()


MULTIPART_HEAD = (
    b"--e2e-cut\r\n"
    b'Content-Disposition: form-data; name="note"\r\n\r\n'
    b"hello\r\n"
    b"--e2e-cut\r\n"
    b'Content-Disposition: form-data; name="upload"; filename="big.bin"\r\n'
    b"Content-Type: application/octet-stream\r\n\r\n"
)
CUT_REQUESTS = {
    "body": ("/body", b"application/octet-stream", b"x" * 5_000),
    "stream": ("/stream", b"application/octet-stream", b"x" * 5_000),
    "multipart form": ("/form", b"multipart/form-data; boundary=e2e-cut", MULTIPART_HEAD + b"y" * 5_000),
    "urlencoded form": ("/form", b"application/x-www-form-urlencoded", b"name=value&other=" + b"z" * 5_000),
    "body read in a task group": ("/in-a-task", b"application/octet-stream", b"x" * 5_000),
}


def cut_off(port: int, path: str, content_type: bytes, partial: bytes, watch: Watch) -> None:
    """Announce 100,000 bytes, send ``partial``, wait until the endpoint runs, and hang up."""
    head = (
        b"POST " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + content_type + b"\r\n"
        b"Content-Length: 100000\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as client:
        client.sendall(head + partial)
        assert watch.entered.wait(WAIT), "the endpoint never ran"
    assert watch.finished.wait(WAIT), "the app did not finish after the client left"


def problems_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING or record.exc_info]


@pytest.mark.parametrize("kind", CUT_REQUESTS)
def test_a_request_cut_off_mid_body_is_no_server_error(
    server_kind: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    watch = Watch()
    path, content_type, partial = CUT_REQUESTS[kind]
    with serve(server_kind, WatchedApp(watch)) as server:
        cut_off(server.port, path, content_type, partial, watch)
        # the server is none the worse: the next client is answered
        with httpx.Client(base_url=server.url, timeout=WAIT) as client:
            assert client.get("/ok").text == "ok"
    # (the server thread has ended: everything it was going to log is in caplog)
    # (anyio's task group raises what its task raised in an exception group)
    assert watch.seen == ["ExceptionGroup" if kind == "body read in a task group" else "ClientDisconnect"]
    assert problems_logged(caplog) == []
    assert watch.escaped == []  # nothing for the server to log
    assert watch.sent == []  # no 500: there is nobody to answer


def test_a_cut_off_chunked_body_is_no_server_error(server_kind: str, caplog: pytest.LogCaptureFixture) -> None:
    watch = Watch()
    head = b"POST /body HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n"
    with serve(server_kind, WatchedApp(watch)) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as client:
            client.sendall(head + b"5\r\nhello\r\n")  # no last chunk
            assert watch.entered.wait(WAIT), "the endpoint never ran"
        assert watch.finished.wait(WAIT), "the app did not finish after the client left"
    assert watch.seen == ["ClientDisconnect"]
    assert problems_logged(caplog) == []
    assert watch.escaped == []
    assert watch.sent == []
