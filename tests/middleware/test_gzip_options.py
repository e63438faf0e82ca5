"""GZipMiddleware's upstream 1.x additions: ``exclude_content_types`` (and its wider default), ``thread_minimum_size``
(big parts compressed in a worker thread), partial responses (206) and trailers passed through, each part of a
stream flushed, and ``GZipResponder.compressor``."""

from __future__ import annotations

import gzip
import inspect
import threading
import zlib
from typing import Any

import anyio
import pytest

from starlette_core.types import Message, Receive, Scope, Send
from starlette_middleware.gzip import (
    DEFAULT_EXCLUDED_CONTENT_TYPES,
    GZipMiddleware,
    GZipResponder,
    IdentityResponder,
)

from ._helpers import Recorder, http_scope, receiver

BODY = b"compressible " * 100
GZIP_REQUEST = [(b"accept-encoding", b"gzip")]


def responding(*messages: Message) -> Any:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for message in messages:
            copied = dict(message)
            if "headers" in copied:
                copied["headers"] = list(copied["headers"])
            await send(copied)

    return app


def start(content_type: bytes | None = b"text/plain", status: int = 200, **extra: Any) -> Message:
    headers = [] if content_type is None else [(b"content-type", content_type)]
    headers.append((b"content-length", str(len(BODY)).encode()))
    return {"type": "http.response.start", "status": status, "headers": headers, **extra}


def body(data: bytes = BODY, more_body: bool = False) -> Message:
    return {"type": "http.response.body", "body": data, "more_body": more_body}


async def run(app: Any, request_headers: list[tuple[bytes, bytes]] = GZIP_REQUEST, **options: Any) -> Recorder:
    sent = Recorder()
    await GZipMiddleware(app, **options)(http_scope(headers=request_headers), receiver(), sent)
    return sent


def compressed(sent: Recorder) -> bool:
    return sent.headers.get(b"content-encoding") == b"gzip"


def test_signatures_and_defaults() -> None:
    assert list(inspect.signature(GZipMiddleware).parameters) == [
        "app",
        "minimum_size",
        "compresslevel",
        "thread_minimum_size",
        "exclude_content_types",
    ]
    middleware = GZipMiddleware(responding())
    assert middleware.thread_minimum_size == 128 * 1024
    assert middleware.exclude_content_types == DEFAULT_EXCLUDED_CONTENT_TYPES
    parameters = inspect.signature(GZipResponder).parameters
    assert parameters["thread_minimum_size"].kind is inspect.Parameter.KEYWORD_ONLY
    assert parameters["exclude_content_types"].kind is inspect.Parameter.KEYWORD_ONLY
    responder = GZipResponder(responding(), 10)
    assert (responder.thread_minimum_size, responder.exclude_content_types) == (
        128 * 1024,
        DEFAULT_EXCLUDED_CONTENT_TYPES,
    )
    assert IdentityResponder(responding(), 10, exclude_content_types=("a/b",)).exclude_content_types == ("a/b",)
    assert DEFAULT_EXCLUDED_CONTENT_TYPES == (
        "application/grpc",
        "application/gzip",
        "application/x-gzip",
        "application/zip",
        "audio/*",
        "font/woff",
        "font/woff2",
        "image/avif",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "text/event-stream",
        "video/*",
    )


@pytest.mark.anyio
@pytest.mark.parametrize(
    "content_type",
    [
        b"image/png",
        b"IMAGE/PNG",
        b"image/png; charset=x",
        b" image/png ",
        b"audio/mpeg",
        b"Video/MP4;codecs=avc1",
        b"video",
        b"audio/",
        b"font/woff2",
        b"application/zip",
        b"application/grpc",
        b"application/grpc+proto",
        b"APPLICATION/GRPC+JSON; x=1",
        b"text/event-stream; charset=utf-8",
    ],
)
async def test_excluded_by_default(content_type: bytes) -> None:
    sent = await run(responding(start(content_type), body()))
    assert not compressed(sent)
    # Not a candidate at all: no Vary either.
    assert b"vary" not in sent.headers
    assert sent.body == BODY


