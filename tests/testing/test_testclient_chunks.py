"""TestClient: body chunks are the bytes they were when handed over, as upstream.

A server writes each chunk out as it is sent, so an app that reuses its buffer afterwards changes nothing the client
gets: the TestClient keeps a copy of a bytearray or memoryview body. The request body is read as the app asks for
it, and each chunk the app gets is bytes, copied when read (a generator may reuse its buffer); anything that is not
bytes-like is a TypeError in the app, as upstream (a 500 with ``raise_server_exceptions=False``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Callable

import pytest

from starlette_core.types import Message, Receive, Scope, Send
from starlette_testing.testclient import TestClient

TestClientFactory = Callable[..., TestClient]


async def respond_with_reused_buffers(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    buffer = bytearray(b"hello ")
    await send({"type": "http.response.body", "body": buffer, "more_body": True})
    buffer[:] = b"XXXXXX"
    view = memoryview(bytearray(b"world"))
    await send({"type": "http.response.body", "body": view, "more_body": True})
    view[:] = b"YYYYY"
    await send({"type": "http.response.body", "body": buffer, "more_body": False})
    buffer[:] = b"ZZZZZZ"


def test_response_chunks_are_copied(test_client_factory: TestClientFactory) -> None:
    response = test_client_factory(respond_with_reused_buffers).get("/")
    assert response.content == b"hello worldXXXXXX"


def test_head_response_body_is_not_read(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": "not bytes"})

    response = test_client_factory(app).head("/")
    assert (response.status_code, response.content) == (200, b"")


def test_response_body_that_is_not_bytes_is_a_type_error(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": "text"})

    with pytest.raises(TypeError):
        test_client_factory(app).get("/")
    # Raised by the app's send, after the response started: the status stands, without a body.
    response = test_client_factory(app, raise_server_exceptions=False).get("/")
    assert (response.status_code, response.content) == (200, b"")


def recording_app(received: list[Message]) -> Callable[..., Any]:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            # The app keeps what it was given (as a body parser would): a copy taken only now would hide a change.
            received.append(message)
            if not message["more_body"]:
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    return app


def test_request_chunks_are_bytes_of_their_own(test_client_factory: TestClientFactory) -> None:
    def body() -> Iterator[Any]:
        buffer = bytearray(b"abc")
        yield buffer
        buffer[:] = b"zzz"
        yield memoryview(b"def")
        yield b"ghi"
        buffer[:] = b"yyy"

    received: list[Message] = []
    response = test_client_factory(recording_app(received)).post("/", content=body())
    assert response.status_code == 200
    assert [(type(message["body"]), message["body"], message["more_body"]) for message in received] == [
        (bytes, b"abc", True),
        (bytes, b"def", True),
        (bytes, b"ghi", False),
    ]


def test_request_body_is_read_when_the_app_asks(test_client_factory: TestClientFactory) -> None:
    read: list[bytes] = []

    def body() -> Iterator[bytes]:
        read.append(b"a")
        yield b"a"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    assert test_client_factory(app).post("/", content=body()).text == "ok"
    assert read == []


def test_request_chunk_that_is_not_bytes_is_a_type_error_in_the_app(test_client_factory: TestClientFactory) -> None:
    def body() -> Iterator[Any]:
        yield "text"

    received: list[Message] = []
    with pytest.raises(TypeError):
        test_client_factory(recording_app(received)).post("/", content=body())
    response = test_client_factory(recording_app(received), raise_server_exceptions=False).post("/", content=body())
    assert response.status_code == 500
    assert received == []
