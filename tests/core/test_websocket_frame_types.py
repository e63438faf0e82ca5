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

from ._helpers import make_websocket

TestClientFactory = Callable[..., Any]

CONNECT: Message = {"type": "websocket.connect"}
TEXT_EXPECTED = "Expected a text frame, got a binary one."
BINARY_EXPECTED = "Expected a binary frame, got a text one."


# Servers that send both keys, the other one None (as hypercorn does), as well as the one key alone.
BINARY_FRAMES = [{"bytes": b"[1]"}, {"bytes": b"[1]", "text": None}]
TEXT_FRAMES = [{"text": "[1]"}, {"bytes": None, "text": "[1]"}]


@pytest.mark.anyio
@pytest.mark.parametrize("frame", BINARY_FRAMES)
@pytest.mark.parametrize("method", ["receive_text", "receive_json"])
async def test_text_expected_binary_received(frame: dict[str, Any], method: str) -> None:
    websocket, _ = make_websocket(CONNECT, {"type": "websocket.receive", **frame})
    await websocket.accept()
    with pytest.raises(KeyError) as info:
        await getattr(websocket, method)()
    error = info.value
    assert isinstance(error, WebSocketException)
    assert (error.code, error.reason, str(error)) == (1003, TEXT_EXPECTED, TEXT_EXPECTED)
    assert error.args == ("text",)
    # No "During handling of the above exception" KeyError('text') in front of it.
    assert error.__cause__ is None
    assert error.__context__ is None or error.__suppress_context__


@pytest.mark.anyio
@pytest.mark.parametrize("frame", TEXT_FRAMES)
@pytest.mark.parametrize("method", ["receive_bytes", "receive_json"])
async def test_bytes_expected_text_received(frame: dict[str, Any], method: str) -> None:
    websocket, _ = make_websocket(CONNECT, {"type": "websocket.receive", **frame})
    await websocket.accept()
    call = websocket.receive_bytes() if method == "receive_bytes" else websocket.receive_json(mode="binary")
    with pytest.raises(KeyError) as info:
        await call
    error = info.value
    assert isinstance(error, WebSocketException)
    assert (error.code, error.reason) == (1003, BINARY_EXPECTED)
    assert repr(error) == f"_UnexpectedFrame(code=1003, reason={BINARY_EXPECTED!r})"


@pytest.mark.anyio
@pytest.mark.parametrize("frame", [{"text": ""}, {"text": "", "bytes": None}])
async def test_an_empty_text_frame_is_text(frame: dict[str, Any]) -> None:
    websocket, _ = make_websocket(CONNECT, {"type": "websocket.receive", **frame})
    await websocket.accept()
    assert await websocket.receive_text() == ""


@pytest.mark.anyio
async def test_a_patched_receive_is_checked_too() -> None:
    # receive_text's fast path reads the message itself; through a patched receive() the other branch does.
    websocket, _ = make_websocket(CONNECT, {"type": "websocket.receive", "bytes": b"x"})
    await websocket.accept()
    original = websocket.receive

    async def patched() -> Message:
        return await original()

    websocket.receive = patched  # type: ignore[method-assign]
    with pytest.raises(WebSocketException, match=TEXT_EXPECTED):
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
