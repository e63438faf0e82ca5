"""GZipMiddleware: minimum size, compresslevel, streaming, exclusions, Vary, bad Accept-Encoding."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from typing import Any, Callable

import httpx
import pytest

from starlette_core.background import BackgroundTask
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response, StreamingResponse
from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipMiddleware,
    GZipResponder,
    IdentityResponder,
    unattached_send,
)

from ._helpers import Recorder, http_scope, receiver

TestClientFactory = Callable[..., Any]

BIG = "x" * 4000


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    request = Request(scope, receive)
    size = int(request.query_params.get("size", "4000"))
    headers = {}
    if "encoding" in request.query_params:
        headers["Content-Encoding"] = request.query_params["encoding"]
    if "vary" in request.query_params:
        headers["Vary"] = request.query_params["vary"]
    await PlainTextResponse("x" * size, headers=headers)(scope, receive, send)


async def streaming_app(scope: Scope, receive: Receive, send: Send) -> None:
    media_type = Request(scope).query_params.get("type", "text/plain")

    async def numbers() -> AsyncIterator[bytes]:
        for number in range(10):
            yield (str(number) * 100).encode()

    await StreamingResponse(numbers(), media_type=media_type, headers={"Content-Length": "1000"})(scope, receive, send)


def raw_get(client: Any, url: str, accept_encoding: bytes | None = b"gzip") -> Any:
    """GET with exactly this Accept-Encoding (None: no such header), keeping the body as sent."""
    request = client.build_request("GET", url)
    raw = [(key, value) for key, value in request.headers.raw if key.lower() != b"accept-encoding"]
    if accept_encoding is not None:
        raw.append((b"accept-encoding", accept_encoding))
    request.headers = httpx.Headers(raw)
    response = client.send(request, stream=True)
    try:
        response.raw_body = b"".join(response.iter_raw())
    finally:
        response.close()
    return response


def test_constants() -> None:
    # Upstream 1.x's list (0.47.3 has only text/event-stream): see tests/middleware/test_gzip_options.py.
    assert "text/event-stream" in DEFAULT_EXCLUDED_CONTENT_TYPES
    assert "image/png" in DEFAULT_EXCLUDED_CONTENT_TYPES


def test_compresses_large_responses(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(GZipMiddleware(app))
    response = raw_get(client, "/")
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert int(response.headers["content-length"]) == len(response.raw_body) < 4000
    assert gzip.decompress(response.raw_body) == BIG.encode()
    # httpx decodes it transparently.
    assert client.get("/", headers={"accept-encoding": "gzip, deflate"}).text == BIG


def test_small_responses_are_not_compressed(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(GZipMiddleware(app, minimum_size=500))
    response = raw_get(client, "/?size=499")
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers
    assert response.raw_body == b"x" * 499
    assert raw_get(client, "/?size=500").headers["content-encoding"] == "gzip"


def test_minimum_size_zero_compresses_an_empty_body(test_client_factory: TestClientFactory) -> None:
    response = raw_get(test_client_factory(GZipMiddleware(app, minimum_size=0)), "/?size=0")
    assert response.headers["content-encoding"] == "gzip"
    assert gzip.decompress(response.raw_body) == b""


def test_compresslevel(test_client_factory: TestClientFactory) -> None:
    text = "".join(f"{n}:{n * 7919 % 1000}," for n in range(2000))

    async def text_app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(text)(scope, receive, send)

    fast = raw_get(test_client_factory(GZipMiddleware(text_app, compresslevel=1)), "/")
    best = raw_get(test_client_factory(GZipMiddleware(text_app, compresslevel=9)), "/")
    assert gzip.decompress(fast.raw_body) == gzip.decompress(best.raw_body) == text.encode()
    assert len(best.raw_body) < len(fast.raw_body)


def test_client_without_gzip_gets_identity_but_vary(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(GZipMiddleware(app))
    for accept_encoding in (None, b"identity", b"br, deflate"):
        response = raw_get(client, "/?vary=Cookie", accept_encoding=accept_encoding)
        assert "content-encoding" not in response.headers
        assert response.headers["vary"] == "Cookie, Accept-Encoding"
        assert response.headers["content-length"] == "4000"
        assert response.raw_body == BIG.encode()


def test_already_encoded_response_is_left_alone(test_client_factory: TestClientFactory) -> None:
    response = raw_get(test_client_factory(GZipMiddleware(app)), "/?encoding=br")
    assert response.headers["content-encoding"] == "br"
    assert "vary" not in response.headers
    assert response.raw_body == BIG.encode()


def test_streaming_response_is_compressed(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(GZipMiddleware(streaming_app))
    response = raw_get(client, "/")
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["vary"] == "Accept-Encoding"
    assert "content-length" not in response.headers
    assert gzip.decompress(response.raw_body) == b"".join((str(n) * 100).encode() for n in range(10))


def test_streaming_response_for_identity_client(test_client_factory: TestClientFactory) -> None:
    response = raw_get(test_client_factory(GZipMiddleware(streaming_app)), "/", accept_encoding=None)
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"
    assert response.raw_body == b"".join((str(n) * 100).encode() for n in range(10))


def test_event_stream_is_not_compressed(test_client_factory: TestClientFactory) -> None:
    response = raw_get(test_client_factory(GZipMiddleware(streaming_app)), "/?type=text/event-stream")
    assert "content-encoding" not in response.headers
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.raw_body == b"".join((str(n) * 100).encode() for n in range(10))


@pytest.mark.anyio
async def test_streaming_chunks_go_out_as_they_come() -> None:
    """Each part the app sends is passed on at once (compressed), not held back until the end."""
    sent = Recorder()
    seen_before_next_part: list[int] = []

    async def parts_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for _number in range(3):
            await send({"type": "http.response.body", "body": b"data" * 300, "more_body": True})
            seen_before_next_part.append(len(sent.messages))
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    scope = http_scope(headers=[(b"accept-encoding", b"gzip")])
    await GZipMiddleware(parts_app)(scope, receiver(), sent)
    assert seen_before_next_part == [2, 3, 4]
    assert sent.headers[b"content-encoding"] == b"gzip"
    assert gzip.decompress(sent.body) == b"data" * 900


def test_background_task_still_runs(test_client_factory: TestClientFactory) -> None:
    ran: list[bool] = []

    async def background_app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(BIG, background=BackgroundTask(ran.append, True))(scope, receive, send)

    assert test_client_factory(GZipMiddleware(background_app)).get("/").text == BIG
    assert ran == [True]


@pytest.mark.parametrize(
    "accept_encoding",
    [
        b"",
        b",,,;;;",
        b"gzip;q=abc",
        b"\xff\xfe\x00gzip",
        b"*",
        b"GZIP",
        b"x" * 10000,
        b"gzip;q=0.5, deflate;q=\xff",
    ],
)
def test_malformed_accept_encoding_never_causes_a_500(
    test_client_factory: TestClientFactory, accept_encoding: bytes
) -> None:
    response = raw_get(test_client_factory(GZipMiddleware(app)), "/", accept_encoding=accept_encoding)
    assert response.status_code == 200
    if response.headers.get("content-encoding") == "gzip":
        assert gzip.decompress(response.raw_body) == BIG.encode()
    else:
        assert response.raw_body == BIG.encode()


def test_websocket_passes_through(test_client_factory: TestClientFactory) -> None:
    async def ws_app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_text(BIG)
        await websocket.close()

    client = test_client_factory(GZipMiddleware(ws_app))
    with client.websocket_connect("/", headers={"accept-encoding": "gzip"}) as websocket:
        assert websocket.receive_text() == BIG


@pytest.mark.anyio
@pytest.mark.parametrize("accept_encoding", [b"gzip", b"identity"])
async def test_pathsend_is_not_compressed(accept_encoding: bytes) -> None:
    async def pathsend_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": ((b"content-length", b"9000"),)})
        await send({"type": "http.response.pathsend", "path": "/some/file"})

    sent = Recorder()
    scope = http_scope(headers=[(b"accept-encoding", accept_encoding)])
    await GZipMiddleware(pathsend_app)(scope, receiver(), sent)
    assert sent.messages == [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"9000")]},
        {"type": "http.response.pathsend", "path": "/some/file"},
    ]


@pytest.mark.anyio
async def test_other_messages_pass_through() -> None:
    async def debug_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.debug", "info": {"template": "t", "context": {}}})
        await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})
        await send({"type": "http.response.body", "body": BIG.encode()})
        await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"1")]})

    sent = Recorder()
    await GZipMiddleware(debug_app)(http_scope(headers=[(b"accept-encoding", b"gzip")]), receiver(), sent)
    assert sent.types == [
        "http.response.debug",
        "http.response.start",
        "http.response.body",
        "http.response.trailers",
    ]
    assert gzip.decompress(sent.body) == BIG.encode()
    assert sent.headers[b"content-encoding"] == b"gzip"


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def lifespan_app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    await GZipMiddleware(lifespan_app)({"type": "lifespan"}, receiver(), Recorder())
    assert seen == ["lifespan"]


@pytest.mark.anyio
async def test_responders_directly() -> None:
    sent = Recorder()
    await IdentityResponder(app, minimum_size=10)(http_scope(), receiver(), sent)
    assert sent.body == BIG.encode()
    assert sent.headers[b"vary"] == b"Accept-Encoding"

    responder = GZipResponder(app, minimum_size=10, compresslevel=6)
    assert responder.content_encoding == "gzip"
    part = responder.apply_compression(b"abc" * 100, more_body=True)
    rest = responder.apply_compression(b"def", more_body=False)
    assert gzip.decompress(part + rest) == b"abc" * 100 + b"def"
    assert IdentityResponder(app, 0).apply_compression(b"same", more_body=False) == b"same"


@pytest.mark.anyio
async def test_unattached_send() -> None:
    with pytest.raises(RuntimeError, match="send awaitable not set"):
        await unattached_send({"type": "http.response.start"})


def test_head_request(test_client_factory: TestClientFactory) -> None:
    async def head_app(scope: Scope, receive: Receive, send: Send) -> None:
        await Response(BIG, media_type="text/plain")(scope, receive, send)

    response = test_client_factory(GZipMiddleware(head_app)).head("/", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"


@pytest.mark.anyio
async def test_message_without_body_key() -> None:
    async def no_body_app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "more_body": True})
        await send({"type": "http.response.body"})

    sent = Recorder()
    await GZipMiddleware(no_body_app, minimum_size=0)(
        http_scope(headers=[(b"accept-encoding", b"gzip")]), receiver(), sent
    )
    assert gzip.decompress(sent.body) == b""
    message: Message = sent.messages[-1]
    assert message["type"] == "http.response.body"
