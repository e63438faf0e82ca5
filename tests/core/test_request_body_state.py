"""``starlette_core._request_body``: what a layer passing the body on can learn about how far a Request has got."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import pytest

from starlette_core._request_body import cached_body, is_stream_consumed
from starlette_core.requests import Request
from starlette_core.types import Message


def make_request(messages: list[Message]) -> Request:
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": []}

    async def receive() -> Message:
        return messages.pop(0)

    return Request(scope, receive)


def two_chunks() -> list[Message]:
    return [
        {"type": "http.request", "body": b"first ", "more_body": True},
        {"type": "http.request", "body": b"second", "more_body": False},
    ]


def test_a_fresh_request_has_neither_a_cached_body_nor_a_consumed_stream() -> None:
    request = make_request(two_chunks())
    assert cached_body(request) is None
    assert is_stream_consumed(request) is False


@pytest.mark.anyio
async def test_after_body_the_body_is_cached_and_the_stream_consumed() -> None:
    request = make_request(two_chunks())
    body = await request.body()
    assert cached_body(request) == body == b"first second"
    assert is_stream_consumed(request) is True


@pytest.mark.anyio
async def test_an_empty_body_is_cached_as_empty_bytes_not_none() -> None:
    request = make_request([{"type": "http.request", "body": b"", "more_body": False}])
    assert await request.body() == b""
    assert cached_body(request) == b""
    assert is_stream_consumed(request) is True


@pytest.mark.anyio
async def test_a_partly_read_stream_is_not_consumed() -> None:
    request = make_request(two_chunks())
    stream = request.stream()
    assert await stream.__anext__() == b"first "
    await stream.aclose()
    assert cached_body(request) is None
    assert is_stream_consumed(request) is False


@pytest.mark.anyio
async def test_a_fully_read_stream_is_consumed_but_nothing_is_cached() -> None:
    request = make_request(two_chunks())
    assert [chunk async for chunk in request.stream()] == [b"first ", b"second", b""]
    assert cached_body(request) is None
    assert is_stream_consumed(request) is True


@pytest.mark.anyio
async def test_a_subclass_that_reshapes_the_stream_has_its_body_cached() -> None:
    class UpperRequest(Request):
        async def stream(self) -> AsyncGenerator[bytes, None]:
            async for chunk in super().stream():
                yield chunk.upper()

    messages = two_chunks()
    scope: dict[str, Any] = {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": []}

    async def receive() -> Message:
        return messages.pop(0)

    request = UpperRequest(scope, receive)
    assert await request.body() == b"FIRST SECOND"
    assert cached_body(request) == b"FIRST SECOND"
    assert is_stream_consumed(request) is True
