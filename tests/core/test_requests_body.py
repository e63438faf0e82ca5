"""Request.body() reads receive directly: the same results as joining stream()."""

from __future__ import annotations

from typing import Any

import pytest

from starlette_core.requests import ClientDisconnect, Request
from starlette_core.types import Message


def make_scope() -> dict[str, Any]:
    return {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": []}


def receive_from(messages: list[Message]) -> Any:
    async def receive() -> Message:
        return messages.pop(0)

    return receive


@pytest.mark.anyio
async def test_body_of_many_chunks_matches_the_stream() -> None:
    chunks = [b"one ", b"", b"two ", b"three ", b"four"]

    def messages() -> list[Message]:
        return [
            {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1} for i, chunk in enumerate(chunks)
        ]

    streamed = b"".join([chunk async for chunk in Request(make_scope(), receive_from(messages())).stream()])
    body = await Request(make_scope(), receive_from(messages())).body()
    assert body == streamed == b"one two three four"


@pytest.mark.anyio
async def test_stream_skips_unknown_messages() -> None:
    messages: list[Message] = [
        {"type": "some.extension"},
        {"type": "http.request", "body": b"a", "more_body": True},
        {"type": "other.extension"},
        {"type": "http.request", "body": b"b"},
    ]
    request = Request(make_scope(), receive_from(messages))
    assert [chunk async for chunk in request.stream()] == [b"a", b"b", b""]


@pytest.mark.anyio
async def test_body_after_a_partial_stream_reads_the_rest() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"first", "more_body": True},
        {"type": "http.request", "body": b"second", "more_body": False},
    ]
    request = Request(make_scope(), receive_from(messages))
    stream = request.stream()
    assert await stream.__anext__() == b"first"
    await stream.aclose()
    assert await request.body() == b"second"


@pytest.mark.anyio
async def test_body_disconnect_marks_the_request() -> None:
    messages: list[Message] = [
        {"type": "http.request", "body": b"partial", "more_body": True},
        {"type": "http.disconnect"},
    ]
    request = Request(make_scope(), receive_from(messages))
    with pytest.raises(ClientDisconnect):
        await request.body()
    assert await request.is_disconnected()
