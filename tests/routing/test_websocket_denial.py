"""Exceptions raised in a websocket endpoint of an application, as upstream 0.47.3 answers them.

An ``HTTPException`` (or any exception with a handler that returns a response) becomes a denial response:
"websocket.http.response.start" / "websocket.http.response.body", with or without the server's
"websocket.http.response" extension and before or after ``accept()``. A ``WebSocketException`` closes the
connection with its code. The expected messages are upstream's, observed with a raw ASGI driver; through the
TestClient (which offers the extension) a denial is a ``WebSocketDenialResponse`` (FastAPI's websocket security
dependencies answer missing credentials this way).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.exceptions import HTTPException, WebSocketException
from starlette_core.requests import Request
from starlette_core.responses import JSONResponse, Response
from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect
from starlette_middleware.exceptions import ExceptionMiddleware
from starlette_routing.applications import Starlette
from starlette_routing.routing import Mount, WebSocketRoute
from starlette_testing.testclient import WebSocketDenialResponse
from tests.websocket_driver import connect_then_wait

TestClientFactory = Callable[..., Any]


class Teapot(Exception):
    pass


async def unauthorized(websocket: WebSocket) -> None:
    raise HTTPException(401, "Not authenticated", headers={"WWW-Authenticate": "Bearer"})


async def no_content(websocket: WebSocket) -> None:
    raise HTTPException(204)


async def late(websocket: WebSocket) -> None:
    await websocket.accept()
    raise HTTPException(401, "late")


async def teapot(websocket: WebSocket) -> None:
    raise HTTPException(418, "teapot")


async def teapot_error(websocket: WebSocket) -> None:
    raise Teapot()


async def policy(websocket: WebSocket) -> None:
    raise WebSocketException(1008, "policy")


async def late_policy(websocket: WebSocket) -> None:
    await websocket.accept()
    raise WebSocketException(1008, "policy")


async def raw_forbidden(scope: Scope, receive: Receive, send: Send) -> None:
    # A plain ASGI app (no websocket_session around it): its exception reaches ExceptionMiddleware itself.
    raise HTTPException(403, "raw")


async def json_status(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return JSONResponse({"detail": exc.detail}, status_code=exc.status_code)


def teapot_sync(conn: Request, exc: Exception) -> Response:
    return Response("short and stout", status_code=418)


app = Starlette(
    routes=[
        WebSocketRoute("/unauthorized", unauthorized),
        WebSocketRoute("/no-content", no_content),
        WebSocketRoute("/late", late),
        WebSocketRoute("/teapot", teapot),
        WebSocketRoute("/teapot-error", teapot_error),
        WebSocketRoute("/policy", policy),
        WebSocketRoute("/late-policy", late_policy),
        Mount("/raw", raw_forbidden),
    ],
    exception_handlers={418: json_status, Teapot: teapot_sync},
)


def websocket_scope(path: str, extensions: dict[str, Any] | None) -> Scope:
    scope: Scope = {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "path": path,
        "raw_path": path.encode(),
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


async def drive(path: str, extensions: dict[str, Any] | None) -> list[Message]:
    return await connect_then_wait(app, websocket_scope(path, extensions))


ACCEPT: Message = {"type": "websocket.accept", "subprotocol": None, "headers": []}
TEXT_PLAIN = (b"content-type", b"text/plain; charset=utf-8")

EXPECTED: dict[str, list[Message]] = {
    "/unauthorized": [
        {
            "type": "websocket.http.response.start",
            "status": 401,
            "headers": [(b"www-authenticate", b"Bearer"), (b"content-length", b"17"), TEXT_PLAIN],
        },
        {"type": "websocket.http.response.body", "body": b"Not authenticated"},
    ],
    "/no-content": [
        {"type": "websocket.http.response.start", "status": 204, "headers": []},
        {"type": "websocket.http.response.body", "body": b""},
    ],
    "/late": [
        ACCEPT,
        {"type": "websocket.http.response.start", "status": 401, "headers": [(b"content-length", b"4"), TEXT_PLAIN]},
        {"type": "websocket.http.response.body", "body": b"late"},
    ],
    "/teapot": [
        {
            "type": "websocket.http.response.start",
            "status": 418,
            "headers": [(b"content-length", b"19"), (b"content-type", b"application/json")],
        },
        {"type": "websocket.http.response.body", "body": b'{"detail":"teapot"}'},
    ],
    "/teapot-error": [
        {"type": "websocket.http.response.start", "status": 418, "headers": [(b"content-length", b"15")]},
        {"type": "websocket.http.response.body", "body": b"short and stout"},
    ],
    "/policy": [{"type": "websocket.close", "code": 1008, "reason": "policy"}],
    "/late-policy": [ACCEPT, {"type": "websocket.close", "code": 1008, "reason": "policy"}],
    "/raw/": [
        {"type": "websocket.http.response.start", "status": 403, "headers": [(b"content-length", b"3"), TEXT_PLAIN]},
        {"type": "websocket.http.response.body", "body": b"raw"},
    ],
}


@pytest.mark.anyio
@pytest.mark.parametrize("path", list(EXPECTED))
@pytest.mark.parametrize(
    "extensions", [{"websocket.http.response": {}}, None], ids=["denial-extension", "no-extensions"]
)
async def test_messages_as_upstream(path: str, extensions: dict[str, Any] | None) -> None:
    assert await drive(path, extensions) == EXPECTED[path]


@pytest.mark.anyio
async def test_exception_middleware_alone() -> None:
    sent: list[Message] = []

    async def receive() -> Message:
        raise AssertionError("not read")  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    scope = websocket_scope("/", {"websocket.http.response": {}})
    await ExceptionMiddleware(raw_forbidden)(scope, receive, send)
    assert sent == EXPECTED["/raw/"]


def test_missing_credentials_through_the_test_client(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    with pytest.raises(WebSocketDenialResponse) as info, client.websocket_connect("/unauthorized"):
        pass  # pragma: no cover
    response = info.value
    assert isinstance(response, WebSocketDisconnect)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.text == "Not authenticated"


def test_status_handler_through_the_test_client(test_client_factory: TestClientFactory) -> None:
    with pytest.raises(WebSocketDenialResponse) as info, test_client_factory(app).websocket_connect("/teapot"):
        pass  # pragma: no cover
    assert info.value.status_code == 418
    assert info.value.json() == {"detail": "teapot"}


def test_denial_after_accept_through_the_test_client(test_client_factory: TestClientFactory) -> None:
    with test_client_factory(app).websocket_connect("/late") as session, pytest.raises(WebSocketDenialResponse) as info:
        session.receive_text()
    assert (info.value.status_code, info.value.text) == (401, "late")


def test_websocket_exception_still_closes(test_client_factory: TestClientFactory) -> None:
    client = test_client_factory(app)
    with pytest.raises(WebSocketDisconnect) as info, client.websocket_connect("/policy"):
        pass  # pragma: no cover
    assert not isinstance(info.value, WebSocketDenialResponse)
    assert (info.value.code, info.value.reason) == (1008, "policy")
