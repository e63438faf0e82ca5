"""An exception handler's response to a websocket request goes out as a denial response.

Upstream 0.47.3 sends it as "websocket.http.response.start" / "websocket.http.response.body", whether or not the
server offers the "websocket.http.response" extension and whether or not the handshake was accepted; a handler
that returns None (it closed the connection itself) sends nothing more. The expected messages below are upstream's,
observed message by message with a raw ASGI driver.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from typing import Any, Callable

import pytest

from starlette_core._exception_handler import ExceptionHandlers, StatusHandlers, wrap_app_handling_exceptions
from starlette_core.background import BackgroundTask
from starlette_core.exceptions import HTTPException
from starlette_core.requests import Request
from starlette_core.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette_core.types import ASGIApp, Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect
from starlette_testing.testclient import WebSocketDenialResponse
from tests.websocket_driver import connect_then_wait

TestClientFactory = Callable[..., Any]

DENIAL: dict[str, Any] = {"websocket.http.response": {}}


class Denied(Exception):
    pass


def websocket_scope(extensions: dict[str, Any] | None = None) -> Scope:
    scope: Scope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "path": "/ws",
        "raw_path": b"/ws",
        "root_path": "",
        "scheme": "ws",
        "query_string": b"",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "subprotocols": [],
    }
    if extensions is not None:
        scope["extensions"] = extensions
    return scope


def handling_app(
    inner: ASGIApp, exception_handlers: ExceptionHandlers | None = None, status_handlers: StatusHandlers | None = None
) -> ASGIApp:
    """Stands in for ExceptionMiddleware (publishes the handlers) and routing (wraps the endpoint)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        scope["starlette.exception_handlers"] = (exception_handlers or {}, status_handlers or {})
        await wrap_app_handling_exceptions(inner, WebSocket(scope, receive, send))(scope, receive, send)

    return app


def endpoint(exc: Exception, *, accept: bool = False) -> ASGIApp:
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        if accept:
            await websocket.accept()
        raise exc

    return app


async def denied(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("denied", status_code=403, headers={"x-reason": "policy"})


DENIED_MESSAGES: list[Message] = [
    {
        "type": "websocket.http.response.start",
        "status": 403,
        "headers": [
            (b"x-reason", b"policy"),
            (b"content-length", b"6"),
            (b"content-type", b"text/plain; charset=utf-8"),
        ],
    },
    {"type": "websocket.http.response.body", "body": b"denied"},
]
ACCEPT: Message = {"type": "websocket.accept", "subprotocol": None, "headers": []}


@pytest.mark.anyio
@pytest.mark.parametrize("extensions", [DENIAL, None, {}], ids=["extension", "no-extensions", "other-extensions"])
async def test_handler_response_before_accept_is_a_denial_response(extensions: dict[str, Any] | None) -> None:
    # Upstream sends it whether or not the server offers the extension (a server without it refuses the message).
    app = handling_app(endpoint(Denied()), exception_handlers={Denied: denied})
    assert await connect_then_wait(app, websocket_scope(extensions)) == DENIED_MESSAGES


@pytest.mark.anyio
async def test_handler_response_after_accept_is_sent_too() -> None:
    # As upstream: the handshake is over, so the server will refuse it, but the response is not silently dropped.
    app = handling_app(endpoint(Denied(), accept=True), exception_handlers={Denied: denied})
    assert await connect_then_wait(app, websocket_scope(DENIAL)) == [ACCEPT, *DENIED_MESSAGES]


@pytest.mark.anyio
async def test_status_handler_for_http_exception() -> None:
    async def unauthorized(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)

    exc = HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})
    app = handling_app(endpoint(exc), status_handlers={401: unauthorized})
    assert await connect_then_wait(app, websocket_scope(DENIAL)) == [
        {
            "type": "websocket.http.response.start",
            "status": 401,
            "headers": [
                (b"www-authenticate", b"Bearer"),
                (b"content-length", b"17"),
                (b"content-type", b"text/plain; charset=utf-8"),
            ],
        },
        {"type": "websocket.http.response.body", "body": b"Not authenticated"},
    ]


