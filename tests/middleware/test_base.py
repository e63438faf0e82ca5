"""BaseHTTPMiddleware: dispatch/call_next, streaming, request bodies, background tasks, errors, disconnects."""

from __future__ import annotations

import contextvars
from collections.abc import AsyncIterator
from typing import Any, Callable

import anyio
import pytest

from starlette_core.background import BackgroundTask
from starlette_core.requests import ClientDisconnect, Request
from starlette_core.responses import PlainTextResponse, Response, StreamingResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket
from starlette_middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from ._helpers import Recorder, disconnected_receiver, http_scope, receiver

TestClientFactory = Callable[..., Any]


async def hello_app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("Hello")(scope, receive, send)


async def echo_body_app(scope: Scope, receive: Receive, send: Send) -> None:
    body = await Request(scope, receive).body()
    await Response(b"echo:" + body)(scope, receive, send)


class AddHeader(BaseHTTPMiddleware):
    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["X-Custom"] = "added"
        return response


def test_dispatch_method_sees_and_changes_the_response(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(AddHeader(hello_app))
    response = client.get("/")
    assert response.status_code == 200
    assert response.text == "Hello"
    assert response.headers["x-custom"] == "added"
    assert response.headers["content-type"] == "text/plain; charset=utf-8"


def test_dispatch_function_argument(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.headers["X-Path"] = request.url.path
        return response

    client = test_client_factory(BaseHTTPMiddleware(hello_app, dispatch=dispatch))
    assert client.get("/some/where").headers["x-path"] == "/some/where"


def test_without_a_dispatch_the_request_fails_loudly(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(BaseHTTPMiddleware(hello_app))
    with pytest.raises(NotImplementedError):
        client.get("/")


def test_dispatch_can_answer_without_calling_the_app(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise AssertionError("the app must not run")  # pragma: no cover

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        return PlainTextResponse("short-circuit", status_code=403)

    response = test_client_factory(BaseHTTPMiddleware(app, dispatch=dispatch)).get("/")
    assert (response.status_code, response.text) == (403, "short-circuit")


def test_websocket_passes_through(test_client_factory: TestClientFactory) -> None:
    async def ws_app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        await websocket.send_text("hi " + await websocket.receive_text())
        await websocket.close()

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        raise AssertionError("dispatch is for HTTP only")  # pragma: no cover

    client = test_client_factory(BaseHTTPMiddleware(ws_app, dispatch=dispatch))
    with client.websocket_connect("/ws") as websocket:
        websocket.send_text("there")
        assert websocket.receive_text() == "hi there"


@pytest.mark.anyio
async def test_lifespan_passes_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    await AddHeader(app)({"type": "lifespan"}, disconnected_receiver(), Recorder())
    assert seen == ["lifespan"]


@pytest.mark.anyio
async def test_streaming_is_not_buffered() -> None:
    """The first chunk reaches the server while the app is still waiting to produce the second."""
    first_chunk_out = anyio.Event()

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"first ", "more_body": True})
        await first_chunk_out.wait()
        await send({"type": "http.response.body", "body": b"second", "more_body": False})

    sent = Recorder()

    async def send(message: Message) -> None:
        await sent(message)
        if message.get("body") == b"first ":
            first_chunk_out.set()

    with anyio.fail_after(2):
        await AddHeader(app)(http_scope(), receiver(), send)
    assert sent.types == ["http.response.start"] + ["http.response.body"] * 3
    assert sent.body == b"first second"
    assert sent.headers[b"x-custom"] == b"added"
    assert sent.messages[-1] == {"type": "http.response.body", "body": b"", "more_body": False}


def test_streaming_response_through_middleware(test_client_factory: TestClientFactory) -> None:
    async def numbers() -> AsyncIterator[str]:
        for number in range(5):
            yield f"{number},"

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await StreamingResponse(numbers(), media_type="text/plain")(scope, receive, send)

    response = test_client_factory(AddHeader(app)).get("/")
    assert response.text == "0,1,2,3,4,"
    assert response.headers["x-custom"] == "added"


def test_dispatch_can_rewrite_the_body_iterator(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        original = response.body_iterator  # type: ignore[attr-defined]

        async def upper() -> AsyncIterator[str]:
            async for chunk in original:
                yield chunk.decode().upper()

        response.body_iterator = upper()  # type: ignore[attr-defined]
        del response.headers["content-length"]
        return response

    response = test_client_factory(BaseHTTPMiddleware(hello_app, dispatch=dispatch)).get("/")
    assert response.text == "HELLO"


def test_body_read_in_dispatch_still_reaches_the_app(test_client_factory: TestClientFactory) -> None:
    seen: list[bytes] = []

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        seen.append(await request.body())
        return await call_next(request)

    client = test_client_factory(BaseHTTPMiddleware(echo_body_app, dispatch=dispatch))
    response = client.post("/", content=b"payload")
    assert response.text == "echo:payload"
    assert seen == [b"payload"]


def test_json_read_in_dispatch_still_reaches_the_app(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        assert await request.json() == {"a": 1}
        return await call_next(request)

    client = test_client_factory(BaseHTTPMiddleware(echo_body_app, dispatch=dispatch))
    assert client.post("/", json={"a": 1}).text == 'echo:{"a":1}'


def test_app_reads_body_dispatch_did_not_touch(test_client_factory: TestClientFactory) -> None:
    def chunks() -> Any:
        yield b"one-"
        yield b"two-"
        yield b"three"

    client = test_client_factory(AddHeader(echo_body_app))
    assert client.post("/", content=chunks()).text == "echo:one-two-three"
    assert client.post("/", content=b"").text == "echo:"


def test_stream_consumed_in_dispatch_leaves_the_app_an_empty_body(test_client_factory: TestClientFactory) -> None:
    streamed: list[bytes] = []

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        async for chunk in request.stream():
            streamed.append(chunk)
        return await call_next(request)

    client = test_client_factory(BaseHTTPMiddleware(echo_body_app, dispatch=dispatch))
    assert client.post("/", content=b"abc").text == "echo:"
    assert b"".join(streamed) == b"abc"


def test_stream_partly_read_in_dispatch_app_gets_the_rest(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        stream = request.stream()
        assert await stream.__anext__() == b"one-"
        await stream.aclose()
        return await call_next(request)

    def chunks() -> Any:
        yield b"one-"
        yield b"two"

    client = test_client_factory(BaseHTTPMiddleware(echo_body_app, dispatch=dispatch))
    assert client.post("/", content=chunks()).text == "echo:two"


def test_body_in_dispatch_after_the_app_consumed_it(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        with pytest.raises(RuntimeError, match="Stream consumed"):
            await request.body()
        return response

    client = test_client_factory(BaseHTTPMiddleware(echo_body_app, dispatch=dispatch))
    assert client.post("/", content=b"xyz").text == "echo:xyz"


def test_background_task_runs(test_client_factory: TestClientFactory) -> None:
    ran: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = PlainTextResponse("ok", background=BackgroundTask(ran.append, "task"))
        await response(scope, receive, send)

    response = test_client_factory(AddHeader(app)).get("/")
    assert response.text == "ok"
    assert ran == ["task"]


def test_background_task_added_in_dispatch_runs(test_client_factory: TestClientFactory) -> None:
    ran: list[str] = []

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        assert response.background is None
        response.background = BackgroundTask(ran.append, "from dispatch")
        return response

    test_client_factory(BaseHTTPMiddleware(hello_app, dispatch=dispatch)).get("/")
    assert ran == ["from dispatch"]


def test_app_exception_propagates(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    client = test_client_factory(AddHeader(app))
    with pytest.raises(ValueError, match="boom"):
        client.get("/")


def test_dispatch_can_handle_the_app_exception(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("boom")

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        try:
            return await call_next(request)
        except ValueError as exc:
            # The stream machinery's EndOfStream is not part of the story.
            assert not isinstance(exc.__context__, anyio.EndOfStream) or exc.__suppress_context__
            return PlainTextResponse(f"handled {exc}", status_code=500)

    response = test_client_factory(BaseHTTPMiddleware(app, dispatch=dispatch)).get("/")
    assert (response.status_code, response.text) == (500, "handled boom")


def test_app_exception_keeps_its_cause(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            raise KeyError("inner")
        except KeyError as exc:
            raise ValueError("outer") from exc

    with pytest.raises(ValueError, match="outer") as info:
        test_client_factory(AddHeader(app)).get("/")
    assert isinstance(info.value.__cause__, KeyError)


@pytest.mark.parametrize("layers", [1, 2, 3])
def test_app_exception_keeps_its_own_chain_through_stacked_layers(
    test_client_factory: TestClientFactory, layers: int
) -> None:
    # The pipe's EndOfStream is neither the context nor (through a second layer) the cause of what the app raised:
    # tracebacks, logging and error trackers show the app's own chain.
    async def plain(scope: Scope, receive: Receive, send: Send) -> None:
        raise ValueError("plain")

    async def chained(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            int("x")
        except ValueError:
            raise KeyError("chained")  # noqa: B904 (an implicit context, as the test wants)

    app: ASGIApp = plain
    for _ in range(layers):
        app = AddHeader(app)
    with pytest.raises(ValueError, match="plain") as plain_info:
        test_client_factory(app).get("/")
    assert plain_info.value.__cause__ is None
    # (On trio the app runs in a task group, whose group is the context, as upstream's on both backends.)
    assert not isinstance(plain_info.value.__context__, anyio.EndOfStream)

    app = chained
    for _ in range(layers):
        app = AddHeader(app)
    with pytest.raises(KeyError, match="chained") as chained_info:
        test_client_factory(app).get("/")
    assert chained_info.value.__cause__ is None
    assert not chained_info.value.__suppress_context__


@pytest.mark.anyio
async def test_app_exception_after_response_started() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"partial", "more_body": True})
        raise ValueError("mid-stream")

    sent = Recorder()
    with pytest.raises(ValueError, match="mid-stream"):
        await AddHeader(app)(http_scope(), receiver(), sent)
    assert sent.body == b"partial"
    assert sent.start["status"] == 200


def test_background_task_exception_propagates(test_client_factory: TestClientFactory) -> None:
    def fail() -> None:
        raise RuntimeError("background failed")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("ok", background=BackgroundTask(fail))(scope, receive, send)

    with pytest.raises(RuntimeError, match="background failed"):
        test_client_factory(AddHeader(app)).get("/")


def test_dispatch_exception_propagates_unwrapped(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await call_next(request)
        raise LookupError("from dispatch")

    with pytest.raises(LookupError, match="from dispatch"):
        test_client_factory(BaseHTTPMiddleware(hello_app, dispatch=dispatch)).get("/")


def test_no_response_returned(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        return None

    with pytest.raises(RuntimeError, match=r"No response returned\."):
        test_client_factory(AddHeader(app)).get("/")


@pytest.mark.anyio
async def test_client_disconnect_does_not_raise_no_response_returned() -> None:
    """An app that sees the client go and returns without answering: ClientDisconnect, not a RuntimeError."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()
        assert message["type"] == "http.disconnect"

    with pytest.raises(ClientDisconnect):
        await AddHeader(app)(http_scope(method="POST"), disconnected_receiver(), Recorder())


@pytest.mark.anyio
async def test_client_disconnect_seen_by_dispatch_first() -> None:
    seen: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(await receive())
        seen.append(await receive())
        await Response(b"too late")(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        with pytest.raises(ClientDisconnect):
            await request.body()
        return await call_next(request)

    sent = Recorder()
    await BaseHTTPMiddleware(app, dispatch=dispatch)(http_scope(method="POST"), disconnected_receiver(), sent)
    assert seen == [{"type": "http.disconnect"}] * 2
    assert sent.body == b"too late"


@pytest.mark.anyio
async def test_client_disconnect_while_the_app_reads_the_body() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        with pytest.raises(ClientDisconnect):
            await request.body()
        await Response(b"")(scope, receive, send)

    sent = Recorder()
    receive = receiver([b"part"], disconnect=True)

    async def partial_receive() -> Message:
        message = await receive()
        message["more_body"] = message["type"] == "http.request"
        return message

    await AddHeader(app)(http_scope(method="POST"), partial_receive, sent)
    assert sent.start["status"] == 200


@pytest.mark.anyio
async def test_cached_body_reaches_the_app_even_after_a_disconnect() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())
        received.append(await receive())
        received.append(await receive())
        await Response(b"done")(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        assert await request.body() == b"data"
        assert await request.is_disconnected()
        return await call_next(request)

    sent = Recorder()
    await BaseHTTPMiddleware(app, dispatch=dispatch)(http_scope(method="POST"), receiver([b"data"]), sent)
    assert received == [
        {"type": "http.request", "body": b"data", "more_body": False},
        {"type": "http.disconnect"},
        {"type": "http.disconnect"},
    ]
    assert sent.body == b"done"


@pytest.mark.anyio
async def test_after_the_body_the_app_waits_for_the_server() -> None:
    received: list[Message] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())
        received.append(await receive())
        await Response(b"done")(scope, receive, send)

    sent = Recorder()
    await AddHeader(app)(http_scope(method="POST"), receiver([b"a", b"b"]), sent)
    assert received == [
        {"type": "http.request", "body": b"a", "more_body": True},
        {"type": "http.request", "body": b"b", "more_body": False},
    ]

    received.clear()

    async def app2(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())
        received.append(await receive())
        received.append(await receive())
        await Response(b"done")(scope, receive, send)

    await AddHeader(app2)(http_scope(method="POST"), receiver([b"x"]), Recorder())
    assert received == [
        {"type": "http.request", "body": b"x", "more_body": False},
        {"type": "http.disconnect"},
        {"type": "http.disconnect"},
    ]


@pytest.mark.anyio
async def test_server_message_after_the_body_is_passed_on() -> None:
    """Whatever the server sends after the body reaches the app (the middleware does not invent messages)."""
    messages: list[Message] = [
        {"type": "http.request", "body": b"x", "more_body": False},
        {"type": "http.request", "body": b"odd", "more_body": False},
    ]
    received: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append(await receive())
        received.append(await receive())
        await Response(b"")(scope, receive, send)

    await AddHeader(app)(http_scope(method="POST"), receive, Recorder())
    assert received[1] == {"type": "http.request", "body": b"odd", "more_body": False}


@pytest.mark.anyio
async def test_stacked_middlewares_client_disconnected() -> None:
    """Ten middlewares deep, a client that has gone: the app's response still flows out, tasks still run."""
    ordered: list[str] = []
    background: list[str] = []

    class Tracking(BaseHTTPMiddleware):
        def __init__(self, app: ASGIApp, version: int) -> None:
            super().__init__(app)
            self.version = version

        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            ordered.append(f"{self.version}:started")
            response = await call_next(request)
            ordered.append(f"{self.version}:completed")
            response.background = BackgroundTask(background.append, f"{self.version}:background")
            return response

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        with pytest.raises(ClientDisconnect):
            await Request(scope, receive).body()
        await Response(b"")(scope, receive, send)

    stacked: ASGIApp = app
    for version in range(10, 0, -1):
        stacked = Tracking(stacked, version)

    sent = Recorder()
    with anyio.fail_after(5):
        await stacked(http_scope(method="POST"), disconnected_receiver(), sent)

    assert ordered == [f"{v}:started" for v in range(1, 11)] + [f"{v}:completed" for v in range(10, 0, -1)]
    assert sorted(background) == sorted(f"{v}:background" for v in range(1, 11))
    assert sent.messages == [
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]},
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]


def test_stacked_middlewares_share_the_body(test_client_factory: TestClientFactory) -> None:
    bodies: list[bytes] = []

    class ReadBody(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            bodies.append(await request.body())
            return await call_next(request)

    app = ReadBody(AddHeader(ReadBody(echo_body_app)))
    response = test_client_factory(app).post("/", content=b"shared")
    assert response.text == "echo:shared"
    assert response.headers["x-custom"] == "added"
    assert bodies == [b"shared", b"shared"]


_var: contextvars.ContextVar[str] = contextvars.ContextVar("_var", default="unset")


def test_context_variables(test_client_factory: TestClientFactory) -> None:
    """As upstream: the app sees what dispatch set; what the app sets stays in the app's task."""
    seen_in_app: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen_in_app.append(_var.get())
        _var.set("set by app")
        await PlainTextResponse("ok")(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        _var.set("set by dispatch")
        response = await call_next(request)
        response.headers["X-Var"] = _var.get()
        return response

    response = test_client_factory(BaseHTTPMiddleware(app, dispatch=dispatch)).get("/")
    assert seen_in_app == ["set by dispatch"]
    assert response.headers["x-var"] == "set by dispatch"


@pytest.mark.anyio
async def test_debug_message_is_passed_on() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.debug", "info": {"template": "t.html", "context": {"a": 1}}})
        await PlainTextResponse("page")(scope, receive, send)

    sent = Recorder()
    await AddHeader(app)(http_scope(extensions={"http.response.debug": {}}), receiver(), sent)
    assert sent.messages[0] == {"type": "http.response.debug", "info": {"template": "t.html", "context": {"a": 1}}}
    assert sent.types[1] == "http.response.start"
    assert sent.body == b"page"


@pytest.mark.anyio
async def test_pathsend_is_passed_on() -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": ((b"content-type", b"text/plain"),)})
        await send({"type": "http.response.pathsend", "path": "/tmp/file.txt"})

    sent = Recorder()
    await AddHeader(app)(http_scope(extensions={"http.response.pathsend": {}}), receiver(), sent)
    assert sent.types == ["http.response.start", "http.response.pathsend"]
    assert sent.headers == {b"content-type": b"text/plain", b"x-custom": b"added"}
    assert sent.messages[1]["path"] == "/tmp/file.txt"


@pytest.mark.anyio
async def test_replaced_response_unblocks_the_app() -> None:
    """dispatch sends its own response: the app's further output is dropped and its waiting receive ends."""
    app_events: list[Any] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        app_events.append(await receive())
        await send({"type": "http.response.start", "status": 200, "headers": []})
        app_events.append(await receive())  # waits: the server has nothing more to say
        app_events.append(await receive())
        await send({"type": "http.response.body", "body": b"dropped", "more_body": True})
        await send({"type": "http.response.body", "body": b"dropped", "more_body": False})
        app_events.append("finished")

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        await call_next(request)
        return PlainTextResponse("replacement")

    server_done = anyio.Event()
    sent = Recorder()
    with anyio.fail_after(2):
        # The server never reports a disconnect: only the middleware can end the app's wait.
        await BaseHTTPMiddleware(app, dispatch=dispatch)(
            http_scope(), receiver(disconnect=False, done=server_done), sent
        )
    server_done.set()
    assert sent.body == b"replacement"
    assert app_events == [
        {"type": "http.request", "body": b"", "more_body": False},
        {"type": "http.disconnect"},
        {"type": "http.disconnect"},
        "finished",
    ]


def test_dispatch_response_streams_while_app_response_is_discarded(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        assert response.status_code == 200

        async def body() -> AsyncIterator[bytes]:
            yield b"own "
            yield b"body"

        return StreamingResponse(body(), status_code=201)

    response = test_client_factory(BaseHTTPMiddleware(hello_app, dispatch=dispatch)).get("/")
    assert (response.status_code, response.text) == (201, "own body")


def test_response_headers_and_cookies_can_be_changed(test_client_factory: TestClientFactory) -> None:
    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        response.set_cookie("mw", "yes")
        response.status_code = 202
        return response

    response = test_client_factory(BaseHTTPMiddleware(hello_app, dispatch=dispatch)).get("/")
    assert response.status_code == 202
    assert response.cookies["mw"] == "yes"
    assert response.text == "Hello"


def test_state_set_in_dispatch_is_visible_in_the_app(test_client_factory: TestClientFactory) -> None:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse(Request(scope).state.user)(scope, receive, send)

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        request.state.user = "ada"
        return await call_next(request)

    assert test_client_factory(BaseHTTPMiddleware(app, dispatch=dispatch)).get("/").text == "ada"


@pytest.mark.anyio
async def test_response_is_out_before_background_tasks_run() -> None:
    """The client has the whole response before the app's background work starts (two requests at once)."""
    response_complete = anyio.Event()
    events: list[Any] = []

    async def background_work() -> None:
        events.append("background started")
        await anyio.sleep(0.05)
        events.append("background finished")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("Hello", background=BackgroundTask(background_work))(scope, receive, send)

    async def passthrough(request: Request, call_next: RequestResponseEndpoint) -> Response:
        return await call_next(request)

    middleware = BaseHTTPMiddleware(app, dispatch=passthrough)

    async def receive() -> Message:
        await response_complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.body":
            events.append(message)
            if not message.get("more_body", False):
                response_complete.set()

    async with anyio.create_task_group() as task_group:
        task_group.start_soon(middleware, http_scope(), receive, send)
        task_group.start_soon(middleware, http_scope(), receive, send)

    body = [
        {"type": "http.response.body", "body": b"Hello", "more_body": True},
        {"type": "http.response.body", "body": b"", "more_body": False},
    ]
    assert events == [*body, *body, "background started", "background started"] + ["background finished"] * 2


def test_the_response_call_next_returns_carries_exactly_the_app_headers(test_client_factory: TestClientFactory) -> None:
    seen: list[list[tuple[bytes, bytes]]] = []

    class Inspect(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            response = await call_next(request)
            seen.append(list(response.raw_headers))
            return response

    client = test_client_factory(Inspect(hello_app))
    assert client.get("/").text == "Hello"
    assert seen == [[(b"content-length", b"5"), (b"content-type", b"text/plain; charset=utf-8")]]


def test_a_streaming_response_of_the_middleware_built_with_headers_gets_them() -> None:
    from starlette_middleware.base import _StreamingResponse

    async def chunks() -> AsyncIterator[bytes]:
        yield b"x"  # never iterated here

    bare = _StreamingResponse(content=chunks())
    assert bare.raw_headers == []
    dressed = _StreamingResponse(content=chunks(), headers={"X-A": "1"}, media_type="text/plain")
    assert dressed.raw_headers == [(b"x-a", b"1"), (b"content-type", b"text/plain; charset=utf-8")]


@pytest.mark.anyio
async def test_a_request_through_the_middleware_is_freed_without_the_garbage_collector() -> None:
    import gc
    import weakref

    requests: list[weakref.ref[Request]] = []

    class Remember(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            requests.append(weakref.ref(request))
            return await call_next(request)

    sent = Recorder()
    gc.disable()  # only reference counting frees things now: a reference cycle would keep the request alive
    try:
        await Remember(hello_app)(http_scope(), receiver(), sent)
        assert sent.body == b"Hello"
        assert requests[0]() is None
    finally:
        gc.enable()


@pytest.mark.anyio
@pytest.mark.parametrize("read_first_body", [False, True])
async def test_a_second_call_next_fails_at_once(read_first_body: bool) -> None:
    # The body went to the first call's app: a second app would wait for it forever (upstream fails too, with an
    # AssertionError). The app runs once.
    runs: list[bytes] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        runs.append(await Request(scope, receive).body())
        await Response(b"ok")(scope, receive, send)

    class Twice(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            first = await call_next(request)
            if read_first_body:
                assert [chunk async for chunk in first.body_iterator] == [b"ok"]  # type: ignore[attr-defined]
            return await call_next(request)

    done = anyio.Event()
    with pytest.raises(AssertionError, match="only once per request"):
        await Twice(app)(http_scope(method="POST"), receiver([b"body"], disconnect=False, done=done), Recorder())
    assert runs == [b"body"]
