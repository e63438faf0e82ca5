"""A frame of the other type than the one an app asks for (``receive_text()`` and a binary frame, ``receive_bytes()``
and a text one, ``receive_json()`` in either mode) is the client's mistake.

Upstream raises ``KeyError`` (or, where the server sends both keys, returns ``None`` or fails on it), so an app that
does not expect it closes with 1011 and the server logs a traceback. Ours raises an exception that is still a
``KeyError`` and also a ``WebSocketException(1003)``: the exception middleware closes the connection with 1003
("unsupported data", RFC 6455) and nothing is logged, unless the app or a handler deals with it first.
"""

from __future__ import annotations

from typing import Any, Callable

import pytest

from starlette_core.exceptions import WebSocketException
from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect
from starlette_routing.applications import Starlette
from starlette_routing.routing import WebSocketRoute

TestClientFactory = Callable[..., Any]

TEXT_FIRST = "Expected a text frame, got a binary one."
BYTES_FIRST = "Expected a bytes frame, got a text one."


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
    ("/text", ("text", "hi"), ("bytes", b"hi"), TEXT_FIRST),
    ("/bytes", ("bytes", b"hi"), ("text", "hi"), BYTES_FIRST),
    ("/json-text", ("text", "[1]"), ("bytes", b"[1]"), TEXT_FIRST),
    ("/json-binary", ("bytes", b"[1]"), ("text", "[1]"), BYTES_FIRST),
    ("/iter-text", ("text", "hi"), ("bytes", b"hi"), TEXT_FIRST),
    ("/iter-bytes", ("bytes", b"hi"), ("text", "hi"), BYTES_FIRST),
    ("/iter-json", ("text", "[1]"), ("bytes", b"[1]"), TEXT_FIRST),
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


def connection(incoming: list[Message]) -> tuple[WebSocket, list[Message]]:
    """A WebSocket fed ``incoming`` after its connect message, and the list of what it sends."""
    queue: list[Message] = [{"type": "websocket.connect"}, *incoming]
    sent: list[Message] = []

    async def receive() -> Message:
        return queue.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    return WebSocket({"type": "websocket", "path": "/", "headers": []}, receive, send), sent


# Servers that send both keys, the other one None (as hypercorn does), as well as the one key alone.
BINARY_FRAMES = [{"bytes": b"[1]"}, {"bytes": b"[1]", "text": None}]
TEXT_FRAMES = [{"text": "[1]"}, {"bytes": None, "text": "[1]"}]


@pytest.mark.anyio
@pytest.mark.parametrize("frame", BINARY_FRAMES)
@pytest.mark.parametrize("method", ["receive_text", "receive_json"])
async def test_text_expected_binary_received(frame: dict[str, Any], method: str) -> None:
    websocket, _ = connection([{"type": "websocket.receive", **frame}])
    await websocket.accept()
    with pytest.raises(KeyError) as info:
        await getattr(websocket, method)()
    error = info.value
    assert isinstance(error, WebSocketException)
    assert (error.code, error.reason, str(error)) == (1003, TEXT_FIRST, TEXT_FIRST)
    assert error.args == ("text",)
    # No "During handling of the above exception" KeyError('text') in front of it.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


@pytest.mark.anyio
@pytest.mark.parametrize("frame", TEXT_FRAMES)
@pytest.mark.parametrize("method", ["receive_bytes", "receive_json"])
async def test_bytes_expected_text_received(frame: dict[str, Any], method: str) -> None:
    websocket, _ = connection([{"type": "websocket.receive", **frame}])
    await websocket.accept()
    call = websocket.receive_bytes() if method == "receive_bytes" else websocket.receive_json(mode="binary")
    with pytest.raises(KeyError) as info:
        await call
    error = info.value
    assert isinstance(error, WebSocketException)
    assert (error.code, error.reason) == (1003, BYTES_FIRST)
    assert repr(error) == f"_UnexpectedFrame(code=1003, reason={BYTES_FIRST!r})"


@pytest.mark.anyio
@pytest.mark.parametrize("frame", [{"text": ""}, {"text": "", "bytes": None}])
async def test_an_empty_text_frame_is_text(frame: dict[str, Any]) -> None:
    websocket, _ = connection([{"type": "websocket.receive", **frame}])
    await websocket.accept()
    assert await websocket.receive_text() == ""


@pytest.mark.anyio
async def test_a_patched_receive_is_checked_too() -> None:
    # receive_text's fast path reads the message itself; through a patched receive() the other branch does.
    websocket, _ = connection([{"type": "websocket.receive", "bytes": b"x"}])
    await websocket.accept()
    original = websocket.receive

    async def patched() -> Message:
        return await original()

    websocket.receive = patched  # type: ignore[method-assign]
    with pytest.raises(WebSocketException, match=TEXT_FIRST):
        await websocket.receive_text()


def test_an_app_catching_key_error_still_can(test_client_factory: TestClientFactory) -> None:
    async def tolerant(scope: Scope, receive: Receive, send: Send) -> None:
        websocket = WebSocket(scope, receive, send)
        await websocket.accept()
        while True:
            try:
                text = await websocket.receive_text()
            except KeyError:
                await websocket.send_text("text frames only, please")
                continue
            except WebSocketDisconnect:
                return
            await websocket.send_text(text)

    with test_client_factory(tolerant).websocket_connect("/") as websocket:
        websocket.send_bytes(b"x")
        assert websocket.receive_text() == "text frames only, please"
        websocket.send_text("y")
        assert websocket.receive_text() == "y"


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
