"""Small helpers for driving middleware with raw ASGI messages (no server, no TestClient)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import anyio

from starlette_core.types import Message, Receive, Scope


def http_scope(
    method: str = "GET",
    path: str = "/",
    headers: Iterable[tuple[bytes, bytes]] = (),
    scheme: str = "http",
    **extra: Any,
) -> Scope:
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": list(headers),
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    scope.update(extra)
    return scope


class Recorder:
    """An ASGI ``send`` that keeps every message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def __call__(self, message: Message) -> None:
        self.messages.append(message)

    @property
    def types(self) -> list[str]:
        return [message["type"] for message in self.messages]

    @property
    def start(self) -> Message:
        return next(message for message in self.messages if message["type"] == "http.response.start")

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.start["headers"])

    @property
    def body(self) -> bytes:
        bodies = [message.get("body", b"") for message in self.messages if message["type"] == "http.response.body"]
        return b"".join(bodies)


def receiver(chunks: Sequence[bytes] = (b"",), *, disconnect: bool = True, done: anyio.Event | None = None) -> Receive:
    """A ``receive`` that gives the body in ``chunks``, then "http.disconnect" (or, with ``disconnect=False``,
    blocks until ``done`` is set, like a server whose client is still there).
    """
    last = len(chunks) - 1
    queue: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": index < last} for index, chunk in enumerate(chunks)
    ]

    async def receive() -> Message:
        if queue:
            return queue.pop(0)
        if not disconnect:
            await (done or anyio.Event()).wait()
        return {"type": "http.disconnect"}

    return receive


def disconnected_receiver() -> Receive:
    """A ``receive`` for a client that has already gone."""

    async def receive() -> Message:
        return {"type": "http.disconnect"}

    return receive
