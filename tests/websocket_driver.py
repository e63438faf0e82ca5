"""A WebSocket client for raw ASGI tests: it connects, then only waits, and keeps every message the app sends.

Shared by the websocket-denial tests of several packages (scripts/check-dists copies it with tests/conftest.py).
"""

from __future__ import annotations

import anyio

from starlette_core.types import ASGIApp, Message, Scope


async def connect_then_wait(app: ASGIApp, scope: Scope) -> list[Message]:
    """Run ``app`` as a server would, with a client that connects and then only waits: every message it sent."""
    sent: list[Message] = []
    connect: list[Message] = [{"type": "websocket.connect"}]

    async def receive() -> Message:
        if connect:
            return connect.pop()
        await anyio.sleep_forever()
        raise AssertionError("unreachable")  # pragma: no cover

    async def send(message: Message) -> None:
        sent.append(message)

    with anyio.fail_after(10):
        await app(scope, receive, send)
    return sent
