"""A small tour of the toolkit: requests, JSON, streaming, a WebSocket echo and a background task.

Run it with ``uv run uvicorn examples.app:app`` and open http://127.0.0.1:8000/.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import anyio

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

# What the background task has done so far; /log shows it.
EVENTS: list[str] = []

INDEX = """<!doctype html>
<title>starlette example</title>
<h1>It works</h1>
<ul>
  <li><a href="/hello/world?greeting=hi">/hello/world?greeting=hi</a>: path and query parameters as JSON</li>
  <li><a href="/count?to=5">/count?to=5</a>: a streaming response</li>
  <li>POST JSON to /echo: it comes back, and a background task logs it (see <a href="/log">/log</a>)</li>
  <li>ws://127.0.0.1:8000/ws: a WebSocket echo</li>
</ul>
"""


async def index(request: Request) -> Response:
    return HTMLResponse(INDEX)


async def hello(request: Request) -> Response:
    return JSONResponse(
        {
            "name": request.path_params["name"],
            "greeting": request.query_params.get("greeting", "hello"),
            "client": request.client.host if request.client else None,
        }
    )


async def count(request: Request) -> Response:
    to = int(request.query_params.get("to", "3"))

    async def numbers() -> AsyncIterator[str]:
        for number in range(1, to + 1):
            yield f"{number}\n"
            await anyio.sleep(0)

    return StreamingResponse(numbers(), media_type="text/plain")


def remember(item: object) -> None:
    EVENTS.append(f"echoed {item!r}")


async def echo(request: Request) -> Response:
    payload = await request.json()
    return JSONResponse(payload, background=BackgroundTask(remember, payload))


async def log(request: Request) -> Response:
    return JSONResponse(EVENTS)


async def websocket_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            await websocket.send_text(f"echo: {await websocket.receive_text()}")
    except WebSocketDisconnect:
        pass


app = Starlette(
    routes=[
        Route("/", index),
        Route("/hello/{name}", hello),
        Route("/count", count),
        Route("/echo", echo, methods=["POST"]),
        Route("/log", log),
        WebSocketRoute("/ws", websocket_echo),
    ]
)
