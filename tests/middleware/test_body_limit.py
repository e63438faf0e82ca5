"""``starlette_middleware.body_limit``: RequestBodyLimitMiddleware, RequestBodyLimitResponder, the scope key."""

from __future__ import annotations

import inspect
from collections.abc import Iterator
from typing import Any, Callable

import pytest

from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette_middleware.body_limit import (
    MAX_BODY_SIZE_SCOPE_KEY,
    RequestBodyLimitMiddleware,
    RequestBodyLimitResponder,
)
from starlette_middleware.exceptions import ExceptionMiddleware
from tests.middleware._helpers import Recorder, http_scope, receiver

TestClientFactory = Callable[..., Any]

REFUSED = (413, b"Content Too Large")


def content_length(value: bytes) -> list[tuple[bytes, bytes]]:
    return [(b"content-length", value)]


def chunks(size: int, count: int) -> Iterator[bytes]:
    for _ in range(count):
        yield b"x" * size


class Reader:
    """An ASGI app that reads the whole body, then answers with its size; it remembers what it saw."""

    def __init__(self) -> None:
        self.chunks: list[int] = []
        self.limits: list[object] = []
        self.errors: list[HTTPException] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.limits.append(scope.get(MAX_BODY_SIZE_SCOPE_KEY, "absent"))
        more = True
        try:
            while more:
                message = await receive()
                self.chunks.append(len(message.get("body", b"")))
                more = message.get("more_body", False)
        except HTTPException as exc:
            self.errors.append(exc)
            raise
        await PlainTextResponse(f"read {sum(self.chunks)}")(scope, receive, send)


def answered(recorder: Recorder) -> tuple[int, bytes]:
    return recorder.start["status"], recorder.body


