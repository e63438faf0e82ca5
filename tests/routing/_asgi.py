"""Drive an ASGI app with a hand-made scope (for requests that an HTTP client cannot express)."""

from __future__ import annotations

from typing import Any

from starlette_core.types import ASGIApp, Message, Scope


def http_scope(path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None, **extra: Any) -> Scope:
    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape"),
        "query_string": b"",
        "root_path": "",
        "headers": [] if headers is None else headers,
        "client": None,
        "server": None,
    }
    scope.update(extra)
    return scope


async def call(app: ASGIApp, scope: Scope, chunks: list[bytes] | None = None) -> list[Message]:
    """Run ``app`` with ``scope``; the request body arrives in ``chunks``. Returns the messages sent."""
    pending: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks or [b""]) - 1}
        for index, chunk in enumerate(chunks or [b""])
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return {"type": "http.disconnect"}  # pragma: no cover - the apps under test never read past the body

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def response_start(messages: list[Message]) -> tuple[int, dict[str, str]]:
    start = next(message for message in messages if message["type"] == "http.response.start")
    headers = {key.decode("latin-1"): value.decode("latin-1") for key, value in start.get("headers", [])}
    return start["status"], headers


def response_body(messages: list[Message]) -> bytes:
    return b"".join(message.get("body", b"") for message in messages if message["type"] == "http.response.body")
