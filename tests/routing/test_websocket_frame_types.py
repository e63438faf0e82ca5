"""A frame of the other type than the one an endpoint asks for closes the connection with 1003 through an app's
exception middleware, unless a handler the app registered for ``KeyError`` takes it first (see
``tests/core/test_websocket_frame_types.py`` for the exception itself).
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.websockets import WebSocket
from starlette_routing.applications import Starlette
from starlette_routing.routing import WebSocketRoute

TestClientFactory = Callable[..., Any]

TEXT_EXPECTED = "Expected a text frame, got a binary one."
BINARY_EXPECTED = "Expected a binary frame, got a text one."


async def text_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    while True:
        await websocket.send_text(await websocket.receive_text())


async def bytes_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    while True:
        await websocket.send_bytes(await websocket.receive_bytes())


async def json_text_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    while True:
        await websocket.send_json(await websocket.receive_json())


async def json_binary_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    while True:
        await websocket.send_json(await websocket.receive_json(mode="binary"), mode="binary")


async def iter_text_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for text in websocket.iter_text():
        await websocket.send_text(text)


async def iter_bytes_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for data in websocket.iter_bytes():
        await websocket.send_bytes(data)


async def iter_json_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    async for data in websocket.iter_json():
        await websocket.send_json(data)


def echo_app() -> Starlette:
    return Starlette(
        routes=[
            WebSocketRoute("/text", text_echo),
            WebSocketRoute("/bytes", bytes_echo),
            WebSocketRoute("/json-text", json_text_echo),
            WebSocketRoute("/json-binary", json_binary_echo),
            WebSocketRoute("/iter-text", iter_text_echo),
            WebSocketRoute("/iter-bytes", iter_bytes_echo),
            WebSocketRoute("/iter-json", iter_json_echo),
        ]
    )


# (path, a frame of the expected type and the echo it gets, a frame of the other type, the close reason)
CASES = [
    ("/text", ("text", "hi"), ("bytes", b"hi"), TEXT_EXPECTED),
    ("/bytes", ("bytes", b"hi"), ("text", "hi"), BINARY_EXPECTED),
    ("/json-text", ("text", "[1]"), ("bytes", b"[1]"), TEXT_EXPECTED),
    ("/json-binary", ("bytes", b"[1]"), ("text", "[1]"), BINARY_EXPECTED),
    ("/iter-text", ("text", "hi"), ("bytes", b"hi"), TEXT_EXPECTED),
    ("/iter-bytes", ("bytes", b"hi"), ("text", "hi"), BINARY_EXPECTED),
    ("/iter-json", ("text", "[1]"), ("bytes", b"[1]"), TEXT_EXPECTED),
]


@pytest.mark.parametrize(("path", "good", "bad", "reason"), CASES)
def test_a_frame_of_the_other_type_closes_with_1003(
    test_client_factory: TestClientFactory,
    path: str,
    good: tuple[str, Any],
    bad: tuple[str, Any],
    reason: str,
) -> None:
    # The test client re-raises what the app raises: the close is all that comes of it.
    client = test_client_factory(echo_app())
    with client.websocket_connect(path) as websocket:
        websocket.send({"type": "websocket.receive", good[0]: good[1]})
        echoed = websocket.receive()
        assert echoed["type"] == "websocket.send"
        websocket.send({"type": "websocket.receive", bad[0]: bad[1]})
        assert websocket.receive() == {"type": "websocket.close", "code": 1003, "reason": reason}


def test_a_key_error_handler_comes_first(test_client_factory: TestClientFactory) -> None:
    # Handlers are looked up along the exception's class's MRO, KeyError before WebSocketException: an app's
    # handler for KeyError (or LookupError) still gets it, as it does upstream.
    seen: list[BaseException] = []

    async def on_key_error(websocket: WebSocket, exc: Exception) -> None:
        seen.append(exc)
        await websocket.close(code=4000, reason="handled")

    app = Starlette(routes=[WebSocketRoute("/text", text_echo)], exception_handlers={LookupError: on_key_error})
    with test_client_factory(app).websocket_connect("/text") as websocket:
        websocket.send_bytes(b"x")
        assert websocket.receive() == {"type": "websocket.close", "code": 4000, "reason": "handled"}
    assert len(seen) == 1 and isinstance(seen[0], KeyError)
