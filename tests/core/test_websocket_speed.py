"""WebSocket.receive_text/send_text: the fast path (receive()'s and send()'s work done in place) gives exactly the
messages and errors of the general path, which a receive()/send() patched on the instance or the class, or
overridden in a subclass, still takes (it is awaited, as upstream awaits it)."""

from __future__ import annotations

from typing import Any

import pytest

from starlette_core.types import Message
from starlette_core.websockets import WebSocket, WebSocketDisconnect, WebSocketState


class Overridden(WebSocket):
    async def receive(self) -> Message:
        return await super().receive()

    async def send(self, message: Message) -> None:
        await super().send(message)


def scope() -> dict[str, Any]:
    return {"type": "websocket", "path": "/", "headers": [], "query_string": b""}


async def session(cls: type[WebSocket], incoming: list[Message], fail_send: bool = False) -> list[Any]:
    sent: list[Any] = []
    queue = list(incoming)

    async def receive() -> Message:
        return queue.pop(0)

    async def send(message: Message) -> None:
        if fail_send and message["type"] == "websocket.send":
            raise OSError("gone")
        sent.append(dict(message))

    ws = cls(scope(), receive, send)
    await ws.accept()
    try:
        while True:
            await ws.send_text(await ws.receive_text())
    except (WebSocketDisconnect, RuntimeError) as exc:
        sent.append((type(exc), str(exc), getattr(exc, "code", None), getattr(exc, "reason", None)))
    sent.append((ws.client_state, ws.application_state))
    return sent


CASES: list[tuple[list[Message], bool]] = [
    (
        [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "a"}, {"type": "websocket.disconnect"}],
        False,
    ),
    ([{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1001, "reason": "bye"}], False),
    ([{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "a"}, {"type": "http.request"}], False),
    ([{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "a"}], True),
]


@pytest.mark.anyio
@pytest.mark.parametrize("case", CASES)
async def test_fast_path_matches_general_path(case: tuple[list[Message], bool]) -> None:
    incoming, fail_send = case
    fast = await session(WebSocket, incoming, fail_send)
    general = await session(Overridden, incoming, fail_send)
    assert fast == general


@pytest.mark.anyio
async def test_instance_patches_are_awaited() -> None:
    calls: list[str] = []
    sent: list[Message] = []
    queue: list[Message] = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "a"}]

    async def receive() -> Message:
        return queue.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    ws: WebSocket = WebSocket(scope(), receive, send)
    await ws.accept()

    async def patched_receive() -> Message:
        calls.append("receive")
        return {"type": "websocket.receive", "text": "patched"}

    async def patched_send(message: Message) -> None:
        calls.append("send")
        sent.append(message)

    ws.receive = patched_receive  # type: ignore[method-assign]
    ws.send = patched_send  # type: ignore[method-assign]
    assert await ws.receive_text() == "patched"
    await ws.send_text("x")
    assert calls == ["receive", "send"]
    assert sent[-1] == {"type": "websocket.send", "text": "x"}
    assert ws.client_state is WebSocketState.CONNECTED


@pytest.mark.anyio
async def test_class_patches_are_awaited(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original_receive, original_send = WebSocket.receive, WebSocket.send

    async def patched_receive(self: WebSocket) -> Message:
        calls.append("receive")
        return await original_receive(self)

    async def patched_send(self: WebSocket, message: Message) -> None:
        calls.append("send")
        await original_send(self, message)

    monkeypatch.setattr(WebSocket, "receive", patched_receive)
    monkeypatch.setattr(WebSocket, "send", patched_send)
    incoming: list[Message] = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "a"},
        {"type": "websocket.disconnect"},
    ]
    result = await session(WebSocket, incoming)
    assert result[1] == {"type": "websocket.send", "text": "a"}
    assert calls == ["receive", "send", "receive", "send", "receive"]
