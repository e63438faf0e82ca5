"""``HTTPConnection.session`` tells a session object that it was read (``mark_accessed()``), as upstream 1.x does
for its ``Session``; plain dicts and objects without the method are handed back as they are."""

from __future__ import annotations

from typing import Any

from starlette_core.requests import HTTPConnection, Request
from starlette_core.websockets import WebSocket


class Tracking(dict[str, Any]):
    reads = 0

    def mark_accessed(self) -> None:
        self.reads += 1


class Plain(dict[str, Any]):
    """A dict subclass without mark_accessed."""


async def receive() -> Any:  # pragma: no cover (never called)
    raise AssertionError


async def send(message: Any) -> None:  # pragma: no cover (never called)
    raise AssertionError


def test_each_read_of_request_session_marks_it_accessed() -> None:
    session = Tracking(a=1)
    request = Request({"type": "http", "headers": [], "session": session})
    assert session.reads == 0
    assert request.session is session
    assert request.session["a"] == 1
    assert session.reads == 2
    # The scope itself is not watched.
    assert request.scope["session"] is session
    assert session.reads == 2


def test_websocket_session_is_marked_too() -> None:
    session = Tracking()
    websocket = WebSocket({"type": "websocket", "headers": [], "session": session}, receive, send)
    assert websocket.session is session
    assert session.reads == 1


def test_plain_dicts_and_other_mappings_are_left_alone() -> None:
    for session in ({"a": 1}, Plain(a=1)):
        connection = HTTPConnection({"type": "http", "headers": [], "session": session})
        assert connection.session is session
        assert connection.session == {"a": 1}