@pytest.mark.anyio
@pytest.mark.parametrize(
    "content_type",
    [
        b"text/plain",
        b"image/svg+xml",
        b"image/pngx",
        b"text/event-streamx",  # (0.47.3 matches a prefix and excludes this one)
        b"application/grpc-web",
        b"application/zip+x",
        b"videox/mp4",
        b"",
        b"\xff/\xfe",
        None,
    ],
)
async def test_not_excluded_by_default(content_type: bytes | None) -> None:
    sent = await run(responding(start(content_type), body()))
    assert compressed(sent)
    assert gzip.decompress(sent.body) == BODY


@pytest.mark.anyio
async def test_exclude_content_types() -> None:
    cases: list[tuple[Any, bytes, bool]] = [
        ((), b"image/png", True),
        ((), b"application/grpc+proto", True),
        (("text/*",), b"text/plain", False),
        (("text/*",), b"text/html+x", False),
        (("text/*",), b"image/png", True),
        (["Text/Plain; q=1"], b"text/plain", False),
        (("text/plain",), b"text/plainx", True),
        (("text/plain",), b"text/plain+x", True),
        (("text/",), b"text/plain", True),
        (("*",), b"text/plain", True),
        (("*/*",), b"text/plain", True),
        (("application/grpc",), b"application/grpc+proto", False),
        (("application/*",), b"application/json", False),
        (("",), b"", False),
    ]
    for exclude_content_types, content_type, expected in cases:
        sent = await run(responding(start(content_type), body()), exclude_content_types=exclude_content_types)
        assert compressed(sent) is expected, (exclude_content_types, content_type)


@pytest.mark.anyio
async def test_exclusions_for_an_identity_client_and_the_responders() -> None:
    sent = await run(responding(start(b"image/png"), body()), request_headers=[])
    assert b"vary" not in sent.headers
    sent = await run(responding(start(b"text/plain"), body()), request_headers=[])
    assert sent.headers[b"vary"] == b"Accept-Encoding"
    for responder in (
        GZipResponder(responding(start(b"text/plain"), body()), 10, exclude_content_types=("text/plain",)),
        IdentityResponder(responding(start(b"text/plain"), body()), 10, exclude_content_types=("text/plain",)),
    ):
        sent = Recorder()
        await responder(http_scope(headers=GZIP_REQUEST), receiver(), sent)
        assert (sent.headers.get(b"vary"), sent.body) == (None, BODY)


@pytest.mark.anyio
@pytest.mark.parametrize("request_headers", [GZIP_REQUEST, []])
async def test_a_partial_response_passes_through(request_headers: list[tuple[bytes, bytes]]) -> None:
    for messages in ([body()], [body(more_body=True), body(b"rest")], [body(b"small")]):
        app = responding(start(status=206), *messages)
        sent = await run(app, request_headers=request_headers, minimum_size=1)
        assert sent.messages == [start(status=206), *messages]


@pytest.mark.anyio
async def test_trailers_pass_through() -> None:
    trailers: Message = {"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")], "more_trailers": False}
    sent = await run(responding(start(trailers=True), body(), trailers))
    assert sent.types == ["http.response.start", "http.response.body", "http.response.trailers"]
    assert sent.messages[0]["trailers"] is True
    assert gzip.decompress(sent.body) == BODY
    # A body followed by trailers goes out in chunks: no Content-Length for the compressed one.
    assert b"content-length" not in sent.headers
    assert sent.messages[-1] == trailers

    sent = await run(responding(start(trailers=True), body(more_body=True), body(b"end"), trailers))
    assert sent.types[-1] == "http.response.trailers"
    assert gzip.decompress(sent.body) == BODY + b"end"

    # Not compressed (too small, identity client, excluded): the headers are the app's.
    for app, request_headers in (
        (responding(start(trailers=True), body(b"small"), trailers), GZIP_REQUEST),
        (responding(start(trailers=True), body(), trailers), []),
        (responding(start(b"image/png", trailers=True), body(), trailers), GZIP_REQUEST),
    ):
        sent = await run(app, request_headers=request_headers)
        assert sent.headers[b"content-length"] == str(len(BODY)).encode()
        assert sent.messages[-1] == trailers

    # trailers: False is no trailers.
    sent = await run(responding(start(trailers=False), body()))
    assert sent.headers[b"content-length"] == str(len(sent.body)).encode()


