"""sse-starlette 3.0.3 on our meta-package: an EventSourceResponse streaming server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any, Callable

import anyio
from sse_starlette import EventSourceResponse, ServerSentEvent

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


def parse_events(text: str) -> list[dict[str, str]]:
    """Split an event stream into events (field -> value, several data lines joined with a newline, as browsers
    do); comment lines are kept under ":"."""
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        if not block:
            continue
        event: dict[str, str] = {}
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            key, value = field or ":", value.removeprefix(" ")
            event[key] = event[key] + "\n" + value if key == "data" and key in event else value
        events.append(event)
    return events


def test_event_source_response_streams_events(test_client_factory: Callable[..., Any]) -> None:
    done: list[str] = []

    async def prices(request: Request) -> Response:
        symbol = request.path_params["symbol"]

        async def stream() -> AsyncIterator[Any]:
            yield {"event": "hello", "data": f"watching {symbol}", "retry": 1500}
            for number in range(3):
                if await request.is_disconnected():  # pragma: no cover - the client reads to the end
                    break
                yield ServerSentEvent(
                    data=json.dumps({"symbol": symbol, "tick": number}), event="price", id=str(number)
                )
                await anyio.sleep(0.05)  # several pings fit in here
            yield "plain data\nover two lines"

        return EventSourceResponse(
            stream(),
            ping=0.01,  # type: ignore[arg-type]  # annotated int, but any number of seconds works
            ping_message_factory=lambda: ServerSentEvent(comment="keep-alive"),
            background=BackgroundTask(done.append, symbol),
        )

    app = Starlette(routes=[Route("/prices/{symbol}", prices)])
    client = test_client_factory(app)
    with client.stream("GET", "/prices/ACME") as response:
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-accel-buffering"] == "no"
        assert "content-length" not in response.headers
        text = response.read().decode()

    events = parse_events(text)
    pings = [event for event in events if event == {":": "keep-alive"}]
    data_events = [event for event in events if event != {":": "keep-alive"}]
    assert len(pings) >= 3  # the ping task ran alongside the generator's pauses
    assert data_events == [
        {"event": "hello", "data": "watching ACME", "retry": "1500"},
        *[
            {"id": str(number), "event": "price", "data": json.dumps({"symbol": "ACME", "tick": number})}
            for number in range(3)
        ],
        {"data": "plain data\nover two lines"},
    ]
    assert done == ["ACME"]  # the background task ran after the stream ended
