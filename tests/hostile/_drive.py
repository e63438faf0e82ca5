"""Drive an ASGI app with hand-made scopes and hostile input, and check the shape of what comes back.

``http(...)`` runs one HTTP request: the body arrives in the given chunks, every ``receive()`` past the body answers
``http.disconnect`` (so an app can never wait for input that will not come), and the calls to ``receive()`` and
``send()`` are counted.  Whatever the app raises propagates: an exception here is one that would have escaped to
the server.  ``websocket(...)`` runs a WebSocket session the same way, but records what the app raises, for the test
to judge (upstream's ``WebSocketEndpoint`` raises after closing with 1003).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Optional

from hypothesis import HealthCheck, settings

from starlette.types import ASGIApp, Message, Scope

# Every property test here: a modest number of examples, and a per-example deadline far above what any example
# needs (a few milliseconds), so only pathological (super-linear) work on hostile input trips it.  The backends
# come from the function-scoped ``anyio_backend`` fixture, which is the same for every example of one test.
HOSTILE = settings(
    max_examples=60,
    deadline=timedelta(seconds=10),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@dataclass
class Answer:
    """An HTTP response as the app sent it, and how much of the request it asked for."""

    status: int
    raw_headers: list[tuple[bytes, bytes]]
    body: bytes
    receives: int  # calls to receive(), the disconnects past the body included
    sends: int  # messages sent

    def header(self, name: str) -> Optional[str]:
        key = name.lower().encode("latin-1")
        for existing, value in self.raw_headers:
            if existing == key:
                return value.decode("latin-1")
        return None

    def json(self) -> Any:
        return json.loads(self.body)


def chunked(body: bytes, cuts: Sequence[int]) -> list[bytes]:
    """``body`` split at the given positions (taken modulo its length, in order): how it arrives."""
    points = sorted({cut % (len(body) + 1) for cut in cuts} | {0, len(body)})
    return [body[start:end] for start, end in zip(points, points[1:])] or [b""]


def http_scope(
    path: str = "/",
    *,
    method: str = "GET",
    headers: Sequence[tuple[bytes, bytes]] = (),
    raw_path: Optional[bytes] = None,
    query_string: bytes = b"",
    server: Optional[tuple[str, Optional[int]]] = ("testserver", 80),
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("utf-8", "surrogateescape") if raw_path is None else raw_path,
        "query_string": query_string,
        "root_path": "",
        "headers": list(headers),
        "client": ("127.0.0.1", 50000),
        "server": server,
    }


async def http(app: ASGIApp, scope: Scope, chunks: Sequence[bytes] = (b"",)) -> Answer:
    """Run one HTTP request through ``app``; check that it sent exactly one well-formed response."""
    pending: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": index < len(chunks) - 1}
        for index, chunk in enumerate(chunks or (b"",))
    ]
    pending.reverse()
    receives = 0
    sent: list[Message] = []

    async def receive() -> Message:
        nonlocal receives
        receives += 1
        return pending.pop() if pending else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if sent:
            assert sent[-1]["type"] == "http.response.start" or sent[-1].get("more_body", False), (
                f"{message['type']} sent after the response was complete"
            )
            assert message["type"] == "http.response.body", f"unexpected {message['type']}"
        else:
            assert message["type"] == "http.response.start", f"{message['type']} sent before http.response.start"
        sent.append(message)

    await app(scope, receive, send)
    assert sent, "the app sent no response"
    assert len(sent) >= 2 and not sent[-1].get("more_body", False), "the response was never completed"
    start = sent[0]
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return Answer(int(start["status"]), list(start.get("headers", [])), body, receives, len(sent))


def assert_answered(answer: Answer, allowed: frozenset[int] | set[int]) -> None:
    """One of the statuses the test expects (successes and client errors): never a 5xx."""
    assert answer.status < 500, f"server error {answer.status}: {answer.body[:300]!r}"
    assert answer.status in allowed, f"unexpected {answer.status}: {answer.body[:300]!r}"


@dataclass
class Session:
    """What a WebSocket app sent during one session, and what it raised (if anything) at the end."""

    sent: list[Message] = field(default_factory=list)
    receives: int = 0
    raised: Optional[BaseException] = None

    @property
    def close_code(self) -> Optional[int]:
        for message in self.sent:
            if message["type"] == "websocket.close":
                return int(message.get("code", 1000))
        return None

    def texts(self) -> list[str]:
        return [message["text"] for message in self.sent if message["type"] == "websocket.send" and "text" in message]


def websocket_scope(path: str) -> Scope:
    return {
        "type": "websocket",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "scheme": "ws",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "subprotocols": [],
    }


async def websocket(app: ASGIApp, path: str, frames: Sequence[Message]) -> Session:
    """Connect, send ``frames`` (``websocket.receive`` messages), then hang up with 1000 (or answer the app's own
    close with a disconnect).  An exception the app raises is recorded in ``raised``, for the test to judge."""
    pending = [{"type": "websocket.connect"}, *frames]
    pending.reverse()
    session = Session()

    async def receive() -> Message:
        session.receives += 1
        code = session.close_code
        if code is not None:
            return {"type": "websocket.disconnect", "code": code}
        return pending.pop() if pending else {"type": "websocket.disconnect", "code": 1000}

    async def send(message: Message) -> None:
        assert session.close_code is None, f"{message['type']} sent after websocket.close"
        session.sent.append(message)

    try:
        await app(websocket_scope(path), receive, send)
    except Exception as exc:
        session.raised = exc
    return session