@pytest.mark.anyio
async def test_each_part_of_a_stream_is_flushed() -> None:
    parts = [b"first part " * 50, b"second " * 80, b"", b"third " * 10]
    sent = await run(responding(start(), *(body(part, more_body=True) for part in parts), body(b"last")))
    decompressor = zlib.decompressobj(31)
    for part, message in zip(parts, sent.messages[1:]):
        # Everything sent so far can be decompressed from what has come out so far.
        assert decompressor.decompress(message["body"]) == part
    assert decompressor.decompress(sent.messages[-1]["body"]) == b"last"
    assert decompressor.eof


class RecordingThreads(GZipResponder):
    """A GZipResponder that notes, for each part it compresses, its size and whether it ran off the event loop."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[int, bool]] = []

    def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
        self.calls.append((len(body), threading.current_thread() is not threading.main_thread()))
        return super().apply_compression(body, more_body=more_body)


@pytest.mark.anyio
async def test_parts_of_thread_minimum_size_or_more_are_compressed_in_a_worker_thread() -> None:
    big, small = b"b" * 1000, b"s" * 999
    app = responding(start(), body(small, more_body=True), body(big, more_body=True), body(big + b"!"))
    responder = RecordingThreads(app, 10, thread_minimum_size=1000)
    sent = Recorder()
    await responder(http_scope(headers=GZIP_REQUEST), receiver(), sent)
    assert responder.calls == [(999, False), (1000, True), (1001, True)]
    assert gzip.decompress(sent.body) == small + big + big + b"!"

    # The first part too, and a single-part body.
    for messages in ([body(big)], [body(big, more_body=True), body(b"")]):
        responder = RecordingThreads(responding(start(), *messages), 10, thread_minimum_size=1000)
        sent = Recorder()
        await responder(http_scope(), receiver(), sent)
        assert responder.calls[0] == (1000, True)
        assert sent.headers[b"content-encoding"] == b"gzip"
        assert gzip.decompress(sent.body) == big


@pytest.mark.anyio
async def test_thread_minimum_size_through_the_middleware() -> None:
    big = bytes(range(256)) * 1000
    for thread_minimum_size in (0, 1000, 10**9):
        sent = await run(
            responding(start(), body(big, more_body=True), body(big)), thread_minimum_size=thread_minimum_size
        )
        assert gzip.decompress(sent.body) == big + big
    # An identity client: nothing to compress, nothing goes to a thread.
    sent = await run(responding(start(), body(big)), request_headers=[], thread_minimum_size=0)
    assert sent.body == big


@pytest.mark.anyio
async def test_many_responses_compressed_in_threads_at_once() -> None:
    big = b"0123456789" * 10_000
    results: list[bytes] = []

    async def one() -> None:
        sent = await run(responding(start(), body(big, more_body=True), body(big)), thread_minimum_size=1)
        results.append(gzip.decompress(sent.body))

    async with anyio.create_task_group() as group:
        for _ in range(50):
            group.start_soon(one)
    assert results == [big + big] * 50


def test_compressor() -> None:
    responder = GZipResponder(responding(), 10, compresslevel=1)
    assert responder._compressor is None  # made when first needed
    compressor = responder.compressor
    assert responder.compressor is compressor
    assert gzip.decompress(compressor.compress(b"data") + compressor.flush()) == b"data"
    with pytest.raises(AttributeError):
        responder.compressor = compressor  # type: ignore[misc]


@pytest.mark.anyio
async def test_apply_compression_stays_a_plain_method_for_subclasses() -> None:
    # (0.47.3's API; upstream 1.x made it a coroutine.)  A subclass with an encoding of its own keeps working.
    assert not inspect.iscoroutinefunction(IdentityResponder.apply_compression)
    assert not inspect.iscoroutinefunction(GZipResponder.apply_compression)

    class Reversing(IdentityResponder):
        content_encoding = "reversed"

        def apply_compression(self, body: bytes, *, more_body: bool) -> bytes:
            return body[::-1]

    sent = Recorder()
    await Reversing(responding(start(), body(b"abc" * 200)), 10)(http_scope(), receiver(), sent)
    assert sent.headers[b"content-encoding"] == b"reversed"
    assert sent.body == b"cba" * 200