@pytest.mark.anyio
async def test_sync_handler_response_and_background_task() -> None:
    ran: list[str] = []

    def redirect(request: Request, exc: Exception) -> Response:
        ran.append(threading.current_thread().name)
        return RedirectResponse("/login", background=BackgroundTask(ran.append, "background"))

    app = handling_app(endpoint(Denied()), exception_handlers={Denied: redirect})
    assert await connect_then_wait(app, websocket_scope(DENIAL)) == [
        {
            "type": "websocket.http.response.start",
            "status": 307,
            "headers": [(b"content-length", b"0"), (b"location", b"/login")],
        },
        {"type": "websocket.http.response.body", "body": b""},
    ]
    assert ran[0] != threading.main_thread().name  # the sync handler ran in the thread pool
    assert ran[1:] == ["background"]


@pytest.mark.anyio
async def test_streaming_handler_response_is_prefixed_too() -> None:
    # Deliberate difference: upstream sends a StreamingResponse's messages as "http.*", which no server accepts on
    # a websocket connection (and upstream's TestClient takes its "http.response.start" for an accept).
    async def chunks() -> AsyncIterator[bytes]:
        yield b"de"
        yield b"nied"

    async def streaming(request: Request, exc: Exception) -> Response:
        return StreamingResponse(chunks(), status_code=403)

    app = handling_app(endpoint(Denied()), exception_handlers={Denied: streaming})
    assert await connect_then_wait(app, websocket_scope(DENIAL)) == [
        {"type": "websocket.http.response.start", "status": 403, "headers": []},
        {"type": "websocket.http.response.body", "body": b"de", "more_body": True},
        {"type": "websocket.http.response.body", "body": b"nied", "more_body": True},
        {"type": "websocket.http.response.body", "body": b"", "more_body": False},
    ]


@pytest.mark.anyio
async def test_custom_response_messages_are_passed_on() -> None:
    # A message that is not "http.*" (here one already named for the websocket) goes out as it is.
    class AlreadyPrefixed(Response):
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "websocket.http.response.start", "status": 403, "headers": []})
            await send({"type": "websocket.http.response.body", "body": b"no"})

    async def handler(request: Request, exc: Exception) -> Response:
        return AlreadyPrefixed()

    app = handling_app(endpoint(Denied()), exception_handlers={Denied: handler})
    assert await connect_then_wait(app, websocket_scope(DENIAL)) == [
        {"type": "websocket.http.response.start", "status": 403, "headers": []},
        {"type": "websocket.http.response.body", "body": b"no"},
    ]


@pytest.mark.anyio
async def test_handler_returning_none_sends_nothing_more() -> None:
    async def close(websocket: WebSocket, exc: Exception) -> None:
        await websocket.close(4000, "custom")

    app = handling_app(endpoint(Denied()), exception_handlers={Denied: close})
    assert await connect_then_wait(app, websocket_scope(DENIAL)) == [
        {"type": "websocket.close", "code": 4000, "reason": "custom"}
    ]


def test_test_client_raises_the_denial_response(test_client_factory: TestClientFactory) -> None:
    app = handling_app(endpoint(Denied()), exception_handlers={Denied: denied})
    client = test_client_factory(app)
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("/ws"):
        pass  # pragma: no cover
    response = info.value
    assert isinstance(response, WebSocketDisconnect)
    assert response.status_code == 403
    assert response.headers["x-reason"] == "policy"
    assert response.text == "denied"


def test_test_client_raises_a_denial_after_accept_on_the_next_receive(test_client_factory: TestClientFactory) -> None:
    app = handling_app(endpoint(Denied(), accept=True), exception_handlers={Denied: denied})
    with test_client_factory(app).websocket_connect("/ws") as session, pytest.raises(WebSocketDenialResponse) as info:
        session.receive_text()
    assert (info.value.status_code, info.value.text) == (403, "denied")