async def upload(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await PlainTextResponse(f"read {len(body)}")(scope, receive, send)


def test_the_module_offers_upstreams_names() -> None:
    assert MAX_BODY_SIZE_SCOPE_KEY == "starlette.max_body_size"
    assert str(inspect.signature(RequestBodyLimitMiddleware)) == "(app: 'ASGIApp', max_body_size: 'int') -> 'None'"
    assert str(inspect.signature(RequestBodyLimitResponder)) == "(app: 'ASGIApp', max_body_size: 'int') -> 'None'"


@pytest.mark.anyio
@pytest.mark.parametrize("body", [[b"x" * 10], [b"x" * 5, b"x" * 5], [b""]])
async def test_bodies_up_to_the_limit_pass(body: list[bytes]) -> None:
    reader = Reader()
    recorder = Recorder()
    size = sum(map(len, body))
    await RequestBodyLimitMiddleware(reader, 10)(
        http_scope("POST", headers=content_length(b"%d" % size)), receiver(body), recorder
    )
    assert answered(recorder) == (200, b"read %d" % size)
    assert reader.limits == [10]


@pytest.mark.anyio
async def test_declared_body_over_the_limit_is_refused_when_read() -> None:
    reader = Reader()
    recorder = Recorder()
    scope = http_scope("POST", headers=content_length(b"11"))
    await RequestBodyLimitMiddleware(reader, 10)(scope, receiver([b"x" * 11]), recorder)
    assert answered(recorder) == REFUSED
    assert recorder.headers[b"connection"] == b"close"
    assert reader.chunks == []  # refused before a byte of it was received
    [error] = reader.errors
    assert (error.status_code, error.detail) == (413, "Content Too Large")


@pytest.mark.anyio
async def test_streamed_body_is_refused_as_it_arrives() -> None:
    reader = Reader()
    recorder = Recorder()
    await RequestBodyLimitMiddleware(reader, 10)(http_scope("POST"), receiver([b"x" * 6] * 4), recorder)
    assert answered(recorder) == REFUSED
    assert reader.chunks == [6]  # the second chunk crossed the limit and never reached the app


@pytest.mark.anyio
async def test_a_response_to_a_declared_body_over_the_limit_is_replaced() -> None:
    attempts: list[str] = []

    async def ignores_the_body(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await send({"type": "http.response.start", "status": 200, "headers": []})
        except Exception as exc:  # the 413 went out instead
            attempts.append(type(exc).__name__)
        await send({"type": "http.response.body", "body": b"more"})  # goes nowhere
        attempts.append("sent")

    recorder = Recorder()
    scope = http_scope("POST", headers=content_length(b"11"))
    await RequestBodyLimitMiddleware(ignores_the_body, 10)(scope, receiver([b"x" * 11]), recorder)
    assert answered(recorder) == REFUSED
    assert recorder.types == ["http.response.start", "http.response.body"]
    assert attempts == ["_ResponseReplaced", "sent"]


@pytest.mark.anyio
async def test_a_413_of_the_apps_own_is_sent_as_it_is() -> None:
    async def own(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("my own 413", status_code=413)(scope, receive, send)

    recorder = Recorder()
    await RequestBodyLimitMiddleware(own, 10)(http_scope("POST", headers=content_length(b"11")), receiver(), recorder)
    assert answered(recorder) == (413, b"my own 413")


@pytest.mark.anyio
async def test_replacing_the_response_stops_the_app() -> None:
    after: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("not read")(scope, receive, send)
        after.append(True)  # pragma: no cover - send raised

    recorder = Recorder()
    await RequestBodyLimitMiddleware(app, 0)(
        http_scope("POST", headers=content_length(b"1")), receiver([b"x"]), recorder
    )
    assert answered(recorder) == REFUSED
    assert after == []


@pytest.mark.anyio
async def test_going_over_after_the_response_started_raises() -> None:
    async def echo_late(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.body", "body": b"done"})  # pragma: no cover

    recorder = Recorder()
    with pytest.raises(HTTPException) as info:
        await RequestBodyLimitMiddleware(echo_late, 10)(http_scope("POST"), receiver([b"x" * 6] * 2), recorder)
    assert info.value.status_code == 413
    assert recorder.types == ["http.response.start"]


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("headers", "status"),
    [
        (content_length(b"abc"), 200),  # not a number: ignored, the body is counted
        (content_length(b"-1"), 200),
        (content_length(b"+5"), 200),
        (content_length(b" 5 "), 200),
        (content_length(b"1_0"), 200),
        (content_length(b""), 200),
        (content_length(b"05"), 200),
        (content_length(b"10"), 200),
        (content_length(b"11"), 413),
        (content_length(b"1" * 30), 413),  # beyond any limit, without converting 30 digits
        ([(b"content-length", b"50"), (b"content-length", b"5")], 413),  # the first one counts
        ([(b"content-length", b"5"), (b"content-length", b"50")], 200),
    ],
)
async def test_content_length_values(headers: list[tuple[bytes, bytes]], status: int) -> None:
    recorder = Recorder()
    await RequestBodyLimitMiddleware(Reader(), 10)(http_scope("POST", headers=headers), receiver([b"x" * 5]), recorder)
    assert recorder.start["status"] == status


@pytest.mark.anyio
@pytest.mark.parametrize(("outer", "inner", "status"), [(10, 100, 200), (100, 10, 413)])
async def test_the_innermost_limit_wins(outer: int, inner: int, status: int) -> None:
    reader = Reader()
    recorder = Recorder()
    app = RequestBodyLimitMiddleware(RequestBodyLimitMiddleware(reader, inner), outer)
    await app(http_scope("POST", headers=content_length(b"50")), receiver([b"x" * 50]), recorder)
    assert recorder.start["status"] == status
    assert reader.limits == [inner]


@pytest.mark.anyio
@pytest.mark.parametrize("before", [{}, {MAX_BODY_SIZE_SCOPE_KEY: "set by someone else"}])
async def test_the_scope_key_is_the_limit_in_force_while_the_app_runs(before: dict[str, object]) -> None:
    reader = Reader()
    scope = http_scope("POST")
    scope.update(before)
    app = RequestBodyLimitMiddleware(RequestBodyLimitMiddleware(reader, 20), 10)
    await app(scope, receiver(), Recorder())
    assert reader.limits == [20]
    assert {key: value for key, value in scope.items() if key.startswith("starlette")} == before


@pytest.mark.anyio
@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
async def test_other_scopes_pass_through_untouched(scope_type: str) -> None:
    seen: list[tuple[Scope, Receive, Send]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope, receive, send))

    scope: Scope = {"type": scope_type}
    receive = receiver()
    recorder = Recorder()
    await RequestBodyLimitMiddleware(app, 0)(scope, receive, recorder)
    assert seen == [({"type": scope_type}, receive, recorder)]


@pytest.mark.anyio
async def test_disconnect_messages_pass_through() -> None:
    messages: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        messages.append(await receive())
        await PlainTextResponse("gone")(scope, receive, send)

    async def disconnect() -> Message:
        return {"type": "http.disconnect"}

    recorder = Recorder()
    await RequestBodyLimitMiddleware(app, 0)(http_scope("POST"), disconnect, recorder)
    assert messages == [{"type": "http.disconnect"}]
    assert answered(recorder) == (200, b"gone")


@pytest.mark.parametrize("value", [None, -1, 1.5, "10", True])
def test_invalid_limits_are_refused(value: Any) -> None:
    with pytest.raises(ValueError, match="max_body_size must be a non-negative integer"):
        RequestBodyLimitMiddleware(Reader(), value)
    with pytest.raises(ValueError, match="max_body_size must be a non-negative integer"):
        RequestBodyLimitResponder(Reader(), value)


@pytest.mark.anyio
async def test_the_responder_keeps_the_request_and_starts_afresh_on_each_call() -> None:
    responder = RequestBodyLimitResponder(upload, 10)
    assert (responder.app, responder.max_body_size) == (upload, 10)
    for name in ("scope", "receive", "send"):
        with pytest.raises(AssertionError, match="not been called"):
            getattr(responder, name)

    recorder = Recorder()
    await responder(http_scope("POST"), receiver([b"x" * 6]), recorder)
    assert answered(recorder) == (200, b"read 6")
    assert (responder.content_length, responder.total_size, responder.response_started) == (None, 6, True)

    scope = http_scope("POST", headers=content_length(b"11"))
    receive = receiver([b"x" * 11])
    recorder = Recorder()
    await responder(scope, receive, recorder)
    assert answered(recorder) == REFUSED
    assert (responder.scope, responder.receive, responder.send) == (scope, receive, recorder)
    assert (responder.content_length, responder.total_size) == (11, 0)

    recorder = Recorder()
    await responder(http_scope("POST"), receiver([b"x" * 4, b"x" * 4]), recorder)
    assert answered(recorder) == (200, b"read 8")
    assert (responder.content_length, responder.total_size) == (None, 8)


@pytest.mark.anyio
async def test_responder_methods_are_the_limited_receive_and_send() -> None:
    recorder = Recorder()
    responder = RequestBodyLimitResponder(Reader(), 3)
    await responder(http_scope("POST"), receiver([b"ab", b"cd"]), recorder)
    assert answered(recorder) == REFUSED
    assert responder.total_size == 4


async def not_read(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("not read")(scope, receive, send)


@pytest.mark.anyio
@pytest.mark.parametrize("app", [Reader(), not_read])
async def test_responders_nested_by_hand_each_apply_their_limit(app: ASGIApp) -> None:
    # (The middleware shares one responder per request; responders nested directly are two.)
    recorder = Recorder()
    nested = RequestBodyLimitResponder(RequestBodyLimitResponder(app, 100), 10)
    await nested(http_scope("POST", headers=content_length(b"50")), receiver([b"x" * 50]), recorder)
    assert answered(recorder) == REFUSED
    assert recorder.types == ["http.response.start", "http.response.body"]


def test_exception_handlers_see_a_streamed_body_going_over(test_client_factory: TestClientFactory) -> None:
    seen: list[HTTPException] = []

    def too_large(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        seen.append(exc)
        return PlainTextResponse("custom", status_code=exc.status_code)

    app = RequestBodyLimitMiddleware(ExceptionMiddleware(upload, handlers={413: too_large}), 10)
    client = test_client_factory(app)
    response = client.post("/", content=chunks(6, 2))
    assert (response.status_code, response.text) == (413, "custom")
    response = client.post("/", content=b"x" * 11)  # declared: the handler's own 413 goes out too
    assert (response.status_code, response.text) == (413, "custom")
    assert [exc.detail for exc in seen] == ["Content Too Large", "Content Too Large"]
    assert client.post("/", content=b"x" * 10).text == "read 10"


def test_a_handler_that_answers_otherwise_is_replaced(test_client_factory: TestClientFactory) -> None:
    def forgiving(request: Request, exc: Exception) -> Response:
        return PlainTextResponse("fine", status_code=200)

    app = RequestBodyLimitMiddleware(ExceptionMiddleware(upload, handlers={413: forgiving}), 10)
    client = test_client_factory(app)
    response = client.post("/", content=b"x" * 11)  # declared over the limit: the answer is a 413 all the same
    assert (response.status_code, response.text) == (413, "Content Too Large")
    assert client.post("/", content=chunks(6, 2)).text == "fine"  # (not declared: the handler's say)


def test_default_exception_handling_answers_413(test_client_factory: TestClientFactory) -> None:
    app = RequestBodyLimitMiddleware(ExceptionMiddleware(upload), 10)
    response = test_client_factory(app).post("/", content=chunks(6, 2))
    assert (response.status_code, response.text) == (413, "Content Too Large")
    assert response.headers["connection"] == "close"


def test_middleware_that_reads_the_body_is_limited(test_client_factory: TestClientFactory) -> None:
    class ReadsBody(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            await request.body()
            return await call_next(request)

    client = test_client_factory(RequestBodyLimitMiddleware(ReadsBody(ExceptionMiddleware(upload)), 10))
    assert client.post("/", content=b"x" * 8).text == "read 8"
    for content in (chunks(6, 2), b"x" * 20):
        response = client.post("/", content=content)
        assert (response.status_code, response.text) == (413, "Content Too Large")


def test_a_response_replaced_below_base_http_middleware(test_client_factory: TestClientFactory) -> None:
    class Passes(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            return await call_next(request)

    client = test_client_factory(RequestBodyLimitMiddleware(Passes(not_read), 10))
    response = client.post("/", content=b"x" * 11)
    assert (response.status_code, response.text) == (413, "Content Too Large")
    assert client.post("/", content=b"x" * 10).text == "not read"
