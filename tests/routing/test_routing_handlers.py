"""The app's exception handlers around route endpoints (request_response and websocket_session)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Callable

import pytest

from starlette_core.requests import Request
from starlette_core.responses import Response, StreamingResponse
from starlette_core.websockets import WebSocket, WebSocketDisconnect
from starlette_routing.applications import Starlette
from starlette_routing.routing import Route, WebSocketRoute

TestClientFactory = Callable[..., Any]


class Boom(Exception):
    pass


def test_handled_exception_after_the_response_started(test_client_factory: TestClientFactory) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"partial"
        raise Boom()

    async def endpoint(request: Request) -> Response:
        return StreamingResponse(chunks())

    async def handler(request: Request, exc: Exception) -> Response:
        return Response("handled")  # pragma: no cover

    app = Starlette(routes=[Route("/", endpoint)], exception_handlers={Boom: handler})
    client = test_client_factory(app)
    with pytest.raises(RuntimeError, match=r"Caught handled exception, but response already started\."):
        client.get("/")


def test_websocket_session_exception_goes_to_the_handler(test_client_factory: TestClientFactory) -> None:
    async def session(websocket: WebSocket) -> None:
        await websocket.accept()
        raise Boom()

    async def handler(websocket: WebSocket, exc: Exception) -> None:
        await websocket.close(code=4321, reason=type(exc).__name__)

    app = Starlette(routes=[WebSocketRoute("/ws", session)], exception_handlers={Boom: handler})
    client = test_client_factory(app)
    with client.websocket_connect("/ws") as websocket, pytest.raises(WebSocketDisconnect) as info:
        websocket.receive_text()
    assert info.value.code == 4321
    assert info.value.reason == "Boom"


def test_websocket_session_exception_without_handler_propagates(test_client_factory: TestClientFactory) -> None:
    async def session(websocket: WebSocket) -> None:
        await websocket.accept()
        raise Boom("no handler")

    client = test_client_factory(Starlette(routes=[WebSocketRoute("/ws", session)]))
    with pytest.raises(Boom, match="no handler"), client.websocket_connect("/ws") as websocket:
        websocket.receive_text()
