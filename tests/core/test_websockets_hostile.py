"""WebSocket.receive_json against frames nested deeper than the JSON decoder follows: it raises what any invalid
JSON raises (json.JSONDecodeError), so an app that answers bad JSON with a close answers this one too. And
send_json of what a client's valid JSON decoded to (a lone surrogate) sends UTF-8 the server can write.
"""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from starlette_core.types import Message, Receive, Scope, Send
from starlette_core.websockets import WebSocket, WebSocketDisconnect

TestClientFactory = Callable[..., Any]

DEEP_ARRAY = "[" * 100_000


async def careful_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Echoes JSON frames; closes with 1003 on invalid JSON, as upstream's receive_json lets an app do."""
    websocket = WebSocket(scope, receive, send)
    await websocket.accept()
    mode = "binary" if scope["path"] == "/binary" else "text"
    while True:
        try:
            data = await websocket.receive_json(mode=mode)
        except json.JSONDecodeError:
            await websocket.close(code=1003)
            return
        except WebSocketDisconnect:
            return
        await websocket.send_json(data)


# The last is well-formed but too deep to decode: 100,000 levels, past the C recursion limit json's decoder counts
# against from Python 3.12 on (between 8,000 and 10,000 levels on 3.13), as past the recursion limit before.
@pytest.mark.parametrize("frame", ["{", DEEP_ARRAY, '{"a":' * 100_000, "[" * 100_000 + "]" * 100_000])
def test_an_app_handling_invalid_json_handles_deep_json(test_client_factory: TestClientFactory, frame: str) -> None:
    client = test_client_factory(careful_app)
    with client.websocket_connect("/text") as websocket:
        websocket.send_text(frame)
        assert websocket.receive() == {"type": "websocket.close", "code": 1003, "reason": ""}
    with client.websocket_connect("/binary") as websocket:
        websocket.send_bytes(frame.encode())
        assert websocket.receive() == {"type": "websocket.close", "code": 1003, "reason": ""}
    with client.websocket_connect("/text") as websocket:
        websocket.send_json({"still": "serving"})
        assert websocket.receive_json() == {"still": "serving"}


@pytest.mark.anyio
async def test_the_error_is_a_json_decode_error() -> None:
    incoming: list[Message] = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": DEEP_ARRAY}]

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        pass

    websocket = WebSocket({"type": "websocket", "path": "/", "headers": []}, receive, send)
    await websocket.accept()
    with pytest.raises(json.JSONDecodeError) as info:
        await websocket.receive_json()
    assert isinstance(info.value, ValueError)
    assert info.value.doc is DEEP_ARRAY
    assert info.value.__cause__ is None


@pytest.mark.anyio
@pytest.mark.parametrize("mode", ["text", "binary"])
async def test_send_json_of_a_lone_surrogate_sends_utf8(mode: str) -> None:
    # The client's frame is valid JSON holding "\ud800"; echoing it must give the server something it can send.
    frame = '{"echo":"\\ud800","ok":"é"}'
    incoming: list[Message] = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": frame}]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    websocket = WebSocket({"type": "websocket", "path": "/", "headers": []}, receive, send)
    await websocket.accept()
    data = await websocket.receive_json()
    assert data == {"echo": "\ud800", "ok": "é"}
    await websocket.send_json(data, mode=mode)
    message = sent[-1]
    payload = message["text"].encode("utf-8") if mode == "text" else message["bytes"]
    assert json.loads(payload) == data  # valid UTF-8, and the same data read back
    await websocket.send_json({"ok": "é"}, mode=mode)  # a document with a UTF-8 form is sent as before
    document = '{"ok":"é"}'
    expected = {"text": document} if mode == "text" else {"bytes": document.encode()}
    assert sent[-1] == {"type": "websocket.send", **expected}
