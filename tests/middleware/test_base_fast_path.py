"""BaseHTTPMiddleware: the response ``call_next`` returns sends the app's body straight from the pipe when
``dispatch`` never read its ``body_iterator``, and through the ``body_iterator`` generator when it did. Both give
exactly the same messages, exceptions and background work, for every kind of app, on asyncio and trio.

Also: the response's ``raw_headers`` are the app's own list (as upstream), copied only when the app sent another
kind of sequence; and the middleware waits for the app's background work either way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Callable

import anyio
import pytest

from starlette_core.background import BackgroundTask
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, Response, StreamingResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint

from ._helpers import Recorder, http_scope, receiver

Events = list[Any]
AppFactory = Callable[[Events], ASGIApp]

START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}


def plain(events: Events) -> ASGIApp:
    return PlainTextResponse("Hello")


def empty_body(events: Events) -> ASGIApp:
    return Response(b"", status_code=204)


def streaming(events: Events) -> ASGIApp:
    async def chunks() -> AsyncIterator[str | bytes]:
        yield "one "
        yield b""
        await anyio.sleep(0)
        yield b"two"

    return StreamingResponse(chunks(), media_type="text/plain")


def background(events: Events) -> ASGIApp:
    async def work() -> None:
        events.append("background started")
        await anyio.sleep(0)
        events.append("background finished")

    return PlainTextResponse("Hello", background=BackgroundTask(work))


def raw(*messages: Message, raise_after: bool = False) -> AppFactory:
    def factory(events: Events) -> ASGIApp:
        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            for message in messages:
                await send(dict(message))
                events.append(f"sent {message['type']}")
            if raise_after:
                raise ValueError("app failed")

        return app

    return factory


APPS: dict[str, AppFactory] = {
    "plain": plain,
    "empty body": empty_body,
    "streaming": streaming,
    "background": background,
    "raw chunks": raw(
        START,
        {"type": "http.response.body", "body": b"a", "more_body": True},
        {"type": "http.response.body", "body": bytearray(b"b"), "more_body": True},
        {"type": "http.response.body", "more_body": True},
        {"type": "http.response.body", "body": memoryview(b"c")},
    ),
    "text chunk": raw(START, {"type": "http.response.body", "body": "caf\u00e9"}),
    "no body message": raw(START),
    "error mid-body": raw(
        START, {"type": "http.response.body", "body": b"partial", "more_body": True}, raise_after=True
    ),
    "error after body": raw(START, {"type": "http.response.body", "body": b"done"}, raise_after=True),
    "debug": raw({"type": "http.response.debug", "info": {"template": "t"}}, START, {"type": "http.response.body"}),
    "pathsend": raw(START, {"type": "http.response.pathsend", "path": "/tmp/file"}),
    "body after the last": raw(
        START,
        {"type": "http.response.body", "body": b"last"},
        {"type": "http.response.body", "body": b"ignored"},
    ),
}


async def serve(app: ASGIApp, *, general: bool, method: str = "GET") -> tuple[list[Message], Events, str, bool]:
    """Messages sent, events, the exception raised (if any) and whether the generator was made."""
    events: Events = []
    responses: list[Response] = []

    async def dispatch(request: Request, call_next: RequestResponseEndpoint) -> Response:
        response = await call_next(request)
        events.append("dispatch got the response")
        if general:
            iterator = response.body_iterator  # type: ignore[attr-defined]
            assert response.body_iterator is iterator  # type: ignore[attr-defined]
            response.body_iterator = iterator  # type: ignore[attr-defined]
        response.headers["x-processed"] = "1"
        responses.append(response)
        return response

    sent = Recorder()

    async def send(message: Message) -> None:
        events.append(f"server got {message['type']}")
        await sent(message)

    connected = receiver(disconnect=False)  # the client stays (a streaming response listens for it going)
    raised = ""
    try:
        with anyio.fail_after(5):
            await BaseHTTPMiddleware(app, dispatch=dispatch)(http_scope(method=method), connected, send)
    except ValueError as exc:
        raised = repr(exc)
    made = all(vars(response)["_body_iterator"] is not None for response in responses)
    return sent.messages, events, raised, made


@pytest.mark.anyio
@pytest.mark.parametrize("method", ["GET", "HEAD"])
@pytest.mark.parametrize("name", list(APPS))
async def test_straight_from_the_pipe_equals_through_the_body_iterator(name: str, method: str) -> None:
    fast_events: Events = []
    general_events: Events = []
    fast = await serve(APPS[name](fast_events), general=False, method=method)
    general = await serve(APPS[name](general_events), general=True, method=method)
    assert fast[0] == general[0]  # every message, in order
    assert fast[1] == general[1]  # and when the app and the server saw what
    assert fast[2] == general[2]
    assert fast_events == general_events
    assert fast[3] is False  # the fast path never made the generator
    assert general[3] is True
    assert fast[0][0]["type"] in ("http.response.start", "http.response.debug")


@pytest.mark.anyio
async def test_the_cases_cover_what_they_say() -> None:
    messages, events, raised, _ = await serve(APPS["error mid-body"]([]), general=False)
    assert raised == "ValueError('app failed')"
    assert [message.get("body") for message in messages[1:]] == [b"partial", b""]
    messages, _, _, _ = await serve(APPS["pathsend"]([]), general=False)
    assert messages[-1] == {"type": "http.response.pathsend", "path": "/tmp/file"}
    messages, _, _, _ = await serve(APPS["text chunk"]([]), general=False)
    assert messages[1]["body"] == "caf\u00e9".encode()
    messages, _, _, _ = await serve(APPS["debug"]([]), general=False)
    assert messages[0] == {"type": "http.response.debug", "info": {"template": "t"}}
    background_events: Events = []
    messages, events, _, _ = await serve(APPS["background"](background_events), general=False)
    assert background_events == ["background started", "background finished"]
    assert events[-1] == "server got http.response.body"


@pytest.mark.anyio
async def test_the_response_headers_are_the_apps_own_list() -> None:
    """As upstream: what dispatch changes is changed in the list the app sent."""
    app_headers = [(b"content-type", b"text/plain")]
    app = raw({"type": "http.response.start", "status": 200, "headers": app_headers}, {"type": "http.response.body"})
    messages, _, _, _ = await serve(app([]), general=False)
    assert messages[0]["headers"] is app_headers
    assert app_headers == [(b"content-type", b"text/plain"), (b"x-processed", b"1")]


@pytest.mark.anyio
async def test_headers_of_another_kind_are_copied_for_dispatch_to_change() -> None:
    app_headers = ((b"content-type", b"text/plain"),)
    app = raw({"type": "http.response.start", "status": 200, "headers": app_headers}, {"type": "http.response.body"})
    messages, _, _, _ = await serve(app([]), general=False)
    assert messages[0]["headers"] == [(b"content-type", b"text/plain"), (b"x-processed", b"1")]
    assert app_headers == ((b"content-type", b"text/plain"),)


@pytest.mark.anyio
async def test_the_middleware_returns_after_background_work_that_waits() -> None:
    """The app's task is still busy after one trip through the loop: the middleware waits for it."""
    events: Events = []

    async def work() -> None:
        for _ in range(5):
            await anyio.sleep(0)
        events.append("background finished")

    app = PlainTextResponse("Hello", background=BackgroundTask(work))

    class Passthrough(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            return await call_next(request)

    await Passthrough(app)(http_scope(), receiver(), Recorder())
    events.append("middleware returned")
    assert events == ["background finished", "middleware returned"]
