"""The libraries built on Starlette, served by real servers: FastAPI and sse-starlette on our meta-package."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sse_starlette import EventSourceResponse, ServerSentEvent
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from tests.e2e.servers import LiveServer, serve
from tests.integration.fastapi_app import create_app


def wait_until(condition: Any, timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def test_fastapi_app_on_a_real_server(server_kind: str, static_dir: Path) -> None:
    (static_dir / "hello.txt").write_text("hello, static world\n")
    app = create_app(static_dir)
    events: list[str] = app.state.events
    with serve(server_kind, app) as server, httpx.Client(base_url=server.url, timeout=5.0) as client:
        assert events == ["lifespan startup"]
        key = {"x-key": "let-me-in"}

        created = client.post("/v1/items", json={"name": "Widget", "price": 2.5}, headers=key)
        assert created.status_code == 201
        assert created.json() == {"id": 1, "name": "Widget", "price": 2.5, "tags": []}
        invalid = client.post("/v1/items", json={"name": "", "price": 0}, headers=key)
        assert invalid.status_code == 422
        assert invalid.json()["handled_by"] == "custom"

        uploaded = client.post(
            "/form", data={"username": "ada"}, files={"document": ("r.txt", b"report", "text/plain")}
        )
        assert uploaded.json()["document"] == {"filename": "r.txt", "size": 6, "type": "text/plain"}

        assert client.post("/tasks").status_code == 202
        assert wait_until(lambda: "sync task: written" in events)  # background tasks finish after the response

        assert client.get("/static/hello.txt").text == "hello, static world\n"
        assert client.get("/lifespan-state").json() == {"model": "a loaded model", "started": True}
        schema = client.get("/openapi.json").json()
        assert "/v1/items/{item_id}" in schema["paths"]
        assert "swagger-ui" in client.get("/docs").text

        with connect(server.ws_url + "/ws/lobby?token=sesame&nickname=ada", open_timeout=5) as websocket:
            assert json.loads(websocket.recv(timeout=5)) == {"room": "lobby", "nickname": "ada", "token": "sesame"}
            websocket.send(json.dumps({"text": "hi"}))
            assert json.loads(websocket.recv(timeout=5)) == {"room": "lobby", "echo": {"text": "hi"}}
        assert wait_until(lambda: any(event.startswith("ada left lobby") for event in events))

        # A WebSocketException raised before accept() refuses the handshake.
        with pytest.raises(InvalidStatus) as info:
            connect(server.ws_url + "/ws/lobby?token=wrong", open_timeout=5)
        assert info.value.response.status_code == 403
    assert events[-1] == "lifespan shutdown"


class Ticker:
    def __init__(self) -> None:
        self.release = threading.Event()
        self.sent: list[str] = []
        self.disconnected = threading.Event()

    async def endpoint(self, request: Request) -> Response:
        async def events() -> AsyncIterator[ServerSentEvent]:
            self.sent.append("first")
            yield ServerSentEvent(data="first", event="tick")
            with anyio.move_on_after(5):
                while not self.release.is_set():
                    await anyio.sleep(0.005)
            self.sent.append("second")
            yield ServerSentEvent(data="second", event="tick")
            await anyio.sleep(5)  # the client hangs up in the meantime  # pragma: no cover

        async def on_close(message: Any) -> None:
            self.disconnected.set()

        return EventSourceResponse(events(), client_close_handler_callable=on_close)


@pytest.fixture
def ticker_server(server_kind: str) -> Iterator[tuple[Ticker, LiveServer]]:
    ticker = Ticker()
    with serve(server_kind, Starlette(routes=[Route("/ticks", ticker.endpoint)])) as server:
        yield ticker, server


def test_server_sent_events_arrive_as_they_are_produced(ticker_server: tuple[Ticker, LiveServer]) -> None:
    ticker, server = ticker_server
    with httpx.Client(base_url=server.url, timeout=5.0) as client, client.stream("GET", "/ticks") as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        lines = response.iter_lines()
        assert [next(lines) for _ in range(2)] == ["event: tick", "data: first"]
        assert ticker.sent == ["first"]  # the client has the first event before the second exists
        ticker.release.set()
        assert next(lines) == ""
        assert [next(lines) for _ in range(2)] == ["event: tick", "data: second"]
    # Hanging up is noticed by sse-starlette's disconnect listener.
    assert ticker.disconnected.wait(3.0)
