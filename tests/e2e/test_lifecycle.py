"""Lifespan over real servers, and the servers' own life cycle: they start, serve, stop, and leave nothing behind."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from tests.e2e.app import build_app
from tests.e2e.conftest import server_threads
from tests.e2e.servers import ServerError, copies_state_per_request, port_is_closed, serve


def test_lifespan_startup_state_and_shutdown(server_kind: str, static_dir: Path) -> None:
    app = build_app(static_dir)
    events = app.state.e2e.events
    assert events == []
    with serve(server_kind, app) as server:
        assert events == ["startup"]
        with httpx.Client(base_url=server.url, timeout=5.0) as client:  # one connection, kept alive
            first = client.get("/state").json()
            second = client.get("/state").json()
        with httpx.Client(base_url=server.url, timeout=5.0) as client:  # another connection
            third = client.get("/state").json()
        assert events == ["startup"]
    assert events == ["startup", "shutdown"]
    # Each request sees its own shallow copy of the lifespan state: rebinding a name does not leak...
    assert first == {"greeting": "hello from the lifespan", "hits": 1}
    # ...but the objects inside are the lifespan's own. (The copy is the server's: hypercorn before 0.18 makes one
    # per connection, so there the second request on a connection sees what the first rebound.)
    greeting = "hello from the lifespan" if copies_state_per_request(server_kind) else "changed by a request"
    assert second == {"greeting": greeting, "hits": 2}
    assert third == {"greeting": "hello from the lifespan", "hits": 3}


def test_server_stops_and_leaves_nothing_behind(server_kind: str, static_dir: Path) -> None:
    before = set(threading.enumerate())
    with serve(server_kind, build_app(static_dir)) as server:
        assert server.thread.is_alive()
        assert server_threads() == [server.thread]
        assert not port_is_closed(server.port)
        with httpx.Client(base_url=server.url, timeout=5.0) as client:
            assert client.get("/").text == "home"
    assert not server.thread.is_alive()
    assert server_threads() == []
    assert port_is_closed(server.port)
    leftovers = {thread for thread in set(threading.enumerate()) - before if not thread.daemon}
    assert leftovers == set()


@contextlib.asynccontextmanager
async def failing_lifespan(app: Starlette) -> AsyncIterator[None]:
    if getattr(app.state, "database", None) is None:
        raise RuntimeError("the database is not there")
    yield  # pragma: no cover - never reached


async def ok(request: Request) -> Response:
    return PlainTextResponse("ok")  # pragma: no cover - the server never serves it


def test_failing_startup_keeps_the_server_from_serving(server_kind: str) -> None:
    app = Starlette(routes=[Route("/", ok)], lifespan=failing_lifespan)
    with pytest.raises(ServerError), serve(server_kind, app):
        pass  # pragma: no cover - never reached
    assert server_threads() == []
