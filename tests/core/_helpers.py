"""Helpers shared by the tests of starlette-core."""

from __future__ import annotations

from starlette_core.types import Message
from starlette_core.websockets import WebSocket


def make_websocket(*incoming: Message) -> tuple[WebSocket, list[Message]]:
    """A WebSocket whose ``receive()`` gives ``incoming`` in order, and the list its ``send()`` appends to."""
    queue = list(incoming)
    sent: list[Message] = []

    async def receive() -> Message:
        return queue.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    return WebSocket({"type": "websocket", "path": "/", "headers": []}, receive, send), sent
