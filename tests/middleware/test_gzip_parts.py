"""GZipMiddleware: body parts after a small final one (an app that breaks the protocol) are handled as any later
part of the response: compressed unless the response is already encoded or excluded."""

from __future__ import annotations

import gzip
from typing import Any

import pytest

from starlette_core.types import Receive, Scope, Send
from starlette_middleware.gzip import GZipMiddleware

from ._helpers import Recorder, http_scope, receiver


def app_sending(headers: list[tuple[bytes, bytes]]) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"small"})
        await send({"type": "http.response.body", "body": b"more" * 100, "more_body": True})
        await send({"type": "http.response.body"})

    return app


@pytest.mark.anyio
async def test_parts_after_a_small_final_part_are_compressed() -> None:
    sent = Recorder()
    scope = http_scope(headers=[(b"accept-encoding", b"gzip")])
    await GZipMiddleware(app_sending([(b"content-type", b"text/plain")]))(scope, receiver(), sent)
    assert sent.messages[0]["headers"] == [(b"content-type", b"text/plain")]
    assert sent.messages[1] == {"type": "http.response.body", "body": b"small"}
    assert gzip.decompress(sent.messages[2]["body"] + sent.messages[3]["body"]) == b"more" * 100


@pytest.mark.anyio
@pytest.mark.parametrize(
    "headers",
    [
        [(b"content-encoding", b"br")],
        [(b"content-type", b"text/event-stream"), (b"content-type", b"text/plain")],
    ],
)
async def test_parts_after_a_small_final_part_of_an_excluded_response(headers: list[tuple[bytes, bytes]]) -> None:
    sent = Recorder()
    scope = http_scope(headers=[(b"accept-encoding", b"gzip")])
    await GZipMiddleware(app_sending(list(headers)))(scope, receiver(), sent)
    assert sent.messages[0]["headers"] == headers
    assert sent.messages[1:] == [
        {"type": "http.response.body", "body": b"small"},
        {"type": "http.response.body", "body": b"more" * 100, "more_body": True},
        {"type": "http.response.body"},
    ]


@pytest.mark.anyio
async def test_parts_after_a_small_final_part_for_an_identity_client() -> None:
    sent = Recorder()
    await GZipMiddleware(app_sending([]))(http_scope(), receiver(), sent)
    assert sent.messages[1:] == [
        {"type": "http.response.body", "body": b"small"},
        {"type": "http.response.body", "body": b"more" * 100, "more_body": True},
        {"type": "http.response.body", "body": b""},
    ]


@pytest.mark.anyio
async def test_only_the_first_content_type_counts() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/plain"), (b"content-type", b"text/event-stream")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"x" * 1000})

    sent = Recorder()
    await GZipMiddleware(app)(http_scope(headers=[(b"accept-encoding", b"gzip")]), receiver(), sent)
    assert sent.headers[b"content-encoding"] == b"gzip"
    assert gzip.decompress(sent.body) == b"x" * 1000


@pytest.mark.anyio
async def test_a_responder_subclass_with_its_own_send_with_compression_gets_the_messages() -> None:
    from starlette_core.types import Message
    from starlette_middleware.gzip import GZipResponder

    seen: list[str] = []

    class Watching(GZipResponder):
        async def send_with_compression(self, message: Message) -> None:
            seen.append(message["type"])
            await super().send_with_compression(message)

    sent = Recorder()
    responder = Watching(app_sending([(b"content-type", b"text/plain")]), minimum_size=10)
    await responder(http_scope(headers=[(b"accept-encoding", b"gzip")]), receiver(), sent)
    assert seen == ["http.response.start", "http.response.body", "http.response.body", "http.response.body"]
    assert sent.messages[0]["type"] == "http.response.start"
    assert sent.messages[1] == {"type": "http.response.body", "body": b"small"}
    assert gzip.decompress(sent.messages[2]["body"] + sent.messages[3]["body"]) == b"more" * 100
